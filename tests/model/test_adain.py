"""The AdaIN maths: statistics, trade-off, interpolation and colour preservation."""

from __future__ import annotations

import pytest
import torch

from model import adain


def _feat(seed: int, shape: tuple[int, ...] = (2, 8, 9, 7)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g) * (seed + 1) + seed


def test_mean_std_match_numpy_definition() -> None:
    x = _feat(1)
    mean, std = adain.mean_std(x)
    flat = x.reshape(2, 8, -1).double()
    expected_std = (flat.var(dim=2, unbiased=True) + 1e-5).sqrt()
    assert mean.shape == (2, 8, 1, 1)
    assert torch.allclose(mean.flatten().double(), flat.mean(dim=2).flatten(), atol=1e-5)
    assert torch.allclose(std.flatten().double(), expected_std.flatten(), atol=1e-5)


def test_adain_output_has_the_style_statistics() -> None:
    content, style = _feat(2), _feat(5, (2, 8, 4, 11))
    out = adain.adain(content, style)
    out_mean, out_std = adain.mean_std(out)
    style_mean, style_std = adain.mean_std(style)
    assert out.shape == content.shape
    assert torch.allclose(out_mean, style_mean, atol=1e-4)
    assert torch.allclose(out_std, style_std, rtol=1e-3)


def test_alpha_zero_reproduces_the_content_features() -> None:
    content, style = _feat(3), _feat(4)
    target = adain.adain(content, style)
    assert torch.equal(adain.blend(target, content, 0.0), content)
    assert torch.allclose(adain.blend(target, content, 1.0), target)
    half = adain.blend(target, content, 0.5)
    assert torch.allclose(half, 0.5 * target + 0.5 * content)
    with pytest.raises(ValueError, match="alpha"):
        adain.blend(target, content, 1.5)


def test_style_interpolation_normalises_weights_and_equals_the_weighted_sum() -> None:
    content = _feat(6)
    styles = [_feat(7), _feat(8), _feat(9)]
    stats = [adain.mean_std(s) for s in styles]
    mean, std = adain.mix_stats(stats, [2.0, 1.0, 1.0])
    mixed = adain.adain_stats(content, mean, std)
    expected = 0.5 * adain.adain(content, styles[0]) + 0.25 * (
        adain.adain(content, styles[1]) + adain.adain(content, styles[2])
    )
    assert torch.allclose(mixed, expected, atol=1e-4)
    assert adain.normalize_weights([3, 1]) == [0.75, 0.25]
    # weights that differ only by scale give the same mix
    again = adain.mix_stats(stats, [0.2, 0.1, 0.1])
    assert torch.allclose(again[0], mean) and torch.allclose(again[1], std)
    for bad in ([], [0.0, 0.0], [1.0, -0.5]):
        with pytest.raises(ValueError):
            adain.normalize_weights(bad)


def _color_stats(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = img.reshape(3, -1).double()
    centred = flat - flat.mean(dim=1, keepdim=True)
    return flat.mean(dim=1), centred @ centred.T / flat.shape[1]


def test_color_transfer_gives_the_content_color_mean_and_covariance() -> None:
    g = torch.Generator().manual_seed(0)
    # correlated colours: a random mixing matrix over random pixels
    style = torch.rand(3, 3, generator=g) @ torch.rand(3, 40 * 30, generator=g)
    style = style.reshape(3, 40, 30)
    content = (torch.rand(3, 3, generator=g) * 0.3) @ torch.rand(3, 25 * 20, generator=g) + 0.2
    content = content.reshape(3, 25, 20)
    out = adain.color_transfer(style, content)
    out_mean, out_cov = _color_stats(out)
    c_mean, c_cov = _color_stats(content)
    assert out.shape == style.shape
    assert torch.allclose(out_mean, c_mean, atol=1e-5)
    assert torch.allclose(out_cov, c_cov, atol=2e-5)
    s_mean, _ = _color_stats(style)
    assert not torch.allclose(s_mean, c_mean, atol=1e-2)  # it really changed the colours
