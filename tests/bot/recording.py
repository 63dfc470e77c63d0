"""aiogram's testing pattern: real ``Update`` objects fed through the bot's own dispatcher,
with a session that records each Bot API request instead of sending it, after checking it
against the published Bot API as the fake does.

For rules of one handler. Whole conversations over real HTTP live in the other bot tests.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from tests.fakes.bot_api_spec import check_request

CHAT = 4242
USER = User(id=CHAT, is_bot=False, first_name="Ada", language_code="en")
PRIVATE = Chat(id=CHAT, type="private")


class RecordingSession(BaseSession):
    """Answers every request as Telegram would in the simplest case, and keeps it."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        # the form fields aiogram's HTTP session would send, checked against the Bot API
        files: dict[str, Any] = {}
        fields = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                fields[key] = prepared
        problems = check_request(method.__api_method__, fields, files)
        assert not problems, f"Telegram would refuse this request: {problems}"
        returning = method.__returning__
        if returning is Message:
            text = getattr(method, "text", None)
            message = Message(message_id=next(self._ids), date=datetime.now(), chat=PRIVATE,
                              text=text)  # fmt: skip
            return message.as_(bot)  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # fmt: skip
        raise AssertionError("no download in handler tests")
        yield b""

    async def close(self) -> None:
        pass

    def named(self, name: str) -> list[TelegramMethod[Any]]:
        """The requests of one Bot API method, e.g. ``"sendMessage"``, in order."""
        return [r for r in self.requests if r.__api_method__ == name]

    def texts(self) -> list[str]:
        return [str(r.text) for r in self.named("sendMessage")]  # type: ignore[attr-defined]


_update_ids = itertools.count(1)


def message_update(text: str | None = None, **fields: Any) -> Update:
    entities = None
    if text and text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message = Message(message_id=next(_update_ids), date=datetime.now(), chat=PRIVATE,
                      from_user=USER, text=text, entities=entities, **fields)  # fmt: skip
    return Update(update_id=next(_update_ids), message=message)


def press_update(data: str) -> Update:
    """The user presses a button carrying ``data`` under one of the bot's messages."""
    shown = Message(message_id=1, date=datetime.now(), chat=PRIVATE, text="…")
    query = CallbackQuery(id=f"q{next(_update_ids)}", from_user=USER, chat_instance="ci",
                          message=shown, data=data)  # fmt: skip
    return Update(update_id=next(_update_ids), callback_query=query)
