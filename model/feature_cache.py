"""The cache hook of `Stylizer.stylize`: where encoder results may come from instead.

One stylization needs the content image's relu4_1 features and each style image's channel
statistics, and these cost an encoder pass each. `Stylizer.stylize(..., cache=...)` asks the
cache for each of them with a key (what the result depends on) and the function that computes
it; the cache returns what it holds for that key, or calls the function and may keep the
result. The worker keeps them between jobs (`worker.cached_stylizer`), keyed by a digest of the
uploaded bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from torch import Tensor

from model.adain import Stats
from model.images import ImageSource


class ImageKey(NamedTuple):
    """An input image and the size its shorter side is scaled to (0: kept as it is)."""

    source: ImageSource
    size: int


class StyleKey(NamedTuple):
    """What a style's statistics depend on: the style image, with preserved colours the
    content image it is recoloured to first (None otherwise), and the brush-stroke scale it is
    encoded at (its size is `style.size` × `stroke`: see `model.images.stroke_side`)."""

    style: ImageKey
    recolored_to: ImageKey | None
    stroke: float = 1.0


@dataclass(frozen=True)
class ContentFeatures:
    feat: Tensor  # (1, 512, ⌈H/8⌉, ⌈W/8⌉) relu4_1, float32, on the model's device
    size: tuple[int, int]  # (width, height) of the resized content image


class FeatureCache(Protocol):
    """Supplies encoder results by key, computing (and perhaps keeping) the ones it lacks."""

    def content_features(
        self, key: ImageKey, compute: Callable[[], ContentFeatures]
    ) -> ContentFeatures: ...

    def style_stats(self, key: StyleKey, compute: Callable[[], Stats]) -> Stats: ...


class NoCache:
    """Computes everything and keeps nothing: `Stylizer.stylize` without a cache."""

    def content_features(
        self, key: ImageKey, compute: Callable[[], ContentFeatures]
    ) -> ContentFeatures:
        return compute()

    def style_stats(self, key: StyleKey, compute: Callable[[], Stats]) -> Stats:
        return compute()
