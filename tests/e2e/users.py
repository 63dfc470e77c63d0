"""Users in the end-to-end scenarios: the pictures they send (bad ones included) and the
status messages they see."""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

from tests.bot.harness import text
from tests.fakes.telegram_cloud import TelegramCloud
from tests.fakes.telegram_types import SentMessage
from tests.helpers import image_bytes, natural_image


def photo(width: int, height: int, seed: int) -> bytes:
    """A photo-like JPEG, as Telegram hands photos to bots."""
    return image_bytes(natural_image(width, height, seed=seed), "JPEG", quality=90)


def size_of(data: bytes | None) -> tuple[int, int]:
    """(width, height) of encoded image bytes."""
    assert data, "no image bytes"
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def truncated_jpeg() -> bytes:
    """The first half of a JPEG: an upload cut short."""
    data = photo(320, 240, seed=41)
    return data[: len(data) // 2]


def tiny_png() -> bytes:
    return image_bytes(Image.new("RGB", (1, 1), (200, 30, 30)), "PNG")


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes whose header declares ``width`` × ``height`` pixels (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = zlib.compress(b"\0" * (1 + 3 * 64))  # one short scanline: the rest is "missing"
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def queued_pattern(locale: str = "en") -> re.Pattern[str]:
    """The status text "Queued: N ahead of you." with N captured."""
    marker = "\0"
    template = re.escape(text("queued", locale, ahead=marker))
    return re.compile("^" + template.replace(re.escape(marker), r"(\d+)") + "$")


def queue_statuses(api: TelegramCloud, chat: int, locale: str = "en") -> list[QueueStatus]:
    """The chat's "Queued: N ahead" status messages, with every N each one showed."""
    pattern = queued_pattern(locale)
    statuses = []
    for message in api.messages(chat):
        ahead = [int(m.group(1)) for t in message.texts if (m := pattern.match(t))]
        if ahead:
            statuses.append(QueueStatus(message, ahead))
    return statuses


@dataclass(frozen=True)
class QueueStatus:
    message: SentMessage
    ahead: list[int]  # the positions it showed, edits included
