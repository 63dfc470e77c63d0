"""The Telegram cloud as one bot sees it, in memory: users, chats, files, updates, failures.

Thread-safe: every method takes the lock briefly and never blocks, except ``wait_until``.
The HTTP face is :class:`tests.fakes.bot_api.FakeBotAPI`; this layer knows no HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.fakes.telegram_types import (
    Call,
    Failure,
    FileRecord,
    Refusal,
    SentMessage,
    image_size,
    suffix_of,
)

T = TypeVar("T")
DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_0123456789abcdefXYZ"
# What nginx answers when the server behind it does not.
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class TelegramCloud:
    """Users act (``send_photo``, ``press``…); the bot's requests are answered by subclasses."""

    def __init__(self, token: str = DEFAULT_TOKEN, username: str = "adain_test_bot") -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.partition(":")[0]),
            "is_bot": True,
            "first_name": "AdaIN test bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._users: dict[int, dict[str, Any]] = {}
        self._groups: dict[int, dict[str, Any]] = {}  # group and supergroup chats, by id
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._raw_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._sent: list[SentMessage] = []
        self._calls: list[Call] = []
        self._files: dict[str, FileRecord] = {}
        self._failures: list[Failure] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # language_code ("" default) → list
        # (scope type, language_code) → list, for scopes other than the default one
        self.scoped_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

    # ---- users act -----------------------------------------------------------------------

    def user(self, chat_id: int, language_code: str = "en", first_name: str = "Test") -> None:
        """Declare (or change) the private chat's user; chats are known once declared."""
        with self._lock:
            self._users[chat_id] = {
                "id": chat_id,
                "is_bot": False,
                "first_name": first_name,
                "language_code": language_code,
            }

    def group(self, chat_id: int, title: str = "Friends", kind: str = "supergroup") -> None:
        """Declare a group chat the bot is a member of (ids are negative, as Telegram's)."""
        with self._lock:
            self._groups[chat_id] = {"id": chat_id, "type": kind, "title": title}

    def add_file(
        self,
        data: bytes | None,
        *,
        file_size: int | None = None,
        file_unique_id: str | None = None,
        downloadable: bool = True,
        suffix: str = "jpg",
    ) -> FileRecord:
        """Register a file as if a user had uploaded it; ``file_size`` may lie (big files)."""
        n = next(self._ids)
        record = FileRecord(
            file_id=f"file-{n}-{int(time.time() * 1000)}",
            file_unique_id=file_unique_id or f"uniq{n}",
            file_size=file_size if file_size is not None else len(data or b""),
            file_path=f"uploads/file_{n}.{suffix}",
            data=data if downloadable else None,
        )
        with self._lock:
            self._files[record.file_id] = record
        return record

    def send_photo(
        self,
        chat_id: int,
        photo: bytes | FileRecord,
        caption: str | None = None,
        media_group_id: str | None = None,
        *,
        sender: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo (Telegram offers a thumbnail and the full size). In a group,
        ``sender`` is the member's user id; ``reply_to`` the message it replies to."""
        record = photo if isinstance(photo, FileRecord) else self.add_file(photo)
        width, height = image_size(record.data or b"")
        thumb = self.add_file(None, file_size=1000, downloadable=False)
        sizes = [
            {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id, "width": 90,
             "height": 90, "file_size": thumb.file_size},
            {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
             "width": width, "height": height, "file_size": record.file_size},
        ]  # fmt: skip
        content: dict[str, Any] = {"photo": sizes, **self._captioned(caption)}
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._user_message(chat_id, content, sender=sender, reply_to=reply_to)

    def send_document(
        self,
        chat_id: int,
        document: bytes | FileRecord,
        file_name: str = "picture.jpg",
        mime_type: str | None = "image/jpeg",
        caption: str | None = None,
        media_group_id: str | None = None,
        *,
        sender: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a file (a picture, or a video or GIF sent as a file, uncompressed)."""
        if not isinstance(document, FileRecord):
            document = self.add_file(document, suffix=suffix_of(file_name))
        doc: dict[str, Any] = {**document.as_media(), "file_name": file_name}
        if mime_type is not None:
            doc["mime_type"] = mime_type
        content: dict[str, Any] = {"document": doc, **self._captioned(caption)}
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._user_message(chat_id, content, sender=sender, reply_to=reply_to)

    def send_album(self, chat_id: int, photos: list[bytes | FileRecord]) -> list[dict[str, Any]]:
        """The user sends photos as one album: one message each, sharing a media_group_id."""
        group = f"album{next(self._ids)}"
        return [self.send_photo(chat_id, p, media_group_id=group) for p in photos]

    def send_text(
        self, chat_id: int, text: str, *, sender: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """The user types text; a leading /command gets its bot_command entity, an @username
        its mention."""
        content: dict[str, Any] = {"text": text}
        if entities := _entities(text):
            content["entities"] = entities
        return self._user_message(chat_id, content, sender=sender, reply_to=reply_to)

    def send_raw(self, chat_id: int, content: dict[str, Any]) -> dict[str, Any]:
        """The user sends any other kind of message, e.g. ``{"sticker": {...}}``."""
        return self._user_message(chat_id, content)

    def press(
        self, chat_id: int, message_id: int, callback_data: str, *, sender: int | None = None
    ) -> str:
        """The user (in a group: the member ``sender``) presses an inline button of one of
        the bot's messages."""
        with self._lock:
            user = self._user(chat_id if sender is None else sender)
            message = self._raw_messages[(chat_id, message_id)]
            query_id = f"cq{next(self._ids)}"
            query = {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": f"ci{chat_id}",
                "data": callback_data,
            }
            self._push_update({"callback_query": query})
        return query_id

    def press_button(self, message: SentMessage, label: str) -> str:
        """Press the button whose label contains ``label`` under ``message``."""
        return self.press(message.chat_id, message.message_id, message.button(label))

    # ---- what the bot did ----------------------------------------------------------------

    def messages(
        self, chat_id: int | None = None, *, include_deleted: bool = True
    ) -> list[SentMessage]:
        """The bot's messages (snapshots), oldest first."""
        with self._lock:
            return [
                m.snapshot()
                for m in self._sent
                if (chat_id is None or m.chat_id == chat_id) and (include_deleted or not m.deleted)
            ]

    def photos(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages(chat_id) if m.is_photo]

    def documents(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages(chat_id) if m.is_document]

    def clips(self, chat_id: int) -> list[SentMessage]:
        """Animations, videos and video notes the bot sent to the chat."""
        return [m for m in self.messages(chat_id) if m.is_clip]

    def results(self, chat_id: int) -> list[SentMessage]:
        """Every file the bot sent to the chat: photos, documents and clips."""
        return [m for m in self.messages(chat_id) if m.is_result]

    def texts(self, chat_id: int) -> list[str]:
        """Every text the chat was shown, edits of a message included, in order of sending."""
        return [t for m in self.messages(chat_id) for t in m.texts]

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method.lower())
                and (chat_id is None or c.chat_id == chat_id)
            ]

    def actions(self, chat_id: int) -> list[str]:
        """Chat actions (typing, upload_photo, …) the bot showed in the chat."""
        return [str(c.params.get("action")) for c in self.calls("sendChatAction", chat_id)]

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        with self._lock:
            return len(self._updates)

    def file_bytes(self, file_id: str) -> bytes | None:
        with self._lock:
            record = self._files.get(file_id)
            return None if record is None else record.data

    def transcript(self) -> str:
        """Everything the bot sent, per chat: for assertion messages."""
        lines = []
        for m in self.messages():
            state = " (deleted)" if m.deleted else ""
            lines.append(f"chat {m.chat_id} #{m.message_id} {m.method}{state}: {m.texts}")
        return "\n".join(lines) or "(the bot sent nothing)"

    def wait_until(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Block until ``predicate()`` is truthy and return it (threaded mode only)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout} s\n{self.transcript()}")
                self._changed.wait(min(remaining, 0.1))
            return result

    async def until(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Await until ``predicate()`` is truthy and return it (either mode)."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s\n{self.transcript()}")
            await asyncio.sleep(0.02)
        return result

    # ---- failures ------------------------------------------------------------------------

    def fail(
        self,
        method: str | None,
        *,
        chat_id: int | None = None,
        times: int | None = 1,
        status: int = 400,
        description: str = "Bad Request: something went wrong",
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` matching requests (None: all) get this error answer."""
        failure = Failure(
            method.lower() if method else None, chat_id, times, status, description, retry_after
        )
        with self._lock:
            self._failures.append(failure)

    def flood(
        self, method: str, chat_id: int | None = None, times: int = 1, retry_after: int = 1
    ) -> None:
        """429 Too Many Requests with ``retry_after``, like Telegram's flood control."""
        self.fail(
            method, chat_id=chat_id, times=times, status=429, retry_after=retry_after,
            description=f"Too Many Requests: retry after {retry_after}",
        )  # fmt: skip

    def refuse(
        self,
        method: str | None,
        kind: Refusal,
        *,
        chat_id: int | None = None,
        times: int | None = 1,
    ) -> None:
        """The next ``times`` matching requests (None: all) get Telegram's real answer ``kind``.

        ``method`` None: every chat method. ``chat_id`` only matches methods that name a chat.
        """
        self.fail(
            method, chat_id=chat_id, times=times, status=kind.status, description=kind.description
        )

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every chat method answers 403 from now on."""
        self.refuse(None, Refusal.BOT_BLOCKED, chat_id=chat_id, times=None)

    def hang(self, method: str, chat_id: int | None = None, times: int = 1) -> None:
        """Matching requests are never answered (nor carried out) until the server stops."""
        failure = Failure(method.lower(), chat_id, times, 0, "", hang=True)
        with self._lock:
            self._failures.append(failure)

    def drop(self, method: str, chat_id: int | None = None, times: int = 1) -> None:
        """Matching requests are read and the connection closed without an answer, as a broken
        network would (nothing is carried out)."""
        failure = Failure(method.lower(), chat_id, times, 0, "", drop=True)
        with self._lock:
            self._failures.append(failure)

    def not_json(
        self,
        method: str,
        body: str = NGINX_502,
        *,
        status: int = 502,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Matching requests get ``body`` as it is (text/html) instead of Bot API JSON, as from
        a proxy in front of the Bot API: an HTML error page, an empty or a cut-off answer
        (nothing is carried out)."""
        failure = Failure(method.lower(), chat_id, times, status, "", raw=body)
        with self._lock:
            self._failures.append(failure)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # ---- internals -----------------------------------------------------------------------

    def _user(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self._users:
            self.user(chat_id)
        return self._users[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._groups:
            return dict(self._groups[chat_id])
        user = self._user(chat_id)
        return {"id": chat_id, "type": "private", "first_name": user["first_name"]}

    def _knows_chat(self, chat_id: int | None) -> bool:
        return chat_id in self._users or chat_id in self._groups

    def _captioned(self, caption: str | None) -> dict[str, Any]:
        if caption is None:
            return {}
        entities = _entities(caption)
        return {"caption": caption, **({"caption_entities": entities} if entities else {})}

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        *,
        sender: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            message = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self._user(chat_id if sender is None else sender),
                **content,
            }
            if reply_to is not None:  # Telegram nests one level: the replied-to message bare
                replied = dict(self._raw_messages[(chat_id, reply_to)])
                replied.pop("reply_to_message", None)
                message["reply_to_message"] = replied
            self._raw_messages[(chat_id, message["message_id"])] = message
            self._push_update({"message": message})
        return message

    def _push_update(self, body: dict[str, Any]) -> None:
        with self._changed:
            self._updates.append({"update_id": next(self._ids), **body})
            self._changed.notify_all()
        self._updates_arrived()

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _updates_arrived(self) -> None:
        """Hook: wake long polls (the HTTP layer overrides it)."""


def _entities(text: str) -> list[dict[str, Any]]:
    """What Telegram marks in a text or caption: a leading /command, and @usernames."""
    found = []
    if text.startswith("/"):
        found.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    for match in re.finditer(r"@\w+", text):
        if match.start() == 0 or text[match.start() - 1].isspace():
            found.append({"type": "mention", "offset": match.start(), "length": len(match[0])})
    return found
