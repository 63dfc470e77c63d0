"""Waiting for a replica before something is acknowledged outside Redis.

Redis copies writes to its replicas asynchronously: a master lost a moment after a write takes
the write with it, and Sentinel promotes a replica that never saw it. Where the loss would lose
a user's message or result, the write is confirmed first: :meth:`confirm` waits (``WAIT``) until
``wanted`` replicas hold everything written so far, at most ``timeout`` seconds.

- ``WAIT`` counts the writes of its own connection, and a pool hands out any connection; so
  :meth:`confirm` writes a small fence key and waits for that. Redis applies and copies writes
  in one order, so a replica that holds the fence holds every write that finished before it,
  whichever connection sent it (RQ's enqueue, a Lua script, aiogram's storage).
- Only replicas that are connected and in sync are waited for (the master's ``INFO
  replication``, asked
  every ``REFRESH_S`` and after a shortfall): a lone Redis, or a master whose replica died,
  is not waited on at all, and that is logged once. A replica that is connected but does not
  confirm in time raises :class:`NotReplicated`, and the caller does not acknowledge.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
FENCE_KEY = "adain:replication-fence"  # one key per deployment, with a TTL
FENCE_TTL = 60
REFRESH_S = 5.0  # seconds between looks at how many replicas are connected
DEFAULT_TIMEOUT = 1.0  # REDIS_WAIT_TIMEOUT's default, seconds


class NotReplicated(RedisTimeoutError):
    """Replicas are connected, but fewer than wanted confirmed the write in time; it is on the
    master only, so it must not be acknowledged yet."""


class _Replicas:
    """How many replicas to wait for; the I/O is the two clients' below."""

    def __init__(self, wanted: int, timeout: float) -> None:
        self.wanted = wanted
        self.timeout_ms = max(1, int(timeout * 1000))
        self.connected = 0
        self.asked_at = float("-inf")
        self.alone = False  # logged: no replica is connected, writes are not waited for

    def stale(self) -> bool:
        return self.wanted > 0 and time.monotonic() - self.asked_at >= REFRESH_S

    def learn(self, info: dict[str, Any]) -> None:
        self.asked_at = time.monotonic()
        self.connected = sum(
            1
            for name, replica in info.items()
            if name.startswith("slave") and isinstance(replica, dict)
            and replica.get("state") == "online"  # in sync: one still loading is no copy yet
        )  # fmt: skip
        alone = self.connected < self.wanted
        if alone and not self.alone:
            log.warning(
                "Redis has %d of the %d replica(s) to wait for connected: writes are confirmed "
                "by %d until more are back", self.connected, self.wanted, self.target,
            )  # fmt: skip
        elif self.alone and not alone:
            log.warning("Redis replicas are back: writes are confirmed by %d again", self.target)
        self.alone = alone

    @property
    def target(self) -> int:
        return min(self.wanted, self.connected)

    def shortfall(self, acked: int) -> NotReplicated | None:
        if acked >= self.target:
            return None
        return NotReplicated(
            f"{acked} of {self.target} Redis replica(s) confirmed the write within "
            f"{self.timeout_ms} ms"
        )


class AsyncReplication:
    """``await confirm()`` after a write that is about to be acknowledged (the bot)."""

    def __init__(self, redis: AsyncRedis, wanted: int = 1, timeout: float = DEFAULT_TIMEOUT):
        self.redis = redis
        self.replicas = _Replicas(wanted, timeout)

    async def confirm(self) -> None:
        """Return once the wanted connected replicas hold every write made so far; raise
        :class:`NotReplicated` when they did not in time (and redis' errors without Redis)."""
        replicas = self.replicas
        if replicas.stale():
            replicas.learn(await self.redis.info("replication"))
        if replicas.target == 0:
            return
        acked = await self._wait(replicas.target)
        if replicas.shortfall(acked) is not None:
            replicas.learn(await self.redis.info("replication"))  # one may have gone
            if (error := replicas.shortfall(acked)) is not None:
                raise error

    async def _wait(self, count: int) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(FENCE_KEY, time.time(), ex=FENCE_TTL)
            pipe.wait(count, self.replicas.timeout_ms)
            _, acked = await pipe.execute()
        return int(acked)


class SyncReplication:
    """``confirm()`` after a write that is about to be acknowledged (a worker's result)."""

    def __init__(self, redis: Redis, wanted: int = 1, timeout: float = DEFAULT_TIMEOUT):
        self.redis = redis
        self.replicas = _Replicas(wanted, timeout)

    def confirm(self) -> None:
        """As :meth:`AsyncReplication.confirm`."""
        replicas = self.replicas
        if replicas.stale():
            replicas.learn(self.redis.info("replication"))
        if replicas.target == 0:
            return
        acked = self._wait(replicas.target)
        if replicas.shortfall(acked) is not None:
            replicas.learn(self.redis.info("replication"))
            if (error := replicas.shortfall(acked)) is not None:
                raise error

    def _wait(self, count: int) -> int:
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(FENCE_KEY, time.time(), ex=FENCE_TTL)
            pipe.wait(count, self.replicas.timeout_ms)
            _, acked = pipe.execute()
        return int(acked)
