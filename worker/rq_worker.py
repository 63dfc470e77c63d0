"""`StylizeWorker`: RQ's non-forking worker, tuned so a lost worker's job runs again quickly.

Why not RQ's default `Worker`: it forks a work horse per job, and a CUDA context does not
survive a fork; the model is loaded once and lives in this process. Jobs run in the main
thread (so RQ's SIGALRM job timeout and warm shutdown on SIGTERM work as usual).

Recovering a job whose worker died (SIGKILL, a lost host) relies on RQ's StartedJobRegistry:
each running job has an entry that expires unless its worker renews it. RQ's SimpleWorker does
not renew it while a job runs, so its entries lived job timeout + 60 s; here a thread renews it
every `heartbeat_interval` seconds with a TTL of ``HEARTBEAT_MISSES`` intervals. Any worker's
maintenance (every `maintenance_interval`, also while idle, because the blocking dequeue wakes
up that often) hands an expired entry to RQ's abandoned-job path, which re-enqueues the job
when it has retries left. Worst case from the kill to the re-run: the TTL plus one maintenance
interval (15 s + 10 s by default). The delivery is idempotent, so the user gets one answer.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from redis.exceptions import RedisError
from rq.exceptions import AbandonedJobError
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.utils import now
from rq.worker import SimpleWorker, WorkerStatus

from worker import contract, runtime
from worker.failures import report_internal_error
from worker.runtime import JobScope, Runtime

log = logging.getLogger(__name__)
HEARTBEAT_MISSES = 3  # a running job is abandoned after this many heartbeat intervals of silence


class StylizeWorker(SimpleWorker):
    """Runs `contract.QUEUE_NAME` jobs, then `contract.CLIP_QUEUE_NAME` ones, in-process with
    the model of `runtime` (RQ takes from the first queue that has a job: stills first)."""

    log_result_lifespan = False  # jobs.py logs one line per job

    def __init__(
        self,
        rt: Runtime,
        *,
        name: str | None = None,
        heartbeat_interval: int = 5,
        maintenance_interval: int = 10,
        worker_ttl: int = 30,
    ) -> None:
        super().__init__(
            [contract.queue(rt.redis), contract.queue(rt.redis, clips=True)],
            name=name,
            connection=rt.redis,
            serializer=JSONSerializer,
            default_result_ttl=contract.RESULT_TTL,
            worker_ttl=worker_ttl,
            job_monitoring_interval=heartbeat_interval,
            maintenance_interval=maintenance_interval,
            log_job_description=False,  # the request names chats and keys
        )
        self.runtime = rt
        self._stills = self.queues[0]
        self.push_exc_handler(self._tell_user_if_abandoned)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up at least once per maintenance interval to look for
        # abandoned jobs (RQ's default blocks for worker_ttl - 15 s).
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return HEARTBEAT_MISSES * self.job_monitoring_interval

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._execute(job, queue)
        self.set_state(WorkerStatus.IDLE)

    def _execute(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        queued_s = (now() - job.enqueued_at).total_seconds() if job.enqueued_at else 0.0
        clip = queue.name == contract.CLIP_QUEUE_NAME
        between = functools.partial(self._stills_between_parts, job) if clip else (lambda: 0)
        scope = JobScope(self.runtime, job.id, max(0.0, queued_s), between)
        with self._heartbeats(job, execution), runtime.entered(scope):
            self.perform_job(job, queue, execution)

    def _stills_between_parts(self, clip: Job) -> int:
        """Run the picture jobs waiting now, inside the clip job `clip`; how many ran."""
        stills = self._stills
        if stills.count == 0:  # one LLEN: what a clip pays for this after each part
            return 0
        handler = signal.getsignal(signal.SIGALRM)
        left = signal.alarm(0)  # the clip's time limit, paused while the pictures run
        ran = 0
        started = time.monotonic()
        try:
            while True:
                found = self.queue_class.dequeue_any(
                    [stills], None, connection=self.connection, job_class=self.job_class,
                    serializer=self.serializer,
                )  # fmt: skip
                if found is None:
                    break
                job, queue = found
                self.log.info("job %s: run between two parts of clip %s", job.id, clip.id)
                self._execute(job, queue)
                ran += 1
        finally:
            signal.signal(signal.SIGALRM, handler)
            if left:
                signal.alarm(left)
            self.set_state(WorkerStatus.BUSY)
        log.debug(
            "clip %s waited %.2f s for %d pictures", clip.id, time.monotonic() - started, ran
        )
        return ran

    def handle_job_failure(
        self,
        job: Job,
        queue: Queue,
        started_job_registry: Any = None,
        exc_string: str = "",
        execution: Execution | None = None,
    ) -> None:
        final = self._stopped_job_id == job.id or not job.should_retry
        super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)
        if final:
            report_internal_error(job, self.runtime.publisher, self.runtime.metrics)

    def _tell_user_if_abandoned(
        self,
        job: Job,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        """RQ's exception handler: jobs that raise are handled in `handle_job_failure`; this
        catches those whose worker died, which RQ's maintenance reports as AbandonedJobError."""
        if exc_type is AbandonedJobError:
            if job.should_retry:
                self.log.warning(
                    "job %s: its worker was lost; enqueued again (%s retries left before this)",
                    job.id, job.retries_left,
                )  # fmt: skip
            else:
                report_internal_error(job, self.runtime.publisher, self.runtime.metrics)
        return True

    @contextmanager
    def _heartbeats(self, job: Job, execution: Execution) -> Iterator[None]:
        """Renew this worker's and the job's liveness from a thread while the job runs."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.job_monitoring_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except RedisError as exc:  # the next beat may get through; say so meanwhile
                    self.log.warning("job %s: heartbeat failed: %s", job.id, exc)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
