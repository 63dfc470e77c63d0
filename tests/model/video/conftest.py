"""One Stylizer on random weights for the clip tests (built once: the fast path takes a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.stylizer import Stylizer


@pytest.fixture(scope="session")
def stylizer(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu")
