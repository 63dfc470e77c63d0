"""`python -m worker`: build the worker from its configuration and run it; `… health` checks it.

Start-up problems an operator can fix (a setting, the weights, Redis) end the process with one
line on stderr and exit status 1. The health check imports no torch: Docker runs it often.
"""

from __future__ import annotations

import logging
import socket
import sys

from pydantic import ValidationError
from redis import Redis
from redis.exceptions import RedisError

from redis_access.clients import check_reachable, follow_master_in_thread, sync_client
from worker.config import WorkerConfig
from worker.health import check_health

log = logging.getLogger("worker")


def main(argv: list[str]) -> int:
    if argv not in ([], ["health"]):
        print("usage: python -m worker [health]", file=sys.stderr)
        return 2
    try:
        settings = WorkerConfig()
        address = settings.redis_address()
        redis = sync_client(address, socket_connect_timeout=5)
    except (ValidationError, ValueError) as exc:
        return _fail(f"invalid worker setting: {_first_line(exc)}")
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("rq.worker").addFilter(quiet_maintenance)
    try:
        if argv == ["health"]:
            alive, why = check_health(redis, socket.gethostname(), settings.worker_ttl)
            print(why, file=sys.stdout if alive else sys.stderr)
            return 0 if alive else 1
        check_reachable(address)
    except RedisError as exc:
        return _fail(f"cannot reach {address.describe()}: {_first_line(exc)}")
    return _run(settings, redis)


def _run(settings: WorkerConfig, redis: Redis) -> int:
    # Imported here, not above: the health check must not pay for importing torch.
    from model.device import resolve_device
    from model.fast import FastConfig
    from model.images import DEFAULT_MAX_PIXELS
    from model.stylizer import Stylizer
    from model.weights.load import WeightsError
    from redis_access.replication import SyncReplication
    from worker.cached_stylizer import CachedStylizer
    from worker.metrics import Metrics
    from worker.publishing import ResultPublisher
    from worker.rq_worker import StylizeWorker
    from worker.runtime import Runtime

    try:
        device = resolve_device(settings.device)
        max_pixels = settings.max_pixels or DEFAULT_MAX_PIXELS
        engine = None if settings.cpu_engine == "auto" else settings.cpu_engine
        config = FastConfig.for_device(device, engine=engine if device.type == "cpu" else None)
        model = Stylizer.from_dir(
            settings.weights_dir, device, max_pixels, fast=settings.fast_path, fast_config=config
        )
    except (ValueError, WeightsError) as exc:
        return _fail(f"cannot load the model: {_first_line(exc)}")
    log.info("model loaded on %s (%s); warm-up took %.2f s", device, model.engine, model.warm_up())

    metrics = Metrics()
    cached = CachedStylizer(
        model, metrics, style_items=settings.style_cache_size,
        content_items=settings.content_cache_size,
        content_bytes=settings.content_cache_mb << 20,
    )  # fmt: skip
    replication = SyncReplication(redis, settings.redis_wait_replicas, settings.redis_wait_timeout)
    publisher = ResultPublisher(redis, replication)
    rt = Runtime(
        cached, redis, publisher, metrics, jpeg_quality=settings.jpeg_quality,
        max_video_seconds=settings.max_video_seconds,
    )  # fmt: skip
    worker = StylizeWorker(
        rt, name=settings.worker_name, heartbeat_interval=settings.heartbeat_interval,
        maintenance_interval=settings.maintenance_interval, worker_ttl=settings.worker_ttl,
    )  # fmt: skip
    queues = list(worker.queues)
    metrics.track_queue_depth(lambda: sum(q.count for q in queues))
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
        log.info("metrics on port %d", settings.metrics_port)
    log.info("worker %s on %s, %s", worker.name, device, settings.redis_address().describe())
    follow_master_in_thread(redis)  # with Sentinel: every connection straight to a new master
    worker.work(logging_level=settings.log_level)
    return 0


# RQ's lines for its routine maintenance (three every MAINTENANCE_INTERVAL seconds): DEBUG here.
MAINTENANCE_LINES = ("Worker %s: cleaning registries", "Worker %s: cleaning group registries")


def quiet_maintenance(record: logging.LogRecord) -> bool:
    """Log RQ's maintenance lines at DEBUG instead of INFO; every other line as it is."""
    if record.levelno == logging.INFO and str(record.msg).startswith(MAINTENANCE_LINES):
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
    return True


def _fail(message: str) -> int:
    print(f"worker: {message}", file=sys.stderr)
    return 1


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]).upper()
        message = str(err["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
