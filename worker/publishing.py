"""Handing results to the bot: the result bytes and one event on the delivery stream.

A job can run twice (its worker was lost after delivering, a retry after a late failure), yet
the user must get one answer. So the marker ``contract.delivered_key(job)``, the result bytes
and the stream entry are written by one Lua script, which Redis runs atomically: the first
run of a job sets the marker and adds the event; any later run finds the marker and adds
nothing.

Where Redis has replicas, a new event is confirmed by one (``redis_access/replication.py``) before
the job counts as done, so that a failover right after does not lose the answer.
"""

from __future__ import annotations

import logging

from redis import Redis

from redis_access.replication import NotReplicated, SyncReplication
from worker import contract
from worker.contract import DeliveryEvent

log = logging.getLogger(__name__)

# KEYS: delivered marker, stream, result key. ARGV: marker TTL, "1" when a result is written,
# result bytes, result TTL, stream MAXLEN, then the event's field/value pairs.
_DELIVER_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, 6))
"""


class ResultPublisher:
    """Writes delivery events to `contract.DELIVERY_STREAM`, at most one per job id."""

    def __init__(self, redis: Redis, replication: SyncReplication | None = None) -> None:
        self.redis = redis
        self.replication = replication or SyncReplication(redis)
        self._deliver_once = redis.register_script(_DELIVER_ONCE)

    def published(self, job_id: str) -> bool:
        """Whether an event for this job is already on the stream."""
        return bool(self.redis.exists(contract.delivered_key(job_id)))

    def publish(self, event: DeliveryEvent, payload: bytes | None = None) -> bool:
        """Add `event` (and store `payload` under its result key); False if already delivered."""
        if (payload is None) != (event.result is None):
            raise ValueError("an event names a result key exactly when it carries bytes")
        fields = [x for pair in event.to_fields().items() for x in pair]
        entry = self._deliver_once(
            keys=[
                contract.delivered_key(event.job),
                contract.DELIVERY_STREAM,
                event.result or contract.result_key(event.job),
            ],
            args=[
                contract.DELIVERED_TTL,
                "1" if payload is not None else "0",
                payload or b"",
                contract.RESULT_TTL,
                contract.DELIVERY_STREAM_MAXLEN,
                *fields,
            ],
        )
        try:
            self.replication.confirm()
        except NotReplicated as e:  # it is on the master; a re-run would change nothing
            log.warning("job %s: its answer is not on a replica yet: %s", event.job, e)
        return entry is not None
