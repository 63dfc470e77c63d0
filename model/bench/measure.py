"""How the benchmarks measure: interleaved timed runs, peak memory, and the machine's name."""

from __future__ import annotations

import ctypes
import gc
import resource
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor


class PeakMemory:
    """Peak memory of the block above the memory in use when it starts, in MiB.

    CUDA: the caching allocator's peak. CPU: resident set size sampled every millisecond
    (glibc's cached free memory is handed back first, so that earlier, larger runs do not hide
    this one's allocations); a transient shorter than the sampling interval can be missed.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.mib = 0.0
        self._stop = threading.Event()
        self._peak = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            _trim_malloc()
            self._base = self._peak = rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self._peak = max(self._peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            assert self._thread is not None
            self._thread.join()
            peak = max(self._peak, rss_bytes())
        self.mib = (peak - self._base) / 2**20


def rss_bytes() -> int:
    """The process's resident set size now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _trim_malloc() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the peak may then read low
        pass


def sync(device: torch.device) -> None:
    """Wait for the device's queued work, so that a timer sees it done."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Timing:
    ms: list[float]
    peak_mib: float
    output: Tensor

    @property
    def median(self) -> float:
        return statistics.median(self.ms)


def compare(
    runs: Mapping[str, Callable[[], Tensor]], repeats: int, device: torch.device
) -> dict[str, Timing]:
    """Run each callable once untimed (memory, output), then `repeats` times interleaved."""
    out: dict[str, Timing] = {}
    for name, fn in runs.items():
        with PeakMemory(device) as peak:
            result = fn()
            sync(device)
        out[name] = Timing([], peak.mib, result.clone())  # later runs may reuse its memory
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            sync(device)
            out[name].ms.append((time.perf_counter() - start) * 1000)
    return out


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model and the threads torch uses."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        model = "CPU"
    return f"{model}, {torch.get_num_threads()} threads"
