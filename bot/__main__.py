"""``python -m bot``: config → logging → the bot; one clear line when it cannot start."""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import urlsplit, urlunsplit

from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.app import BotApp
from bot.config import BotConfig
from bot.health import check_health
from bot.redaction import configure_logging


def fail(message: str) -> int:
    print(f"bot: {message}", file=sys.stderr)
    return 2


def config_problem(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]).upper()
        if item["type"] == "missing":
            problems.append(f"{name} is not set")
        else:
            problems.append(f"{name}: {item['msg']}")
    return "; ".join(problems)


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def health() -> int:
    """`python -m bot health`: exit 0 while the running bot's heartbeat is recent."""
    url = os.environ.get("REDIS_URL", BotConfig.model_fields["redis_url"].default)
    try:
        with Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3) as redis:
            alive, why = check_health(redis)
    except (RedisConnectionError, RedisTimeoutError, OSError) as e:
        return fail(f"cannot reach Redis at {without_password(url)}: {e}")
    print(f"bot: {why}", file=sys.stdout if alive else sys.stderr)
    return 0 if alive else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["health"]:
        return health()
    if argv:
        return fail("usage: python -m bot [health]")
    try:
        config = BotConfig()  # BOT_TOKEN and the rest come from the environment
    except ValidationError as e:
        return fail(f"configuration error: {config_problem(e)}")
    token = config.bot_token.get_secret_value()
    redactor = configure_logging(config.log_level, token)
    try:
        app = BotApp(config)
    except TokenValidationError:
        return fail("BOT_TOKEN is not a bot token (expected <digits>:<secret> from @BotFather)")
    try:
        asyncio.run(app.run())
    except (RedisConnectionError, RedisTimeoutError, OSError) as e:
        return fail(f"cannot reach Redis at {without_password(config.redis_url)}: {e}")
    except TelegramUnauthorizedError:
        return fail(f"the Bot API at {config.telegram_api_url} refused BOT_TOKEN (Unauthorized)")
    except TelegramNetworkError as e:
        where = config.telegram_api_url
        return fail(f"cannot reach the Bot API at {where}: {redactor.redact(str(e))}")
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
