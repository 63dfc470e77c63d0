"""The clip job (``contract.CLIP_JOB_FUNC``): animations, videos, video notes.

``run(request)`` follows the picture job's contract, around :mod:`worker.job`'s skeleton:
inputs read from Redis by key, one delivery event per job (the MP4 under
``contract.result_key``, or an error code), a user's mistake is an event and not a failed job.
Clips differ in three ways:

* the content is a clip and ``request.media`` says which kind of message to make
  (``model.video``: frames at ``request.size`` on the shorter side, steady colours across the
  clip, the original sound kept for videos, square for video notes);
* while it runs, the job keeps a :class:`~worker.contract.ClipProgress` under
  ``contract.progress_key`` (frames done, frames in all, seconds left), which the bot's status
  message shows, and runs the picture jobs waiting meanwhile between two parts of the clip;
* RQ's time limit follows the clip's length (``contract.job_timeout``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from model.video.clip import estimate_seconds, stylize_clip
from worker import contract, job, runtime
from worker.contract import ClipProgress, JobRequest, OutputFormat
from worker.runtime import JobScope

PROGRESS_EVERY = 1.0  # seconds between progress writes


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Stylize one clip and deliver it, or a user-facing error code."""
    return job.run(request, _clip, cleanup=_forget_progress)


def _clip(scope: JobScope, req: JobRequest, content: bytes, styles: job.Styles) -> job.Made:
    progress = _ProgressWriter(scope.runtime, scope.job_id, scope.between_parts)
    device = scope.runtime.stylizer.device
    progress.announce(req, device)  # "about N s" before the first frame
    clip = stylize_clip(
        scope.runtime.stylizer.stylizer, content, styles, kind=req.media.value,
        alpha=req.alpha, preserve_color=req.preserve_color, size=req.size, max_fps=req.fps,
        max_seconds=scope.runtime.max_video_seconds, style_size=req.style_size,
        stroke=req.stroke, progress=progress,
    )  # fmt: skip
    return job.Made(
        data=clip.data, format=OutputFormat.MP4, width=clip.width, height=clip.height,
        duration=clip.duration,
        detail=f"{clip.width}x{clip.height}, {clip.duration:.1f} s on {device}",
    )  # fmt: skip


def _forget_progress(scope: JobScope) -> None:
    scope.runtime.redis.delete(contract.progress_key(scope.job_id))


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
        eta = None if not done else round((total - done) / rate)
        self._write(ClipProgress(done=done, total=total, eta_s=eta))

    def announce(self, req: JobRequest, device: torch.device) -> None:
        """A first estimate from the clip's length as Telegram reported it."""
        frames = max(1, round(min(req.duration, self.rt.max_video_seconds) * req.fps))
        side = req.size or 360
        eta = estimate_seconds(frames, side * 16 // 9, side, device)
        self._write(ClipProgress(done=0, total=frames, eta_s=round(eta)))

    def _write(self, progress: ClipProgress) -> None:
        self.rt.redis.set(self.key, progress.to_json(), ex=contract.PROGRESS_TTL)
