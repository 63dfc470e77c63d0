"""The two networks, laid out module by module as the public AdaIN weights require.

`vgg_normalised.pth` is an `nn.Sequential` of 53 modules and `decoder.pth` one of 29; their
state_dict keys are `<index>.weight` / `<index>.bias`, so the index of every convolution must
match exactly. Only the first 31 encoder modules (through relu4_1) run at inference.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import Tensor, nn

# (in, out) channels of the 3×3 convolutions, "M" for a max-pool, in file order.
_VGG_PLAN: list[tuple[int, int] | str] = [
    (3, 64), (64, 64), "M",
    (64, 128), (128, 128), "M",
    (128, 256), (256, 256), (256, 256), (256, 256), "M",
    (256, 512), (512, 512), (512, 512), (512, 512), "M",
    (512, 512), (512, 512), (512, 512), (512, 512),
]  # fmt: skip

# Slices of the full encoder ending at relu1_1, relu2_1, relu3_1, relu4_1.
STAGES: OrderedDict[str, slice] = OrderedDict(
    relu1_1=slice(0, 4), relu2_1=slice(4, 11), relu3_1=slice(11, 18), relu4_1=slice(18, 31)
)
ENCODER_DEPTH = 31  # modules [0:31] reach relu4_1


def build_vgg() -> nn.Sequential:
    """The full normalised VGG-19 of `vgg_normalised.pth` (53 modules, untrained)."""
    layers: list[nn.Module] = [nn.Conv2d(3, 3, kernel_size=1)]
    for item in _VGG_PLAN:
        if isinstance(item, str):  # "M"
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            c_in, c_out = item
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3), nn.ReLU()]
    return nn.Sequential(*layers)


def build_decoder() -> nn.Sequential:
    """The decoder of `decoder.pth` (29 modules): relu4_1 features back to an RGB image."""

    def conv(c_in: int, c_out: int, relu: bool = True) -> list[nn.Module]:
        block: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3)]
        return block + [nn.ReLU()] if relu else block

    def up() -> nn.Module:
        return nn.Upsample(scale_factor=2, mode="nearest")

    return nn.Sequential(
        *conv(512, 256), up(),
        *conv(256, 256), *conv(256, 256), *conv(256, 256), *conv(256, 128), up(),
        *conv(128, 128), *conv(128, 64), up(),
        *conv(64, 64), *conv(64, 3, relu=False),
    )  # fmt: skip


class Encoder(nn.Module):
    """VGG-19 through relu4_1, sliced into the four stages AdaIN uses.

    `forward` returns relu4_1 only (inference); `stages` returns all four (training loss).
    The weights are frozen: only the decoder ever trains.
    """

    def __init__(self, vgg: nn.Sequential) -> None:
        super().__init__()
        layers = list(vgg.children())[:ENCODER_DEPTH]
        self.stages = nn.ModuleDict(
            {name: nn.Sequential(*layers[s]) for name, s in STAGES.items()}
        )
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) RGB in [0, 1] → relu4_1 features (N, 512, ⌈H/8⌉, ⌈W/8⌉)."""
        for stage in self.stages.values():
            x = stage(x)
        return x

    def features(self, x: Tensor) -> dict[str, Tensor]:
        """All four stage outputs, relu1_1 … relu4_1."""
        out: dict[str, Tensor] = {}
        for name, stage in self.stages.items():
            x = stage(x)
            out[name] = x
        return out


def decode(decoder: nn.Module, feat: Tensor, height: int, width: int) -> Tensor:
    """Decode features and crop to (height, width): ceil-mode pooling can add a few pixels."""
    out = decoder(feat)
    return out[..., :height, :width]
