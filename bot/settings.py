"""A user's /settings: their choices, the defaults, and the steps of the strength buttons."""

from __future__ import annotations

from dataclasses import dataclass

ALPHA_STEP = 0.2
ALPHA_MIN = 0.2
ALPHA_MAX = 1.0
DEFAULT_ALPHA = 0.8  # leaves room for "stronger" under the first result
STRENGTHS = (0.2, 0.4, 0.6, 0.8, 1.0)
SIZES = (512, 1024, 0)  # shorter side of results from photos; 0 keeps the photo's own
STROKES = (0.5, 0.7, 1.0, 1.4, 2.0)  # brush-stroke scales, about ×√2 apart; 1 is the model's
DEFAULT_STROKE = 1.0

# The values /settings buttons carry, as their callback data spells them.
STRENGTH_VALUES = frozenset(str(alpha) for alpha in STRENGTHS)
SIZE_VALUES = frozenset(str(size) for size in SIZES)
STROKE_VALUES = frozenset(str(stroke) for stroke in STROKES)
SWITCH_VALUES = frozenset({"0", "1"})


@dataclass(frozen=True)
class UserSettings:
    alpha: float = DEFAULT_ALPHA
    preserve_color: bool = False
    size: int = 512
    stroke: float = DEFAULT_STROKE


def stronger(alpha: float) -> float:
    return round(min(ALPHA_MAX, alpha + ALPHA_STEP), 2)


def weaker(alpha: float) -> float:
    return round(max(ALPHA_MIN, alpha - ALPHA_STEP), 2)


def can_be_stronger(alpha: float) -> bool:
    return alpha < ALPHA_MAX - 1e-6


def can_be_weaker(alpha: float) -> bool:
    return alpha > ALPHA_MIN + 1e-6


def coarser(stroke: float) -> float:
    """The next larger stroke scale, or the largest."""
    return next((s for s in STROKES if s > stroke + 1e-6), STROKES[-1])


def finer(stroke: float) -> float:
    """The next smaller stroke scale, or the smallest."""
    return next((s for s in reversed(STROKES) if s < stroke - 1e-6), STROKES[0])


def can_be_coarser(stroke: float) -> bool:
    return stroke < STROKES[-1] - 1e-6


def can_be_finer(stroke: float) -> bool:
    return stroke > STROKES[0] + 1e-6
