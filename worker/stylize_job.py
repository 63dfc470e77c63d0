"""The picture job that RQ runs by dotted path (``contract.JOB_FUNC``).

``run(request)`` — the whole job contract, around :mod:`worker.job`'s skeleton:

* Argument: ``request``, the JSON dict of a :class:`worker.contract.JobRequest` (chat id, the
  Redis keys of the content bytes and of one or more style images with weights, alpha,
  preserve-colour, output and style sizes, output format, and the bot's ``reply`` context).
* The result (JPEG at the runtime's quality, or PNG when asked) goes under
  ``contract.result_key(job_id)`` with ``contract.RESULT_TTL``, with exactly one delivery
  event; a missing input is ``expired``, a picture the model refuses (``not_image``,
  ``broken``, ``too_large``, ``too_small``) an event with that code.
* Out of GPU memory retries once at half the size (512 for size 0), then sends
  ``out_of_memory``.

The loaded model, caches and Redis client come from :func:`worker.runtime.current`.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import torch
from PIL import Image

from model.limits import MIN_SIDE
from worker import job
from worker.cached_stylizer import CachedStylizer
from worker.contract import JobRequest, OutputFormat
from worker.runtime import JobScope

log = logging.getLogger(__name__)

OOM_FALLBACK_SIZE = 512  # the retry size after running out of memory at the original size


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Stylize one picture and deliver the result or a user-facing error code."""
    return job.run(request, _picture)


def _picture(scope: JobScope, req: JobRequest, content: bytes, styles: job.Styles) -> job.Made:
    image, size = _render(scope.runtime.stylizer, req, content, styles, scope.job_id)
    smaller = "" if size == req.size else f" at size {size}"
    data = encode(image, req.output_format, scope.runtime.jpeg_quality)
    return job.Made(
        data=data, format=req.output_format, width=image.width, height=image.height,
        detail=f"{image.width}x{image.height}{smaller} on {scope.runtime.stylizer.device}",
    )  # fmt: skip


def _render(
    stylizer: CachedStylizer, req: JobRequest, content: bytes, styles: job.Styles, job_id: str
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
    styles: job.Styles,
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
