"""The two RQ queues the bot submits to: stills, and clips, which workers take only when no
still waits."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq import Queue

from worker import contract
from worker.contract import JobRequest


@dataclass(frozen=True)
class Queues:
    stills: Queue
    clips: Queue

    @classmethod
    def on(cls, connection: Redis) -> Queues:
        return cls(contract.queue(connection), contract.queue(connection, clips=True))

    def of(self, request: JobRequest) -> Queue:
        return self.clips if request.media.is_clip else self.stills

    def waiting(self) -> int:
        """Jobs waiting in both queues (blocking: run in a thread)."""
        return int(self.stills.count) + int(self.clips.count)

    def ahead(self, request: JobRequest, job_id: str) -> int | None:
        """Jobs a worker takes before this one (stills go first); None when it no longer
        waits. Blocking: run in a thread."""
        position = self.of(request).get_job_position(job_id)
        if position is None:
            return None
        return position + (int(self.stills.count) if request.media.is_clip else 0)
