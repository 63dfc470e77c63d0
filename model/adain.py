"""AdaIN maths as pure tensor functions (Huang & Belongie, 2017).

Nothing here knows about networks, devices or images: every function takes tensors and
returns tensors, so the same code serves inference, training and the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch
from torch import Tensor

EPS = 1e-5

Stats = tuple[Tensor, Tensor]  # channel (mean, std) of features, each (N, C, 1, 1)


def mean_std(feat: Tensor, eps: float = EPS) -> Stats:
    """Per-sample, per-channel mean and std over H×W, each shaped (N, C, 1, 1).

    Uses the unbiased variance plus `eps` before the square root, as the public weights were
    trained with.
    """
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)  # (N, C, H*W)
    var = flat.var(dim=2, unbiased=True) + eps
    return flat.mean(dim=2).view(n, c, 1, 1), var.sqrt().view(n, c, 1, 1)


def adain_stats(content: Tensor, style_mean: Tensor, style_std: Tensor) -> Tensor:
    """AdaIN with precomputed style statistics: σ(y)·(x − μ(x))/σ(x) + μ(y)."""
    c_mean, c_std = mean_std(content)
    return (content - c_mean) / c_std * style_std + style_mean


def adain(content: Tensor, style: Tensor) -> Tensor:
    """Give the content features the channel mean and std of the style features."""
    s_mean, s_std = mean_std(style)
    return adain_stats(content, s_mean, s_std)


def normalize_weights(weights: Sequence[float]) -> list[float]:
    """Scale non-negative weights so they sum to 1; all-zero or negative weights are refused."""
    if not weights:
        raise ValueError("at least one style weight is needed")
    if any(w < 0 for w in weights):
        raise ValueError(f"style weights must not be negative, got {list(weights)}")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError(f"style weights must not all be zero, got {list(weights)}")
    return [float(w) / total for w in weights]


def blend(target: Tensor, content: Tensor, alpha: float) -> Tensor:
    """Content–style trade-off: t' = α·t + (1 − α)·f(c)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if alpha == 1.0:  # the default: no pass over the features
        return target
    return alpha * target + (1.0 - alpha) * content


def mix_stats(stats: Sequence[Stats], weights: Sequence[float]) -> Stats:
    """Weighted statistics that make one AdaIN equal to `mix_targets` of several styles.

    Σ w_k·(x̂·σ_k + μ_k) = x̂·(Σ w_k σ_k) + Σ w_k μ_k, because x̂ (the normalised content) is
    shared; this lets a mix of styles cost a single AdaIN.
    """
    norm = normalize_weights(weights)
    mean = sum(w * m for (m, _), w in zip(stats, norm, strict=True))
    std = sum(w * s for (_, s), w in zip(stats, norm, strict=True))
    # sum() starts from the int 0, so its type admits 0; with one or more styles it is a tensor
    return cast(Tensor, mean), cast(Tensor, std)


def _sym_matrix_power(cov: Tensor, power: float) -> Tensor:
    """cov^power for a symmetric positive semi-definite 3×3 matrix (eigen-decomposition)."""
    evals, evecs = torch.linalg.eigh(cov)
    evals = evals.clamp_min(1e-10)
    return evecs @ torch.diag(evals.pow(power)) @ evecs.T


def color_transfer(style: Tensor, content: Tensor) -> Tensor:
    """Give `style` (3, H, W) the colour mean and covariance of `content` (3, H', W').

    A CORAL-style linear map: x' = C_c^{1/2}·C_s^{-1/2}·(x − μ_s) + μ_c. Computed in float64
    with eigenvalues floored, so that grey images (a colour direction without variance) stay
    finite. The result is not clamped.
    """
    if style.dim() != 3 or content.dim() != 3 or style.shape[0] != 3 or content.shape[0] != 3:
        raise ValueError("color_transfer expects two (3, H, W) tensors")
    s = style.reshape(3, -1).double()  # (3, Hs*Ws)
    c = content.reshape(3, -1).double()  # (3, Hc*Wc)
    s_mean = s.mean(dim=1, keepdim=True)
    c_mean = c.mean(dim=1, keepdim=True)
    s_cent = s - s_mean
    c_cent = c - c_mean
    s_cov = s_cent @ s_cent.T / s.shape[1]  # (3, 3)
    c_cov = c_cent @ c_cent.T / c.shape[1]
    transform = _sym_matrix_power(c_cov, 0.5) @ _sym_matrix_power(s_cov, -0.5)
    out = transform @ s_cent + c_mean
    return out.reshape(style.shape).to(style.dtype)
