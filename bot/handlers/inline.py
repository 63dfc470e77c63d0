"""Sharing: inline mode (``@bot`` in any chat) and guest mode (``@bot`` in a chat without it).

- An inline query with no text offers the user's recent results (``bot/delivery/shared.py``)
  as cached photos: the "Share" button under a result opens it in the chat the user picks.
- With text, where the user has a result, it offers the presets whose names hold the text,
  each shown on that result's photo; choosing one (``chosen_inline_result``, which needs
  BotFather's inline feedback) runs that preset on the photo and turns the message into the
  new picture once done.
- A guest message (the bot called by ``@bot`` in reply to a photo, in a chat it is not in) is
  answered at once with the photo captioned "painting…"; the result replaces it when done.

An inline message can only show a file Telegram already has, so these results are first
posted to the operator's ``MEDIA_CHAT_ID`` (``bot/delivery/loop.py``); without one, guest mode
and inline presets say how to use the bot in a private chat.
"""

from __future__ import annotations

import dataclasses
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    ChosenInlineResult,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.chat_state import ChatData, Content, Style
from bot.config import BotConfig
from bot.conversation import Conversation
from bot.delivery.job_records import JobStore
from bot.delivery.shared import SharedResults
from bot.handlers.presets import store_preset
from bot.images import ImageStore, PictureRefused, incoming_file
from bot.presets import PresetLibrary
from bot.submission import refusal_text
from worker.contract import ReplyContext, StyleRef

log = logging.getLogger(__name__)
CACHE_S = 5  # seconds Telegram may keep an inline answer: results change as jobs finish
MAX_RESULTS = 50  # Telegram's limit per answer


async def inline_query(
    asked: InlineQuery, shared: SharedResults, presets: PresetLibrary, config: BotConfig
) -> None:
    """The user's recent results, or the presets matching the text on the latest one."""
    recent = await shared.recent(asked.from_user.id)
    text = asked.query.strip()
    results: list[InlineQueryResultUnion] = []
    if not text:
        results = [
            InlineQueryResultCachedPhoto(id=f"r:{s.job}", photo_file_id=s.file_id) for s in recent
        ]
    elif recent and config.media_chat_id is not None:
        latest = recent[0]
        results = [
            InlineQueryResultCachedPhoto(
                id=f"p:{preset.id}:{latest.job}",
                photo_file_id=latest.file_id,
                title=preset.name,
                caption=_("inline-painting").format(name=preset.name),
                reply_markup=_keyboard(),  # without one Telegram names no inline message
            )  # fmt: skip
            for preset in presets.matching(text)
        ]
    button = None
    if not results:  # nothing to offer: a way to the private chat instead
        button = InlineQueryResultsButton(text=_("inline-start"), start_parameter="inline")
    await asked.answer(results[:MAX_RESULTS], cache_time=CACHE_S, is_personal=True, button=button)


async def chosen_result(
    chosen: ChosenInlineResult,
    bot: Bot,
    i18n: I18n,
    conversation: Conversation,
    presets: PresetLibrary,
    store: JobStore,
) -> None:
    """A preset chosen in inline mode: run it on that result's photo, into that message."""
    images = conversation.images
    kind, _sep, rest = chosen.result_id.partition(":")
    inline_id = chosen.inline_message_id
    if kind != "p" or not inline_id:
        return  # a recent result was shared as it is
    preset_id, _sep, job = rest.partition(":")
    record = await store.load(job)
    preset = presets.find(preset_id)
    if record is None or preset is None or not await images.refresh(record.request.content_key):
        await _caption(bot, inline_id, _("result-expired"))
        return
    key = await store_preset(images, presets, preset)
    user = chosen.from_user.id
    reply = ReplyContext(locale=i18n.current_locale, user=user, inline_message_id=inline_id)
    request = dataclasses.replace(
        record.request, chat_id=user, styles=(StyleRef(key=key),), reply=reply
    )
    refused = await conversation.submitter.submit_quietly(request)
    if refused is not None:
        await _caption(bot, inline_id, refusal_text(refused))


async def guest_message(
    message: Message, bot: Bot, i18n: I18n, conversation: Conversation, presets: PresetLibrary
) -> None:
    """Called as a guest in reply to a photo: "painting…" at once, the picture when done."""
    images, config = conversation.images, conversation.config
    query_id = message.guest_query_id
    if not query_id:
        return
    caller = message.from_user
    target = message.reply_to_message
    photo = target.photo[-1] if target is not None and target.photo else None
    if caller is None or photo is None or config.media_chat_id is None or target is None:
        how = InputTextMessageContent(message_text=_("guest-how"))
        article = InlineQueryResultArticle(
            id="how", title=_("guest-how-title"), input_message_content=how
        )
        await bot.answer_guest_query(guest_query_id=query_id, result=article)
        return
    placeholder = InlineQueryResultCachedPhoto(
        id="painting", photo_file_id=photo.file_id, caption=_("guest-painting"),
        reply_markup=_keyboard(),
    )  # fmt: skip
    sent = await bot.answer_guest_query(guest_query_id=query_id, result=placeholder)
    inline_id = sent.inline_message_id
    if not inline_id:
        return
    try:
        content = Content(key=await images.fetch(bot, incoming_file(target)))
        style_key = await _guest_style(bot, message, images, presets)
    except PictureRefused:
        await _caption(bot, inline_id, _("guest-not-a-picture"))
        return
    if style_key is None:
        await _caption(bot, inline_id, _("presets-none"))
        return
    data = ChatData(content=content, styles=(Style(key=style_key),))
    reply = ReplyContext(locale=i18n.current_locale, user=caller.id, inline_message_id=inline_id)
    request = conversation.request(caller.id, data, config.photo_size, reply)
    refused = await conversation.submitter.submit_quietly(request)
    if refused is not None:
        await _caption(bot, inline_id, refusal_text(refused))


async def _guest_style(
    bot: Bot, message: Message, images: ImageStore, presets: PresetLibrary
) -> str | None:
    """The style of a guest call: its own picture, the preset it names, else the first one."""
    if message.photo or message.document:
        return await images.fetch(bot, incoming_file(message))
    words = (message.text or message.caption or "").split()
    name = " ".join(w for w in words if not w.startswith("@"))
    found = presets.list()
    preset = presets.named(name) if name else None
    chosen = preset or (found[0] if found else None)
    return None if chosen is None else await store_preset(images, presets, chosen)


async def _caption(bot: Bot, inline_message_id: str, text: str) -> None:
    """Say ``text`` under the inline message's photo (its placeholder)."""
    try:
        await bot.edit_message_caption(inline_message_id=inline_message_id, caption=text)
    except TelegramAPIError as e:  # deleted meanwhile, or too old to edit
        log.info("inline message %s not captioned: %s", inline_message_id, e)


def _keyboard() -> InlineKeyboardMarkup:
    """The one button of a shared picture: what it is (and an inline message to edit)."""
    made = InlineKeyboardButton(text=_("btn-made-with"), switch_inline_query_current_chat="")
    return InlineKeyboardMarkup(inline_keyboard=[[made]])


def build() -> Router:
    router = Router(name="inline")
    router.inline_query.register(inline_query)
    router.chosen_inline_result.register(chosen_result)
    router.guest_message.register(guest_message)
    return router
