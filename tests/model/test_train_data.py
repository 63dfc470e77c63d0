"""Training batches are a function of (seed, iteration), whichever process builds them."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import DataLoader

from model.training.data import PairBatches, list_images
from tests.helpers import natural_image


def make_dataset(tmp_path: Path, seed: int = 0) -> PairBatches:
    for kind, sizes in (("content", [(60, 44), (48, 70), (50, 50)]), ("style", [(64, 40)] * 2)):
        folder = tmp_path / kind / "nested"  # searched recursively
        folder.mkdir(parents=True, exist_ok=True)
        for i, (w, h) in enumerate(sizes):
            natural_image(w, h, seed=i + 10 * len(kind)).save(folder / f"{i}.png")
    (tmp_path / "content" / "notes.txt").write_text("not an image, not listed")
    files = list_images(tmp_path / "content"), list_images(tmp_path / "style")
    return PairBatches(*files, batch_size=2, crop_size=32, image_size=40, seed=seed)


def test_batches_depend_only_on_seed_and_iteration(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path)
    first = dataset[7]
    assert first["content"].shape == (2, 3, 32, 32)
    assert first["style"].shape == (2, 3, 32, 32)
    again = make_dataset(tmp_path)[7]  # a fresh object, as after a restart
    assert torch.equal(first["content"], again["content"])
    assert torch.equal(first["style"], again["style"])
    assert not torch.equal(first["content"], dataset[8]["content"])
    other_seed = make_dataset(tmp_path, seed=1)[7]
    assert not torch.equal(first["content"], other_seed["content"])


def test_every_file_is_drawn_once_per_epoch(tmp_path: Path) -> None:
    folder = make_dataset(tmp_path).folders[0]
    for epoch in range(3):
        drawn = [folder.index(epoch * 3 + k) for k in range(3)]
        assert sorted(drawn) == [0, 1, 2]


def test_loader_workers_give_the_same_batches(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path)
    loader = DataLoader(dataset, batch_size=None, sampler=range(5, 11), num_workers=2)
    for iteration, batch in zip(range(5, 11), loader, strict=True):
        direct = dataset[iteration]
        assert torch.equal(batch["content"], direct["content"])
        assert torch.equal(batch["style"], direct["style"])
