"""Draw the loss curves of a training run: `python -m model.plot_losses LOG_DIR -o losses.png`.

Reads `LOG_DIR/losses.csv` (written by `python -m model.train`) and draws the content, style
and total losses against the iteration: the raw values faintly, a moving average on top, on a
log scale because the losses fall by orders of magnitude in the first thousand iterations.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training machines have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model.training.log import CSV_NAME, read_losses  # noqa: E402

CURVES = (("content_loss", "content"), ("style_loss", "style"), ("total_loss", "total"))


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Means of `window` consecutive values: len(values) − window + 1 of them."""
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_losses(csv_path: Path, output: Path, smooth: int = 0) -> Path:
    """Save the figure to `output`; `smooth` 0 picks a window of about 1% of the run."""
    rows = read_losses(csv_path)
    if not rows:
        raise ValueError(f"{csv_path} holds no iterations yet")
    iterations = np.array([r["iteration"] for r in rows])
    window = smooth or max(1, len(rows) // 100)
    fig, axes = plt.subplots(len(CURVES), 1, figsize=(8, 8), sharex=True)
    for ax, (key, label) in zip(axes, CURVES, strict=True):
        values = np.array([r[key] for r in rows])
        ax.plot(iterations, values, color="tab:blue", alpha=0.25, linewidth=0.8)
        smoothed = moving_average(values, window)
        ax.plot(iterations[len(iterations) - len(smoothed) :], smoothed, color="tab:blue")
        if (values > 0).all():
            ax.set_yscale("log")
        ax.set_ylabel(f"{label} loss")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title(f"AdaIN decoder training ({len(rows)} iterations, mean of {window})")
    axes[-1].set_xlabel("iteration")
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.plot_losses", description=__doc__)
    parser.add_argument("log_dir", type=Path, help=f"a training log folder (or its {CSV_NAME})")
    parser.add_argument("-o", "--output", type=Path, default=Path("losses.png"))
    parser.add_argument("--smooth", type=int, default=0, help="moving-average window (0: auto)")
    args = parser.parse_args(argv)
    csv_path = args.log_dir if args.log_dir.is_file() else args.log_dir / CSV_NAME
    if not csv_path.is_file():
        parser.error(f"{csv_path} does not exist; is {args.log_dir} a training log folder?")
    try:
        print(plot_losses(csv_path, args.output, args.smooth))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
