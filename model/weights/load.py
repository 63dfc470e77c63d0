"""Loading weight files into the networks, refusing any file whose layout differs.

A state_dict from another architecture would otherwise fail deep inside PyTorch with a wall of
text, or (with strict=False) load silently and produce noise. Here the first mismatch is named
in one sentence.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import torch
from torch import Tensor, nn

from model.networks import build_decoder, build_vgg

# The public file names: the full normalised VGG-19 (the encoder is its first 31 modules) and the
# decoder, both plain state_dicts of `nn.Sequential`s (`model.networks`).
VGG_FILE = "vgg_normalised.pth"
DECODER_FILE = "decoder.pth"

ModuleT = TypeVar("ModuleT", bound=nn.Module)


class WeightsError(RuntimeError):
    """A weight file is missing, unreadable, or does not have the expected layout."""


class UnreadableWeights(WeightsError):
    """A file that PyTorch cannot read at all (truncated, or not a PyTorch file)."""


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """Read a state_dict saved by any PyTorch (legacy or zip serialisation), tensors only."""
    if not path.is_file():
        raise WeightsError(f"weight file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        text = str(exc).strip()
        # PyTorch's first sentence says what is wrong; the rest is advice for its own users.
        first = text.splitlines()[0].split(". ")[0] if text else type(exc).__name__
        raise UnreadableWeights(
            f"{path.name} is not a readable PyTorch weight file: {first}"
        ) from exc
    if not isinstance(state, Mapping) or not all(isinstance(v, Tensor) for v in state.values()):
        raise WeightsError(f"{path.name} does not hold a plain state_dict of tensors")
    return dict(state)


def check_layout(state: Mapping[str, Tensor], module: nn.Module, name: str) -> None:
    """Raise WeightsError naming the first key or shape of `state` that `module` does not have."""
    expected = module.state_dict()
    for key, ref in expected.items():
        if key not in state:
            raise WeightsError(f"{name} lacks the tensor {key!r} (shape {tuple(ref.shape)})")
        got = tuple(state[key].shape)
        if got != tuple(ref.shape):
            raise WeightsError(
                f"{name} has {key!r} of shape {got} where {tuple(ref.shape)} is expected"
            )
    for key in state:
        if key not in expected:
            raise WeightsError(f"{name} has the unexpected tensor {key!r}")


def check_file(path: Path) -> None:
    """Raise WeightsError unless ``path`` (one of the public file names) reads as a state_dict
    in the public layout of its network; UnreadableWeights when it does not read at all."""
    networks = {VGG_FILE: build_vgg, DECODER_FILE: build_decoder}
    check_layout(read_state_dict(path), networks[path.name](), path.name)


def load_into(module: ModuleT, path: Path) -> ModuleT:
    """Load `path` into `module` after checking every key and shape; returns the module."""
    state = read_state_dict(path)
    check_layout(state, module, path.name)
    module.load_state_dict({k: v.float() for k, v in state.items()})
    return module
