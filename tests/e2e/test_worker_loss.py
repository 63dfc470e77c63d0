"""Scenario 3: the worker running a job is killed (SIGKILL); the other one delivers it, once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.e2e.conftest import Stacks
from tests.e2e.users import photo, queue_statuses, size_of

pytestmark = pytest.mark.e2e

RECOVERY_DEADLINE = 90.0  # s; docs/worker.md promises a re-run ~20 s after the kill


def test_job_of_a_killed_worker_is_delivered_once_by_the_other(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    # A large photo: the job runs for seconds on CPU, long enough to kill its worker mid-job.
    stack = make_stack(PHOTO_SIZE="768")
    stack.start_workers("worker-a", "worker-b")  # the documented default intervals
    stack.start_bot()
    api, chat = stack.api, 401
    api.send_photo(chat, photo(1152, 768, seed=21))
    api.send_photo(chat, photo(128, 128, seed=22))

    victim = stack.wait("a worker to start the job", stack.busy_worker)
    assert stack.delivery_events() == 0, "the job ended before its worker could be killed"
    stack.kill_worker(victim)
    killed = time.monotonic()

    [result] = stack.wait(
        "the result from the other worker", lambda: api.results(chat), timeout=RECOVERY_DEADLINE
    )
    recovered = time.monotonic() - killed
    assert result.is_photo and size_of(result.data) == (1152, 768)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    assert stack.delivery_events() == 1
    assert len(api.results(chat)) == 1, api.transcript()
    assert all(s.message.deleted for s in queue_statuses(api, chat))
    figure(
        f"worker SIGKILL mid-job ({victim}, default HEARTBEAT_INTERVAL 5 s, "
        f"MAINTENANCE_INTERVAL 10 s): result delivered {recovered:.1f} s after the kill"
    )
