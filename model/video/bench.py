"""The clip benchmark: `python -m model.video.bench` prints a table per generated clip.

    python -m model.video.bench [--size 360] [--frames 24] [--clips NAME,NAME] [--batch 8]
        [--style-size 256] [--weights-dir DIR] [--device auto|cpu|cuda]

For each clip of `model.video.synthetic` (16:9, the shorter side `--size`): the frames per
second through the networks on this device, per-frame AdaIN against steady colours (which also
encodes the sampled frames for the clip's statistics, as `stylize_clip` does), and the
flicker figure and warping error (`model.video.flicker`) of each, with steady / per-frame. No
file is decoded or encoded: this measures the model. Without `--weights-dir`, seeded random
weights in the public layout stand in for the pretrained ones (the figures then describe those
networks; a trained decoder turns statistics into colours more strongly than a random one).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from model.adain import Stats
from model.device import resolve_device
from model.random_weights import random_networks
from model.sample_images import natural_image
from model.stylizer import Stylizer
from model.video import flicker, synthetic
from model.video.frames import sample_count, sample_indices
from model.video.steady import clip_stats, stylize_frames
from model.weights.load import WeightsError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.video.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--size", type=int, default=360, help="shorter side of the frames")
    p.add_argument("--frames", type=int, default=24, help="frames per clip")
    p.add_argument("--clips", default=",".join(synthetic.CLIPS), help="which clips, by name")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--style-size", type=int, default=256)
    p.add_argument("--weights-dir", type=Path, help="pretrained weights (default: random)")
    p.add_argument("--device", default="auto")
    return p.parse_args(argv)


def machine(device: torch.device) -> str:
    """The GPU's name, or the CPU model and torch's thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        name = "CPU"
    return f"{name}, {torch.get_num_threads()} threads"


Run = Callable[[], list[Image.Image]]


def _timed(device: torch.device, run: Run) -> tuple[list[Image.Image], float]:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = run()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - start


def per_frame(
    stylizer: Stylizer, frames: list[Image.Image], style: Stats, batch: int
) -> list[Image.Image]:
    """Per-frame AdaIN: each frame normalised by its own statistics."""
    return list(stylize_frames(stylizer, frames, style, 1.0, steady=False, batch=batch))


def steady(
    stylizer: Stylizer, frames: list[Image.Image], style: Stats, batch: int
) -> list[Image.Image]:
    """Steady colours as `stylize_clip` runs them: the sampled frames' statistics first."""
    picked = sample_indices(len(frames), sample_count(len(frames)))
    stats = clip_stats(stylizer, [frames[i] for i in picked], batch)
    return list(stylize_frames(stylizer, frames, style, 1.0, content_stats=stats, batch=batch))


MODES = (per_frame, steady)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = resolve_device(args.device)
    if args.weights_dir:
        try:
            stylizer = Stylizer.from_dir(args.weights_dir, device=device)
        except WeightsError as exc:
            print(f"error: {exc}")
            return 1
        weights = str(args.weights_dir)
    else:
        from model.networks import Encoder

        vgg, decoder = random_networks(seed=0)
        stylizer = Stylizer(Encoder(vgg), decoder, device)
        weights = "random (seed 0)"
    width, height = round(args.size * 16 / 9 / 2) * 2, args.size
    stylizer.warm_up(args.size)
    warm = synthetic.still_scene(width, height, args.batch)  # this frame size and batch, once
    per_frame(stylizer, warm, stylizer.style_stats(warm[0]), args.batch)
    style = stylizer.style_stats(natural_image(args.style_size, args.style_size, seed=5))
    warp = flicker.has_optical_flow()
    print(f"{machine(device)}; {stylizer.engine}; weights {weights}")
    print(f"{args.frames} frames of {width}×{height} per clip, batch {args.batch}")
    head = "clip            | frames | fps per-frame | fps steady | flicker per-frame | steady"
    head += " | steady/per-frame" + (" | warp err per-frame | steady" if warp else "")
    print(head)
    print("-" * len(head))
    per_pixel = []
    for name in args.clips.split(","):
        frames = synthetic.make_clip(name, width, height, args.frames)

        runs = (functools.partial(fn, stylizer, frames, style, args.batch) for fn in MODES)
        (base, base_s), (ours, ours_s) = (_timed(device, run) for run in runs)
        per_pixel.append(base_s / (len(frames) * width * height))
        f_base, f_ours = flicker.flicker(base, frames), flicker.flicker(ours, frames)
        n = len(frames)
        row = f"{name:15s} | {n:6d} | {n / base_s:13.2f} | {n / ours_s:10.2f} | "
        row += f"{f_base:17.3f} | {f_ours:6.3f} | {f_ours / f_base:16.2f}"
        if warp:
            w_base = flicker.warping_error(base, frames)
            w_ours = flicker.warping_error(ours, frames)
            row += f" | {w_base:18.2f} | {w_ours:6.2f}"
        print(row, flush=True)
    print(f"seconds per output pixel, per-frame: {min(per_pixel):.3g} (best clip)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
