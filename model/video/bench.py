"""The clip benchmark: `python -m model.video.bench` prints a table per generated clip.

    python -m model.video.bench [--size 360] [--frames 24] [--clips NAME,NAME] [--batch 8]
        [--style-size 256] [--blend W] [--weights-dir DIR] [--device auto|cpu|cuda]

(also `python -m model.bench video ...`). For each clip of `model.video.synthetic` (16:9, the
shorter side `--size`), three ways: per-frame AdaIN (each frame on its own), steady colours
alone (shared statistics, which also encode the sampled frames, as `stylize_clip` does), and
ours, steady colours with temporal blending (`model.video.temporal`, weight `--blend`). Each
gets its frames per second (networks and blending, on this device), its flicker figure and
its warping error (`model.video.flicker`), with the ratios to per-frame; "blend ms" is the
blending's own time per frame, on the CPU. No file is decoded or encoded: this measures the
model. Without `--weights-dir`, seeded random
weights in the public layout stand in for the pretrained ones (the figures then describe those
networks; a trained decoder turns statistics into colours more strongly than a random one).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
from model.video.temporal import WEIGHT, make_blender
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
    p.add_argument("--blend", type=float, default=WEIGHT, help="ours: the blending weight")
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
    stylizer: Stylizer, frames: list[Image.Image], style: Stats, batch: int, blend: float = 0.0
) -> list[Image.Image]:
    """Steady colours as `stylize_clip` runs them: the sampled frames' statistics first;
    blended over time with `blend`."""
    picked = sample_indices(len(frames), sample_count(len(frames)))
    stats = clip_stats(stylizer, [frames[i] for i in picked], batch)
    out = stylize_frames(
        stylizer, frames, style, 1.0, content_stats=stats, blend=blend, batch=batch
    )
    return list(out)


def blend_ms(frames: list[Image.Image], stylized: list[Image.Image], blend: float) -> float:
    """Milliseconds a frame of temporal blending alone, over stylized frames."""
    blender = make_blender(blend)
    if blender is None or len(frames) < 2:
        return 0.0
    pairs = [
        (np.asarray(i.convert("RGB")), np.asarray(s))
        for i, s in zip(frames, stylized, strict=True)
    ]
    blender(*pairs[0])  # the first frame has nothing to blend with
    start = time.perf_counter()
    for pair in pairs[1:]:
        blender(*pair)
    return (time.perf_counter() - start) * 1000 / (len(pairs) - 1)


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
    print(f"{args.frames} frames of {width}×{height} per clip, batch {args.batch}", end="")
    print(f", ours: steady colours + temporal blending {args.blend}" if warp else "")
    cols = ["clip           ", "frames", "fps per-frame", "steady", "ours", "blend ms"]
    cols += ["flicker per-frame", "steady", "ours", "steady/per-frame", "ours/per-frame"]
    if warp:
        cols += ["warp err per-frame", "steady", "ours", "ours/per-frame"]
    head = " | ".join(cols)
    print(head)
    print("-" * len(head))
    per_pixel = []
    for name in args.clips.split(","):
        frames = synthetic.make_clip(name, width, height, args.frames)
        modes = (
            functools.partial(per_frame, stylizer, frames, style, args.batch),
            functools.partial(steady, stylizer, frames, style, args.batch),
            functools.partial(steady, stylizer, frames, style, args.batch, args.blend),
        )
        (base, base_s), (alone, alone_s), (ours, ours_s) = (_timed(device, m) for m in modes)
        per_pixel.append(base_s / (len(frames) * width * height))
        n = len(frames)
        cells = [name, str(n), *(f"{n / s:.2f}" for s in (base_s, alone_s, ours_s))]
        cells.append(f"{blend_ms(frames, alone, args.blend):.1f}")
        flick = [flicker.flicker(out, frames) for out in (base, alone, ours)]
        cells += [f"{f:.3f}" for f in flick] + [f"{f / flick[0]:.2f}" for f in flick[1:]]
        if warp:
            err = [flicker.warping_error(out, frames) for out in (base, alone, ours)]
            cells += [f"{e:.2f}" for e in err] + [f"{err[2] / err[0]:.2f}"]
        row = [cells[0].ljust(len(cols[0]))]
        row += [cell.rjust(len(col)) for cell, col in zip(cells[1:], cols[1:], strict=True)]
        print(" | ".join(row), flush=True)
    print(f"seconds per output pixel, per-frame: {min(per_pixel):.3g} (best clip)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
