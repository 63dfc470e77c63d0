"""/settings: default style strength, colour preservation and output size."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import preferences
from bot.callbacks import SettingChoice
from bot.keyboards import settings_keyboard, size_label
from bot.preferences import Preferences
from bot.settings import Settings


def settings_text(prefs: Preferences) -> str:
    return _("settings-title").format(
        strength=round(prefs.alpha * 100),
        colours=_("on") if prefs.preserve_color else _("off"),
        size=size_label(prefs.size),
    )


async def show_settings(message: Message, state: FSMContext, settings: Settings) -> None:
    """Shows the current settings with buttons to change them."""
    prefs = Preferences.from_data(await state.get_data(), settings.photo_size)
    await message.answer(settings_text(prefs), reply_markup=settings_keyboard(prefs))


async def change_setting(
    callback: CallbackQuery, callback_data: SettingChoice, state: FSMContext, settings: Settings
) -> None:
    """Stores one changed setting and redraws the settings message."""
    field, value = callback_data.field, callback_data.value
    if field == "alpha" and float(value) in preferences.STRENGTHS:
        await state.update_data(alpha=float(value))
    elif field == "colours":
        await state.update_data(preserve_color=value == "1")
    elif field == "size" and int(value) in preferences.SIZES:
        await state.update_data(size=int(value))
    prefs = Preferences.from_data(await state.get_data(), settings.photo_size)
    await callback.answer(_("settings-saved"))
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # unchanged: "message is not modified"
            await callback.message.edit_text(
                settings_text(prefs), reply_markup=settings_keyboard(prefs)
            )


def build() -> Router:
    router = Router(name="settings")
    router.message.register(show_settings, Command("settings"))
    router.callback_query.register(change_setting, SettingChoice.filter())
    return router
