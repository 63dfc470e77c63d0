"""The training losses against an independent float64 computation, and the frozen encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.networks import STAGES, Encoder, build_decoder, build_vgg
from model.training.losses import adain_losses, content_loss, style_loss, total_loss
from model.weights.load import VGG_FILE, load_into

SHAPES = {"relu1_1": (2, 64, 12, 10), "relu2_1": (2, 128, 6, 5),
          "relu3_1": (2, 256, 3, 3), "relu4_1": (2, 512, 2, 2)}  # fmt: skip


def fixed_features(seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.rand(shape, generator=gen) * (1 + i) for i, (k, shape) in
            enumerate(SHAPES.items())}  # fmt: skip


def reference_mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel mean and sqrt(unbiased variance + 1e-5), written out by hand in float64."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    mean = flat.sum(axis=2) / flat.shape[2]
    var = ((flat - mean[..., None]) ** 2).sum(axis=2) / (flat.shape[2] - 1)
    return mean, np.sqrt(var + 1e-5)


def test_losses_match_an_independent_computation() -> None:
    out, sty = fixed_features(1), fixed_features(2)
    target = torch.rand(SHAPES["relu4_1"], generator=torch.Generator().manual_seed(3))

    expected_c = ((out["relu4_1"].double().numpy() - target.double().numpy()) ** 2).mean()
    expected_s = 0.0
    for name in ("relu1_1", "relu2_1", "relu3_1", "relu4_1"):
        om, osd = reference_mean_std(out[name].double().numpy())
        sm, ssd = reference_mean_std(sty[name].double().numpy())
        expected_s += ((om - sm) ** 2).mean() + ((osd - ssd) ** 2).mean()

    got_c, got_s = content_loss(out["relu4_1"], target), style_loss(out, sty)
    assert got_c.item() == pytest.approx(expected_c, rel=1e-5)
    assert got_s.item() == pytest.approx(expected_s, rel=1e-5)
    assert total_loss(got_c, got_s, 1.0, 10.0).item() == pytest.approx(
        expected_c + 10 * expected_s, rel=1e-5
    )
    assert list(STAGES) == list(SHAPES)  # the style loss covers exactly these four layers


def test_identical_statistics_give_zero_style_loss() -> None:
    feats = fixed_features(4)
    assert style_loss(feats, feats).item() == 0.0


def test_only_the_decoder_receives_gradients(weights_dir: Path) -> None:
    encoder = Encoder(load_into(build_vgg(), weights_dir / VGG_FILE)).eval()
    decoder = build_decoder()
    gen = torch.Generator().manual_seed(0)
    content, style = torch.rand(2, 1, 3, 32, 32, generator=gen)
    output, loss_c, loss_s = adain_losses(encoder, decoder, content, style)
    (loss_c + 10 * loss_s).backward()
    assert output.shape == (1, 3, 32, 32)
    assert all(p.grad is None for p in encoder.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in decoder.parameters())
