"""The whole service as an operator runs it, on this machine: a private redis-server,
``python -m bot`` and ``python -m worker`` processes (random weights, CPU), and the fake Bot API
in Telegram's place. Everything is configured through the documented environment variables.

Each process logs to a file under the stack's folder; :meth:`Stack.log_tails` is attached to
the report of a failed test. :meth:`Stack.close` ends every process it started, whatever
happened before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from redis import Redis
from rq.worker import SimpleWorker

from tests.bot.process import BotProcess, bot_env
from tests.conftest import RedisServer
from tests.fakes.bot_api import FakeBotAPI
from tests.sentinel import RedisGroup
from tests.worker.processes import WorkerProcess
from worker import contract

T = TypeVar("T")
# Small pictures keep CPU jobs to a fraction of a second; the bot passes these sizes on.
BOT_DEFAULTS = {"PHOTO_SIZE": "96", "STYLE_SIZE": "96", "LOG_LEVEL": "INFO"}
START_TIMEOUT = 90.0  # seconds for a process to come up on a busy 2-core machine
# Worker settings taken from the caller's environment (worker_env drops every other one), so
# that `CPU_ENGINE=torch pytest tests/e2e` runs the workers on the engine it names.
PASSED_THROUGH = ("CPU_ENGINE",)


class Stack:
    """Redis, the fake Telegram, one bot (restartable) and any number of workers."""

    def __init__(
        self,
        workdir: Path,
        weights_dir: Path,
        *,
        appendonly: bool = False,
        redis_password: str = "",
        sentinel: bool = False,
        **bot_settings: str,
    ) -> None:
        self.workdir = workdir
        self.weights_dir = weights_dir
        self.redis_server = RedisServer(
            workdir / "redis", appendonly=appendonly, password=redis_password
        )
        # With ``sentinel``: a master, a replica and three sentinels instead, and the processes
        # know only the sentinels.
        self.group = RedisGroup(workdir / "redis-group", redis_password) if sentinel else None
        self.api = FakeBotAPI()
        self.styles_dir = workdir / "styles"
        self.bot_settings = BOT_DEFAULTS | bot_settings
        self.bots: list[BotProcess] = []
        self.workers: dict[str, WorkerProcess] = {}
        self._expected_dead: set[int] = set()  # pids this test killed or stopped on purpose
        self._cleanup = contextlib.ExitStack()
        self.redis: Redis | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Stack:
        """Redis and the fake Bot API; processes are started by the test as it needs them."""
        self.styles_dir.mkdir(parents=True, exist_ok=True)
        if self.group is not None:
            self._cleanup.callback(self.group.stop)
            self.group.start()
            self.redis = self.group.client()
        else:
            self._cleanup.callback(self.redis_server.stop)  # also after a failed start
            self.redis_server.start()
            self.redis = Redis.from_url(self.redis_server.url)
        self._cleanup.callback(self.api.stop_thread)
        self.api.start_in_thread()
        self._cleanup.callback(self.redis.close)
        return self

    def close(self) -> None:
        """End every process (SIGKILL where still running), the fake API and Redis."""
        self._cleanup.close()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def redis_env(self) -> dict[str, str]:
        """Where the processes find Redis: ``REDIS_URL``, or the sentinels only."""
        if self.group is not None:
            return self.group.env
        return {"REDIS_URL": self.redis_server.url}

    @property
    def client(self) -> Redis:
        assert self.redis is not None, "the stack is not started"
        return self.redis

    # ---- the bot -------------------------------------------------------------------------

    @property
    def bot(self) -> BotProcess:
        return self.bots[-1]

    def start_bot(self, **settings: str) -> BotProcess:
        """A new ``python -m bot`` (``settings``: environment variables for this one); returns
        once it has started up (its command menu set)."""
        menus = len(self.api.calls("setMyCommands"))
        env = bot_env(
            self.api, "", self.styles_dir, **(self.redis_env | self.bot_settings | settings)
        )
        bot = BotProcess(env, self.workdir / f"bot-{len(self.bots) + 1}.log")
        self.bots.append(bot)
        self._cleanup.callback(bot.stop_if_running)
        # Default menu plus one per language: the dispatcher's start-up ran, polling follows.
        self.wait("the bot to start", lambda: len(self.api.calls("setMyCommands")) >= menus + 3,
                  timeout=START_TIMEOUT)  # fmt: skip
        return bot

    def terminate_bot(self) -> tuple[int, float]:
        """SIGTERM the running bot, as ``docker stop`` does; its exit status and how long it
        took to exit."""
        self._expected_dead.add(self.bot.proc.pid)
        started = time.monotonic()
        code = self.bot.terminate()
        return code, time.monotonic() - started

    def kill_bot(self, bot: BotProcess | None = None) -> None:
        """SIGKILL a bot (the last one started by default), as a crash or the OOM killer
        would."""
        bot = bot or self.bot
        self._expected_dead.add(bot.proc.pid)
        bot.kill()

    # ---- workers -------------------------------------------------------------------------

    def start_workers(self, *names: str, **settings: str) -> list[WorkerProcess]:
        """``python -m worker`` processes on CPU; returns once all are registered with RQ."""
        started = []
        for name in names:
            defaults = self.redis_env | {"WEIGHTS_DIR": str(self.weights_dir), "DEVICE": "cpu"}
            defaults |= {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
            worker = WorkerProcess(self.workdir, name, **(defaults | settings))
            self.workers[name] = worker
            self._cleanup.callback(worker.stop)
            started.append(worker)
        self.wait("the workers to register", lambda: set(names) <= self.registered_workers(),
                  timeout=START_TIMEOUT)  # fmt: skip
        return started

    def registered_workers(self) -> set[str]:
        return {w.name for w in SimpleWorker.all(connection=self.client)}

    def busy_worker(self) -> str | None:
        """Name of a live worker that is running a job right now."""
        for w in SimpleWorker.all(connection=self.client):
            if w.get_current_job_id() is not None and w.name in self.workers:
                return w.name
        return None

    def kill_worker(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, its job is left to the abandoned-job path."""
        worker = self.workers[name]
        self._expected_dead.add(worker.proc.pid)
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(timeout=10)

    # ---- Redis ---------------------------------------------------------------------------

    def stop_redis(self) -> None:
        """Redis goes away (SIGTERM to redis-server) until ``start_redis``."""
        self.redis_server.stop()

    def start_redis(self) -> None:
        """Redis back on the same port and folder (with ``appendonly``, its data too)."""
        self.redis_server.start()

    def restart_redis(self) -> None:
        """Stop redis-server (SIGTERM, as ``docker restart`` does) and start it again on the
        same port and folder; with ``appendonly`` it reloads its append-only file."""
        self.redis_server.stop()
        self.redis_server.start()

    def delivery_events(self) -> int:
        """Entries the workers have added to the delivery stream (delivered ones included)."""
        if not self.client.exists(contract.DELIVERY_STREAM):
            return 0
        return int(self.client.xinfo_stream(contract.DELIVERY_STREAM)["entries-added"])

    def all_delivered(self) -> bool:
        """Every delivery event was read by the bot and acknowledged, and no job waits."""
        client = self.client
        if not client.exists(contract.DELIVERY_STREAM) or contract.queue(client).count:
            return False
        last = client.xinfo_stream(contract.DELIVERY_STREAM)["last-generated-id"]
        for group in client.xinfo_groups(contract.DELIVERY_STREAM):
            if group["name"] == contract.DELIVERY_GROUP.encode():
                return not group["pending"] and group["last-delivered-id"] == last
        return False

    # ---- waiting and post-mortems --------------------------------------------------------

    def wait(self, what: str, predicate: Callable[[], T], timeout: float = 60.0) -> T:
        """Poll until ``predicate()`` is truthy; fail at once if a process died unasked."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            self.check_alive(what)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what}\n{self.api.transcript()}"
                )
            time.sleep(0.05)
        return result

    def check_alive(self, doing: str = "") -> None:
        """Every process the test did not end itself is still running."""
        procs = [(f"bot ({b.log_path.name})", b.proc) for b in self.bots]
        procs += [(f"worker {name}", w.proc) for name, w in self.workers.items()]
        for label, proc in procs:
            code = proc.poll()
            if code is not None and proc.pid not in self._expected_dead:
                while_ = f" while waiting for {doing}" if doing else ""
                raise AssertionError(f"{label} exited with status {code}{while_}")

    def log_tails(self, lines: int = 40) -> str:
        """The last lines of every process's log, for the report of a failed test."""
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {path.name} (last {len(tail)} lines) -----\n" + "\n".join(tail))
        return "\n".join(parts) or "(no process logs)"
