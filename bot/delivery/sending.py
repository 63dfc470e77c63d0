"""Sending a result: a photo when Telegram's photo limits allow it, otherwise a file."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, ReplyParameters

from bot.config import MB
from worker.contract import MediaKind, OutputFormat

log = logging.getLogger(__name__)
PHOTO_MAX_BYTES = 10 * MB
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20
# PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID, PHOTO_EXT_INVALID, IMAGE_PROCESS_FAILED, …
PHOTO_REFUSALS = ("PHOTO_", "IMAGE_PROCESS_FAILED", "DIMENSIONS", "TOO BIG")


def refuses_the_photo(error: TelegramBadRequest | TelegramEntityTooLarge) -> bool:
    """Telegram's refusals of a valid picture as a photo, which it still takes as a file."""
    if isinstance(error, TelegramEntityTooLarge):
        return True  # over sendPhoto's 10 MB; a file may have 50
    text = error.message.upper()
    return any(marker in text for marker in PHOTO_REFUSALS)


def fits_photo(size: int, width: int, height: int) -> bool:
    """Whether sendPhoto accepts a picture of this many bytes and pixels (0 = unknown)."""
    if size > PHOTO_MAX_BYTES:
        return False
    if width <= 0 or height <= 0:
        return True
    return width + height <= PHOTO_MAX_SIDES and max(width, height) <= PHOTO_MAX_RATIO * min(
        width, height
    )


async def send_clip(
    bot: Bot,
    chat_id: int,
    data: bytes,
    *,
    media: MediaKind,
    width: int,
    height: int,
    duration: float,
    keyboard: InlineKeyboardMarkup | None,
    reply: ReplyParameters | None = None,
) -> Message:
    """Send a stylized clip as the same kind of message the user sent (a reply to ``reply``)."""
    file = BufferedInputFile(data, "adain.mp4")
    seconds = max(1, round(duration))
    if media is MediaKind.VIDEO_NOTE:
        return await bot.send_video_note(
            chat_id, file, duration=seconds, length=width, reply_markup=keyboard,
            reply_parameters=reply,
        )  # fmt: skip
    if media is MediaKind.VIDEO:
        return await bot.send_video(
            chat_id, file, duration=seconds, width=width, height=height,
            supports_streaming=True, reply_markup=keyboard, reply_parameters=reply,
        )  # fmt: skip
    return await bot.send_animation(
        chat_id, file, duration=seconds, width=width, height=height, reply_markup=keyboard,
        reply_parameters=reply,
    )  # fmt: skip


async def send_result(
    bot: Bot,
    chat_id: int,
    data: bytes,
    *,
    fmt: OutputFormat,
    width: int,
    height: int,
    as_document: bool,
    keyboard: InlineKeyboardMarkup | None,
    reply: ReplyParameters | None = None,
) -> Message:
    """Send the picture with its buttons (a reply to ``reply``); as a file when asked or when a
    photo cannot be."""
    name = "adain.png" if fmt is OutputFormat.PNG else "adain.jpg"
    if not as_document and fmt is not OutputFormat.PNG and fits_photo(len(data), width, height):
        try:
            return await bot.send_photo(
                chat_id, BufferedInputFile(data, name), reply_markup=keyboard,
                reply_parameters=reply,
            )  # fmt: skip
        except (TelegramBadRequest, TelegramEntityTooLarge) as e:
            if not refuses_the_photo(e):
                raise
            log.info("chat %s: photo refused (%s), sending it as a file", chat_id, e.message)
    return await bot.send_document(
        chat_id, BufferedInputFile(data, name), reply_markup=keyboard, reply_parameters=reply
    )
