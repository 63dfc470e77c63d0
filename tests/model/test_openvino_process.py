"""The OpenVINO engine's tests, in a pytest process of their own (see test_openvino.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model import openvino_engine

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not openvino_engine.available(), reason="openvino is not installed")
def test_the_openvino_engine_passes_its_tests_in_a_process_of_its_own() -> None:
    env = {**os.environ, "ADAIN_OPENVINO_TESTS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/model/test_openvino.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1]
