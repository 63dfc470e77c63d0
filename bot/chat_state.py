"""A chat's state, typed, and the only code that reads or writes it.

It lives in aiogram's FSM storage (RedisStorage, so a restart loses nothing), one JSON object
per chat. :class:`ChatData` is its schema; :class:`ChatState` loads and saves it and offers the
moves the handlers make. The key ``locale`` of the same object belongs to aiogram's
``FSMI18nMiddleware`` (the language chosen with /lang) and is left alone here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.settings import UserSettings
from worker.contract import MediaKind, StyleRef

log = logging.getLogger(__name__)
MIX_WEIGHT_MAX = 5


class Picture(BaseModel):
    """A picture the chat sent (or a preset), its bytes stored in Redis."""

    model_config = ConfigDict(frozen=True)

    key: str  # Redis key of the bytes
    document: bool = False  # sent as a file: full resolution in and out
    media: MediaKind = MediaKind.PICTURE  # a clip is always the content
    duration: float = 0.0  # clips: seconds
    as_style: bool = False  # captioned "style", or a preset
    album: str | None = None  # media_group_id
    message_id: int = 0


class Content(BaseModel):
    """The photo (or clip) to repaint."""

    model_config = ConfigDict(frozen=True)

    key: str
    document: bool = False
    media: MediaKind = MediaKind.PICTURE
    duration: float = 0.0  # clips: seconds


class Style(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    weight: float = 1.0


class MixEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    weight: int = 1  # 1 … MIX_WEIGHT_MAX, set with the − and + buttons


class Album(BaseModel):
    """An album of two on its way: the first picture waits for its partner."""

    model_config = ConfigDict(frozen=True)

    id: str  # media_group_id
    first: Picture
    done: bool = False


class ChatData(BaseModel):
    """Everything the bot keeps about a chat between updates."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    content: Content | None = None  # the photo to repaint, once known
    styles: tuple[Style, ...] | None = None  # the style, or a finished mix, once known
    album: Album | None = None
    mix: tuple[MixEntry, ...] | None = None  # while the user assembles a mix (/mix)
    # The user's /settings; None until chosen, so that the operator's defaults apply.
    alpha: float | None = None
    preserve_color: bool | None = None
    size: int | None = None
    stroke: float | None = None

    def settings(self, default_size: int) -> UserSettings:
        defaults = UserSettings(size=default_size)
        return UserSettings(
            alpha=defaults.alpha if self.alpha is None else self.alpha,
            preserve_color=bool(self.preserve_color),
            size=default_size if self.size is None else self.size,
            stroke=defaults.stroke if self.stroke is None else self.stroke,
        )

    def style_refs(self) -> tuple[StyleRef, ...]:
        return tuple(StyleRef(key=s.key, weight=s.weight) for s in self.styles or ())

    def change(self, **fields: Any) -> ChatData:
        """A copy with some fields replaced (validated like a load); a field it does not have
        is refused (ValueError), never stored or dropped silently."""
        unknown = sorted(set(fields) - set(ChatData.model_fields))
        if unknown:
            raise ValueError(f"chat data has no field {', '.join(unknown)}")
        return ChatData.model_validate({**self.model_dump(), **fields})


def mix_styles(mix: tuple[MixEntry, ...]) -> tuple[Style, ...]:
    """A finished mix as styles whose weights add up to one."""
    total = sum(entry.weight for entry in mix)
    return tuple(Style(key=e.key, weight=e.weight / total) for e in mix)


class ChatState:
    """One chat's :class:`ChatData` in the FSM storage, and the moves that change it."""

    def __init__(self, fsm: FSMContext, default_size: int) -> None:
        self._fsm = fsm
        self.default_size = default_size  # the operator's PHOTO_SIZE

    async def load(self) -> ChatData:
        raw = await self._fsm.get_data()
        try:
            return ChatData.model_validate(raw)
        except ValidationError as e:  # written by an incompatible version: start afresh
            log.warning("chat state unreadable, starting afresh: %s", e.errors()[0]["msg"])
            return ChatData()

    async def save(self, data: ChatData) -> None:
        await self._fsm.update_data(data.model_dump(mode="json"))

    async def update(self, **fields: Any) -> ChatData:
        """Load, change some fields, save; returns what was saved."""
        data = (await self.load()).change(**fields)
        await self.save(data)
        return data

    async def settings(self) -> UserSettings:
        return (await self.load()).settings(self.default_size)

    async def forget_pictures(self) -> None:
        """Forget the pictures and any mix or album in progress; the settings stay."""
        await self.update(content=None, styles=None, mix=None, album=None)

    async def restyle(self, content: Content) -> None:
        """Keep this photo and wait for a new style."""
        await self.update(content=content, styles=None, mix=None)

    async def start_mix(self) -> None:
        await self.update(mix=())

    async def mix(self) -> tuple[MixEntry, ...] | None:
        """The mix being assembled, or None when there is none."""
        return (await self.load()).mix

    async def change_mix_weight(self, index: int, step: int) -> tuple[MixEntry, ...] | None:
        """Move one style's weight by ``step`` within 1 … MIX_WEIGHT_MAX; the mix after it, or
        None when there is no mix or no such style."""
        mix = (await self.load()).mix
        if mix is None or not 0 <= index < len(mix):
            return None
        entry = mix[index]
        weight = min(MIX_WEIGHT_MAX, max(1, entry.weight + step))
        changed = (*mix[:index], MixEntry(key=entry.key, weight=weight), *mix[index + 1 :])
        await self.update(mix=changed)
        return changed

    async def cancel_mix(self) -> None:
        await self.update(mix=None)

    async def finish_mix(self) -> None:
        """The mix becomes the chat's style, its weights adding up to one."""
        await self.update(mix=None, styles=mix_styles((await self.load()).mix or ()))


class ChatStateMiddleware(BaseMiddleware):
    """Hands each handler its chat's :class:`ChatState` as the ``chat_state`` argument."""

    def __init__(self, default_size: int) -> None:
        self.default_size = default_size

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        fsm = data.get("state")
        if isinstance(fsm, FSMContext):
            data["chat_state"] = ChatState(fsm, self.default_size)
        return await handler(event, data)
