"""Colour preservation keeps the content's colours: the recoloured style is not clamped."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import skimage.data
import torch
from PIL import Image
from torch import Tensor

from model import Stylizer, adain
from model.images import to_image, to_tensor
from model.sample_images import psnr

SIZE = 128


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skimage.data, name)())


@pytest.fixture(scope="module")
def plain(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu", fast=False)


def float64_stylize(plain: Stylizer, content: Image.Image, style: Image.Image, clamp: bool):
    """The colour-preserving pipeline in float64 from the same weights and resized images;
    `clamp` rounds the recoloured style to an 8-bit image first, as colour preservation once
    did."""
    encoder = copy.deepcopy(plain.encoder).double()
    decoder = copy.deepcopy(plain.decoder).double()
    c, s = to_tensor(content).double(), to_tensor(style).double()  # (1, 3, H, W)
    recolored: Tensor = adain.color_transfer(s[0], c[0])[None]
    if clamp:
        recolored = to_tensor(to_image(recolored)).double()
    with torch.inference_mode():
        target = adain.adain(encoder(c), encoder(recolored))
        out = decoder(target)[..., : content.height, : content.width]
    return to_image(out), recolored


@pytest.mark.parametrize("tiled", [False, True], ids=["whole", "tiled"])
def test_the_recolored_style_is_encoded_unclamped(
    plain: Stylizer, weights_dir: Path, tiled: bool
) -> None:
    # Tiled: 64-pixel tiles, so that the style statistics are taken tile by tile.
    stylizer = (
        Stylizer.from_dir(weights_dir, "cpu", fast=False, tile_above=0, tile_size=64)
        if tiled
        else plain
    )
    content = plain.prepare(photo("astronaut"), SIZE)
    style = plain.prepare(photo("chelsea"), SIZE)
    want, recolored = float64_stylize(plain, content, style, clamp=False)
    outside = ((recolored < 0) | (recolored > 1)).double().mean().item()
    assert outside > 0.05  # a tenth of the values: clamping them would change the colours

    got = stylizer.stylize(content, style, preserve_color=True, content_size=0, style_size=0)
    assert psnr(got, want) >= 45  # measured: 86.6 dB whole, 86.0 tiled
    clamped, _ = float64_stylize(plain, content, style, clamp=True)
    assert psnr(clamped, want) < 40  # what clamping cost (30 dB): this test tells them apart


def test_match_colors_gives_the_encoder_the_unclamped_tensor(plain: Stylizer) -> None:
    content = plain.prepare(photo("astronaut"), SIZE)
    style = plain.prepare(photo("chelsea"), SIZE)
    tensor = plain.match_colors(style, content)  # what the encoder is given
    assert tensor.dtype == torch.float32 and tensor.shape == (1, 3, style.height, style.width)
    assert tensor.min() < 0 and tensor.max() > 1
    # exactly the content's colour mean and covariance, which a clamped image would not have
    got, want = tensor[0].reshape(3, -1).double(), to_tensor(content)[0].reshape(3, -1).double()
    torch.testing.assert_close(got.mean(1), want.mean(1), rtol=0, atol=1e-5)
    torch.testing.assert_close(got.cov(correction=0), want.cov(correction=0), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match=r"\(1, 3, H, W\)"):
        plain.style_stats(tensor[0])
