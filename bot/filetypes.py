"""Which files the bot accepts as pictures or clips: allowlists by MIME type and extension."""

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
# Documents that are clips: videos, and GIFs (animations in Telegram's own messages).
VIDEO_MIME_TYPES = frozenset(
    {"video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/mpeg", "image/gif"}
)
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".mpg", ".mpeg", ".gif"})
# Telegram reports these when it does not know better; then the file name decides.
UNKNOWN_MIME_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def is_image_file(mime_type: str | None, file_name: str | None) -> bool:
    """True for a still picture the worker can decode, by its MIME type or else its name."""
    return _matches(mime_type, file_name, IMAGE_MIME_TYPES - {"image/gif"},
                    IMAGE_EXTENSIONS - {".gif"})  # fmt: skip


def is_clip_file(mime_type: str | None, file_name: str | None) -> bool:
    """True for a video or a GIF sent as a file, by its MIME type or else its name."""
    return _matches(mime_type, file_name, VIDEO_MIME_TYPES, VIDEO_EXTENSIONS)


def _matches(
    mime_type: str | None, file_name: str | None, types: frozenset[str], suffixes: frozenset[str]
) -> bool:
    mime = (mime_type or "").lower().partition(";")[0].strip()
    if mime in types:
        return True
    if mime not in UNKNOWN_MIME_TYPES:
        return False
    return PurePath(file_name or "").suffix.lower() in suffixes
