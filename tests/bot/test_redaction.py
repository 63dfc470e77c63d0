"""The token never reaches a log line: messages, arguments, tracebacks, URLs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.redaction import install_redaction
from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI

TOKEN = "987654321:AAH-secret_Part0123456789abcdefghijk"
SECRET = TOKEN.partition(":")[2]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, through a root handler with the redaction."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redactor = install_redaction(TOKEN)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)
    for h in root.handlers:
        h.removeFilter(redactor)


def test_token_is_redacted_everywhere(captured: io.StringIO) -> None:
    log = logging.getLogger("tests.redaction")
    url = f"https://api.telegram.org/file/bot{TOKEN}/photos/file_1.jpg"
    log.info("download %s", url)
    log.warning(f"plain {TOKEN} and quoted {quote(TOKEN, safe='')} and secret {SECRET}")
    log.info("another bot: https://api.telegram.org/bot42:ZZZ-other_token/getMe")
    try:
        raise RuntimeError(f"404, message='Not Found', url='{url}'")
    except RuntimeError:
        log.exception("failed")
    log.info("malformed %s %s", TOKEN)  # a bad call is still logged, redacted
    out = captured.getvalue()
    assert TOKEN not in out and SECRET not in out and "ZZZ-other_token" not in out
    assert out.count("bot<redacted>") >= 3
    assert "RuntimeError: 404" in out


async def test_full_conversation_logs_no_token(
    api: FakeBotAPI, redis_url: str, styles_dir, captured: io.StringIO
) -> None:
    api.token = TOKEN  # the fake now answers this token only
    harness = BotHarness(api, redis_url, styles_dir)
    await harness.start()
    try:
        chat = 8001
        api.send_photo(chat, api.add_file(picture(seed=1), downloadable=False))
        await api.until(
            lambda: text("download-failed", what=text("what-photo")) in api.texts(chat)
        )
        api.send_photo(chat, picture(seed=1))
        api.send_photo(chat, picture(seed=2))
        job_id, request = await harness.next_job()
        api.flood("sendPhoto", chat, retry_after=1)
        harness.finish_job(job_id, request)
        await api.until(lambda: api.photos(chat))
        await api.until(harness.all_delivered)
        api.send_photo(chat + 1, picture(seed=3))
        api.send_photo(chat + 1, picture(seed=4))
        job_id, request = await harness.next_job()
        api.block(chat + 1)
        harness.finish_job(job_id, request)
        await api.until(harness.all_delivered)
    finally:
        await harness.stop()
        harness.close()
    out = captured.getvalue()
    assert "download of file" in out and "dropped" in out and "flood control" in out
    assert TOKEN not in out and SECRET not in out
