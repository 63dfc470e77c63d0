"""`python -m model.bench [speed]`: the plain float32 networks against the fast path, one table.

Each square size is one row: median ms per pair on both paths (interleaved, so that a busy
machine slows both alike), pairs per second, peak memory of one pair, the speed-up, the
speed-up of the fastest runs (best-of), and the PSNR of the fast output against the plain one
(on generated images; after the table, on scikit-image's photos where it is installed).
At 512 px a second row has the style statistics cached, as the worker's cache does.
"""

from __future__ import annotations

import argparse
import math
import os
from functools import partial

import torch
from torch import nn

from model import adain
from model.bench.measure import Timing, compare, device_name
from model.bench.pairs import (
    cached_pair,
    make_stylizer,
    pair,
    photo_batch,
    photo_pair,
    real_or_random,
    real_photo_pair,
)
from model.device import resolve_device
from model.fast import FastConfig
from model.images import to_image
from model.sample_images import psnr
from model.stylizer import Stylizer

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}

Nets = dict[str, tuple[nn.Module, nn.Module]]  # "plain" and "fast": (encoder, decoder)


def build_stylizers(args: argparse.Namespace, device: torch.device) -> tuple[Stylizer, Stylizer]:
    """(plain, fast) Stylizers on `device` sharing one set of weights."""
    compile_flag = {"auto": None, "on": True, "off": False}[args.compile]
    config = FastConfig.for_device(
        device,
        dtype=DTYPES[args.dtype] if args.dtype else None,
        channels_last=False if args.no_channels_last else None,
        compile=compile_flag,
        compile_mode=args.compile_mode,
    )
    weights = real_or_random(args.weights_dir)
    plain = make_stylizer(weights, device, fast=False)
    return plain, make_stylizer(weights, device, fast_config=config)


def tf32_note() -> str:
    on = torch.backends.cudnn.allow_tf32
    return "TF32 allowed (torch's default)" if on else "strict fp32 (TF32 off)"


def speed(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    batch = args.batch or (64 if device.type == "cuda" else 1)
    repeats = args.repeats or (50 if device.type == "cuda" else 7)
    torch.manual_seed(0)
    plain, fast = build_stylizers(args, device)
    print(f"device: {device_name(device)}; torch {torch.__version__}")
    print(f"weights: {args.weights_dir or 'random, public layout'}")
    if device.type == "cpu":
        # glibc hands big blocks back to the OS and page-faults them in again on every pass;
        # these variables (see docs/performance.md) change the absolute numbers a lot.
        tuned = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
        print(f"malloc: {tuned or 'glibc defaults'}")
    else:
        print(f"plain fp32 convolutions: {tf32_note()}")
    startup = f"plain {plain.warm_up():.2f} s, {fast.engine} {fast.warm_up():.2f} s"
    print(f"start-up (Stylizer.warm_up): {startup}")
    head = (
        f"{'size':>13} | {'plain ms':>9} | {'fast ms':>8} | {'speed-up':>8} | "
        f"{'plain pairs/s':>13} | {'fast pairs/s':>12} | {'plain peak MiB':>14} | "
        f"{'fast peak MiB':>13} | {'PSNR dB':>7} | {'best-of':>7} | runs"
    )
    print(f"\nplain = {plain.engine} eager; fast = {fast.engine}; median of interleaved runs")
    print("(best-of: the speed-up of the fastest runs, steadier when others share the CPU)")
    print(head)
    print("-" * len(head))
    nets: Nets = {"plain": plain.networks, "fast": fast.networks}
    with torch.inference_mode():
        for size in args.sizes:
            # Fewer timed runs for larger sizes: a 2048 px plain pair takes half a minute on CPU.
            reps = max(1, min(repeats, math.ceil(repeats * (512 / size) ** 2)))
            _size_rows(nets, size, reps, device)
        if batch > 1:
            content, style = photo_batch(512, batch, device)
            runs = {k: partial(pair, *v, content, style) for k, v in nets.items()}
            reps = max(1, repeats // 5)
            _row(f"512 ×{batch} batch", compare(runs, reps, device), batch, str(reps))
        _photo_line(nets, [s for s in args.sizes if s <= 512], device)


def _photo_line(nets: Nets, sizes: list[int], device: torch.device) -> None:
    """The agreement on real photos (scikit-image's, where the dev extra is installed)."""
    agreement = []
    for size in sizes:
        photo = real_photo_pair(size, device)
        if photo is None:
            return
        out = {k: to_image(pair(*v, *photo)[0]) for k, v in nets.items()}
        agreement.append(f"{size} px {psnr(out['plain'], out['fast']):.1f} dB")
    if agreement:
        print(f"PSNR on a photo pair (scikit-image astronaut, coffee): {', '.join(agreement)}")


def _size_rows(nets: Nets, size: int, reps: int, device: torch.device) -> None:
    """The row of one square size; at 512 also the row with cached style statistics."""
    content, style = photo_pair(size, device)
    full = compare({k: partial(pair, *v, content, style) for k, v in nets.items()}, reps, device)
    _row(f"{size} px", full, 1, str(reps))
    if size != 512:
        return
    stats = {k: adain.mean_std(enc(style).float()) for k, (enc, _) in nets.items()}
    runs = {k: partial(cached_pair, *v, content, stats[k]) for k, v in nets.items()}
    cached = compare(runs, reps, device)
    _row("512 cached", cached, 1, str(reps))
    ratios = ", ".join(f"{k} {cached[k].median / full[k].median:.2f}" for k in nets)
    print(f"{'':>13}   cached style / full pair: {ratios}")


def _row(label: str, res: dict[str, Timing], batch: int, note: str) -> None:
    p, f = res["plain"], res["fast"]
    agreement = min(
        psnr(to_image(p.output[i]), to_image(f.output[i])) for i in range(p.output.shape[0])
    )
    print(
        f"{label:>13} | {p.median / batch:9.1f} | {f.median / batch:8.1f} | "
        f"{p.median / f.median:7.2f}× | {1000 * batch / p.median:13.2f} | "
        f"{1000 * batch / f.median:12.2f} | {p.peak_mib:14.0f} | {f.peak_mib:13.0f} | "
        f"{agreement:7.1f} | {min(p.ms) / min(f.ms):6.2f}× | {note}",
        flush=True,
    )
