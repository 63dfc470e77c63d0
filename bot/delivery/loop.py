"""The delivery loop: the worker's results from a Redis Stream to the users.

Guarantees: an entry is acknowledged only after Telegram accepted its answer (or refused it for
good, and the user was told when they can be); entries left unacknowledged by a previous run
are re-read first; a job is answered once even when its entry is read twice (a "sent" marker is
set before the acknowledgement). An acknowledged entry is deleted: the stream holds only the
answers not sent yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InputMediaPhoto
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis

from bot.cancellation import stop_if_cancelled
from bot.delivery.job_records import JobRecord, JobStore
from bot.delivery.sending import send_clip, send_result
from bot.delivery.shared import SharedResults
from bot.keyboards import result_keyboard
from bot.replies import replying_to
from bot.streams import Backoff, ConsumerGroup, Fields, keep_reading
from worker import contract
from worker.contract import DeliveryEvent, ErrorCode, MediaKind

log = logging.getLogger(__name__)
MAX_BACKOFF = 60.0
# Chats that cannot be written to: answers to them are dropped quietly (401 still stops the bot).
UNREACHABLE = (TelegramForbiddenError, TelegramNotFound, TelegramMigrateToChat)
CHAT_GONE = "chat not found"  # a 400 that means the same


def error_text(code: ErrorCode, media: MediaKind = MediaKind.PICTURE) -> str:
    """The user's message for a worker's error code, in the current locale; a clip's problems
    are told as a clip's, not a picture's."""
    if media.is_clip:
        clip_texts = {
            ErrorCode.NOT_IMAGE: _("error-not_image-clip"),
            ErrorCode.BROKEN: _("error-broken-clip"),
            ErrorCode.TOO_LARGE: _("error-too_large-clip"),
            ErrorCode.TOO_SMALL: _("error-too_small-clip"),
            ErrorCode.OUT_OF_MEMORY: _("error-out_of_memory-clip"),
        }
        if code in clip_texts:
            return clip_texts[code]
    texts = {
        ErrorCode.NOT_IMAGE: _("error-not_image"),
        ErrorCode.BROKEN: _("error-broken"),
        ErrorCode.TOO_LARGE: _("error-too_large"),
        ErrorCode.TOO_SMALL: _("error-too_small"),
        ErrorCode.EXPIRED: _("error-expired"),
        ErrorCode.OUT_OF_MEMORY: _("error-out_of_memory"),
        ErrorCode.TOO_LONG: _("error-too_long"),
        ErrorCode.NO_VIDEO: _("error-no_video"),
        ErrorCode.UNSUPPORTED: _("error-unsupported"),
        ErrorCode.INTERNAL: _("error-internal"),
    }
    return texts[code]


class DeliveryLoop:
    """Reads ``contract.DELIVERY_STREAM`` as one consumer of ``contract.DELIVERY_GROUP``."""

    def __init__(
        self,
        bot: Bot,
        redis: Redis,
        store: JobStore,
        i18n: I18n,
        consumer: str,
        block_ms: int = 2000,  # well under redis-py's default socket timeout (5 s)
        batch: int = 16,
        media_chat: int | None = None,  # where inline results are posted first (MEDIA_CHAT_ID)
    ) -> None:
        self.media_chat = media_chat
        self.bot = bot
        self.redis = redis
        self.store = store
        self.shared = SharedResults(redis)
        self.i18n = i18n
        self.group = ConsumerGroup(
            redis, contract.DELIVERY_STREAM, contract.DELIVERY_GROUP, consumer
        )
        self.block_ms = block_ms
        self.batch = batch

    async def run(self) -> None:
        """Deliver forever; survives Redis restarts and Telegram outages."""
        await keep_reading("delivery", self._deliver, cap=MAX_BACKOFF)

    async def _deliver(self, backoff: Backoff) -> None:
        await self.group.ensure()
        await self._read("0")  # our own pending entries: read before a crash, not acked
        backoff.reset()
        while True:
            await self._read(">", block=True)
            stop_if_cancelled()

    async def _read(self, start: str, block: bool = False) -> None:
        """Handle entries after ``start`` ("0": pending ones, until none is left; ">": new)."""
        last: bytes | str = start
        while True:
            entries = await self.group.read(last, self.batch, self.block_ms if block else None)
            for entry_id, fields in entries:
                await self.handle(entry_id, fields)
            if start == ">" or not entries:
                return
            last = entries[-1][0]

    async def handle(self, entry_id: bytes, fields: Fields | None) -> None:
        """Deliver one entry (once per job), clean up after it, then acknowledge it."""
        try:
            event = DeliveryEvent.from_fields(fields or {})
        except (KeyError, ValueError) as e:
            log.error("delivery: malformed entry %s dropped: %s", entry_id, e)
            await self.group.ack(entry_id)
            return
        record = await self.store.load(event.job)
        reachable = True
        if not await self.store.was_sent(event.job):
            with self.i18n.context(), self.i18n.use_locale(event.reply.locale):
                reachable = await self._send_until_done(event, record)
            await self.store.mark_sent(event.job)
        await self._clean_up(event, record if reachable else None)
        await self.group.ack(entry_id)  # and deleted: the stream keeps what is still to do

    async def _send_until_done(self, event: DeliveryEvent, record: JobRecord | None) -> bool:
        """Send the answer; wait out flood control and outages; never give up silently.
        False when the chat cannot be written to at all.

        What each Bot API answer leads to is tabled in docs/bot.md ("Every answer of the
        Bot API").
        """
        try:
            try:
                await self._retrying(event, lambda: self._send(event, record))
            except TelegramMigrateToChat as e:  # the group became a supergroup: answer there
                log.info("chat %s: now %s; job %s sent there", event.chat,
                         e.migrate_to_chat_id, event.job)  # fmt: skip
                event = dataclasses.replace(event, chat=e.migrate_to_chat_id)
                await self._retrying(event, lambda: self._send(event, record))
            log.info("chat %s: job %s delivered", event.chat, event.job)
            return True
        except UNREACHABLE as e:  # blocked by the user, deactivated, chat gone: nobody to tell
            log.info("chat %s: job %s dropped, chat unreachable: %s", event.chat, event.job, e)
            return False
        except (TelegramBadRequest, TelegramEntityTooLarge) as e:
            if CHAT_GONE in e.message.lower():
                log.info("chat %s: job %s dropped, no such chat", event.chat, event.job)
                return False
            refused = e
        if not event.result:
            log.warning("chat %s: job %s's message refused: %s", event.chat, event.job, refused)
            return True
        log.warning("chat %s: job %s's result refused (%s); telling the user", event.chat,
                    event.job, refused)  # fmt: skip
        try:
            reply = replying_to(event.reply.reply_to)
            await self._retrying(
                event,
                lambda: self.bot.send_message(
                    event.chat, _("result-not-sent"), reply_parameters=reply
                ),
            )
        except TelegramAPIError as again:
            log.warning("chat %s: could not say so either: %s", event.chat, again)
        return True

    async def _retrying(self, event: DeliveryEvent, send: Callable[[], Awaitable[object]]) -> None:
        """Call ``send`` until Telegram takes it: 429 waits ``retry_after``, 5xx and network
        errors retry with back-off; any other refusal is raised."""
        backoff = Backoff(MAX_BACKOFF)
        while True:
            try:
                await send()
                return
            except TelegramRetryAfter as e:
                log.info("chat %s: flood control, waiting %s s", event.chat, e.retry_after)
                await asyncio.sleep(e.retry_after)
            except TelegramEntityTooLarge:
                raise  # a network error in aiogram's classes, but a refusal
            except (TelegramNetworkError, TelegramServerError) as e:
                log.warning("chat %s: Bot API unavailable (%s); retrying", event.chat, e)
                await asyncio.sleep(backoff.next())

    async def _send(self, event: DeliveryEvent, record: JobRecord | None) -> None:
        if event.reply.inline_message_id:
            await self._send_inline(event, event.reply.inline_message_id)
            return
        reply = replying_to(event.reply.reply_to)
        if event.error or not event.result:
            code = event.error or ErrorCode.INTERNAL
            text = error_text(code, event.media)
            await self.bot.send_message(event.chat, text, reply_parameters=reply)
            return
        data = cast("bytes | None", await self.redis.get(event.result))  # no decoding client
        if data is None:
            text = error_text(ErrorCode.EXPIRED)
            await self.bot.send_message(event.chat, text, reply_parameters=reply)
            return
        # Without its record (expired) a result has nothing to re-run: no buttons. "Share"
        # only where inline mode is on (@BotFather's /setinline), which it needs.
        share = bool((await self.bot.me()).supports_inline_queries)
        keyboard = (
            None if record is None else result_keyboard(event.job, record.request, share=share)
        )
        if event.media.is_clip:
            await send_clip(
                self.bot, event.chat, data, media=event.media, width=event.width,
                height=event.height, duration=event.duration, keyboard=keyboard, reply=reply,
            )  # fmt: skip
            return
        sent = await send_result(
            self.bot, event.chat, data, fmt=event.format, width=event.width,
            height=event.height, as_document=event.reply.as_document, keyboard=keyboard,
            reply=reply,
        )  # fmt: skip
        if sent.photo:  # what inline mode offers the user to share
            owner = event.reply.user or event.chat
            await self.shared.remember(owner, event.job, sent.photo[-1].file_id)

    async def _send_inline(self, event: DeliveryEvent, inline_id: str) -> None:
        """Guest mode and inline presets: the placeholder becomes the picture (posted to the
        media chat first: an inline message shows only files Telegram has), or says why not."""
        data = None if event.error or not event.result else await self.redis.get(event.result)
        if data is None or self.media_chat is None:
            code = event.error or (ErrorCode.EXPIRED if event.result else ErrorCode.INTERNAL)
            text = error_text(code, event.media)
            await self.bot.edit_message_caption(inline_message_id=inline_id, caption=text)
            return
        posted = await self.bot.send_photo(
            self.media_chat, BufferedInputFile(cast("bytes", data), "adain.jpg")
        )
        if not posted.photo:  # Telegram kept it as something else: nothing to show inline
            text = _("result-not-sent")
            await self.bot.edit_message_caption(inline_message_id=inline_id, caption=text)
            return
        file_id = posted.photo[-1].file_id
        media = InputMediaPhoto(media=file_id)
        await self.bot.edit_message_media(media=media, inline_message_id=inline_id)
        await self.shared.remember(event.reply.user or event.chat, event.job, file_id)

    async def _clean_up(self, event: DeliveryEvent, record: JobRecord | None) -> None:
        """Remove the status message (when ``record`` names one) and the result bytes; free the
        chat for its next job."""
        status = None if record is None else record.status_message_id
        if status is not None:
            with contextlib.suppress(TelegramAPIError):  # already gone, or the chat is
                await self.bot.delete_message(event.chat, status)
        if event.result:
            await self.redis.delete(event.result)
        await self.store.finish(event.chat, event.job, event.reply.user)
