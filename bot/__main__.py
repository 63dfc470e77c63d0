"""``python -m bot``: the bot (``bot.launch``), or ``python -m bot health``.

Docker runs the health check every 30 s, often on a busy host, so that path imports redis-py and
the standard library only: none of aiogram, aiohttp or pydantic-settings.
"""

from __future__ import annotations

import os
import sys

from bot.health import check_health
from bot.streams import REDIS_UNAVAILABLE
from redis_access.address import RedisUrlError, address_from_environ
from redis_access.clients import sync_client


def fail(message: str) -> int:
    print(f"bot: {message}", file=sys.stderr)
    return 2


def health() -> int:
    """`python -m bot health`: exit 0 while the running bot's heartbeat is recent."""
    try:
        address = address_from_environ(os.environ)
    except RedisUrlError as e:
        return fail(f"configuration error: {e}")
    try:
        with sync_client(address, socket_connect_timeout=3, socket_timeout=3) as redis:
            alive, why = check_health(redis)
    except (*REDIS_UNAVAILABLE, OSError) as e:
        return fail(f"cannot reach {address.describe()}: {e}")
    print(f"bot: {why}", file=sys.stdout if alive else sys.stderr)
    return 0 if alive else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["health"]:
        return health()
    if argv:
        return fail("usage: python -m bot [health]")
    from bot.launch import launch  # here, not above: the health check must not pay for it

    return launch()


if __name__ == "__main__":
    sys.exit(main())
