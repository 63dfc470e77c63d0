"""Long polling into the inbox: an update is confirmed to Telegram only once it is recorded.

``getUpdates`` confirms every update below its ``offset``. The offset moves past an update
only after ``UpdateInbox.record`` kept it, so updates that arrive while Redis is away stay with
Telegram (for about a day) and are fetched again once it is back; the poller says so once in
the log and retries with back-off meanwhile.

Telegram refuses ``getUpdates`` (409) while a webhook is set, as one is when the bot last ran in
webhook mode. So the poller first removes a webhook it finds, keeping the updates Telegram holds
for it (they are fetched next), and says so in the log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods import GetUpdates

from bot.cancellation import stop_if_cancelled
from bot.intake.inbox import UpdateInbox
from bot.streams import REDIS_UNAVAILABLE, Backoff

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0


class UpdatePoller:
    """``getUpdates`` in a loop, each update recorded before the next call confirms it."""

    def __init__(
        self, bot: Bot, inbox: UpdateInbox, timeout: int, allowed_updates: list[str]
    ) -> None:
        self.bot = bot
        self.inbox = inbox
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.offset: int | None = None

    async def run(self) -> None:
        """Poll until cancelled; Telegram and Redis outages are waited out."""
        backoff, webhook_checked = Backoff(MAX_BACKOFF), False
        while True:
            try:
                if not webhook_checked:
                    await self._remove_webhook()
                    webhook_checked = True
                updates = await self._fetch()
                backoff.reset()
            except (TelegramNetworkError, TelegramServerError) as e:
                delay = backoff.next()
                log.warning("polling: Bot API unavailable (%s); retrying in %.0f s", e, delay)
                await asyncio.sleep(delay)
                continue
            for update in updates:
                await self._record(update)
                self.offset = int(update["update_id"]) + 1
            stop_if_cancelled()

    async def _remove_webhook(self) -> None:
        """Delete a webhook left set (by a run in webhook mode), keeping its pending updates."""
        info = await self.bot.get_webhook_info()
        if not info.url:
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        log.warning(
            "polling: removed the webhook left set at the Bot API (to %s); its %d pending "
            "update(s) are kept and fetched now", urlsplit(info.url).netloc or info.url,
            info.pending_update_count,
        )  # fmt: skip

    async def _fetch(self) -> list[dict[str, Any]]:
        """The next updates as Telegram sent them (JSON), confirming those before the offset."""
        method = GetUpdates(
            offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
        )
        # Longer than the long poll itself, so that a quiet minute is not a timeout.
        updates = await self.bot(method, request_timeout=self.timeout + 30)
        return [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in updates]

    async def _record(self, update: dict[str, Any]) -> None:
        """Record one update, waiting for Redis as long as it takes (Telegram keeps it)."""
        backoff, told = Backoff(MAX_BACKOFF), False
        while True:
            try:
                await self.inbox.record(update)
                if told:
                    log.warning("polling: Redis is back; taking updates again")
                return
            except REDIS_UNAVAILABLE as e:
                if not told:
                    log.warning(
                        "polling: Redis unavailable (%s); updates wait with Telegram until it is "
                        "back", e,
                    )  # fmt: skip
                    told = True
                await asyncio.sleep(backoff.next())
