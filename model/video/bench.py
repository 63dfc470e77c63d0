"""The clip benchmark: `python -m model.video.bench` prints two tables per run.

    python -m model.video.bench [--size 360] [--frames 96] [--clips NAME,NAME] [--batch 8]
        [--style-size 256] [--blend W] [--interval N] [--file-seconds S] [--weights-dir DIR]
        [--device auto|cpu|cuda] [--engine auto|openvino|torch]

(also `python -m model.bench video ...`). For each clip of `model.video.synthetic` (16:9, the
shorter side `--size`, 24 fps), three ways: per-frame AdaIN (each frame on its own), steady
colours with every frame through the networks (`--blend 0`: shared statistics, which also
encode the sampled frames, as `stylize_clip` does), and ours: steady colours with keyframes,
the frames between them carried along the optical flow and blended (`model.video.carry`,
`--blend`, `--interval`). Each gets its frames per second (networks, flow, carrying, on this
device), its flicker figure and warping error (`model.video.flicker`) with the ratios to
per-frame; ours also the share of its pixels that went through the networks and its PSNR
against the every-frame steady frames (mean and the worst frame, after the first, which is
the same frame both ways). No file is decoded or
encoded in that table: it measures the model.

The second table is end to end: each clip written as an H.264 MP4 of `--file-seconds` at
24 fps, stylized by `stylize_clip` (what `python -m model.video` runs: decoding, sampling,
the networks, the carrying, encoding) against `Stylizer.stylize` on each of its frames at the
same size (the style prepared and encoded each time, as for pictures), one after the other.

Without `--weights-dir`, seeded random weights in the public layout stand in for the
pretrained ones (the figures then describe those networks: a random decoder answers a
sub-pixel move with new strokes much more than a trained one, which is what keeps the PSNR of
carried frames under a pan low).
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.adain import Stats
from model.bench.measure import device_name
from model.device import resolve_device
from model.fast import FastConfig
from model.random_weights import random_networks
from model.sample_images import natural_image
from model.stylizer import Stylizer
from model.video import flicker, synthetic
from model.video.carry import INTERVAL, CarryPlanner
from model.video.clip import stylize_clip
from model.video.frames import FramePlan, decode_frames, plan_frames, sample_count, sample_indices
from model.video.probe import probe
from model.video.steady import clip_stats, stylize_frames
from model.video.temporal import WEIGHT, optical_flow
from model.weights.load import WeightsError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.video.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--size", type=int, default=360, help="shorter side of the frames")
    p.add_argument("--frames", type=int, default=96, help="frames per clip (24 a second)")
    p.add_argument("--clips", default=",".join(synthetic.CLIPS), help="which clips, by name")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--style-size", type=int, default=256)
    p.add_argument("--blend", type=float, default=WEIGHT, help="ours: the blending weight")
    p.add_argument("--interval", type=int, default=INTERVAL, help="ours: most frames a keyframe")
    p.add_argument(
        "--file-seconds", type=float, default=4.0, help="end to end: seconds a clip (0: skip)"
    )
    p.add_argument("--weights-dir", type=Path, help="pretrained weights (default: random)")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--engine",
        choices=["auto", "openvino", "torch"],
        default="auto",
        help="the CPU fast path's engine (auto: OpenVINO where installed)",
    )
    return p.parse_args(argv)


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
    stylizer: Stylizer,
    frames: list[Image.Image],
    style: Stats,
    batch: int,
    blend: float = 0.0,
    interval: int = 1,
) -> list[Image.Image]:
    """Steady colours as `stylize_clip` runs them: the sampled frames' statistics first;
    with `blend`, keyframes at most `interval` apart and the frames between them carried."""
    picked = sample_indices(len(frames), sample_count(len(frames)))
    stats = clip_stats(stylizer, [frames[i] for i in picked], batch)
    out = stylize_frames(
        stylizer, frames, style, 1.0, content_stats=stats, blend=blend, interval=interval,
        batch=batch,
    )  # fmt: skip
    return list(out)


def network_share(frames: list[Image.Image], blend: float, interval: int) -> float:
    """The share of the clip's pixels that ours sends through the networks."""
    cv2 = optical_flow()
    if cv2 is None:
        return 1.0
    planner = CarryPlanner(cv2, blend, interval)
    plans = [planner.plan(np.asarray(f.convert("RGB"))) for f in frames]
    return sum(p.network_pixels for p in plans) / (
        len(frames) * frames[0].width * frames[0].height
    )


def psnr(a: Image.Image, b: Image.Image) -> float:
    """PSNR of one 8-bit frame against another, dB (99 for identical frames)."""
    diff = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    mse = float(np.mean(np.square(diff)))
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def end_to_end(
    stylizer: Stylizer, frames: list[Image.Image], style: Image.Image, args: argparse.Namespace
) -> tuple[float, float, int]:
    """Seconds for `stylize_clip` on the frames as an MP4, seconds for `Stylizer.stylize` on
    each of its frames, and the output's frame count."""
    data = synthetic.clip_bytes(frames, fps=24)
    start = time.perf_counter()
    out = stylize_clip(
        stylizer, data, style, kind="animation", size=args.size, style_size=args.style_size,
        blend=args.blend, interval=args.interval, batch=args.batch, max_seconds=3600,
    )  # fmt: skip
    ours_s = time.perf_counter() - start
    decoded = [img for _, img in decode_frames(data, probe(data, max_seconds=3600), plan(data))]
    start = time.perf_counter()
    for frame in decoded:
        stylizer.stylize(frame, style, content_size=args.size, style_size=args.style_size)
    return ours_s, time.perf_counter() - start, out.frames


def plan(data: bytes) -> FramePlan:
    return plan_frames(probe(data, max_seconds=3600), size=0, max_fps=24)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = resolve_device(args.device)
    engine = None if args.engine == "auto" or device.type != "cpu" else args.engine
    config = FastConfig.for_device(device, engine=engine)
    if args.weights_dir:
        try:
            stylizer = Stylizer.from_dir(args.weights_dir, device=device, fast_config=config)
        except WeightsError as exc:
            print(f"error: {exc}")
            return 1
        weights = str(args.weights_dir)
    else:
        from model.networks import Encoder

        vgg, decoder = random_networks(seed=0)
        stylizer = Stylizer(Encoder(vgg), decoder, device, fast_config=config)
        weights = "random (seed 0)"
    width, height = round(args.size * 16 / 9 / 2) * 2, args.size
    stylizer.warm_up(args.size)
    warm = synthetic.still_scene(width, height, args.batch)  # this frame size and batch, once
    per_frame(stylizer, warm, stylizer.style_stats(warm[0]), args.batch)
    style_img = natural_image(args.style_size, args.style_size, seed=5)
    style = stylizer.style_stats(style_img)
    warp = flicker.has_optical_flow()
    print(f"{device_name(device)}; {stylizer.engine}; weights {weights}")
    print(f"{args.frames} frames of {width}×{height} per clip, batch {args.batch}", end="")
    print(
        f"; ours: keyframes at most {args.interval} apart, carried, blend {args.blend}"
        if warp
        else "; no OpenCV: ours is steady colours alone"
    )
    cols = ["clip           ", "fps per-frame", "steady", "ours", "ours/steady", "net share"]
    cols += ["flicker per-frame", "steady", "ours", "ours/per-frame"]
    if warp:
        cols += ["warp err per-frame", "steady", "ours", "ours/per-frame"]
    cols += ["PSNR vs steady dB", "worst"]
    _row(cols, cols)
    clips = args.clips.split(",")
    for name in clips:
        frames = synthetic.make_clip(name, width, height, args.frames)
        modes = (
            functools.partial(per_frame, stylizer, frames, style, args.batch),
            functools.partial(steady, stylizer, frames, style, args.batch),
            functools.partial(
                steady, stylizer, frames, style, args.batch, args.blend, args.interval
            ),
        )
        (base, base_s), (alone, alone_s), (ours, ours_s) = (_timed(device, m) for m in modes)
        n = len(frames)
        cells = [name, *(f"{n / s:.2f}" for s in (base_s, alone_s, ours_s))]
        cells += [
            f"{alone_s / ours_s:.2f}×",
            f"{network_share(frames, args.blend, args.interval):.2f}",
        ]
        flick = [flicker.flicker(out, frames) for out in (base, alone, ours)]
        cells += [f"{f:.3f}" for f in flick] + [f"{flick[2] / flick[0]:.2f}"]
        if warp:
            err = [flicker.warping_error(out, frames) for out in (base, alone, ours)]
            cells += [f"{e:.2f}" for e in err] + [f"{err[2] / err[0]:.2f}"]
        db = [psnr(a, b) for a, b in zip(ours[1:], alone[1:], strict=True)]  # the first: equal
        cells += [f"{np.mean(db):.1f}", f"{min(db):.1f}"]
        _row(cells, cols)
    if args.file_seconds <= 0:
        return 0
    frames_n = round(args.file_seconds * 24)
    print(f"\nend to end: {frames_n} frames of {width}×{height} at 24 fps as an MP4, one by one")
    cols = ["clip           ", "stylize_clip s", "fps", "Stylizer.stylize each frame s", "fps"]
    cols += ["speed-up"]
    _row(cols, cols)
    for name in clips:
        frames = synthetic.make_clip(name, width, height, frames_n)
        ours_s, each_s, made = end_to_end(stylizer, frames, style_img, args)
        cells = [name, f"{ours_s:.1f}", f"{made / ours_s:.2f}", f"{each_s:.1f}"]
        cells += [f"{frames_n / each_s:.2f}", f"{each_s / ours_s:.2f}×"]
        _row(cells, cols)
    return 0


def _row(cells: list[str], cols: list[str]) -> None:
    """One line of a table: the first cell left-aligned, the others right, to the headers."""
    row = [cells[0].ljust(len(cols[0]))]
    row += [cell.rjust(len(col)) for cell, col in zip(cells[1:], cols[1:], strict=True)]
    line = " | ".join(row)
    print(line, flush=True)
    if cells is cols:
        print("-" * len(line))


if __name__ == "__main__":
    raise SystemExit(main())
