"""Callback data of every inline button (Telegram allows 64 bytes per button)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ResultAction(CallbackData, prefix="r"):
    """A button under a result: re-run job ``job`` with one change."""

    action: str  # weaker | stronger | colours | swap | restyle
    job: str


class PresetChoice(CallbackData, prefix="p"):
    preset: str  # Preset.id


class MixAction(CallbackData, prefix="m"):
    action: str  # more | less | go | cancel
    index: int = -1


class SettingChoice(CallbackData, prefix="s"):
    field: str  # alpha | colours | size
    value: str


class LanguageChoice(CallbackData, prefix="l"):
    code: str
