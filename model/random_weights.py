"""Random weights in exactly the public file layout, for tests, benchmarks and demos.

The pretrained files cannot be downloaded everywhere (CI has no internet); these stand in for
them. `python -m model.random_weights DIR [--legacy]` writes `vgg_normalised.pth` and
`decoder.pth` into DIR.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor, nn

from model.networks import build_decoder, build_vgg
from model.weights.load import DECODER_FILE, VGG_FILE


def _init_(net: nn.Sequential, out_std: float | None = None) -> nn.Sequential:
    """He initialisation keeps activations at a steady scale through the ReLUs, so random
    networks give images with real contrast rather than black frames."""
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    for conv in convs:
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        nn.init.zeros_(_bias(conv))
    if out_std is not None:  # the decoder's last conv: an image around mid-grey
        last = convs[-1]
        fan_in = last.weight[0].numel()
        nn.init.normal_(last.weight, std=out_std / fan_in**0.5)
        nn.init.constant_(_bias(last), 0.5)
    return net


def _bias(conv: nn.Conv2d) -> Tensor:
    assert conv.bias is not None  # every convolution of the public networks has a bias
    return conv.bias


def random_networks(seed: int = 0) -> tuple[nn.Sequential, nn.Sequential]:
    """(vgg, decoder) with seeded random weights in the public layout."""
    torch.manual_seed(seed)
    return _init_(build_vgg()), _init_(build_decoder(), out_std=0.25)


def write_random_weights(folder: Path, seed: int = 0, legacy: bool = False) -> Path:
    """Save seeded random encoder and decoder state_dicts; `legacy` uses the pre-1.6 format."""
    folder.mkdir(parents=True, exist_ok=True)
    vgg, decoder = random_networks(seed)
    for name, net in ((VGG_FILE, vgg), (DECODER_FILE, decoder)):
        torch.save(net.state_dict(), folder / name, _use_new_zipfile_serialization=not legacy)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.random_weights", description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--legacy", action="store_true", help="legacy (non-zip) serialisation")
    args = parser.parse_args(argv)
    print(write_random_weights(args.dir, seed=args.seed, legacy=args.legacy))


if __name__ == "__main__":
    main()
