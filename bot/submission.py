"""Submitting a stylization: one job per chat at a time, a global queue cap, status message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, ReplyParameters
from aiogram.utils.i18n import gettext as _

from bot.delivery.job_records import JobRecord, JobStore
from bot.queues import Queues
from bot.replies import replying_to
from redis_access.replication import AsyncReplication, NotReplicated
from worker import contract
from worker.contract import JobRequest

log = logging.getLogger(__name__)


def refusal_text(refused: str) -> str:
    """Why a job was not queued, in the current locale: this user's job is still running, or
    the queue is full."""
    return _("busy-chat") if refused == "busy-chat" else _("busy-global")


class Submitter:
    """Turns a user's request into an RQ job under the worker's contract."""

    def __init__(
        self,
        store: JobStore,
        queues: Queues,
        queue_cap: int,
        replication: AsyncReplication | None = None,
    ) -> None:
        self.store = store
        self.queues = queues
        self.queue_cap = queue_cap
        self.replication = replication or AsyncReplication(store.redis)

    async def submit(self, bot: Bot, request: JobRequest) -> bool:
        """Enqueue a job and show its place in the queue; False (and a reply) when refused."""
        reply = replying_to(request.reply.reply_to)
        refused = await self._enqueue(bot, request, reply)
        if refused is not None:
            await bot.send_message(request.chat_id, refusal_text(refused), reply_parameters=reply)
        return refused is None

    async def submit_quietly(self, request: JobRequest) -> str | None:
        """Enqueue a job with no status message (its answer goes into an inline message);
        the id of the refusal's text when refused, else None."""
        return await self._enqueue(None, request, None)

    async def _enqueue(
        self, bot: Bot | None, request: JobRequest, reply: ReplyParameters | None
    ) -> str | None:
        chat_id, user = request.chat_id, request.reply.user
        job_id = uuid.uuid4().hex
        if not await self.store.claim_chat(chat_id, job_id, user):
            return "busy-chat"
        status: Message | None = None
        try:
            ahead = await asyncio.to_thread(self.queues.waiting)
            if ahead >= self.queue_cap:
                await self.store.release_chat(chat_id, job_id, user)
                return "busy-global"
            if bot is not None:
                text = _("queued").format(ahead=ahead)
                status = await bot.send_message(chat_id, text, reply_parameters=reply)
            # The record first: the job's delivery needs it.
            record = JobRecord(
                job_id=job_id, request=request,
                status_message_id=None if status is None else status.message_id,
            )  # fmt: skip
            await self.store.save(record)
            await asyncio.to_thread(contract.enqueue, self.queues.of(request), request, job_id)
        except Exception:
            await self.store.finish(chat_id, job_id, user)
            raise
        try:  # the job on a replica before its update leaves the inbox
            await self.replication.confirm()
        except NotReplicated as e:  # it is queued on the master; redoing it would queue it twice
            log.warning("chat %s: job %s is not on a replica yet: %s", chat_id, job_id, e)
        log.info("chat %s: job %s queued with %d ahead", chat_id, job_id, ahead)
        if bot is not None and status is not None:
            await self._correct_position(bot, status, request, job_id, ahead)
        return None

    async def _correct_position(
        self, bot: Bot, status: Message, request: JobRequest, job_id: str, shown: int
    ) -> None:
        """Requests arriving together all counted the same queue: show the real place now."""
        position = await asyncio.to_thread(self.queues.ahead, request, job_id)
        if position is None or position == shown:
            return
        with contextlib.suppress(TelegramAPIError):  # the status loop retries soon anyway
            await bot.edit_message_text(
                _("queued").format(ahead=position),
                chat_id=status.chat.id,
                message_id=status.message_id,
            )
