"""Which files the bot accepts as pictures: an allowlist by MIME type and file extension."""

from __future__ import annotations

from pathlib import PurePath

IMAGE_MIME_TYPES = frozenset(
    {
        "image/jpeg",
        "image/pjpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/bmp",
        "image/x-bmp",
        "image/x-ms-bmp",
        "image/tiff",
    }
)
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)
# Telegram reports these when it does not know better; then the file name decides.
UNKNOWN_MIME_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def is_image_file(mime_type: str | None, file_name: str | None) -> bool:
    """True for a document the worker can decode, judged by its MIME type or else its name."""
    mime = (mime_type or "").lower().partition(";")[0].strip()
    if mime in IMAGE_MIME_TYPES:
        return True
    if mime not in UNKNOWN_MIME_TYPES:
        return False
    return PurePath(file_name or "").suffix.lower() in IMAGE_EXTENSIONS
