"""The bot's HTTP session to the Bot API: answers that are not the Bot API's are outages.

A proxy in front of the Bot API (nginx, a load balancer, a self-hosted ``telegram-bot-api``
restarting) answers 502 with an HTML page, or an empty or cut-off body. aiogram raises
``ClientDecodeError`` for those, which is no ``TelegramAPIError``: every loop would treat it as a
bug and the bot would stop. Here such an answer becomes :class:`NotBotApiAnswer`, a network
error, and it and the 5xx answers are tried again with back-off, a few times, for every call
(handlers' replies included); the polling, delivery and status loops then go on waiting with
their own back-off, as for any network error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)
RETRIES = 3  # tries again after 1, 2 and 4 s before the caller hears of it
FIRST_DELAY = 1.0
EXCERPT = 60  # characters of a foreign answer quoted in the log


class NotBotApiAnswer(TelegramNetworkError):
    """The answer was not Bot API JSON (an HTML error page, an empty or truncated body)."""


def excerpt(content: str) -> str:
    """The start of an answer on one line, for the log."""
    flat = " ".join(content.split())
    if not flat:
        return "an empty body"
    return repr(flat[:EXCERPT] + ("…" if len(flat) > EXCERPT else ""))


class BotApiSession(AiohttpSession):
    """aiogram's aiohttp session, riding out answers that are not the Bot API's and 5xx."""

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as e:
            raise NotBotApiAnswer(
                method=method,
                message=f"HTTP {status_code} with an answer that is not Bot API JSON: "
                f"{excerpt(content)}",
            ) from e

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        delay = FIRST_DELAY
        for _ in range(RETRIES):
            try:
                return await super().make_request(bot, method, timeout)
            except (NotBotApiAnswer, TelegramServerError) as e:
                log.warning(
                    "Bot API unavailable for %s (%s); trying again in %.0f s",
                    method.__api_method__, e, delay,
                )  # fmt: skip
            await asyncio.sleep(delay)
            delay *= 2
        return await super().make_request(bot, method, timeout)
