"""Fused inference layers built from the public networks' modules, and the rewrite into them.

`fuse_layers` turns a list of public modules into fewer, faster ones with the same result:

- `[ReflectionPad2d →] Conv2d [→ ReLU]` becomes one `PadConv`;
- `Upsample(×2) → ReflectionPad2d → Conv2d [→ ReLU]` becomes one `UpConv`, four 2×2 sub-pixel
  convolutions of the small image (0.44× the arithmetic);
- a leading 1×1 conv (VGG's Caffe preprocessing) is folded into the conv after it;
- for torch.compile, ceil-mode 2×2 max-pools become `CeilPool` (the same result, written so
  that a compiled graph serves odd and even sizes alike).

All rewrites are exact in real arithmetic; the tests check them in float32. Which dtype and
layout the weights take, which convolutions stay in float32, and whether oneDNN runs conv + ReLU
as one primitive, is decided by the caller (`model.fast`). Low-precision weights are rounded
with error feedback (`round_weight`), which halves what their rounding costs in agreement.
"""

from __future__ import annotations

from collections.abc import Collection

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FrozenConv(nn.Module):
    """A stride-1 convolution with frozen weights and an optional ReLU, without padding.

    `onednn` runs conv + ReLU as one oneDNN primitive (`mkldnn::_convolution_pointwise`, the
    op torch.compile emits for CPUs), so the ReLU costs no extra pass over memory; its weight
    is then in oneDNN's blocked layout. Otherwise plain `conv2d` and an in-place ReLU, which
    torch.compile fuses on a GPU.
    """

    weight: Tensor  # (C_out, C_in, kh, kw), a buffer
    bias: Tensor | None  # (C_out,), a buffer

    def __init__(self, weight: Tensor, bias: Tensor | None, relu: bool, onednn: bool) -> None:
        super().__init__()
        # Buffers, not parameters: these networks only ever run under inference_mode.
        self.register_buffer("weight", weight)  # (C_out, C_in, kh, kw)
        self.register_buffer("bias", bias)  # (C_out,)
        self.relu = relu
        self.onednn = onednn

    def conv(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) → (N, C_out, H - kh + 1, W - kw + 1), in the weight's dtype.

        The input is first cast to that dtype (a no-op unless the layer before ran in another
        one), so float32 and low-precision layers can follow each other in one network."""
        x = x.to(self.weight.dtype)
        if self.onednn:
            return torch.ops.mkldnn._convolution_pointwise(
                x, self.weight, self.bias, [0, 0], [1, 1], [1, 1], 1,
                "relu" if self.relu else "none", [None], None,
            )  # fmt: skip
        y = F.conv2d(x, self.weight, self.bias)
        return F.relu(y, inplace=True) if self.relu else y


class PadConv(FrozenConv):
    """ReflectionPad2d(pad) → Conv2d → optional ReLU."""

    def __init__(
        self, weight: Tensor, bias: Tensor | None, pad: int, relu: bool, onednn: bool
    ) -> None:
        super().__init__(weight, bias, relu, onednn)
        self.pad = pad

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) → (N, C_out, H, W) for 3×3 with pad 1, or 1×1 with pad 0."""
        if self.pad:
            x = F.pad(x, (self.pad,) * 4, mode="reflect")
        return self.conv(x)


# Sub-pixel phases (row, column) of a ×2 upsampling, in the order of UpConv's weight blocks.
PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))


class UpConv(FrozenConv):
    """Upsample(×2, nearest) → ReflectionPad2d(1) → 3×3 Conv2d → optional ReLU, computed on
    the small image: each of the four output phases is a 2×2 convolution of it.

    Output pixel (2i+a, 2j+b) sees upsampled rows 2i+a-1 … 2i+a+1, which are input rows
    i-1, i, i (a = 0) or i, i, i+1 (a = 1): the 3×3 kernel collapses to 2×2 per phase, 16 taps
    for four output pixels instead of 36. Reflection padding of the upsampled image is
    replication padding of the small one (its border rows come in pairs). Same result, 0.44×
    the arithmetic and no upsampled-then-padded copy; the phases are interleaved at the end.
    """

    def __init__(self, weight: Tensor, bias: Tensor | None, relu: bool, onednn: bool) -> None:
        super().__init__(weight, bias, relu, onednn)  # (4·C_out, C_in, 2, 2), phase-major

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) → (N, C_out, 2H, 2W)."""
        n, _, h, w = x.shape
        y = self.conv(F.pad(x, (1, 1, 1, 1), mode="replicate"))  # (N, 4·C_out, H+1, W+1)
        c_out = y.shape[1] // len(PHASES)
        memory_format = torch.channels_last if _is_channels_last(x) else torch.contiguous_format
        out = torch.empty(
            (n, c_out, 2 * h, 2 * w), dtype=y.dtype, device=y.device, memory_format=memory_format
        )
        for k, (a, b) in enumerate(PHASES):
            # phase (a, b) at input pixel (i, j) is window (i + a, j + b) of the padded input
            out[:, :, a::2, b::2] = y[:, k * c_out : (k + 1) * c_out, a : a + h, b : b + w]
        return out


class CeilPool(nn.Module):
    """`MaxPool2d(2, 2, ceil_mode=True)`, exactly, as replicate-pad by one + floor-mode pool.

    For an even size the windows never reach the added row; for an odd one the last window is
    (x_last, x_last), whose max is x_last: what ceil mode takes from its partial window. The
    point is torch.compile: inductor lowers a ceil-mode pool with a guard on the parity of the
    size at each of the encoder's three pools, so every new parity class of image sizes
    recompiled the encoder, and after dynamo's limit of 8 graphs the encoder ran eagerly. This
    form has no such guard.
    """

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) → (N, C, ⌈H/2⌉, ⌈W/2⌉)."""
        return F.max_pool2d(F.pad(x, (0, 1, 0, 1), mode="replicate"), 2, 2)


def _is_ceil_pool(module: nn.Module | None) -> bool:
    def two(v: object) -> bool:
        return v in (2, (2, 2))

    return (
        isinstance(module, nn.MaxPool2d)
        and module.ceil_mode
        and two(module.kernel_size)
        and two(module.stride)
        and module.padding in (0, (0, 0))
        and module.dilation in (1, (1, 1))
    )


def _is_channels_last(x: Tensor) -> bool:
    return x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)


def round_weight(weight: Tensor, dtype: torch.dtype, error_feedback: bool = True) -> Tensor:
    """A (O, C, kh, kw) kernel in `dtype`, rounded tap by tap with error feedback.

    Rounding each weight to the nearest bf16 leaves every (output, input) channel's kernel
    with a sum that is off by a random walk of its taps' errors, and that sum is what the
    convolution applies to the smooth part of its input: post-ReLU activations have a large
    local mean. Carrying each tap's rounding error into the next tap of the same kernel keeps
    the kernel's sum within half a unit in the last place, and each weight within one unit of
    the kernel's largest weight.
    For the bf16 fast path this lowers the error that weight rounding adds, at no cost at run
    time (the agreement tests of `tests/model/test_fast_path.py` hold it).
    """
    if weight.dtype == dtype or not error_feedback:
        return weight.detach().to(dtype, copy=True)
    flat = weight.detach().double().reshape(weight.shape[0], weight.shape[1], -1)  # (O, C, T)
    out = torch.empty_like(flat)
    carry = torch.zeros_like(flat[:, :, 0])  # (O, C)
    for tap in range(flat.shape[2]):
        wanted = flat[:, :, tap] + carry
        out[:, :, tap] = wanted.to(dtype).double()
        carry = wanted - out[:, :, tap]
    return out.reshape(weight.shape).to(dtype)


def subpixel_weights(weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """UpConv's (4·O, C, 2, 2) kernels and (4·O,) bias from a 3×3 (O, C, 3, 3) conv.

    Along each axis, phase 0 takes taps (k0, k1 + k2) and phase 1 takes (k0 + k1, k2).
    """

    def collapse(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
        k0, k1, k2 = t.unbind(dim)
        return torch.stack([k0, k1 + k2], dim), torch.stack([k0 + k1, k2], dim)

    w = weight.detach().double()
    rows = collapse(w, 2)  # two (O, C, 2, 3)
    kernels = [collapse(rows[a], 3)[b] for a, b in PHASES]  # four (O, C, 2, 2)
    new_bias = None if bias is None else bias.detach().double().repeat(len(PHASES))
    return torch.cat(kernels), new_bias


def _is_up2(module: nn.Module | None) -> bool:
    return (
        isinstance(module, nn.Upsample)
        and module.mode == "nearest"
        and module.size is None
        and module.scale_factor in (2, 2.0, (2, 2), (2.0, 2.0))
    )


def fuse_layers(
    layers: list[nn.Module],
    dtype: torch.dtype,
    channels_last: bool,
    onednn: bool = False,
    compiled: bool = False,
    float32: Collection[int] = (),
    error_feedback: bool = True,
) -> list[nn.Module]:
    """Replace every [Upsample ×2 →] [ReflectionPad2d] → Conv2d → [ReLU] run of `layers` by
    one PadConv (or UpConv, with the upsampling).

    Max-pools are kept as they are, except that `compiled` (the layers will run under
    torch.compile) turns ceil-mode 2×2 pools into `CeilPool`; eagerly, its extra copy would
    be wasted work. The encoder's leading 1×1 conv is folded into the 3×3 conv after it.
    The fused convolutions whose positions (0 = the first, after folding; negative counts from
    the end) are in `float32` keep float32 weights and run in float32; the others in `dtype`,
    their weights rounded with `error_feedback` (`round_weight`) or to the nearest value.
    """
    layers = _fold_leading_pointwise(layers)
    at = layers + [None, None, None]  # look-ahead past the end without index checks
    n_convs = sum(isinstance(m, nn.Conv2d) for m in layers)
    exact = {i % n_convs for i in float32} if n_convs else set()

    def frozen(weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor | None]:
        conv_dtype = torch.float32 if len(fused_convs) in exact else dtype
        fused_convs.append(conv_dtype)
        weight = round_weight(weight, conv_dtype, error_feedback)
        if channels_last:
            weight = weight.contiguous(memory_format=torch.channels_last)
        if onednn:
            # Reorder once into oneDNN's blocked layout rather than on every call (a few
            # percent a pair); the layout chosen does not depend on the input size.
            weight = torch.ops.mkldnn._reorder_convolution_weight(
                weight, [0, 0], [1, 1], [1, 1], 1
            )
        return weight, None if bias is None else bias.detach().to(conv_dtype)

    fused_convs: list[torch.dtype] = []  # the dtype of each convolution fused so far
    fused: list[nn.Module] = []
    i = 0
    while i < len(layers):
        pad_next, conv_next = at[i + 1], at[i + 2]
        up = (
            _is_up2(at[i])
            and isinstance(pad_next, nn.ReflectionPad2d)
            and pad_next.padding == (1, 1, 1, 1)
            and isinstance(conv_next, nn.Conv2d)
            and conv_next.kernel_size == (3, 3)
        )
        start = i + 1 if up else i
        pad = 0
        pad_layer = at[start]
        if isinstance(pad_layer, nn.ReflectionPad2d):
            pad = int(pad_layer.padding[0])
            start += 1
        conv = at[start]
        if not isinstance(conv, nn.Conv2d):
            if pad:
                raise ValueError("a ReflectionPad2d must be followed by a Conv2d")
            assert conv is not None  # without padding ahead of it, start is within the layers
            fused.append(CeilPool() if compiled and _is_ceil_pool(conv) else conv)
            i += 1
            continue
        if conv.stride != (1, 1) or conv.groups != 1 or conv.padding != (0, 0):
            raise ValueError(f"fuse_layers handles plain stride-1 convolutions, not {conv}")
        relu = isinstance(at[start + 1], nn.ReLU)
        if up:
            fused.append(UpConv(*frozen(*subpixel_weights(conv.weight, conv.bias)), relu, onednn))
        else:
            fused.append(PadConv(*frozen(conv.weight, conv.bias), pad, relu, onednn))
        i = start + (2 if relu else 1)
    return fused


def _fold_leading_pointwise(layers: list[nn.Module]) -> list[nn.Module]:
    """Fold a leading 1×1 Conv2d into [ReflectionPad2d →] Conv2d that follows it.

    conv(pad(W₀x + b₀)) = conv'(pad(x)) because reflection padding only copies pixels, and a
    per-pixel affine map commutes with copying. W'[o,i] = Σ_c W[o,c]·W₀[c,i] and
    b' = b + Σ_{c,kh,kw} W[o,c,kh,kw]·b₀[c]. Done in float64 so the fold adds no error.
    """
    first = layers[0] if layers else None
    if not (isinstance(first, nn.Conv2d) and first.kernel_size == (1, 1)):
        return layers
    j = 2 if len(layers) > 2 and isinstance(layers[1], nn.ReflectionPad2d) else 1
    nxt = layers[j]
    if not isinstance(nxt, nn.Conv2d) or (j == 1 and nxt.padding != (0, 0)):
        return layers
    assert first.bias is not None and nxt.bias is not None  # as in VGG: both have a bias
    w0 = first.weight.detach().double()[:, :, 0, 0]  # (C, C_in)
    b0 = first.bias.detach().double()  # (C,)
    w = nxt.weight.detach().double()  # (O, C, kh, kw)
    b = nxt.bias.detach().double()  # (O,)
    kh, kw = nxt.kernel_size
    folded = nn.Conv2d(w0.shape[1], w.shape[0], (kh, kw))
    assert folded.bias is not None  # nn.Conv2d has one unless bias=False
    with torch.no_grad():
        folded.weight.copy_(torch.einsum("ocij,cd->odij", w, w0))
        folded.bias.copy_(b + torch.einsum("ocij,c->o", w, b0))
    return layers[1:j] + [folded] + layers[j + 1 :]
