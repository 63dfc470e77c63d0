"""Answering users: presses whose refusal must not stop what was asked, and replies."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ReplyParameters

log = logging.getLogger(__name__)


async def answer_press(
    callback: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Stop the button's spinner (with a notice, when ``text`` is given).

    Telegram refuses answers to presses older than about 15 s ("query is too old …"), which is
    what presses queued during a restart or an outage get: the press is still carried out.
    """
    try:
        await callback.answer(text, show_alert=show_alert)
    except TelegramBadRequest as e:
        log.info("press %s not answered (%s); carrying it out anyway", callback.id, e.message)


def replying_to(message_id: int) -> ReplyParameters | None:
    """A reply to ``message_id`` (0: none) that is still sent when that message is gone."""
    if not message_id:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
