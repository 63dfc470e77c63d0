"""Starting the bot: config → logging → the bot; one clear line when it cannot start."""

from __future__ import annotations

import asyncio
import sys

from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError

from bot.app import BotApp
from bot.config import BotConfig
from bot.redaction import configure_logging
from bot.streams import REDIS_UNAVAILABLE
from redis_access.clients import check_reachable


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
            problems.append(f"{name}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(problems)


def launch() -> int:
    """Run the bot until it is stopped; the process's exit status."""
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
        check_reachable(config.redis_address())
        asyncio.run(app.run())
    except (*REDIS_UNAVAILABLE, OSError) as e:
        return fail(f"cannot reach {config.redis_address().describe()}: {e}")
    except TelegramUnauthorizedError:
        return fail(f"the Bot API at {config.telegram_api_url} refused BOT_TOKEN (Unauthorized)")
    except TelegramNetworkError as e:
        where = config.telegram_api_url
        return fail(f"cannot reach the Bot API at {where}: {redactor.redact(str(e))}")
    except KeyboardInterrupt:
        return 130
    return 0
