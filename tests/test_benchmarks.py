"""The benchmark script runs end to end in quick mode and writes every section's table.

Nothing here checks a timing: only that the run completes and reports what it measured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import peak_memory_mb, reset_peak_memory, time_runs  # noqa: E402


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path):
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Goals",
        "## 1. Encoding speed",
        "## 1b. Pipeline overhead",
        "## 2. CPU speed-ups",
        "## 3. Embedding cache",
        "## 4. Projection scaling",
    ):
        assert heading in text
    assert "Quick mode" in text and "torch " in text
    goals = [line for line in text.split("## 1.")[0].splitlines() if line.startswith("| ")][1:]
    verdicts = [row.rstrip(" |").rsplit("|", 1)[1].strip() for row in goals]
    assert len(goals) >= 4 and set(verdicts) <= {"reached", "**not reached**", "see note"}
    encoding = text.split("## 1. Encoding speed")[1].split("##")[0]
    rows = [line for line in encoding.splitlines() if line.startswith("| pocket")]
    assert [row.split("|")[2].strip() for row in rows] == ["1", "16", "64"]


def test_unknown_section_is_refused():
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--only", "encodings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown sections ['encodings']" in done.stderr


def test_peak_memory_sees_a_large_allocation():
    if not reset_peak_memory():
        pytest.skip("no /proc/self/clear_refs: the benchmark then reports the process peak")
    before = peak_memory_mb()
    block = np.ones(40_000_000)  # 320 MB, touched
    assert peak_memory_mb() - before > 250
    del block


def test_time_runs_counts_its_repeats():
    calls = []
    timing = time_runs(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and len(timing.seconds) == 3
    assert timing.low <= timing.median <= timing.high
