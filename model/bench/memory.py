"""`python -m model.bench memory`: one large image stylized at full resolution, peak memory.

The image is tiled as `Stylizer` tiles any image above `tile_above` pixels. The peak resident
set size is the whole process's, torch included; on CUDA the allocator's peak is printed too.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import torch
from PIL import Image

from model.bench.measure import device_name, rss_bytes
from model.bench.pairs import make_stylizer, real_or_random
from model.device import resolve_device
from model.fast import FastConfig
from model.sample_images import natural_image


def memory(args: argparse.Namespace) -> None:
    """Stylize one image of `--megapixels` at full resolution and print the peak RSS."""
    device = resolve_device(args.device)
    width = int(math.sqrt(args.megapixels * 1e6 * 4 / 3))
    height = int(width * 3 / 4)
    # Drawn small and scaled up, so that making the test image does not set the peak.
    content = natural_image(width // 8, height // 8, seed=1).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    style = natural_image(512, 512, seed=2)
    engine = None if args.engine == "auto" or device.type != "cpu" else args.engine
    stylizer = make_stylizer(
        real_or_random(args.weights_dir),
        device,
        fast=not args.plain,
        fast_config=FastConfig.for_device(device, engine=engine),
        tile_size=args.tile_size,
        tile_above=args.tile_above,
    )
    warm = stylizer.warm_up()  # as the worker does before its first job (compiles on CUDA)
    before = rss_bytes()
    start = time.perf_counter()
    out = stylizer.stylize(content, style, content_size=0, style_size=512)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(f"device: {device_name(device)}; engine: {stylizer.engine}; tile {args.tile_size}")
    print(f"warm-up (before timing, as the worker does): {warm:.2f} s")
    mp = out.width * out.height / 1e6
    print(f"stylized {out.width}×{out.height} ({mp:.1f} MP) in {seconds:.1f} s")
    print(f"RSS before stylize: {before / 2**30:.2f} GiB; peak RSS: {peak / 2**30:.2f} GiB")
    if device.type == "cuda":
        gib = torch.cuda.max_memory_allocated(device) / 2**30
        print(f"peak CUDA memory allocated: {gib:.2f} GiB")
