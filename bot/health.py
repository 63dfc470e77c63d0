"""The bot's liveness: a heartbeat in Redis, and `python -m bot health` that reads it.

The bot writes the time of its last successful round of polling work under ``HEARTBEAT_KEY``
every ``interval`` seconds; Docker's health check passes while that time is recent. A bot whose
loops died, or that lost Redis, stops beating and turns unhealthy.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from bot.cancellation import stop_if_cancelled
from bot.streams import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)


def heartbeat_key(host: str) -> str:
    """Each host (container) beats under its own key, so replicas are checked one by one."""
    return f"adain:bot:heartbeat:{host}"


async def beat_forever(redis: AsyncRedis, interval: float = 10.0, host: str | None = None) -> None:
    """Record "alive now" every `interval` seconds; the key expires if the bot stops.

    Redis going away (a restart) skips beats instead of ending the loop, which would stop the
    bot: the heartbeat turns stale meanwhile and fresh again once Redis is back.
    """
    while True:
        try:
            key = heartbeat_key(host or socket.gethostname())
            await redis.set(key, f"{time.time():.3f}", ex=max(1, int(interval * 6)))
        except REDIS_UNAVAILABLE as e:
            log.warning("heartbeat skipped, Redis unavailable: %s", e)
        stop_if_cancelled()
        await asyncio.sleep(interval)


def check_health(
    redis: Redis, max_age_s: float = 30.0, host: str | None = None
) -> tuple[bool, str]:
    """(alive, one line) of the bot on this host; raises redis' errors without Redis."""
    raw = redis.get(heartbeat_key(host or socket.gethostname()))
    if raw is None:
        return False, "no bot heartbeat in Redis: the bot is not running"
    age = time.time() - float(raw)
    if age > max_age_s:
        return False, f"the bot's last heartbeat is {age:.0f} s old (more than {max_age_s:.0f} s)"
    return True, f"bot alive: last heartbeat {age:.0f} s ago"
