"""/start, /help and /new."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _


async def start(message: Message) -> None:
    """Says in two lines what to send."""
    await message.answer(_("start"))


async def show_help(message: Message) -> None:
    """Lists everything the bot can do."""
    await message.answer(_("help"))


async def forget(message: Message, state: FSMContext) -> None:
    """Forgets the current pictures and any mix in progress, keeping the settings."""
    await state.update_data(content=None, styles=None, mix=None, album=None)
    await message.answer(_("new-done"))


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(forget, Command("new"))
    return router
