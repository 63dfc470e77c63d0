"""Anything else a user sends: a short hint."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _


async def text_hint(message: Message) -> None:
    """Points a user who typed text to what the bot expects."""
    await message.answer(_("text-hint"))


async def unsupported(message: Message) -> None:
    """Says that only photos and image files are understood (stickers, videos, …)."""
    await message.answer(_("unsupported"))


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(text_hint, F.text)
    router.message.register(unsupported)
    return router
