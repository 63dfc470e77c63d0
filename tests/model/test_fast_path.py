"""The fast path (the default) against the plain float32 networks, and the benchmark command."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from model import fast as fast_module
from model import fused as fused_module
from model import openvino_engine
from model.bench.__main__ import main as bench_main
from model.fast import FastConfig, build_fast
from model.fused import fuse_layers, round_weight
from model.images import to_tensor
from model.networks import Encoder, build_decoder
from model.random_weights import random_networks
from model.sample_images import psnr
from model.stylizer import Stylizer
from tests.helpers import natural_image
from tests.model.agreement import CASES, plain_and_fast

CPU = torch.device("cpu")
# The least a bf16 fast engine must agree with the plain path, by the images of the case: see
# test_fast_agrees_with_plain_at_40_db_on_photo_contrast_weights for what it protects.
AGREEMENT_DB = {"generated": 39.5, "photos": 42.0}


@pytest.fixture(scope="module")
def plain(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu", fast=False)


@pytest.fixture(scope="module")
def fast(weights_dir: Path) -> Stylizer:
    return Stylizer.from_dir(weights_dir, device="cpu")


def test_the_fast_path_is_the_default_and_plain_can_be_forced(
    fast: Stylizer, plain: Stylizer
) -> None:
    assert fast.fast_config is not None and fast.engine.startswith("fast")
    assert plain.fast_config is None and plain.engine == "plain float32"


@pytest.mark.parametrize(
    ("size", "alpha"), [((96, 72), 1.0), ((75, 53), 0.6), ((131, 64), 1.0), ((64, 200), 0.3)]
)
def test_fast_agrees_with_plain(
    plain: Stylizer, fast: Stylizer, size: tuple[int, int], alpha: float
) -> None:
    content, style = natural_image(*size, seed=1), natural_image(80, 64, seed=2)
    want = plain.stylize(content, style, alpha=alpha, content_size=0, style_size=0)
    got = fast.stylize(content, style, alpha=alpha, content_size=0, style_size=0)
    assert got.size == want.size == size
    assert psnr(got, want) >= 35
    assert np.asarray(got).std() > 10  # a real picture, not a flat frame


@pytest.fixture(scope="module")
def fast_torch(plain: Stylizer) -> Stylizer:
    """The fused torch networks of `model.fast` with this CPU's defaults (bf16 where oneDNN
    has it), whatever else `Stylizer` may pick by default."""
    config = FastConfig.for_device(CPU, engine="torch")
    return Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)


@pytest.mark.parametrize(("images", "size"), CASES)
def test_fast_agrees_with_plain_at_40_db_on_photo_contrast_weights(
    plain: Stylizer, fast_torch: Stylizer, images: str, size: int
) -> None:
    # The random weights' decoder gives a photo's contrast (model.random_weights), which a
    # flat picture would hide. What this protects: the dB columns of docs/performance.md's
    # tables and the README's (bf16, `pytest -s` prints them; AMD EPYC Zen 4 and Zen 5,
    # AVX-512 BF16: generated 40.7 dB at 256 px and 41.0 at 512, astronaut styled with coffee
    # 43.3 at 256 px), and error-feedback rounding: with the weights rounded to the nearest
    # bf16 instead the same cases gave 39.1, 39.4 and 41.5 dB. The bounds leave 1.2–1.3 dB
    # for other bf16 CPUs' kernels; float32 CPUs agree at about 80 dB.
    want, got = plain_and_fast(plain, fast_torch, images, size)
    agreement = psnr(got, want)
    print(f"{fast_torch.engine} against plain, {images} {size} px: {agreement:.1f} dB")
    assert agreement >= AGREEMENT_DB[images]


def test_weights_are_rounded_with_error_feedback() -> None:
    torch.manual_seed(0)
    weight = torch.randn(64, 32, 3, 3, dtype=torch.float64) * 0.05  # (O, C, kh, kw)
    fed = round_weight(weight, torch.bfloat16)
    nearest = weight.to(torch.bfloat16)
    assert fed.dtype == torch.bfloat16 and fed.shape == weight.shape
    # every weight within one unit in the last place (bf16: 8 significant bits) of its
    # kernel's largest weight, since it carries at most half of one from the tap before …
    largest = weight.abs().amax(dim=(2, 3), keepdim=True)  # (O, C, 1, 1)
    ulp = 2.0 ** (torch.floor(torch.log2(largest)) - 7)
    assert ((fed.double() - weight).abs() <= ulp).all()

    # … and each kernel's sum, what it applies to a smooth input, far closer than by rounding
    # every weight to the nearest value
    def sum_error(w: torch.Tensor) -> float:
        return (w.double() - weight).sum(dim=(2, 3)).square().mean().sqrt().item()

    assert sum_error(fed) < 0.5 * sum_error(nearest)  # measured: 0.35 (one error, not nine)
    assert torch.equal(round_weight(weight, torch.bfloat16, error_feedback=False), nearest)


@pytest.mark.skipif(
    not torch.ops.mkldnn._is_mkldnn_bf16_supported(), reason="needs oneDNN bf16 on this CPU"
)
def test_chosen_convolutions_run_in_float32_among_bf16_ones(plain: Stylizer) -> None:
    config = FastConfig.for_device(
        CPU, dtype=torch.bfloat16, channels_last=True, compile=False, engine="torch"
    )
    config = replace(config, float32_encoder=(0,), float32_decoder=(-1,))
    mixed = Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)
    enc, dec = mixed.networks
    dtypes = [
        [m.weight.dtype for m in net.layers if isinstance(m, fused_module.FrozenConv)]
        for net in (enc, dec)
    ]
    assert dtypes[0] == [torch.float32] + [torch.bfloat16] * 8
    assert dtypes[1] == [torch.bfloat16] * 8 + [torch.float32]
    content, style = natural_image(96, 80, seed=12), natural_image(80, 80, seed=13)
    with torch.inference_mode():
        assert dec(enc(to_tensor(content)).float()).dtype == torch.float32
    want = plain.stylize(content, style, content_size=0, style_size=0)
    got = mixed.stylize(content, style, content_size=0, style_size=0)
    assert psnr(got, want) >= 35


def test_style_mixes_agree_too(plain: Stylizer, fast: Stylizer) -> None:
    content = natural_image(88, 64, seed=3)
    styles = [(natural_image(64, 64, seed=4), 0.7), (natural_image(72, 56, seed=5), 0.3)]
    want = plain.stylize(content, styles, content_size=0, style_size=0, preserve_color=True)
    got = fast.stylize(content, styles, content_size=0, style_size=0, preserve_color=True)
    assert psnr(got, want) >= 35


def test_the_steps_keep_their_contract_on_the_fast_path(fast: Stylizer) -> None:
    # The worker caches encode() and style_stats() results and calls render() on them.
    content, style = natural_image(77, 45, seed=6), natural_image(64, 64, seed=7)
    feat = fast.encode(content)
    mean, std = fast.style_stats(style)
    assert feat.dtype == mean.dtype == std.dtype == torch.float32
    assert feat.shape == (1, 512, 6, 10) and mean.shape == std.shape == (1, 512, 1, 1)
    rendered = fast.render(feat, [(mean, std)], [1.0], 0.8, content.size)
    direct = fast.stylize(content, style, alpha=0.8, content_size=0, style_size=0)
    assert np.array_equal(np.asarray(rendered), np.asarray(direct))


def test_fusing_and_folding_are_exact_in_float32() -> None:
    vgg, decoder = random_networks(seed=3)
    encoder = Encoder(vgg).eval()
    config = FastConfig(dtype=torch.float32, channels_last=True, compile=False)
    fast_enc, fast_dec = build_fast(encoder, decoder.eval(), CPU, config)
    x = torch.rand(2, 3, 45, 61)  # (N, 3, H, W), odd sizes for ceil-mode pooling
    with torch.inference_mode():
        want, got = encoder(x), fast_enc(x)
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())
        want, got = decoder(want), fast_dec(want)
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("onednn", [False, True], ids=["conv2d", "onednn"])
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "channels-last"])
def test_both_kinds_of_fused_layer_agree(onednn: bool, channels_last: bool) -> None:
    # conv2d + in-place ReLU is what CUDA and float32 CPUs run; oneDNN's fused primitive is
    # what bf16 CPUs run. Check both in float32 here, whichever this CPU picks by default.
    torch.manual_seed(0)
    decoder = build_decoder().eval()
    fused = fuse_layers(list(decoder.children()), torch.float32, channels_last, onednn)
    layers = torch.nn.Sequential(*fused)
    x = torch.randn(1, 512, 5, 7)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        torch.testing.assert_close(layers(x), decoder(x), rtol=1e-4, atol=1e-5)
    assert all(getattr(m, "onednn", onednn) == onednn for m in layers)
    assert len(layers) == 9  # 9 convolutions, 3 of them with the upsampling before them


def test_cuda_defaults_are_chosen_without_touching_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    config = FastConfig.for_device(torch.device("cuda"))
    assert config.dtype == torch.float16 and config.compile and config.channels_last
    # Without a C compiler Triton cannot build kernels: compile is off by default, not a crash.
    monkeypatch.setattr(fast_module.shutil, "which", lambda name: None)
    assert not FastConfig.for_device(torch.device("cuda")).compile
    assert FastConfig.for_device(torch.device("cuda"), compile=True).compile
    assert FastConfig.for_device(CPU, dtype=torch.float32).dtype == torch.float32


class GraphCounter:
    """A torch.compile backend that records each graph it is given and runs it as traced."""

    def __init__(self) -> None:
        self.graphs: list[list[tuple[int, ...]]] = []

    def __call__(self, gm: torch.fx.GraphModule, inputs: list[object]) -> object:
        self.graphs.append([tuple(getattr(t, "shape", ())) for t in inputs])
        return gm.forward


@pytest.fixture
def cuda_config(monkeypatch: pytest.MonkeyPatch) -> FastConfig:
    """The configuration a GPU gets by default (a C compiler present), minus the device."""
    monkeypatch.setattr(fast_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    torch._dynamo.reset()
    yield FastConfig.for_device(torch.device("cuda"))
    torch._dynamo.reset()


def test_the_cuda_configuration_agrees_with_plain_float32_at_the_gpu_target(
    plain: Stylizer, cuda_config: FastConfig
) -> None:
    # The GPU's default is fp16 on the generic (non-oneDNN) layers; run that on the CPU. The
    # GPU path must agree with the float32 baseline at 40 dB.
    eager = replace(cuda_config, compile=False)
    fp16 = Stylizer(plain.encoder, plain.decoder, CPU, fast_config=eager)
    assert fp16.engine == "fast float16 channels-last"
    layers = [m for net in fp16.networks for m in net.modules()]
    assert not any(getattr(m, "onednn", False) for m in layers)  # conv2d + ReLU, as on CUDA
    content, style = natural_image(120, 88, seed=8), natural_image(96, 96, seed=9)
    want = plain.stylize(content, style, content_size=0, style_size=0)
    got = fp16.stylize(content, style, content_size=0, style_size=0)
    assert psnr(got, want) >= 40


def test_after_warm_up_the_cuda_graphs_serve_any_size_without_compiling_again(
    plain: Stylizer, cuda_config: FastConfig
) -> None:
    # What torch.compile sees on a GPU: the same modules, the same `dynamic` policy. Each net
    # must trace as one graph (a graph break would split it: more graphs, more launches), the
    # warm-up must leave symbolic sizes behind, and a new aspect ratio must reuse them.
    counter = GraphCounter()
    config = replace(cuda_config, backend=counter)
    stylizer = Stylizer(plain.encoder, plain.decoder, CPU, fast_config=config)
    assert stylizer.engine == "fast float16 channels-last compiled"
    stylizer.warm_up(size=64)
    assert len(counter.graphs) == 4  # encoder and decoder, each static then symbolic
    assert any(shape == () for shape in counter.graphs[-1])  # sizes passed as symbols
    content, style = natural_image(101, 47, seed=10), natural_image(70, 90, seed=11)
    got = stylizer.stylize(content, style, content_size=0, style_size=0)
    assert len(counter.graphs) == 4, "a new image size compiled again after warm-up"
    want = plain.stylize(content, style, content_size=0, style_size=0)
    assert got.size == (101, 47) and psnr(got, want) >= 40


def test_compiled_pools_equal_ceil_mode_and_compile_once_for_any_parity() -> None:
    # Inductor lowers a ceil-mode pool with a guard on the size's parity: the encoder, with
    # three pools, recompiled for each new parity class of photo sizes. The compiled fast
    # path's pools must give the same result without that guard. The encoder's own pools, in
    # its own order, compiled by inductor (seconds: no convolutions in this graph).
    vgg, decoder = random_networks(seed=4)
    encoder = Encoder(vgg).eval()
    config = FastConfig(dtype=torch.float32, channels_last=True, compile=False)
    fast_eager, _ = build_fast(encoder, decoder.eval(), CPU, config)
    eager_pools = [m for m in fast_eager.layers if isinstance(m, torch.nn.MaxPool2d)]
    assert len(eager_pools) == 3 and all(m.ceil_mode for m in eager_pools)  # kept eagerly
    fast_enc, _ = build_fast(encoder, decoder.eval(), CPU, replace(config, compile=True))
    pools = [m for m in fast_enc._orig_mod.layers if isinstance(m, fused_module.CeilPool)]
    assert len(pools) == 3 and not any(
        isinstance(m, torch.nn.MaxPool2d) for m in fast_enc._orig_mod.layers
    )
    net = torch.nn.Sequential(*[m for p in pools for m in (p, torch.nn.ReLU())])
    torch._dynamo.reset()
    compiled = torch.compile(net, dynamic=None)
    unique_graphs = torch._dynamo.utils.counters["stats"]
    before = unique_graphs["unique_graphs"]
    with torch.inference_mode():
        for h, w in [(64, 64), (56, 93), (101, 37), (48, 161), (301, 300), (77, 255)]:
            x = torch.randn(1, 4, h, w).contiguous(memory_format=torch.channels_last)
            want = x
            for _ in pools:
                want = torch.relu(F.max_pool2d(want, 2, 2, ceil_mode=True))
            assert torch.equal(compiled(x), want)
    torch._dynamo.reset()
    assert unique_graphs["unique_graphs"] - before == 2  # static, then symbolic: that is all


def test_warm_up_reports_its_cost(fast: Stylizer) -> None:
    assert fast.warm_up(size=64) > 0


def test_bench_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--sizes", "48,64", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "start-up" in out
    lines = out.splitlines()
    head = [c.strip() for c in next(line for line in lines if "plain ms" in line).split("|")]
    engines = ["torch", "openvino"] if openvino_engine.available() else ["torch"]
    for name in engines:  # each fast engine: its time, its speed-up and its agreement
        assert {f"{name} ms", f"{name} ×", f"{name} dB"} <= set(head)
    assert ("torch vs ov" in head) == openvino_engine.available()
    rows = [line for line in lines if line.strip().startswith(("48 px", "64 px"))]
    assert len(rows) == 2
    for row in rows:
        cells = dict(zip(head, (c.strip() for c in row.split("|")), strict=True))
        assert all(float(cells[f"{name} dB"]) >= 35 for name in engines)


def test_bench_memory_prints_the_peak(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["memory", "--megapixels", "0.05", "--tile-size", "128", "--tile-above", "0"]
    assert bench_main(args) == 0
    assert "peak RSS" in capsys.readouterr().out
