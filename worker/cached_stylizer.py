"""`CachedStylizer`: style statistics and content features kept between jobs, so that
re-running a photo with another alpha, or a known style on a new photo, skips those encoder
passes (each about a third of a job's time).

It is the cache hook (`model.feature_cache.FeatureCache`) of `Stylizer.stylize`, which runs
the one stylization sequence and asks it for each encoder result. Keys are SHA-256 digests of
the uploaded bytes plus the size they are scaled to:
- style statistics (relu4_1 mean and std, a few KB): ``(style digest, style_size, stroke)``,
  plus ``(content digest, size)`` when colours are preserved, because the style image is then
  recoloured to that content before it is encoded (and the statistics are those of the
  unclamped recoloured tensor); the stroke scale sets the size the style is encoded at, so a
  re-run with another stroke reuses the content features but not the style statistics;
- content features (relu4_1 maps, up to hundreds of MB at full resolution):
  ``(content digest, size)``, bounded in entries and in bytes.

A hit gives bit-for-bit the tensors a miss would compute, so cached and uncached jobs give the
same image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import torch
from PIL import Image

from model.feature_cache import ContentFeatures, ImageKey, StyleKey
from model.stylizer import Stats, Stylizer
from worker.cache import LruCache
from worker.metrics import Metrics

STYLE_STATS_BYTES = 1 << 30  # style statistics are bounded by count; this only guards the sum

T = TypeVar("T")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_id(key: ImageKey) -> tuple[str, int]:
    """(SHA-256 of the uploaded bytes, size): the cache key of one input image."""
    if not isinstance(key.source, bytes):
        raise TypeError(f"the worker's caches key uploaded bytes, not {type(key.source).__name__}")
    return digest(key.source), key.size


class CachedStylizer:
    """A `Stylizer` whose encoder passes go through two bounded LRU caches."""

    def __init__(
        self,
        stylizer: Stylizer,
        metrics: Metrics,
        style_items: int = 256,
        content_items: int = 4,
        content_bytes: int = 512 << 20,
    ) -> None:
        self.stylizer = stylizer
        self.metrics = metrics
        self.styles: LruCache[Stats] = LruCache(
            style_items, STYLE_STATS_BYTES, lambda s: sum(t.nbytes for t in s)
        )
        self.contents: LruCache[ContentFeatures] = LruCache(
            content_items, content_bytes, lambda c: c.feat.nbytes
        )

    @property
    def device(self) -> torch.device:
        return self.stylizer.device

    def stylize(
        self,
        content: bytes,
        styles: Sequence[tuple[bytes, float]],
        *,
        alpha: float,
        preserve_color: bool,
        size: int,
        style_size: int,
        stroke: float = 1.0,
    ) -> Image.Image:
        """The stylized image, exactly as `Stylizer.stylize` makes it (raises ImageError;
        ValueError for a `stroke` outside [0.25, 4])."""
        return self.stylizer.stylize(
            content,
            list(styles),
            alpha=alpha,
            preserve_color=preserve_color,
            content_size=size,
            style_size=style_size,
            stroke=stroke,
            cache=self,
        )

    def clear(self) -> None:
        """Drop both caches (after running out of GPU memory, say)."""
        self.styles.clear()
        self.contents.clear()

    # -- the FeatureCache hook that Stylizer.stylize calls ---------------------------------

    def content_features(
        self, key: ImageKey, compute: Callable[[], ContentFeatures]
    ) -> ContentFeatures:
        return self._get_or_compute(self.contents, "content", image_id(key), compute)

    def style_stats(self, key: StyleKey, compute: Callable[[], Stats]) -> Stats:
        recolored = image_id(key.recolored_to) if key.recolored_to is not None else None
        cache_key = (*image_id(key.style), key.stroke, recolored)
        return self._get_or_compute(self.styles, "style", cache_key, compute)

    def _get_or_compute(
        self, cache: LruCache[T], name: str, key: Hashable, compute: Callable[[], T]
    ) -> T:
        found = cache.get(key)
        self._count(name, found is not None)
        if found is None:
            found = compute()
            cache.put(key, found)
        return found

    def _count(self, cache: str, hit: bool) -> None:
        (self.metrics.cache_hits if hit else self.metrics.cache_misses).labels(cache).inc()
