"""Buttons under a result: re-run from the stored pictures with one thing changed."""

from __future__ import annotations

import dataclasses

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import preferences
from bot.callbacks import ResultAction
from bot.images import ImageStore
from bot.jobs import RunParams, Submitter
from bot.records import JobStore
from worker.contract import JobRequest, StyleRef

ACTIONS = ("weaker", "stronger", "colours", "swap", "restyle")


def changed(params: RunParams, action: str) -> RunParams:
    """The parameters of the re-run a button asks for."""
    if action == "weaker":
        return dataclasses.replace(params, alpha=preferences.weaker(params.alpha))
    if action == "stronger":
        return dataclasses.replace(params, alpha=preferences.stronger(params.alpha))
    if action == "colours":
        return dataclasses.replace(params, preserve_color=not params.preserve_color)
    if action == "swap":
        style = params.styles[0].key
        return dataclasses.replace(
            params, content_key=style, styles=(StyleRef(key=params.content_key),)
        )
    raise ValueError(f"unknown result action {action!r}")


async def rerun(
    callback: CallbackQuery,
    callback_data: ResultAction,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    store: JobStore,
    images: ImageStore,
    submitter: Submitter,
) -> None:
    """Re-runs the result's job with the button's change; never asks to upload again."""
    await callback.answer()
    if callback.message is None:
        return
    chat_id = callback.message.chat.id
    record = await store.load(callback_data.job)
    params = None
    if record is not None:
        params = RunParams.from_request(JobRequest.from_dict(record.request), record.as_document)
    if params is None or not await images.refresh(*params.image_keys):
        await bot.send_message(chat_id, _("result-expired"))
        return
    if callback_data.action == "restyle":
        content = {"key": params.content_key, "document": params.as_document}
        await state.update_data(content=content, styles=None, mix=None)
        await bot.send_message(chat_id, _("restyle-prompt"))
        return
    if callback_data.action == "swap" and len(params.styles) != 1:
        return
    params = changed(params, callback_data.action)
    await submitter.submit(bot, chat_id, params, i18n.current_locale)


def build() -> Router:
    router = Router(name="results")
    router.callback_query.register(rerun, ResultAction.filter(F.action.in_(ACTIONS)))
    return router
