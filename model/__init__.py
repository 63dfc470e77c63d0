"""Everything PyTorch: AdaIN maths, networks, weights, inference, training and benchmarks.

``from model import Stylizer`` (and ``ImageError``, ``WeightsError``, ``load_image``) loads
torch on first use, not on ``import model``: ``model.limits``, the bounds and refusal codes
that the worker's contract with the bot shares, stays free of torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.images import ImageError, load_image
    from model.stylizer import Stylizer
    from model.weights.load import WeightsError

__all__ = ["ImageError", "Stylizer", "WeightsError", "load_image"]
_HOMES = {
    "ImageError": "model.images",
    "load_image": "model.images",
    "Stylizer": "model.stylizer",
    "WeightsError": "model.weights.load",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
