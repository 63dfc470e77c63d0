"""What the bot keeps in Redis about its jobs: a record per job, one job in flight per chat."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from rq.job import Job

from bot.streams import DELETE_IF_HOLDS
from worker import contract
from worker.contract import JobRequest

log = logging.getLogger(__name__)

ACTIVE_JOBS = "adain:bot:active"  # set of job ids whose result the chat still waits for
JOB_KEY = "adain:bot:job:{}"  # by job id: the job's record (JSON), for the buttons and status
IN_FLIGHT_KEY = "adain:bot:inflight:{}"  # by chat (and member) id: the job it waits for
SENT_KEY = "adain:bot:sent:{}"  # by job id: its answer was sent (a repeated event sends none)
# A chat's in-flight marker outlives the longest a job can take; the status loop refreshes it
# while RQ still holds the job, so a long queue does not free the chat early.
IN_FLIGHT_TTL = contract.JOB_TIMEOUT * (contract.JOB_RETRIES + 1) + 300
SENT_TTL = 7 * 24 * 3600

# KEYS: the chat's in-flight marker. ARGV: the job, the marker's TTL, RQ's job key prefix.
# The chat is free, or held by a job RQ does not have: its enqueue was lost (a failover took
# the master before a replica had it) or it ended long ago; a held chat's job is always in RQ
# from its enqueue to its delivery, and a chat's submissions run one at a time.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
local holder = redis.call('GET', KEYS[1])
if holder and redis.call('EXISTS', ARGV[3] .. holder) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 2
end
return 0
"""


def in_flight_key(chat_id: int, user: int = 0) -> str:
    """A private chat's in-flight marker, or a group member's in that group."""
    return IN_FLIGHT_KEY.format(f"{chat_id}:{user}" if user else chat_id)


@dataclass(frozen=True)
class JobRecord:
    """The bot's record of one job: the request it enqueued (re-run from a button), and the
    status message that shows the job's progress until its answer replaces it.

    The chat, the language and file-or-photo are the request's, stored there only.
    """

    job_id: str
    request: JobRequest
    status_message_id: int | None = None

    def to_json(self) -> str:
        data = {"job_id": self.job_id, "request": self.request.to_dict()}
        return json.dumps(data | {"status_message_id": self.status_message_id})

    @classmethod
    def from_json(cls, raw: bytes | str) -> JobRecord:
        data = json.loads(raw)
        request = JobRequest.from_dict(data["request"])
        return cls(data["job_id"], request, data.get("status_message_id"))


class JobStore:
    """Job records, the set of jobs awaiting delivery, in-flight markers and sent markers."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._claim = redis.register_script(_CLAIM)

    async def save(self, record: JobRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(JOB_KEY.format(record.job_id), record.to_json(), ex=contract.INPUT_TTL)
            pipe.sadd(ACTIVE_JOBS, record.job_id)
            await pipe.execute()

    async def replace(self, record: JobRecord) -> None:
        """Rewrite a record that still exists (its lifetime unchanged)."""
        await self.redis.set(
            JOB_KEY.format(record.job_id), record.to_json(), xx=True, keepttl=True
        )

    async def load(self, job_id: str) -> JobRecord | None:
        """The record, or None when it expired (or cannot be read: then it is as good as gone)."""
        raw = await self.redis.get(JOB_KEY.format(job_id))
        if raw is None:
            return None
        try:
            return JobRecord.from_json(raw)
        except (KeyError, TypeError, ValueError) as e:
            log.warning("job %s: unreadable record ignored: %s", job_id, e)
            return None

    async def active(self) -> list[str]:
        members = await self.redis.smembers(ACTIVE_JOBS)
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)

    async def claim_chat(self, chat_id: int, job_id: str, user: int = 0) -> bool:
        """Mark the chat (in a group: the member ``user`` there) busy with this job; False
        when another job of theirs is already in flight."""
        prefix = Job.redis_job_namespace_prefix
        claimed = await self._claim(
            keys=[in_flight_key(chat_id, user)], args=[job_id, IN_FLIGHT_TTL, prefix]
        )
        if claimed == 2:
            log.warning("chat %s: its claim by a job RQ does not have is taken over", chat_id)
        return bool(claimed)

    async def keep_claim(self, chat_id: int, user: int = 0) -> None:
        await self.redis.expire(in_flight_key(chat_id, user), IN_FLIGHT_TTL)

    async def release_chat(self, chat_id: int, job_id: str, user: int = 0) -> None:
        """Free the chat (or the member), unless a newer job holds it by now."""
        await self.redis.eval(DELETE_IF_HOLDS, 1, in_flight_key(chat_id, user), job_id)

    async def finish(self, chat_id: int, job_id: str, user: int = 0) -> None:
        """The job's delivery is over: forget it as active and free its chat (or member)."""
        await self.redis.srem(ACTIVE_JOBS, job_id)
        await self.release_chat(chat_id, job_id, user)

    async def forget(self, job_id: str) -> None:
        """Stop following a job whose record expired (its chat's claim expires by itself)."""
        await self.redis.srem(ACTIVE_JOBS, job_id)

    async def mark_sent(self, job_id: str) -> None:
        await self.redis.set(SENT_KEY.format(job_id), 1, ex=SENT_TTL)

    async def was_sent(self, job_id: str) -> bool:
        return bool(await self.redis.exists(SENT_KEY.format(job_id)))
