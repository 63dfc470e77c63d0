"""The contract between the bot (producer) and the workers (consumers), in one place.

This module imports no torch and nothing else of the worker: the bot imports it to build jobs
and read delivery events, the worker to run them. The model's bounds and refusal codes come
from ``model.limits``, which imports nothing heavy either.

Flow
----
1. The bot stores each input image's bytes under ``image_key(file_unique_id)`` with
   ``INPUT_TTL``; a style used twice is stored once.
2. The bot enqueues ``JOB_FUNC`` on ``QUEUE_NAME`` with RQ's JSON serializer through
   :func:`enqueue`, passing one keyword argument, ``request``: the dict of a :class:`JobRequest`.
   Nothing but JSON crosses Redis, so whoever can write to Redis cannot run code on workers.
3. The worker reads the bytes, stylizes, writes the encoded result under
   ``result_key(job_id)`` with ``RESULT_TTL``, and appends one :class:`DeliveryEvent` to
   ``DELIVERY_STREAM``. A user's mistake (not an image, too large, …) is a delivery event with
   an ``error`` code, not a failed job. At most one event is ever added per job id.
4. The bot's delivery loop reads the stream with the consumer group ``DELIVERY_GROUP``, sends
   the result, acknowledges the entry, and deletes the result bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from model.limits import MAX_STROKE, MIN_STROKE

QUEUE_NAME = "stylize"
JOB_FUNC = "worker.stylize_job.run"
# Clips run on their own queue; workers listen to QUEUE_NAME first, so stills never wait
# behind a clip.
CLIP_QUEUE_NAME = "stylize-clips"
CLIP_JOB_FUNC = "worker.clip_job.run"
DELIVERY_STREAM = "adain:deliveries"
DELIVERY_GROUP = "bot"

INPUT_TTL = 24 * 3600  # seconds the bot keeps input bytes: buttons re-run from them
RESULT_TTL = 3600  # seconds a result waits for the bot to deliver it
JOB_TIMEOUT = 300  # seconds one job may run before RQ gives up on it
CLIP_TIMEOUT_BASE = 120  # seconds a clip job may run: this plus CLIP_TIMEOUT_PER_SECOND each
CLIP_TIMEOUT_PER_SECOND = 40  # second of the clip (a CPU worker needs well under half that)
JOB_RETRIES = 2  # re-runs after a transient failure or a worker lost mid-job
DELIVERY_STREAM_MAXLEN = 100_000  # approximate cap, so an absent bot cannot fill Redis
PROGRESS_TTL = 3600  # seconds a clip's progress outlives its last write
DELIVERED_TTL = 2 * INPUT_TTL  # seconds delivered_key outlives its event: a re-run adds none


def image_key(file_unique_id: str) -> str:
    """Redis key of an input image's bytes, by Telegram's file_unique_id."""
    return f"adain:img:{file_unique_id}"


def progress_key(job_id: str) -> str:
    """Where a clip job's worker keeps its progress (JSON: done, total, eta_s) for the bot."""
    return f"adain:progress:{job_id}"


def result_key(job_id: str) -> str:
    """Redis key of a job's encoded result."""
    return f"adain:result:{job_id}"


def delivered_key(job_id: str) -> str:
    """Marker that a delivery event exists for this job (makes deliveries idempotent)."""
    return f"adain:delivered:{job_id}"


class ErrorCode(StrEnum):
    """Why a job made no picture; the bot turns each into a message in the user's language."""

    NOT_IMAGE = "not_image"  # the bytes are not a picture (or, for a clip, not a video)
    BROKEN = "broken"  # a picture that fails to decode (truncated upload, corrupt file)
    TOO_LARGE = "too_large"  # more pixels than the worker accepts, decompression bombs included
    TOO_SMALL = "too_small"  # a side below the minimum
    EXPIRED = "expired"  # the input bytes are gone from Redis (TTL passed)
    OUT_OF_MEMORY = "out_of_memory"  # still out of memory after a retry at a smaller size
    TOO_LONG = "too_long"  # a clip longer than the limit (or whose header claims so)
    NO_VIDEO = "no_video"  # a file with no video stream (sound only)
    UNSUPPORTED = "unsupported"  # a codec the worker cannot decode
    INTERNAL = "internal"  # anything else: the job failed for good after its retries


class OutputFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    MP4 = "mp4"  # clips: H.264 (and AAC for videos with sound)


class MediaKind(StrEnum):
    """What the content is, and so what kind of message the answer is."""

    PICTURE = "picture"  # a photo or an image file (ReplyContext.as_document tells which)
    ANIMATION = "animation"  # a GIF or a silent MP4: answered with an animation, no sound
    VIDEO = "video"  # answered with a video, its sound kept
    VIDEO_NOTE = "video_note"  # a round video message: answered with one (square, ≤ 640 px)

    @property
    def is_clip(self) -> bool:
        return self is not MediaKind.PICTURE


@dataclass(frozen=True)
class StyleRef:
    key: str  # Redis key of the style image's bytes
    weight: float = 1.0


@dataclass(frozen=True)
class ReplyContext:
    """How the bot answers a job: its own facts, which workers carry back untouched.

    Each lives here only: the delivery loop reads them from the event, never from elsewhere.
    """

    locale: str = "en"  # the language of the answer
    as_document: bool = False  # the picture came as a file: the result goes back as one
    reply_to: int = 0  # the message the answer replies to (a request in a group); 0: none
    user: int = 0  # in a group, the member who asked: only they may press its buttons
    inline_message_id: str = ""  # guest mode and inline: the message the result goes into

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplyContext:
        return cls(
            locale=str(data.get("locale", "en")),
            as_document=bool(data.get("as_document", False)),
            reply_to=int(data.get("reply_to") or 0),
            user=int(data.get("user") or 0),
            inline_message_id=str(data.get("inline_message_id") or ""),
        )


@dataclass(frozen=True)
class JobRequest:
    """Arguments of one stylization. Only JSON types, so RQ's JSON serializer carries it."""

    chat_id: int
    content_key: str
    styles: tuple[StyleRef, ...]
    alpha: float = 1.0
    preserve_color: bool = False
    size: int = 512  # shorter side of the output in pixels; 0 keeps the original resolution
    style_size: int = 512
    stroke: float = 1.0  # brush-stroke scale: the style is encoded at stroke × style_size
    output_format: OutputFormat = OutputFormat.JPEG
    media: MediaKind = MediaKind.PICTURE  # for clips: size is the frames' shorter side
    duration: float = 0.0  # clips: seconds, as Telegram reported them (sets the time limit)
    fps: int = 24  # clips: the highest frame rate of the result
    reply: ReplyContext = field(default_factory=ReplyContext)

    def __post_init__(self) -> None:
        if not self.styles:
            raise ValueError("a job needs at least one style")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {self.alpha}")
        if any(s.weight < 0 for s in self.styles) or sum(s.weight for s in self.styles) <= 0:
            raise ValueError("style weights must be non-negative and not all zero")
        if self.size < 0 or self.style_size < 0:
            raise ValueError("sizes must be 0 (original) or positive")
        if self.fps < 1 or self.duration < 0:
            raise ValueError("fps must be positive and duration not negative")
        if not MIN_STROKE <= self.stroke <= MAX_STROKE:
            raise ValueError(f"stroke must lie in [{MIN_STROKE}, {MAX_STROKE}], got {self.stroke}")
        if self.output_format not in tuple(OutputFormat):
            raise ValueError(f"output_format must be one of {[f.value for f in OutputFormat]}")
        # Accept plain strings too ("png"), and hold the members from here on.
        object.__setattr__(self, "output_format", OutputFormat(self.output_format))
        object.__setattr__(self, "media", MediaKind(self.media))

    @property
    def image_keys(self) -> tuple[str, ...]:
        """Redis keys of every input picture: the content, then each style."""
        return (self.content_key, *(s.key for s in self.styles))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["styles"] = [asdict(s) for s in self.styles]
        data["output_format"] = str(self.output_format)
        data["media"] = str(self.media)
        data["reply"] = self.reply.to_dict()
        json.dumps(data)  # refuse anything JSON cannot carry here, not on the worker
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRequest:
        fields = dict(data)
        fields["styles"] = tuple(StyleRef(**s) for s in fields["styles"])
        fields["output_format"] = OutputFormat(fields.get("output_format", "jpeg"))
        fields["media"] = MediaKind(fields.get("media", "picture"))
        fields["reply"] = ReplyContext.from_dict(fields.get("reply") or {})
        return cls(**fields)


@dataclass(frozen=True)
class ClipProgress:
    """How far a clip job is, under ``progress_key(job)``: the worker writes, the bot shows."""

    done: int  # frames made
    total: int  # frames in all
    eta_s: int | None = None  # seconds left; None until there is a rate to tell it by

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ClipProgress:
        data = json.loads(raw)
        eta = data.get("eta_s")
        return cls(
            done=int(data["done"]),
            total=int(data["total"]),
            eta_s=None if eta is None else int(eta),
        )


@dataclass(frozen=True)
class DeliveryEvent:
    """One entry of DELIVERY_STREAM: either a result key or an error code."""

    job: str
    chat: int
    result: str | None = None  # Redis key of the encoded image
    error: ErrorCode | None = None
    format: OutputFormat = OutputFormat.JPEG
    width: int = 0
    height: int = 0
    media: MediaKind = MediaKind.PICTURE  # what the worker made
    duration: float = 0.0  # clips: seconds of the result
    reply: ReplyContext = field(default_factory=ReplyContext)  # the request's, echoed back

    def to_fields(self) -> dict[str, str]:
        """Flat string fields, as a Redis Stream entry holds them."""
        return {
            "job": self.job,
            "chat": str(self.chat),
            "result": self.result or "",
            "error": self.error or "",
            "format": str(self.format),
            "width": str(self.width),
            "height": str(self.height),
            "media": str(self.media),
            "duration": str(self.duration),
            "reply": json.dumps(self.reply.to_dict()),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[bytes, bytes] | Mapping[str, str]) -> DeliveryEvent:
        """Parse a stream entry; an unknown error code reads as ``internal``."""
        f = {_text(k): _text(v) for k, v in fields.items()}
        error = f.get("error") or None
        return cls(
            job=f["job"],
            chat=int(f["chat"]),
            result=f.get("result") or None,
            error=None if error is None else _error_code(error),
            format=OutputFormat(f.get("format") or "jpeg"),
            width=int(f.get("width", 0)),
            height=int(f.get("height", 0)),
            media=MediaKind(f.get("media") or "picture"),
            duration=float(f.get("duration") or 0.0),
            reply=ReplyContext.from_dict(json.loads(f.get("reply") or "{}")),
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _error_code(value: str) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.INTERNAL


def queue(connection: Redis, *, clips: bool = False) -> Queue:
    """The stylize queue (or the clips' queue) with RQ's JSON serializer (the bot and workers
    must agree on it)."""
    name = CLIP_QUEUE_NAME if clips else QUEUE_NAME
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_timeout(request: JobRequest) -> int:
    """Seconds RQ lets the job run: fixed for pictures, by the clip's length for clips."""
    if not request.media.is_clip:
        return JOB_TIMEOUT
    return CLIP_TIMEOUT_BASE + int(CLIP_TIMEOUT_PER_SECOND * max(1.0, request.duration))


def enqueue(q: Queue, request: JobRequest, job_id: str | None = None) -> Job:
    """Enqueue one stylization exactly as workers expect it: by dotted path, JSON only.

    Transient failures (a Redis hiccup, a worker lost mid-job) are retried by RQ; a user's
    mistake never fails the job (it becomes a delivery event with an error code).
    """
    clip = request.media.is_clip
    expected = CLIP_QUEUE_NAME if clip else QUEUE_NAME
    if q.name != expected:
        raise ValueError(f"a {request.media} job belongs on queue {expected!r}, not {q.name!r}")
    return q.enqueue_call(
        CLIP_JOB_FUNC if clip else JOB_FUNC,
        kwargs={"request": request.to_dict()},
        timeout=job_timeout(request),
        result_ttl=RESULT_TTL,
        failure_ttl=7 * 24 * 3600,
        ttl=INPUT_TTL,
        job_id=job_id,
        retry=Retry(max=JOB_RETRIES, interval=0),
    )
