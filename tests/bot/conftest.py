"""Fixtures of the bot tests: the fake Bot API in the test's loop and the bot beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.bot.harness import BotHarness
from tests.bot.process import BotProcess
from tests.fakes.bot_api import FakeBotAPI


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The fake Telegram; at teardown it fails the test if a request broke the Bot API."""
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def styles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "styles"
    folder.mkdir()
    return folder


@pytest.fixture
async def harness(api: FakeBotAPI, redis_url: str, styles_dir: Path) -> AsyncIterator[BotHarness]:
    """The bot running in-process; the test plays the users and the worker."""
    h = BotHarness(api, redis_url, styles_dir)
    await h.start()
    yield h
    await h.stop()
    h.close()


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Bot processes a test starts; any still running at the end is killed."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.stop_if_running()
