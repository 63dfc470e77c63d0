"""Inline mode, guest mode and groups as Telegram shows them to one bot.

Users act with ``inline_query`` (typing ``@bot …`` in any chat), ``choose_inline_result``
(picking one of the answers: Telegram posts it and, with inline feedback on, tells the bot),
``guest_message`` (calling the bot with ``@bot`` in reply to a message, in a chat the bot is
not in) and ``migrate`` (a group upgraded to a supergroup). The bot answers with
answerInlineQuery and answerGuestQuery, and edits inline messages by ``inline_message_id``
(editMessageMedia, editMessageCaption); read them back with ``inline_answers``,
``guest_answers`` and ``inline_messages``.

Where the fake departs from Telegram, on purpose: a chosen result is posted nowhere but in
``inline_messages``; an inline message has an id as soon as the result is chosen, with or
without a keyboard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.bot_methods import Answer, BotMethods, error, ok
from tests.fakes.telegram_types import Failure, image_size


@dataclass
class InlineMessage:
    """A message posted through inline mode or guest mode, as it stands now."""

    inline_message_id: str
    photo_file_id: str | None  # what it shows; None: text
    caption: str | None = None
    text: str | None = None
    captions: list[str] = field(default_factory=list)  # every caption it showed, in order
    media: list[str] = field(default_factory=list)  # every photo file_id it showed, in order


class InlineMethods(BotMethods):
    """The users' inline queries and guest calls; the bot's answers and inline edits."""

    def __init__(self, token: str, username: str) -> None:
        super().__init__(token, username)
        self.bot_user["supports_inline_queries"] = True
        self.bot_user["supports_guest_queries"] = True
        self.inline_answers: dict[str, dict[str, Any]] = {}  # inline query id → the answer
        self.guest_answers: dict[str, dict[str, Any]] = {}  # guest query id → the result
        self.inline_messages: dict[str, InlineMessage] = {}

    # ---- users act -----------------------------------------------------------------------

    def inline_query(self, user_id: int, query: str = "", chat_type: str = "private") -> str:
        """The user types ``@bot query`` in a chat of theirs; the query's id."""
        with self._lock:
            query_id = f"iq{next(self._ids)}"
            body = {
                "id": query_id, "from": self._user(user_id), "query": query, "offset": "",
                "chat_type": chat_type,
            }  # fmt: skip
            self._push_update({"inline_query": body})
        return query_id

    def choose_inline_result(self, user_id: int, query_id: str, result_id: str) -> InlineMessage:
        """The user picks one of the bot's answers to ``query_id``: it is posted, and the bot
        hears of it (chosen_inline_result, with its inline_message_id)."""
        with self._lock:
            answer = self.inline_answers[query_id]
            result = next(r for r in answer["results"] if r["id"] == result_id)
            message = self._post_inline(result)
            chosen = {
                "result_id": result_id, "from": self._user(user_id),
                "query": "", "inline_message_id": message.inline_message_id,
            }  # fmt: skip
            self._push_update({"chosen_inline_result": chosen})
        return message

    def guest_message(
        self, user_id: int, text: str, *, photo: bytes | None, chat_id: int = -777
    ) -> str:
        """The user calls the bot as a guest: ``text`` (its @name, …) in reply to a message
        with ``photo`` (None: a text), in a chat the bot is not in. The guest query's id."""
        with self._lock:
            query_id = f"gq{next(self._ids)}"
            user = self._user(user_id)
            chat = {"id": chat_id, "type": "private", "first_name": "Friend"}
            replied: dict[str, Any] = {
                "message_id": next(self._ids), "date": int(time.time()), "chat": chat,
                "from": {"id": user_id + 1, "is_bot": False, "first_name": "Friend"},
            }  # fmt: skip
            if photo is None:
                replied["text"] = "look at this"
            else:
                record = self.add_file(photo)
                width, height = image_size(photo)
                replied["photo"] = [{**record.as_media(), "width": width, "height": height}]
            message = {
                "message_id": next(self._ids), "date": int(time.time()), "chat": chat,
                "from": user, "text": text, "guest_query_id": query_id,
                "reply_to_message": replied,
            }  # fmt: skip
            self._push_update({"guest_message": message})
        return query_id

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group ``old_chat_id`` became the supergroup ``new_chat_id``: the old id answers
        every chat method with Telegram's 400 and the new id from now on."""
        with self._lock:
            group = self._groups.get(old_chat_id, {"title": "Friends"})
            self.group(new_chat_id, str(group.get("title", "Friends")), "supergroup")
            self._failures.append(
                Failure(
                    None, old_chat_id, None, 400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    migrate_to_chat_id=new_chat_id,
                )
            )  # fmt: skip

    # ---- the bot's requests --------------------------------------------------------------

    def _m_answerinlinequery(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        self.inline_answers[str(params["inline_query_id"])] = params
        return 200, ok(True)

    def _m_answerguestquery(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        query_id = str(params["guest_query_id"])
        if query_id in self.guest_answers:
            return 400, error(400, "Bad Request: query is already answered")
        self.guest_answers[query_id] = params["result"]
        message = self._post_inline(params["result"])
        return 200, ok({"inline_message_id": message.inline_message_id})

    def _m_editmessagemedia(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        message = self.inline_messages.get(str(params.get("inline_message_id")))
        if message is None:
            return 400, error(400, "Bad Request: MESSAGE_ID_INVALID")
        media = params.get("media") or {}
        file_id = media.get("media")
        if media.get("type") != "photo" or file_id not in self._files:
            return 400, error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        message.photo_file_id = str(file_id)
        message.media.append(str(file_id))
        message.caption = media.get("caption")
        return 200, ok(True)

    def _m_editmessagecaption(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        inline_id = params.get("inline_message_id")
        if inline_id is None:
            return super()._m_editmessagecaption(params, files)
        message = self.inline_messages.get(str(inline_id))
        if message is None:
            return 400, error(400, "Bad Request: MESSAGE_ID_INVALID")
        message.caption = str(params.get("caption", ""))
        message.captions.append(message.caption)
        return 200, ok(True)

    def _post_inline(self, result: dict[str, Any]) -> InlineMessage:
        inline_id = f"im{next(self._ids)}"
        caption = result.get("caption")
        text = (result.get("input_message_content") or {}).get("message_text")
        message = InlineMessage(
            inline_id, result.get("photo_file_id"), caption=caption, text=text,
            captions=[caption] if caption else [],
        )  # fmt: skip
        self.inline_messages[inline_id] = message
        return message
