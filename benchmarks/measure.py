"""Shared measuring tools of the benchmarks: repeated timings, peak memory, the machine.

A benchmark measures and prints; nothing here decides whether a figure is good.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Timing:
    """Seconds of repeated runs of one piece of work."""

    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    def rate(self, count: int) -> tuple[float, float, float]:
        """Items per second: (median, min, max) — min comes from the slowest run."""
        return count / self.median, count / self.high, count / self.low


def time_runs(work: Callable[[], object], repeats: int, warmup: int = 1) -> Timing:
    """Run ``work`` ``warmup`` times untimed, then ``repeats`` times timed."""
    for _ in range(warmup):
        work()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return Timing(seconds)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_memory() -> bool:
    """Start a new peak-RSS window (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_memory_mb() -> float:
    """Peak resident memory of this process since the last reset, in MB (VmHWM)."""
    return _status_kib("VmHWM") / 1024


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    """What the results were measured on: CPU, cores, memory and library versions."""
    import numpy
    import open_clip
    import scipy
    import sklearn
    import torch

    try:
        import umap

        umap_version = umap.__version__ if hasattr(umap, "__version__") else "installed"
    except ImportError:
        umap_version = "not installed"
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- CPU: {cpu_name()}, {cores} cores usable, {memory_gb:.0f} GiB memory; "
        f"torch threads {torch.get_num_threads()}",
        f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        f"- torch {torch.__version__}, open_clip {open_clip.__version__}, numpy "
        f"{numpy.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"umap-learn {umap_version}, numba {installed('numba')}, "
        f"onnxruntime {installed('onnxruntime')}, streamlit {installed('streamlit')}",
    ]
