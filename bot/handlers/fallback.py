"""Anything else a user sends: a short hint."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.replies import answer_press


async def text_hint(message: Message) -> None:
    """Points a user who typed text to what the bot expects."""
    await message.answer(_("text-hint"))


async def unsupported(message: Message) -> None:
    """Says that only photos and image files are understood (stickers, videos, …)."""
    await message.answer(_("unsupported"))


async def stale_button(callback: CallbackQuery) -> None:
    """Answers a press no feature took (a button of an older version, forged data)."""
    await answer_press(callback)


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(text_hint, F.text)
    router.message.register(unsupported)
    router.callback_query.register(stale_button)
    return router
