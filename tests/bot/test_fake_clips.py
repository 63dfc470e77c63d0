"""Clips in the fake Bot API: users send animations, videos and video notes; the bot answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from tests.bot.harness import picture
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_spec import check_object

CHAT = 9002
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8  # opaque bytes: the fake never decodes
AGAIN = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="🔁 Again", callback_data="again:7")]]
)


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    async with Bot(api.token, session=session) as client:
        yield client


async def updates_as_sent(api: FakeBotAPI, bot: Bot) -> list[tuple[dict[str, Any], Update]]:
    """Each pending update as the raw JSON and as aiogram parses it, then confirmed."""
    async with aiohttp.ClientSession() as http:  # unconfirmed: aiogram gets the same again
        async with http.get(f"{api.url}/bot{api.token}/getUpdates") as response:
            raw = (await response.json())["result"]
    parsed = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=parsed[-1].update_id + 1, timeout=0)
    assert [u.update_id for u in parsed] == [u["update_id"] for u in raw]
    return list(zip(raw, parsed, strict=True))


# ---- the bot sends clips -----------------------------------------------------------------


async def send_animation(bot: Bot) -> Message:
    gif = BufferedInputFile(picture(40, 30, fmt="GIF"), "styled.gif")
    return await bot.send_animation(CHAT, gif, caption="styled", reply_markup=AGAIN)


async def send_video(bot: Bot) -> Message:
    clip = BufferedInputFile(MP4, "styled.mp4")
    return await bot.send_video(
        CHAT, clip, duration=4, width=320, height=180, supports_streaming=True,
        caption="styled", reply_markup=AGAIN,
    )  # fmt: skip


async def send_video_note(bot: Bot) -> Message:
    clip = BufferedInputFile(MP4, "styled.mp4")
    return await bot.send_video_note(CHAT, clip, duration=5, length=240, reply_markup=AGAIN)


BOT_SENDS = [
    # (aiogram call, method, Message field, (width, height, duration), bytes sent)
    (send_animation, "sendAnimation", "animation", (40, 30, 0), picture(40, 30, fmt="GIF")),
    (send_video, "sendVideo", "video", (320, 180, 4), MP4),
    (send_video_note, "sendVideoNote", "video_note", (240, 240, 5), MP4),
]


@pytest.mark.parametrize(("request_", "method", "field", "shape", "data"), BOT_SENDS,
                         ids=[method for _, method, _, _, _ in BOT_SENDS])  # fmt: skip
async def test_the_bot_sends_a_clip_and_the_fake_keeps_it(
    api: FakeBotAPI,
    bot: Bot,
    request_: Any,
    method: str,
    field: str,
    shape: tuple[int, int, int],
    data: bytes,
) -> None:
    api.user(CHAT)
    await bot.send_photo(CHAT, BufferedInputFile(picture(), "r.jpg"))
    message = await request_(bot)

    assert message.content_type == field  # aiogram took the answer for the right kind
    clip = getattr(message, field)
    width, height, duration = shape
    if field == "video_note":
        assert (clip.length, clip.duration) == (width, duration)
    else:
        assert (clip.width, clip.height, clip.duration) == shape
        assert message.caption == "styled"
    assert isinstance(message.reply_markup, InlineKeyboardMarkup)
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "again:7"
    [photo, sent] = api.results(CHAT)  # everything the bot sent as a result, in order
    assert photo.is_photo and api.clips(CHAT) == [sent] and not sent.is_photo
    assert sent.method == method and sent.message_id == message.message_id
    assert sent.data == data and (sent.width, sent.height, sent.duration) == shape
    assert sent.buttons == [("🔁 Again", "again:7")]
    assert [sent.is_animation, sent.is_video, sent.is_video_note] == [
        field == kind for kind in ("animation", "video", "video_note")
    ]
    [call] = api.calls(method)
    assert call.status == 200 and call.params["chat_id"] == CHAT
    if field == "video":
        assert call.params["supports_streaming"] is True and call.params["duration"] == 4
    assert api.violations == []
    file = await bot.get_file(clip.file_id)
    assert (await bot.download_file(file.file_path)).read() == data


async def test_an_animation_the_bot_sends_is_a_document_too(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    message = await send_animation(bot)
    assert message.animation is not None and message.document is not None
    assert message.document.file_id == message.animation.file_id
    assert (message.animation.file_name, message.animation.mime_type) == (
        "styled.gif",
        "image/gif",
    )  # kept as uploaded: the fake does not turn GIFs into MP4s


async def test_buttons_under_a_clip_work_like_under_a_photo(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    message = await send_video(bot)
    [sent] = api.clips(CHAT)
    assert sent.buttons == [("🔁 Again", "again:7")]
    api.press_button(sent, "Again")
    [(raw, update)] = await updates_as_sent(api, bot)
    assert check_object(raw, "Update") == []
    query = update.callback_query
    assert query is not None and query.data == "again:7"
    assert isinstance(query.message, Message) and query.message.video is not None
    assert query.message.video.file_id == message.video.file_id

    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=message.message_id)
    assert api.clips(CHAT)[0].buttons == []
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=message.message_id)
    edited = await bot.edit_message_caption(
        chat_id=CHAT, message_id=message.message_id, caption="again"
    )
    assert isinstance(edited, Message) and edited.video is not None
    assert api.clips(CHAT)[0].texts == ["styled", "again"]


async def test_a_clip_without_the_file_is_refused(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    with pytest.raises(TelegramBadRequest, match="there is no video in the request"):
        await bot.send_video(CHAT, "no-such-file-id")
    assert api.clips(CHAT) == [] and api.violations == []


# ---- users send clips --------------------------------------------------------------------


def user_animation(api: FakeBotAPI) -> dict[str, Any]:
    return api.send_animation(CHAT, MP4, duration=3, width=480, height=270)


def user_video(api: FakeBotAPI) -> dict[str, Any]:
    return api.send_video(CHAT, MP4, duration=12, width=1280, height=720, caption="my cat")


def user_video_note(api: FakeBotAPI) -> dict[str, Any]:
    return api.send_video_note(CHAT, MP4, duration=7, length=384)


USER_SENDS = [
    # (the user's action, Message field, (width or length, height or length, duration))
    (user_animation, "animation", (480, 270, 3)),
    (user_video, "video", (1280, 720, 12)),
    (user_video_note, "video_note", (384, 384, 7)),
]


@pytest.mark.parametrize(("send", "field", "shape"), USER_SENDS,
                         ids=[field for _, field, _ in USER_SENDS])  # fmt: skip
async def test_a_users_clip_reaches_the_bot_and_downloads(
    api: FakeBotAPI, bot: Bot, send: Any, field: str, shape: tuple[int, int, int]
) -> None:
    api.user(CHAT)
    sent = send(api)
    [(raw, update)] = await updates_as_sent(api, bot)
    assert raw["message"] == sent and check_object(raw, "Update") == []
    kind = {"animation": "Animation", "video": "Video", "video_note": "VideoNote"}[field]
    no_duration = {k: v for k, v in sent[field].items() if k != "duration"}
    assert check_object(no_duration, kind) == [
        f"{kind}: missing required field 'duration' of {kind}"
    ]  # the check has teeth
    message = update.message
    assert message is not None and message.content_type == field
    clip = getattr(message, field)
    if field == "video_note":
        assert (clip.length, clip.length, clip.duration) == shape
    else:
        assert (clip.width, clip.height, clip.duration) == shape
        assert clip.mime_type == "video/mp4"
    assert clip.file_size == len(MP4)
    if field == "video":
        assert message.caption == "my cat"
    if field == "animation":  # as on Telegram: the same file under both fields
        assert message.document is not None and message.document.file_id == clip.file_id
        assert message.document.file_name == clip.file_name == "clip.mp4"
    file = await bot.get_file(clip.file_id)
    assert file.file_path is not None and file.file_path.endswith(".mp4")
    assert (await bot.download_file(file.file_path)).read() == MP4


AS_FILES = [("holiday.mp4", "video/mp4", MP4), ("funny.gif", "image/gif", picture(fmt="GIF"))]


async def test_a_video_or_gif_sent_as_a_file_is_a_document(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    for name, mime, data in AS_FILES:
        api.send_document(CHAT, data, name, mime_type=mime)
    updates = await updates_as_sent(api, bot)
    for (name, mime, data), (_, update) in zip(AS_FILES, updates, strict=True):
        message = update.message
        assert message is not None and message.content_type == ContentType.DOCUMENT
        assert message.document is not None and message.animation is None
        assert (message.document.file_name, message.document.mime_type) == (name, mime)
        file = await bot.get_file(message.document.file_id)
        assert file.file_path is not None and file.file_path.endswith(name.rsplit(".")[-1])
        assert (await bot.download_file(file.file_path)).read() == data


async def test_a_clip_over_20_mb_cannot_be_fetched(api: FakeBotAPI, bot: Bot) -> None:
    api.user(CHAT)
    big = api.add_file(MP4, file_size=30 * 1024 * 1024, suffix="mp4")
    message = api.send_video(CHAT, big, duration=60, width=1920, height=1080)
    assert message["video"]["file_size"] == 30 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(message["video"]["file_id"])
