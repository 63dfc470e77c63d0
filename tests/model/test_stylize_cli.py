"""`python -m model.stylize`: an image file on success, one clear line on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.clips import make_clip, probe
from tests.helpers import image_bytes, natural_image


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "model.stylize", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_cli_writes_an_image_with_a_mix_of_styles(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "c.jpg").write_bytes(image_bytes(natural_image(90, 60, 1)))
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64, 2), "PNG"))
    (tmp_path / "b.png").write_bytes(image_bytes(natural_image(64, 64, 3), "PNG"))
    out = tmp_path / "out" / "result.png"
    result = run(
        tmp_path / "c.jpg", tmp_path / "a.png", tmp_path / "b.png", "-o", out,
        "--style-weights", "0.7,0.3", "--alpha", "0.8", "--preserve-color",
        "--content-size", "48", "--style-size", "64", "--weights-dir", weights_dir,
        "--device", "cpu",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (72, 48)


def test_missing_input_fails_with_one_line(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes(natural_image(64, 64), "PNG"))
    result = run(
        tmp_path / "none.jpg",
        tmp_path / "a.png",
        "-o",
        tmp_path / "o.jpg",
        "--weights-dir",
        weights_dir,
        "--device",
        "cpu",
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "none.jpg" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "o.jpg").exists()


def test_text_file_as_style_fails_with_one_line(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "c.jpg").write_bytes(image_bytes(natural_image(64, 64)))
    (tmp_path / "notes.jpg").write_text("not a picture")
    result = run(
        tmp_path / "c.jpg",
        tmp_path / "notes.jpg",
        "-o",
        tmp_path / "o.jpg",
        "--weights-dir",
        weights_dir,
        "--device",
        "cpu",
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: " + str(tmp_path / "notes.jpg") + (
        ": the file is not an image in a known format"
    )


def test_missing_weights_name_the_fetch_command(tmp_path: Path) -> None:
    (tmp_path / "c.jpg").write_bytes(image_bytes(natural_image(64, 64)))
    result = run(
        tmp_path / "c.jpg",
        tmp_path / "c.jpg",
        "-o",
        tmp_path / "o.jpg",
        "--weights-dir",
        tmp_path / "empty",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "python -m model.weights fetch" in lines[0]


def test_a_clip_is_stylized_into_a_clip_with_its_frame_count(
    tmp_path: Path, weights_dir: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(make_clip(2.0, 12, 96, 64, audio=True, seed=4))
    (tmp_path / "style.jpg").write_bytes(image_bytes(natural_image(64, 64, 5)))
    out = tmp_path / "out.mp4"
    result = run(clip, tmp_path / "style.jpg", "-o", out, "--content-size", "64",
                 "--style-size", "64", "--weights-dir", weights_dir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    made, source = probe(out.read_bytes()), probe(clip.read_bytes())
    assert abs(made.frames - source.frames) <= 1 and made.audio_seconds > 0
    assert min(made.width, made.height) == 64


def test_a_clip_named_as_a_picture_is_told_by_its_content(
    tmp_path: Path, weights_dir: Path
) -> None:
    clip = tmp_path / "holiday.jpg"  # a video, whatever its name says
    clip.write_bytes(make_clip(1.0, 8, 96, 64, seed=6))
    (tmp_path / "style.jpg").write_bytes(image_bytes(natural_image(64, 64, 7)))
    out = tmp_path / "out.mp4"
    result = run(clip, tmp_path / "style.jpg", "-o", out, "--content-size", "64",
                 "--style-size", "64", "--blend", "0", "--weights-dir", weights_dir,
                 "--device", "cpu")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert abs(probe(out.read_bytes()).frames - 8) <= 1


def test_clip_options_for_a_picture_fail_with_one_line(tmp_path: Path, weights_dir: Path) -> None:
    (tmp_path / "c.jpg").write_bytes(image_bytes(natural_image(64, 64)))
    result = run(tmp_path / "c.jpg", tmp_path / "c.jpg", "-o", tmp_path / "o.jpg",
                 "--fps", "12", "--weights-dir", weights_dir)  # fmt: skip
    assert result.returncode == 2 and "--fps" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o.jpg").exists()
