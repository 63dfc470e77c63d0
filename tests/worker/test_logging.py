"""The worker's log at INFO: RQ's routine maintenance lines stay out, everything else stays."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from worker.__main__ import quiet_maintenance


@pytest.fixture
def rq_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """RQ's worker logger at INFO, with the filter, writing to a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("rq.worker")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addFilter(quiet_maintenance)
    yield logger, out
    logger.removeFilter(quiet_maintenance)
    logger.removeHandler(handler)
    logger.setLevel(level)
    logger.propagate = propagate


def test_maintenance_lines_are_not_logged_at_info(
    rq_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = rq_log
    logger.info("Worker %s: cleaning registries for queue: %s", "w1", "stylize")
    logger.info("Worker %s: cleaning group registries", "w1")
    logger.info("Worker %s: started with PID %d, version %s", "w1", 1, "3.0.0")
    assert out.getvalue().splitlines() == ["Worker w1: started with PID 1, version 3.0.0"]


def test_maintenance_lines_show_at_debug(rq_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = rq_log
    logger.setLevel(logging.DEBUG)
    logger.info("Worker %s: cleaning registries for queue: %s", "w1", "stylize")
    assert "cleaning registries" in out.getvalue()
