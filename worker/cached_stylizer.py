"""`CachedStylizer`: the model's steps with style statistics and content features kept between
jobs, so that re-running a photo with another alpha, or a known style on a new photo, skips
those encoder passes (each about a third of a job's time).

Keys are SHA-256 digests of the uploaded bytes plus the size they are scaled to:
- style statistics (relu4_1 mean and std, a few KB): ``(style digest, style_size)``, plus
  ``(content digest, size)`` when colours are preserved, because the style image is then
  recoloured to that content before it is encoded;
- content features (relu4_1 maps, up to hundreds of MB at full resolution):
  ``(content digest, size)``, bounded in entries and in bytes.

A hit gives bit-for-bit the tensors a miss would compute, so cached and uncached jobs give the
same image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from torch import Tensor

from model.stylizer import Stats, Stylizer
from worker.cache import LruCache
from worker.metrics import Metrics

STYLE_STATS_BYTES = 1 << 30  # style statistics are bounded by count; this only guards the sum


@dataclass(frozen=True)
class ContentFeatures:
    feat: Tensor  # (1, 512, ⌈H/8⌉, ⌈W/8⌉) on the model's device
    size: tuple[int, int]  # (width, height) of the resized content image


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    ) -> Image.Image:
        """The stylized image, exactly as `Stylizer.stylize` makes it (raises ImageError)."""
        content_id = (digest(content), size)
        features, content_img = self._content(content, content_id)
        stats: list[Stats] = []
        for data, _ in styles:
            key = (digest(data), style_size) + (content_id if preserve_color else ())
            found = self.styles.get(key)
            self._count("style", found is not None)
            if found is None:
                style_img = self.stylizer.prepare(data, style_size)
                if preserve_color:
                    if content_img is None:  # features were cached, the image was not
                        content_img = self.stylizer.prepare(content, size)
                    style_img = self.stylizer.match_colors(style_img, content_img)
                found = self.stylizer.style_stats(style_img)
                self.styles.put(key, found)
            stats.append(found)
        weights = [w for _, w in styles]
        return self.stylizer.render(features.feat, stats, weights, alpha, features.size)

    def clear(self) -> None:
        """Drop both caches (after running out of GPU memory, say)."""
        self.styles.clear()
        self.contents.clear()

    def _content(
        self, content: bytes, key: tuple[str, int]
    ) -> tuple[ContentFeatures, Image.Image | None]:
        found = self.contents.get(key)
        self._count("content", found is not None)
        if found is not None:
            return found, None
        img = self.stylizer.prepare(content, key[1])
        found = ContentFeatures(self.stylizer.encode(img), img.size)
        self.contents.put(key, found)
        return found, img

    def _count(self, cache: str, hit: bool) -> None:
        (self.metrics.cache_hits if hit else self.metrics.cache_misses).labels(cache).inc()
