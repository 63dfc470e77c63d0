"""The Redis plumbing the bot's loops share: which errors mean "Redis unavailable", one
back-off, one consumer group on a stream (created once, read, recreated when Redis lost it),
the loop that keeps a reader going through all of it, and one compare-and-delete script.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.cancellation import stop_if_cancelled

log = logging.getLogger(__name__)

# Redis cannot be reached, or did not answer in time (a replica's confirmation included):
# what the loops wait out; anything else is a bug to see.
REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)

Fields = dict[bytes, bytes]  # a stream entry's fields, as a client without decoding returns them

# KEYS: the key. ARGV: the value it must hold. Deletes it only while it holds that value (a
# lease, a claim), so that whoever took it over meanwhile keeps it.
DELETE_IF_HOLDS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Backoff:
    """Seconds to wait before the next try: `first`, doubling up to `cap`; `reset` on success."""

    def __init__(self, cap: float, first: float = 1.0) -> None:
        self.first = first
        self.cap = cap
        self.delay = first

    def next(self) -> float:
        """The wait to do now; the one after is twice as long (at most `cap`)."""
        delay = self.delay
        self.delay = min(self.cap, delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = self.first


class ConsumerGroup:
    """One consumer of a group on a stream, reading entries in order."""

    def __init__(self, redis: Redis, stream: str, group: str, consumer: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer

    async def ensure(self) -> None:
        """Create the stream and the group (from the stream's start) unless they exist."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def read(
        self, start: bytes | str, count: int, block_ms: int | None = None
    ) -> list[tuple[bytes, Fields]]:
        """Entries after `start` ("0": handed out before and not acknowledged; ">": new ones,
        waiting up to `block_ms` for one), oldest first. An entry deleted after it was handed
        out comes with no fields."""
        response = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
        )
        # One stream asked for: [[stream, [(entry id, fields), …]]], or nothing.
        streams = cast("list[tuple[bytes, list[tuple[bytes, Fields]]]]", response or [])
        return streams[0][1] if streams else []

    async def ack(self, entry_id: bytes | str, *, delete: bool = True) -> None:
        """Acknowledge an entry, and (by default) delete it: the stream keeps only what is
        still to do."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            if delete:
                pipe.xdel(self.stream, entry_id)
            await pipe.execute()


def lost_group(error: ResponseError) -> bool:
    """Whether Redis answered that the group (or the stream) is not there: it lost its data."""
    return "NOGROUP" in str(error)


async def keep_reading(
    what: str,
    attempt: Callable[[Backoff], Awaitable[None]],
    *,
    cap: float,
    running: Callable[[], bool] = lambda: True,
    on_unavailable: Callable[[], None] | None = None,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run `attempt` again and again while `running()`; when Redis is unavailable, wait (the
    back-off, which `attempt` resets once it got through) and try again; when the group is
    gone, go on at once (the attempt creates it again). Any other error is raised."""
    backoff = Backoff(cap)
    while running():
        try:
            await attempt(backoff)
            backoff.reset()
        except REDIS_UNAVAILABLE as e:
            delay = backoff.next()
            log.warning("%s: Redis unavailable (%s); retrying in %.0f s", what, e, delay)
            if on_unavailable is not None:
                on_unavailable()
            await pause(delay)
        except ResponseError as e:
            if not lost_group(e):
                raise
            log.warning("%s: consumer group is gone (Redis lost it); recreating", what)
        stop_if_cancelled()
