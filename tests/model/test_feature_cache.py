"""`Stylizer.stylize(..., cache=...)`: results come from the cache, and the image is the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model import Stylizer
from model.adain import Stats
from model.feature_cache import ContentFeatures, ImageKey, StyleKey
from tests.helpers import image_bytes, natural_image

SIZE = 48


class DictCache:
    """Keeps every result by its key (bytes sources are hashable) and lists what it computed."""

    def __init__(self) -> None:
        self.contents: dict[ImageKey, ContentFeatures] = {}
        self.styles: dict[StyleKey, Stats] = {}
        self.computed: list[str] = []

    def content_features(
        self, key: ImageKey, compute: Callable[[], ContentFeatures]
    ) -> ContentFeatures:
        if key not in self.contents:
            self.computed.append("content")
            self.contents[key] = compute()
        return self.contents[key]

    def style_stats(self, key: StyleKey, compute: Callable[[], Stats]) -> Stats:
        if key not in self.styles:
            self.computed.append("style")
            self.styles[key] = compute()
        return self.styles[key]


@pytest.fixture(scope="module")
def stylizer(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu")


@pytest.fixture
def prepared(stylizer: Stylizer, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The sources `stylizer.prepare` was called with, in order."""
    calls: list[bytes] = []
    real = stylizer.prepare

    def prepare(source: bytes, size: int, stroke: float = 1.0) -> Image.Image:
        calls.append(source)
        return real(source, size, stroke)

    monkeypatch.setattr(stylizer, "prepare", prepare)
    return calls


@pytest.mark.parametrize("preserve_color", [False, True])
def test_a_cached_result_gives_the_same_image_without_decoding_again(
    stylizer: Stylizer, prepared: list[bytes], preserve_color: bool
) -> None:
    photo = image_bytes(natural_image(64, 80, seed=1), "PNG")
    style = image_bytes(natural_image(72, 72, seed=2))
    cache = DictCache()

    def run(cache: DictCache | None) -> Image.Image:
        return stylizer.stylize(
            photo, style, alpha=0.5, preserve_color=preserve_color, content_size=SIZE,
            style_size=SIZE, cache=cache,
        )  # fmt: skip

    uncached, first = run(None), run(cache)
    prepared.clear()
    again = run(cache)

    assert cache.computed == ["content", "style"]  # nothing computed the second time
    assert prepared == []  # and neither image decoded
    np.testing.assert_array_equal(np.asarray(first), np.asarray(uncached))
    np.testing.assert_array_equal(np.asarray(again), np.asarray(uncached))


def test_a_new_style_on_cached_content_decodes_the_content_only_to_recolor(
    stylizer: Stylizer, prepared: list[bytes]
) -> None:
    photo = image_bytes(natural_image(64, 64, seed=3), "PNG")
    styles = [image_bytes(natural_image(64, 64, seed=s)) for s in (4, 5)]
    cache = DictCache()
    for preserve_color in (False, True):
        stylizer.stylize(
            photo, styles[0], preserve_color=preserve_color, content_size=SIZE,
            style_size=SIZE, cache=cache,
        )  # fmt: skip
    for preserve_color, decoded in ((False, [styles[1]]), (True, [styles[1], photo])):
        prepared.clear()
        out = stylizer.stylize(
            photo, styles[1], preserve_color=preserve_color, content_size=SIZE,
            style_size=SIZE, cache=cache,
        )  # fmt: skip
        assert prepared == decoded  # the content only for the colour match, after the style
        uncached = stylizer.stylize(
            photo, styles[1], preserve_color=preserve_color, content_size=SIZE, style_size=SIZE
        )
        np.testing.assert_array_equal(np.asarray(out), np.asarray(uncached))


def test_another_stroke_reuses_the_content_but_not_the_style_statistics(
    stylizer: Stylizer, prepared: list[bytes]
) -> None:
    photo = image_bytes(natural_image(64, 64, seed=6), "PNG")
    style = image_bytes(natural_image(96, 96, seed=7))
    cache = DictCache()
    for stroke in (1.0, 2.0, 2.0):
        out = stylizer.stylize(
            photo, style, content_size=SIZE, style_size=SIZE, stroke=stroke, cache=cache
        )
    assert cache.computed == ["content", "style", "style"]  # the second 2.0 computed nothing
    assert {key.stroke for key in cache.styles} == {1.0, 2.0}
    uncached = stylizer.stylize(photo, style, content_size=SIZE, style_size=SIZE, stroke=2.0)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(uncached))
