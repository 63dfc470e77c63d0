"""A user's /settings: their choices, the defaults, and the steps of the strength buttons."""

from __future__ import annotations

from dataclasses import dataclass

ALPHA_STEP = 0.2
ALPHA_MIN = 0.2
ALPHA_MAX = 1.0
DEFAULT_ALPHA = 0.8  # leaves room for "stronger" under the first result
STRENGTHS = (0.2, 0.4, 0.6, 0.8, 1.0)
SIZES = (512, 1024, 0)  # shorter side of results from photos; 0 keeps the photo's own

# The values /settings buttons carry, as their callback data spells them.
STRENGTH_VALUES = frozenset(str(alpha) for alpha in STRENGTHS)
SIZE_VALUES = frozenset(str(size) for size in SIZES)
SWITCH_VALUES = frozenset({"0", "1"})


@dataclass(frozen=True)
class Preferences:
    alpha: float = DEFAULT_ALPHA
    preserve_color: bool = False
    size: int = 512


def stronger(alpha: float) -> float:
    return round(min(ALPHA_MAX, alpha + ALPHA_STEP), 2)


def weaker(alpha: float) -> float:
    return round(max(ALPHA_MIN, alpha - ALPHA_STEP), 2)


def can_be_stronger(alpha: float) -> bool:
    return alpha < ALPHA_MAX - 1e-6


def can_be_weaker(alpha: float) -> bool:
    return alpha > ALPHA_MIN + 1e-6
