"""`Stylizer`: the weights loaded once, and one call from two images to a stylized image.

`stylize` runs the steps in order: prepare the content image, encode it, prepare each style
image (recoloured to the content with `preserve_color`) and take its statistics, then render.
The steps are public too (`prepare`, `encode`, `style_stats`, `match_colors`, `render`), and
`stylize(..., cache=...)` takes a `model.feature_cache.FeatureCache`, through which the worker
reuses content features and style statistics between jobs and skips encoder passes.

By default the networks run on the fast path (`model.fast`: low precision, channels-last, fused
layers); `fast=False` runs the public float32 modules as they are. Images above `tile_above`
pixels are encoded and decoded tile by tile (`model.tiling`), so full resolution fits in memory.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict, Unpack

import torch
from PIL import Image
from torch import Tensor, nn

from model import adain, tiling
from model.adain import Stats
from model.device import resolve_device
from model.fast import FastConfig, build_fast
from model.feature_cache import ContentFeatures, FeatureCache, ImageKey, NoCache, StyleKey
from model.images import (
    DEFAULT_MAX_PIXELS,
    ImageSource,
    check_stroke,
    load_image,
    resize,
    stroke_side,
    to_image,
    to_tensor,
)
from model.networks import Encoder, build_decoder, build_vgg, decode
from model.weights.load import DECODER_FILE, VGG_FILE, WeightsError, load_into

log = logging.getLogger(__name__)

StyleInput = ImageSource | Sequence[tuple[ImageSource, float]]

# Above this many pixels an image is encoded and decoded in tiles. 2048×2048 untiled peaks at
# about 3 GB on the CPU fast path; a 1024-pixel tile core (1152 with margins) at well under 1 GB.
TILE_ABOVE = 2048 * 2048
TILE_SIZE = 1024


class StylizerOptions(TypedDict, total=False):
    """The keyword options of `Stylizer(...)`, as `from_files` and `from_dir` pass them on."""

    fast: bool
    fast_config: FastConfig | None
    tile_above: int
    tile_size: int


class Stylizer:
    """Arbitrary style transfer with the AdaIN encoder–decoder, on one device."""

    def __init__(
        self,
        encoder: Encoder,
        decoder: nn.Module,
        device: torch.device,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        *,
        fast: bool = True,
        fast_config: FastConfig | None = None,
        tile_above: int = TILE_ABOVE,
        tile_size: int = TILE_SIZE,
    ) -> None:
        """`fast=False` forces the plain float32 networks; `fast_config` overrides the fast
        path's per-device defaults. Images over `tile_above` pixels go through tiles whose core
        is `tile_size` pixels (a multiple of 8)."""
        if tile_size % tiling.SCALE or tile_size < 64:
            raise ValueError(f"tile_size must be a multiple of 8 and at least 64, got {tile_size}")
        self.device = device
        self.encoder = encoder.to(device).eval()
        self.decoder = decoder.to(device).eval()
        self.max_pixels = max_pixels
        self.tile_above = tile_above
        self.tile_size = tile_size
        self.fast_config = (fast_config or FastConfig.for_device(device)) if fast else None
        self._encode_net: nn.Module = self.encoder
        self._decode_net: nn.Module = self.decoder
        if self.fast_config is not None:
            self._encode_net, self._decode_net = build_fast(
                self.encoder, self.decoder, device, self.fast_config
            )

    @property
    def engine(self) -> str:
        """`plain`, or `fast` with its engine, dtype and whether it is compiled, for logs and
        benches."""
        cfg = self.fast_config
        if cfg is None:
            return "plain float32"
        if cfg.engine == "openvino":
            return f"fast openvino {'bf16' if cfg.dtype == torch.bfloat16 else 'f32'}"
        dtype = str(cfg.dtype).removeprefix("torch.")
        layout = "channels-last" if cfg.channels_last else "NCHW"
        return f"fast {dtype} {layout}" + (" compiled" if cfg.compile else "")

    @classmethod
    def from_files(
        cls,
        vgg_path: Path,
        decoder_path: Path,
        device: str | torch.device = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        **options: Unpack[StylizerOptions],
    ) -> Stylizer:
        """Load both weight files; `options` are the keyword options of `Stylizer(...)`."""
        dev = device if isinstance(device, torch.device) else resolve_device(device)
        encoder = Encoder(load_into(build_vgg(), Path(vgg_path)))
        decoder = load_into(build_decoder(), Path(decoder_path))
        return cls(encoder, decoder, dev, max_pixels=max_pixels, **options)

    @classmethod
    def from_dir(
        cls,
        weights_dir: str | Path,
        device: str | torch.device = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        **options: Unpack[StylizerOptions],
    ) -> Stylizer:
        """Load `vgg_normalised.pth` and `decoder.pth` from a folder; `options` as in
        `Stylizer(...)`."""
        folder = Path(weights_dir)
        missing = [n for n in (VGG_FILE, DECODER_FILE) if not (folder / n).is_file()]
        if missing:
            raise WeightsError(
                f"{', '.join(missing)} missing in {folder}; "
                f"run `python -m model.weights fetch --dir {folder}`"
            )
        return cls.from_files(
            folder / VGG_FILE, folder / DECODER_FILE, device, max_pixels, **options
        )

    def warm_up(self, size: int = 256) -> float:
        """Run throw-away pairs so lazy initialisation is paid before the first real job.

        A compiled fast path compiles here: first for one size, then once more for a second
        size, after which torch.compile has made the sizes symbolic and new aspect ratios run
        without compiling again (on the CPU's inductor not one of seven photo sizes did). A
        portrait pass after the landscape one costs a few milliseconds, or, should some
        backend guard on orientation, pays that compilation here rather than in a user's job.
        Returns the seconds it took (the start-up cost operators see in the logs).
        """
        start = time.perf_counter()
        sizes = [(size, size)]
        if self.fast_config is not None and self.fast_config.compile:
            odd = (size + 3 * tiling.SCALE + 5, size - tiling.SCALE)  # odd width
            sizes += [odd, odd[::-1]]
        for width, height in sizes:
            grey = Image.new("RGB", (width, height), (128, 128, 128))
            feat = self.encode(grey)
            self.render(feat, [self.style_stats(grey)], [1.0], 1.0, grey.size)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        seconds = time.perf_counter() - start
        log.info("%s on %s warmed up in %.2f s", self.engine, self.device, seconds)
        return seconds

    # -- steps -----------------------------------------------------------------------------

    def prepare(self, source: ImageSource, size: int, stroke: float = 1.0) -> Image.Image:
        """Load and validate an image (raises ImageError), then scale its shorter side to
        `size` (0 keeps it), times `stroke` for a style (`model.images.stroke_side`)."""
        img = load_image(source, max_pixels=self.max_pixels)
        return resize(img, stroke_side(img.width, img.height, size, stroke, self.max_pixels))

    @torch.inference_mode()
    def encode(self, img: Image.Image | Tensor) -> Tensor:
        """relu4_1 features (1, 512, ⌈H/8⌉, ⌈W/8⌉), float32, of an RGB image, or of a
        (1, 3, H, W) float tensor (values may lie outside [0, 1]: the first layer is linear)."""
        x = self._input(img)  # (1, 3, H, W)
        if self._tiled(_size(x)):
            return tiling.encode_tiled(self._encode_net, x, self.tile_size)
        return self._encode_net(x).float()

    @torch.inference_mode()
    def style_stats(self, img: Image.Image | Tensor) -> Stats:
        """Channel mean and std of a style image's relu4_1 features; `img` as in `encode`."""
        x = self._input(img)  # (1, 3, H, W)
        if self._tiled(_size(x)):  # never holds the whole feature map
            return tiling.stats_tiled(self._encode_net, x, self.tile_size)
        return adain.mean_std(self._encode_net(x).float())

    @staticmethod
    def match_colors(style: Image.Image, content: Image.Image) -> Tensor:
        """The style image recoloured to the content's colour mean and covariance, as a
        (1, 3, H, W) float32 tensor for `style_stats`, not clamped to [0, 1].

        For ordinary photo and painting pairs typically 5–13 % of the recoloured values lie
        outside [0, 1]; clamping them (or rounding to an 8-bit image) would take the content's
        colour mean and covariance away again. The encoder's first layer is linear, so it takes
        them as they are."""
        return adain.color_transfer(to_tensor(style)[0], to_tensor(content)[0])[None]

    def _input(self, img: Image.Image | Tensor) -> Tensor:
        if isinstance(img, Image.Image):
            return to_tensor(img).to(self.device)
        if img.dim() != 4 or img.shape[:2] != (1, 3):
            raise ValueError(f"expected a (1, 3, H, W) image tensor, got {tuple(img.shape)}")
        return img.to(self.device, torch.float32)

    @torch.inference_mode()
    def render(
        self,
        content_feat: Tensor,
        stats: Sequence[Stats],
        weights: Sequence[float],
        alpha: float,
        size: tuple[int, int],
    ) -> Image.Image:
        """Decode AdaIN targets of cached pieces to an image of `size` = (width, height)."""
        mean, std = adain.mix_stats(stats, weights)
        width, height = size
        if self._tiled(size):
            content_stats = tiling.feature_stats(content_feat)
            tile_target = tiling.adain_target(content_stats, (mean, std), alpha)
            return tiling.decode_tiled(
                self._decode_net, content_feat, tile_target, height, width, self.tile_size
            )
        target = adain.adain_stats(content_feat, mean, std)
        target = adain.blend(target, content_feat, alpha)
        return to_image(decode(self._decode_net, target, height, width))

    @property
    def networks(self) -> tuple[nn.Module, nn.Module]:
        """(encoder, decoder) as they run: (N, 3, H, W) → relu4_1 → (N, 3, 8h, 8w).

        On the fast path their outputs are in the fast dtype; `encode`/`render` convert."""
        return self._encode_net, self._decode_net

    def _tiled(self, size: tuple[int, int]) -> bool:
        return size[0] * size[1] > self.tile_above

    # -- one call --------------------------------------------------------------------------

    def stylize(
        self,
        content: ImageSource,
        style: StyleInput,
        *,
        alpha: float = 1.0,
        preserve_color: bool = False,
        content_size: int = 512,
        style_size: int = 512,
        stroke: float = 1.0,
        cache: FeatureCache | None = None,
    ) -> Image.Image:
        """Stylize `content` with one style image, or a list of (image, weight) pairs.

        Sizes scale the shorter side (0 keeps the original). The output has exactly the size
        of the resized content image. `stroke` scales the brush strokes: each style is
        encoded at `stroke` × the scale `style_size` gives it (0.25 to 4; 2 gives strokes about
        twice as large, 1 exactly what `style_size` alone gives). With a `cache`, the content
        features and each style's statistics are asked of it first, and an image is only
        prepared when something must be computed from it; the result is the same image.
        """
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        check_stroke(stroke)
        pairs = style_pairs(style)
        weights = [w for _, w in pairs]
        adain.normalize_weights(weights)  # refuse bad weights before any work
        cache = NoCache() if cache is None else cache
        content_key = ImageKey(content, content_size)
        # prepared once, and only if features are computed or a style is recoloured to it
        content_img = functools.cache(functools.partial(self.prepare, content, content_size))
        features = cache.content_features(
            content_key, functools.partial(self._content_features, content_img)
        )
        stats: list[Stats] = []
        for source, _ in pairs:
            recolor_to = content_img if preserve_color else None
            key = StyleKey(
                ImageKey(source, style_size), content_key if preserve_color else None, stroke
            )
            compute = functools.partial(
                self.style_stats_of, source, style_size, stroke, recolor_to
            )
            stats.append(cache.style_stats(key, compute))
        return self.render(features.feat, stats, weights, alpha, features.size)

    def _content_features(self, content: Callable[[], Image.Image]) -> ContentFeatures:
        img = content()
        return ContentFeatures(self.encode(img), img.size)

    def style_stats_of(
        self,
        source: ImageSource,
        size: int,
        stroke: float = 1.0,
        recolor_to: Image.Image | Callable[[], Image.Image] | None = None,
    ) -> Stats:
        """One style image's statistics, encoded at `stroke` × `size`; with `recolour_to` (an
        image, or a function that makes it when needed), after taking on its colours."""
        img = self.prepare(source, size, stroke)
        if recolor_to is None:
            return self.style_stats(img)
        target = recolor_to if isinstance(recolor_to, Image.Image) else recolor_to()
        return self.style_stats(self.match_colors(img, target))  # unclamped colours


def _size(x: Tensor) -> tuple[int, int]:
    """(width, height) of an (N, C, H, W) tensor."""
    return x.shape[3], x.shape[2]


def style_pairs(style: StyleInput) -> list[tuple[ImageSource, float]]:
    """One style image, or (image, weight) pairs, as pairs; ValueError for none."""
    if isinstance(style, (str, Path, bytes, Image.Image)):
        return [(style, 1.0)]
    pairs = [(src, float(w)) for src, w in style]
    if not pairs:
        raise ValueError("at least one style image is needed")
    return pairs
