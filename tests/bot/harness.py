"""The bot in-process against the fake Bot API and a real Redis, with the worker simulated.

The simulated worker does what ``worker/`` does through the contract, and no more: it takes
the RQ job (JSON), writes result bytes under ``contract.result_key`` and appends a
``DeliveryEvent`` to the delivery stream. No torch here.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.app import BotApp
from bot.config import BotConfig
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import SentMessage
from tests.helpers import image_bytes, natural_image
from worker import contract
from worker.contract import DeliveryEvent, ErrorCode, JobRequest, OutputFormat


def picture(width: int = 64, height: int = 48, seed: int = 0, fmt: str = "JPEG") -> bytes:
    return image_bytes(natural_image(width, height, seed=seed), fmt)


def write_presets(folder: Path) -> dict[str, bytes]:
    """Two preset styles in ``folder`` ("Starry night", "The scream") and a file that is none."""
    files = {"starry_night.jpg": picture(seed=7), "the-scream.png": picture(seed=8, fmt="PNG")}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not a style")
    return files


def preset_key(data: bytes) -> str:
    """Where the bot stores a preset's bytes (by content)."""
    return contract.image_key("preset-" + hashlib.sha256(data).hexdigest()[:32])


class BotHarness:
    """Start, stop and restart the bot; play the worker's part."""

    def __init__(self, api: FakeBotAPI, redis_url: str, styles_dir: Path, **settings: Any) -> None:
        self.api = api
        self.redis_url = redis_url
        self.styles_dir = styles_dir
        self.overrides = settings
        self.redis = redis.Redis.from_url(redis_url)
        self.queue = contract.queue(self.redis)
        self.clip_queue = contract.queue(self.redis, clips=True)
        self.app: BotApp | None = None
        self._task: asyncio.Task[None] | None = None

    def config(self) -> BotConfig:
        values: dict[str, Any] = {
            "bot_token": self.api.token,
            "redis_url": self.redis_url,
            "telegram_api_url": self.api.url,
            "styles_dir": self.styles_dir,
            "progress_interval": 0.1,
            "polling_timeout": 5,
        }
        return BotConfig(**(values | self.overrides))

    async def start(self) -> None:
        self.app = BotApp(self.config())
        self._task = asyncio.create_task(self.app.run(handle_signals=False))

    async def stop(self) -> None:
        """Stop the bot and wait for it; re-raises what ended its run (once)."""
        app, task = self.app, self._task
        self.app = self._task = None
        if app is None or task is None:
            return
        if not task.done():
            await app.stop()
        await task

    def run_ended(self) -> bool:
        """Whether the bot's run has ended on its own (an error it could not go on after)."""
        return self._task is not None and self._task.done()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # ---- the worker's part ------------------------------------------------------------

    def queued(self) -> list[tuple[str, dict[str, Any]]]:
        """(job id, request) of each job waiting in the stylize queue, oldest first, then in
        the clips' queue."""
        jobs = []
        for job_id in self.queue.job_ids + self.clip_queue.job_ids:
            job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
            assert job.func_name in (contract.JOB_FUNC, contract.CLIP_JOB_FUNC)
            assert set(job.kwargs) == {"request"}
            jobs.append((job_id, job.kwargs["request"]))
        return jobs

    async def next_job(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        """Wait for a queued job and take it off the queue, as a worker would."""
        jobs = await self.api.until(self.queued, timeout=timeout)
        job_id, request = jobs[0]
        self.queue.remove(job_id)
        self.clip_queue.remove(job_id)
        return job_id, request

    def take_job(self, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        """``next_job`` for sync tests (the fake Bot API running in its thread)."""
        jobs = self.api.wait_until(self.queued, timeout=timeout)
        job_id, request = jobs[0]
        self.queue.remove(job_id)
        self.clip_queue.remove(job_id)
        return job_id, request

    def start_job(self, job_id: str) -> None:
        Job(job_id, connection=self.redis).set_status(JobStatus.STARTED)

    def finish_job(
        self,
        job_id: str,
        request: dict[str, Any],
        image: bytes | None = None,
        *,
        error: str | None = None,
        fmt: str = "jpeg",
        size: tuple[int, int] = (64, 48),
    ) -> None:
        """Write the result (or an error code) and announce it on the delivery stream."""
        result = None
        if error is None:
            result = contract.result_key(job_id)
            self.redis.set(result, image or picture(*size), ex=contract.RESULT_TTL)
        job = JobRequest.from_dict(request)
        event = DeliveryEvent(
            job=job_id,
            chat=job.chat_id,
            result=result,
            error=None if error is None else ErrorCode(error),
            format=OutputFormat(fmt),
            width=size[0],
            height=size[1],
            media=job.media,  # as the worker's events carry it
            reply=job.reply,
        )
        self.redis.xadd(contract.DELIVERY_STREAM, event.to_fields())

    async def deliver_next(self, chat: int) -> tuple[dict[str, Any], SentMessage]:
        """Take the next job as a worker, deliver it, and return its request and the result
        the chat got for it."""
        before = len(self.api.results(chat))
        job_id, request = await self.next_job()
        self.finish_job(job_id, request)
        results = await self.api.until(
            lambda: len(self.api.results(chat)) > before and self.api.results(chat)
        )
        await self.api.until(self.all_delivered)
        return request, results[-1]

    async def first_result(self, chat: int) -> tuple[dict[str, Any], SentMessage]:
        """A photo and a style sent in a private chat, and the result delivered."""
        self.api.send_photo(chat, picture(seed=1))
        self.api.send_photo(chat, picture(seed=2))
        return await self.deliver_next(chat)

    def pending_deliveries(self) -> int:
        """Entries the bot read but has not acknowledged (XPENDING)."""
        info = self.redis.xpending(contract.DELIVERY_STREAM, contract.DELIVERY_GROUP)
        return int(info["pending"])

    def all_delivered(self) -> bool:
        """Every entry of the delivery stream was read by the bot and acknowledged."""
        stream = self.redis.xinfo_stream(contract.DELIVERY_STREAM)
        groups = self.redis.xinfo_groups(contract.DELIVERY_STREAM)
        [group] = [g for g in groups if g["name"] == contract.DELIVERY_GROUP.encode()]
        return group["last-delivered-id"] == stream["last-generated-id"] and not group["pending"]

    def close(self) -> None:
        self.redis.close()


_I18N = None


def text(message_id: str, locale: str = "en", **fields: Any) -> str:
    """The text a user sees for a message id of the locale files."""
    global _I18N
    if _I18N is None:
        from bot.i18n import load_i18n

        _I18N = load_i18n()
    return _I18N.gettext(message_id, locale=locale).format(**fields)
