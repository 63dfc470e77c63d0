"""Prometheus metrics of one worker process, in a registry of its own.

A private `CollectorRegistry` (not the library's global one) keeps tests and several workers
in one process apart, and leaves out the default process collectors nobody asked for.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)


class Metrics:
    """The worker's counters, histograms and gauges (names below are as scraped)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.jobs = Counter(
            "adain_jobs", "Jobs ended, by outcome: ok, or the error code sent to the user",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.job_seconds = Histogram(
            "adain_job_duration_seconds", "Seconds one job ran, reading inputs to delivery",
            buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.queue_seconds = Histogram(
            "adain_job_queue_seconds", "Seconds a job waited in the queue before it started",
            buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "adain_queue_depth", "Jobs waiting in the stylize queue", registry=r
        )
        self.cache_hits = Counter(
            "adain_cache_hits", "Encoder passes skipped thanks to a cache", ["cache"], registry=r
        )
        self.cache_misses = Counter(
            "adain_cache_misses", "Encoder passes a cache could not save", ["cache"], registry=r
        )

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the queue depth at each scrape; NaN (and a warning) while Redis is away."""

        def read() -> float:
            try:
                return float(depth())
            except RedisError as exc:
                log.warning("queue depth unknown: %s", exc)
                return math.nan

        self.queue_depth.set_function(read)

    def value(self, name: str, **labels: str) -> float:
        """The current value of one sample (0 when it was never set), as a scrape shows it."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def serve(self, port: int) -> None:
        """Expose /metrics on `port` from a daemon thread."""
        start_http_server(port, registry=self.registry)
