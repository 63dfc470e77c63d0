"""The inbox: every update Telegram sent, recorded in Redis before Telegram is told it arrived.

Long polling (``bot/intake/polling.py``) and the webhook (``bot/intake/webhook.py``) record
each update here first and only then confirm it to Telegram (the next ``getUpdates`` offset, or
the webhook's 200). The handlers read the inbox through a consumer group
(``bot/intake/update_loop.py``) and remove an update only after its handler returned, so a
crash, a SIGTERM or a Redis outage loses nothing a user sent: what was not recorded is still
held by Telegram (it keeps unconfirmed updates for about a day), and what was recorded but not
handled is read again.

An update is recorded once: a marker per ``update_id``, set in the same Lua script as the
stream entry, makes Telegram's repeats (after a restart, or a webhook answer that got lost)
no-ops for ``RECORDED_TTL``. Where Redis has replicas, an update is recorded only once one
holds it too (``redis_access/replication.py``): a failover right after the answer to Telegram loses
nothing either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.streams import ConsumerGroup
from redis_access.replication import AsyncReplication

STREAM = "adain:bot:updates"
GROUP = "handlers"
CONSUMER = "handler"  # one reader at a time: the bot in polling mode, the leader with webhooks
RECORDED_TTL = 2 * 24 * 3600  # seconds; longer than Telegram keeps an unconfirmed update
STREAM_MAXLEN = 1_000_000  # approximate cap; handled entries are deleted, so it stays short

# KEYS: marker, stream. ARGV: marker TTL, MAXLEN, update_id, the update's JSON.
_RECORD_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'id', ARGV[3], 'update', ARGV[4])
"""


def recorded_key(update_id: int) -> str:
    return f"adain:bot:update:{update_id}"


@dataclass(frozen=True)
class Entry:
    """One recorded update: its stream entry id and the update as Telegram sent it."""

    entry_id: str
    update_id: int
    update: dict[str, Any]


class UpdateInbox:
    """Record updates once; hand them out through the consumer group; remove handled ones."""

    def __init__(self, redis: Redis, replication: AsyncReplication | None = None) -> None:
        self.redis = redis
        self.replication = replication or AsyncReplication(redis)
        self.group = ConsumerGroup(redis, STREAM, GROUP, CONSUMER)
        self._record_once = redis.register_script(_RECORD_ONCE)

    async def record(self, update: dict[str, Any]) -> bool:
        """Keep an update Telegram sent; False when it was recorded before. Raises
        ``NotReplicated`` (a ``TimeoutError`` of redis') when no replica confirmed it in time:
        Telegram must not be told, and sends it again."""
        update_id = int(update["update_id"])
        entry = await self._record_once(
            keys=[recorded_key(update_id), STREAM],
            args=[RECORDED_TTL, STREAM_MAXLEN, update_id, json.dumps(update)],
        )
        await self.replication.confirm()  # a repeat too: the first copy may not be there yet
        return entry is not None

    async def pending(self, count: int = 100) -> list[Entry]:
        """Entries handed out before and not yet done: a dead run's, or failed by an outage."""
        return await self._read("0", count, block=None)

    async def new(self, count: int, block_ms: int) -> list[Entry]:
        """Entries nobody was handed yet, oldest first; waits up to ``block_ms`` for one."""
        return await self._read(">", count, block=block_ms)

    async def done(self, entry: Entry) -> None:
        """The update's handler returned: forget the entry."""
        await self.group.ack(entry.entry_id)

    async def _read(self, start: str, count: int, block: int | None) -> list[Entry]:
        entries = []
        for entry_id, fields in await self.group.read(start, count, block):
            if not fields:  # deleted after it was handed out; nothing left to handle
                await self.group.ack(entry_id, delete=False)
                continue
            entries.append(
                Entry(
                    entry_id=entry_id.decode(),
                    update_id=int(fields[b"id"]),
                    update=json.loads(fields[b"update"]),
                )
            )
        return entries
