"""The job function that RQ runs by dotted path (``contract.JOB_FUNC``).

``run(request)`` — the whole job contract:

* Argument: ``request``, the JSON dict of a :class:`worker.contract.JobRequest` (chat id, the
  Redis keys of the content bytes and of one or more style images with weights, alpha,
  preserve-colour, output and style sizes, output format, and the bot's ``reply`` context).
* Inputs are read from Redis by key. A missing key (TTL passed) is the error ``expired``.
* The result (JPEG at the runtime's quality, or PNG when asked) goes under
  ``contract.result_key(job_id)`` with ``contract.RESULT_TTL``, and exactly one
  :class:`~worker.contract.DeliveryEvent` goes to ``contract.DELIVERY_STREAM``, echoing the
  ``reply`` context untouched. A re-run of a job whose event exists adds nothing (see
  :mod:`worker.publishing`).
* A user's mistake (``model.ImageError``: not_image, broken, too_large, too_small) becomes an
  event with that code; the job itself succeeds. Out of GPU memory retries once at half the
  size (512 for size 0), then sends ``out_of_memory``.
* Anything else raises, so RQ retries the job (``contract.JOB_RETRIES``); when the last try
  fails, the worker sends ``internal`` (:mod:`worker.failures`). The user always hears back.
* Returns a small JSON summary (kept by RQ as the job's result, for operators).

The loaded model, caches and Redis client come from :func:`worker.runtime.current`.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any, cast

import torch
from PIL import Image

from model.images import MIN_SIDE, ImageError
from worker import contract, runtime
from worker.cached_stylizer import CachedStylizer
from worker.contract import DeliveryEvent, ErrorCode, JobRequest, OutputFormat

log = logging.getLogger(__name__)

OOM_FALLBACK_SIZE = 512  # the retry size after running out of memory at the original size


class InputsExpired(LookupError):
    """An input image's bytes are no longer in Redis."""


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Stylize one request and deliver the result or a user-facing error code."""
    scope = runtime.current()
    rt = scope.runtime
    req = JobRequest.from_dict(request)
    if rt.publisher.published(scope.job_id):
        log.info("job %s: already delivered by an earlier run; nothing to do", scope.job_id)
        return {"outcome": "duplicate", "delivered": False}

    started = time.perf_counter()
    image: Image.Image | None = None
    error: ErrorCode | None = None
    model_s = 0.0
    size = req.size
    try:
        content, styles = read_inputs(rt, req)
        model_start = time.perf_counter()
        image, size = _render(rt.stylizer, req, content, styles, scope.job_id)
        model_s = time.perf_counter() - model_start
    except ImageError as exc:
        error = ErrorCode(exc.code)
    except InputsExpired:
        error = ErrorCode.EXPIRED
    except torch.cuda.OutOfMemoryError:
        error = ErrorCode.OUT_OF_MEMORY

    payload: bytes | None = None
    if image is not None:
        payload = encode(image, req.output_format, rt.jpeg_quality)
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, result=contract.result_key(scope.job_id),
            format=req.output_format, width=image.width, height=image.height, reply=req.reply,
        )  # fmt: skip
    else:
        event = DeliveryEvent(
            job=scope.job_id, chat=req.chat_id, error=error, format=req.output_format,
            reply=req.reply,
        )  # fmt: skip
    sent = rt.publisher.publish(event, payload)
    outcome = str(error or "ok")
    total_s = time.perf_counter() - started
    if sent:
        rt.metrics.jobs.labels(outcome).inc()
    rt.metrics.job_seconds.observe(total_s)
    rt.metrics.queue_seconds.observe(scope.queued_s)
    made = f"{image.width}x{image.height}" if image is not None else "no image"
    log.info(
        "job %s: %s%s, size %d, style size %d x%d -> %s on %s, "
        "%.2f s in queue, %.2f s on the model, %.2f s in all",
        scope.job_id, outcome, "" if sent else " (already delivered, dropped)", size,
        req.style_size, len(req.styles), made, rt.stylizer.device, scope.queued_s, model_s,
        total_s,
    )  # fmt: skip
    return {"outcome": outcome, "delivered": sent, "width": event.width, "height": event.height}


def read_inputs(rt: runtime.Runtime, req: JobRequest) -> tuple[bytes, list[tuple[bytes, float]]]:
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


def _render(
    stylizer: CachedStylizer,
    req: JobRequest,
    content: bytes,
    styles: list[tuple[bytes, float]],
    job_id: str,
) -> tuple[Image.Image, int]:
    """The stylized image and the size it was made at; one retry smaller when out of memory."""
    size, style_size = req.size, req.style_size
    try:
        return _run(stylizer, req, content, styles, size, style_size), size
    except torch.cuda.OutOfMemoryError:
        smaller, style_smaller = _smaller(size), _smaller(style_size)
        log.warning(
            "job %s: out of memory at size %d (style %d); trying once at %d (style %d)",
            job_id, size, style_size, smaller, style_smaller,
        )  # fmt: skip
        stylizer.clear()  # cached features hold device memory
        if stylizer.device.type == "cuda":
            torch.cuda.empty_cache()
        return _run(stylizer, req, content, styles, smaller, style_smaller), smaller


def _run(
    stylizer: CachedStylizer,
    req: JobRequest,
    content: bytes,
    styles: list[tuple[bytes, float]],
    size: int,
    style_size: int,
) -> Image.Image:
    return stylizer.stylize(
        content, styles, alpha=req.alpha, preserve_color=req.preserve_color,
        size=size, style_size=style_size, stroke=req.stroke,
    )  # fmt: skip


def _smaller(size: int) -> int:
    return OOM_FALLBACK_SIZE if size == 0 else max(MIN_SIDE, size // 2)


def encode(image: Image.Image, output_format: OutputFormat, jpeg_quality: int = 92) -> bytes:
    """The image as JPEG (at `jpeg_quality`) or PNG bytes."""
    buf = io.BytesIO()
    if output_format is OutputFormat.PNG:
        image.save(buf, format="PNG")
    else:
        image.save(buf, format="JPEG", quality=jpeg_quality, optimize=True)
    return buf.getvalue()
