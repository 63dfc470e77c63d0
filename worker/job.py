"""What every job does around making its bytes: the one skeleton of the picture and clip jobs.

:func:`run` takes the request's JSON dict and a function that makes the bytes
(``worker.stylize_job`` for pictures, ``worker.clip_job`` for clips) and does the rest, the
same for both:

* a job whose delivery event exists already (an earlier run delivered) does nothing;
* the inputs are read from Redis by key (:func:`read_inputs`); a missing key is ``expired``;
* a user's mistake (``model.limits.InputError``: a picture or clip the model refuses) becomes
  an event with its code, and so does running out of GPU memory; the job itself succeeds;
  anything else raises, so that RQ retries it (``worker.failures`` answers the last failure);
* exactly one :class:`~worker.contract.DeliveryEvent` is published (``worker.publishing``);
* the three metrics, one log line and a small JSON summary (RQ keeps it as the job's result).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import torch

from model.limits import InputError
from worker import contract, runtime
from worker.contract import DeliveryEvent, ErrorCode, JobRequest, OutputFormat

log = logging.getLogger(__name__)

Styles = list[tuple[bytes, float]]  # each style's bytes and weight


class InputsExpired(LookupError):
    """An input image's bytes are no longer in Redis."""


@dataclass(frozen=True)
class Made:
    """What a maker made: the bytes, what the event says of them, and words for the log."""

    data: bytes
    format: OutputFormat
    width: int
    height: int
    detail: str  # for the log line: "1024x768 on cpu", …
    duration: float = 0.0  # clips: seconds


# How one kind of job makes its bytes from the inputs; raising InputError for a user's mistake.
Make = Callable[[runtime.JobScope, JobRequest, bytes, Styles], Made]


def run(
    request: dict[str, Any], make: Make, cleanup: Callable[[runtime.JobScope], None] | None = None
) -> dict[str, Any]:
    """Make one request's bytes with `make` and deliver them, or a user-facing error code;
    `cleanup` runs once the event is published, whatever the outcome."""
    scope = runtime.current()
    rt = scope.runtime
    req = JobRequest.from_dict(request)
    if rt.publisher.published(scope.job_id):
        log.info("job %s: already delivered by an earlier run; nothing to do", scope.job_id)
        return {"outcome": "duplicate", "delivered": False}

    started = time.perf_counter()
    made: Made | None = None
    error: ErrorCode | None = None
    model_s = 0.0
    try:
        content, styles = read_inputs(rt, req)
        model_start = time.perf_counter()
        made = make(scope, req, content, styles)
        model_s = time.perf_counter() - model_start
    except InputError as exc:
        error = ErrorCode(exc.code)
    except InputsExpired:
        error = ErrorCode.EXPIRED
    except torch.cuda.OutOfMemoryError:
        error = ErrorCode.OUT_OF_MEMORY

    if made is not None:
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, result=contract.result_key(scope.job_id),
            format=made.format, width=made.width, height=made.height, media=req.media,
            duration=made.duration, reply=req.reply,
        )  # fmt: skip
    else:
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, error=error, format=req.output_format,
            media=req.media, reply=req.reply,
        )  # fmt: skip
    try:
        sent = rt.publisher.publish(event, None if made is None else made.data)
    finally:
        if cleanup is not None:
            cleanup(scope)
    outcome = str(error or "ok")
    total_s = time.perf_counter() - started
    if sent:
        rt.metrics.jobs.labels(outcome).inc()
    rt.metrics.job_seconds.observe(total_s)
    rt.metrics.queue_seconds.observe(scope.queued_s)
    log.info(
        "job %s: %s%s, %s of size %d, style size %d x%d -> %s, "
        "%.2f s in queue, %.2f s on the model, %.2f s in all",
        scope.job_id, outcome, "" if sent else " (already delivered, dropped)", req.media,
        req.size, req.style_size, len(req.styles), "nothing" if made is None else made.detail,
        scope.queued_s, model_s, total_s,
    )  # fmt: skip
    return {"outcome": outcome, "delivered": sent, "width": event.width, "height": event.height}


def read_inputs(rt: runtime.Runtime, req: JobRequest) -> tuple[bytes, Styles]:
    """The content's and the styles' bytes (with the styles' weights); InputsExpired when a
    key is gone."""
    keys = list(req.image_keys)
    # The client is built without decode_responses: values are bytes.
    values = cast("list[bytes | None]", rt.redis.mget(keys))
    missing = [k for k, v in zip(keys, values, strict=True) if v is None]
    if missing:
        raise InputsExpired(f"input bytes gone from Redis: {', '.join(missing)}")
    content, *styles = [v for v in values if v is not None]
    return content, [(data, s.weight) for data, s in zip(styles, req.styles, strict=True)]
