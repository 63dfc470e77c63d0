"""/start, /help and /new."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.chat_state import ChatState


async def start(message: Message) -> None:
    """Says in two lines what to send."""
    await message.answer(_("start"))


async def show_help(message: Message) -> None:
    """Lists everything the bot can do."""
    await message.answer(_("help"))


async def forget(message: Message, chat_state: ChatState) -> None:
    """Forgets the current pictures and any mix in progress, keeping the settings."""
    await chat_state.forget_pictures()
    await message.answer(_("new-done"))


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(forget, Command("new"))
    return router
