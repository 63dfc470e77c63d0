"""The real ``python -m bot``: killed and restarted it loses nothing; its logs
never show the token; it never imports torch."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot.harness import BotHarness, picture, text
from tests.bot.process import BotProcess, bot_env
from tests.fakes.bot_api import FakeBotAPI

CHAT, OTHER = 7001, 7002


def test_killed_bot_loses_nothing_and_logs_no_token(
    redis_url: str, tmp_path: Path, processes: list[BotProcess]
) -> None:
    with FakeBotAPI() as api:
        worker = BotHarness(api, redis_url, tmp_path)  # only its worker's part is used
        env = bot_env(api, redis_url, tmp_path, LOG_LEVEL="DEBUG")
        runs = processes
        runs.append(BotProcess(env, tmp_path / "bot-1.log"))
        api.send_photo(CHAT, picture(seed=1))
        api.wait_until(lambda: text("got-content") in api.texts(CHAT), timeout=30)
        runs[-1].kill()  # between the content and the style

        runs.append(BotProcess(env, tmp_path / "bot-2.log"))
        api.send_photo(CHAT, picture(seed=2))
        job_id, request = worker.take_job(timeout=30)
        api.hang("sendPhoto", CHAT)  # Telegram never answers: the entry stays unacknowledged
        worker.finish_job(job_id, request)
        api.wait_until(lambda: [c for c in api.calls("sendPhoto", CHAT) if c.status == 0])
        assert worker.pending_deliveries() == 1
        api.send_photo(OTHER, api.add_file(picture(seed=3), downloadable=False))  # a file URL
        api.wait_until(
            lambda: text("download-failed", what=text("what-photo")) in api.texts(OTHER)
        )  # error in the log
        runs[-1].kill()  # after the worker finished, before the delivery was acknowledged

        runs.append(BotProcess(env, tmp_path / "bot-3.log"))
        api.wait_until(lambda: api.photos(CHAT), timeout=30)
        api.wait_until(worker.all_delivered)
        api.send_text(CHAT, "/help")
        api.wait_until(lambda: text("help") in api.texts(CHAT))
        assert runs[-1].terminate() == 0
        assert len(api.photos(CHAT)) == 1
        worker.close()

    logs = "".join(run.output() for run in runs)
    assert "download of file" in logs and "file/bot<redacted>" in logs
    secret = api.token.partition(":")[2]
    assert api.token not in logs and secret not in logs
    assert not re.search(r"bot\d+:[A-Za-z0-9_-]{20,}", logs)


def test_bot_process_never_imports_torch(
    redis_url: str, tmp_path: Path, processes: list[BotProcess]
) -> None:
    with FakeBotAPI() as api:
        worker = BotHarness(api, redis_url, tmp_path)
        run = BotProcess(
            bot_env(api, redis_url, tmp_path), tmp_path / "bot.log", "-X", "importtime"
        )
        api.send_photo(CHAT, picture(seed=1))
        api.send_photo(CHAT, picture(seed=2))
        job_id, request = worker.take_job(timeout=30)
        worker.finish_job(job_id, request)
        api.wait_until(lambda: api.photos(CHAT), timeout=30)
        assert run.terminate() == 0
        worker.close()
    imported = re.findall(r"^import time:.*\|\s*(\S+)$", run.output(), flags=re.MULTILINE)
    assert "aiogram" in imported and "worker.contract" in imported
    heavy = [m for m in imported if m.split(".")[0] in ("torch", "torchvision", "model")]
    # model.limits alone: the bounds and refusal codes the contract shares, which import nothing
    assert [m for m in heavy if m not in ("model", "model.limits")] == []
