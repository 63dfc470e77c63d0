"""/mix: blend two to four styles with weights set by buttons."""

from __future__ import annotations

import contextlib

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MixAction
from bot.conversation import mix_styles
from bot.keyboards import mix_keyboard
from bot.studio import Studio

MAX_WEIGHT = 5


async def start_mix(message: Message, state: FSMContext) -> None:
    """Starts collecting styles for a mix."""
    await state.update_data(mix=[])
    await message.answer(_("mix-start"))


async def mix_action(
    callback: CallbackQuery,
    callback_data: MixAction,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    studio: Studio,
) -> None:
    """Changes a weight, cancels the mix, or finishes it and runs when the photo is known."""
    mix = (await state.get_data()).get("mix")
    message = callback.message
    if mix is None or not isinstance(message, Message):  # a keyboard of a finished mix
        await callback.answer()
        return
    action, i = callback_data.action, callback_data.index
    if action in ("less", "more") and 0 <= i < len(mix):
        step = 1 if action == "more" else -1
        mix[i]["weight"] = min(MAX_WEIGHT, max(1, mix[i]["weight"] + step))
        await state.update_data(mix=mix)
        with contextlib.suppress(TelegramBadRequest):  # at a bound: "message is not modified"
            await message.edit_reply_markup(reply_markup=mix_keyboard(mix))
        await callback.answer()
    elif action == "cancel":
        await state.update_data(mix=None)
        await callback.answer()
        await message.edit_text(_("mix-cancelled"))
    elif action == "go":
        if len(mix) < 2:
            await callback.answer(_("mix-need-more"), show_alert=True)
            return
        await state.update_data(mix=None, styles=mix_styles(mix))
        await callback.answer()
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
        if not await studio.run_if_ready(bot, message.chat.id, state, i18n.current_locale):
            await message.answer(_("mix-ready"))
    else:
        await callback.answer()


def build() -> Router:
    router = Router(name="mix")
    router.message.register(start_mix, Command("mix"))
    router.callback_query.register(mix_action, MixAction.filter())
    return router
