"""`Stylizer`: the weights loaded once, and one call from two images to a stylized image.

The steps are public too (`prepare`, `encode`, `style_stats`, `render`), so that the worker can
cache style statistics and content features between jobs and skip encoder passes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor, nn

from model import adain
from model.device import resolve_device
from model.images import DEFAULT_MAX_PIXELS, ImageSource, load_image, resize, to_image, to_tensor
from model.layout import WeightsError, load_into
from model.networks import Encoder, build_decoder, build_vgg, decode

VGG_FILE = "vgg_normalised.pth"
DECODER_FILE = "decoder.pth"

Stats = tuple[Tensor, Tensor]  # (mean, std), each (1, 512, 1, 1)
StyleInput = ImageSource | Sequence[tuple[ImageSource, float]]


class Stylizer:
    """Arbitrary style transfer with the AdaIN encoder–decoder, on one device."""

    def __init__(
        self,
        encoder: Encoder,
        decoder: nn.Module,
        device: torch.device,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.device = device
        self.encoder = encoder.to(device).eval()
        self.decoder = decoder.to(device).eval()
        self.max_pixels = max_pixels

    @classmethod
    def from_files(
        cls,
        vgg_path: Path,
        decoder_path: Path,
        device: str | torch.device = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> Stylizer:
        dev = device if isinstance(device, torch.device) else resolve_device(device)
        encoder = Encoder(load_into(build_vgg(), Path(vgg_path)))
        decoder = load_into(build_decoder(), Path(decoder_path))
        return cls(encoder, decoder, dev, max_pixels=max_pixels)

    @classmethod
    def from_dir(
        cls,
        weights_dir: str | Path,
        device: str | torch.device = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> Stylizer:
        """Load `vgg_normalised.pth` and `decoder.pth` from a folder."""
        folder = Path(weights_dir)
        missing = [n for n in (VGG_FILE, DECODER_FILE) if not (folder / n).is_file()]
        if missing:
            raise WeightsError(
                f"{', '.join(missing)} missing in {folder}; "
                f"run `python -m model.weights fetch --dir {folder}`"
            )
        return cls.from_files(folder / VGG_FILE, folder / DECODER_FILE, device, max_pixels)

    def warm_up(self, size: int = 256) -> float:
        """Run one throw-away pair so lazy initialisation is paid before the first real job.

        Returns the seconds it took (the start-up cost operators see in the logs).
        """
        start = time.perf_counter()
        grey = Image.new("RGB", (size, size), (128, 128, 128))
        feat = self.encode(grey)
        self.render(feat, [self.style_stats(grey)], [1.0], 1.0, grey.size)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - start

    # -- steps -----------------------------------------------------------------------------

    def prepare(self, source: ImageSource, size: int) -> Image.Image:
        """Load and validate an image (raises ImageError), then scale its shorter side."""
        return resize(load_image(source, max_pixels=self.max_pixels), size)

    @torch.inference_mode()
    def encode(self, img: Image.Image) -> Tensor:
        """relu4_1 features (1, 512, ⌈H/8⌉, ⌈W/8⌉) of an RGB image."""
        return self.encoder(to_tensor(img).to(self.device))

    def style_stats(self, img: Image.Image) -> Stats:
        """Channel mean and std of a style image's relu4_1 features."""
        return adain.mean_std(self.encode(img))

    @staticmethod
    def match_colors(style: Image.Image, content: Image.Image) -> Image.Image:
        """The style image recoloured to the content's colour mean and covariance."""
        out = adain.color_transfer(to_tensor(style)[0], to_tensor(content)[0])
        return to_image(out)

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
        target = adain.adain_stats(content_feat, mean, std)
        target = adain.blend(target, content_feat, alpha)
        width, height = size
        return to_image(decode(self.decoder, target, height, width))

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
    ) -> Image.Image:
        """Stylize `content` with one style image, or a list of (image, weight) pairs.

        Sizes scale the shorter side (0 keeps the original). The output has exactly the size
        of the resized content image.
        """
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        pairs = _style_pairs(style)
        adain.normalize_weights([w for _, w in pairs])  # refuse bad weights before any work
        content_img = self.prepare(content, content_size)
        stats: list[Stats] = []
        for source, _ in pairs:
            style_img = self.prepare(source, style_size)
            if preserve_color:
                style_img = self.match_colors(style_img, content_img)
            stats.append(self.style_stats(style_img))
        feat = self.encode(content_img)
        return self.render(feat, stats, [w for _, w in pairs], alpha, content_img.size)


def _style_pairs(style: StyleInput) -> list[tuple[ImageSource, float]]:
    if isinstance(style, (str, Path, bytes, Image.Image)):
        return [(style, 1.0)]
    pairs = [(src, float(w)) for src, w in style]
    if not pairs:
        raise ValueError("at least one style image is needed")
    return pairs
