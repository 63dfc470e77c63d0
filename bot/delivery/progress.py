"""The status loop: "queued, N ahead of you" edited to "working…", and the upload action.

Best effort by design: a failed edit is tried again on the next round, and the delivery loop
removes the status message whatever this loop managed to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from enum import Enum

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from rq.exceptions import InvalidJobOperation
from rq.job import Job, JobStatus

from bot.cancellation import stop_if_cancelled
from bot.delivery.job_records import JobRecord, JobStore
from bot.queues import Queues
from bot.replies import replying_to
from bot.streams import REDIS_UNAVAILABLE
from worker import contract
from worker.contract import MediaKind

log = logging.getLogger(__name__)
ACTION_EVERY = 4.0  # seconds; Telegram shows a chat action for about five
CLIP_EDIT_EVERY = 3.0  # seconds between edits of a clip's "frame N of M"


class Stage(Enum):
    """Where a job stands in RQ, as the status message tells it."""

    QUEUED = "queued"  # waiting, with a number of jobs ahead
    STARTED = "started"  # a worker runs it
    OTHER = "other"  # finished, failed or gone: the delivery loop takes over


Progress = tuple[Stage, int]  # the stage, and the jobs ahead when queued


def job_progress(queues: Queues, records: list[JobRecord]) -> dict[str, Progress]:
    """Where each job stands in RQ (blocking calls: run in a thread)."""
    out: dict[str, Progress] = {}
    for record in records:
        job_id = record.job_id
        try:
            status = Job(job_id, connection=queues.stills.connection).get_status()
        except InvalidJobOperation:  # RQ no longer holds the job
            out[job_id] = (Stage.OTHER, 0)
            continue
        if status == JobStatus.QUEUED:
            out[job_id] = (Stage.QUEUED, queues.ahead(record.request, job_id) or 0)
        elif status == JobStatus.STARTED:
            out[job_id] = (Stage.STARTED, 0)
        else:
            out[job_id] = (Stage.OTHER, 0)
    return out


def upload_action(record: JobRecord) -> ChatAction:
    """What the chat shows while the worker runs: the kind of message that will follow."""
    media = record.request.media
    if media is MediaKind.VIDEO_NOTE:
        return ChatAction.UPLOAD_VIDEO_NOTE
    if media.is_clip:
        return ChatAction.UPLOAD_VIDEO
    as_file = record.request.reply.as_document
    return ChatAction.UPLOAD_DOCUMENT if as_file else ChatAction.UPLOAD_PHOTO


def clip_progress_text(raw: bytes | str | None) -> str:
    """ "Working on your clip: frame N of M …" from the worker's progress (current locale)."""
    if raw is None:
        return _("working")
    progress = contract.ClipProgress.from_json(raw)
    frames = _("working-clip").format(done=progress.done, total=progress.total)
    if progress.eta_s is None:
        return frames
    return f"{frames} " + _("time-left").format(seconds=progress.eta_s)


class ProgressLoop:
    """Keeps each waiting chat's status message true to the job's place in the queue."""

    def __init__(
        self, bot: Bot, store: JobStore, queues: Queues, i18n: I18n, interval: float
    ) -> None:
        self.bot = bot
        self.store = store
        self.queues = queues
        self.i18n = i18n
        self.interval = interval
        self._shown: dict[str, str] = {}  # job id → text the status message shows
        self._last_action: dict[str, float] = {}
        self._last_clip_edit: dict[str, float] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except REDIS_UNAVAILABLE as e:
                log.warning("status updates paused, Redis unavailable: %s", e)
            stop_if_cancelled()
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        """One round over the jobs whose results are awaited."""
        job_ids = await self.store.active()
        for gone in set(self._shown) - set(job_ids):
            self._shown.pop(gone, None)
            self._last_action.pop(gone, None)
            self._last_clip_edit.pop(gone, None)
        records = []
        for job_id in job_ids:
            record = await self.store.load(job_id)
            if record is None:
                await self.store.forget(job_id)
            else:
                records.append(record)
        if not records:
            return
        progress = await asyncio.to_thread(job_progress, self.queues, records)
        for record in records:
            stage, ahead = progress[record.job_id]
            if stage is Stage.OTHER:
                continue
            await self.store.keep_claim(record.request.chat_id, record.request.reply.user)
            clip = stage is Stage.STARTED and record.request.media.is_clip
            if clip and not self._clip_edit_due(record.job_id):
                continue
            raw = (
                await self.store.redis.get(contract.progress_key(record.job_id)) if clip else None
            )
            with self.i18n.context(), self.i18n.use_locale(record.request.reply.locale):
                if clip:
                    text = clip_progress_text(raw)
                elif stage is Stage.STARTED:
                    text = _("working")
                else:
                    text = _("queued").format(ahead=ahead)
            await self._show(record, text)
            if stage is Stage.STARTED:
                await self._upload_action(record)

    def _clip_edit_due(self, job_id: str) -> bool:
        """Clip progress is edited at most every CLIP_EDIT_EVERY seconds (Telegram's limits)."""
        now = time.monotonic()
        if now - self._last_clip_edit.get(job_id, -CLIP_EDIT_EVERY) < CLIP_EDIT_EVERY:
            return False
        self._last_clip_edit[job_id] = now
        return True

    async def _show(self, record: JobRecord, text: str) -> None:
        chat_id, status = record.request.chat_id, record.status_message_id
        if status is None or self._shown.get(record.job_id) == text:
            return
        try:
            await self.bot.edit_message_text(text=text, chat_id=chat_id, message_id=status)
        except TelegramUnauthorizedError:
            raise
        except TelegramAPIError as e:  # not modified, deleted meanwhile, flood control, …
            log.debug("chat %s: status not updated: %s", chat_id, e)
            if "message to edit not found" in str(e):  # the user deleted it: show a new one
                await self._show_anew(record, text)
                return
            if "not modified" not in str(e):
                return
        self._shown[record.job_id] = text

    async def _show_anew(self, record: JobRecord, text: str) -> None:
        """A new status message for one the user deleted; none once the answer went out (the
        delivery deletes the status message itself: its absence is no reason for another)."""
        if await self.store.was_sent(record.job_id):
            return
        chat_id = record.request.chat_id
        try:
            message = await self.bot.send_message(
                chat_id, text, reply_parameters=replying_to(record.request.reply.reply_to)
            )
        except TelegramUnauthorizedError:
            raise
        except TelegramAPIError as e:
            log.debug("chat %s: no new status message: %s", chat_id, e)
            return
        if await self.store.was_sent(record.job_id):  # delivered meanwhile: take it back
            with contextlib.suppress(TelegramAPIError):
                await self.bot.delete_message(chat_id, message.message_id)
            return
        await self.store.replace(dataclasses.replace(record, status_message_id=message.message_id))
        self._shown[record.job_id] = text

    async def _upload_action(self, record: JobRecord) -> None:
        if record.request.reply.inline_message_id:  # no chat of the bot's to show it in
            return
        now = time.monotonic()
        if now - self._last_action.get(record.job_id, -ACTION_EVERY) < ACTION_EVERY:
            return
        self._last_action[record.job_id] = now
        try:
            await self.bot.send_chat_action(record.request.chat_id, upload_action(record))
        except TelegramUnauthorizedError:
            raise
        except TelegramAPIError as e:
            log.debug("chat %s: chat action not sent: %s", record.request.chat_id, e)
