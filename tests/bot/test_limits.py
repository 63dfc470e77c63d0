"""One job per chat, a queue cap, size and type limits: clear replies, no jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.filetypes import is_image_file
from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI

CHAT = 4004
MB = 1024 * 1024


async def test_second_request_while_one_is_in_flight(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    await api.until(lambda: len(harness.queued()) == 1)
    api.send_photo(CHAT, picture(seed=3))
    api.send_photo(CHAT, picture(seed=4))
    await api.until(lambda: text("busy-chat") in api.texts(CHAT))
    assert len(harness.queued()) == 1

    job_id, request = await harness.next_job()
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.photos(CHAT))
    await api.until(harness.all_delivered)
    api.press_button(result, text("btn-stronger"))  # the chat is free again
    await harness.next_job()


async def test_oversized_file_is_refused_before_download(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    big = api.add_file(picture(seed=1), file_size=25 * MB)
    api.send_document(CHAT, big, "huge.jpg", "image/jpeg")
    await api.until(lambda: text("too-big", what=text("what-file"), limit=20) in api.texts(CHAT))
    assert api.calls("getFile") == []
    api.send_photo(CHAT, picture(seed=2))
    await api.until(lambda: text("got-content") in api.texts(CHAT))  # nothing was kept
    assert harness.queued() == []


def refused(name: str) -> str:
    """The refusal of a file that is neither a picture nor a clip, naming it."""
    return text("not-image", what=text("what-named-file", name=name))


async def test_non_image_document_is_refused(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_document(CHAT, b"just some notes\n", "notes.txt", "text/plain")
    await api.until(lambda: refused("notes.txt") in api.texts(CHAT))
    api.send_document(CHAT, b"%PDF-1.4", "paper.pdf", "application/pdf", caption="style")
    await api.until(lambda: refused("paper.pdf") in api.texts(CHAT))
    assert api.calls("getFile") == []
    assert harness.queued() == []


async def test_failed_download_asks_to_send_again(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_photo(CHAT, api.add_file(picture(seed=1), downloadable=False))
    await api.until(lambda: text("download-failed", what=text("what-photo")) in api.texts(CHAT))
    assert harness.queued() == []


async def test_queue_cap_tells_users_the_bot_is_busy(
    api: FakeBotAPI, redis_url: str, tmp_path: Path
) -> None:
    harness = BotHarness(api, redis_url, tmp_path, queue_cap=1)
    await harness.start()
    try:
        api.send_photo(1, picture(seed=1))
        api.send_photo(1, picture(seed=2))
        await api.until(harness.queued)
        api.send_photo(2, picture(seed=3))
        api.send_photo(2, picture(seed=4))
        await api.until(lambda: text("busy-global") in api.texts(2))
        assert [request["chat_id"] for _, request in harness.queued()] == [1]
    finally:
        await harness.stop()
        harness.close()


@pytest.mark.parametrize(
    ("mime", "name", "accepted"),
    [
        ("image/jpeg", "a.jpg", True),
        ("image/webp", None, True),
        ("image/tiff", "scan.tif", True),
        ("application/octet-stream", "photo.PNG", True),
        (None, "photo.bmp", True),
        ("text/plain", "a.jpg", False),
        ("application/octet-stream", "a.exe", False),
        ("image/svg+xml", "logo.svg", False),
        ("video/mp4", "clip.mp4", False),
    ],
)
def test_file_type_allowlist(mime: str | None, name: str | None, accepted: bool) -> None:
    assert is_image_file(mime, name) is accepted
