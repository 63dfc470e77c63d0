"""The bot's Redis clients, built to ride out a Redis restart.

After a restart every pooled connection is dead, and redis-py (as configured by ``from_url``)
fails the first command on each one instead of reconnecting: the update being handled would
be lost, and a background loop would stop the bot. These clients reconnect and send the
command again, for a few seconds; longer outages still raise and are handled by the loops.

Only ``ConnectionError`` is retried, not timeouts: a refused or closed connection means the
command never reached Redis, while after a timeout it may have run.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

RETRIES = 7  # tries again after 0.1, 0.2, 0.4, 0.8, 1.6, 2 and 2 s: about 7 s in all
BACKOFF_BASE = 0.05  # seconds; the wait before try n is BACKOFF_BASE * 2**n, at most the cap
BACKOFF_CAP = 2.0


def async_options() -> dict[str, Any]:
    """Keyword arguments for an asyncio client or connection pool (aiogram's storage too)."""
    backoff = ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE)
    return {"retry": AsyncRetry(backoff, RETRIES, supported_errors=(RedisConnectionError,))}


def async_client(url: str) -> AsyncRedis:
    return AsyncRedis.from_url(url, **async_options())


def sync_client(url: str) -> Redis:
    """The blocking client that RQ's API needs."""
    backoff = ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE)
    retry = Retry(backoff, RETRIES, supported_errors=(RedisConnectionError,))
    return Redis.from_url(url, retry=retry)
