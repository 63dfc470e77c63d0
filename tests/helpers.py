"""Test images: photo-like pictures and encoded bytes in any format."""

from __future__ import annotations

import io

from PIL import Image

from model.sample_images import natural_image

__all__ = ["image_bytes", "natural_image"]


def image_bytes(img: Image.Image, fmt: str = "JPEG", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()
