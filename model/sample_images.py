"""Generated photo-like images and the agreement measure, for benchmarks and tests.

Real photographs cannot ship with the code; these smooth gradients with soft blobs and a little
noise have the spectrum of a photo closely enough for timing and for comparing two paths.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def natural_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth, photo-like RGB image: gradients, blobs and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x /= max(width - 1, 1)
    y /= max(height - 1, 1)
    img = np.zeros((height, width, 3), dtype=np.float32)
    for c in range(3):
        fx, fy, phase = rng.uniform(0.5, 4, 2).tolist() + [rng.uniform(0, 6.28)]
        img[..., c] = 0.5 + 0.35 * np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        img += blob[..., None] * rng.uniform(-0.4, 0.4, 3).astype(np.float32)
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)
    return Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8))


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two 8-bit images, in dB (inf when identical)."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mse = float(np.mean(diff**2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)
