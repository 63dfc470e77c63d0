"""`python -m worker health`: is a worker of this host registered and recently alive?

Docker runs it as the container's health check. Alive means: a worker on the stylize queue
whose hostname is this host's and whose last heartbeat is at most `max_age_s` old. An idle
worker beats at least every maintenance interval, a busy one every heartbeat interval.
"""

from __future__ import annotations

from redis import Redis
from rq.utils import now
from rq.worker import SimpleWorker

from worker import contract


def check_health(redis: Redis, hostname: str, max_age_s: float) -> tuple[bool, str]:
    """(alive, a one-line explanation); raises redis' errors when Redis cannot be reached."""
    workers = [
        w
        for w in SimpleWorker.all(connection=redis, queue=contract.queue(redis))
        if w.hostname == hostname
    ]
    if not workers:
        return False, f"no worker of host {hostname} is registered on queue {contract.QUEUE_NAME}"
    ages = sorted((now() - w.last_heartbeat).total_seconds() for w in workers if w.last_heartbeat)
    if ages and ages[0] <= max_age_s:
        return True, f"worker alive on {hostname}: last heartbeat {ages[0]:.0f} s ago"
    last = f"{ages[0]:.0f} s ago" if ages else "never"
    return False, (
        f"the worker of host {hostname} is not alive: last heartbeat {last}, "
        f"more than {max_age_s:.0f} s"
    )
