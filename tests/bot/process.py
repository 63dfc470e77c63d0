"""``python -m bot`` as a real subprocess, configured only through environment variables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.bot_api import FakeBotAPI
from tests.lifetime import die_with_parent

REPO = Path(__file__).parents[2]


def bot_env(api: FakeBotAPI, redis_url: str, styles_dir: Path, **extra: str) -> dict[str, str]:
    """The bot's environment: ``redis_url`` (unless empty: ``extra`` says where Redis is)."""
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN" and not k.startswith("REDIS_")}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env |= {
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.url,
        "STYLES_DIR": str(styles_dir),
        "PROGRESS_INTERVAL": "0.2",
        "POLLING_TIMEOUT": "2",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


class BotProcess:
    """One run of the bot process; its stderr goes to a file the test reads afterwards."""

    def __init__(self, env: dict[str, str], log_path: Path, *python_flags: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *python_flags, "-m", "bot"],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._log.close()

    def terminate(self) -> int:
        """SIGTERM, as ``docker stop`` sends; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        self._log.close()
        return code

    def stop_if_running(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
