"""Weight files in the public layout load; anything else is refused with one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model import Stylizer, WeightsError
from model.networks import build_decoder, build_vgg
from model.random_weights import write_random_weights
from model.weights.load import load_into


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_public_layout_loads_in_both_serialisations(tmp_path: Path, legacy: bool) -> None:
    folder = write_random_weights(tmp_path, seed=3, legacy=legacy)
    with (folder / "decoder.pth").open("rb") as f:
        head = f.read(4)
    assert (head == b"PK\x03\x04") != legacy  # the file really is in the asked format
    stylizer = Stylizer.from_dir(folder, device="cpu")
    saved = torch.load(folder / "decoder.pth", weights_only=True)
    for key, value in saved.items():
        assert torch.equal(stylizer.decoder.state_dict()[key].cpu(), value)
    vgg = torch.load(folder / "vgg_normalised.pth", weights_only=True)
    assert len(vgg) == 2 * 17  # 1×1 conv + 16 3×3 convs, weight and bias each
    assert torch.equal(stylizer.encoder.stages["relu4_1"][11].weight.cpu(), vgg["29.weight"])


def test_public_parameter_counts() -> None:
    assert sum(p.numel() for p in build_vgg().parameters()) == 20_024_396
    assert sum(p.numel() for p in build_decoder().parameters()) == 3_505_219


def test_wrong_shape_is_named(tmp_path: Path) -> None:
    state = build_decoder().state_dict()
    state["14.weight"] = torch.zeros(128, 256, 1, 1)
    torch.save(state, tmp_path / "decoder.pth")
    with pytest.raises(WeightsError) as err:
        load_into(build_decoder(), tmp_path / "decoder.pth")
    assert "'14.weight'" in str(err.value)
    assert "(128, 256, 1, 1)" in str(err.value) and "(128, 256, 3, 3)" in str(err.value)


def test_missing_key_is_named(tmp_path: Path) -> None:
    state = build_vgg().state_dict()
    del state["42.bias"]
    torch.save(state, tmp_path / "vgg_normalised.pth")
    with pytest.raises(WeightsError, match=r"lacks the tensor '42\.bias'"):
        load_into(build_vgg(), tmp_path / "vgg_normalised.pth")


def test_unexpected_key_and_swapped_files_are_refused(tmp_path: Path) -> None:
    state = build_decoder().state_dict()
    state["29.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "decoder.pth")
    with pytest.raises(WeightsError, match="unexpected tensor '29.weight'"):
        load_into(build_decoder(), tmp_path / "decoder.pth")
    # the encoder file given as the decoder: the first key the decoder needs is not there
    write_random_weights(tmp_path / "w")
    with pytest.raises(WeightsError, match="decoder.pth|vgg_normalised.pth"):
        load_into(build_decoder(), tmp_path / "w" / "vgg_normalised.pth")


def test_garbage_file_is_refused_in_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "decoder.pth").write_bytes(b"<html>Not Found</html>")
    with pytest.raises(WeightsError) as err:
        load_into(build_decoder(), tmp_path / "decoder.pth")
    assert "decoder.pth is not a readable PyTorch weight file" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_files_name_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="python -m model.weights fetch"):
        Stylizer.from_dir(tmp_path, device="cpu")
