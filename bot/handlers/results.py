"""Buttons under a result: re-run from the stored pictures with one thing changed.

One handler for every button: it starts from the pressed result's request and re-runs it with
one thing changed (``CHANGES``, by the button's action), or keeps its photo and asks for a new
style; a result whose record or pictures expired asks for the pictures again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import settings
from bot.callbacks import ResultAction, ResultButton
from bot.chat_state import ChatState, Content
from bot.delivery.job_records import JobStore
from bot.images import ImageStore
from bot.replies import answer_press, replying_to
from bot.submission import Submitter
from worker.contract import JobRequest, StyleRef

Change = Callable[[JobRequest], JobRequest | None]  # None: the button does nothing here


class Reruns:
    """What every result button needs: the job records, the pictures, the submitter."""

    def __init__(self, store: JobStore, images: ImageStore, submitter: Submitter) -> None:
        self.store = store
        self.images = images
        self.submitter = submitter

    async def earlier_request(
        self, callback: CallbackQuery, callback_data: ResultButton, bot: Bot
    ) -> JobRequest | None:
        """The pressed result's request while its pictures are stored; otherwise says so. In
        a group, only the member who asked gets it; anyone else is told so in a notice."""
        record = await self.store.load(callback_data.job)
        owner = record.request.reply.user if record is not None else 0
        if owner and callback.from_user.id != owner:
            await answer_press(callback, _("not-yours"), show_alert=True)
            return None
        await answer_press(callback)
        if callback.message is None:
            return None
        if record is None or not await self.images.refresh(*record.request.image_keys):
            await bot.send_message(callback.message.chat.id, _("result-expired"))
            return None
        return record.request


def weaker_style(request: JobRequest) -> JobRequest:
    return dataclasses.replace(request, alpha=settings.weaker(request.alpha))


def stronger_style(request: JobRequest) -> JobRequest:
    return dataclasses.replace(request, alpha=settings.stronger(request.alpha))


def other_colors(request: JobRequest) -> JobRequest:
    return dataclasses.replace(request, preserve_color=not request.preserve_color)


def finer_strokes(request: JobRequest) -> JobRequest:
    return dataclasses.replace(request, stroke=settings.finer(request.stroke))


def coarser_strokes(request: JobRequest) -> JobRequest:
    return dataclasses.replace(request, stroke=settings.coarser(request.stroke))


def swapped(request: JobRequest) -> JobRequest | None:
    """The style becomes the photo and the photo the style; None for a mix or a clip."""
    if len(request.styles) != 1 or request.media.is_clip:
        return None
    style = request.styles[0].key
    return dataclasses.replace(
        request, content_key=style, styles=(StyleRef(key=request.content_key),)
    )


# What each re-running button changes in the pressed result's request.
CHANGES: dict[ResultAction, Change] = {
    ResultAction.WEAKER: weaker_style,  # less of the style
    ResultAction.STRONGER: stronger_style,  # more of it
    ResultAction.COLORS: other_colors,  # the photo's colours, or back to the style's
    ResultAction.FINER: finer_strokes,  # smaller brush strokes
    ResultAction.COARSER: coarser_strokes,  # larger ones
    ResultAction.SWAP: swapped,  # the two pictures' parts swapped (not for mixes or clips)
}


async def pressed(
    callback: CallbackQuery,
    callback_data: ResultButton,
    bot: Bot,
    i18n: I18n,
    reruns: Reruns,
    chat_state: ChatState,
) -> None:
    """A button under a result: re-run it with what the button changes (``CHANGES``), or,
    for "another style", keep its photo and ask for a new style."""
    request = await reruns.earlier_request(callback, callback_data, bot)
    if request is None:
        return
    if callback_data.action == ResultAction.RESTYLE and request.reply.user:  # in a group
        answer_to = replying_to(request.reply.reply_to)
        await bot.send_message(request.chat_id, _("group-restyle"), reply_parameters=answer_to)
        return
    if callback_data.action == ResultAction.RESTYLE:
        content = Content(
            key=request.content_key,
            document=request.reply.as_document,
            media=request.media,
            duration=request.duration,
        )
        await chat_state.restyle(content)
        await bot.send_message(request.chat_id, _("restyle-prompt"))
        return
    reply = dataclasses.replace(request.reply, locale=i18n.current_locale)
    changed = CHANGES[callback_data.action](dataclasses.replace(request, reply=reply))
    if changed is not None:
        await reruns.submitter.submit(bot, changed)


def build() -> Router:
    router = Router(name="results")
    actions = {*CHANGES, ResultAction.RESTYLE}
    router.callback_query.register(pressed, ResultButton.filter(F.action.in_(actions)))
    return router
