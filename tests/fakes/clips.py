"""Clips as Telegram shows them: animations (GIFs become MP4s), videos and round video notes.

Users send them with ``send_animation``, ``send_video`` and ``send_video_note`` (a video or a
GIF sent as a file, uncompressed, is ``send_document``); each is stored as a file the bot can
fetch (getFile and the download, within the usual limits). The bot answers with sendAnimation,
sendVideo and sendVideoNote; read them back with ``clips`` or ``results`` and
``SentMessage.is_animation``, ``is_video``, ``is_video_note``.

Where the fake departs from Telegram, on purpose:

- it never looks inside a video: width, height and duration (a note's length) are what the
  sender said; where the bot left one out, a GIF's own size, else 0 (Telegram measures them);
- it keeps the bytes as uploaded: a GIF the bot sends with sendAnimation stays a GIF, named and
  typed as sent (Telegram would turn it into an MP4);
- no thumbnails.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from tests.fakes.bot_methods import Answer, BotMethods, Shape
from tests.fakes.telegram_types import FileRecord, image_size, mime_type_of

CLIP_FIELDS = frozenset({"animation", "video", "video_note"})
MP4 = "video/mp4"


class ClipMethods(BotMethods):
    """Users' clips in updates; the bot's sendAnimation, sendVideo and sendVideoNote."""

    # ---- users send clips ----------------------------------------------------------------

    def send_animation(
        self,
        chat_id: int,
        animation: bytes | FileRecord,
        *,
        duration: int,
        width: int,
        height: int,
        file_name: str = "clip.mp4",
        mime_type: str = MP4,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a GIF or a silent clip: one file, as ``animation`` and ``document``."""
        record = self._clip_file(animation, mime_type)
        file = {**record.as_media(), "file_name": file_name, "mime_type": mime_type}
        animated = {**file, "width": width, "height": height, "duration": duration}
        return self._user_clip(chat_id, {"animation": animated, "document": file}, caption)

    def send_video(
        self,
        chat_id: int,
        video: bytes | FileRecord,
        *,
        duration: int,
        width: int,
        height: int,
        mime_type: str = MP4,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a video (compressed by the app, as most are)."""
        record = self._clip_file(video, mime_type)
        shown = {"width": width, "height": height, "duration": duration, "mime_type": mime_type}
        return self._user_clip(chat_id, {"video": {**record.as_media(), **shown}}, caption)

    def send_video_note(
        self, chat_id: int, video_note: bytes | FileRecord, *, duration: int, length: int
    ) -> dict[str, Any]:
        """The user records a round video message: square, ``length`` pixels a side."""
        record = self._clip_file(video_note, MP4)
        note = {**record.as_media(), "length": length, "duration": duration}
        return self._user_clip(chat_id, {"video_note": note}, None)

    def _clip_file(self, data: bytes | FileRecord, mime_type: str) -> FileRecord:
        if isinstance(data, FileRecord):
            return data
        suffix = (mimetypes.guess_extension(mime_type) or ".mp4").removeprefix(".")
        return self.add_file(data, suffix=suffix)

    def _user_clip(
        self, chat_id: int, content: dict[str, Any], caption: str | None
    ) -> dict[str, Any]:
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, content)

    # ---- the bot sends clips (run with the lock held) ------------------------------------

    def _m_sendanimation(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._send_file("sendAnimation", "animation", params, files)

    def _m_sendvideo(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._send_file("sendVideo", "video", params, files)

    def _m_sendvideonote(self, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        return self._send_file("sendVideoNote", "video_note", params, files)

    def _file_content(
        self, field: str, record: FileRecord, filename: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], Shape]:
        if field not in CLIP_FIELDS:
            return super()._file_content(field, record, filename, params)
        own_width, own_height = image_size(record.data or b"")  # a GIF knows its size
        duration = _integer(params, "duration")
        if field == "video_note":
            length = _integer(params, "length") or own_width
            note = {**record.as_media(), "length": length, "duration": duration}
            return {"video_note": note}, (length, length, duration)
        width = _integer(params, "width") or own_width
        height = _integer(params, "height") or own_height
        named = {"file_name": filename, "mime_type": mime_type_of(filename, MP4)}
        file = {**record.as_media(), **named}
        content = {field: {**file, "width": width, "height": height, "duration": duration}}
        if field == "animation":  # Telegram shows an animation as a document too
            content["document"] = file
        return content, (width, height, duration)


def _integer(params: dict[str, Any], name: str) -> int:
    """An optional Integer parameter (the spec check has vouched for it); 0 when left out."""
    return int(params.get(name) or 0)
