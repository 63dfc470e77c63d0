"""The job function for clips (``contract.CLIP_JOB_FUNC``): animations, videos, video notes.

``run(request)`` follows the picture job's contract (``worker.stylize_job``): inputs read from
Redis by key, one delivery event per job (the MP4 under ``contract.result_key``, or an error
code), a user's mistake is an event and not a failed job. Clips differ in three ways:

* the content is a clip and ``request.media`` says which kind of message to make
  (``model.video``: frames at ``request.size`` on the shorter side, steady colours across the
  clip, the original sound kept for videos, square for video notes);
* while it runs, the job keeps its progress under ``contract.progress_key`` (frames done,
  frames in all, seconds left), which the bot's status message shows;
* RQ's time limit follows the clip's length (``contract.job_timeout``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import torch

from model.images import ImageError
from model.video.clip import estimate_seconds, stylize_clip
from model.video.probe import ClipError
from worker import contract, runtime
from worker.contract import DeliveryEvent, ErrorCode, JobRequest, OutputFormat
from worker.stylize_job import InputsExpired, read_inputs

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0  # seconds between progress writes
PROGRESS_TTL = 3600


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Stylize one clip and deliver it, or a user-facing error code."""
    scope = runtime.current()
    rt = scope.runtime
    req = JobRequest.from_dict(request)
    if rt.publisher.published(scope.job_id):
        log.info("job %s: already delivered by an earlier run; nothing to do", scope.job_id)
        return {"outcome": "duplicate", "delivered": False}

    started = time.perf_counter()
    progress = _ProgressWriter(rt, scope.job_id, scope.between_parts)
    error: ErrorCode | None = None
    payload: bytes | None = None
    event = DeliveryEvent(job=scope.job_id, chat=req.chat_id, reply=req.reply)
    try:
        content, styles = read_inputs(rt, req)
        progress.announce(req, rt.stylizer.device)  # "about N s" before the first frame
        clip = stylize_clip(
            rt.stylizer.stylizer, content, styles, kind=req.media.value, alpha=req.alpha,
            preserve_color=req.preserve_color, size=req.size, max_fps=req.fps,
            max_seconds=rt.max_video_seconds, style_size=req.style_size, stroke=req.stroke,
            progress=progress,
        )  # fmt: skip
        payload = clip.data
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, result=contract.result_key(scope.job_id),
            format=OutputFormat.MP4, width=clip.width, height=clip.height, media=req.media,
            duration=clip.duration, reply=req.reply,
        )  # fmt: skip
    except (ClipError, ImageError) as exc:  # the clip, or a style picture
        error = ErrorCode(exc.code)
    except InputsExpired:
        error = ErrorCode.EXPIRED
    if payload is None:
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, error=error, media=req.media, reply=req.reply
        )
    sent = rt.publisher.publish(event, payload)
    progress.clear()
    outcome = str(error or "ok")
    total_s = time.perf_counter() - started
    if sent:
        rt.metrics.jobs.labels(outcome).inc()
    rt.metrics.job_seconds.observe(total_s)
    rt.metrics.queue_seconds.observe(scope.queued_s)
    log.info(
        "job %s: %s clip %s%s, %dx%d, %.1f s, %.2f s in queue, %.2f s in all",
        scope.job_id, req.media, outcome, "" if sent else " (already delivered, dropped)",
        event.width, event.height, event.duration, scope.queued_s, total_s,
    )  # fmt: skip
    return {"outcome": outcome, "delivered": sent, "width": event.width, "height": event.height}


class _ProgressWriter:
    """``progress(done, total)`` for ``stylize_clip``: at most one Redis write a second."""

    def __init__(self, rt: runtime.Runtime, job_id: str, between_parts: Callable[[], int]) -> None:
        self.rt = rt
        self.between_parts = between_parts
        self.key = contract.progress_key(job_id)
        self.started = time.monotonic()
        self.written = 0.0

    def __call__(self, done: int, total: int) -> None:
        if done < total:  # pictures waiting run now; the clip's rate leaves their time out
            before = time.monotonic()
            if self.between_parts():
                self.started += time.monotonic() - before
        now = time.monotonic()
        if done < total and now - self.written < PROGRESS_EVERY:
            return
        self.written = now
        rate = done / max(1e-6, now - self.started)
        eta = (total - done) / rate if done else None
        value = {"done": done, "total": total, "eta_s": None if eta is None else round(eta)}
        self.rt.redis.set(self.key, json.dumps(value), ex=PROGRESS_TTL)

    def announce(self, req: JobRequest, device: torch.device) -> None:
        """A first estimate from the clip's length as Telegram reported it."""
        frames = max(1, round(min(req.duration, self.rt.max_video_seconds) * req.fps))
        side = req.size or 360
        eta = estimate_seconds(frames, side * 16 // 9, side, device)
        value = {"done": 0, "total": frames, "eta_s": round(eta)}
        self.rt.redis.set(self.key, json.dumps(value), ex=PROGRESS_TTL)

    def clear(self) -> None:
        self.rt.redis.delete(self.key)
