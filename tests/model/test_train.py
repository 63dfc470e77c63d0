"""`python -m model.train` end to end on tiny generated images and random encoder weights."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from model.stylizer import Stylizer
from model.training.log import read_losses
from model.training.loop import main as train_main
from model.training.plot import main as plot_main
from model.weights.load import VGG_FILE
from tests.helpers import image_bytes, natural_image

ROOT = Path(__file__).resolve().parents[2]
DECODER_KEYS = {f"{i}.{p}" for i in (1, 5, 8, 11, 14, 18, 21, 25, 28) for p in ("weight", "bias")}


def write_images(folder: Path, count: int, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        natural_image(72 + 12 * i, 80 - 6 * i, seed=seed + i).save(folder / f"img_{i}.png")
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("data")
    return write_images(root / "content", 4, seed=0), write_images(root / "style" / "a", 4, 50)


def train_args(data: tuple[Path, Path], weights_dir: Path, out: Path, *extra: str) -> list[str]:
    """Tiny settings: 32-pixel crops unless `extra` says otherwise, workers off."""
    return [
        "--content-dir", str(data[0]), "--style-dir", str(data[1].parent),
        "--vgg", str(weights_dir / VGG_FILE), "--save-dir", str(out / "ckpt"),
        "--log-dir", str(out / "log"), "--device", "cpu", "--num-workers", "0",
        "--batch-size", "2", "--crop-size", "32", "--image-size", "40", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def cli_run(
    data: tuple[Path, Path], weights_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """30 iterations at batch 2 on 64-pixel crops, through the real command line."""
    out = tmp_path_factory.mktemp("cli_run")
    sizes = ("--crop-size", "64", "--image-size", "80", "--lr", "5e-4")
    args = train_args(data, weights_dir, out, *sizes, "--max-iter", "30", "--save-every", "15",
                      "--sample-every", "10")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "model.train", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("decoder.pth")
    assert "it/s" in done.stderr or "s/it" in done.stderr  # the progress bar's speed
    return out


def test_thirty_iterations_lower_the_loss_and_write_every_output(cli_run: Path) -> None:
    rows = read_losses(cli_run / "log" / "losses.csv")
    assert [r["iteration"] for r in rows] == list(range(1, 31))
    totals = [r["total_loss"] for r in rows]
    first, last = sum(totals[:5]) / 5, sum(totals[-5:]) / 5
    assert last < 0.7 * first, f"mean total loss went from {first:.3f} to {last:.3f}"
    assert rows[0]["lr"] == 5e-4 and rows[-1]["lr"] == pytest.approx(5e-4 / (1 + 5e-5 * 29))

    ckpt = cli_run / "ckpt"
    for name in ("decoder.pth", "decoder_iter_15.pth", "decoder_iter_30.pth",
                 "state_iter_15.pt", "state_iter_30.pt", "decoder_iter_30.json"):  # fmt: skip
        assert (ckpt / name).is_file(), name
    assert '"batch_size": 2' in (ckpt / "decoder_iter_30.json").read_text()
    samples = sorted((cli_run / "log" / "samples").glob("*.png"))
    assert [p.name for p in samples] == [f"iter_0000{n}.png" for n in (10, 20, 30)]
    with Image.open(samples[-1]) as grid:  # 4 pairs of content | style | output
        assert grid.size == (3 * 64 + 4 * 2, 4 * 64 + 5 * 2)
    assert list((cli_run / "log").glob("events.out.tfevents.*"))


def test_saved_decoder_loads_into_the_stylizer(
    cli_run: Path, data: tuple[Path, Path], weights_dir: Path
) -> None:
    state = torch.load(cli_run / "ckpt" / "decoder.pth", weights_only=True)
    assert set(state) == DECODER_KEYS  # the public decoder.pth layout, nothing else
    stylizer = Stylizer.from_files(weights_dir / VGG_FILE, cli_run / "ckpt" / "decoder.pth", "cpu")
    final = torch.load(cli_run / "ckpt" / "decoder_iter_30.pth", weights_only=True)
    loaded = stylizer.decoder.state_dict()
    assert all(torch.equal(loaded[k], final[k]) for k in DECODER_KEYS)  # unchanged
    content = data[0] / "img_1.png"
    out = stylizer.stylize(content, data[1] / "img_2.png", content_size=64, style_size=64)
    assert out.mode == "RGB" and out.size == stylizer.prepare(content, 64).size


def test_resume_continues_exactly(
    data: tuple[Path, Path], weights_dir: Path, tmp_path: Path
) -> None:
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    train_main(train_args(data, weights_dir, whole, "--max-iter", "40", "--save-every", "20"))
    # Stopped after iteration 25, with the last checkpoint at 20: rows 21–25 of the CSV and
    # the decoder of 25 are stale and must be replaced by the resumed run.
    train_main(train_args(data, weights_dir, stopped, "--max-iter", "25", "--save-every", "20"))
    (stopped / "ckpt" / "state_iter_25.pt").unlink()
    # ...and resumed with loader workers: the batches must not depend on who builds them
    train_main(train_args(data, weights_dir, stopped, "--max-iter", "40", "--save-every", "20",
                          "--resume", "auto", "--num-workers", "2"))  # fmt: skip

    expected = read_losses(whole / "log" / "losses.csv")
    resumed = read_losses(stopped / "log" / "losses.csv")
    assert [r["iteration"] for r in resumed] == list(range(1, 41))  # no duplicate rows
    diffs = [abs(a[k] - b[k]) for a, b in zip(expected[20:], resumed[20:], strict=True)
             for k in ("content_loss", "style_loss", "total_loss", "lr")]  # fmt: skip
    assert max(diffs) <= 1e-6 * max(r["total_loss"] for r in expected), max(diffs)
    a = torch.load(whole / "ckpt" / "decoder.pth", weights_only=True)
    b = torch.load(stopped / "ckpt" / "decoder.pth", weights_only=True)
    assert all(torch.allclose(a[k], b[k], rtol=1e-5, atol=1e-7) for k in a)


def test_a_second_run_must_resume_with_the_same_recipe(
    data: tuple[Path, Path], weights_dir: Path, tmp_path: Path
) -> None:
    train_main(train_args(data, weights_dir, tmp_path, "--max-iter", "2"))
    with pytest.raises(SystemExit, match="--resume auto"):
        train_main(train_args(data, weights_dir, tmp_path, "--max-iter", "4"))
    with pytest.raises(SystemExit, match="batch_size=2 .now 1."):
        train_main(train_args(data, weights_dir, tmp_path, "--max-iter", "4", "--resume", "auto",
                              "--batch-size", "1"))  # fmt: skip


def test_unusable_files_are_skipped_with_one_warning_each(
    data: tuple[Path, Path], weights_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content = write_images(tmp_path / "content", 2, seed=7)
    broken = {
        content / "garbage.jpg": b"this is no picture",
        content / "truncated.jpg": image_bytes(natural_image(64, 64))[:300],
        content / "tiny.png": image_bytes(natural_image(10, 10), "PNG"),
    }
    for path, raw in broken.items():
        path.write_bytes(raw)
    caplog.set_level(logging.WARNING, logger="model.training.loop")
    # 5 content files, 12 draws at batch 2: every bad file is met, most of them twice
    train_main(train_args((content, data[1]), weights_dir, tmp_path / "out", "--max-iter", "6"))
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for path in broken:
        assert sum(str(path) in msg for msg in warned) == 1, (path, warned)
    assert len(warned) == len(broken)
    assert (tmp_path / "out" / "ckpt" / "decoder.pth").is_file()
    rows = read_losses(tmp_path / "out" / "log" / "losses.csv")
    assert len(rows) == 6 and all(math.isfinite(r["total_loss"]) for r in rows)


def test_plot_losses_draws_the_curves(cli_run: Path, tmp_path: Path) -> None:
    png = tmp_path / "losses.png"
    plot_main([str(cli_run / "log"), "-o", str(png)])
    with Image.open(png) as img:
        assert img.format == "PNG" and img.width > 400
