"""Stylizer against an independent forward pass, and the output-size rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from model import ImageError, Stylizer
from tests.helpers import image_bytes, natural_image

# Written from the public weights' published layer layout, not from model/networks.py.
VGG_CONVS = [2, 5, 9, 12, 16, 19, 22, 25, 29]  # through relu4_1
VGG_POOL_AFTER = {5, 12, 25}  # convs followed by a max-pool (indices 7, 14, 27)
DEC_CONVS = [1, 5, 8, 11, 14, 18, 21, 25, 28]
DEC_UP_AFTER = {1, 14, 21}  # convs followed by nearest ×2 upsampling (3, 16, 23)


def _conv(x: torch.Tensor, sd: dict, i: int) -> torch.Tensor:
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), sd[f"{i}.weight"], sd[f"{i}.bias"])


def reference_encode(x: torch.Tensor, vgg: dict) -> torch.Tensor:
    x = F.conv2d(x, vgg["0.weight"], vgg["0.bias"])
    for i in VGG_CONVS:
        x = F.relu(_conv(x, vgg, i))
        if i in VGG_POOL_AFTER:
            x = F.max_pool2d(x, 2, 2, ceil_mode=True)
    return x


def reference_decode(x: torch.Tensor, dec: dict) -> torch.Tensor:
    for i in DEC_CONVS:
        x = _conv(x, dec, i)
        if i != 28:
            x = F.relu(x)
        if i in DEC_UP_AFTER:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
    return x


def reference_stats(f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = f.flatten(2)
    return flat.mean(-1)[..., None, None], (flat.var(-1) + 1e-5).sqrt()[..., None, None]


def reference_stylize(content: Image.Image, style: Image.Image, folder: Path, alpha: float):
    vgg = torch.load(folder / "vgg_normalised.pth", weights_only=True)
    dec = torch.load(folder / "decoder.pth", weights_only=True)

    def tensor(img: Image.Image) -> torch.Tensor:
        return torch.tensor(np.asarray(img), dtype=torch.float32).permute(2, 0, 1)[None] / 255

    with torch.no_grad():
        fc, fs = reference_encode(tensor(content), vgg), reference_encode(tensor(style), vgg)
        (cm, cs), (sm, ss) = reference_stats(fc), reference_stats(fs)
        t = alpha * ((fc - cm) / cs * ss + sm) + (1 - alpha) * fc
        out = reference_decode(t, dec)[..., : content.height, : content.width]
    return out.clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255


@pytest.fixture(scope="module")
def stylizer(weights_dir: Path) -> Stylizer:
    # The plain path: the reference above agrees with it to 8-bit rounding; the fast path is
    # checked against the plain one in test_fast_path.py.
    return Stylizer.from_dir(weights_dir, device="cpu", fast=False)


@pytest.mark.parametrize("alpha", [1.0, 0.6])
def test_matches_an_independent_forward_pass(
    stylizer: Stylizer, weights_dir: Path, alpha: float
) -> None:
    content, style = natural_image(75, 53, seed=1), natural_image(64, 80, seed=2)
    out = stylizer.stylize(content, style, alpha=alpha, content_size=0, style_size=0)
    expected = reference_stylize(content, style, weights_dir, alpha)
    got = np.asarray(out).astype(np.float64)
    assert got.shape == expected.shape == (53, 75, 3)
    assert np.abs(got - expected).max() <= 1.0  # rounding to 8 bits, nothing more
    assert got.std() > 10  # a real picture, not a flat frame


@pytest.mark.parametrize(
    ("size_in", "content_size", "size_out"),
    [
        ((101, 77), 0, (101, 77)),  # odd sizes, original resolution
        ((77, 101), 0, (77, 101)),
        ((300, 60), 40, (200, 40)),  # wide: the shorter side becomes 40
        ((45, 225), 50, (50, 250)),  # tall, scaled up
        ((257, 129), 129, (257, 129)),  # already at size: untouched
        ((333, 111), 64, (192, 64)),
    ],
)
def test_output_size_rules(
    stylizer: Stylizer,
    size_in: tuple[int, int],
    content_size: int,
    size_out: tuple[int, int],
) -> None:
    out = stylizer.stylize(
        natural_image(*size_in), natural_image(48, 48, 3), content_size=content_size, style_size=48
    )
    assert out.size == size_out
    assert out.mode == "RGB"


def test_accepts_bytes_paths_and_style_mixes(stylizer: Stylizer, tmp_path: Path) -> None:
    content = natural_image(64, 48, 4)
    a, b = natural_image(64, 64, 5), natural_image(64, 64, 6)
    (tmp_path / "a.png").write_bytes(image_bytes(a, "PNG"))
    single = stylizer.stylize(image_bytes(content, "PNG"), tmp_path / "a.png", content_size=0)
    same = stylizer.stylize(content, [(a, 2.0), (a, 1.0)], content_size=0)
    diff = np.abs(np.asarray(single).astype(int) - np.asarray(same).astype(int))
    assert diff.max() <= 1  # the same style twice, weighted 2:1, is that style
    mixed = stylizer.stylize(content, [(a, 0.5), (b, 0.5)], content_size=0)
    assert np.abs(np.asarray(mixed).astype(int) - np.asarray(single).astype(int)).mean() > 2
    with pytest.raises(ValueError, match="weights"):
        stylizer.stylize(content, [(a, 0.0), (b, 0.0)])


def test_preserve_color_keeps_the_content_palette(stylizer: Stylizer) -> None:
    content = Image.new("RGB", (64, 64), (40, 160, 60))
    content.paste((20, 90, 30), (0, 0, 32, 64))
    style = natural_image(64, 64, 7)
    recolored = stylizer.match_colors(style, content)[0].reshape(3, -1).mean(1).numpy() * 255
    assert np.abs(recolored - np.asarray(content).reshape(-1, 3).mean(0)).max() < 0.01
    plain = stylizer.stylize(content, style, content_size=0)
    kept = stylizer.stylize(content, style, content_size=0, preserve_color=True)
    assert not np.array_equal(np.asarray(plain), np.asarray(kept))


def test_bad_input_raises_image_error_not_a_torch_crash(stylizer: Stylizer) -> None:
    with pytest.raises(ImageError) as err:
        stylizer.stylize(b"not an image at all", natural_image(32, 32))
    assert err.value.code == "not_image"
    with pytest.raises(ImageError) as err:
        stylizer.stylize(natural_image(32, 32), Image.new("RGB", (2, 2)))
    assert err.value.code == "too_small"
