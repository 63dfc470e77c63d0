"""What users read: text between the two pictures says what comes next, and every refusal
names what the user sent (a clip is never called a picture), in English and Russian."""

from __future__ import annotations

import pytest

from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI

CHAT = 8301


@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_text_between_the_two_pictures_says_what_comes_next(
    api: FakeBotAPI, harness: BotHarness, locale: str
) -> None:
    api.user(CHAT, locale)
    api.send_photo(CHAT, picture(seed=1))
    await api.until(lambda: text("got-content", locale) in api.texts(CHAT))
    api.send_text(CHAT, "what now?")
    await api.until(lambda: text("waiting-style", locale) in api.texts(CHAT))
    assert text("text-hint", locale) not in api.texts(CHAT)

    api.send_text(CHAT, "/new")
    await api.until(lambda: text("new-done", locale) in api.texts(CHAT))
    api.send_photo(CHAT, picture(seed=2), caption="style")
    await api.until(lambda: text("got-style", locale) in api.texts(CHAT))
    api.send_text(CHAT, "and?")
    await api.until(lambda: text("waiting-content", locale) in api.texts(CHAT))


@pytest.mark.parametrize(
    ("code", "message_id"),
    [
        ("broken", "error-broken-clip"),  # an empty or cut-off video
        ("no_video", "error-no_video"),  # a PNG sent as clip.mp4, or sound only
        ("not_image", "error-not_image-clip"),
    ],
)
@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_a_clip_the_worker_cannot_use_is_told_as_a_clip(
    api: FakeBotAPI, harness: BotHarness, locale: str, code: str, message_id: str
) -> None:
    api.user(CHAT, locale)
    api.send_document(CHAT, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "clip.mp4", "video/mp4")
    await api.until(lambda: text("got-clip", locale) in api.texts(CHAT))
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    assert request["media"] == "video"
    harness.finish_job(job_id, request, error=code)
    told = text(message_id, locale)
    await api.until(lambda: told in api.texts(CHAT))
    assert text("error-broken", locale) not in api.texts(CHAT)  # not "this picture"
    assert ("clip" if locale == "en" else "ролик") in told


@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_a_sticker_and_a_file_are_named_when_refused(
    api: FakeBotAPI, harness: BotHarness, locale: str
) -> None:
    api.user(CHAT, locale)
    api.send_raw(CHAT, {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                    "width": 1, "height": 1, "is_animated": False,
                                    "is_video": False}})  # fmt: skip
    api.send_document(CHAT, b"%PDF-1.4", "report.pdf", "application/pdf")
    sticker = text("unsupported", locale, what=text("what-sticker", locale))
    report = text("not-image", locale, what=text("what-named-file", locale, name="report.pdf"))
    await api.until(lambda: {sticker, report} <= set(api.texts(CHAT)))
    assert "report.pdf" in report
