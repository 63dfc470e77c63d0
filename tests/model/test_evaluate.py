"""`python -m model.evaluate`: every content × style pair, two decoders side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from model.random_weights import write_random_weights
from model.training.evaluate import main
from model.weights.load import DECODER_FILE, VGG_FILE
from tests.helpers import natural_image


def test_report_covers_every_pair_for_each_decoder(
    weights_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, seed in (("content", 0), ("style", 20)):
        (tmp_path / kind).mkdir()
        for i in range(2):
            natural_image(80 + 16 * i, 64, seed=seed + i).save(tmp_path / kind / f"{i}.png")
    other = write_random_weights(tmp_path / "other", seed=1) / DECODER_FILE
    out = tmp_path / "report"
    main([
        "--content-dir", str(tmp_path / "content"), "--style-dir", str(tmp_path / "style"),
        "--vgg", str(weights_dir / VGG_FILE), "--decoder", str(weights_dir / DECODER_FILE),
        "--decoder", str(other), "--device", "cpu", "--size", "64", "--out", str(out),
    ])  # fmt: skip

    report = json.loads((out / "report.json").read_text())
    assert len(report["decoders"]) == 2
    for entry in report["decoders"]:
        assert len(entry["pairs"]) == 4
        assert {(Path(p["content"]).name, Path(p["style"]).name) for p in entry["pairs"]} == {
            ("0.png", "0.png"), ("0.png", "1.png"), ("1.png", "0.png"), ("1.png", "1.png")
        }  # fmt: skip
        assert entry["content_loss"] > 0 and entry["style_loss"] > 0
        assert entry["seconds_per_pair"] > 0
        with Image.open(entry["grid"]) as grid:  # a header row and column around 2 × 2 outputs
            assert grid.size == (3 * 256, 3 * 256)
    a, b = report["decoders"]
    assert a["content_loss"] != b["content_loss"]

    table = capsys.readouterr().out
    header = table.splitlines()[0]
    assert a["label"] in header and b["label"] in header  # side by side
    assert "content loss" in table and "style loss" in table and "seconds per pair" in table
