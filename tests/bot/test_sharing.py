"""Sharing: the Share button and inline mode offer the user's results; guest mode paints a
photo in a chat the bot is not in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.bot.harness import BotHarness, picture, preset_key, text
from tests.fakes.bot_api import FakeBotAPI

CHAT = 6201
MEDIA = -1009990001  # the operator's MEDIA_CHAT_ID: a private channel the bot posts in


@pytest.fixture
async def sharing(api: FakeBotAPI, redis_url: str, styles_dir: Path) -> BotHarness:
    """The bot with a media chat and two presets."""
    (styles_dir / "starry_night.jpg").write_bytes(picture(seed=7))
    (styles_dir / "the_scream.jpg").write_bytes(picture(seed=8))
    api.group(MEDIA, "AdaIN media", kind="channel")
    h = BotHarness(api, redis_url, styles_dir, media_chat_id=MEDIA)
    await h.start()
    yield h
    await h.stop()
    h.close()


async def test_a_result_can_be_shared_by_inline_mode(api: FakeBotAPI, harness: BotHarness) -> None:
    _request, result = await harness.first_result(CHAT)
    rows = (result.reply_markup or {})["inline_keyboard"]
    share = next(b for row in rows for b in row if b["text"] == text("btn-share"))
    assert share["switch_inline_query_chosen_chat"]["allow_group_chats"] is True

    query = api.inline_query(CHAT, "")
    answer = await api.until(lambda: api.inline_answers.get(query))
    assert answer["is_personal"] is True and answer["cache_time"] <= 10
    photos = [r for r in answer["results"] if r["type"] == "photo"]
    assert photos and photos[0]["photo_file_id"] == result.file_id


async def test_no_results_yet_points_to_the_private_chat(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    query = api.inline_query(CHAT, "")
    answer = await api.until(lambda: api.inline_answers.get(query))
    assert answer["results"] == []
    assert answer["button"] == {"text": text("inline-start"), "start_parameter": "inline"}


async def test_a_preset_chosen_inline_repaints_the_latest_result_in_its_message(
    api: FakeBotAPI, sharing: BotHarness
) -> None:
    first, result = await sharing.first_result(CHAT)

    query = api.inline_query(CHAT, "scream")
    answer = await api.until(lambda: api.inline_answers.get(query))
    [offer] = answer["results"]
    assert offer["title"] == "The scream" and offer["photo_file_id"] == result.file_id
    posted = api.choose_inline_result(CHAT, query, offer["id"])
    job_id, again = await sharing.next_job()
    assert again["content_key"] == first["content_key"]  # the same photo, the preset's style
    assert again["styles"] != first["styles"] and again["reply"]["inline_message_id"]
    sharing.finish_job(job_id, again)
    await api.until(lambda: posted.media)
    [stored] = api.photos(MEDIA)
    assert posted.media == [stored.file_id]


async def test_a_guest_call_is_answered_at_once_then_shows_the_painting(
    api: FakeBotAPI, sharing: BotHarness
) -> None:
    asked = time.monotonic()
    query = api.guest_message(CHAT, "@adain_test_bot starry night", photo=picture(seed=3))
    placeholder = await api.until(lambda: api.guest_answers.get(query))
    print(f"answerGuestQuery {time.monotonic() - asked:.2f} s after the guest message")
    assert placeholder["type"] == "photo" and placeholder["caption"] == text("guest-painting")
    job_id, request = await sharing.next_job()
    inline_id = request["reply"]["inline_message_id"]
    assert inline_id and request["chat_id"] == CHAT
    assert request["styles"] == [{"key": preset_key(picture(seed=7)), "weight": 1.0}]  # named
    sharing.finish_job(job_id, request)
    message = api.inline_messages[inline_id]
    await api.until(lambda: message.media)
    [stored] = api.photos(MEDIA)
    assert message.media == [stored.file_id]  # the inline message is the stylized photo now
    assert api.texts(CHAT) == []  # nothing in the caller's private chat


async def test_a_guest_call_without_a_photo_says_how(api: FakeBotAPI, sharing: BotHarness) -> None:
    query = api.guest_message(CHAT, "@adain_test_bot", photo=None)
    answer = await api.until(lambda: api.guest_answers.get(query))
    assert answer["type"] == "article"
    assert answer["input_message_content"]["message_text"] == text("guest-how")
    assert sharing.queued() == []


async def test_without_inline_mode_a_result_has_no_share_button(
    api: FakeBotAPI, redis_url: str, styles_dir: Path
) -> None:
    api.bot_user["supports_inline_queries"] = False  # @BotFather's /setinline never run
    h = BotHarness(api, redis_url, styles_dir)
    await h.start()
    try:
        _request, result = await h.first_result(CHAT)
    finally:
        await h.stop()
        h.close()
    labels = [label for label, _data in result.buttons]
    assert text("btn-share") not in labels and text("btn-stronger") in labels
