"""Redis clients for a :class:`~redis_access.address.RedisAddress`: one server, or the
master Sentinel names.

A client on the sentinels' master asks them where the master is before each new connection;
when the master is lost and a replica promoted, the connections to the old one fail, and the
next ones (the callers' retries) reach the new master: no process restarts. A master demoted
to a replica (back after a failover) answers writes with READONLY, which redis-py turns into a
reconnection too.

Both processes and their health checks build their clients here, so that every connection,
aiogram's storage and RQ's included, follows a failover the same way.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelConnectionPool as AsyncSentinelConnectionPool
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection

from redis_access.address import RedisAddress

log = logging.getLogger(__name__)

# Seconds a sentinel gets to answer "where is the master?": a dead or cut-off one must not hold
# a reconnection up for long, as the next sentinel in the list may answer at once.
SENTINEL_TIMEOUT = 1.0


class _SentinelConnection(SentinelManagedConnection):
    """redis-py's blocking connection to the sentinels' master, closed when a reply fails (a
    timeout included), as its plain and asyncio connections are. redis-py 8 keeps this one
    open: after a timeout on a master cut off from the network it would go back to the pool,
    still connected to that master, and every later command on it would time out as well (and
    read the earlier command's reply once the old master answers again)."""

    def read_response(
        self,
        disable_decoding: bool = False,
        *,
        disconnect_on_error: bool | None = True,
        **options: Any,
    ) -> Any:
        return super().read_response(
            disable_decoding, disconnect_on_error=disconnect_on_error, **options
        )


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
    return sentinel.master_for(
        address.master,
        redis_class=Redis,
        connection_class=_SentinelConnection,
        **(master_options | options),
    )


def async_client(address: RedisAddress, **options: Any) -> AsyncRedis:
    """An asyncio client (the bot); ``options`` as for :func:`sync_client`."""
    if not address.sentinels:
        return AsyncRedis.from_url(address.url_with_password, **options)
    sentinel_options, master_options = _sentinel_options(address)
    sentinel = AsyncSentinel(list(address.sentinels), sentinel_kwargs=sentinel_options)
    return sentinel.master_for(
        address.master, redis_class=AsyncRedis, **(master_options | options)
    )


# Seconds between looks at which server the sentinels name the master.
FOLLOW_INTERVAL = 1.0


async def follow_master(clients: list[AsyncRedis], interval: float = FOLLOW_INTERVAL) -> None:
    """Until cancelled: when the sentinels name a new master, close the idle connections of
    these clients at once. Without this, each idle connection to a master cut off from the
    network (not dead: silent) would notice only when next used, after a command timeout. A
    busy one still waits for its timeout: closing it under its reader fails in ways that are
    not redis' errors."""
    pools = [c.connection_pool for c in clients]
    sentinel_pools = [p for p in pools if isinstance(p, AsyncSentinelConnectionPool)]
    while sentinel_pools:
        for pool in sentinel_pools:
            before = pool.master_address
            try:
                address = await pool.get_master_address()  # remembers it; closes idle ones
            except RedisError:
                continue  # no master named for a moment, during a failover
            if before is not None and address != before:
                log.warning("Redis master moved to %s:%s; reconnecting", *address)
        await asyncio.sleep(interval)


def follow_master_in_thread(client: Redis, interval: float = FOLLOW_INTERVAL) -> None:
    """:func:`follow_master` for a blocking client, in a daemon thread (the worker)."""
    pool = client.connection_pool
    if not isinstance(pool, SentinelConnectionPool):
        return

    def follow() -> None:
        while True:
            before = pool.master_address
            try:
                address = pool.get_master_address()  # remembers it; closes idle connections
            except RedisError:
                address = None  # no master named for a moment, during a failover
            if before is not None and address is not None and address != before:
                log.warning("Redis master moved to %s:%s; reconnecting", *address)
            time.sleep(interval)

    threading.Thread(target=follow, name="follow-master", daemon=True).start()


def check_reachable(address: RedisAddress, timeout: float = 3.0) -> None:
    """Raise redis' error at once when Redis (or every sentinel) cannot be reached: the one
    line at start-up, instead of the retries that ride out a restart later."""
    once = Retry(NoBackoff(), 0)
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": once}
    with sync_client(address, **options) as client:
        client.ping()
