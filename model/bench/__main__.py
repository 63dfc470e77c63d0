"""Benchmark: the plain float32 networks against the fast path, side by side in one run.

    python -m model.bench [--device cpu|cuda] [--sizes 256,512,1024,2048] [--repeats N]
        [--batch B] [--weights-dir DIR] [--dtype bf16|fp16|fp32] [--compile auto|on|off]
        [--compile-mode MODE] [--no-channels-last] [--engine auto|openvino|torch]
    python -m model.bench memory --megapixels 12 [--device cpu] [--plain] [--tile-size N]
        [--tile-above PIXELS] [--engine auto|openvino|torch]
    python -m model.bench variants [--device cuda] [--sizes 512] [--batch B] [--variants K,K]
    python -m model.bench video [...]    # the clip tables: python -m model.video.bench

The speed table times one content–style pair (both encoder passes, AdaIN in float32, the
decoder) for each square size, plain and fast interleaved so that a busy machine slows both
alike: median ms per pair, pairs per second, peak memory of one pair, speed-up, and the PSNR
of the fast output against the plain one on photo-like generated images (8-bit; a line after
the table gives it on a real photo pair where scikit-image is installed). A row with
cached style statistics shows what the worker's cache saves. `memory` stylizes one large
image at its full resolution (tiled) and prints the process's peak RSS. `variants` times the
candidate configurations of the fast path one after another (each built, warmed up, timed at
batch 1 and batch B, and freed), against a strict float32 reference.

Weights are random, in the public layout, with a decoder calibrated to a photo's contrast
(`model.random_weights`), unless --weights-dir is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from model.bench.memory import memory
from model.bench.speed import DTYPES, speed
from model.bench.variants import variants
from model.stylizer import TILE_ABOVE, TILE_SIZE

MODES: dict[str, Callable[[argparse.Namespace], None]] = {
    "speed": speed,
    "memory": memory,
    "variants": variants,
}


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        msg = f"sizes are integers separated by commas: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if any(s < 16 for s in sizes):
        raise argparse.ArgumentTypeError(f"every size must be at least 16 pixels: {text!r}")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("mode", nargs="?", choices=list(MODES), default="speed")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--weights-dir", type=Path, help="real weights instead of random ones")
    p.add_argument("--sizes", type=_sizes, help="square sizes, px (default 256,512,1024,2048)")
    p.add_argument(
        "--repeats",
        type=int,
        default=0,
        help="timed runs at 512 px (default 7 on CPU, 50 on CUDA); fewer when larger",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=0,
        help="also time batches of B pairs at 512 px (default 64 on CUDA, off on CPU)",
    )
    p.add_argument("--dtype", choices=sorted(DTYPES), help="fast path dtype (default per device)")
    p.add_argument(
        "--engine",
        choices=["auto", "openvino", "torch"],
        default="auto",
        help="the CPU fast path's engine: the speed table times both by default (OpenVINO "
        "where installed), torch or openvino alone against plain; memory: auto is OpenVINO "
        "where installed",
    )
    p.add_argument(
        "--compile",
        choices=["auto", "on", "off"],
        default="auto",
        help="torch.compile the fast path (auto: on CUDA only)",
    )
    p.add_argument("--compile-mode", help="torch.compile mode, e.g. max-autotune")
    p.add_argument("--no-channels-last", action="store_true", help="fast path in NCHW")
    p.add_argument("--variants", help="variants: which to run, comma-separated keys")
    p.add_argument("--megapixels", type=float, default=12.0, help="memory: image size")
    p.add_argument("--plain", action="store_true", help="memory: the plain float32 path")
    p.add_argument("--tile-size", type=int, default=TILE_SIZE, help="memory: tile core, px")
    p.add_argument(
        "--tile-above",
        type=int,
        default=TILE_ABOVE,
        help="memory: tile images with more pixels than this",
    )
    args = p.parse_args(argv)
    args.sizes_given = args.sizes is not None
    if not args.sizes_given:
        args.sizes = [256, 512, 1024, 2048]
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["video"]:  # the clip benchmark, with options of its own
        from model.video.bench import main as video

        return video(argv[1:])
    args = parse_args(argv)
    try:
        MODES[args.mode](args)
    except ValueError as exc:  # a bad device or option, said in one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
