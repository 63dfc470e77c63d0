"""Sending a result: a photo when Telegram's photo limits allow it, otherwise a file."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.config import MB
from worker.contract import OutputFormat

log = logging.getLogger(__name__)
PHOTO_MAX_BYTES = 10 * MB
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20


def fits_photo(size: int, width: int, height: int) -> bool:
    """Whether sendPhoto accepts a picture of this many bytes and pixels (0 = unknown)."""
    if size > PHOTO_MAX_BYTES:
        return False
    if width <= 0 or height <= 0:
        return True
    return width + height <= PHOTO_MAX_SIDES and max(width, height) <= PHOTO_MAX_RATIO * min(
        width, height
    )


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
) -> Message:
    """Send the picture with its buttons; as a file when asked or when a photo cannot be."""
    name = "adain.png" if fmt is OutputFormat.PNG else "adain.jpg"
    if not as_document and fmt is not OutputFormat.PNG and fits_photo(len(data), width, height):
        try:
            return await bot.send_photo(
                chat_id, BufferedInputFile(data, name), reply_markup=keyboard
            )
        except TelegramBadRequest as e:
            if "PHOTO" not in e.message.upper():  # PHOTO_INVALID_DIMENSIONS and the like
                raise
            log.info("chat %s: photo refused (%s), sending it as a file", chat_id, e.message)
    return await bot.send_document(chat_id, BufferedInputFile(data, name), reply_markup=keyboard)
