"""Where a new picture goes in a chat's conversation: pure functions over the FSM data.

FSM data of a chat (aiogram RedisStorage, so a restart loses nothing):
- ``content``: ``{"key", "document"}``, the photo to repaint, once known;
- ``styles``: ``[{"key", "weight"}]``, the style (or a finished mix), once known;
- ``album``: ``{"id", "first": picture, "done"}`` while an album of two arrives;
- ``mix``: ``[{"key", "weight"}]`` while the user assembles a mix (/mix);
- ``alpha``, ``preserve_color``, ``size``: the user's /settings; ``locale``: the language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from worker.contract import StyleRef

MAX_MIX = 4
STYLE_WORDS = frozenset({"style", "стиль"})


class Next(Enum):
    """What the bot does after placing a picture."""

    NEED_STYLE = "need_style"
    NEED_CONTENT = "need_content"
    RUN = "run"
    MIX_ADDED = "mix_added"
    MIX_FULL = "mix_full"
    WAIT = "wait"  # the first picture of an album: its partner follows at once


@dataclass(frozen=True)
class Picture:
    key: str  # Redis key of the bytes
    document: bool = False  # sent as a file: full resolution in and out
    as_style: bool = False  # captioned "style", or a preset
    album: str | None = None  # media_group_id
    message_id: int = 0


def is_style_caption(caption: str | None) -> bool:
    """A caption that marks a picture as the style, in any supported language."""
    words = (caption or "").lower().split()
    return bool(words) and words[0].strip(".,:;!#") in STYLE_WORDS


def place(data: dict[str, Any], pic: Picture) -> tuple[dict[str, Any], Next]:
    """The FSM data updates a new picture makes, and what happens next."""
    mix = data.get("mix")
    if mix is not None:
        if len(mix) >= MAX_MIX:
            return {}, Next.MIX_FULL
        return {"mix": [*mix, {"key": pic.key, "weight": 1}]}, Next.MIX_ADDED
    if pic.album is not None:
        return _place_in_album(data.get("album"), pic)
    entry = {"key": pic.key, "document": pic.document}
    if pic.as_style:
        updates = {"styles": [{"key": pic.key, "weight": 1.0}]}
        return updates, Next.RUN if data.get("content") else Next.NEED_CONTENT
    if not data.get("content"):
        return {"content": entry}, Next.RUN if data.get("styles") else Next.NEED_STYLE
    return {"styles": [{"key": pic.key, "weight": 1.0}]}, Next.RUN


def _place_in_album(album: dict[str, Any] | None, pic: Picture) -> tuple[dict[str, Any], Next]:
    """An album of two is content then style, whichever of them arrives first."""
    if album is None or album["id"] != pic.album:
        return {"album": {"id": pic.album, "first": asdict(pic), "done": False}}, Next.WAIT
    if album["done"]:
        return {}, Next.WAIT  # a third picture of the album is ignored
    first = Picture(**album["first"])
    earlier, later = sorted((first, pic), key=lambda p: p.message_id)
    # The earlier one is the content, unless only the earlier one is captioned "style".
    swap = earlier.as_style and not later.as_style
    content, style = (later, earlier) if swap else (earlier, later)
    updates = {
        "album": {**album, "done": True},
        "content": {"key": content.key, "document": content.document},
        "styles": [{"key": style.key, "weight": 1.0}],
    }
    return updates, Next.RUN


def mix_styles(mix: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A finished mix as styles whose weights add up to one."""
    total = sum(entry["weight"] for entry in mix)
    return [{"key": entry["key"], "weight": entry["weight"] / total} for entry in mix]


def style_refs(styles: list[dict[str, Any]]) -> tuple[StyleRef, ...]:
    return tuple(StyleRef(key=s["key"], weight=float(s["weight"])) for s in styles)
