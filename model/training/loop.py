"""Train the AdaIN decoder (the encoder is a frozen VGG-19): `python -m model.train`.

    python -m model.train --content-dir data/coco --style-dir data/wikiart \\
        --vgg weights/vgg_normalised.pth --save-dir checkpoints --log-dir runs/adain

The public PyTorch port's recipe: Adam, batch 8, lr 1e-4 decayed as lr / (1 + 5e-5·iter),
160,000 iterations, loss = content + 10·style. `--resume auto` continues from the latest
training state in `--save-dir` exactly where it stopped: batches are a function of (seed,
iteration) (see `model.training.data`) and the optimizer state is restored, so no loss
spike. See docs/training.md for datasets, figures and evaluation.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from model.device import resolve_device
from model.networks import Encoder, build_decoder, build_vgg
from model.training.checkpoint import (
    decoder_state,
    latest_state,
    load_state,
    restore_rng,
    save_checkpoint,
)
from model.training.data import PairBatches, list_images
from model.training.log import TrainLog, sample_grid
from model.training.losses import adain_losses, total_loss
from model.weights.load import WeightsError, load_into

log = logging.getLogger(__name__)

# Settings that decide which batches and updates a run makes: a resume must not change them.
TRAJECTORY = ("batch_size", "crop_size", "image_size", "lr", "lr_decay", "content_weight",
              "style_weight", "seed", "content_files", "style_files")  # fmt: skip
SAMPLE_PAIRS = 4


@dataclass
class TrainConfig:
    content_dir: Path
    style_dir: Path
    vgg: Path = Path("weights/vgg_normalised.pth")
    save_dir: Path = Path("checkpoints")
    log_dir: Path = Path("runs/adain")
    max_iter: int = 160_000
    batch_size: int = 8
    lr: float = 1e-4
    lr_decay: float = 5e-5
    style_weight: float = 10.0
    content_weight: float = 1.0
    save_every: int = 10_000
    sample_every: int = 1_000
    resume: str | None = None  # "auto" or the path of a state file
    device: str = "auto"
    num_workers: int = min(4, os.cpu_count() or 1)
    amp: bool = False
    seed: int = 0
    crop_size: int = 256
    image_size: int = 512  # shorter side before cropping


def learning_rate(config: TrainConfig, iteration: int) -> float:
    """lr / (1 + decay·i) with i counted from 0, as the public port does."""
    return config.lr / (1.0 + config.lr_decay * (iteration - 1))


def _resume_path(config: TrainConfig) -> Path | None:
    latest = latest_state(config.save_dir)
    if config.resume is None:
        if latest is not None:
            raise ValueError(
                f"{config.save_dir} already holds {latest.name}; pass --resume auto to continue "
                "it, or choose another --save-dir"
            )
        return None
    if config.resume != "auto":
        return Path(config.resume)
    if latest is None:
        log.info("no training state in %s yet: starting at iteration 0", config.save_dir)
    return latest


def _check_same_trajectory(saved: dict, current: dict) -> None:
    diff = [
        f"{k}={saved.get(k)!r} (now {current[k]!r})"
        for k in TRAJECTORY
        if saved.get(k) != current[k]
    ]
    if diff:
        raise ValueError(f"cannot resume exactly: the checkpoint has {', '.join(diff)}")


def train(config: TrainConfig) -> Path:
    """Run (or continue) training; returns the path of the final `decoder.pth`."""
    device = resolve_device(config.device)
    if config.amp and device.type != "cuda":
        raise ValueError(f"--amp is for CUDA devices, and this run uses {device}")
    if config.crop_size > config.image_size:
        raise ValueError(
            f"--crop-size {config.crop_size} must not exceed --image-size {config.image_size}"
        )
    amp_dtype = torch.bfloat16 if config.amp and torch.cuda.is_bf16_supported() else torch.float16
    content_files, style_files = list_images(config.content_dir), list_images(config.style_dir)
    resolved = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    resolved.update(
        device=str(device),
        content_files=len(content_files),
        style_files=len(style_files),
        amp_dtype=str(amp_dtype) if config.amp else None,
    )
    resume = _resume_path(config)

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)  # the decoder's initial weights
    encoder = Encoder(load_into(build_vgg(), config.vgg)).to(device).eval()
    decoder = build_decoder().to(device).train()
    optimizer = torch.optim.Adam(decoder.parameters(), lr=config.lr)
    # bf16 has float32's range and needs no loss scaling; the scaler is a no-op unless fp16
    scaler = torch.amp.GradScaler(device.type, enabled=config.amp and amp_dtype == torch.float16)
    start = 0
    if resume is not None:
        state = load_state(resume)
        _check_same_trajectory(state["config"], resolved)
        decoder.load_state_dict(state["decoder"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        restore_rng(state["rng"])
        start = state["iteration"]
        log.info("resuming from %s at iteration %d", resume, start)
    if start >= config.max_iter:
        log.info("iteration %d already reaches --max-iter %d", start, config.max_iter)
        return config.save_dir / "decoder.pth"

    dataset = PairBatches(
        content_files,
        style_files,
        config.batch_size,
        config.crop_size,
        config.image_size,
        config.seed,
    )
    sample_content, sample_style = (t.to(device) for t in dataset.fixed_samples(SAMPLE_PAIRS))
    # batch_size=None: every item already is the whole batch of one iteration
    loader = DataLoader(
        dataset,
        batch_size=None,
        sampler=range(start + 1, config.max_iter + 1),
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
    )
    reported: set[str] = set()
    train_log = TrainLog(config.log_dir, start)
    bar = tqdm(total=config.max_iter, initial=start, unit="it", dynamic_ncols=True)
    with logging_redirect_tqdm():
        _report(dataset.take_skipped(), reported)  # met while picking the sample images
        for iteration, batch in enumerate(loader, start=start + 1):
            _report(batch["skipped"], reported)
            lr = learning_rate(config, iteration)
            for group in optimizer.param_groups:
                group["lr"] = lr
            content = batch["content"].to(device, non_blocking=True)  # (B, 3, S, S)
            style = batch["style"].to(device, non_blocking=True)  # (B, 3, S, S)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=config.amp):
                _, loss_c, loss_s = adain_losses(encoder, decoder, content, style)
            loss = total_loss(loss_c, loss_s, config.content_weight, config.style_weight)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

            values = (loss_c.item(), loss_s.item(), loss.item())
            train_log.scalars(iteration, *values, lr)
            bar.set_postfix(content=f"{values[0]:.3g}", style=f"{values[1]:.3g}", refresh=False)
            bar.update()
            last = iteration == config.max_iter
            if iteration % config.sample_every == 0 or last:
                with torch.autocast(device.type, dtype=amp_dtype, enabled=config.amp):
                    grid = sample_grid(encoder, decoder, sample_content, sample_style)
                train_log.samples(iteration, grid)
            if iteration % config.save_every == 0 or last:
                save_checkpoint(
                    config.save_dir,
                    iteration,
                    {
                        "decoder": decoder_state(decoder),
                        "optimizer": optimizer.state_dict(),
                        "scaler": scaler.state_dict(),
                        "config": resolved,
                        # the whole data-order state: batches are a function of these two
                        "data": {"seed": config.seed, "next_iteration": iteration + 1},
                    },
                )
    bar.close()
    train_log.close()
    return config.save_dir / "decoder.pth"


def _report(skipped: list[tuple[str, str]], reported: set[str]) -> None:
    """Warn once per unusable file, however many DataLoader workers met it."""
    for path, reason in skipped:
        if path not in reported:
            reported.add(path)
            log.warning("skipping %s: %s", path, reason)


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    defaults = TrainConfig(Path(), Path())
    parser = argparse.ArgumentParser(
        prog="python -m model.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--content-dir", type=Path, required=True, help="content photos")
    parser.add_argument("--style-dir", type=Path, required=True, help="style paintings")
    for name, kind, help_text in (
        ("vgg", Path, "encoder weights (vgg_normalised.pth)"),
        ("save-dir", Path, "checkpoints: decoder_iter_N.pth, decoder.pth, state_iter_N.pt"),
        ("log-dir", Path, "losses.csv, TensorBoard events, samples/"),
        ("max-iter", int, "last iteration"),
        ("batch-size", int, "content–style pairs per iteration"),
        ("lr", float, "Adam's initial learning rate"),
        ("lr-decay", float, "lr / (1 + decay·iteration)"),
        ("style-weight", float, "weight of the style loss"),
        ("content-weight", float, "weight of the content loss"),
        ("save-every", int, "checkpoint every N iterations (and at the end)"),
        ("sample-every", int, "sample grid every N iterations (and at the end)"),
        ("device", str, "auto, cpu or cuda[:N]"),
        ("num-workers", int, "DataLoader worker processes (0 loads in the main process)"),
        ("seed", int, "decides the initial decoder and every batch"),
        ("crop-size", int, "side of the square random crops"),
        ("image-size", int, "shorter side of the images before cropping"),
    ):
        dest = name.replace("-", "_")
        default = getattr(defaults, dest)
        parser.add_argument(
            f"--{name}", type=kind, default=default, help=f"{help_text} (default: {default})"
        )
    parser.add_argument(
        "--resume",
        metavar="auto|PATH",
        default=None,
        help="continue from the latest state in --save-dir, or from PATH",
    )
    parser.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    args = parser.parse_args(argv)
    for name in ("max_iter", "batch_size", "save_every", "sample_every", "crop_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.seed < 0 or args.num_workers < 0:
        parser.error("--seed and --num-workers must not be negative")
    return TrainConfig(**vars(args))


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = parse_args(argv)
    try:
        path = train(config)
    except (ValueError, WeightsError) as exc:
        raise SystemExit(f"error: {exc}") from None
    print(path)


if __name__ == "__main__":
    main()
