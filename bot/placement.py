"""Where a new picture goes in a chat's conversation: pure functions over :class:`ChatData`."""

from __future__ import annotations

from enum import Enum

from bot.chat_state import Album, ChatData, Content, MixEntry, Picture, Style

MAX_MIX = 4
STYLE_WORDS = frozenset({"style", "стиль"})


class Next(Enum):
    """What the bot does after placing a picture."""

    NEED_STYLE = "need_style"
    NEED_CONTENT = "need_content"
    RUN = "run"
    MIX_ADDED = "mix_added"
    MIX_FULL = "mix_full"
    CLIP_NOT_STYLE = "clip_not_style"  # a clip where only a picture can go (a style, a mix)
    WAIT = "wait"  # the first picture of an album: its partner follows at once


def is_style_caption(caption: str | None) -> bool:
    """A caption that marks a picture as the style, in any supported language."""
    words = (caption or "").lower().split()
    return bool(words) and words[0].strip(".,:;!#") in STYLE_WORDS


def place(data: ChatData, pic: Picture) -> tuple[ChatData, Next]:
    """The chat's data after a new picture, and what happens next."""
    if pic.media.is_clip:
        return _place_clip(data, pic)
    if data.mix is not None:
        if len(data.mix) >= MAX_MIX:
            return data, Next.MIX_FULL
        return data.change(mix=(*data.mix, MixEntry(key=pic.key))), Next.MIX_ADDED
    if pic.album is not None:
        return _place_in_album(data, pic)
    style = (Style(key=pic.key),)
    if pic.as_style:
        return data.change(styles=style), Next.RUN if data.content else Next.NEED_CONTENT
    if not data.content:
        content = Content(key=pic.key, document=pic.document)
        return data.change(content=content), Next.RUN if data.styles else Next.NEED_STYLE
    return data.change(styles=style), Next.RUN


def _place_clip(data: ChatData, pic: Picture) -> tuple[ChatData, Next]:
    """A clip is always what gets repainted; it cannot be a style or part of a mix. A picture
    sent just before it, still waiting for its style, becomes the clip's style."""
    if pic.as_style or data.mix is not None:
        return data, Next.CLIP_NOT_STYLE
    content = Content(key=pic.key, document=pic.document, media=pic.media, duration=pic.duration)
    if not data.styles and data.content is not None and not data.content.media.is_clip:
        return data.change(content=content, styles=(Style(key=data.content.key),)), Next.RUN
    return data.change(content=content), Next.RUN if data.styles else Next.NEED_STYLE


def _place_in_album(data: ChatData, pic: Picture) -> tuple[ChatData, Next]:
    """An album of two is content then style, whichever of them arrives first."""
    album = data.album
    if album is None or album.id != pic.album:
        return data.change(album=Album(id=pic.album or "", first=pic)), Next.WAIT
    if album.done:
        return data, Next.WAIT  # a third picture of the album is ignored
    earlier, later = sorted((album.first, pic), key=lambda p: p.message_id)
    # The earlier one is the content, unless only the earlier one is captioned "style".
    swap = earlier.as_style and not later.as_style
    content, style = (later, earlier) if swap else (earlier, later)
    placed = data.change(
        album=Album(id=album.id, first=album.first, done=True),
        content=Content(key=content.key, document=content.document),
        styles=(Style(key=style.key),),
    )
    return placed, Next.RUN
