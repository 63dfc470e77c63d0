"""The image edge: whatever a user sends becomes a plain RGB image, or a clear ImageError.

Users send JPEGs with EXIF rotation, PNGs with alpha or a palette, greyscale and 16-bit scans,
CMYK prints, animated GIFs, text files renamed .jpg, truncated uploads and decompression bombs.
All of them are handled here, before any tensor exists.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

from model.limits import MAX_STROKE, MIN_SIDE, MIN_STROKE, InputError

DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP: above the 24 MP that full resolution promises

ImageSource = str | Path | bytes | Image.Image


class ImageError(InputError):
    """An input image the service cannot use; `code` says why, the message says it in words.

    Codes: ``not_image`` (not a picture at all), ``broken`` (a picture that fails to decode),
    ``too_large`` (more pixels than allowed, decompression bombs included), ``too_small``.
    """


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, bytes):
        return Image.open(io.BytesIO(source))
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError("not_image", f"cannot read the file: {exc.strerror or exc}") from exc
    return Image.open(io.BytesIO(data))


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; transparency is composited onto white."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16/32-bit grey: Pillow's convert("L") clips at 255, so scale the range down first.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr, mode="L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if arr.max() <= 1.0 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "La", "PA", "RGBa"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, img).convert("RGB")
    return img.convert("RGB")


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open, validate and normalise an image to RGB, applying its EXIF orientation.

    The pixel count is checked from the header before anything is decoded, so a bomb never
    allocates. Animated images give their first frame. A file path is named in the message.
    """
    try:
        return _load(source, max_pixels)
    except ImageError as exc:
        if isinstance(source, (str, Path)):
            raise ImageError(exc.code, f"{source}: {exc}") from exc
        raise


def _load(source: ImageSource, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = _open(source)
            width, height = img.size
            if width * height > max_pixels:
                raise ImageError(
                    "too_large",
                    f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels; "
                    f"at most {max_pixels / 1e6:.0f} are accepted",
                )
            if min(width, height) < MIN_SIDE:
                raise ImageError(
                    "too_small",
                    f"the image is {width}×{height}; each side needs at least {MIN_SIDE} pixels",
                )
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            return _to_rgb(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            "too_large",
            "the image declares far more pixels than it can hold (a decompression bomb); "
            f"at most {max_pixels / 1e6:.0f} megapixels are accepted",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not_image", "the file is not an image in a known format") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("broken", f"the image is damaged and cannot be decoded: {exc}") from exc


def resized_shape(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) with the shorter side scaled to `size`; `size` 0 keeps the original."""
    if size <= 0 or min(width, height) == size:
        return width, height
    scale = size / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def check_stroke(stroke: float) -> None:
    """Refuse a brush-stroke scale outside [MIN_STROKE, MAX_STROKE] (NaN too), in one sentence."""
    if not MIN_STROKE <= stroke <= MAX_STROKE:
        raise ValueError(f"stroke must lie in [{MIN_STROKE:g}, {MAX_STROKE:g}], got {stroke}")


def stroke_side(width: int, height: int, size: int, stroke: float, max_pixels: int) -> int:
    """The shorter side a (width × height) style image is scaled to for a stroke scale.

    `size` × `stroke`, or the original shorter side × `stroke` when `size` is 0, rounded to the
    nearest pixel like every size; `stroke` 1 gives `size` itself, unchanged. The side is
    capped so that the scaled image has at most `max_pixels` pixels (the limit on any upload:
    a bigger stroke never costs more memory than the largest image accepted, and above the
    tiling threshold its statistics are taken tile by tile), and is at least MIN_SIDE.
    """
    check_stroke(stroke)
    if stroke == 1.0:
        return size
    short, long = min(width, height), max(width, height)
    side = max(MIN_SIDE, round((size if size > 0 else short) * stroke))
    cap = max(MIN_SIDE, math.isqrt(max_pixels * short // long))
    while cap > MIN_SIDE and math.prod(resized_shape(width, height, cap)) > max_pixels:
        cap -= 1  # the longer side's rounding can add a few pixels
    return min(side, cap)


def resize(img: Image.Image, size: int) -> Image.Image:
    """Scale the shorter side to `size` keeping the aspect ratio (0 keeps the original)."""
    shape = resized_shape(img.width, img.height, size)
    if shape == img.size:
        return img
    return img.resize(shape, Image.Resampling.BICUBIC, reducing_gap=3.0)


def to_tensor(img: Image.Image) -> Tensor:
    """RGB PIL image → (1, 3, H, W) float32 in [0, 1]."""
    arr = np.asarray(img, dtype=np.uint8)  # (H, W, 3)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def to_image(tensor: Tensor) -> Image.Image:
    """(1, 3, H, W) or (3, H, W) float in [0, 1] → RGB PIL image (values clamped)."""
    t = tensor.detach()
    if t.dim() == 4:
        t = t[0]
    arr = t.float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr, mode="RGB")
