"""The OpenVINO engine: the encoder and decoder compiled by OpenVINO's CPU plugin.

On CPUs OpenVINO's convolutions (oneDNN inside, with its own kernel selection, layout
propagation and fused activations) run the AdaIN networks faster than eager PyTorch, float32
on CPUs without bf16 and bf16 on CPUs with it (`docs/performance.md` has the figures). The
public float32 networks (`model.networks`) are converted once, at start-up, encoder and decoder
as two separate models with dynamic batch, height and width, so that tiling, the feature
caches and the clip batches work on them as on the PyTorch networks. Each is compiled once;
OpenVINO keeps its kernels per shape after the first image of that shape.

Converting takes seconds (a trace of each network and OpenVINO's front end), so the converted
models are kept in a cache folder, named by a digest of the weights and the OpenVINO version:
the next start with the same weights reads them back. The compiled networks take and return
torch tensors (float32, NCHW, on the CPU): they slot in where `Stylizer` runs its fast networks.
`available()` says whether OpenVINO is installed.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    import openvino

log = logging.getLogger(__name__)

Precision = Literal["f32", "bf16"]


_core: openvino.Core | None = None
_core_lock = threading.Lock()


def core() -> openvino.Core:
    """The process's one OpenVINO `Core`, created at the first call and kept until exit.

    One, because OpenVINO's CPU plugin (one per `Core`) installs an alternate signal stack on
    the thread that creates it and puts back the one it found when it is destroyed. Plugins of
    several cores, destroyed in another order than they were made (as the garbage collector
    frees stylizers), leave that thread's alternate stack pointing into freed memory; the next
    signal handled there (a child process's SIGCHLD, where a handler is installed) writes its
    frame into the heap, and the process dies of SIGSEGV later. One core means one plugin, made
    once, whose stack stays valid for the life of the process.
    """
    global _core
    with _core_lock:
        if _core is None:
            import openvino as ov

            _core = ov.Core()
        return _core


def available() -> bool:
    """Whether the `openvino` package is installed."""
    return importlib.util.find_spec("openvino") is not None


def bf16_supported() -> bool:
    """Whether OpenVINO's CPU plugin runs bf16 on this CPU (AVX-512 BF16 or AMX)."""
    caps = core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "BF16" in caps


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/adain/openvino`, by default `~/.cache/adain/openvino`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "adain" / "openvino"


def default_precision() -> Precision:
    """bf16 where the CPU runs it natively, float32 elsewhere (as the PyTorch fast path)."""
    return "bf16" if bf16_supported() else "f32"


class OpenVINONet(nn.Module):
    """One compiled network: (N, C, H, W) float tensor in, float32 NCHW tensor out.

    An `nn.Module` without parameters, so `Stylizer` and tiling treat it like the PyTorch
    networks. Calls are serialised: one infer request serves one call at a time.
    """

    def __init__(self, compiled: openvino.CompiledModel, name: str) -> None:
        super().__init__()
        self.compiled = compiled
        self.name = name
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()

    def forward(self, x: Tensor) -> Tensor:
        import openvino as ov

        array = x.detach().to("cpu", torch.float32).contiguous().numpy()
        with self._lock:
            self._request.infer({0: ov.Tensor(array, shared_memory=True)})
            out = self._request.get_output_tensor(0).data
            return torch.from_numpy(out.copy())  # the request's buffer is reused next call


def weights_digest(module: nn.Module) -> str:
    """A digest of a network's weights (names, shapes and values), to name its converted model."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(str(tuple(tensor.shape)).encode())
        h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _convert(module: nn.Module, example: Tensor, channels: int) -> Any:
    import openvino as ov

    with torch.no_grad(), warnings.catch_warnings():
        # OpenVINO traces the module with TorchScript, which PyTorch now marks as deprecated
        warnings.simplefilter("ignore", FutureWarning)
        return ov.convert_model(
            module,
            example_input=example,
            input=[ov.PartialShape([-1, channels, -1, -1])],
            # Copy the weights: shared, the model's constants would point into tensors of the
            # trace, which PyTorch frees after the conversion (a crash, later, at inference).
            share_weights=False,
        )


def _model(
    module: nn.Module, name: str, example: Tensor, channels: int, cache: Path | None
) -> Any:
    """The converted model of `module`: read from `cache` where it was saved, else converted
    (and saved there; a cache that cannot be written only costs the conversion next time)."""
    import openvino as ov

    if cache is None:
        return _convert(module, example, channels)
    path = cache / f"{name}-{weights_digest(module)}-ov{ov.__version__.split('-')[0]}.xml"
    if path.is_file() and path.with_suffix(".bin").is_file():
        try:
            return core().read_model(path)
        except RuntimeError as exc:  # a partly written or foreign file: convert again
            log.warning("cannot read %s (%s); converting the %s again", path, exc, name)
    model = _convert(module, example, channels)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.xml")
        ov.save_model(model, tmp, compress_to_fp16=False)
        tmp.with_suffix(".bin").replace(path.with_suffix(".bin"))
        tmp.replace(path)  # the .xml last: it is what marks the pair complete
    except OSError as exc:
        log.warning("cannot keep the converted %s in %s: %s", name, cache, exc)
    return model


def bf16_rounded(module: nn.Module) -> nn.Module:
    """A copy of `module` whose convolution kernels are rounded to bf16 with error feedback
    (`model.fused.round_weight`), kept in float32: OpenVINO's own rounding of them to bf16 is
    then exact, and the kernels carry half the error that rounding each weight to the nearest
    bf16 value would add."""
    from model.fused import round_weight

    rounded = copy.deepcopy(module)
    with torch.no_grad():
        for layer in rounded.modules():
            if isinstance(layer, nn.Conv2d):
                layer.weight.copy_(round_weight(layer.weight, torch.bfloat16).float())
    return rounded


def build_openvino(
    encoder: nn.Module,
    decoder: nn.Module,
    precision: Precision | None = None,
    cache: Path | None = None,
    error_feedback: bool = True,
) -> tuple[OpenVINONet, OpenVINONet]:
    """(encoder, decoder) converted from the public float32 networks (or read back from
    `cache`) and compiled for the CPU at `precision` (default: `default_precision()`); in
    bf16, from kernels rounded with error feedback (`bf16_rounded`) unless `error_feedback`
    is False."""
    import openvino as ov

    precision = precision or default_precision()
    if precision == "bf16" and error_feedback:
        encoder, decoder = bf16_rounded(encoder.cpu()), bf16_rounded(decoder.cpu())
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "LATENCY",  # one image at a time, all cores on it
    }
    enc_model = _model(encoder.cpu().eval(), "encoder", torch.zeros(1, 3, 64, 64), 3, cache)
    dec_model = _model(decoder.cpu().eval(), "decoder", torch.zeros(1, 512, 8, 8), 512, cache)
    enc = OpenVINONet(core().compile_model(enc_model, "CPU", config), "encoder")
    dec = OpenVINONet(core().compile_model(dec_model, "CPU", config), "decoder")
    log.info("OpenVINO %s: encoder and decoder compiled (%s)", ov.__version__, precision)
    return enc, dec
