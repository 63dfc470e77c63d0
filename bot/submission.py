"""Submitting a stylization: one job per chat at a time, a global queue cap, status message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.delivery.job_records import JobRecord, JobStore
from bot.queues import Queues
from redis_access.replication import AsyncReplication, NotReplicated
from worker import contract
from worker.contract import JobRequest

log = logging.getLogger(__name__)


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
        chat_id = request.chat_id
        job_id = uuid.uuid4().hex
        if not await self.store.claim_chat(chat_id, job_id):
            await bot.send_message(chat_id, _("busy-chat"))
            return False
        try:
            ahead = await asyncio.to_thread(self.queues.waiting)
            if ahead >= self.queue_cap:
                await self.store.release_chat(chat_id, job_id)
                await bot.send_message(chat_id, _("busy-global"))
                return False
            status = await bot.send_message(chat_id, _("queued").format(ahead=ahead))
            # The record first: the job's delivery needs it.
            record = JobRecord(job_id=job_id, request=request, status_message_id=status.message_id)
            await self.store.save(record)
            await asyncio.to_thread(contract.enqueue, self.queues.of(request), request, job_id)
        except Exception:
            await self.store.finish(chat_id, job_id)
            raise
        try:  # the job on a replica before its update leaves the inbox
            await self.replication.confirm()
        except NotReplicated as e:  # it is queued on the master; redoing it would queue it twice
            log.warning("chat %s: job %s is not on a replica yet: %s", chat_id, job_id, e)
        log.info("chat %s: job %s queued with %d ahead", chat_id, job_id, ahead)
        await self._correct_position(bot, status, request, job_id, ahead)
        return True

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
