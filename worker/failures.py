"""The last word to a user whose job failed for good: an ``internal`` delivery event.

Called by the worker when a job raised and has no retries left, and when RQ's maintenance
finds a job abandoned (its worker died) with no retries left. The event goes through the same
deliver-once script as results, so a job that had already delivered stays silent.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq.exceptions import DeserializationError
from rq.job import Job

from worker.contract import DeliveryEvent, ErrorCode, JobRequest
from worker.metrics import Metrics
from worker.publishing import ResultPublisher

log = logging.getLogger(__name__)


def report_internal_error(job: Job, publisher: ResultPublisher, metrics: Metrics) -> bool:
    """Send the ``internal`` event for `job`; False when it cannot or need not be sent."""
    try:
        request = JobRequest.from_dict(job.kwargs["request"])
    except (DeserializationError, AttributeError, KeyError, TypeError, ValueError) as exc:
        log.error("job %s failed for good and names no chat to tell (%s)", job.id, exc)
        return False
    chat = request.chat_id
    event = DeliveryEvent(
        job=job.id, chat=chat, error=ErrorCode.INTERNAL, format=request.output_format,
        reply=request.reply,
    )  # fmt: skip
    try:
        sent = publisher.publish(event)
    except RedisError as exc:
        log.error("job %s failed for good; could not tell chat %s: %s", job.id, chat, exc)
        return False
    if sent:
        metrics.jobs.labels(ErrorCode.INTERNAL).inc()
        log.warning("job %s failed for good; chat %s was sent the internal error", job.id, chat)
    return sent
