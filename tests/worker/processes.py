"""`python -m worker` as a real subprocess, configured by environment variables only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.lifetime import die_with_parent
from worker.config import WorkerConfig

REPO = Path(__file__).resolve().parents[2]


def worker_env(**settings: str) -> dict[str, str]:
    """This environment without any worker setting of the developer's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in WorkerConfig.model_fields}
    env.update(DEVICE="cpu", LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(settings)
    return env


def run_worker_command(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m worker ARGS` to its end (start-up errors, the health check)."""
    return subprocess.run(
        [sys.executable, "-m", "worker", *args], cwd=REPO, env=worker_env(**settings),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


class WorkerProcess:
    """A long-running `python -m worker`; its output goes to a log file for post-mortems."""

    def __init__(self, log_dir: Path, name: str, **settings: str) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "worker"], cwd=REPO, stdout=self._log,
            stderr=subprocess.STDOUT, env=worker_env(WORKER_NAME=name, **settings),
            preexec_fn=die_with_parent,
        )  # fmt: skip

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._log.close()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
    """Poll `check` until it holds; returns the seconds it took, fails the test after timeout."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - start
