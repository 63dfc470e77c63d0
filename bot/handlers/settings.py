"""/settings: default style strength, colour preservation and output size."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import settings
from bot.callbacks import SettingChoice, SettingField
from bot.chat_state import ChatState
from bot.keyboards import settings_keyboard, size_label, stroke_label
from bot.replies import answer_press
from bot.settings import UserSettings


def settings_text(prefs: UserSettings) -> str:
    return _("settings-title").format(
        strength=round(prefs.alpha * 100),
        colors=_("on") if prefs.preserve_color else _("off"),
        size=size_label(prefs.size),
        stroke=stroke_label(prefs.stroke),
    )


async def show_settings(message: Message, chat_state: ChatState) -> None:
    """Shows the current settings with buttons to change them."""
    prefs = await chat_state.settings()
    await message.answer(settings_text(prefs), reply_markup=settings_keyboard(prefs))


# Each setting: the chat state's field, how its button's value reads, and the values allowed.
SETTINGS: dict[SettingField, tuple[str, Callable[[str], object], frozenset[str]]] = {
    SettingField.ALPHA: ("alpha", float, settings.STRENGTH_VALUES),
    SettingField.COLORS: (
        "preserve_color",
        lambda value: value == "1",
        settings.SWITCH_VALUES,
    ),
    SettingField.SIZE: ("size", int, settings.SIZE_VALUES),
    SettingField.STROKE: ("stroke", float, settings.STROKE_VALUES),
}


async def set_choice(
    callback: CallbackQuery, callback_data: SettingChoice, chat_state: ChatState
) -> None:
    """Stores one setting (strength, colours, size or strokes) and redraws the message."""
    field, read, _values = SETTINGS[callback_data.field]
    await chat_state.update(**{field: read(callback_data.value)})
    await _saved(callback, chat_state)


async def _saved(callback: CallbackQuery, chat_state: ChatState) -> None:
    """Confirms and redraws the settings message."""
    prefs = await chat_state.settings()
    await answer_press(callback, _("settings-saved"))
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # unchanged: "message is not modified"
            await callback.message.edit_text(
                settings_text(prefs), reply_markup=settings_keyboard(prefs)
            )


def build() -> Router:
    router = Router(name="settings")
    router.message.register(show_settings, Command("settings"))
    for setting, (_field, _read, values) in SETTINGS.items():
        choice = SettingChoice.filter((F.field == setting) & F.value.in_(values))
        router.callback_query.register(set_choice, choice)
    return router
