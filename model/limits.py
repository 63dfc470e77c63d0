"""What the model accepts, and the words it refuses an input with. Imports nothing heavy: the
worker's contract with the bot (``worker.contract``) takes its bounds and codes from here.
"""

from __future__ import annotations

from typing import Literal

MIN_SIDE = 16  # smaller images carry no style and break the encoder's padding
MIN_STROKE, MAX_STROKE = 0.25, 4.0  # the brush-stroke scales a style can be encoded at

# Why an input is refused. Pictures: not_image, broken, too_large, too_small. Clips add
# too_long, no_video and unsupported (and use broken, too_large, too_small as pictures do).
InputErrorCode = Literal[
    "not_image", "broken", "too_large", "too_small", "too_long", "no_video", "unsupported"
]

# What a clip is made into: an animation (no sound), a video (its sound kept), a video note
# (a round video message). The contract's MediaKind has these and "picture".
ClipKind = Literal["animation", "video", "video_note"]
CLIP_KINDS: tuple[ClipKind, ...] = ("animation", "video", "video_note")


class InputError(ValueError):
    """An input the service cannot use: ``code`` says why, the message says it in one sentence."""

    def __init__(self, code: InputErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: InputErrorCode = code
