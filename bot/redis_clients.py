"""The bot's Redis clients, built to ride out a Redis restart.

After a restart every pooled connection is dead, and redis-py (as configured by ``from_url``)
fails the first command on each one instead of reconnecting: the update being handled would
be lost, and a background loop would stop the bot. These clients reconnect and send the
command again, for a few seconds; longer outages still raise and are handled by the loops.

Only ``ConnectionError`` is retried, not timeouts: a refused or closed connection means the
command never reached Redis, while after a timeout it may have run. Every command has a
timeout, so that a Redis that stops answering (a network cut, a frozen host) fails the commands
waiting on it instead of holding them forever; with Sentinel, the next connection then reaches
the new master (``redis_access/clients.py``).
"""

from __future__ import annotations

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from redis_access import clients
from redis_access.address import RedisAddress

RETRIES = 7  # tries again after 0.1, 0.2, 0.4, 0.8, 1.6, 2 and 2 s: about 7 s in all
BACKOFF_BASE = 0.05  # seconds; the wait before try n is BACKOFF_BASE * 2**n, at most the cap
BACKOFF_CAP = 2.0
# Seconds a command may take: above the longest blocking read (2 s) and REDIS_WAIT_TIMEOUT.
COMMAND_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0


def _timeouts(wait_timeout: float) -> dict[str, float]:
    return {
        "socket_timeout": max(COMMAND_TIMEOUT, wait_timeout + 5.0),
        "socket_connect_timeout": CONNECT_TIMEOUT,
    }


def async_client(address: RedisAddress, wait_timeout: float = 1.0) -> AsyncRedis:
    """An asyncio client (a pool of its own: aiogram's storage gets one too)."""
    backoff = ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE)
    retry = AsyncRetry(backoff, RETRIES, supported_errors=(RedisConnectionError,))
    return clients.async_client(address, retry=retry, **_timeouts(wait_timeout))


def sync_client(address: RedisAddress, wait_timeout: float = 1.0) -> Redis:
    """The blocking client that RQ's API needs."""
    backoff = ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE)
    retry = Retry(backoff, RETRIES, supported_errors=(RedisConnectionError,))
    return clients.sync_client(address, retry=retry, **_timeouts(wait_timeout))
