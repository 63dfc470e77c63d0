"""`python -m model.bench [speed]`: the plain float32 networks against the fast path, one table.

Each square size is one row: median ms per pair on each engine (interleaved, so that a busy
machine slows all alike), the speed-up of each fast engine over plain, their PSNR against the
plain output (on generated images; after the table, on scikit-image's photos where it is
installed), pairs per second and peak memory of one pair on the fast path `Stylizer` uses.
On the CPU the fast path's two engines are both in the table: the fused PyTorch networks
(`model.fast`) and OpenVINO (`model.openvino_engine`, where it is installed), at the same
precision, and "torch vs ov", OpenVINO's time over PyTorch's (above 1×: PyTorch is faster).
The fast path `Stylizer` picks by default is named above the table. At 512 px a second row
has the style statistics cached, as the worker's cache does.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import replace
from functools import partial

import torch
from torch import nn

from model import adain, openvino_engine
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

Nets = dict[str, tuple[nn.Module, nn.Module]]  # by engine: (encoder, decoder)


def build_stylizers(args: argparse.Namespace, device: torch.device) -> dict[str, Stylizer]:
    """Stylizers on `device` sharing one set of weights: "plain", "torch" (the fused PyTorch
    networks) and, on a CPU with OpenVINO installed, "openvino" at the same precision; with
    ``--engine torch`` or ``openvino``, plain and that one alone."""
    compile_flag = {"auto": None, "on": True, "off": False}[args.compile]
    config = FastConfig.for_device(
        device,
        dtype=DTYPES[args.dtype] if args.dtype else None,
        channels_last=False if args.no_channels_last else None,
        compile=compile_flag,
        compile_mode=args.compile_mode,
    )
    weights = real_or_random(args.weights_dir)
    engine = getattr(args, "engine", "auto")
    out = {"plain": make_stylizer(weights, device, fast=False)}
    if engine in ("auto", "torch"):
        out["torch"] = make_stylizer(weights, device, fast_config=replace(config, engine="torch"))
    if engine == "openvino" or (
        engine == "auto" and openvino_engine.available() and config.dtype != torch.float16
    ):
        if device.type != "cpu":
            raise ValueError("--engine openvino runs on the CPU only")
        out["openvino"] = make_stylizer(
            weights, device, fast_config=replace(config, engine="openvino")
        )
    return out


def tf32_note() -> str:
    on = torch.backends.cudnn.allow_tf32
    return "TF32 allowed (torch's default)" if on else "strict fp32 (TF32 off)"


def speed(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    batch = args.batch or (64 if device.type == "cuda" else 1)
    repeats = args.repeats or (50 if device.type == "cuda" else 7)
    torch.manual_seed(0)
    stylizers = build_stylizers(args, device)
    default = FastConfig.for_device(device).engine
    fast_name = default if default in stylizers else next(k for k in stylizers if k != "plain")
    print(f"device: {device_name(device)}; torch {torch.__version__}")
    if "openvino" in stylizers:
        import openvino

        print(f"OpenVINO {openvino.__version__}")
    print(f"weights: {args.weights_dir or 'random, public layout'}")
    if device.type == "cpu":
        # glibc hands big blocks back to the OS and page-faults them in again on every pass;
        # these variables (see docs/performance.md) change the absolute numbers a lot.
        tuned = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
        print(f"malloc: {tuned or 'glibc defaults'}")
    else:
        print(f"plain fp32 convolutions: {tf32_note()}")
    startup = ", ".join(f"{s.engine} {s.warm_up():.2f} s" for s in stylizers.values())
    print(f"start-up (Stylizer.warm_up): {startup}")
    engines = [k for k in stylizers if k != "plain"]
    print(
        "\n"
        + "; ".join(f"{k} = {s.engine}" for k, s in stylizers.items())
        + f"; the fast path here: {fast_name}; median of interleaved runs"
    )
    head = _head(engines, fast_name)
    print(head)
    print("-" * len(head))
    nets: Nets = {k: s.networks for k, s in stylizers.items()}
    with torch.inference_mode():
        for size in args.sizes:
            # Fewer timed runs for larger sizes: a 2048 px plain pair takes half a minute on CPU.
            reps = max(1, min(repeats, math.ceil(repeats * (512 / size) ** 2)))
            _size_rows(nets, fast_name, size, reps, device)
        if batch > 1:
            content, style = photo_batch(512, batch, device)
            runs = {k: partial(pair, *v, content, style) for k, v in nets.items()}
            reps = max(1, repeats // 5)
            _row(f"512 ×{batch} batch", compare(runs, reps, device), fast_name, batch, str(reps))
        _photo_line(nets, [s for s in args.sizes if s <= 512], device)


def _head(engines: list[str], fast_name: str) -> str:
    cols = [f"{'size':>13}", f"{'plain ms':>9}"]
    cols += [f"{k + ' ms':>11}" for k in engines]
    cols += [f"{k + ' ×':>10}" for k in engines]
    if {"openvino", "torch"} <= set(engines):
        cols.append(f"{'torch vs ov':>11}")
    cols += [f"{k + ' dB':>11}" for k in engines]
    cols += [f"{'fast pairs/s':>12}", f"{'plain peak MiB':>14}", f"{'fast peak MiB':>13}", "runs"]
    return " | ".join(cols)


def _photo_line(nets: Nets, sizes: list[int], device: torch.device) -> None:
    """The agreement on real photos (scikit-image's, where the dev extra is installed)."""
    agreement = []
    for size in sizes:
        photo = real_photo_pair(size, device)
        if photo is None:
            return
        out = {k: to_image(pair(*v, *photo)[0]) for k, v in nets.items()}
        dbs = ", ".join(f"{k} {psnr(out['plain'], out[k]):.1f}" for k in out if k != "plain")
        agreement.append(f"{size} px {dbs} dB")
    if agreement:
        print(f"PSNR on a photo pair (scikit-image astronaut, coffee): {'; '.join(agreement)}")


def _size_rows(nets: Nets, fast_name: str, size: int, reps: int, device: torch.device) -> None:
    """The row of one square size; at 512 also the row with cached style statistics."""
    content, style = photo_pair(size, device)
    full = compare({k: partial(pair, *v, content, style) for k, v in nets.items()}, reps, device)
    _row(f"{size} px", full, fast_name, 1, str(reps))
    if size != 512:
        return
    stats = {k: adain.mean_std(enc(style).float()) for k, (enc, _) in nets.items()}
    runs = {k: partial(cached_pair, *v, content, stats[k]) for k, v in nets.items()}
    cached = compare(runs, reps, device)
    _row("512 cached", cached, fast_name, 1, str(reps))
    ratios = ", ".join(f"{k} {cached[k].median / full[k].median:.2f}" for k in nets)
    print(f"{'':>13}   cached style / full pair: {ratios}")


def _row(label: str, res: dict[str, Timing], fast_name: str, batch: int, note: str) -> None:
    p, f = res["plain"], res[fast_name]
    engines = [k for k in res if k != "plain"]

    def agreement(t: Timing) -> float:
        return min(
            psnr(to_image(p.output[i]), to_image(t.output[i])) for i in range(p.output.shape[0])
        )

    cols = [f"{label:>13}", f"{p.median / batch:9.1f}"]
    cols += [f"{res[k].median / batch:11.1f}" for k in engines]
    cols += [f"{p.median / res[k].median:9.2f}×" for k in engines]
    if {"openvino", "torch"} <= res.keys():
        cols.append(f"{res['openvino'].median / res['torch'].median:10.2f}×")
    cols += [f"{agreement(res[k]):11.1f}" for k in engines]
    cols += [
        f"{1000 * batch / f.median:12.2f}",
        f"{p.peak_mib:14.0f}",
        f"{f.peak_mib:13.0f}",
        note,
    ]
    print(" | ".join(cols), flush=True)
