"""What a training run leaves in its log folder: a loss CSV, TensorBoard events, sample grids.

`losses.csv` has one row per iteration. On resume from iteration N the rows after N (written
after the last checkpoint, before the stop) are dropped first, so the file never holds two
rows for one iteration; TensorBoard's `purge_step` hides the same stale events there.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.tensorboard import SummaryWriter
from torchvision.utils import make_grid, save_image

from model.networks import Encoder
from model.training.losses import adain_losses

CSV_NAME = "losses.csv"
FIELDS = ("iteration", "content_loss", "style_loss", "total_loss", "lr")


def read_losses(path: Path) -> list[dict[str, float]]:
    """Rows of a `losses.csv`, numbers parsed (iteration as a whole number)."""
    with path.open(newline="") as f:
        return [
            {k: (int(v) if k == "iteration" else float(v)) for k, v in row.items()}
            for row in csv.DictReader(f)
        ]


@torch.inference_mode()
def sample_grid(encoder: Encoder, decoder: nn.Module, content: Tensor, style: Tensor) -> Tensor:
    """One row per pair: content | style | output, as a (3, H, W) image in [0, 1]."""
    output, _, _ = adain_losses(encoder, decoder, content, style)  # (n, 3, S, S)
    rows = torch.stack([content, style, output.float().clamp(0, 1)], dim=1)  # (n, 3, 3, S, S)
    return make_grid(rows.flatten(0, 1).cpu(), nrow=3, padding=2, pad_value=1.0)


class TrainLog:
    """The log folder of one run, continued from iteration `start` (0 for a fresh run)."""

    def __init__(self, log_dir: Path, start: int) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        path = log_dir / CSV_NAME
        kept = [r for r in read_losses(path) if r["iteration"] <= start] if path.exists() else []
        tmp = path.with_name(CSV_NAME + ".tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows({k: repr(v) for k, v in row.items()} for row in kept)
        os.replace(tmp, path)
        self._csv_file = path.open("a", newline="")
        self._csv = csv.writer(self._csv_file)
        self.tensorboard = SummaryWriter(str(log_dir), purge_step=start + 1)

    def scalars(
        self, iteration: int, content: float, style: float, total: float, lr: float
    ) -> None:
        # repr keeps every digit, so a resumed run can be compared with an uninterrupted one
        self._csv.writerow([iteration, repr(content), repr(style), repr(total), repr(lr)])
        self._csv_file.flush()
        for tag, value in (
            ("loss/content", content),
            ("loss/style", style),
            ("loss/total", total),
            ("lr", lr),
        ):
            self.tensorboard.add_scalar(tag, value, iteration)

    def samples(self, iteration: int, grid: Tensor) -> Path:
        """Save the grid as `samples/iter_NNNNNN.png` and show it in TensorBoard."""
        path = self.log_dir / "samples" / f"iter_{iteration:06d}.png"
        path.parent.mkdir(exist_ok=True)
        save_image(grid, path)
        self.tensorboard.add_image("samples", grid, iteration)
        return path

    def close(self) -> None:
        self._csv_file.close()
        self.tensorboard.close()
