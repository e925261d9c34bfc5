"""Heavy work shared by many users of one server: bounded, deduplicated, abandonable.

A :class:`WorkPool` runs expensive computations (map fits, method comparisons, pixel
transfers) on a fixed number of worker threads, so a class clicking at once queues
instead of starting dozens of fits on two cores. Results are kept by key (least recently
used first out): a second user asking for the same key waits for the same computation
or takes the stored result. A request whose every waiter has gone (a user changed the
setting again) is cancelled while still queued, so stale work does not pile up.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

Progress = Callable[[int, int], None]


@dataclass
class Job:
    """One computation: its future, how many requests wait for it, and its progress."""

    future: Future
    waiters: int = 0
    done: int = 0
    total: int = 0
    started: threading.Event = field(default_factory=threading.Event)

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total


@dataclass
class Waiting:
    """What a waiting request can show: its place in the queue, or the job's progress."""

    ahead: int  # queued jobs submitted before this one (0 once running)
    running: bool
    done: int
    total: int


def default_slots() -> int:
    """``$EMOTION_ATLAS_WORKERS``, else half the CPUs this process may use (at least 1)."""
    configured = os.environ.get("EMOTION_ATLAS_WORKERS")
    if configured and configured.isdigit() and int(configured) > 0:
        return int(configured)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // 2)


class WorkPool:
    """Run ``compute(report)`` for a key on at most ``slots`` threads; keep ``max_entries``.

    Parameters
    ----------
    slots : int
        Computations running at the same time.
    max_entries : int
        Finished results kept (least recently used dropped first).
    """

    def __init__(self, slots: int | None = None, max_entries: int = 32) -> None:
        self.slots = slots or default_slots()
        self.max_entries = max_entries
        self._executor = ThreadPoolExecutor(self.slots, thread_name_prefix="heavy-work")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._queue: list[Job] = []  # submitted, not started, in order

    def run(
        self,
        key: Hashable,
        compute: Callable[[Progress], object],
        *,
        on_wait: Callable[[Waiting], None] | None = None,
        poll: float = 0.3,
    ):
        """The result of ``compute`` for ``key``, computed at most once at a time.

        ``on_wait`` is called every ``poll`` seconds while the result is not ready; an
        exception it raises (e.g. Streamlit stopping a stale script run) abandons the wait.
        Exceptions of ``compute`` reach every waiter and are not kept.
        """
        job = self._join(key, compute)
        try:
            while True:
                try:
                    return job.future.result(timeout=poll)
                except FutureTimeout:
                    if on_wait is not None:
                        on_wait(self._state(job))
                except CancelledError:  # cancelled by other leavers just as we joined
                    job = self._join(key, compute, leave=job)
        finally:
            self._leave(key, job)

    def _join(self, key, compute, leave: Job | None = None) -> Job:
        with self._lock:
            if leave is not None:
                leave.waiters -= 1
            job = self._jobs.get(key)
            failed = (
                job is not None
                and job.future.done()
                and (job.future.cancelled() or job.future.exception() is not None)
            )
            if job is None or failed:
                job = Job(Future())
                job.future = self._executor.submit(self._work, job, compute)
                self._jobs[key] = job
                self._queue.append(job)
            self._jobs.move_to_end(key)
            job.waiters += 1
            self._trim()
            return job

    def _work(self, job: Job, compute):
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
        job.started.set()
        return compute(job.report)

    def _leave(self, key, job: Job) -> None:
        with self._lock:
            job.waiters -= 1
            if job.waiters <= 0 and not job.started.is_set() and job.future.cancel():
                if job in self._queue:
                    self._queue.remove(job)
                if self._jobs.get(key) is job:
                    del self._jobs[key]
            future = job.future
            failed = future.done() and not future.cancelled() and future.exception() is not None
            if failed and self._jobs.get(key) is job and job.waiters <= 0:
                del self._jobs[key]  # failures are not kept: the next request retries

    def _state(self, job: Job) -> Waiting:
        with self._lock:
            ahead = self._queue.index(job) if job in self._queue else 0
        return Waiting(ahead, job.started.is_set(), job.done, job.total)

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.future.done() and j.waiters <= 0]
        while len(self._jobs) > self.max_entries and finished:
            del self._jobs[finished.pop(0)]

    def queued(self) -> int:
        """Jobs waiting for a free slot."""
        with self._lock:
            return len(self._queue)

    def cached(self, key: Hashable) -> bool:
        """Whether a finished result for ``key`` is kept."""
        with self._lock:
            job = self._jobs.get(key)
            return bool(job and job.future.done() and not job.future.cancelled())
