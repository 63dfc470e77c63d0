"""The conversation's moves: place a picture, and start a job once content and style are known."""

from __future__ import annotations

import dataclasses

from aiogram import Bot
from aiogram.utils.i18n import gettext as _

from bot.chat_state import ChatData, ChatState, Picture
from bot.config import BotConfig
from bot.images import ImageStore
from bot.keyboards import mix_keyboard
from bot.placement import MAX_MIX, Next, place
from bot.submission import Submitter
from worker.contract import JobRequest, ReplyContext


class Conversation:
    """Applies :func:`bot.placement.place` to a chat and answers the user."""

    def __init__(self, images: ImageStore, submitter: Submitter, config: BotConfig) -> None:
        self.images = images
        self.submitter = submitter
        self.config = config

    async def take(
        self, bot: Bot, chat_id: int, chat: ChatState, pic: Picture, locale: str
    ) -> None:
        """A new picture arrived (upload or preset): store its place, run or ask for the rest."""
        data = await self._forget_expired(chat)
        placed, step = place(data, pic)
        if step is Next.RUN:
            if await self._submit(bot, chat_id, chat, placed, locale):
                await chat.save(placed.change(content=None, styles=None))
            return
        if placed != data:
            await chat.save(placed)
        if step is Next.NEED_STYLE:
            clip = placed.content is not None and placed.content.media.is_clip
            await bot.send_message(chat_id, _("got-clip") if clip else _("got-content"))
        elif step is Next.CLIP_NOT_STYLE:
            await bot.send_message(chat_id, _("clip-not-style"))
        elif step is Next.NEED_CONTENT:
            await bot.send_message(chat_id, _("got-style"))
        elif step is Next.MIX_ADDED and placed.mix is not None:
            text = _("mix-status").format(count=len(placed.mix))
            await bot.send_message(chat_id, text, reply_markup=mix_keyboard(placed.mix))
        elif step is Next.MIX_FULL:
            await bot.send_message(chat_id, _("mix-full").format(max=MAX_MIX))

    async def run_if_ready(self, bot: Bot, chat_id: int, chat: ChatState, locale: str) -> bool:
        """Start the job when the chat has both content and styles; False when content lacks."""
        data = await self._forget_expired(chat)
        if not data.content or not data.styles:
            return False
        if await self._submit(bot, chat_id, chat, data, locale):
            await chat.save(data.change(content=None, styles=None))
        return True

    async def _submit(
        self, bot: Bot, chat_id: int, chat: ChatState, data: ChatData, locale: str
    ) -> bool:
        request = self.request(chat_id, data, chat.default_size, ReplyContext(locale=locale))
        return await self.submitter.submit(bot, request)

    def request(
        self, chat_id: int, data: ChatData, default_size: int, reply: ReplyContext
    ) -> JobRequest:
        """The job for the chat's content and styles, with its settings; ``reply`` says how
        the answer goes (a photo's sent as a file comes back as one)."""
        content = data.content
        assert content is not None and data.styles  # callers checked
        prefs = data.settings(default_size)
        clip = content.media.is_clip
        size = self.config.video_size if clip else 0 if content.document else prefs.size
        return JobRequest(
            chat_id=chat_id,
            content_key=content.key,
            styles=data.style_refs(),
            alpha=prefs.alpha,
            preserve_color=prefs.preserve_color,
            size=size,
            style_size=self.config.style_size,
            stroke=prefs.stroke,
            media=content.media,
            duration=content.duration,
            fps=self.config.video_fps,
            reply=dataclasses.replace(reply, as_document=content.document and not clip),
        )

    async def _forget_expired(self, chat: ChatState) -> ChatData:
        """The chat's data without pictures whose bytes Redis no longer holds (TTL passed)."""
        data = await chat.load()
        gone: dict[str, None] = {}
        if data.content and not await self.images.refresh(data.content.key):
            gone["content"] = None
        if data.styles and not await self.images.refresh(*(s.key for s in data.styles)):
            gone["styles"] = None
        if gone:
            data = data.change(**gone)
            await chat.save(data)
        return data
