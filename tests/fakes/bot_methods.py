"""Answers to Bot API methods, over the state of :class:`TelegramCloud`."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.telegram_cloud import TelegramCloud
from tests.fakes.telegram_types import (
    CHAT_METHODS,
    Call,
    FileRecord,
    Refusal,
    SentMessage,
    image_size,
    mime_type_of,
    suffix_of,
)

GET_FILE_LIMIT = 20 * 1024 * 1024  # the cloud Bot API's download limit
Answer = tuple[int, dict[str, Any]]
Shape = tuple[int, int, int]  # width, height, duration


class BotMethods(TelegramCloud):
    """``answer(method, params, files)`` → (HTTP status, JSON body), as Telegram would."""

    def answer(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Answer:
        """Carry out one request (method name in lower case) and record it."""
        chat_id = params.get("chat_id") if isinstance(params.get("chat_id"), int) else None
        handler = getattr(self, f"_m_{method}", None)
        with self._lock:
            if handler is None:
                status, body = 404, error(404, "Not Found")
            elif method in CHAT_METHODS and "chat_id" in params and not self._knows_chat(chat_id):
                status, body = 400, error(400, "Bad Request: chat not found")
            else:
                status, body = handler(params, files)
        self._record(Call(method, chat_id, params, status))
        return status, body

    # Each _m_<method> runs with the lock held. The webhook's are in webhook_methods.py.

    def _m_getme(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return 200, ok(self.bot_user)

    def _m_getfile(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        record = self._files.get(str(params.get("file_id")))
        if record is None:
            return 400, error(400, "Bad Request: invalid file_id")
        if record.file_size > GET_FILE_LIMIT:
            return 400, error(400, "Bad Request: file is too big")
        return 200, ok(record.as_file())

    def _m_sendmessage(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._new_message("sendMessage", params, {"text": params.get("text", "")})

    def _m_sendphoto(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._send_file("sendPhoto", "photo", params, files)

    def _m_senddocument(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._send_file("sendDocument", "document", params, files)

    def _m_sendchataction(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return 200, ok(True)

    def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return 200, ok(True)

    def _m_setmycommands(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        scope = (params.get("scope") or {}).get("type", "default")
        language = str(params.get("language_code") or "")
        commands = list(params.get("commands") or [])
        if scope == "default":
            self.commands[language] = commands
        else:
            self.scoped_commands[(scope, language)] = commands
        return 200, ok(True)

    def _m_getmycommands(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        scope = (params.get("scope") or {}).get("type", "default")
        language = str(params.get("language_code") or "")
        if scope == "default":
            return 200, ok(self.commands.get(language, []))
        return 200, ok(self.scoped_commands.get((scope, language), []))

    def _m_editmessagetext(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._edit(params, text=str(params.get("text", "")))

    def _m_editmessagecaption(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._edit(params, text=str(params.get("caption", "")))

    def _m_editmessagereplymarkup(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._edit(params, text=None)

    def _m_deletemessage(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        message = self._find_sent(params)
        if message is None or message.deleted:
            return refused(Refusal.MESSAGE_TO_DELETE_NOT_FOUND)
        message.deleted = True
        self._raw_messages.pop((message.chat_id, message.message_id), None)
        return 200, ok(True)

    def _find_sent(self, params: dict[str, Any]) -> SentMessage | None:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        return next(
            (m for m in self._sent if m.chat_id == chat_id and m.message_id == message_id), None
        )

    def _edit(self, params: dict[str, Any], text: str | None) -> Answer:
        message = self._find_sent(params)
        if message is None or message.deleted:
            return refused(Refusal.MESSAGE_TO_EDIT_NOT_FOUND)
        markup = params.get("reply_markup")
        if (text is None or text == message.text) and markup == message.reply_markup:
            return refused(Refusal.MESSAGE_NOT_MODIFIED)
        if text is not None and text != message.text:
            message.text = text
            message.texts.append(text)
        message.reply_markup = markup
        raw = self._raw_messages[(message.chat_id, message.message_id)]
        if message.text is not None:
            raw["text" if message.method == "sendMessage" else "caption"] = message.text
        raw.pop("reply_markup", None)
        if markup:
            raw["reply_markup"] = markup
        return 200, ok(raw)

    def _send_file(
        self, method: str, field: str, params: dict[str, Any], files: dict[str, Any]
    ) -> Answer:
        """sendPhoto, sendDocument and the clips: the file ``field`` is uploaded or a file_id."""
        value = params.get(field)
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif field in files:
            upload = files[field]
        elif isinstance(value, str) and value in self._files:  # a file_id sent again
            record = self._files[value]
            upload = (record.file_path.rsplit("/", 1)[-1], record.data or b"")
        if upload is None:
            return 400, error(400, f"Bad Request: there is no {field} in the request")
        filename, data = upload
        record = self.add_file(data, suffix=suffix_of(filename))
        content, shape = self._file_content(field, record, filename, params)
        if params.get("caption"):
            content["caption"] = params["caption"]
        status, body = self._new_message(method, params, content)
        if status != 200:
            return status, body
        sent = self._sent[-1]
        sent.data, sent.filename, sent.file_id = data, filename, record.file_id
        sent.width, sent.height, sent.duration = shape
        return status, body

    def _file_content(
        self, field: str, record: FileRecord, filename: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], Shape]:
        """The message's fields for an uploaded photo or document; clips add theirs.

        Returns them with (width, height, duration) as the fake shows them on ``SentMessage``.
        """
        width, height = image_size(record.data or b"")
        if field == "photo":
            size = {**record.as_media(), "width": width, "height": height}
            return {"photo": [size]}, (width, height, 0)
        named = {"file_name": filename, "mime_type": mime_type_of(filename)}
        return {"document": {**record.as_media(), **named}}, (width, height, 0)

    def _new_message(self, method: str, params: dict[str, Any], content: dict[str, Any]) -> Answer:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        replied = self._raw_messages.get((chat_id, reply_to)) if reply_to else None
        if replied is not None:
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        elif reply_to and not reply.get("allow_sending_without_reply"):
            return 400, error(400, "Bad Request: message to be replied not found")
        self._raw_messages[(chat_id, message["message_id"])] = message
        text = content.get("text", content.get("caption"))
        self._sent.append(
            SentMessage(
                chat_id=chat_id,
                message_id=message["message_id"],
                method=method,
                text=text,
                reply_markup=params.get("reply_markup"),
                texts=[text] if text else [],
                reply_to=reply_to if replied is not None else None,
            )
        )
        return 200, ok(message)


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def error(status: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": status, "description": description}


def refused(kind: Refusal) -> Answer:
    return kind.status, error(kind.status, kind.description)
