"""Redis clients for a :class:`~worker.redis_url.RedisAddress`: one server, or Sentinel's master.

A client on the sentinels' master asks them where the master is before each new connection;
when the master is lost and a replica promoted, the connections to the old one fail, and the
next ones (the callers' retries) reach the new master: no process restarts. A master demoted
to a replica (back after a failover) answers writes with READONLY, which redis-py turns into a
reconnection too.

Both processes and their health checks build their clients here, so that every connection,
aiogram's storage and RQ's included, follows a failover the same way.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from worker.redis_url import RedisAddress

# Seconds a sentinel gets to answer "where is the master?": a dead or cut-off one must not hold
# a reconnection up for long, as the next sentinel in the list may answer at once.
SENTINEL_TIMEOUT = 1.0


def _sentinel_options(address: RedisAddress) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options for the sentinels' connections, options for the master's)."""
    sentinel: dict[str, Any] = {
        "socket_timeout": SENTINEL_TIMEOUT,
        "socket_connect_timeout": SENTINEL_TIMEOUT,
    }
    if address.sentinel_password:
        sentinel["password"] = address.sentinel_password
    master = {"password": address.password} if address.password else {}
    return sentinel, master


def sync_client(address: RedisAddress, **options: Any) -> Redis:
    """A blocking client (RQ's API, the worker, the health checks); ``options`` go to each of
    its connections (timeouts, retry)."""
    if not address.sentinels:
        return Redis.from_url(address.url_with_password, **options)
    sentinel_options, master_options = _sentinel_options(address)
    sentinel = Sentinel(list(address.sentinels), sentinel_kwargs=sentinel_options)
    return sentinel.master_for(address.master, redis_class=Redis, **(master_options | options))


def async_client(address: RedisAddress, **options: Any) -> AsyncRedis:
    """An asyncio client (the bot); ``options`` as for :func:`sync_client`."""
    if not address.sentinels:
        return AsyncRedis.from_url(address.url_with_password, **options)
    sentinel_options, master_options = _sentinel_options(address)
    sentinel = AsyncSentinel(list(address.sentinels), sentinel_kwargs=sentinel_options)
    return sentinel.master_for(
        address.master, redis_class=AsyncRedis, **(master_options | options)
    )
