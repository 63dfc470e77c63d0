"""The last word to a user whose job failed for good: an ``internal`` delivery event.

Called by the worker when a job raised and has no retries left, and when RQ's maintenance
finds a job abandoned (its worker died) with no retries left. The event goes through the same
deliver-once script as results, so a job that had already delivered stays silent.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rq.exceptions import DeserializationError
from rq.job import Job

from worker.contract import DeliveryEvent
from worker.delivery import Deliveries
from worker.metrics import Metrics

log = logging.getLogger(__name__)


def report_internal_error(job: Job, deliveries: Deliveries, metrics: Metrics) -> bool:
    """Send the ``internal`` event for `job`; False when it cannot or need not be sent."""
    try:
        request: Any = job.kwargs.get("request")
        chat = int(request["chat_id"])
        extra = dict(request.get("extra") or {})
        output_format = str(request.get("output_format") or "jpeg")
    except (DeserializationError, AttributeError, KeyError, TypeError, ValueError) as exc:
        log.error("job %s failed for good and names no chat to tell (%s)", job.id, exc)
        return False
    event = DeliveryEvent(
        job=job.id, chat=chat, error="internal", format=output_format, extra=extra
    )
    try:
        sent = deliveries.send(event)
    except RedisError as exc:
        log.error("job %s failed for good; could not tell chat %s: %s", job.id, chat, exc)
        return False
    if sent:
        metrics.jobs.labels("internal").inc()
        log.warning("job %s failed for good; chat %s was sent the internal error", job.id, chat)
    return sent
