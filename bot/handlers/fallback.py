"""Anything else a user sends: a short hint."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.chat_state import ChatData, ChatState
from bot.naming import message_name
from bot.replies import answer_press


async def text_hint(message: Message, chat_state: ChatState) -> None:
    """Points a user who typed text to what the bot expects next."""
    await message.answer(next_step(await chat_state.load()))


def next_step(data: ChatData) -> str:
    """What the chat waits for, in words: the rest of a pair or of a mix, or a first photo."""
    if data.mix:
        return _("waiting-mix").format(count=len(data.mix))
    if data.content and not data.styles:
        return _("waiting-style-clip") if data.content.media.is_clip else _("waiting-style")
    if data.styles and not data.content:
        return _("waiting-content")
    return _("text-hint")


async def unsupported(message: Message) -> None:
    """Names what was sent (a sticker, a voice message, …) and what the bot takes instead."""
    await message.answer(_("unsupported").format(what=message_name(message)))


async def stale_button(callback: CallbackQuery) -> None:
    """Answers a press no feature took (a button of an older version, forged data)."""
    await answer_press(callback)


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(text_hint, F.text)
    router.message.register(unsupported)
    router.callback_query.register(stale_button)
    return router
