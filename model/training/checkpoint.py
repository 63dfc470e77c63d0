"""Training checkpoints: the public decoder file, and a training state for exact resume.

In `save_dir`, after iteration N:
- `decoder_iter_N.pth` and `decoder.pth` (the latest): the decoder's plain state_dict, keys
  `{1,5,…,28}.{weight,bias}` as in the public `decoder.pth`, so the Stylizer and any other
  AdaIN code load it unchanged;
- `decoder_iter_N.json`: the resolved training config and the iteration;
- `state_iter_N.pt`: decoder, optimizer, grad scaler, iteration, RNG states and config.

Files are written to a temporary name and renamed, so a run killed while saving never leaves
a half-written checkpoint for `--resume auto` to pick.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

STATE_PATTERN = re.compile(r"state_iter_(\d+)\.pt$")


def _atomic_save(obj: object, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def decoder_state(decoder: nn.Module) -> dict[str, torch.Tensor]:
    """The decoder's state_dict on the CPU, in the public layout."""
    return {k: v.detach().cpu().clone() for k, v in decoder.state_dict().items()}


def capture_rng() -> dict[str, Any]:
    """Every global RNG state, in types that `torch.load(weights_only=True)` accepts."""
    np_state = np.random.get_state(legacy=False)
    np_state["state"]["key"] = np_state["state"]["key"].tolist()
    return {
        "python": random.getstate(),
        "numpy": np_state,
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = dict(state["numpy"])
    np_state["state"] = dict(np_state["state"])
    np_state["state"]["key"] = np.asarray(np_state["state"]["key"], dtype=np.uint32)
    np.random.set_state(np_state)
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(save_dir: Path, iteration: int, state: dict[str, Any]) -> Path:
    """Write the decoder files, the config JSON and the training state; returns the state path.

    `state` holds at least "decoder" (a state_dict) and "config" (a JSON-able dict).
    """
    save_dir.mkdir(parents=True, exist_ok=True)
    for name in (f"decoder_iter_{iteration}.pth", "decoder.pth"):
        _atomic_save(state["decoder"], save_dir / name)
    info = {"iteration": iteration, "config": state["config"]}
    (save_dir / f"decoder_iter_{iteration}.json").write_text(json.dumps(info, indent=2) + "\n")
    path = save_dir / f"state_iter_{iteration}.pt"
    _atomic_save({**state, "iteration": iteration, "rng": capture_rng()}, path)
    return path


def latest_state(save_dir: Path) -> Path | None:
    """The training state with the highest iteration in `save_dir`, if any."""
    found = []
    for path in save_dir.glob("state_iter_*.pt") if save_dir.is_dir() else []:
        match = STATE_PATTERN.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def load_state(path: Path) -> dict[str, Any]:
    """Read a training state written by `save_checkpoint` (tensors and plain values only)."""
    if not path.is_file():
        raise ValueError(f"training state {path} does not exist")
    return torch.load(path, map_location="cpu", weights_only=True)
