"""`python -m model.bench variants`: the fast path's candidate configurations, one by one.

Each variant is built, warmed up (its start-up seconds are a column), timed at batch 1 and at
batch B, compared by PSNR with a strict float32 reference, and freed before the next. A
`graphs` column counts what torch.compile compiled for it: 0 means it ran eagerly.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypedDict

import torch
from torch import Tensor

from model.bench import pairs
from model.bench.measure import Timing, compare, device_name
from model.device import resolve_device
from model.fast import FastConfig
from model.images import to_image
from model.sample_images import psnr
from model.stylizer import Stylizer, StylizerOptions


class FastOptions(TypedDict, total=False):
    """What a variant changes in the device's `FastConfig`; the rest stays the default."""

    dtype: torch.dtype
    channels_last: bool
    compile: bool
    compile_mode: str
    dynamic: bool | None  # torch.compile's `dynamic`
    float32_encoder: tuple[int, ...]  # fused convolutions kept in float32, by position
    float32_decoder: tuple[int, ...]
    error_feedback: bool  # low-precision weights rounded with error feedback


@dataclass(frozen=True)
class Variant:
    label: str
    fast: bool = True
    options: FastOptions | None = None
    tf32: bool | None = None  # plain path on CUDA: force TF32 convolutions on or off


def variant_table(device: torch.device) -> dict[str, Variant]:
    """The candidates per device, reference first, in the order they run."""
    if device.type == "cuda":
        graphs: FastOptions = {"compile_mode": "reduce-overhead"}
        autotune: FastOptions = {"compile_mode": "max-autotune-no-cudagraphs"}
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
    # The candidates for the bf16 path's agreement (docs/performance.md): float32 layers on
    # weights rounded to the nearest bf16, against error-feedback rounding (the default).
    nearest: FastOptions = {"error_feedback": False}
    first: FastOptions = {"float32_encoder": (0,)}
    last: FastOptions = {"float32_decoder": (-1,)}
    return {
        "reference": Variant("plain fp32 (reference)", fast=False),
        "default": Variant("fast, the default"),
        "nearest": Variant("bf16 weights rounded to nearest", options=nearest),
        "first32": Variant("nearest + encoder's first conv fp32", options={**nearest, **first}),
        "last32": Variant("nearest + decoder's last conv fp32", options={**nearest, **last}),
        "ends32": Variant(
            "nearest + first and last conv fp32", options={**nearest, **first, **last}
        ),
        "dec32": Variant(
            "nearest + decoder's first conv fp32", options={**nearest, "float32_decoder": (0,)}
        ),
        "tail32": Variant(
            "nearest + decoder's last two convs fp32",
            options={**nearest, "float32_decoder": (-2, -1)},
        ),
        "head32": Variant(
            "nearest + encoder's first two convs fp32",
            options={**nearest, "float32_encoder": (0, 1)},
        ),
        "fp32": Variant("fast fp32 channels-last", options={"dtype": torch.float32}),
        "fp16": Variant("fast fp16 (the GPU's layers)", options={"dtype": torch.float16}),
    }


# Most telling first; "static" last, as it compiles once per size (five times per network).
DEFAULT_VARIANTS = {"cuda": "reference,plain,default,graphs,eager,bf16,nchw,static"}


def _fast_config(device: torch.device, options: FastOptions) -> FastConfig:
    """The device's `FastConfig` with what `options` changes."""
    config = FastConfig.for_device(
        device,
        dtype=options.get("dtype"),
        channels_last=options.get("channels_last"),
        compile=options.get("compile"),
        compile_mode=options.get("compile_mode"),
    )
    return replace(
        config,
        dynamic=options.get("dynamic", config.dynamic),
        float32_encoder=options.get("float32_encoder", config.float32_encoder),
        float32_decoder=options.get("float32_decoder", config.float32_decoder),
        error_feedback=options.get("error_feedback", config.error_feedback),
    )


def _options(device: torch.device, variant: Variant) -> StylizerOptions:
    if not variant.fast:
        return {"fast": False}
    return {"fast": True, "fast_config": _fast_config(device, variant.options or {})}


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
    print("photo dB: the same on scikit-image's astronaut styled with coffee (– without it);")
    print("graphs: torch.compile graphs so far for the variant (0 = it ran eagerly)")
    weights = pairs.real_or_random(args.weights_dir)
    inputs = {size: pairs.photo_pair(size, device) for size in sizes}
    photos = {size: pairs.real_photo_pair(size, device) for size in sizes}
    batched = pairs.photo_batch(sizes[0], batch, device)  # the batched column, at the first size
    head = (
        f"{'variant':>42} | {'start-up s':>10} | {'size':>6} | {'ms/pair':>8} | "
        f"{'pairs/s':>8} | {f'×{batch} ms/pair':>13} | {f'×{batch} pairs/s':>12} | "
        f"{'peak MiB':>8} | {'PSNR dB':>7} | {'photo dB':>8} | graphs"
    )
    print(head)
    print("-" * len(head))
    reference: dict[object, Tensor] = {}  # the reference's outputs by size, and "batch"
    for key in keys:
        variant = table[key]
        stylizer = pairs.make_stylizer(weights, device, **_options(device, variant))
        graphs_before = _graphs_compiled()
        with torch.inference_mode():
            startup = stylizer.warm_up()
            for i, size in enumerate(sizes):
                run = _with_tf32(
                    variant.tf32, partial(pairs.pair, *stylizer.networks, *inputs[size])
                )
                one = compare({key: run}, repeats, device)[key]
                many = None
                if i == 0 and batch > 1:
                    run = _with_tf32(
                        variant.tf32, partial(pairs.pair, *stylizer.networks, *batched)
                    )
                    many = compare({key: run}, max(1, repeats // 5), device)[key]
                outputs = [(size, one.output)] + ([("batch", many.output)] if many else [])
                if key == "reference":
                    reference.update((k, out.cpu()) for k, out in outputs)
                agreement = min(
                    psnr(to_image(reference[k][j]), to_image(out[j].cpu()))
                    for k, out in outputs
                    for j in range(out.shape[0])
                )
                psnr_col = "    ref" if key == "reference" else f"{agreement:7.1f}"
                psnr_col = f"{psnr_col} | {_photo_col(key, size, stylizer, photos, reference)}"
                graphs = _graphs_compiled() - graphs_before
                label, start_col = (variant.label, f"{startup:10.2f}") if i == 0 else ("", "")
                _print_row(label, start_col, size, one, many, batch, psnr_col, graphs)
        del stylizer
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()


def _photo_col(
    key: str,
    size: int,
    stylizer: Stylizer,
    photos: dict[int, tuple[Tensor, Tensor] | None],
    reference: dict[object, Tensor],
) -> str:
    """The photo dB column: the variant's output on the photo pair against the reference's."""
    photo = photos[size]
    if photo is None:
        return f"{'–':>8}"
    out = pairs.pair(*stylizer.networks, *photo).cpu()
    if key == "reference":
        reference[("photo", size)] = out
        return f"{'ref':>8}"
    return f"{psnr(to_image(reference[('photo', size)]), to_image(out)):8.1f}"


def _print_row(
    label: str,
    start_col: str,
    size: int,
    one: Timing,
    many: Timing | None,
    batch: int,
    psnr_col: str,
    graphs: int,
) -> None:
    """One size of one variant; the batched and start-up columns only on its first row."""
    batch_cols = (
        f"{many.median / batch:13.2f} | {1000 * batch / many.median:12.1f}"
        if many
        else f"{'':>13} | {'':>12}"
    )
    print(
        f"{label:>42} | {start_col:>10} | {size:>6} | "
        f"{one.median:8.2f} | {1000 / one.median:8.1f} | {batch_cols} | "
        f"{one.peak_mib:8.0f} | {psnr_col} | {graphs:6}",
        flush=True,
    )
