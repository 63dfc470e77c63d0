"""Which replica handles updates, when several serve one webhook.

Every replica records the updates Telegram posts to it; one at a time (the leader) reads the
inbox, runs the handlers and delivers results, so each chat's updates keep their order and
each answer has one sender. The leader holds a lease in Redis and renews it every third of
``ttl``; when it stops renewing (stopped, killed, cut off from Redis), another replica takes
over within ``ttl`` seconds of the last renewal, plus at most ``POLL_S`` (the others look that
often), and carries on from the inbox and the delivery stream, where the
old leader's unfinished work is still pending.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from bot.streams import DELETE_IF_HOLDS, REDIS_UNAVAILABLE

log = logging.getLogger(__name__)
LEADER_KEY = "adain:bot:leader"
POLL_S = 1.0  # how often a replica that does not lead looks whether the lease is free

# KEYS: the lease. ARGV: this replica, TTL in ms. 1 while the lease is (now) ours.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class Leadership:
    """The lease of one replica (``name``) on leading."""

    def __init__(self, redis: Redis, name: str, ttl: float = 15.0) -> None:
        self.redis = redis
        self.name = name
        self.ttl = ttl
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(DELETE_IF_HOLDS)

    async def acquire(self) -> None:
        """Return once this replica leads (waits while another one does)."""
        while not await self._try():  # None (Redis away) waits too
            await asyncio.sleep(min(POLL_S, self.ttl / 3))
        log.info("replica %s now handles the updates", self.name)

    async def keep(self) -> None:
        """Renew the lease; return when it is lost: another replica holds it, or Redis could
        not be reached for as long as the lease lasts (another replica may lead by then)."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self.ttl / 3)
            held = await self._try()
            if held is True:
                renewed = loop.time()
            elif held is False or loop.time() - renewed >= self.ttl:
                log.warning("replica %s lost the lead; it only receives updates now", self.name)
                return

    async def release(self) -> None:
        """Let another replica lead at once (at a graceful stop)."""
        try:
            await self._release(keys=[LEADER_KEY], args=[self.name])
        except REDIS_UNAVAILABLE:
            pass  # the lease runs out by itself

    async def _try(self) -> bool | None:
        """True: the lease is ours; False: another replica's; None: Redis is unavailable."""
        try:
            held = await self._hold(keys=[LEADER_KEY], args=[self.name, int(self.ttl * 1000)])
        except REDIS_UNAVAILABLE as e:
            log.warning("leadership: Redis unavailable (%s)", e)
            return None
        return bool(held)
