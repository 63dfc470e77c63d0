"""/styles: the gallery of preset styles, chosen by button."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import PresetChoice
from bot.chat_state import ChatState, Picture
from bot.conversation import Conversation
from bot.images import ImageStore
from bot.keyboards import presets_keyboard
from bot.presets import Preset, PresetLibrary, preset_key
from bot.replies import answer_press
from worker import contract


async def show_presets(message: Message, presets: PresetLibrary) -> None:
    """Lists the preset styles as buttons."""
    found = presets.list()
    if not found:
        await message.answer(_("presets-none"))
        return
    await message.answer(_("presets-title"), reply_markup=presets_keyboard(found))


async def pick_preset(
    callback: CallbackQuery,
    callback_data: PresetChoice,
    bot: Bot,
    i18n: I18n,
    presets: PresetLibrary,
    images: ImageStore,
    conversation: Conversation,
    chat_state: ChatState,
) -> None:
    """Takes a preset as the style, stored in Redis like an uploaded picture."""
    await answer_press(callback)
    if callback.message is None:
        return
    chat_id = callback.message.chat.id
    preset = presets.find(callback_data.preset)
    if preset is None:
        await bot.send_message(chat_id, _("preset-missing"))
        return
    style = Picture(key=await store_preset(images, presets, preset), as_style=True)
    await conversation.take(bot, chat_id, chat_state, style, i18n.current_locale)


async def store_preset(images: ImageStore, presets: PresetLibrary, preset: Preset) -> str:
    """The Redis key of a preset's bytes, stored there like an upload (keyed by content)."""
    data = await presets.read(preset)
    key = contract.image_key(preset_key(data))
    await images.put(key, data)
    return key


def build() -> Router:
    router = Router(name="presets")
    router.message.register(show_presets, Command("styles"))
    router.callback_query.register(pick_preset, PresetChoice.filter())
    return router
