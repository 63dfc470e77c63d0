"""What the user sent, in words: refusals name it (the current locale's nouns; Russian ones
are in the accusative, the case every Russian text that takes them puts them in)."""

from __future__ import annotations

from aiogram.enums import ContentType
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from worker.contract import MediaKind


def media_name(media: MediaKind, as_document: bool = False) -> str:
    """ "photo", "image file", "GIF", "video" or "video message"."""
    if media is MediaKind.ANIMATION:
        return _("what-gif")
    if media is MediaKind.VIDEO:
        return _("what-video")
    if media is MediaKind.VIDEO_NOTE:
        return _("what-video-note")
    return _("what-file") if as_document else _("what-photo")


def file_name(message: Message) -> str:
    """The document's name in quotes, or "this file" when it has none."""
    name = message.document.file_name if message.document else None
    return _("what-named-file").format(name=name) if name else _("what-this-file")


def message_name(message: Message) -> str:
    """What a message the bot cannot use holds: "a sticker", "a voice message", …"""
    kind = message.content_type
    if kind == ContentType.STICKER:
        return _("what-sticker")
    if kind == ContentType.VOICE:
        return _("what-voice")
    if kind == ContentType.AUDIO:
        return _("what-audio")
    if kind in (ContentType.LOCATION, ContentType.VENUE):
        return _("what-location")
    if kind == ContentType.CONTACT:
        return _("what-contact")
    if kind == ContentType.POLL:
        return _("what-poll")
    return _("what-message")
