"""The health check's verdicts, on workers registered in a real Redis."""

from __future__ import annotations

import socket
from datetime import timedelta

from redis import Redis
from rq.utils import now, utcformat

from worker.health import check_health
from worker.rq_worker import StylizeWorker
from worker.runtime import Runtime

HOST = socket.gethostname()


def test_health_needs_a_worker_of_this_host_with_a_recent_heartbeat(
    redis: Redis, runtime: Runtime
) -> None:
    assert check_health(redis, HOST, 30) == (
        False, f"no worker of host {HOST} is registered on queue stylize"
    )  # fmt: skip

    worker = StylizeWorker(runtime)
    worker.register_birth()
    alive, why = check_health(redis, HOST, 30)
    assert alive, why
    assert not check_health(redis, "another-host", 30)[0]

    redis.hset(worker.key, "last_heartbeat", utcformat(now() - timedelta(seconds=95)))
    alive, why = check_health(redis, HOST, 30)
    assert not alive and "last heartbeat 95 s ago" in why

    worker.register_death()
    assert not check_health(redis, HOST, 30)[0]
