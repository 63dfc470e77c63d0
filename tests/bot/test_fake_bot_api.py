"""The fake Bot API behaves like Telegram where the bot (and the e2e suite) rely on it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from tests.bot.harness import picture
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import Refusal

CHAT = 9001


def call(api: FakeBotAPI, method: str, token: str | None = None, **params: Any) -> dict:
    request = urllib.request.Request(
        f"{api.url}/bot{token or api.token}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        return json.load(e)


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    async with Bot(api.token, session=session) as client:
        yield client


def test_threaded_long_poll_wakes_on_a_new_update_and_offset_confirms() -> None:
    with FakeBotAPI() as api:
        answers: list[dict] = []
        poll = threading.Thread(target=lambda: answers.append(call(api, "getUpdates", timeout=20)))
        poll.start()
        api.send_text(CHAT, "/start")
        poll.join(timeout=30)
        [update] = answers[0]["result"]
        assert update["message"]["text"] == "/start"
        assert call(api, "getUpdates", offset=update["update_id"])["result"] == [update]
        assert call(api, "getUpdates", offset=update["update_id"] + 1)["result"] == []
        assert api.pending_updates() == 0
        assert call(api, "getMe", token="1:wrong")["error_code"] == 401
        assert call(api, "sendMessage", chat_id=424242, text="hi")["description"].endswith(
            "chat not found"
        )


async def test_aiogram_round_trip(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, language_code="ru")
    me = await bot.get_me()
    assert me.username == "adain_test_bot"
    upload = api.send_document(CHAT, picture(seed=1), "a.jpg")
    file = await bot.get_file(upload["document"]["file_id"])
    assert (await bot.download_file(file.file_path)).read() == picture(seed=1)

    status = await bot.send_message(CHAT, "queued")
    await bot.edit_message_text("working", chat_id=CHAT, message_id=status.message_id)
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("working", chat_id=CHAT, message_id=status.message_id)
    sent = await bot.send_photo(CHAT, BufferedInputFile(picture(80, 40), "r.jpg"))
    assert (sent.photo[-1].width, sent.photo[-1].height) == (80, 40)
    await bot.delete_message(CHAT, status.message_id)
    with pytest.raises(TelegramBadRequest, match="not found"):
        await bot.delete_message(CHAT, status.message_id)

    [shown, photo] = api.messages(CHAT)
    assert shown.texts == ["queued", "working"] and shown.deleted
    assert photo.is_photo and photo.data == picture(80, 40)


async def test_programmed_failures(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    api.flood("sendMessage", CHAT, times=1, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(CHAT, "x")
    assert flood.value.retry_after == 3
    await bot.send_message(CHAT, "x")
    api.block(CHAT)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_chat_action(CHAT, "typing")
    assert [c.status for c in api.calls(chat_id=CHAT)] == [429, 200, 403]
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(api.add_file(b"x", file_size=21 * 1024 * 1024).file_id)


async def send_photo(bot: Bot) -> object:
    return await bot.send_photo(CHAT, BufferedInputFile(picture(), "r.jpg"))


async def send_message(bot: Bot) -> object:
    return await bot.send_message(CHAT, "x")


async def edit_message_text(bot: Bot) -> object:
    return await bot.edit_message_text("x", chat_id=CHAT, message_id=1)


async def delete_message(bot: Bot) -> object:
    return await bot.delete_message(CHAT, 1)


async def answer_callback_query(bot: Bot) -> object:
    return await bot.answer_callback_query("cq1")


REFUSALS = [
    ("answerCallbackQuery", Refusal.QUERY_TOO_OLD, answer_callback_query, TelegramBadRequest),
    ("sendPhoto", Refusal.IMAGE_PROCESS_FAILED, send_photo, TelegramBadRequest),
    ("sendPhoto", Refusal.PHOTO_INVALID_DIMENSIONS, send_photo, TelegramBadRequest),
    ("sendPhoto", Refusal.PHOTO_SAVE_FILE_INVALID, send_photo, TelegramBadRequest),
    (None, Refusal.BOT_BLOCKED, send_photo, TelegramForbiddenError),
    (None, Refusal.USER_DEACTIVATED, send_message, TelegramForbiddenError),
    ("editMessageText", Refusal.MESSAGE_NOT_MODIFIED, edit_message_text, TelegramBadRequest),
    ("editMessageText", Refusal.MESSAGE_TO_EDIT_NOT_FOUND, edit_message_text, TelegramBadRequest),
    ("deleteMessage", Refusal.MESSAGE_TO_DELETE_NOT_FOUND, delete_message, TelegramBadRequest),
    ("sendMessage", Refusal.INTERNAL_SERVER_ERROR, send_message, TelegramServerError),
    ("sendPhoto", Refusal.BAD_GATEWAY, send_photo, TelegramServerError),
]


@pytest.mark.parametrize(("method", "kind", "request_", "raised"), REFUSALS,
                         ids=[kind.name for _, kind, _, _ in REFUSALS])  # fmt: skip
async def test_refuse_gives_telegrams_own_answer_once(
    api: FakeBotAPI,
    bot: Bot,
    method: str | None,
    kind: Refusal,
    request_: Any,
    raised: type[TelegramAPIError],
) -> None:
    api.user(CHAT)
    await bot.send_message(CHAT, "first")  # message 1, for the edit and the delete
    api.refuse(method, kind, chat_id=None if method == "answerCallbackQuery" else CHAT)
    with pytest.raises(raised) as refused:
        await request_(bot)
    assert type(refused.value) is raised and refused.value.message == kind.description
    await request_(bot)  # times=1: the next one is carried out
    assert [c.status for c in api.calls()] == [200, kind.status, 200]


async def test_flood_answers_429_with_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    api.flood("sendPhoto", CHAT, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as flood:
        await send_photo(bot)
    assert flood.value.retry_after == 7  # aiogram words the message itself, quoting Telegram's
    assert flood.value.message.endswith("Original description: Too Many Requests: retry after 7")
    assert api.calls("sendPhoto")[0].status == 429
    await send_photo(bot)  # times=1: the next one goes through
    assert len(api.photos(CHAT)) == 1
