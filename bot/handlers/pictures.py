"""Photos and image files: content or style, singly or as an album of two."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.conversation import Picture, is_style_caption
from bot.images import ImageStore, PictureRefused, incoming_file
from bot.settings import MB
from bot.studio import Studio


def refusal_text(reason: str, max_bytes: int) -> str:
    if reason == "too-big":
        return _("too-big").format(limit=max_bytes // MB)
    if reason == "not-image":
        return _("not-image")
    return _("download-failed")


async def take_picture(
    message: Message,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    images: ImageStore,
    studio: Studio,
) -> None:
    """Downloads the picture into Redis and moves the conversation on."""
    try:
        incoming = incoming_file(message)
        key = await images.fetch(bot, incoming)
    except PictureRefused as refused:
        await message.answer(refusal_text(refused.reason, images.max_bytes))
        return
    picture = Picture(
        key=key,
        document=incoming.is_document,
        as_style=is_style_caption(message.caption),
        album=message.media_group_id,
        message_id=message.message_id,
    )
    await studio.take(bot, message.chat.id, state, picture, i18n.current_locale)


def build() -> Router:
    router = Router(name="pictures")
    router.message.register(take_picture, F.photo | F.document)
    return router
