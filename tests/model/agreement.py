"""One content–style pair through the plain networks and a fast engine, for the tests that
hold an engine to the plain path's output."""

from __future__ import annotations

import numpy as np
import skimage.data
from PIL import Image

from model.images import resize
from model.stylizer import Stylizer
from tests.helpers import natural_image

# The cases each engine's agreement is measured on: generated photo-like images and a real
# photo pair (scikit-image's astronaut styled with its coffee).
CASES = [("generated", 256), ("photos", 256), ("generated", 512)]


def photo(name: str, size: int) -> Image.Image:
    return resize(Image.fromarray(getattr(skimage.data, name)()), size)


def plain_and_fast(
    plain: Stylizer, fast: Stylizer, images: str, size: int
) -> tuple[Image.Image, Image.Image]:
    """(plain's result, fast's result) of one `images` pair ("generated" or "photos") at
    `size`; fails unless the plain result has a photo's contrast, which a flat picture would
    hide (per channel; about 0.2 on photos)."""
    if images == "photos":
        content, style = photo("astronaut", size), photo("coffee", size)
    else:
        content, style = natural_image(size, size, seed=1), natural_image(size, size, seed=2)
    want = plain.stylize(content, style, content_size=size, style_size=size)
    got = fast.stylize(content, style, content_size=size, style_size=size)
    contrast = np.asarray(want, dtype=np.float64).reshape(-1, 3).std(axis=0) / 255
    assert (contrast > 0.12).all(), contrast
    return want, got
