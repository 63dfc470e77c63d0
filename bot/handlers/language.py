"""/lang: English or Russian; until chosen, the user's Telegram language decides."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import FSMI18nMiddleware
from aiogram.utils.i18n import gettext as _

from bot.callbacks import LanguageChoice
from bot.keyboards import LANGUAGES, language_keyboard
from bot.replies import answer_press


async def choose_language(message: Message) -> None:
    """Offers the languages as buttons."""
    await message.answer(_("lang-choose"), reply_markup=language_keyboard())


async def set_language(
    callback: CallbackQuery,
    callback_data: LanguageChoice,
    state: FSMContext,
    bot: Bot,
    i18n_middleware: FSMI18nMiddleware,
) -> None:
    """Stores the chosen language and confirms in it."""
    await i18n_middleware.set_locale(state, callback_data.code)
    await answer_press(callback)
    if callback.message is not None:
        await bot.send_message(callback.message.chat.id, _("lang-set"))


def build() -> Router:
    router = Router(name="language")
    router.message.register(choose_language, Command("lang"))
    router.callback_query.register(set_language, LanguageChoice.filter(F.code.in_(LANGUAGES)))
    return router
