"""``python -m bot`` refuses to start with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bot.harness import text
from tests.bot.process import REPO, BotProcess, bot_env
from tests.conftest import RedisServer, free_port
from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI

PASSWORD = "p/a#s?s@w:rd%"  # every character that ends a part of a URL


def run_bot(**env: str) -> subprocess.CompletedProcess[str]:
    unset = ("BOT_TOKEN", "REDIS_URL", "REDIS_PASSWORD")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=REPO,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token() -> None:
    done = run_bot()
    assert done.returncode != 0
    assert done.stderr.strip() == "bot: configuration error: BOT_TOKEN is not set"


def test_malformed_token() -> None:
    done = run_bot(BOT_TOKEN="not-a-token")
    assert done.returncode != 0
    assert "BOT_TOKEN is not a bot token" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unreachable_redis_names_it_without_its_password() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    done = run_bot(BOT_TOKEN=DEFAULT_TOKEN, REDIS_URL=url, TELEGRAM_API_URL="http://127.0.0.1:9")
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("bot: cannot reach Redis at redis://:***@127.0.0.1:")
    assert "hunter2" not in done.stderr


def test_token_the_bot_api_refuses(redis_url: str) -> None:
    with FakeBotAPI(token="555:AAOtherBotsTokenXXXXXXXXXXXXXXXX") as api:
        done = run_bot(BOT_TOKEN=DEFAULT_TOKEN, REDIS_URL=redis_url, TELEGRAM_API_URL=api.url)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"bot: the Bot API at {api.url} refused BOT_TOKEN (Unauthorized)"
    assert DEFAULT_TOKEN.partition(":")[2] not in done.stderr


def test_a_password_pasted_into_redis_url_is_one_line_without_it() -> None:
    url = f"redis://:p/a#s?s@w:rd%@127.0.0.1:{free_port()}/0"
    done = run_bot(BOT_TOKEN=DEFAULT_TOKEN, REDIS_URL=url, TELEGRAM_API_URL="http://127.0.0.1:9")
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("bot: configuration error: REDIS_URL: not a Redis URL")
    assert "REDIS_PASSWORD" in line and "w:rd%" not in line


def test_the_password_on_its_own_may_hold_any_character(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", password=PASSWORD).start()
    try:
        with FakeBotAPI() as api:
            bot = BotProcess(
                bot_env(api, server.url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{server.port}/0",
                        REDIS_PASSWORD=PASSWORD),
                tmp_path / "bot.log",
            )  # fmt: skip
            try:
                api.send_text(9001, "/start")
                api.wait_until(lambda: text("start") in api.texts(9001), timeout=60)
            finally:
                assert bot.terminate() == 0
    finally:
        server.stop()


def test_a_malformed_sentinel_list_is_one_line() -> None:
    done = run_bot(
        BOT_TOKEN=DEFAULT_TOKEN,
        REDIS_SENTINELS="sentinel-1",
        TELEGRAM_API_URL="http://127.0.0.1:9",
    )
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(
        "bot: configuration error: REDIS_SENTINELS: 'sentinel-1' is not host:port"
    )


def test_no_sentinel_answering_is_one_line_naming_them() -> None:
    sentinels = f"127.0.0.1:{free_port()},127.0.0.1:{free_port()}"
    done = run_bot(
        BOT_TOKEN=DEFAULT_TOKEN, REDIS_SENTINELS=sentinels, TELEGRAM_API_URL="http://127.0.0.1:9"
    )
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"bot: cannot reach Redis master 'adain' via sentinels {sentinels}")
