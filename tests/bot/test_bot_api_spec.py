"""The fake checks every request against the published Bot API, as Telegram itself would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)

from tests.bot.harness import picture
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_spec import check_request, spec

CHAT = 9002
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Again", callback_data="again")],
        [InlineKeyboardButton(text="Docs", url="https://example.org/docs")],
    ]
)


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    async with Bot(api.token, session=session) as client:
        yield client


async def post(api: FakeBotAPI, method: str, **fields: str) -> tuple[int, dict[str, Any]]:
    """A form POST as aiogram makes it (every value text), bypassing aiogram's own checks."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.url}/bot{api.token}/{method}", data=fields) as response,
    ):
        return response.status, await response.json()


async def test_what_aiogram_sends_for_the_bot_conforms(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT, language_code="de")
    status = await bot.send_message(
        CHAT,
        "<b>queued</b>",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        disable_notification=True,
    )
    await bot.send_photo(  # multipart: the photo is a file part named by attach://
        CHAT,
        BufferedInputFile(picture(80, 40), "result.jpg"),
        caption="done",
        reply_markup=KEYBOARD,
        reply_parameters=ReplyParameters(message_id=status.message_id),
    )
    await bot.edit_message_text(
        "working", chat_id=CHAT, message_id=status.message_id, reply_markup=KEYBOARD
    )
    query_id = api.press(CHAT, status.message_id, "again")
    await bot.answer_callback_query(query_id, text="Queued again", show_alert=True)
    commands = [BotCommand(command="start", description="Start")]
    await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code="de")
    await bot.send_chat_action(CHAT, "upload_photo")
    await bot.delete_message(CHAT, status.message_id)

    assert api.violations == []
    sent = ["sendmessage", "sendphoto", "editmessagetext", "answercallbackquery"]
    sent += ["setmycommands", "sendchataction", "deletemessage"]
    assert [(c.method, c.status) for c in api.calls()] == [(m, 200) for m in sent]
    assert api.scoped_commands[("all_private_chats", "de")] == [
        {"command": "start", "description": "Start"}
    ]


async def test_a_button_with_an_unknown_field_is_refused_like_telegram_does(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.expect_violations()
    api.user(CHAT)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go", colour="red")]]
    )  # aiogram's models pass unknown fields through
    with pytest.raises(TelegramBadRequest, match="unknown field 'colour' in InlineKeyboardButton"):
        await bot.send_message(CHAT, "pick one", reply_markup=keyboard)
    assert api.violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0]: unknown field 'colour' "
        "in InlineKeyboardButton"
    ]
    assert api.messages(CHAT) == []  # refused, not carried out
    assert [c.status for c in api.calls("sendMessage")] == [400]


@pytest.mark.parametrize(
    ("method", "fields", "status", "problem"),
    [
        ("sendPhotograph", {"chat_id": "1"}, 404,
         f"sendPhotograph: no such method in {spec()['version']}"),
        ("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}, 400,
         "sendMessage: unknown parameter 'colour'"),
        ("sendMessage", {"chat_id": "1"}, 400, "sendMessage: missing required parameter 'text'"),
        ("editMessageText", {"chat_id": "1", "message_id": "abc", "text": "x"}, 400,
         "editMessageText: message_id: expected Integer, got 'abc'"),
        ("sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "yes"}, 400,
         "sendMessage: disable_notification: expected Boolean, got 'yes'"),
        ("sendPhoto", {"chat_id": "1", "photo": "attach://missing"}, 400,
         "sendPhoto: photo: 'attach://missing' names no file part"),
        ("setMyCommands", {"commands": '[{"command": "start"}]'}, 400,
         "setMyCommands: commands[0]: missing required field 'description' of BotCommand"),
        ("setMyCommands", {"commands": "[]", "scope": '{"type": "private"}'}, 400,
         "setMyCommands: scope.type: BotCommandScopeDefault needs 'default', got 'private'"),
    ],
)  # fmt: skip
async def test_requests_that_break_the_bot_api_are_refused_and_recorded(
    api: FakeBotAPI, method: str, fields: dict[str, str], status: int, problem: str
) -> None:
    api.expect_violations()
    api.user(1)
    answer_status, answer = await post(api, method, **fields)
    assert api.violations == [problem]
    assert (answer_status, answer["ok"], answer["error_code"]) == (status, False, status)
    assert answer["description"] == ("Not Found" if status == 404 else f"Bad Request: {problem}")
    assert api.messages() == []


async def test_chat_id_may_be_a_username_but_message_id_must_be_a_number(api: FakeBotAPI) -> None:
    api.expect_violations()
    await post(api, "deleteMessage", chat_id="@adain_channel", message_id="7")
    await post(api, "deleteMessage", chat_id="-1001234", message_id="-")
    assert api.violations == ["deleteMessage: message_id: expected Integer, got '-'"]


def test_check_request_reads_unions_arrays_and_attachments() -> None:
    photo = {"type": "photo", "media": "attach://a"}
    video = {"type": "video", "media": "https://example.org/v.mp4"}
    part = {"a": ("a.jpg", b"")}
    remove = json.dumps({"remove_keyboard": True})
    assert (
        check_request("SENDMESSAGE", {"chat_id": 5, "text": "x", "reply_markup": remove}, {}) == []
    )
    assert check_request("sendPhoto", {"chat_id": "5"}, {"photo": ("p.jpg", b"")}) == []
    assert check_request("sendPhoto", {"chat_id": "5", "photo": "AgACAgQAAx0"}, {}) == []
    assert check_request("sendMediaGroup", {"chat_id": "5", "media": [photo, video]}, part) == []
    assert (
        check_request("getUpdates", {"offset": "-1", "allowed_updates": '["message"]'}, {}) == []
    )
    assert check_request("sendMessage", {"chat_id": 5, "text": "x"}, {"stray": ("s", b"")}) == [
        "sendMessage: file part 'stray' is neither a parameter nor attach://-ed"
    ]
    assert check_request("sendMediaGroup", {"chat_id": 5, "media": [{**photo, "type": "gif"}]},
                         part)[0].startswith("sendMediaGroup: media[0].type: ")  # fmt: skip
    assert check_request("getUpdates", {"timeout": 1.5}, {}) == [
        "getUpdates: timeout: expected Integer, got 1.5"
    ]


def send_json(api: FakeBotAPI, method: str, **params: Any) -> int:
    """A request from a plain HTTP client (JSON body), for the threaded fake."""
    request = urllib.request.Request(
        f"{api.url}/bot{api.token}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_leaving_the_threaded_fake_fails_the_test_after_a_violation() -> None:
    with pytest.raises(AssertionError, match=r"1 request\(s\) broke the published Bot API"):
        with FakeBotAPI() as api:
            api.user(CHAT)
            assert send_json(api, "sendMessage", chat_id=CHAT) == 400
    with pytest.raises(LookupError) as failed:  # the test's own error is kept, with a note
        with FakeBotAPI() as api:
            send_json(api, "sendMessage", chat_id=CHAT, txt="typo")
            raise LookupError("the test failed on its own")
    assert "unknown parameter 'txt'" in "\n".join(failed.value.__notes__)
    with FakeBotAPI() as api:
        api.expect_violations()
        assert send_json(api, "sendMessage", chat_id=CHAT) == 400


async def test_leaving_the_fake_in_the_tests_loop_fails_the_test_after_a_violation() -> None:
    with pytest.raises(AssertionError, match="getUpdates: timeout: expected Integer"):
        async with FakeBotAPI() as api:
            assert (await post(api, "getUpdates", timeout="soon"))[0] == 400
