"""The shared work pool: bounded concurrency, one computation per key, abandoned queued
work cancelled, failures not kept, a bounded number of results."""

from __future__ import annotations

import threading
import time

import pytest

from core.workpool import WorkPool


def _gate():
    """A computation that runs until released, counting how many run at once."""
    state = {"running": 0, "peak": 0, "calls": 0}
    release = threading.Event()
    lock = threading.Lock()

    def compute(report):
        with lock:
            state["running"] += 1
            state["calls"] += 1
            state["peak"] = max(state["peak"], state["running"])
        release.wait(10)
        report(1, 1)
        with lock:
            state["running"] -= 1
        return state["calls"]

    return state, release, compute


def _in_thread(target):
    out = {}

    def run():
        try:
            out["value"] = target()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            out["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_at_most_slots_run_at_once_and_the_rest_queue():
    pool = WorkPool(slots=2)
    state, release, compute = _gate()
    threads = [_in_thread(lambda i=i: pool.run(("key", i), compute)) for i in range(6)]
    time.sleep(0.5)
    assert state["running"] == 2 and pool.queued() == 4
    release.set()
    for thread, out in threads:
        thread.join(10)
        assert "value" in out
    assert state["peak"] == 2 and state["calls"] == 6


def test_the_same_key_is_computed_once_for_many_waiters():
    pool = WorkPool(slots=2)
    state, release, compute = _gate()
    threads = [_in_thread(lambda: pool.run("same", compute)) for _ in range(5)]
    time.sleep(0.3)
    release.set()
    values = []
    for thread, out in threads:
        thread.join(10)
        values.append(out["value"])
    assert state["calls"] == 1 and values == [1] * 5
    assert pool.run("same", compute) == 1 and pool.cached("same")  # kept: no new call


def test_queued_work_nobody_waits_for_any_more_is_cancelled():
    pool = WorkPool(slots=1)
    state, release, compute = _gate()
    first, _ = _in_thread(lambda: pool.run("busy", compute))
    time.sleep(0.2)

    class Gone(Exception):
        pass

    def leave(_waiting):
        raise Gone  # what Streamlit does to a stale script run

    seen = []
    with pytest.raises(Gone):
        pool.run("stale", compute, on_wait=lambda w: (seen.append(w), leave(w)))
    assert seen[0].ahead == 0 and not seen[0].running  # it was queued, not running
    assert pool.queued() == 0 and not pool.cached("stale")
    release.set()
    first.join(10)
    time.sleep(0.2)
    assert state["calls"] == 1  # the abandoned request never ran


def test_failures_reach_the_waiter_and_are_retried_next_time():
    pool = WorkPool(slots=1)
    calls = []

    def fails(report):
        calls.append(1)
        raise ValueError("k is too large")

    for _ in range(2):
        with pytest.raises(ValueError, match="k is too large"):
            pool.run("bad", fails)
    assert len(calls) == 2 and not pool.cached("bad")


def test_results_kept_are_bounded():
    pool = WorkPool(slots=1, max_entries=3)
    for i in range(10):
        assert pool.run(i, lambda report, i=i: i * i) == i * i
    assert sum(pool.cached(i) for i in range(10)) == 3
    assert pool.cached(9) and not pool.cached(0)  # least recently used went first
