"""/mix: blend two to four styles with weights set by buttons."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MixAction, MixButton
from bot.chat_state import ChatState
from bot.conversation import Conversation
from bot.keyboards import mix_keyboard
from bot.replies import answer_press


async def start_mix(message: Message, chat_state: ChatState) -> None:
    """Starts collecting styles for a mix."""
    await chat_state.start_mix()
    await message.answer(_("mix-start"))


async def change_weight(
    callback: CallbackQuery, callback_data: MixButton, chat_state: ChatState
) -> None:
    """Moves one style's weight down (−) or up (+) and redraws the panel."""
    step = 1 if callback_data.action is MixAction.MORE else -1
    mix = await chat_state.change_mix_weight(callback_data.index, step)
    await answer_press(callback)
    if mix is not None and isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # at a bound: "message is not modified"
            await callback.message.edit_reply_markup(reply_markup=mix_keyboard(mix))


async def cancel_mix(callback: CallbackQuery, chat_state: ChatState) -> None:
    """Drops the mix being assembled."""
    had_mix = await chat_state.mix() is not None
    await chat_state.cancel_mix()
    await answer_press(callback)
    if had_mix and isinstance(callback.message, Message):
        await callback.message.edit_text(_("mix-cancelled"))


async def finish_mix(
    callback: CallbackQuery,
    bot: Bot,
    i18n: I18n,
    chat_state: ChatState,
    conversation: Conversation,
) -> None:
    """Makes the mix the style, and runs when the photo is known."""
    mix = await chat_state.mix()
    message = callback.message
    if mix is None or not isinstance(message, Message):  # a keyboard of a finished mix
        await answer_press(callback)
        return
    if len(mix) < 2:
        await answer_press(callback, _("mix-need-more"), show_alert=True)
        return
    await chat_state.finish_mix()
    await answer_press(callback)
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    if not await conversation.run_if_ready(bot, message.chat.id, chat_state, i18n.current_locale):
        await message.answer(_("mix-ready"))


async def show_weight(callback: CallbackQuery) -> None:
    """The label between − and + only shows the weight."""
    await answer_press(callback)


def build() -> Router:
    router = Router(name="mix")
    router.message.register(start_mix, Command("mix"))
    steps = MixButton.filter(F.action.in_({MixAction.LESS, MixAction.MORE}))
    router.callback_query.register(change_weight, steps)
    router.callback_query.register(cancel_mix, MixButton.filter(F.action == MixAction.CANCEL))
    router.callback_query.register(finish_mix, MixButton.filter(F.action == MixAction.GO))
    router.callback_query.register(show_weight, MixButton.filter(F.action == MixAction.SHOW))
    return router
