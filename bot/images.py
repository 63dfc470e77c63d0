"""Input pictures: from a Telegram message to bytes in Redis under the contract's key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.types import Message
from aiohttp import ClientError
from redis.asyncio import Redis

from bot.filetypes import is_clip_file, is_image_file
from worker import contract
from worker.contract import MediaKind

log = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT = 120  # seconds for one file


class Refusal(StrEnum):
    """Why the bot will not use a picture; each value is the id of the message the user gets."""

    TOO_BIG = "too-big"
    NOT_IMAGE = "not-image"
    DOWNLOAD_FAILED = "download-failed"


class PictureRefused(Exception):
    """A picture the bot will not use, and why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IncomingFile:
    """What a user sent, not yet downloaded: a photo, an image file (document), or a clip."""

    file_id: str
    file_unique_id: str
    file_size: int | None
    is_document: bool
    media: MediaKind = MediaKind.PICTURE
    duration: float = 0.0  # clips: seconds, as Telegram reports them (0: not said)


def incoming_file(message: Message) -> IncomingFile:
    """The picture or clip of a message; refuses documents that are neither."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingFile(largest.file_id, largest.file_unique_id, largest.file_size, False)
    # Telegram fills ``document`` too for animations: look at the clip kinds first.
    clip = message.animation or message.video or message.video_note
    if clip is not None:
        media = (
            MediaKind.ANIMATION if message.animation
            else MediaKind.VIDEO if message.video else MediaKind.VIDEO_NOTE
        )  # fmt: skip
        return IncomingFile(clip.file_id, clip.file_unique_id, clip.file_size, False, media,
                            float(clip.duration or 0))  # fmt: skip
    document = message.document
    if document is None:
        raise PictureRefused(Refusal.NOT_IMAGE)
    if is_clip_file(document.mime_type, document.file_name):
        gif = (document.mime_type or "").lower() == "image/gif" or (
            (document.file_name or "").lower().endswith(".gif")
        )
        media = MediaKind.ANIMATION if gif else MediaKind.VIDEO
        return IncomingFile(document.file_id, document.file_unique_id, document.file_size, True,
                            media)  # fmt: skip
    if not is_image_file(document.mime_type, document.file_name):
        raise PictureRefused(Refusal.NOT_IMAGE)
    return IncomingFile(document.file_id, document.file_unique_id, document.file_size, True)


class ImageStore:
    """Downloads pictures once and keeps their bytes in Redis for ``contract.INPUT_TTL``."""

    def __init__(self, redis: Redis, max_bytes: int) -> None:
        self.redis = redis
        self.max_bytes = max_bytes

    async def refresh(self, *keys: str) -> bool:
        """Extend the life of stored pictures; False when any of them is gone."""
        results = [await self.redis.expire(key, contract.INPUT_TTL) for key in keys]
        return all(results)

    async def put(self, key: str, data: bytes) -> None:
        """Store bytes once: a second copy of the same picture only refreshes the TTL."""
        if not await self.redis.set(key, data, nx=True, ex=contract.INPUT_TTL):
            await self.redis.expire(key, contract.INPUT_TTL)

    async def fetch(self, bot: Bot, incoming: IncomingFile) -> str:
        """The Redis key of the picture's bytes, downloading it unless it is already stored."""
        key = contract.image_key(incoming.file_unique_id)
        if await self.refresh(key):
            return key
        self._check_size(incoming.file_size)
        try:
            file = await bot.get_file(incoming.file_id)
        except TelegramBadRequest as e:
            if "too big" in e.message.lower():
                raise PictureRefused(Refusal.TOO_BIG) from e
            raise
        self._check_size(file.file_size)
        if not file.file_path:
            raise PictureRefused(Refusal.DOWNLOAD_FAILED)
        try:
            buffer = await bot.download_file(file.file_path, timeout=DOWNLOAD_TIMEOUT)
        except (TimeoutError, ClientError, TelegramNetworkError) as e:
            log.warning("download of file %s failed: %s", incoming.file_unique_id, e)
            raise PictureRefused(Refusal.DOWNLOAD_FAILED) from e
        if buffer is None:  # only when given a path to write to, which we do not
            raise PictureRefused(Refusal.DOWNLOAD_FAILED)
        data = buffer.read()
        self._check_size(len(data))
        await self.put(key, data)
        return key

    def _check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_bytes:
            raise PictureRefused(Refusal.TOO_BIG)
