"""Full resolution by tiling: encode and decode large images tile by tile, in bounded memory.

Both networks are convolutional with a bounded receptive field, so a tile computed together
with a margin of its neighbours gives, in its centre, exactly what the whole image would:

- Encoder: a relu4_1 feature depends on about ±34 input pixels (3×3 convolutions and three
  2×2 pools). Tiles start on multiples of 8 so their pooling grid is the image's, and carry a
  margin of `ENCODER_MARGIN` pixels; only the centre of each tile's features is kept.
- AdaIN: the content statistics are the channel mean and std over the *whole* feature map,
  accumulated as float64 sums and sums of squares, so every tile is normalised alike.
- Decoder: an output pixel depends on about ±30 pixels (±4 feature pixels). Tiles overlap by
  `DECODER_MARGIN` feature pixels on each side and are blended with complementary linear
  ramps that end well inside the exact region, so there is no seam to see.

Memory: one tile's activations plus the image, its relu4_1 map and a float32 output buffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from model import adain

Net = Callable[[Tensor], Tensor]

SCALE = 8  # relu4_1 is 1/8 of the image size (three 2×2 pools)
ENCODER_MARGIN = 64  # pixels on each side of an encoder tile, a multiple of SCALE
DECODER_MARGIN = 8  # feature pixels on each side of a decoder tile (64 output pixels)
FEATHER = 24  # half-width in output pixels of the blending ramp between two decoder tiles


def spans(length: int, core: int, margin: int) -> Iterator[tuple[int, int, int, int]]:
    """Split [0, length) into cores of `core` with `margin` either side, clipped to the range.

    Yields (start, stop, core_start, core_stop): the tile's extent and the part of it that it
    is responsible for. Cores partition [0, length).
    """
    if core <= 0:
        raise ValueError(f"tile core must be positive, got {core}")
    for core_start in range(0, length, core):
        core_stop = min(length, core_start + core)
        yield max(0, core_start - margin), min(length, core_stop + margin), core_start, core_stop


class RunningStats:
    """Channel mean and std of feature maps seen piece by piece, exactly as `adain.mean_std`.

    Sums and sums of squares are kept in float64 so that millions of values add up without the
    cancellation float32 would suffer; the std is unbiased plus `adain.EPS`, as trained.
    """

    def __init__(self, channels: int, device: torch.device) -> None:
        self.count = 0
        self.total = torch.zeros(channels, dtype=torch.float64, device=device)
        self.squares = torch.zeros(channels, dtype=torch.float64, device=device)

    def add(self, feat: Tensor) -> None:
        """Accumulate a (1, C, h, w) piece."""
        flat = feat[0].reshape(feat.shape[1], -1).double()  # (C, h*w)
        self.count += flat.shape[1]
        self.total += flat.sum(dim=1)
        self.squares += flat.square().sum(dim=1)

    def mean_std(self) -> tuple[Tensor, Tensor]:
        """(mean, std), each (1, C, 1, 1) float32."""
        if self.count < 2:
            raise ValueError("statistics need at least two feature pixels")
        mean = self.total / self.count
        var = (self.squares - self.count * mean.square()) / (self.count - 1)
        std = (var.clamp_min(0) + adain.EPS).sqrt()
        return mean.float().view(1, -1, 1, 1), std.float().view(1, -1, 1, 1)


def feature_stats(feat: Tensor, rows: int = 64) -> tuple[Tensor, Tensor]:
    """`adain.mean_std` of a (1, C, h, w) map, computed in row bands to bound the temporaries."""
    stats = RunningStats(feat.shape[1], feat.device)
    for top in range(0, feat.shape[2], rows):
        stats.add(feat[:, :, top : top + rows])
    return stats.mean_std()


def encode_tiles(
    encoder: Net, image: Tensor, tile: int, margin: int = ENCODER_MARGIN
) -> Iterator[tuple[Tensor, int, int]]:
    """Encode a (1, 3, H, W) image tile by tile.

    Yields (features, top, left): the exact relu4_1 features (1, 512, h, w) of one tile's core
    and where they sit in the whole map (in feature pixels).
    """
    if tile % SCALE or margin % SCALE:
        raise ValueError(f"tile and margin must be multiples of {SCALE}, got {tile}, {margin}")
    _, _, height, width = image.shape
    for y0, y1, cy0, cy1 in spans(height, tile, margin):
        for x0, x1, cx0, cx1 in spans(width, tile, margin):
            feat = encoder(image[:, :, y0:y1, x0:x1])  # (1, 512, ⌈(y1-y0)/8⌉, ⌈(x1-x0)/8⌉)
            top, left = (cy0 - y0) // SCALE, (cx0 - x0) // SCALE
            rows, cols = (
                math.ceil(cy1 / SCALE) - cy0 // SCALE,
                math.ceil(cx1 / SCALE) - cx0 // SCALE,
            )
            yield feat[:, :, top : top + rows, left : left + cols], cy0 // SCALE, cx0 // SCALE


def encode_tiled(encoder: Net, image: Tensor, tile: int, margin: int = ENCODER_MARGIN) -> Tensor:
    """relu4_1 features (1, 512, ⌈H/8⌉, ⌈W/8⌉) float32 of a (1, 3, H, W) image, tile by tile."""
    _, _, height, width = image.shape
    out: Tensor | None = None
    for feat, top, left in encode_tiles(encoder, image, tile, margin):
        if out is None:
            shape = (1, feat.shape[1], math.ceil(height / SCALE), math.ceil(width / SCALE))
            out = torch.empty(shape, dtype=torch.float32, device=feat.device)
        out[:, :, top : top + feat.shape[2], left : left + feat.shape[3]] = feat
    assert out is not None  # spans() yields at least one tile for a non-empty image
    return out


def stats_tiled(
    encoder: Net, image: Tensor, tile: int, margin: int = ENCODER_MARGIN
) -> tuple[Tensor, Tensor]:
    """`adain.mean_std` of the image's relu4_1 features without ever holding the whole map."""
    stats: RunningStats | None = None
    for feat, _, _ in encode_tiles(encoder, image, tile, margin):
        stats = stats or RunningStats(feat.shape[1], feat.device)
        stats.add(feat)
    assert stats is not None
    return stats.mean_std()


def _ramp(extent: int, start: int, stop: int, total: int, feather: int) -> Tensor:
    """Weights (extent,) of one tile along one axis: 1 inside, linear ramps at inner edges.

    The tile covers output [start - margin, stop + margin); its neighbour's ramp is this one
    mirrored, so the two sum to 1 across the boundary at `start` (or `stop`).
    """
    pos = torch.arange(extent, dtype=torch.float32)  # output coordinate minus the tile origin
    w = torch.ones(extent)
    if start > 0:  # rises from 0 to 1 across [start - feather, start + feather)
        w = torch.minimum(w, ((pos + 0.5 - (start - feather)) / (2 * feather)).clamp(0, 1))
    if stop < total:  # falls from 1 to 0 across [stop - feather, stop + feather)
        w = torch.minimum(w, ((stop + feather - pos - 0.5) / (2 * feather)).clamp(0, 1))
    return w


def decode_tiled(
    decoder: Net,
    feat: Tensor,
    target: Callable[[Tensor], Tensor],
    height: int,
    width: int,
    tile: int,
    margin: int = DECODER_MARGIN,
    feather: int = FEATHER,
) -> Image.Image:
    """Decode `target(feat)` tile by tile into an RGB image of (height, width).

    `feat` (1, C, h, w) is the whole content map; `target` turns one tile of it into the
    decoder's input (AdaIN with whole-image statistics, which is per pixel, so tiles commute
    with it). `tile` is the core size in output pixels, a multiple of 8.
    """
    if tile % SCALE:
        raise ValueError(f"tile must be a multiple of {SCALE}, got {tile}")
    if not 0 < feather <= margin * SCALE - 32:  # the last ~30 pixels of a tile are inexact
        raise ValueError(f"feather {feather} does not fit in a margin of {margin} features")
    core = tile // SCALE
    acc = torch.zeros(3, height, width, dtype=torch.float32, device=feat.device)  # (3, H, W)
    _, _, h, w = feat.shape
    for fy0, fy1, cy0, cy1 in spans(h, core, margin):
        for fx0, fx1, cx0, cx1 in spans(w, core, margin):
            out = decoder(target(feat[:, :, fy0:fy1, fx0:fx1]))[0].float()  # (3, 8·Δy, 8·Δx)
            y0, x0 = fy0 * SCALE, fx0 * SCALE
            y1, x1 = min(height, fy1 * SCALE), min(width, fx1 * SCALE)
            wy = _ramp(y1 - y0, cy0 * SCALE - y0, cy1 * SCALE - y0, height - y0, feather)
            wx = _ramp(x1 - x0, cx0 * SCALE - x0, cx1 * SCALE - x0, width - x0, feather)
            weight = (wy[:, None] * wx[None, :]).to(acc.device)  # (Δy, Δx)
            acc[:, y0:y1, x0:x1] += out[:, : y1 - y0, : x1 - x0] * weight
    return _to_image_banded(acc)


def _to_image_banded(acc: Tensor, rows: int = 256) -> Image.Image:
    """(3, H, W) float in [0, 1] → RGB image, converted in bands to bound the temporaries."""
    _, height, width = acc.shape
    arr = np.empty((height, width, 3), dtype=np.uint8)
    for top in range(0, height, rows):
        band = acc[:, top : top + rows].clamp(0, 1).mul_(255).round_().byte()
        arr[top : top + rows] = band.permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr, mode="RGB")


def adain_target(
    content_stats: tuple[Tensor, Tensor], style_stats: tuple[Tensor, Tensor], alpha: float
) -> Callable[[Tensor], Tensor]:
    """The per-tile AdaIN map with whole-image content statistics, content–style blend included.

    t' = α·(σ_s·(x − μ_c)/σ_c + μ_s) + (1 − α)·x, in float32 whatever the features' dtype.
    """
    c_mean, c_std = content_stats
    s_mean, s_std = style_stats

    def target(x: Tensor) -> Tensor:
        x = x.float()
        return adain.blend((x - c_mean) / c_std * s_std + s_mean, x, alpha)

    return target
