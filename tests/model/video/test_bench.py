"""The generated clips and `python -m model.video.bench`, on a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model.video import probe, synthetic


@pytest.mark.parametrize("name", synthetic.CLIPS)
def test_each_generated_clip_moves_and_has_its_size(name: str) -> None:
    frames = synthetic.make_clip(name, 64, 36, 4)
    assert len(frames) == 4 and all(f.size == (64, 36) for f in frames)
    assert frames[0].tobytes() != frames[-1].tobytes()


def test_generated_frames_make_a_real_clip() -> None:
    info = probe(synthetic.clip_bytes(synthetic.camera_motion(64, 36, 6), fps=12))
    assert (info.width, info.height, info.frames) == (64, 36, 6)


def test_the_command_line_writes_a_generated_clip(tmp_path: Path) -> None:
    out = tmp_path / "pan.mp4"
    cmd = [sys.executable, "-m", "model.video.synthetic", "camera_motion", str(out)]
    subprocess.run(cmd + ["--seconds", "0.5", "--size", "36"], check=True, timeout=60)
    info = probe(out.read_bytes())
    assert (info.width, info.height, info.frames) == (64, 36, 12)


def test_the_bench_prints_a_row_per_clip() -> None:
    cmd = [
        sys.executable, "-m", "model.video.bench", "--size", "32", "--frames", "4",
        "--clips", "camera_motion,lighting_change", "--batch", "4", "--style-size", "64",
        "--device", "cpu", "--file-seconds", "0.5",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    model, _, end_to_end = result.stdout.partition("end to end")
    assert end_to_end, result.stdout
    for table in (model, end_to_end):
        rows = [line for line in table.splitlines() if line.startswith(synthetic.CLIPS)]
        assert [row.split()[0] for row in rows] == ["camera_motion", "lighting_change"]
    assert "ours/steady" in model and "ours/per-frame" in model
    assert "speed-up" in end_to_end


def test_the_model_bench_runs_the_clip_bench_as_video() -> None:
    cmd = [
        sys.executable, "-m", "model.bench", "video", "--size", "32", "--frames", "3",
        "--clips", "still_scene", "--batch", "4", "--style-size", "64", "--device", "cpu",
        "--file-seconds", "0",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "end to end" not in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith(synthetic.CLIPS)]
    assert [row.split()[0] for row in rows] == ["still_scene"]
