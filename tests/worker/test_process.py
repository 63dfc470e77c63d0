"""`python -m worker` as operators run it: start-up errors, health, SIGTERM, SIGKILL."""

from __future__ import annotations

import signal
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.worker import SimpleWorker

from model import openvino_engine
from tests.conftest import free_port
from tests.helpers import image_bytes, natural_image
from tests.worker.conftest import delivery_events
from tests.worker.processes import WorkerProcess, run_worker_command, wait_for
from worker import contract
from worker.contract import JobRequest, StyleRef


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str, **settings: str) -> WorkerProcess:
        started.append(WorkerProcess(tmp_path, name, **settings))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def registered(redis: Redis) -> set[str]:
    return {w.name for w in SimpleWorker.all(connection=redis, queue=contract.queue(redis))}


def enqueue_photo(redis: Redis, width: int, height: int, size: int) -> Job:
    redis.set("photo", image_bytes(natural_image(width, height, seed=1)))
    redis.set("style", image_bytes(natural_image(256, 256, seed=2)))
    request = JobRequest(1, "photo", (StyleRef("style"),), size=size, style_size=256)
    return contract.enqueue(contract.queue(redis), request)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"WEIGHTS_DIR": "{empty}"}, "python -m model.weights fetch"),
        ({"REDIS_URL": "redis://127.0.0.1:{closed}/0"}, "cannot reach Redis"),
        ({"DEVICE": "tpu"}, "DEVICE"),
        ({"CPU_ENGINE": "onnx"}, "CPU_ENGINE"),
        # a password with URL-special characters pasted into the URL instead of REDIS_PASSWORD
        ({"REDIS_URL": "redis://:p/a#s?s@w:rd%@127.0.0.1:{closed}/0"}, "REDIS_PASSWORD"),
    ],
    ids=[
        "missing-weights",
        "unreachable-redis",
        "invalid-device",
        "invalid-engine",
        "malformed-redis-url",
    ],  # fmt: skip
)
def test_start_up_problems_stop_the_worker_with_one_clear_line(
    redis_url: str, weights_dir: Path, tmp_path: Path, settings: dict[str, str], says: str
) -> None:
    env = {"REDIS_URL": redis_url, "WEIGHTS_DIR": str(weights_dir)}
    fill = {"empty": str(tmp_path), "closed": str(free_port())}
    env.update({k: v.format(**fill) for k, v in settings.items()})

    done = run_worker_command(**env)

    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr


def test_health_metrics_and_graceful_sigterm(
    redis_url: str, redis: Redis, weights_dir: Path, spawn: Callable[..., WorkerProcess]
) -> None:
    env = {"REDIS_URL": redis_url, "WEIGHTS_DIR": str(weights_dir)}
    dead = run_worker_command("health", **env)
    assert dead.returncode == 1 and "no worker" in dead.stderr

    port = free_port()
    worker = spawn("w-health", METRICS_PORT=str(port), **env)
    wait_for("the worker to register", lambda: "w-health" in registered(redis))
    alive = run_worker_command("health", **env)
    assert alive.returncode == 0, alive.stderr

    quick = enqueue_photo(redis, 96, 64, size=64)
    wait_for("the first delivery", lambda: len(delivery_events(redis)) == 1)
    scrape = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    assert b'adain_jobs_total{outcome="ok"} 1.0' in scrape
    assert b"adain_job_duration_seconds_count 1.0" in scrape
    assert b"adain_queue_depth 0.0" in scrape

    slow = enqueue_photo(redis, 640, 480, size=480)
    wait_for("the slow job to start", lambda: slow.get_status(refresh=True) == JobStatus.STARTED)
    worker.proc.send_signal(signal.SIGTERM)  # warm shutdown: the running job finishes first
    assert worker.proc.wait(timeout=120) == 0, worker.log
    assert slow.get_status(refresh=True) == JobStatus.FINISHED
    assert [e.job for e in delivery_events(redis)] == [quick.id, slow.id]

    gone = run_worker_command("health", **env)
    assert gone.returncode == 1 and "no worker" in gone.stderr
    # the fast path by default, on OpenVINO where it is installed
    assert (
        "(fast openvino " in worker.log if openvino_engine.available() else "(fast " in worker.log
    )


def test_fast_path_false_runs_the_plain_networks(
    redis_url: str, redis: Redis, weights_dir: Path, spawn: Callable[..., WorkerProcess]
) -> None:
    env = {"REDIS_URL": redis_url, "WEIGHTS_DIR": str(weights_dir), "FAST_PATH": "false"}
    worker = spawn("w-plain", **env)
    wait_for("the worker to register", lambda: "w-plain" in registered(redis))
    job = enqueue_photo(redis, 96, 64, size=64)
    wait_for("the delivery", lambda: len(delivery_events(redis)) == 1)
    assert delivery_events(redis)[0].job == job.id and delivery_events(redis)[0].width == 96
    assert "(plain float32)" in worker.log


def test_cpu_engine_torch_runs_the_pytorch_fast_path(
    redis_url: str, redis: Redis, weights_dir: Path, spawn: Callable[..., WorkerProcess]
) -> None:
    env = {"REDIS_URL": redis_url, "WEIGHTS_DIR": str(weights_dir), "CPU_ENGINE": "torch"}
    worker = spawn("w-torch", **env)
    wait_for("the worker to register", lambda: "w-torch" in registered(redis))
    job = enqueue_photo(redis, 96, 64, size=64)
    wait_for("the delivery", lambda: len(delivery_events(redis)) == 1)
    assert delivery_events(redis)[0].job == job.id and delivery_events(redis)[0].width == 96
    assert "(fast " in worker.log and "openvino" not in worker.log


def test_a_job_whose_worker_is_killed_completes_on_another_exactly_once(
    redis_url: str, redis: Redis, weights_dir: Path, spawn: Callable[..., WorkerProcess]
) -> None:
    env = {"REDIS_URL": redis_url, "WEIGHTS_DIR": str(weights_dir)}
    workers = {name: spawn(name, **env) for name in ("w-a", "w-b")}
    wait_for("both workers to register", lambda: registered(redis) == set(workers))

    job = enqueue_photo(redis, 1280, 960, size=960)  # a few seconds of CPU: time to kill
    wait_for("the job to start", lambda: job.get_status(refresh=True) == JobStatus.STARTED)
    job.refresh()
    victim = workers[job.worker_name]
    assert delivery_events(redis) == [], "the job ended before it could be killed"
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=10)

    def taken_over() -> bool:
        job.refresh()
        return job.worker_name != victim.name and job.get_status() != JobStatus.QUEUED

    restarted = wait_for("another worker to take the job", taken_over, timeout=90)
    finished = restarted + wait_for(
        "the job to finish",
        lambda: job.get_status(refresh=True) == JobStatus.FINISHED,
        timeout=120,
    )
    print(
        f"\nSIGKILL recovery: re-run {restarted:.1f} s, delivered {finished:.1f} s after the kill"
    )
    [event] = [e for e in delivery_events(redis) if e.job == job.id]
    assert event.error is None and redis.exists(event.result)
    assert len(delivery_events(redis)) == 1
