"""`python -m model.video`: an MP4 on success, one clear line on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from model.video import probe
from tests.helpers import image_bytes, natural_image
from tests.model.video import clips


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "model.video", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_cli_writes_a_video_note(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(clips.video(96, 64, frames=8, fps=8, audio="aac"))
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64, 2), "PNG"))
    (tmp_path / "b.png").write_bytes(image_bytes(natural_image(64, 64, 3), "PNG"))
    out = tmp_path / "out" / "note.mp4"
    result = run(
        tmp_path / "clip.mp4", tmp_path / "a.png", tmp_path / "b.png", "-o", out,
        "--kind", "video_note", "--style-weights", "0.7,0.3", "--alpha", "0.8", "--size", "48",
        "--fps", "4", "--style-size", "64", "--preserve-color", "--weights-dir", weights_dir,
        "--device", "cpu",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = probe(out.read_bytes())
    assert (info.width, info.height, info.frames, info.has_audio) == (48, 48, 4, True)
    assert "video_note, 48×48, 4 frames" in result.stdout


def test_a_broken_clip_fails_with_one_line(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"not a video at all")
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64, 2), "PNG"))
    result = run(
        tmp_path / "clip.mp4", tmp_path / "a.png", "-o", tmp_path / "o.mp4",
        "--weights-dir", weights_dir, "--device", "cpu",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'clip.mp4'}: the file is not a video FFmpeg can open"
    )
    assert not (tmp_path / "o.mp4").exists()


def test_missing_weights_name_the_fetch_command(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(clips.video(frames=2))
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64, 2), "PNG"))
    result = run(
        tmp_path / "clip.mp4", tmp_path / "a.png", "-o", tmp_path / "o.mp4",
        "--weights-dir", tmp_path / "empty",
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "python -m model.weights fetch" in lines[0]


def test_a_blend_weight_of_one_or_more_fails_with_one_line(
    tmp_path: Path, weights_dir: Path
) -> None:
    (tmp_path / "clip.mp4").write_bytes(clips.video(frames=2))
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64, 2), "PNG"))
    result = run(
        tmp_path / "clip.mp4", tmp_path / "a.png", "-o", tmp_path / "o.mp4", "--blend", "1",
        "--weights-dir", weights_dir, "--device", "cpu",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "error: blend must lie in [0, 1), got 1.0"
    assert not (tmp_path / "o.mp4").exists()
