"""The conversation's moves: place a picture, and start a job once content and style are known."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.utils.i18n import gettext as _

from bot.conversation import MAX_MIX, Next, Picture, place, style_refs
from bot.images import ImageStore
from bot.jobs import RunParams, Submitter
from bot.keyboards import mix_keyboard
from bot.preferences import Preferences

CLEARED = {"content": None, "styles": None}


class Studio:
    """Applies :func:`bot.conversation.place` to a chat and answers the user."""

    def __init__(self, images: ImageStore, submitter: Submitter, default_size: int) -> None:
        self.images = images
        self.submitter = submitter
        self.default_size = default_size

    async def take(
        self, bot: Bot, chat_id: int, state: FSMContext, pic: Picture, locale: str
    ) -> None:
        """A new picture arrived (upload or preset): store its place, run or ask for the rest."""
        data = await self._forget_expired(state)
        updates, step = place(data, pic)
        if step is Next.RUN:
            if await self._submit(bot, chat_id, {**data, **updates}, locale):
                await state.update_data({**updates, **CLEARED})
            return
        if updates:
            await state.update_data(updates)
        if step is Next.NEED_STYLE:
            await bot.send_message(chat_id, _("got-content"))
        elif step is Next.NEED_CONTENT:
            await bot.send_message(chat_id, _("got-style"))
        elif step is Next.MIX_ADDED:
            mix = updates["mix"]
            text = _("mix-status").format(count=len(mix))
            await bot.send_message(chat_id, text, reply_markup=mix_keyboard(mix))
        elif step is Next.MIX_FULL:
            await bot.send_message(chat_id, _("mix-full").format(max=MAX_MIX))

    async def run_if_ready(self, bot: Bot, chat_id: int, state: FSMContext, locale: str) -> bool:
        """Start the job when the chat has both content and styles; False when content lacks."""
        data = await self._forget_expired(state)
        if not data.get("content") or not data.get("styles"):
            return False
        if await self._submit(bot, chat_id, data, locale):
            await state.update_data(CLEARED)
        return True

    async def _submit(self, bot: Bot, chat_id: int, data: dict[str, Any], locale: str) -> bool:
        content = data["content"]
        prefs = Preferences.from_data(data, self.default_size)
        params = RunParams(
            content_key=content["key"],
            styles=style_refs(data["styles"]),
            alpha=prefs.alpha,
            preserve_color=prefs.preserve_color,
            size=0 if content["document"] else prefs.size,
            as_document=content["document"],
        )
        return await self.submitter.submit(bot, chat_id, params, locale)

    async def _forget_expired(self, state: FSMContext) -> dict[str, Any]:
        """The chat's data without pictures whose bytes Redis no longer holds (TTL passed)."""
        data = await state.get_data()
        gone: dict[str, Any] = {}
        if data.get("content") and not await self.images.refresh(data["content"]["key"]):
            gone["content"] = None
        styles = data.get("styles")
        if styles and not await self.images.refresh(*(s["key"] for s in styles)):
            gone["styles"] = None
        if gone:
            await state.update_data(gone)
            data.update(gone)
        return data
