"""Benchmark: the plain float32 networks against the fast path, side by side in one run.

    python -m model.bench [--device cpu|cuda] [--sizes 256,512,1024,2048] [--repeats N]
        [--batch B] [--weights-dir DIR] [--dtype bf16|fp16|fp32] [--compile auto|on|off]
        [--compile-mode MODE] [--no-channels-last]
    python -m model.bench memory --megapixels 12 [--device cpu] [--plain] [--tile-size N]
        [--tile-above PIXELS]
    python -m model.bench variants [--device cuda] [--sizes 512] [--batch B] [--variants K,K]

The speed table times one content–style pair (both encoder passes, AdaIN in float32, the
decoder) for each square size, plain and fast interleaved so that a busy machine slows both
alike: median ms per pair, pairs per second, peak memory of one pair, speed-up, and the PSNR
of the fast output against the plain one on photo-like generated images (8-bit). A row with
cached style statistics shows what the worker's cache saves. `memory` stylizes one large
image at its full resolution (tiled) and prints the process's peak RSS. `variants` times the
candidate configurations of the fast path one after another (each built, warmed up, timed at
batch 1 and batch B, and freed), against a strict float32 reference.

Weights are random, in the public layout, unless --weights-dir is given.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import math
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor, nn

from model import adain
from model.device import resolve_device
from model.fast import FastConfig
from model.images import to_image, to_tensor
from model.networks import Encoder
from model.random_weights import random_networks
from model.sample_images import natural_image, psnr
from model.stylizer import TILE_ABOVE, TILE_SIZE, Stats, Stylizer

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


# -- what is timed -----------------------------------------------------------------------------


def pair(enc: nn.Module, dec: nn.Module, content: Tensor, style: Tensor) -> Tensor:
    """Stylize (N, 3, H, W) contents with (N, 3, H, W) styles: two encoder passes, AdaIN, decode.

    With N > 1 contents and styles go through the encoder as one batch of 2N. Features are
    taken to float32 at once, as `Stylizer.encode` does (which also keeps them safe from the
    next run of a CUDA-graph-compiled encoder, which reuses its output memory).
    """
    n, _, height, width = content.shape
    if n == 1:
        fc, fs = enc(content).float(), enc(style).float()
    else:
        fc, fs = enc(torch.cat([content, style])).float().split(n)
    mean, std = adain.mean_std(fs)
    target = adain.adain_stats(fc, mean, std)
    return dec(target)[..., :height, :width]


def cached_pair(enc: nn.Module, dec: nn.Module, content: Tensor, stats: Stats) -> Tensor:
    """A pair whose style statistics come from the cache: one encoder pass, AdaIN, decode."""
    _, _, height, width = content.shape
    target = adain.adain_stats(enc(content).float(), *stats)
    return dec(target)[..., :height, :width]


# -- measuring ---------------------------------------------------------------------------------


class PeakMemory:
    """Peak memory of the block above the memory in use when it starts, in MiB.

    CUDA: the caching allocator's peak. CPU: resident set size sampled every millisecond
    (glibc's cached free memory is handed back first, so that earlier, larger runs do not hide
    this one's allocations); a transient shorter than the sampling interval can be missed.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.mib = 0.0
        self._stop = threading.Event()
        self._peak = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            _trim_malloc()
            self._base = self._peak = _rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self._peak = max(self._peak, _rss_bytes())

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            assert self._thread is not None
            self._thread.join()
            peak = max(self._peak, _rss_bytes())
        self.mib = (peak - self._base) / 2**20


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _trim_malloc() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the peak may then read low
        pass


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Timing:
    ms: list[float]
    peak_mib: float
    output: Tensor

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def compare(
    runs: dict[str, Callable[[], Tensor]], repeats: int, device: torch.device
) -> dict[str, Timing]:
    """Run each callable once untimed (memory, output), then `repeats` times interleaved."""
    out: dict[str, Timing] = {}
    for name, fn in runs.items():
        with PeakMemory(device) as peak:
            result = fn()
            _sync(device)
        out[name] = Timing([], peak.mib, result.clone())  # later runs may reuse its memory
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            _sync(device)
            out[name].ms.append((time.perf_counter() - start) * 1000)
    return out


# -- the speed table ---------------------------------------------------------------------------


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        model = "CPU"
    return f"{model}, {torch.get_num_threads()} threads"


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
    if args.weights_dir:
        plain = Stylizer.from_dir(args.weights_dir, device, fast=False)
        fast = Stylizer.from_dir(args.weights_dir, device, fast_config=config)
        return plain, fast
    vgg, decoder = random_networks(seed=0)
    plain = Stylizer(Encoder(vgg), decoder, device, fast=False)
    return plain, Stylizer(Encoder(vgg), decoder, device, fast_config=config)


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
        print(f"plain fp32 convolutions: {_tf32_note()}")
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
    nets = {"plain": plain.networks, "fast": fast.networks}
    with torch.inference_mode():
        for size in args.sizes:
            # Fewer timed runs for larger sizes: a 2048 px plain pair takes half a minute on CPU.
            reps = max(1, min(repeats, math.ceil(repeats * (512 / size) ** 2)))
            _size_rows(nets, size, reps, device)
        if batch > 1:
            content = torch.cat([to_tensor(natural_image(512, 512, 1 + i)) for i in range(batch)])
            style = torch.cat([to_tensor(natural_image(512, 512, 99 + i)) for i in range(batch)])
            content, style = content.to(device), style.to(device)
            runs = {k: partial(pair, *v, content, style) for k, v in nets.items()}
            reps = max(1, repeats // 5)
            _row(f"512 ×{batch} batch", compare(runs, reps, device), batch, str(reps))


def _size_rows(
    nets: dict[str, tuple[nn.Module, nn.Module]], size: int, reps: int, device: torch.device
) -> None:
    """The row of one square size; at 512 also the row with cached style statistics."""
    content = to_tensor(natural_image(size, size, seed=1)).to(device)
    style = to_tensor(natural_image(size, size, seed=2)).to(device)
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


# -- fast-path variants ------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    label: str
    fast: bool = True
    options: dict[str, object] | None = None  # FastConfig.for_device keywords
    tf32: bool | None = None  # plain path on CUDA: force TF32 convolutions on or off


def variant_table(device: torch.device) -> dict[str, Variant]:
    """The candidates per device, reference first, in the order they run."""
    if device.type == "cuda":
        graphs = {"compile_mode": "reduce-overhead"}
        autotune = {"compile_mode": "max-autotune-no-cudagraphs"}
        return {
            "reference": Variant("plain fp32, TF32 off (reference)", fast=False, tf32=False),
            "plain": Variant("plain fp32, torch defaults", fast=False),
            "default": Variant("fast fp16 compiled (the default)"),
            "graphs": Variant("fast fp16 compiled, CUDA graphs", options=graphs),
            "eager": Variant("fast fp16 eager", options={"compile": False}),
            "static": Variant("fast fp16 compiled, static sizes", options={"dynamic": False}),
            "bf16": Variant("fast bf16 compiled", options={"dtype": torch.bfloat16}),
            "nchw": Variant("fast fp16 compiled NCHW", options={"channels_last": False}),
            "autotune": Variant("fast fp16 max-autotune (slow to compile)", options=autotune),
        }
    return {
        "reference": Variant("plain fp32 (reference)", fast=False),
        "default": Variant("fast, the default"),
        "fp32": Variant("fast fp32 channels-last", options={"dtype": torch.float32}),
        "fp16": Variant("fast fp16 (the GPU's layers)", options={"dtype": torch.float16}),
    }


# Most telling first; "static" last, as it compiles once per size (five times per network).
DEFAULT_VARIANTS = {"cuda": "reference,plain,default,graphs,eager,bf16,nchw,static"}


def _fast_config(device: torch.device, options: dict[str, object]) -> FastConfig:
    dynamic = options.get("dynamic", "default")
    keywords = {k: v for k, v in options.items() if k != "dynamic"}
    config = FastConfig.for_device(device, **keywords)  # type: ignore[arg-type]
    return config if dynamic == "default" else replace(config, dynamic=dynamic)  # type: ignore[arg-type]


def _with_tf32(flag: bool | None, fn: Callable[[], Tensor]) -> Callable[[], Tensor]:
    """`fn` run with cuDNN's TF32 convolutions set to `flag` (None: as they are)."""
    if flag is None:
        return fn

    def run() -> Tensor:
        before = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = flag
        try:
            return fn()
        finally:
            torch.backends.cudnn.allow_tf32 = before

    return run


def _graphs_compiled() -> int:
    """Graphs torch.compile has compiled in this process so far (0 where it cannot tell)."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:
        return 0
    return int(counters["stats"]["unique_graphs"])


def _tf32_note() -> str:
    on = torch.backends.cudnn.allow_tf32
    return "TF32 allowed (torch's default)" if on else "strict fp32 (TF32 off)"


def variants(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    table = variant_table(device)
    keys = (args.variants or DEFAULT_VARIANTS.get(device.type, ",".join(table))).split(",")
    unknown = [k for k in keys if k not in table]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; this device has {', '.join(table)}")
    if "reference" not in keys:
        keys.insert(0, "reference")
    # Dynamo counts compilations per code object, and every variant's FastEncoder shares one:
    # without more room the later variants would fall back to eager without a word.
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 64)
    sizes = args.sizes if args.sizes_given else [512]
    batch = args.batch or (64 if cuda else 2)
    repeats = args.repeats or (50 if cuda else 3)
    print(f"device: {device_name(device)}; torch {torch.__version__}")
    print(f"sizes {sizes} px, batches of {batch} at {sizes[0]} px; each variant built, warmed up,")
    print("timed and freed in turn; PSNR against the reference's output (8-bit), lowest image;")
    print("graphs: torch.compile graphs so far for the variant (0 = it ran eagerly)")
    vgg, decoder = random_networks(seed=0) if not args.weights_dir else (None, None)
    inputs = {
        size: (
            to_tensor(natural_image(size, size, seed=1)).to(device),
            to_tensor(natural_image(size, size, seed=2)).to(device),
        )
        for size in sizes
    }
    first = sizes[0]  # the size of the batched column
    batched = (
        torch.cat([to_tensor(natural_image(first, first, 1 + i)) for i in range(batch)]),
        torch.cat([to_tensor(natural_image(first, first, 99 + i)) for i in range(batch)]),
    )
    batched = (batched[0].to(device), batched[1].to(device))
    head = (
        f"{'variant':>42} | {'start-up s':>10} | {'size':>6} | {'ms/pair':>8} | "
        f"{'pairs/s':>8} | {f'×{batch} ms/pair':>13} | {f'×{batch} pairs/s':>12} | "
        f"{'peak MiB':>8} | {'PSNR dB':>7} | graphs"
    )
    print(head)
    print("-" * len(head))
    reference: dict[object, Tensor] = {}
    for key in keys:
        v = table[key]
        options: dict[str, object] = {"fast": v.fast}
        if v.fast:
            options["fast_config"] = _fast_config(device, v.options or {})
        if args.weights_dir:
            stylizer = Stylizer.from_dir(args.weights_dir, device, **options)
        else:
            stylizer = Stylizer(Encoder(vgg), decoder, device, **options)  # type: ignore[arg-type]
        graphs_before = _graphs_compiled()
        with torch.inference_mode():
            startup = stylizer.warm_up()
            nets = stylizer.networks
            for i, size in enumerate(sizes):
                run = _with_tf32(v.tf32, partial(pair, *nets, *inputs[size]))
                one = compare({key: run}, repeats, device)[key]
                many = None
                if i == 0 and batch > 1:
                    run = _with_tf32(v.tf32, partial(pair, *nets, *batched))
                    many = compare({key: run}, max(1, repeats // 5), device)[key]
                outputs = [(size, one.output)] + ([("batch", many.output)] if many else [])
                if key == "reference":
                    reference.update((k, out.cpu()) for k, out in outputs)
                agreement = min(
                    psnr(to_image(reference[k][j]), to_image(out[j].cpu()))
                    for k, out in outputs
                    for j in range(out.shape[0])
                )
                label = v.label if i == 0 else ""
                batch_cols = (
                    f"{many.median / batch:13.2f} | {1000 * batch / many.median:12.1f}"
                    if many
                    else f"{'':>13} | {'':>12}"
                )
                start_col = f"{startup:10.2f}" if i == 0 else f"{'':>10}"
                print(
                    f"{label:>42} | {start_col} | {size:>6} | "
                    f"{one.median:8.2f} | {1000 / one.median:8.1f} | {batch_cols} | "
                    f"{one.peak_mib:8.0f} | "
                    + ("    ref" if key == "reference" else f"{agreement:7.1f}")
                    + f" | {_graphs_compiled() - graphs_before:6}",
                    flush=True,
                )
        del stylizer, nets
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()


# -- full-resolution memory ------------------------------------------------------------------


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
    options = {"fast": not args.plain, "tile_size": args.tile_size, "tile_above": args.tile_above}
    if args.weights_dir:
        stylizer = Stylizer.from_dir(args.weights_dir, device, **options)
    else:
        vgg, decoder = random_networks(seed=0)
        stylizer = Stylizer(Encoder(vgg), decoder, device, **options)  # type: ignore[arg-type]
    warm = stylizer.warm_up()  # as the worker does before its first job (compiles on CUDA)
    before = _rss_bytes()
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


# -- command line ----------------------------------------------------------------------------


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
    p.add_argument("mode", nargs="?", choices=["speed", "memory", "variants"], default="speed")
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
    args = parse_args(argv)
    try:
        {"speed": speed, "memory": memory, "variants": variants}[args.mode](args)
    except ValueError as exc:  # a bad device or option, said in one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
