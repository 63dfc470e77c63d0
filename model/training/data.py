"""Training data: content–style batches that are a pure function of (seed, iteration).

Every random choice of an iteration (which files, where to crop) is drawn from a generator
seeded with the run's seed and the iteration number, never from a global RNG. A resumed run
therefore only needs the iteration count to see exactly the batches an uninterrupted run
would have seen, and DataLoader workers can build any iteration in any order.

The sampler is endless: draw k of a folder is position k mod N of the permutation of epoch
k div N, so every file is seen once per epoch. A file that cannot be used (not an image,
damaged, too small) is replaced by the next file in sorted order and reported once.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from model.images import ImageError, load_image, resize, to_tensor

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")

# Streams keep the draws of file order (per folder) and of crop positions independent.
CONTENT, STYLE, CROPS = 0, 1, 2


def list_images(folder: Path) -> list[Path]:
    """Image files under `folder`, searched recursively, in a stable (sorted) order."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    files = sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )
    if not files:
        raise ValueError(f"no image files ({' '.join(IMAGE_SUFFIXES)}) under {folder}")
    return files


def iteration_rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator owned by (seed, *keys): the same keys give the same numbers in any process."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def random_crop(img: Image.Image, size: int, u: float, v: float) -> Image.Image:
    """A size×size crop whose offsets are the fractions u, v ∈ [0, 1) of the free range."""
    left = math.floor(u * (img.width - size + 1))
    top = math.floor(v * (img.height - size + 1))
    return img.crop((left, top, left + size, top + size))


def center_crop(img: Image.Image, size: int) -> Image.Image:
    return random_crop(img, size, 0.5, 0.5)


class ImageFolder:
    """One folder's files, an endless shuffled order over them, and skipping of bad files."""

    def __init__(self, files: list[Path], seed: int, stream: int, image_size: int) -> None:
        self.files = files
        self.seed = seed
        self.stream = stream
        self.image_size = image_size
        self.bad: set[int] = set()  # per process: a worker learns about bad files on its own
        self.skipped: list[tuple[str, str]] = []  # (path, reason) not yet reported
        self._perm: tuple[int, np.ndarray] | None = None

    def index(self, draw: int) -> int:
        """File index of the draw-th sample of the endless shuffled sequence."""
        epoch, pos = divmod(draw, len(self.files))
        if self._perm is None or self._perm[0] != epoch:
            perm = iteration_rng(self.seed, self.stream, epoch).permutation(len(self.files))
            self._perm = (epoch, perm)
        return int(self._perm[1][pos])

    def load(self, index: int) -> tuple[int, Image.Image]:
        """(index used, image resized to shorter side = image_size): `index` or the next usable.

        A file that fails goes to `self.skipped` the first time this process meets it, for the
        caller to report; skipping to the next file keeps the choice deterministic.
        """
        for step in range(len(self.files)):
            i = (index + step) % len(self.files)
            if i in self.bad:
                continue
            try:
                return i, resize(load_image(self.files[i]), self.image_size)
            except ImageError as exc:
                self.bad.add(i)
                self.skipped.append((str(self.files[i]), str(exc)))
        folder = self.files[0].parent
        raise RuntimeError(f"none of the {len(self.files)} image files under {folder} is usable")


class PairBatches(Dataset):
    """Item `it` is the batch of iteration `it` (1-based): content and style crops.

    Use with `DataLoader(..., batch_size=None, sampler=range(first, last + 1))`: a whole batch
    per item keeps the order a function of the iteration, whatever the number of workers.
    """

    def __init__(
        self,
        content_files: list[Path],
        style_files: list[Path],
        batch_size: int,
        crop_size: int,
        image_size: int,
        seed: int,
    ) -> None:
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.seed = seed
        self.folders = (
            ImageFolder(content_files, seed, CONTENT, image_size),
            ImageFolder(style_files, seed, STYLE, image_size),
        )

    def __getitem__(self, iteration: int) -> dict[str, object]:
        # Crop fractions are drawn before any file is opened, so a skipped file never shifts
        # the random numbers of the samples after it.
        fractions = iteration_rng(self.seed, CROPS, iteration).random((2, self.batch_size, 2))
        out: dict[str, object] = {}
        for stream, folder in enumerate(self.folders):
            crops = []
            for b in range(self.batch_size):
                _, img = folder.load(folder.index((iteration - 1) * self.batch_size + b))
                u, v = fractions[stream, b].tolist()
                crops.append(to_tensor(random_crop(img, self.crop_size, u, v)))
            out["content" if stream == CONTENT else "style"] = torch.cat(crops)  # (B, 3, S, S)
        out["skipped"] = self.take_skipped()
        return out

    def take_skipped(self) -> list[tuple[str, str]]:
        """Files found unusable since the last call, as (path, reason)."""
        skipped = [item for folder in self.folders for item in folder.skipped]
        for folder in self.folders:
            folder.skipped.clear()
        return skipped

    def fixed_samples(self, count: int) -> tuple[Tensor, Tensor]:
        """The first `count` usable content and style images, centre-cropped: (count, 3, S, S).

        The same pictures at every sample step, so that the grids show the decoder's progress;
        a folder with fewer images repeats them.
        """
        result = []
        for folder in self.folders:
            crops, index = [], 0
            for _ in range(count):
                used, img = folder.load(index)
                index = used + 1
                crops.append(to_tensor(center_crop(img, self.crop_size)))
            result.append(torch.cat(crops))
        return result[0], result[1]
