"""A user's /settings and the style-strength steps the result buttons move along."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALPHA_STEP = 0.2
ALPHA_MIN = 0.2
ALPHA_MAX = 1.0
DEFAULT_ALPHA = 0.8  # leaves room for "stronger" under the first result
STRENGTHS = (0.2, 0.4, 0.6, 0.8, 1.0)
SIZES = (512, 1024, 0)  # shorter side of results from photos; 0 keeps the photo's own


@dataclass(frozen=True)
class Preferences:
    alpha: float
    preserve_color: bool
    size: int

    @classmethod
    def from_data(cls, data: dict[str, Any], default_size: int) -> Preferences:
        """The user's choices from the chat's FSM data, defaults where none was made."""
        return cls(
            alpha=float(data.get("alpha", DEFAULT_ALPHA)),
            preserve_color=bool(data.get("preserve_color", False)),
            size=int(data.get("size", default_size)),
        )


def stronger(alpha: float) -> float:
    return round(min(ALPHA_MAX, alpha + ALPHA_STEP), 2)


def weaker(alpha: float) -> float:
    return round(max(ALPHA_MIN, alpha - ALPHA_STEP), 2)


def can_be_stronger(alpha: float) -> bool:
    return alpha < ALPHA_MAX - 1e-6


def can_be_weaker(alpha: float) -> bool:
    return alpha > ALPHA_MIN + 1e-6
