"""Short clips: GIFs and other animations, videos with sound, round video notes.

`stylize_clip` is the one call (`model.video.clip`); `probe` and `ClipError` are the clip edge,
`estimate_seconds` says roughly how long a clip will take. `docs/video.md` describes the steps.
"""

from model.limits import CLIP_KINDS, ClipKind
from model.video.clip import ClipResult, estimate_seconds, stylize_clip
from model.video.probe import ClipError, ClipInfo, probe

__all__ = [
    "CLIP_KINDS",
    "ClipError",
    "ClipInfo",
    "ClipResult",
    "ClipKind",
    "estimate_seconds",
    "probe",
    "stylize_clip",
]
