"""What a job needs from the process that runs it, handed over without module globals.

The worker process builds one :class:`Runtime` at start (model loaded and warmed up, caches,
Redis client, metrics). Around each job, :class:`worker.rq_worker.StylizeWorker` enters a
:class:`JobScope` (the runtime plus the job's id and its wait in the queue); the job function,
which RQ calls with JSON arguments only, reads it with :func:`current`. Outside a worker (a
script calling the job function by hand, a test) :func:`entered` provides one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from redis import Redis

from worker.cached_stylizer import CachedStylizer
from worker.metrics import Metrics
from worker.publishing import ResultPublisher


@dataclass(frozen=True)
class Runtime:
    """Everything one worker process loads once and shares between its jobs."""

    stylizer: CachedStylizer
    redis: Redis
    publisher: ResultPublisher
    metrics: Metrics
    jpeg_quality: int = 92
    max_video_seconds: float = 15.0  # longer clips (by their file) get too_long


@dataclass(frozen=True)
class JobScope:
    """The runtime as one job sees it."""

    runtime: Runtime
    job_id: str
    queued_s: float = 0.0  # seconds between (re-)enqueueing and start
    # For a clip: runs the picture jobs waiting meanwhile, between two parts of the clip (the
    # worker's; a no-op outside one)
    between_parts: Callable[[], int] = lambda: 0


_scope: ContextVar[JobScope] = ContextVar("worker_job_scope")


def current() -> JobScope:
    """The scope of the job running now; RuntimeError outside a worker's job."""
    try:
        return _scope.get()
    except LookupError:
        raise RuntimeError(
            "no worker runtime: job functions run inside `python -m worker` "
            "(or within worker.runtime.entered(...))"
        ) from None


@contextmanager
def entered(scope: JobScope) -> Iterator[JobScope]:
    """Make `scope` the current one for the duration of the block."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
