"""/settings: default style strength, colour preservation and output size."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import preferences
from bot.callbacks import SettingChoice, SettingField
from bot.chat_state import ChatState
from bot.keyboards import settings_keyboard, size_label, stroke_label
from bot.preferences import Preferences
from bot.replies import answer_press


def settings_text(prefs: Preferences) -> str:
    return _("settings-title").format(
        strength=round(prefs.alpha * 100),
        colours=_("on") if prefs.preserve_color else _("off"),
        size=size_label(prefs.size),
        stroke=stroke_label(prefs.stroke),
    )


async def show_settings(message: Message, chat_state: ChatState) -> None:
    """Shows the current settings with buttons to change them."""
    prefs = await chat_state.preferences()
    await message.answer(settings_text(prefs), reply_markup=settings_keyboard(prefs))


async def set_strength(
    callback: CallbackQuery, callback_data: SettingChoice, chat_state: ChatState
) -> None:
    """Stores the default style strength."""
    await chat_state.set_alpha(float(callback_data.value))
    await _saved(callback, chat_state)


async def set_colours(
    callback: CallbackQuery, callback_data: SettingChoice, chat_state: ChatState
) -> None:
    """Stores whether results keep the photo's colours."""
    await chat_state.set_preserve_color(callback_data.value == "1")
    await _saved(callback, chat_state)


async def set_size(
    callback: CallbackQuery, callback_data: SettingChoice, chat_state: ChatState
) -> None:
    """Stores the size of results from photos."""
    await chat_state.set_size(int(callback_data.value))
    await _saved(callback, chat_state)


async def set_stroke(
    callback: CallbackQuery, callback_data: SettingChoice, chat_state: ChatState
) -> None:
    """Stores the brush-stroke scale of results."""
    await chat_state.set_stroke(float(callback_data.value))
    await _saved(callback, chat_state)


async def _saved(callback: CallbackQuery, chat_state: ChatState) -> None:
    """Confirms and redraws the settings message."""
    prefs = await chat_state.preferences()
    await answer_press(callback, _("settings-saved"))
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # unchanged: "message is not modified"
            await callback.message.edit_text(
                settings_text(prefs), reply_markup=settings_keyboard(prefs)
            )


def build() -> Router:
    router = Router(name="settings")
    router.message.register(show_settings, Command("settings"))
    for field, values, handler in (
        (SettingField.ALPHA, preferences.STRENGTH_VALUES, set_strength),
        (SettingField.COLOURS, preferences.SWITCH_VALUES, set_colours),
        (SettingField.SIZE, preferences.SIZE_VALUES, set_size),
        (SettingField.STROKE, preferences.STROKE_VALUES, set_stroke),
    ):
        choice = SettingChoice.filter((F.field == field) & F.value.in_(values))
        router.callback_query.register(handler, choice)
    return router
