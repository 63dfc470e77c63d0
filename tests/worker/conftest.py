"""Worker fixtures: the model loaded once, a fresh runtime per test, jobs run in-process."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis

from model.stylizer import Stylizer
from worker import contract
from worker.cached_stylizer import CachedStylizer
from worker.contract import DeliveryEvent
from worker.metrics import Metrics
from worker.publishing import ResultPublisher
from worker.rq_worker import StylizeWorker
from worker.runtime import Runtime


@pytest.fixture(scope="session")
def stylizer(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, "cpu")


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_runtime(redis: Redis) -> Callable[..., Runtime]:
    """A runtime with empty caches and metrics of its own, around any stylizer."""

    def make(model: Stylizer, **cache_bounds: int) -> Runtime:
        metrics = Metrics()
        cached = CachedStylizer(model, metrics, **cache_bounds)
        return Runtime(cached, redis, ResultPublisher(redis), metrics)

    return make


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], stylizer: Stylizer) -> Runtime:
    return make_runtime(stylizer)


@pytest.fixture
def run_jobs() -> Iterator[Callable[..., StylizeWorker]]:
    """Run every queued job in this process (a burst worker), then return the worker."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run(rt: Runtime, **options: int) -> StylizeWorker:
        worker = StylizeWorker(rt, **options)  # type: ignore[arg-type]
        worker.work(burst=True, logging_level="WARNING")
        return worker

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def delivery_events(redis: Redis) -> list[DeliveryEvent]:
    """Every event on the delivery stream, oldest first, as the bot will read them."""
    return [DeliveryEvent.from_fields(f) for _, f in redis.xrange(contract.DELIVERY_STREAM)]
