"""The brush-stroke scale: styles encoded at `stroke` × their size, and nothing else changed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model import Stylizer
from model.images import MIN_SIDE, resize, stroke_side
from model.stylize import main as cli_main
from tests.helpers import image_bytes, natural_image

SIZE = 48


@pytest.fixture(scope="module")
def stylizer(weights_dir: Path) -> Stylizer:
    # The plain networks: strokes change what is encoded, not how, on any engine.
    return Stylizer.from_dir(weights_dir, device="cpu", fast=False)


@pytest.fixture
def prepared(
    stylizer: Stylizer, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, float, tuple[int, int]]]:
    """(size, stroke, size of the prepared image) of every `stylizer.prepare` call."""
    calls: list[tuple[int, float, tuple[int, int]]] = []
    real = stylizer.prepare

    def prepare(source: Image.Image, size: int, stroke: float = 1.0) -> Image.Image:
        img = real(source, size, stroke)
        calls.append((size, stroke, img.size))
        return img

    monkeypatch.setattr(stylizer, "prepare", prepare)
    return calls


def test_stroke_one_is_exactly_the_output_without_it(stylizer: Stylizer) -> None:
    content, style = natural_image(64, 56, seed=1), natural_image(90, 70, seed=2)
    for style_size in (SIZE, 0):
        # today's sequence of steps, which know nothing of strokes
        feat = stylizer.encode(stylizer.prepare(content, SIZE))
        stats = stylizer.style_stats(resize(style, style_size))
        size = stylizer.prepare(content, SIZE).size
        want = stylizer.render(feat, [stats], [1.0], 0.8, size)
        got = stylizer.stylize(
            content, style, alpha=0.8, content_size=SIZE, style_size=style_size, stroke=1.0
        )
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize(
    ("style_size", "stroke", "prepared_size"),
    [
        (50, 2.0, (100, 150)),  # twice the strokes: the style twice as large
        (50, 1.5, (75, 112)),  # 75 × 150/100 = 112.5, rounded like every size
        (50, 1.3, (65, 98)),  # 50 × 1.3 = 65 (not truncated to 64)
        (50, 0.5, (25, 38)),
        (0, 0.5, (50, 75)),  # size 0: the original size × stroke
        (0, 1.0, (100, 150)),
        (50, 0.25, (16, 24)),  # 12.5 px would be too small to encode: MIN_SIDE
    ],
)
def test_the_style_is_prepared_at_style_size_times_stroke(
    stylizer: Stylizer,
    prepared: list[tuple[int, float, tuple[int, int]]],
    style_size: int,
    stroke: float,
    prepared_size: tuple[int, int],
) -> None:
    content, style = natural_image(40, 32, seed=3), natural_image(100, 150, seed=4)
    stylizer.stylize(content, style, content_size=32, style_size=style_size, stroke=stroke)
    assert prepared == [(32, 1.0, (40, 32)), (style_size, stroke, prepared_size)]
    assert min(prepared_size) == max(MIN_SIDE, round((style_size or 100) * stroke))


def test_a_larger_stroke_is_the_style_encoded_larger(stylizer: Stylizer) -> None:
    content, style = natural_image(64, 64, seed=5), natural_image(160, 120, seed=6)
    doubled = stylizer.stylize(content, style, content_size=SIZE, style_size=SIZE, stroke=2)
    larger = stylizer.stylize(content, style, content_size=SIZE, style_size=2 * SIZE)
    np.testing.assert_array_equal(np.asarray(doubled), np.asarray(larger))
    same = stylizer.stylize(content, style, content_size=SIZE, style_size=SIZE)
    assert np.abs(np.asarray(doubled, dtype=int) - np.asarray(same, dtype=int)).mean() > 1


@pytest.mark.parametrize("stroke", [0.2, 4.5, 0.0, -1.0, math.nan, math.inf])
def test_strokes_out_of_bounds_are_refused_before_any_work(
    stylizer: Stylizer, stroke: float
) -> None:
    with pytest.raises(ValueError, match=r"stroke must lie in \[0.25, 4\]"):
        stylizer.stylize(b"not even decoded", b"nor this", stroke=stroke)


def test_the_stroke_side_is_capped_by_max_pixels() -> None:
    # 400×200 at full size, stroke 4: 1600×800 wanted; within 100,000 pixels it is 446×223.
    side = stroke_side(400, 200, 0, 4.0, max_pixels=100_000)
    assert side == 223 and math.prod((446, 223)) <= 100_000 < math.prod((448, 224))
    assert stroke_side(400, 200, 512, 1.0, max_pixels=100) == 512  # stroke 1: untouched
    assert stroke_side(4000, 3000, 512, 4.0, max_pixels=40_000_000) == 2048


def test_a_capped_stroke_keeps_the_style_within_max_pixels(weights_dir: Path) -> None:
    small = Stylizer.from_dir(weights_dir, device="cpu", max_pixels=64 * 96, fast=False)
    style = natural_image(64, 96, seed=7)  # 6144 pixels, exactly the limit
    img = small.prepare(style, 0, 4.0)
    assert img.width * img.height <= 64 * 96 and img.size == (64, 96)


def test_cli_takes_a_stroke(
    tmp_path: Path, weights_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.png").write_bytes(image_bytes(natural_image(64, 48, 1), "PNG"))
    (tmp_path / "s.png").write_bytes(image_bytes(natural_image(96, 96, 2), "PNG"))
    common = [str(tmp_path / "c.png"), str(tmp_path / "s.png"), "--content-size", "32"]
    common += ["--style-size", "32", "--weights-dir", str(weights_dir), "--device", "cpu"]
    outs = {}
    for stroke in ("1", "2"):
        out = tmp_path / f"stroke{stroke}.png"
        assert cli_main([*common, "-o", str(out), "--stroke", stroke]) == 0
        outs[stroke] = np.asarray(Image.open(out))
    default = tmp_path / "default.png"
    assert cli_main([*common, "-o", str(default)]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(default)), outs["1"])
    assert not np.array_equal(outs["1"], outs["2"])
    assert cli_main([*common, "-o", str(tmp_path / "bad.png"), "--stroke", "5"]) == 1
    assert "error: stroke must lie in [0.25, 4], got 5.0" in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()
