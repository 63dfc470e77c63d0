"""`scripts/gpu-check.sh` runs start to end (its dry run on the CPU, tiny sizes).

The script is meant for a CUDA host, where a broken step would waste the GPU's time: this
runs the same steps, with the same files and summary, on the CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_check_runs_every_step_and_leaves_its_tables(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        OUT=str(tmp_path),
        PYTHON=sys.executable,
        GPU_CHECK_DEVICE="cpu",
        GPU_CHECK_QUICK="1",
    )
    done = subprocess.run(
        [str(ROOT / "scripts" / "gpu-check.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    files = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert sorted(files) == ["clip.txt", "machine.txt", "memory.txt", "table.txt", "variants.txt"]
    for name in ("table.txt", "memory.txt", "variants.txt", "clip.txt"):
        assert "exit 0" in files[name].splitlines()[-1], files[name]
    assert "torch" in files["machine.txt"]
    table_rows = [r for r in files["table.txt"].splitlines() if r.strip().startswith("48 px")]
    assert len(table_rows) == 1 and "×" in table_rows[0]
    assert "peak RSS" in files["memory.txt"]
    variant_rows = [r for r in files["variants.txt"].splitlines() if "fast, the default" in r]
    assert len(variant_rows) == 1
    assert float(variant_rows[0].split("|")[8]) >= 35  # PSNR against the reference
    # the summary printed last carries every table, for whoever reads only the output's tail
    assert all(f"#### {name}" in done.stdout for name in files)
    clip_rows = [r for r in files["clip.txt"].splitlines() if r.startswith("still_scene")]
    assert len(clip_rows) == 2  # the model's table and end to end
    assert table_rows[0] in done.stdout and variant_rows[0] in done.stdout
    assert clip_rows[-1] in done.stdout
