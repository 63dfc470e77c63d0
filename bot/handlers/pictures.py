"""Photos, image files and clips: content or style, singly or as an album of two."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.chat_state import ChatState, Picture
from bot.config import MB, BotConfig
from bot.conversation import Conversation
from bot.images import ImageStore, PictureRefused, Refusal, incoming_file
from bot.naming import file_name, media_name
from bot.placement import is_style_caption


def refusal_text(reason: Refusal, max_bytes: int, what: str) -> str:
    """The refusal's message, naming ``what`` the user sent."""
    if reason is Refusal.TOO_BIG:
        return _("too-big").format(what=what, limit=max_bytes // MB)
    if reason is Refusal.NOT_IMAGE:
        return _("not-image").format(what=what)
    return _("download-failed").format(what=what)


async def take_picture(
    message: Message,
    bot: Bot,
    i18n: I18n,
    images: ImageStore,
    conversation: Conversation,
    chat_state: ChatState,
    config: BotConfig,
) -> None:
    """Downloads the picture (or clip) into Redis and moves the conversation on."""
    try:
        incoming = incoming_file(message)
    except PictureRefused as refused:
        await message.answer(refusal_text(refused.reason, images.max_bytes, file_name(message)))
        return
    what = media_name(incoming.media, incoming.is_document)
    if incoming.media.is_clip and incoming.duration > config.max_video_seconds:
        await message.answer(_("clip-too-long").format(limit=round(config.max_video_seconds)))
        return
    try:
        key = await images.fetch(bot, incoming)
    except PictureRefused as refused:
        await message.answer(refusal_text(refused.reason, images.max_bytes, what))
        return
    picture = Picture(
        key=key,
        document=incoming.is_document,
        media=incoming.media,
        duration=incoming.duration,
        as_style=is_style_caption(message.caption),
        album=message.media_group_id,
        message_id=message.message_id,
    )
    await conversation.take(bot, message.chat.id, chat_state, picture, i18n.current_locale)


def build() -> Router:
    router = Router(name="pictures")
    media = F.photo | F.document | F.animation | F.video | F.video_note
    router.message.register(take_picture, media)
    return router
