"""The AdaIN training losses (Huang & Belongie 2017, section 6.1) as pure functions.

L = content_weight · L_c + style_weight · L_s, where
- L_c = MSE(f(g(t)), t) at relu4_1: the decoded image must encode back to the AdaIN target
  t, not to the content features (t carries the style statistics);
- L_s = Σ over relu1_1 … relu4_1 of MSE(μ(φ_i(g(t))), μ(φ_i(s))) + MSE(σ(φ_i(g(t))), σ(φ_i(s))):
  only channel statistics are matched, which is what AdaIN transfers.

The same definitions serve training (`model.training.loop`) and evaluation
(`model.training.evaluate`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from model.adain import adain, mean_std
from model.networks import STAGES, Encoder, decode


def content_loss(output_feat: Tensor, target: Tensor) -> Tensor:
    """MSE between relu4_1 of the decoded image (N, 512, h, w) and the AdaIN target t."""
    # float32 whatever autocast produced: a squared error in bf16 loses most of its digits
    return F.mse_loss(output_feat.float(), target.float())


def style_loss(output_feats: Mapping[str, Tensor], style_feats: Mapping[str, Tensor]) -> Tensor:
    """Σ over relu1_1 … relu4_1 of the MSE of channel means plus the MSE of channel stds."""
    total = torch.zeros((), device=output_feats["relu4_1"].device)
    for name in STAGES:
        out_mean, out_std = mean_std(output_feats[name].float())  # (N, C, 1, 1) each
        sty_mean, sty_std = mean_std(style_feats[name].float())
        total = total + F.mse_loss(out_mean, sty_mean) + F.mse_loss(out_std, sty_std)
    return total


def total_loss(
    content: Tensor, style: Tensor, content_weight: float = 1.0, style_weight: float = 10.0
) -> Tensor:
    return content_weight * content + style_weight * style


def adain_forward(
    encoder: Encoder, decoder: nn.Module, content: Tensor, style: Tensor
) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """g(t) for t = AdaIN(f(c), f(s)): (output (N, 3, H, W), target t, style features).

    The target and the style features are computed without a graph: they are what the
    decoder aims at, not something to train.
    """
    height, width = content.shape[-2:]
    with torch.no_grad():
        style_feats = encoder.features(style)  # relu1_1 … relu4_1 of s
        target = adain(encoder(content), style_feats["relu4_1"])  # (N, 512, ⌈H/8⌉, ⌈W/8⌉)
    return decode(decoder, target, height, width), target, style_feats


def score(
    encoder: Encoder, output: Tensor, target: Tensor, style_feats: Mapping[str, Tensor]
) -> tuple[Tensor, Tensor]:
    """(content loss, style loss) of a decoded image against its target and style."""
    output_feats = encoder.features(output)
    return content_loss(output_feats["relu4_1"], target), style_loss(output_feats, style_feats)


def adain_losses(
    encoder: Encoder, decoder: nn.Module, content: Tensor, style: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Stylize a batch and score it: (output (N, 3, H, W), content loss, style loss).

    Gradients reach the decoder only: the encoder's parameters are frozen, so the second
    encoder pass just carries the gradient back to the decoder's output.
    """
    output, target, style_feats = adain_forward(encoder, decoder, content, style)
    return (output, *score(encoder, output, target, style_feats))
