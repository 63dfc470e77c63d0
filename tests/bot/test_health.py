"""`python -m bot health`, Docker's health check: passes while a bot runs, fails otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.bot.process import REPO, BotProcess, bot_env
from tests.fakes.bot_api import FakeBotAPI


def health(redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"} | {"REDIS_URL": redis_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_health_follows_the_running_bot(redis_url: str, tmp_path: Path) -> None:
    down = health(redis_url)
    assert down.returncode == 1 and "bot is not running" in down.stderr
    with FakeBotAPI() as api:
        bot = BotProcess(bot_env(api, redis_url, tmp_path), tmp_path / "bot.log")
        try:
            deadline = time.monotonic() + 30
            while (up := health(redis_url)).returncode != 0 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert up.returncode == 0, up.stderr
            assert "bot alive" in up.stdout
        finally:
            assert bot.terminate() == 0


def test_health_without_redis_is_one_line() -> None:
    done = health("redis://127.0.0.1:9/0")
    assert done.returncode == 2
    assert done.stderr.startswith("bot: cannot reach Redis") and "Traceback" not in done.stderr


def test_health_imports_no_aiogram_aiohttp_or_pydantic_settings(redis_url: str) -> None:
    # `python -m bot health` as Docker runs it, then the modules it had imported.
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['bot', 'health']\n"
        "try:\n"
        "    runpy.run_module('bot', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as e:\n"
        "    print('exit', e.code)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"} | {"REDIS_URL": redis_url}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    exit_line, modules = done.stdout.strip().splitlines()[-2:]
    assert exit_line == "exit 1" and "bot is not running" in done.stderr  # it did check
    loaded = set(modules.split())
    assert "redis" in loaded
    assert loaded.isdisjoint({"aiogram", "aiohttp", "pydantic_settings", "torch"}), loaded


def test_health_with_a_malformed_redis_url_is_one_line() -> None:
    done = health("redis://:p/a#s?s@w:rd%@redis:6379/0")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("bot: configuration error: REDIS_URL: not a Redis URL")
