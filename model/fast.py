"""The fast inference path: the same weights, rebuilt into networks that run faster.

The public networks (`model.networks`) mirror the weight files module by module:
`ReflectionPad2d → Conv2d → ReLU`, float32, NCHW. At inference that layout wastes time on a
CPU: oneDNN's bf16 convolutions (AVX-512 BF16 or AMX) run at twice the float32 rate or more,
NCHW makes oneDNN reorder every activation in and out, and each ReLU is a separate pass over
memory. Here each triple becomes one `PadConv`:

- weights in a low-precision dtype chosen per device (bf16 on CPUs whose oneDNN supports it,
  fp16 on CUDA), activations channels-last (on this CPU these two give almost all the gain);
- on CPU the convolution and its ReLU run as one oneDNN primitive
  (`mkldnn::_convolution_pointwise`, the op that torch.compile itself emits for CPUs) with its
  weights reordered once; elsewhere plain `conv2d` + in-place ReLU, for torch.compile to fuse;
- the encoder's first 1×1 convolution (VGG's Caffe preprocessing) is folded into the next 3×3
  convolution: reflection padding commutes with a per-pixel affine map, so this is exact.

docs/performance.md has the measurements behind each choice, and the ones that lost.

The mean/std of features and the AdaIN maths stay in float32 (see `Stylizer`); only the
convolutions run in low precision. `python -m model.bench` measures both paths side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from model.networks import Encoder


@dataclass(frozen=True)
class FastConfig:
    """How the fast networks run on one device; `for_device` picks what measured best."""

    dtype: torch.dtype
    channels_last: bool
    compile: bool  # wrap the networks in torch.compile (paid once, in Stylizer.warm_up)
    compile_mode: str | None = None

    @staticmethod
    def for_device(
        device: torch.device,
        dtype: torch.dtype | None = None,
        channels_last: bool | None = None,
        compile: bool | None = None,
        compile_mode: str | None = None,
    ) -> FastConfig:
        """Defaults per device; any argument given overrides its default.

        CPU: bf16 where oneDNN supports it (else float32), channels-last, no torch.compile:
        the fused eager networks measured as fast as inductor with freezing here, without its
        per-shape compilation (≈15–25 s per new image size on two cores).
        CUDA: fp16 (more mantissa than bf16, and the activations stay far below its range),
        channels-last for the tensor cores, torch.compile to fuse the padding and ReLUs that
        dominate an eager fp16 pass.
        """
        if device.type == "cuda":
            default_dtype = torch.float16
            default_compile = True
        elif device.type == "cpu":
            bf16_ok = (
                torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported()
            )
            default_dtype = torch.bfloat16 if bf16_ok else torch.float32
            default_compile = False
        else:  # mps, xpu, …: untested here, so the conservative choice
            default_dtype = torch.float32
            default_compile = False
        return FastConfig(
            dtype=dtype or default_dtype,
            channels_last=True if channels_last is None else channels_last,
            compile=default_compile if compile is None else compile,
            compile_mode=compile_mode,
        )


class PadConv(nn.Module):
    """ReflectionPad2d(pad) → Conv2d → optional ReLU, as one module with frozen weights.

    `onednn` runs conv + ReLU as one oneDNN primitive (`mkldnn::_convolution_pointwise`, the
    op torch.compile emits for CPUs), so the ReLU costs no extra pass over memory. Otherwise
    plain `conv2d` and an in-place ReLU, which torch.compile fuses on a GPU.
    """

    def __init__(
        self, weight: Tensor, bias: Tensor | None, pad: int, relu: bool, onednn: bool
    ) -> None:
        super().__init__()
        # Buffers, not parameters: these networks only ever run under inference_mode.
        self.register_buffer("weight", weight)  # (C_out, C_in, k, k)
        self.register_buffer("bias", bias)  # (C_out,)
        self.pad = pad
        self.relu = relu
        self.onednn = onednn

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) → (N, C_out, H, W) for 3×3 with pad 1, or 1×1 with pad 0."""
        if self.pad:
            x = F.pad(x, (self.pad,) * 4, mode="reflect")
        if self.onednn:
            return torch.ops.mkldnn._convolution_pointwise(
                x, self.weight, self.bias, [0, 0], [1, 1], [1, 1], 1,
                "relu" if self.relu else "none", [None], None,
            )  # fmt: skip
        y = F.conv2d(x, self.weight, self.bias)
        return F.relu(y, inplace=True) if self.relu else y


def onednn_usable(device: torch.device, config: FastConfig) -> bool:
    """Whether eager oneDNN fused convolutions serve this device and configuration."""
    return (
        device.type == "cpu"
        and not config.compile  # inductor makes its own oneDNN fusions from plain convs
        and torch.backends.mkldnn.is_available()
        and config.dtype in (torch.float32, torch.bfloat16)
    )


def _is(module: nn.Module, kind: type[nn.Module]) -> bool:
    return isinstance(module, kind)


def fuse_layers(
    layers: list[nn.Module], dtype: torch.dtype, channels_last: bool, onednn: bool = False
) -> list[nn.Module]:
    """Replace every [ReflectionPad2d] → Conv2d → [ReLU] run of `layers` by one PadConv.

    Other modules (max-pools, upsampling) are kept as they are. The encoder's leading 1×1
    conv is folded into the 3×3 conv after it.
    """
    layers = _fold_leading_pointwise(layers)
    fused: list[nn.Module] = []
    i = 0
    while i < len(layers):
        pad = 0
        if _is(layers[i], nn.ReflectionPad2d) and i + 1 < len(layers):
            pad = int(layers[i].padding[0])  # type: ignore[index]
            i += 1
        layer = layers[i]
        if _is(layer, nn.Conv2d):
            conv: nn.Conv2d = layer  # type: ignore[assignment]
            if conv.stride != (1, 1) or conv.groups != 1 or conv.padding != (0, 0):
                raise ValueError(f"fuse_layers handles plain stride-1 convolutions, not {conv}")
            relu = i + 1 < len(layers) and _is(layers[i + 1], nn.ReLU)
            weight = conv.weight.detach().to(dtype)
            if channels_last:
                weight = weight.contiguous(memory_format=torch.channels_last)
            if onednn:
                # Reorder once into oneDNN's blocked layout rather than on every call (a few
                # percent a pair); the layout chosen does not depend on the input size.
                weight = torch.ops.mkldnn._reorder_convolution_weight(
                    weight, [0, 0], [1, 1], [1, 1], 1
                )
            bias = conv.bias.detach().to(dtype) if conv.bias is not None else None
            fused.append(PadConv(weight, bias, pad, relu, onednn))
            i += 2 if relu else 1
        elif pad:
            raise ValueError("a ReflectionPad2d must be followed by a Conv2d")
        else:
            fused.append(layer)
            i += 1
    return fused


def _fold_leading_pointwise(layers: list[nn.Module]) -> list[nn.Module]:
    """Fold a leading 1×1 Conv2d into [ReflectionPad2d →] Conv2d that follows it.

    conv(pad(W₀x + b₀)) = conv'(pad(x)) because reflection padding only copies pixels, and a
    per-pixel affine map commutes with copying. W'[o,i] = Σ_c W[o,c]·W₀[c,i] and
    b' = b + Σ_{c,kh,kw} W[o,c,kh,kw]·b₀[c]. Done in float64 so the fold adds no error.
    """
    first = layers[0] if layers else None
    if not (_is(first, nn.Conv2d) and first.kernel_size == (1, 1)):  # type: ignore[union-attr]
        return layers
    j = 2 if len(layers) > 2 and _is(layers[1], nn.ReflectionPad2d) else 1
    nxt = layers[j]
    if not _is(nxt, nn.Conv2d) or (j == 1 and nxt.padding != (0, 0)):  # type: ignore[union-attr]
        return layers
    w0 = first.weight.detach().double()[:, :, 0, 0]  # (C, C_in)
    b0 = first.bias.detach().double()  # type: ignore[union-attr]  # (C,)
    w = nxt.weight.detach().double()  # (O, C, kh, kw)
    b = nxt.bias.detach().double()  # type: ignore[union-attr]  # (O,)
    folded = nn.Conv2d(w0.shape[1], w.shape[0], nxt.kernel_size)  # type: ignore[arg-type]
    with torch.no_grad():
        folded.weight.copy_(torch.einsum("ocij,cd->odij", w, w0))
        folded.bias.copy_(b + torch.einsum("ocij,c->o", w, b0))
    return layers[1:j] + [folded] + layers[j + 1 :]


class FastNet(nn.Module):
    """A fused network: any float NCHW in, features or an image in the compute dtype out.

    `nchw_out` hands features back in the standard layout: channel statistics and caching
    downstream expect it, and for a (N, 512, H/8, W/8) map the copy is cheap.
    """

    def __init__(self, layers: list[nn.Module], config: FastConfig, nchw_out: bool) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.dtype = config.dtype
        self.channels_last = config.channels_last
        self.nchw_out = nchw_out

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) any float dtype → (N, C', H', W') in `self.dtype`."""
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        y = self.layers(x.to(dtype=self.dtype, memory_format=memory_format))
        return y.contiguous() if self.nchw_out else y


def build_fast(
    encoder: Encoder, decoder: nn.Module, device: torch.device, config: FastConfig
) -> tuple[nn.Module, nn.Module]:
    """(fast encoder, fast decoder) on `device` from the public networks; weights shared-free.

    The fast encoder maps (N, 3, H, W) in [0, 1] to relu4_1 (N, 512, ⌈H/8⌉, ⌈W/8⌉) and the fast
    decoder maps those back to (N, 3, 8·h, 8·w), both in `config.dtype`.
    """
    onednn = onednn_usable(device, config)
    enc_layers = [m for stage in encoder.stages.values() for m in stage.children()]
    dec_layers = list(decoder.children())
    enc = FastNet(
        fuse_layers(enc_layers, config.dtype, config.channels_last, onednn), config, True
    )
    dec = FastNet(
        fuse_layers(dec_layers, config.dtype, config.channels_last, onednn), config, False
    )
    enc, dec = enc.to(device).eval(), dec.to(device).eval()
    if config.compile:
        enc, dec = _compile(enc, device, config), _compile(dec, device, config)
    return enc, dec


def _compile(net: nn.Module, device: torch.device, config: FastConfig) -> nn.Module:
    if device.type == "cpu":
        # Freezing lets inductor fold the weights and prepack them for oneDNN. Static sizes:
        # inductor's CPU convolutions with symbolic sizes measured 3× slower here, so every new
        # size compiles anew (≈15–25 s) — fine for a benchmark, not for a bot.
        options = None if config.compile_mode else {"freezing": True}
        return torch.compile(net, mode=config.compile_mode, options=options, dynamic=False)  # type: ignore[return-value]
    # dynamic=None: the first size compiles static, a second size recompiles once with
    # symbolic sizes, after which new aspect ratios reuse that graph (see Stylizer.warm_up).
    return torch.compile(net, mode=config.compile_mode, dynamic=None)  # type: ignore[return-value]
