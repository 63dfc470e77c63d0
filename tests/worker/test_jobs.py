"""Jobs enqueued as the bot enqueues them, run by the worker in this process."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image
from redis import Redis
from rq.job import Job, JobStatus

from model.images import resized_shape
from tests.helpers import image_bytes, natural_image
from tests.worker.conftest import delivery_events
from worker import contract, stylize_job
from worker.contract import JobRequest, ReplyContext, StyleRef
from worker.rq_worker import StylizeWorker
from worker.runtime import JobScope, Runtime, entered


def put(redis: Redis, name: str, data: bytes) -> str:
    """Store input bytes the way the bot does; returns the key."""
    key = contract.image_key(name)
    redis.set(key, data, ex=contract.INPUT_TTL)
    return key


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header declares width×height pixels (and holds almost no data)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_job_enqueued_as_the_bot_does_delivers_an_image_of_the_expected_size(
    redis: Redis, runtime: Runtime, run_jobs: Callable[[Runtime], StylizeWorker]
) -> None:
    content = put(redis, "content", image_bytes(natural_image(120, 90, seed=1)))
    style = put(redis, "style", image_bytes(natural_image(80, 100, seed=2)))
    request = JobRequest(
        chat_id=42, content_key=content, styles=(StyleRef(style),), size=64, style_size=64,
        reply=ReplyContext(locale="ru", as_document=True),
    )  # fmt: skip
    job = contract.enqueue(contract.queue(redis), request)

    run_jobs(runtime)

    [event] = delivery_events(redis)
    assert (event.job, event.chat, event.error) == (job.id, 42, None)
    assert event.result == contract.result_key(job.id)
    assert event.reply == request.reply  # echoed back untouched
    image = Image.open(io.BytesIO(redis.get(event.result)))
    assert image.format == "JPEG"
    assert image.size == resized_shape(120, 90, 64) == (event.width, event.height)
    assert 0 < redis.ttl(event.result) <= contract.RESULT_TTL
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_mix_of_styles_with_preserved_colors_comes_back_as_png(
    redis: Redis, runtime: Runtime, run_jobs: Callable[[Runtime], StylizeWorker]
) -> None:
    content = put(redis, "content", image_bytes(natural_image(64, 96, seed=1), "PNG"))
    first = put(redis, "first", image_bytes(natural_image(80, 80, seed=2)))
    second = put(redis, "second", image_bytes(natural_image(70, 90, seed=3)))
    request = JobRequest(
        chat_id=1, content_key=content, styles=(StyleRef(first, 2.0), StyleRef(second, 1.0)),
        alpha=0.6, preserve_color=True, size=0, style_size=64, output_format="png",
    )  # fmt: skip
    contract.enqueue(contract.queue(redis), request)

    run_jobs(runtime)

    [event] = delivery_events(redis)
    image = Image.open(io.BytesIO(redis.get(event.result)))
    assert (image.format, image.size, event.format) == ("PNG", (64, 96), "png")


def test_bad_inputs_each_get_one_error_event_and_the_worker_goes_on(
    redis: Redis, runtime: Runtime, run_jobs: Callable[[Runtime], StylizeWorker]
) -> None:
    style = put(redis, "style", image_bytes(natural_image(64, 64, seed=2)))
    photo = image_bytes(natural_image(160, 120, seed=1))
    cases = {
        "not_image": put(redis, "text", b"this is a shopping list, not a picture\n" * 20),
        "broken": put(redis, "truncated", photo[: len(photo) // 2]),
        "too_large": put(redis, "bomb", png_bomb()),
        "too_small": put(redis, "dot", image_bytes(Image.new("RGB", (1, 1)), "PNG")),
        "expired": contract.image_key("gone-long-ago"),
    }
    ok = put(redis, "ok", photo)
    q = contract.queue(redis)

    def enqueue(content_key: str, style_key: str) -> Job:
        request = JobRequest(5, content_key, (StyleRef(style_key),), size=64, style_size=64)
        return contract.enqueue(q, request)

    bad = {code: enqueue(key, style) for code, key in cases.items()}
    bad_style = enqueue(ok, cases["not_image"])
    good = enqueue(ok, style)

    run_jobs(runtime)

    by_job = {e.job: e for e in delivery_events(redis)}
    assert len(by_job) == len(delivery_events(redis)) == len(cases) + 2
    assert {code: by_job[job.id].error for code, job in bad.items()} == {c: c for c in cases}
    assert all(by_job[job.id].result is None for job in bad.values())
    assert by_job[bad_style.id].error == "not_image"
    assert by_job[good.id].error is None and redis.exists(by_job[good.id].result)
    for job in [*bad.values(), bad_style, good]:  # a user's mistake is not a failed job
        assert Job.fetch(job.id, connection=redis).get_status() == JobStatus.FINISHED
    assert runtime.metrics.value("adain_jobs_total", outcome="too_large") == 1
    assert runtime.metrics.value("adain_jobs_total", outcome="ok") == 1


def test_a_job_run_twice_delivers_once(redis: Redis, runtime: Runtime) -> None:
    content = put(redis, "content", image_bytes(natural_image(64, 64, seed=1)))
    request = JobRequest(
        chat_id=3, content_key=content, styles=(StyleRef(content),), size=32, style_size=32
    )

    with entered(JobScope(runtime, "job-1")):
        first = stylize_job.run(request.to_dict())
        second = stylize_job.run(request.to_dict())

    assert first["delivered"] and not second["delivered"]
    [event] = delivery_events(redis)
    assert event.job == "job-1" and event.result


def test_the_job_function_outside_a_worker_says_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match="python -m worker"):
        stylize_job.run({})
