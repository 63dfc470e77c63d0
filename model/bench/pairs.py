"""What the benchmarks time: one content–style pair on tensors, and the inputs and networks.

A "pair" is the work of one `Stylizer.stylize` call without image decoding and encoding: both
encoder passes, AdaIN in float32, the decoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import torch
from PIL import Image
from torch import Tensor, nn

from model import adain
from model.adain import Stats
from model.images import resize, to_tensor
from model.networks import Encoder
from model.random_weights import random_networks
from model.sample_images import natural_image
from model.stylizer import Stylizer, StylizerOptions


def pair(enc: nn.Module, dec: nn.Module, content: Tensor, style: Tensor) -> Tensor:
    """Stylize (N, 3, H, W) contents with (N, 3, H, W) styles: two encoder passes, AdaIN, decode.

    With N > 1 contents and styles go through the encoder as one batch of 2N. Features are
    taken to float32 at once, as `Stylizer.encode` does (which also keeps them safe from the
    next run of a CUDA-graph-compiled encoder, which reuses its output memory).
    """
    n, _, height, width = content.shape
    if n == 1:
        fc, fs = enc(content).float(), enc(style).float()
    else:
        fc, fs = enc(torch.cat([content, style])).float().split(n)
    mean, std = adain.mean_std(fs)
    target = adain.adain_stats(fc, mean, std)
    return dec(target)[..., :height, :width]


def cached_pair(enc: nn.Module, dec: nn.Module, content: Tensor, stats: Stats) -> Tensor:
    """A pair whose style statistics come from the cache: one encoder pass, AdaIN, decode."""
    _, _, height, width = content.shape
    target = adain.adain_stats(enc(content).float(), *stats)
    return dec(target)[..., :height, :width]


def photo_pair(size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """A square content and style (1, 3, size, size), photo-like, on `device`."""
    content = to_tensor(natural_image(size, size, seed=1)).to(device)
    style = to_tensor(natural_image(size, size, seed=2)).to(device)
    return content, style


def real_photo_pair(size: int, device: torch.device) -> tuple[Tensor, Tensor] | None:
    """scikit-image's astronaut (content) and coffee (style), shorter sides scaled to `size`,
    on `device`; None where scikit-image (the `dev` extra) is not installed."""
    try:
        import skimage.data
    except ImportError:
        return None
    content = resize(Image.fromarray(skimage.data.astronaut()), size)  # 512×512
    style = resize(Image.fromarray(skimage.data.coffee()), size)  # 600×400
    return to_tensor(content).to(device), to_tensor(style).to(device)


def photo_batch(size: int, batch: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """`batch` distinct contents and styles, (batch, 3, size, size) each, on `device`."""
    content = torch.cat([to_tensor(natural_image(size, size, 1 + i)) for i in range(batch)])
    style = torch.cat([to_tensor(natural_image(size, size, 99 + i)) for i in range(batch)])
    return content.to(device), style.to(device)


Weights = Path | tuple[nn.Sequential, nn.Sequential]  # a folder, or (vgg, decoder) networks


def real_or_random(weights_dir: Path | None) -> Weights:
    """`weights_dir` if given, else seeded random networks in the public layout."""
    return weights_dir if weights_dir else random_networks(seed=0)


def make_stylizer(
    weights: Weights, device: torch.device, **options: Unpack[StylizerOptions]
) -> Stylizer:
    """A Stylizer on `device` from a weights folder, or around the given networks."""
    if isinstance(weights, Path):
        return Stylizer.from_dir(weights, device, **options)
    vgg, decoder = weights
    return Stylizer(Encoder(vgg), decoder, device, **options)
