"""The background warm-up keeps out of the users' way: it starts when the server is quiet,
and no page imports while it does (two importing threads broke plotly once)."""

from __future__ import annotations

import threading
import time

from ui import frame, warmup


def test_the_warm_up_waits_until_no_page_has_run_for_a_while(monkeypatch):
    monkeypatch.setattr(warmup, "QUIET_S", 0.3)
    monkeypatch.setattr(warmup, "_needed", threading.Event())
    with frame._counted_run():
        assert frame.idle_seconds() == 0
        waiting = threading.Thread(target=warmup._when_quiet)
        waiting.start()
        time.sleep(0.6)
        assert waiting.is_alive()  # a page is running: the warm-up has not begun
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert frame.idle_seconds() >= 0.3


def test_someone_waiting_for_umap_starts_it_at_once(monkeypatch):
    monkeypatch.setattr(warmup, "QUIET_S", 60)
    monkeypatch.setattr(warmup, "_needed", threading.Event())
    with frame._counted_run():
        waiting = threading.Thread(target=warmup._when_quiet)
        waiting.start()
        warmup._needed.set()  # what wait_for_umap and the comparison do
        waiting.join(timeout=10)
        assert not waiting.is_alive()


def test_a_page_does_not_import_while_a_warm_up_imports(monkeypatch):
    monkeypatch.setattr(frame, "_imported", set())
    imported = threading.Event()

    def first_visit():
        frame.import_page_modules(("core.plots",), status=False)
        imported.set()

    with frame.importing:
        visit = threading.Thread(target=first_visit)
        visit.start()
        assert not imported.wait(0.5)  # it waits for the warm-up's imports to end
    assert imported.wait(30)
    visit.join(timeout=10)
    assert "core.plots" in frame._imported
