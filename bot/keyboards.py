"""Inline keyboards. Labels come from the locale files through the current i18n context."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, SwitchInlineQueryChosenChat
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import settings
from bot.callbacks import (
    GroupPresetChoice,
    LanguageChoice,
    MixAction,
    MixButton,
    PresetChoice,
    ResultAction,
    ResultButton,
    SettingChoice,
    SettingField,
)
from bot.chat_state import MixEntry
from bot.presets import Preset
from worker.contract import JobRequest

LANGUAGES = {"en": "English", "ru": "Русский"}


def result_keyboard(
    job_id: str, request: JobRequest, *, share: bool = False
) -> InlineKeyboardMarkup:
    """Buttons under a result: each re-runs the job from the stored pictures; with ``share``
    (the bot has inline mode) a photo also gets "Share"."""

    def button(label: str, action: ResultAction) -> InlineKeyboardButton:
        data = ResultButton(action=action, job=job_id).pack()
        return InlineKeyboardButton(text=label, callback_data=data)

    strength = []
    if settings.can_be_weaker(request.alpha):
        strength.append(button(_("btn-weaker"), ResultAction.WEAKER))
    if settings.can_be_stronger(request.alpha):
        strength.append(button(_("btn-stronger"), ResultAction.STRONGER))
    strokes = []
    if settings.can_be_finer(request.stroke):
        strokes.append(button(_("btn-finer"), ResultAction.FINER))
    if settings.can_be_coarser(request.stroke):
        strokes.append(button(_("btn-coarser"), ResultAction.COARSER))
    colors = _("btn-style-colours") if request.preserve_color else _("btn-keep-colours")
    swappable = len(request.styles) == 1 and not request.media.is_clip
    last = [button(_("btn-swap"), ResultAction.SWAP)] if swappable else []
    last.append(button(_("btn-restyle"), ResultAction.RESTYLE))
    middle = [button(colors, ResultAction.COLORS)]
    if share and not request.media.is_clip and not request.reply.as_document:  # a photo
        middle.append(share_button())
    rows = [row for row in (strength, strokes) if row]
    rows += [middle, last]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def share_button() -> InlineKeyboardButton:
    """Opens the chat picker; the chosen chat's input field gets ``@bot``, and inline mode
    offers the user's results there (``bot/handlers/inline.py``)."""
    chats = SwitchInlineQueryChosenChat(
        query="", allow_user_chats=True, allow_group_chats=True, allow_channel_chats=True
    )
    return InlineKeyboardButton(text=_("btn-share"), switch_inline_query_chosen_chat=chats)


def presets_keyboard(presets: list[Preset], member: int = 0) -> InlineKeyboardMarkup:
    """One button a preset; in a group (``member``: who asked), pressable by that member only."""
    kb = InlineKeyboardBuilder()
    for preset in presets:
        data = (
            GroupPresetChoice(user=member, preset=preset.id)
            if member
            else PresetChoice(preset=preset.id)
        )
        kb.button(text=preset.name, callback_data=data)
    kb.adjust(2)
    return kb.as_markup()


def mix_keyboard(mix: tuple[MixEntry, ...]) -> InlineKeyboardMarkup:
    """One row per style with its weight and −/+ buttons, then Mix and Cancel."""
    kb = InlineKeyboardBuilder()
    for i, entry in enumerate(mix):
        label = _("mix-style").format(number=i + 1, weight=entry.weight)
        kb.button(text="−", callback_data=MixButton(action=MixAction.LESS, index=i))
        kb.button(text=label, callback_data=MixButton(action=MixAction.SHOW, index=i))
        kb.button(text="+", callback_data=MixButton(action=MixAction.MORE, index=i))
    kb.button(text=_("btn-mix-go"), callback_data=MixButton(action=MixAction.GO))
    kb.button(text=_("btn-mix-cancel"), callback_data=MixButton(action=MixAction.CANCEL))
    kb.adjust(*([3] * len(mix)), 2)
    return kb.as_markup()


def settings_keyboard(prefs: settings.UserSettings) -> InlineKeyboardMarkup:
    """Strength steps, the colour switch and the output sizes; the current ones are marked."""
    kb = InlineKeyboardBuilder()
    for alpha in settings.STRENGTHS:
        mark = "• " if abs(alpha - prefs.alpha) < 1e-6 else ""
        kb.button(
            text=f"{mark}{round(alpha * 100)}%",
            callback_data=SettingChoice(field=SettingField.ALPHA, value=str(alpha)),
        )
    state = _("on") if prefs.preserve_color else _("off")
    kb.button(
        text=_("btn-colours-setting").format(state=state),
        callback_data=SettingChoice(
            field=SettingField.COLORS, value="0" if prefs.preserve_color else "1"
        ),
    )
    for size in settings.SIZES:
        mark = "• " if size == prefs.size else ""
        data = SettingChoice(field=SettingField.SIZE, value=str(size))
        kb.button(text=mark + size_label(size), callback_data=data)
    for stroke in settings.STROKES:
        mark = "• " if abs(stroke - prefs.stroke) < 1e-6 else ""
        data = SettingChoice(field=SettingField.STROKE, value=str(stroke))
        kb.button(text=mark + stroke_label(stroke), callback_data=data)
    kb.adjust(len(settings.STRENGTHS), 1, len(settings.SIZES), len(settings.STROKES))
    return kb.as_markup()


def stroke_label(stroke: float) -> str:
    return f"×{stroke:g}"


def size_label(size: int) -> str:
    return _("size-original") if size == 0 else _("size-px").format(px=size)


def language_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for code, name in LANGUAGES.items():
        kb.button(text=name, callback_data=LanguageChoice(code=code))
    kb.adjust(len(LANGUAGES))
    return kb.as_markup()
