"""What the fake Bot API server keeps: files, the bot's messages, calls and programmed failures."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

# Methods that act on a chat: a blocked chat refuses them all.
CHAT_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendchataction",
        "sendmediagroup",
        "sendanimation",
        "sendvideo",
        "sendvideonote",
        "sendsticker",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "deletemessage",
    }
)
# Form fields whose values are JSON (numbers, booleans, objects); everything else stays text.
JSON_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "allowed_updates",
        "reply_markup",
        "commands",
        "scope",
        "show_alert",
        "cache_time",
        "drop_pending_updates",
        "max_connections",
        "entities",
        "caption_entities",
        "disable_notification",
        "protect_content",
        "reply_parameters",
        "link_preview_options",
        "has_spoiler",
        "disable_content_type_detection",
        "message_thread_id",
        "reply_to_message_id",
        "duration",
        "width",
        "height",
        "length",
        "supports_streaming",
        "show_caption_above_media",
        "start_timestamp",
        "results",  # answerInlineQuery
        "is_personal",
        "button",
        "result",  # answerGuestQuery
        "media",  # editMessageMedia (a JSON InputMedia; an upload is attach://)
    }
)


class Refusal(Enum):
    """Error answers the real Telegram gives, as (HTTP status, description), word for word."""

    # answerCallbackQuery, once the query is over 15 s old or was answered already
    QUERY_TOO_OLD = (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    # sendPhoto: Telegram could not decode, could not scale, or refused to store the photo
    IMAGE_PROCESS_FAILED = (400, "Bad Request: IMAGE_PROCESS_FAILED")
    PHOTO_INVALID_DIMENSIONS = (400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    PHOTO_SAVE_FILE_INVALID = (400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    # any chat method
    BOT_BLOCKED = (403, "Forbidden: bot was blocked by the user")
    USER_DEACTIVATED = (403, "Forbidden: user is deactivated")
    # editMessageText (and the other edits)
    MESSAGE_NOT_MODIFIED = (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
    )
    MESSAGE_TO_EDIT_NOT_FOUND = (400, "Bad Request: message to edit not found")
    # deleteMessage
    MESSAGE_TO_DELETE_NOT_FOUND = (400, "Bad Request: message to delete not found")
    # any method: Telegram's own trouble (429 with retry_after is ``flood``)
    INTERNAL_SERVER_ERROR = (500, "Internal Server Error")
    BAD_GATEWAY = (502, "Bad Gateway")

    @property
    def status(self) -> int:
        return int(self.value[0])

    @property
    def description(self) -> str:
        return str(self.value[1])


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of encoded image bytes, (0, 0) when they are not an image."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:  # noqa: BLE001 - any undecodable upload simply has no size
        return 0, 0


def suffix_of(filename: str) -> str:
    """The extension a stored file keeps ("bin" when the name has none)."""
    stem, dot, suffix = filename.rpartition(".")
    return suffix.lower() if dot and stem and suffix else "bin"


def mime_type_of(filename: str, default: str = "application/octet-stream") -> str:
    """The MIME type Telegram reports for an uploaded file of this name."""
    return mimetypes.guess_type(filename)[0] or default


@dataclass
class FileRecord:
    """A file the server can hand out through getFile and /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    file_size: int  # what getFile and the message report (may differ from len(data))
    file_path: str
    data: bytes | None  # None: getFile works but the download answers 404

    def as_file(self) -> dict[str, Any]:
        """The ``File`` that getFile answers."""
        return {**self.as_media(), "file_path": self.file_path}

    def as_media(self) -> dict[str, Any]:
        """The fields a message's PhotoSize, Document, Animation, Video… share (no path)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }


@dataclass
class SentMessage:
    """A message the bot sent, as it stands now (edits and deletion applied)."""

    chat_id: int
    message_id: int
    method: str  # sendMessage | sendPhoto | sendDocument | sendAnimation | sendVideo | …
    text: str | None = None  # current text (sendMessage) or caption
    data: bytes | None = None  # the uploaded photo, document or clip
    filename: str | None = None
    width: int = 0  # as Telegram reports it: the image's own; a clip's as sent (a note's length)
    height: int = 0
    duration: int = 0  # seconds, clips only
    reply_markup: dict[str, Any] | None = None
    texts: list[str] = field(default_factory=list)  # every text it showed, edits included
    deleted: bool = False
    reply_to: int | None = None  # the message it answers (reply_parameters), in its chat
    file_id: str | None = None  # the file as Telegram keeps it (photos, documents, clips)

    @property
    def is_photo(self) -> bool:
        return self.method == "sendPhoto"

    @property
    def is_document(self) -> bool:
        return self.method == "sendDocument"

    @property
    def is_animation(self) -> bool:
        return self.method == "sendAnimation"

    @property
    def is_video(self) -> bool:
        return self.method == "sendVideo"

    @property
    def is_video_note(self) -> bool:
        return self.method == "sendVideoNote"

    @property
    def is_clip(self) -> bool:
        """An animation, a video or a video note."""
        return self.is_animation or self.is_video or self.is_video_note

    @property
    def is_result(self) -> bool:
        """A file the bot sent: a photo, a document or a clip."""
        return self.is_photo or self.is_document or self.is_clip

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def button(self, label: str) -> str:
        """callback_data of the first button whose label contains ``label``."""
        for text, data in self.buttons:
            if label in text:
                return data
        raise LookupError(f"no button {label!r} among {[t for t, _ in self.buttons]}")

    def snapshot(self) -> SentMessage:
        return replace(self, texts=list(self.texts))


@dataclass
class Call:
    """One request the bot made, whatever the answer was."""

    method: str
    chat_id: int | None
    params: dict[str, Any]
    status: int  # HTTP status the fake answered (0: left hanging)


@dataclass
class Failure:
    """A programmed error answer for matching requests."""

    method: str | None  # lower-case method name; None: every chat method
    chat_id: int | None  # None: every chat
    remaining: int | None  # None: forever
    status: int
    description: str
    retry_after: int | None = None
    hang: bool = False  # never answer (until the server stops)
    drop: bool = False  # close the connection without an answer (a network error)
    raw: str | None = None  # answer this body as it is (text/html), not Bot API JSON
    migrate_to_chat_id: int | None = None  # a group upgraded to this supergroup

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is None and method not in CHAT_METHODS:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            answer["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return answer


@dataclass(frozen=True)
class WebhookConfig:
    """What the last setWebhook asked for; a new object on every call."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None  # None: never given (all the usual kinds)
    custom_certificate: bool = False


@dataclass(frozen=True)
class WebhookPost:
    """One attempt to deliver an update to the webhook, as it ended."""

    update_id: int
    url: str
    status: int | None  # the receiver's HTTP status; None: no answer (refused, timed out…)
    error: str | None  # what getWebhookInfo reports as last_error_message; None: delivered
    at: float  # time.time() when the attempt ended
    reply_method: str | None = None  # a method the 2xx answer carried, and the fake carried out

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300
