"""The fast inference path: the same weights, rebuilt into networks that run faster.

The public networks (`model.networks`) mirror the weight files module by module:
`ReflectionPad2d → Conv2d → ReLU`, float32, NCHW. At inference that layout wastes time on a
CPU: oneDNN's bf16 convolutions (AVX-512 BF16 or AMX) run at twice the float32 rate or more,
NCHW makes oneDNN reorder every activation in and out, and each ReLU is a separate pass over
memory. Here:

- weights in a low-precision dtype chosen per device (bf16 on CPUs whose oneDNN supports it,
  fp16 on CUDA), activations channels-last (on this CPU these two give most of the gain);
- the layers fused (`model.fused`): padding + conv + ReLU as one module, the decoder's
  upsampling folded into sub-pixel convolutions, the encoder's 1×1 conv folded away;
- on CPU the convolution and its ReLU run as one oneDNN primitive
  (`mkldnn::_convolution_pointwise`, the op that torch.compile itself emits for CPUs) with its
  weights reordered once; elsewhere plain `conv2d` + in-place ReLU, for torch.compile to fuse.

On CPUs, where OpenVINO is installed, its CPU plugin runs the networks instead
(`model.openvino_engine`), which is the faster of the two at the sizes the bot sends in the
tables of `docs/performance.md`.
`FastConfig.engine` chooses; "torch" keeps PyTorch.

docs/performance.md has the measurements behind each choice, and the ones that lost.

The mean/std of features and the AdaIN maths stay in float32 (see `Stylizer`); only the
convolutions run in low precision. `python -m model.bench` measures both paths side by side.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from model import openvino_engine
from model.fused import FrozenConv, fuse_layers
from model.networks import Encoder

log = logging.getLogger(__name__)

Engine = Literal["torch", "openvino"]


@dataclass(frozen=True)
class FastConfig:
    """How the fast networks run on one device; `for_device` picks what measured best."""

    dtype: torch.dtype
    channels_last: bool
    compile: bool  # wrap the networks in torch.compile (paid once, in Stylizer.warm_up)
    compile_mode: str | None = None
    # torch.compile's `dynamic`: False compiles every new size anew; None compiles the first
    # size static and a second one with symbolic sizes, which later sizes then reuse.
    dynamic: bool | None = False
    # torch.compile's backend; tests pass a counting one to check the graphs without a GPU.
    backend: str | Callable[..., object] = "inductor"
    # Fused convolutions that run in float32 whatever `dtype` is, by position in each network
    # (0 = the first; -1 = the last): the cheapest guard of the agreement with the plain path.
    float32_encoder: tuple[int, ...] = ()
    float32_decoder: tuple[int, ...] = ()
    # Round low-precision weights with error feedback (`model.fused.round_weight`), not to the
    # nearest value: the same cost, half the error that weight rounding adds.
    error_feedback: bool = True
    # What runs the networks: PyTorch ("torch", any device), or OpenVINO's CPU plugin
    # ("openvino": converted from the public float32 networks, at `dtype`'s precision).
    engine: Engine = "torch"
    # Where OpenVINO keeps converted networks between starts (None: convert at every start).
    openvino_cache: Path | None = None

    @staticmethod
    def for_device(
        device: torch.device,
        dtype: torch.dtype | None = None,
        channels_last: bool | None = None,
        compile: bool | None = None,
        compile_mode: str | None = None,
        engine: Engine | None = None,
        openvino_cache: Path | None = None,
    ) -> FastConfig:
        """Defaults per device; any argument given overrides its default.

        CPU: OpenVINO where it is installed, else PyTorch; bf16 where oneDNN supports it
        (else float32), channels-last, no torch.compile: inductor on the CPU compiles anew for
        every image size, and the fused eager networks need no compilation
        (`docs/performance.md`). OpenVINO's converted networks are kept in
        `openvino_cache` (default `openvino_engine.default_cache_dir()`).
        CUDA: fp16 (more mantissa than bf16, and the activations stay far below its range),
        channels-last for the tensor cores, torch.compile to fuse the padding and ReLUs that
        dominate an eager fp16 pass. Triton builds its launcher with a C compiler at run time,
        so without one on the PATH (python:*-slim images) compile defaults to off, said in a
        warning rather than found out as a crash at the first job.
        """
        default_engine: Engine = "torch"
        if device.type == "cuda":
            default_dtype = torch.float16
            default_compile = _has_c_compiler()
            if compile is None and not default_compile:
                log.warning(
                    "no C compiler (cc, gcc or clang) on the PATH: torch.compile cannot build "
                    "Triton kernels, so the CUDA fast path runs eagerly; install gcc to compile"
                )
        elif device.type == "cpu":
            bf16_ok = (
                torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported()
            )
            default_dtype = torch.bfloat16 if bf16_ok else torch.float32
            default_compile = False
            default_engine = "openvino" if openvino_engine.available() else "torch"
        else:  # mps, xpu, …: untested here, so the conservative choice
            default_dtype = torch.float32
            default_compile = False
        return FastConfig(
            dtype=dtype or default_dtype,
            channels_last=True if channels_last is None else channels_last,
            compile=default_compile if compile is None else compile,
            compile_mode=compile_mode,
            # CPU: inductor's convolutions with symbolic sizes lose oneDNN's, so static sizes
            # (each new one compiles anew: fine for a benchmark, not for a bot; compile is off
            # there by default). CUDA: symbolic after the second size, so
            # Stylizer.warm_up leaves a graph that serves every later size.
            dynamic=None if device.type == "cuda" else False,
            engine=engine or default_engine,
            openvino_cache=openvino_cache or openvino_engine.default_cache_dir(),
        )


def _has_c_compiler() -> bool:
    return any(shutil.which(name) for name in ("cc", "gcc", "clang"))


def onednn_usable(device: torch.device, config: FastConfig) -> bool:
    """Whether eager oneDNN fused convolutions serve this device and configuration.

    Only for bf16 (AVX-512 BF16). In float32 — the CPUs without bf16, e.g. AVX2-only EPYC
    Milan — the layers run plain `conv2d` on channels-last instead of the fused primitive with
    prepacked weights (`docs/performance.md` says why).
    """
    return (
        device.type == "cpu"
        and not config.compile  # inductor makes its own oneDNN fusions from plain convs
        and torch.backends.mkldnn.is_available()
        and config.dtype == torch.bfloat16
    )


class FastNet(nn.Module):
    """A fused network: any float NCHW in, its output in its last convolution's dtype."""

    def __init__(self, layers: list[nn.Module], config: FastConfig) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)
        # The input goes straight into the first convolution's dtype (float32 if it is one of
        # the float32 layers); each convolution casts what it is given to its own.
        first = next((m for m in layers if isinstance(m, FrozenConv)), None)
        self.dtype = config.dtype if first is None else first.weight.dtype
        self.memory_format = (
            torch.channels_last if config.channels_last else torch.contiguous_format
        )

    def run(self, x: Tensor) -> Tensor:
        return self.layers(x.to(dtype=self.dtype, memory_format=self.memory_format))


# Two classes with a forward each, not one: torch.compile counts recompilations per code
# object, so a shared forward would let the encoder's sizes use up the decoder's budget.


class FastEncoder(FastNet):
    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) in [0, 1] → relu4_1 (N, 512, ⌈H/8⌉, ⌈W/8⌉), NCHW.

        Features go back in the standard layout: channel statistics and caching downstream
        expect it, and for a map of 1/64 of the pixels the copy is cheap.
        """
        return self.run(x).contiguous()


class FastDecoder(FastNet):
    def forward(self, x: Tensor) -> Tensor:
        """(N, 512, h, w) → (N, 3, 8h, 8w), in the fast path's memory format."""
        return self.run(x)


def build_fast(
    encoder: Encoder, decoder: nn.Module, device: torch.device, config: FastConfig
) -> tuple[nn.Module, nn.Module]:
    """(fast encoder, fast decoder) on `device`, built from copies of the public networks' weights.

    The fast encoder maps (N, 3, H, W) in [0, 1] to relu4_1 (N, 512, ⌈H/8⌉, ⌈W/8⌉) and the fast
    decoder maps those back to (N, 3, 8·h, 8·w), both in `config.dtype`.
    """
    if config.engine == "openvino":
        if device.type != "cpu":
            raise ValueError(f"the OpenVINO engine runs on the CPU, not on {device}")
        if not openvino_engine.available():
            raise ValueError("the OpenVINO engine needs OpenVINO: pip install openvino")
        if config.dtype not in (torch.float32, torch.bfloat16):
            raise ValueError(f"the OpenVINO engine runs float32 or bf16, not {config.dtype}")
        precision: openvino_engine.Precision = "bf16" if config.dtype == torch.bfloat16 else "f32"
        return openvino_engine.build_openvino(
            encoder, decoder, precision, config.openvino_cache, config.error_feedback
        )
    onednn = onednn_usable(device, config)
    enc_layers = [m for stage in encoder.stages.values() for m in stage.children()]
    dec_layers = list(decoder.children())
    options = (config.dtype, config.channels_last, onednn, config.compile)
    enc: nn.Module = FastEncoder(
        fuse_layers(enc_layers, *options, config.float32_encoder, config.error_feedback), config
    )
    dec: nn.Module = FastDecoder(
        fuse_layers(dec_layers, *options, config.float32_decoder, config.error_feedback), config
    )
    enc, dec = enc.to(device).eval(), dec.to(device).eval()
    if config.compile:
        enc, dec = _compile(enc, device, config), _compile(dec, device, config)
    return enc, dec


def _compile(net: nn.Module, device: torch.device, config: FastConfig) -> nn.Module:
    options: dict[str, str | int | bool | Callable[..., object]] | None = None
    if device.type == "cpu" and config.backend == "inductor" and not config.compile_mode:
        # Freezing lets inductor fold the weights and prepack them for oneDNN.
        options = {"freezing": True}
    compiled = torch.compile(
        net,
        backend=config.backend,
        mode=config.compile_mode,
        options=options,
        dynamic=config.dynamic,
    )
    assert isinstance(compiled, nn.Module)  # a module comes back wrapped, as an OptimizedModule
    return compiled
