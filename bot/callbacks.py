"""Callback data of every inline button, and the vocabularies they carry.

Telegram allows 64 bytes per button. Each field is typed: data that does not parse (a forged
or outdated button) fails the handler's filter, so no handler ever sees it; the fallback
router answers such presses quietly.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ResultAction(StrEnum):
    """What a button under a result changes in the re-run."""

    WEAKER = "weaker"
    STRONGER = "stronger"
    COLORS = "colours"
    FINER = "finer"  # smaller brush strokes
    COARSER = "coarser"  # larger brush strokes
    SWAP = "swap"
    RESTYLE = "restyle"


class ResultButton(CallbackData, prefix="r"):
    """A button under a result: re-run job ``job`` with one change."""

    action: ResultAction
    job: str


class PresetChoice(CallbackData, prefix="p"):
    preset: str  # Preset.id


class GroupPresetChoice(CallbackData, prefix="gp"):
    """A preset button in a group: for the member ``user`` who asked, on their photo."""

    user: int
    preset: str  # Preset.id


class MixAction(StrEnum):
    LESS = "less"  # lower one style's weight
    MORE = "more"  # raise one style's weight
    SHOW = "show"  # the label between − and +: does nothing
    GO = "go"  # finish the mix
    CANCEL = "cancel"


class MixButton(CallbackData, prefix="m"):
    action: MixAction
    index: int = -1  # which style, for LESS, MORE and SHOW


class SettingField(StrEnum):
    ALPHA = "alpha"
    COLORS = "colours"
    SIZE = "size"
    STROKE = "stroke"


class SettingChoice(CallbackData, prefix="s"):
    """A /settings button. ``value`` is checked by each handler's filter against its field's
    choices (``bot.settings``), so a forged value never reaches the handler."""

    field: SettingField
    value: str


class LanguageChoice(CallbackData, prefix="l"):
    code: str
