"""The OpenVINO engine of the CPU fast path against the plain float32 networks."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from model import openvino_engine as ov_engine
from model.fast import FastConfig
from model.sample_images import psnr
from model.stylizer import Stylizer
from tests.helpers import natural_image
from tests.model.agreement import CASES, plain_and_fast
from tests.model.test_fast_path import AGREEMENT_DB

pytestmark = pytest.mark.skipif(not ov_engine.available(), reason="openvino is not installed")

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def plain(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu", fast=False)


@pytest.fixture(scope="module")
def ov_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("openvino-cache")


@pytest.fixture(scope="module")
def openvino(plain: Stylizer, ov_cache: Path) -> Stylizer:
    """The CPU fast path on OpenVINO at this CPU's default precision (bf16 where it has it)."""
    config = FastConfig.for_device(CPU, engine="openvino", openvino_cache=ov_cache)
    return Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)


def test_openvino_is_the_cpu_default_where_installed() -> None:
    assert FastConfig.for_device(CPU).engine == "openvino"
    assert FastConfig.for_device(CPU, engine="torch").engine == "torch"
    # GPUs keep PyTorch: OpenVINO's CPU plugin is what is compiled here
    assert FastConfig.for_device(torch.device("cuda")).engine == "torch"


def test_the_engine_is_named_in_the_logs(openvino: Stylizer) -> None:
    precision = "bf16" if ov_engine.bf16_supported() else "f32"
    assert openvino.engine == f"fast openvino {precision}"


@pytest.mark.parametrize(("images", "size"), CASES)
def test_openvino_agrees_with_plain_at_40_db_on_photo_contrast_weights(
    plain: Stylizer, openvino: Stylizer, images: str, size: int
) -> None:
    # What this protects: the OpenVINO dB columns of docs/performance.md's tables and the
    # README's (bf16, `pytest -s` prints them; AMD EPYC Zen 4: generated 40.9 dB at 256 px and
    # 41.3 at 512, astronaut styled with coffee 43.4 at 256 px), with the margins of the
    # PyTorch engine's test (AGREEMENT_DB) for other bf16 CPUs; f32 agrees at about 80 dB.
    want, got = plain_and_fast(plain, openvino, images, size)
    assert got.size == want.size
    agreement = psnr(got, want)
    print(f"{openvino.engine} against plain, {images} {size} px: {agreement:.1f} dB")
    assert agreement >= AGREEMENT_DB[images]


@pytest.mark.parametrize("size", [(96, 64), (75, 53), (131, 64), (64, 200)])
def test_any_size_runs_on_one_compiled_model(
    plain: Stylizer, openvino: Stylizer, size: tuple[int, int]
) -> None:
    # odd sizes: ceil-mode pooling gives ⌈H/8⌉ × ⌈W/8⌉ features, as the plain encoder does
    img = natural_image(*size, seed=3)
    want, got = plain.encode(img), openvino.encode(img)
    assert got.shape == want.shape and got.dtype == torch.float32
    result = openvino.stylize(img, natural_image(80, 64, seed=2), content_size=0, style_size=0)
    assert result.size == size


def test_batches_and_tiles_run_on_openvino(plain: Stylizer, ov_cache: Path) -> None:
    # clips go through the encoder in batches, large images in tiles
    config = FastConfig.for_device(CPU, engine="openvino", openvino_cache=ov_cache)
    tiled = Stylizer(
        plain.encoder, plain.decoder, CPU, fast_config=config, tile_above=96 * 96, tile_size=64
    )
    encoder, _ = tiled.networks
    frames = torch.rand(3, 3, 48, 64)
    assert encoder(frames).shape == (3, 512, 6, 8)
    content, style = natural_image(200, 136, seed=1), natural_image(96, 96, seed=2)
    want = plain.stylize(content, style, content_size=0, style_size=0)
    got = tiled.stylize(content, style, content_size=0, style_size=0)
    assert got.size == want.size == (200, 136)
    assert psnr(got, want) >= 30  # tiles decode their margins apart, so not the plain image


def test_converted_networks_are_kept_for_the_next_start(plain: Stylizer, tmp_path: Path) -> None:
    config = FastConfig.for_device(CPU, engine="openvino", openvino_cache=tmp_path)
    first = Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)
    saved = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xml")
    assert len(saved) == 2  # the encoder and the decoder, keyed by the weights
    again = Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".xml") == saved
    img = natural_image(64, 48, seed=5)
    assert torch.equal(first.encode(img), again.encode(img))


def test_other_weights_are_converted_anew(plain: Stylizer, tmp_path: Path) -> None:
    config = FastConfig.for_device(CPU, engine="openvino", openvino_cache=tmp_path)
    Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)
    other = copy.deepcopy(plain.decoder)  # the same layers with other weights
    other.load_state_dict({k: v * 0.5 for k, v in plain.decoder.state_dict().items()})
    Stylizer(plain.encoder, other, CPU, fast_config=config)
    assert len([p for p in tmp_path.iterdir() if p.suffix == ".xml"]) == 3  # a new decoder


# A child process: the networks of two stylizers freed in the order they were made, as the
# garbage collector may free them, then a signal with a Python handler, whose frame the kernel
# puts on the thread's alternate signal stack. Where that stack was left pointing into memory
# OpenVINO had freed, the process dies of SIGSEGV here (or its heap is silently corrupted).
_STYLIZERS_COME_AND_GO = """
import gc, os, signal, sys
from pathlib import Path
import torch
from model import Stylizer
from model.fast import FastConfig
from tests.helpers import natural_image
from tests.model.agreement import CASES, plain_and_fast

weights, cache = Path(sys.argv[1]), Path(sys.argv[2])
plain = Stylizer.from_dir(weights, device="cpu", fast=False)
config = FastConfig.for_device(torch.device("cpu"), engine="openvino", openvino_cache=cache)
first = Stylizer(plain.encoder, plain.decoder, torch.device("cpu"), fast_config=config)
second = Stylizer(plain.encoder, plain.decoder, torch.device("cpu"), fast_config=config)
img = natural_image(48, 32, seed=1)
first.encode(img), second.encode(img)
del first
gc.collect()
del second
gc.collect()
handled = []
signal.signal(signal.SIGUSR1, lambda signum, frame: handled.append(signum))
for _ in range(3):
    os.kill(os.getpid(), signal.SIGUSR1)
third = Stylizer(plain.encoder, plain.decoder, torch.device("cpu"), fast_config=config)
third.stylize(img, natural_image(32, 32, seed=2), content_size=0, style_size=0)
print("handled", len(handled))
"""


def test_a_process_survives_signals_after_openvino_stylizers_come_and_go(
    weights_dir: Path, ov_cache: Path
) -> None:
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _STYLIZERS_COME_AND_GO, str(weights_dir), str(ov_cache)],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.split()[-2:] == ["handled", "3"]


def test_bf16_conversion_takes_kernels_that_round_exactly(plain: Stylizer) -> None:
    # OpenVINO rounds float32 kernels to bf16 itself; given ones rounded with error feedback,
    # it keeps them exactly, and the public networks stay as they were
    before = {k: v.clone() for k, v in plain.decoder.state_dict().items()}
    rounded = ov_engine.bf16_rounded(plain.decoder)
    kernels = [m.weight for m in rounded.modules() if isinstance(m, torch.nn.Conv2d)]
    assert kernels and all(w.dtype == torch.float32 for w in kernels)
    assert all(torch.equal(w, w.to(torch.bfloat16).float()) for w in kernels)
    nearest = [m.weight for m in plain.decoder.modules() if isinstance(m, torch.nn.Conv2d)]
    pairs = zip(kernels, nearest, strict=True)
    assert any(not torch.equal(w, n.to(torch.bfloat16).float()) for w, n in pairs)
    assert all(torch.equal(v, before[k]) for k, v in plain.decoder.state_dict().items())
