"""`python -m worker`: build the worker from settings and run it; `python -m worker health`."""

from __future__ import annotations

import logging
import socket
import sys
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from redis import Redis
from redis.exceptions import RedisError

from model.device import resolve_device
from model.layout import WeightsError
from model.stylizer import Stylizer
from worker.cached_stylizer import CachedStylizer
from worker.delivery import Deliveries
from worker.health import check_health
from worker.metrics import Metrics
from worker.rq_worker import StylizeWorker
from worker.runtime import Runtime
from worker.settings import WorkerSettings

log = logging.getLogger("worker")


def main(argv: list[str]) -> int:
    if argv not in ([], ["health"]):
        print("usage: python -m worker [health]", file=sys.stderr)
        return 2
    try:
        settings = WorkerSettings()
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    except (ValidationError, ValueError) as exc:
        return _fail(f"invalid worker setting: {_first_line(exc)}")
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    where = _redacted(settings.redis_url)
    try:
        if argv == ["health"]:
            alive, why = check_health(redis, socket.gethostname(), settings.worker_ttl)
            print(why, file=sys.stdout if alive else sys.stderr)
            return 0 if alive else 1
        redis.ping()
    except RedisError as exc:
        return _fail(f"cannot reach Redis at {where}: {_first_line(exc)}")
    try:
        device = resolve_device(settings.device)
        model = Stylizer.from_dir(settings.weights_dir, device, max_pixels=settings.max_pixels)
    except (ValueError, WeightsError) as exc:
        return _fail(f"cannot load the model: {_first_line(exc)}")

    log.info("model loaded on %s; warming up", device)
    log.info("warm-up took %.2f s", model.warm_up())
    metrics = Metrics()
    cached = CachedStylizer(
        model, metrics, style_items=settings.style_cache_size,
        content_items=settings.content_cache_size,
        content_bytes=settings.content_cache_mb << 20,
    )  # fmt: skip
    rt = Runtime(cached, redis, Deliveries(redis), metrics, jpeg_quality=settings.jpeg_quality)
    worker = StylizeWorker(
        rt, name=settings.worker_name, heartbeat_interval=settings.heartbeat_interval,
        maintenance_interval=settings.maintenance_interval, worker_ttl=settings.worker_ttl,
    )  # fmt: skip
    stylize_queue = worker.queues[0]
    metrics.track_queue_depth(lambda: stylize_queue.count)
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
        log.info("metrics on port %d", settings.metrics_port)
    log.info("stylize worker %s on %s, Redis %s", worker.name, device, where)
    worker.work(logging_level=settings.log_level)
    return 0


def _fail(message: str) -> int:
    print(f"worker: {message}", file=sys.stderr)
    return 1


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _redacted(url: str) -> str:
    """The URL without its password, fit for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
