"""Whatever goes wrong, the user hears back exactly once, and the worker goes on."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from torch import Tensor

from model.stylizer import Stats, Stylizer
from tests.helpers import image_bytes, natural_image
from tests.worker.conftest import delivery_events
from worker import contract
from worker.contract import JobRequest, StyleRef
from worker.rq_worker import StylizeWorker
from worker.runtime import Runtime


class FlakyStylizer(Stylizer):
    """Fails to render whenever the output would have more than `max_pixels_out` pixels."""

    def __init__(self, model: Stylizer, error: Exception, max_pixels_out: int = 0) -> None:
        super().__init__(model.encoder, model.decoder, model.device)
        self.error = error
        self.max_pixels_out = max_pixels_out
        self.renders = 0

    def render(
        self,
        content_feat: Tensor,
        stats: Sequence[Stats],
        weights: Sequence[float],
        alpha: float,
        size: tuple[int, int],
    ) -> Image.Image:
        self.renders += 1
        if size[0] * size[1] > self.max_pixels_out:
            raise self.error
        return super().render(content_feat, stats, weights, alpha, size)


def enqueue_photo(redis: Redis, size: int = 64) -> Job:
    redis.set("photo", image_bytes(natural_image(128, 96, seed=1)))
    request = JobRequest(9, "photo", (StyleRef("photo"),), size=size, style_size=size)
    return contract.enqueue(contract.queue(redis), request)


def test_a_job_that_keeps_failing_is_retried_then_the_user_hears_internal(
    redis: Redis,
    stylizer: Stylizer,
    make_runtime: Callable[..., Runtime],
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    broken = FlakyStylizer(stylizer, RuntimeError("a bug in the model code"))
    runtime = make_runtime(broken)
    job = enqueue_photo(redis)

    run_jobs(runtime)

    assert broken.renders == 1 + contract.JOB_RETRIES
    [event] = delivery_events(redis)
    assert (event.job, event.chat, event.error, event.result) == (job.id, 9, "internal", None)
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert runtime.metrics.value("adain_jobs_total", outcome="internal") == 1


def test_out_of_memory_retries_once_at_half_the_size(
    redis: Redis,
    stylizer: Stylizer,
    make_runtime: Callable[..., Runtime],
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    tight = FlakyStylizer(stylizer, torch.cuda.OutOfMemoryError("out of memory"), 64 * 64)
    enqueue_photo(redis, size=64)  # 85×64 does not fit, 43×32 does

    run_jobs(make_runtime(tight))

    [event] = delivery_events(redis)
    assert event.error is None and (event.width, event.height) == (43, 32)
    assert tight.renders == 2


def test_out_of_memory_at_the_smaller_size_too_tells_the_user(
    redis: Redis,
    stylizer: Stylizer,
    make_runtime: Callable[..., Runtime],
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    full = FlakyStylizer(stylizer, torch.cuda.OutOfMemoryError("out of memory"))
    job = enqueue_photo(redis)

    run_jobs(make_runtime(full))

    [event] = delivery_events(redis)
    assert event.error == "out_of_memory"
    assert job.get_status(refresh=True) == JobStatus.FINISHED  # handled, not retried by RQ


def test_a_job_abandoned_with_no_retries_left_tells_the_user_internal(
    redis: Redis,
    runtime: Runtime,
    run_jobs: Callable[[Runtime], StylizeWorker],
) -> None:
    job = enqueue_photo(redis)
    redis.hset(job.key, "retries_left", 0)  # its earlier tries were spent already
    lost = StylizeWorker(runtime, heartbeat_interval=1)  # abandoned after 3 silent seconds
    lost.register_birth()
    taken, queue = lost.dequeue_job_and_maintain_ttl(None) or (None, None)
    assert taken is not None and taken.id == job.id
    lost.prepare_execution(taken)
    lost.prepare_job_execution(taken, remove_from_intermediate_queue=True)
    # ... and here the worker dies: no heartbeat, no result.
    time.sleep(4.2)

    run_jobs(runtime)  # another worker's maintenance finds the job abandoned

    [event] = delivery_events(redis)
    assert (event.job, event.error) == (job.id, "internal")
    assert job.get_status(refresh=True) == JobStatus.FAILED


class SlowStylizer(Stylizer):
    """Renders after `seconds`, then looks for abandoned jobs as another worker would."""

    def __init__(self, model: Stylizer, seconds: float, redis: Redis) -> None:
        super().__init__(model.encoder, model.decoder, model.device)
        self.seconds = seconds
        self.redis = redis
        self.running_after_cleanup: list[str] = []

    def render(
        self,
        content_feat: Tensor,
        stats: Sequence[Stats],
        weights: Sequence[float],
        alpha: float,
        size: tuple[int, int],
    ) -> Image.Image:
        time.sleep(self.seconds)
        registry = contract.queue(self.redis).started_job_registry
        registry.cleanup()  # what any other worker's maintenance does meanwhile
        self.running_after_cleanup = registry.get_job_ids(cleanup=False)
        return super().render(content_feat, stats, weights, alpha, size)


def test_a_long_job_is_not_taken_for_abandoned_while_its_worker_lives(
    redis: Redis,
    stylizer: Stylizer,
    make_runtime: Callable[..., Runtime],
    run_jobs: Callable[..., StylizeWorker],
) -> None:
    slow = SlowStylizer(stylizer, seconds=4.5, redis=redis)  # longer than 3 heartbeats
    job = enqueue_photo(redis)

    run_jobs(make_runtime(slow), heartbeat_interval=1)

    assert slow.running_after_cleanup == [job.id]
    [event] = delivery_events(redis)
    assert event.job == job.id and event.error is None
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.retries_left == contract.JOB_RETRIES


class RunsCodeWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return os.mkdir, (str(self.marker),)


def test_a_pickled_job_is_never_unpickled_and_the_worker_goes_on(
    redis: Redis,
    runtime: Runtime,
    run_jobs: Callable[[Runtime], StylizeWorker],
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned"
    # Someone with write access to Redis enqueues with RQ's default (pickle) serializer.
    pickled = Queue(contract.QUEUE_NAME, connection=redis).enqueue_call(
        contract.JOB_FUNC, kwargs={"request": RunsCodeWhenUnpickled(marker)}
    )
    good = enqueue_photo(redis)

    run_jobs(runtime)

    assert not marker.exists()
    assert pickled.get_status(refresh=True) == JobStatus.FAILED
    [event] = delivery_events(redis)
    assert event.job == good.id and event.error is None
