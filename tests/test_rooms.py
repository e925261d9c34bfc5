"""Classroom rooms (core/rooms.py): limits, keys, plain text, concurrency, a killed writer,
and the CLI, with the bundled pocket model reading every sentence."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import rooms
from core.emotions import PARROTT6
from core.models import load_encoder
from core.rooms import RoomStore, reader

ROOT = Path(__file__).resolve().parent.parent
DIM = 128  # the pocket model's embedding width


@pytest.fixture(scope="module")
def read():
    return reader(load_encoder("pocket"), PARROTT6)


@pytest.fixture
def store(tmp_path):
    return RoomStore(tmp_path / "rooms.sqlite3")


def test_a_room_reads_everyday_sentences_and_keeps_them_as_plain_text(store, read):
    room, key = store.new_room("Lesson 1", "pocket", PARROTT6)
    assert len(room.code) == 6 and set(room.code) <= set(rooms.ALPHABET)
    sent = store.submit(room.code, ["我爱你", "our dog died this morning", "<b>hi</b> **x**"], read)
    assert [r.entry.top for r in sent[:2]] == ["love", "sadness"]
    assert sent[2].entry.text == "<b>hi</b> **x**"  # stored as typed, never as markup
    shown = store.entries(room.code.lower())  # codes are read case-blind
    assert [e.text for e in shown] == ["我爱你", "our dog died this morning", "<b>hi</b> **x**"]
    assert all(abs(sum(e.probs.values()) - 1) < 1e-4 and e.vector.shape == (DIM,) for e in shown)
    hostile = store.submit(
        room.code, ["bell\x07 and null\x00 \u202egnp.exe"], read, name="\x1b[31mX"
    )
    assert hostile[0].entry.text == "bell and null gnp.exe"  # control characters dropped
    assert hostile[0].entry.name == "[31mX"


def test_limits_are_kept_by_core_with_a_reason(store, read, monkeypatch):
    room, key = store.new_room("Limits", "pocket", PARROTT6)
    long_text = "好" * (rooms.MAX_TEXT_CHARS + 1)
    first = store.submit(room.code, ["", long_text, "fine"], read, client="a")
    assert [r.reason.code if r.reason else "" for r in first] == [
        "room.empty_text",
        "room.text_too_long",
        "",
    ]
    burst = store.submit(room.code, [f"happy {i}" for i in range(12)], read, client="a")
    accepted = [r for r in burst if r.entry]
    assert len(accepted) == rooms.PER_STUDENT_PER_MINUTE - 1  # "fine" counted already
    assert {r.reason.code for r in burst if not r.entry} == {"room.too_fast"}
    assert store.submit(room.code, ["another student"], read, client="b")[0].entry
    monkeypatch.setattr(rooms, "MAX_ENTRIES", len(store.entries(room.code)))
    assert store.submit(room.code, ["one more"], read, client="c")[0].reason.code == "room.full"
    with pytest.raises(ValueError, match="no room"):
        store.submit("ZZZZZZ", ["hello"], read)


def test_only_the_teacher_key_hides_locks_clears_and_exports(store, read):
    room, key = store.new_room("Keys", "pocket", PARROTT6)
    entry = store.submit(room.code, ["=HYPERLINK(1)", "我很难过"], read, name="+Li")[0].entry
    for action in (
        lambda k: store.set_hidden(room.code, k, entry.id),
        lambda k: store.set_locked(room.code, k),
        lambda k: store.clear(room.code, k),
        lambda k: store.export_csv(room.code, k),
    ):
        with pytest.raises(ValueError, match="teacher key"):
            action("not-the-key")
    store.set_hidden(room.code, key, entry.id)
    assert [e.text for e in store.entries(room.code)] == ["我很难过"]
    rows = list(csv.reader(io.StringIO(store.export_csv(room.code, key))))
    assert rows[0][:6] == ["id", "created", "name", "text", "top", "hidden"]
    assert rows[1][2:4] == ["'+Li", "'=HYPERLINK(1)"]  # no formula reaches a spreadsheet
    assert rows[1][5] == "1" and rows[2][5] == "0"
    store.set_locked(room.code, key)
    with pytest.raises(ValueError, match="locked"):
        store.submit(room.code, ["late"], read)
    assert store.clear(room.code, key) == 2 and store.entries(room.code, include_hidden=True) == []


def test_a_room_expires(store, read, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_ROOM_HOURS", "0.0003")  # about a second
    room, _ = store.new_room("Short", "pocket", PARROTT6)
    time.sleep(1.5)
    with pytest.raises(ValueError, match="has ended"):
        store.submit(room.code, ["hello"], read)


def _read_beforehand(read, texts):
    """The model's reading of ``texts``, computed here, as a reader a forked process can
    call: torch's thread pool does not survive a fork (measured: children hang in it)."""
    vectors, probs = read(texts)
    rows = {text: i for i, text in enumerate(texts)}

    def lookup(batch):
        index = [rows[text] for text in batch]
        return vectors[index], probs[index]

    return lookup


def _send_twenty(path: str, code: str, worker: int, read) -> None:
    store = RoomStore(path)
    for i in range(20):
        store.submit(code, [f"student {worker} sentence {i} 开心"], read, client=f"s{worker}-{i}")


def test_six_processes_sending_at_once_lose_nothing(tmp_path, read):
    path = str(tmp_path / "rooms.sqlite3")
    room, _ = RoomStore(path).new_room("Busy", "pocket", PARROTT6)
    texts = [f"student {w} sentence {i} 开心" for w in range(6) for i in range(20)]
    read = _read_beforehand(read, texts)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_send_twenty, args=(path, room.code, w, read)) for w in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 6
    texts = [e.text for e in RoomStore(path).entries(room.code)]
    expected = {f"student {w} sentence {i} 开心" for w in range(6) for i in range(20)}
    assert len(texts) == 120 and set(texts) == expected  # each once
    assert all(e.top in PARROTT6.labels for e in RoomStore(path).entries(room.code))


def _send_batches_forever(path: str, code: str, read) -> None:
    store = RoomStore(path)
    for i in range(2000):
        store.submit(code, [f"batch {i} line {j}" for j in range(5)], read, client=f"k{i}")


def test_a_writer_killed_mid_batch_leaves_whole_batches_only(tmp_path, read, monkeypatch):
    monkeypatch.setattr(rooms, "MAX_ENTRIES", 100_000)
    monkeypatch.setattr(rooms, "PER_ROOM_PER_MINUTE", 100_000)
    path = str(tmp_path / "rooms.sqlite3")
    room, _ = RoomStore(path).new_room("Killed", "pocket", PARROTT6)
    read = _read_beforehand(read, [f"batch {i} line {j}" for i in range(2000) for j in range(5)])
    writer = multiprocessing.get_context("fork").Process(
        target=_send_batches_forever, args=(path, room.code, read)
    )
    writer.start()
    deadline = time.time() + 60
    while time.time() < deadline and len(RoomStore(path).entries(room.code)) < 40:
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.join()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    entries = RoomStore(path).entries(room.code)
    assert len(entries) >= 40 and len(entries) % 5 == 0  # batches are all or nothing
    assert all(e.vector.shape == (DIM,) and e.top for e in entries)


def test_the_room_commands(tmp_path, capsys):
    """The CLI's own parser and handlers, in this process (each `python -m core` start
    costs ~9 s of imports here), and one real `python -m core room submit` process."""
    from core.__main__ import main

    rooms_file = str(tmp_path / "rooms.sqlite3")

    def cli(*args):
        code = main(["room", *args, "--rooms", rooms_file])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = cli("new", "--title", "CLI 班", "--json")
    assert code == 0
    new = json.loads(out)
    room, key = new["room"], new["teacher_key"]
    assert new["labels"] == list(PARROTT6.labels)
    sent = subprocess.run(
        [sys.executable, "-m", "core", "room", "submit", room, "--texts", "我爱你", "",
         "I am so angry", "--json", "--rooms", rooms_file],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sent.returncode == 1 and "The sentence is empty." in sent.stderr
    assert [json.loads(line)["top"] for line in sent.stdout.splitlines()] == ["love", "anger"]
    code, out, _ = cli("show", room, "--json")
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert code == 0 and len(ids) == 2
    assert cli("hide", room, str(ids[0]), "--teacher-key", "wrong")[0] == 2
    assert cli("hide", room, str(ids[0]), "--teacher-key", key)[0] == 0
    assert [json.loads(line)["text"] for line in cli("show", room, "--json")[1].splitlines()] == [
        "I am so angry"
    ]
    out_file = tmp_path / "room.csv"
    assert cli("export", room, "--teacher-key", key, "--out", str(out_file))[0] == 0
    assert len(out_file.read_text("utf-8-sig").splitlines()) == 3  # header and both entries
    assert cli("lock", room, "--teacher-key", key)[0] == 0
    code, _, err = cli("submit", room, "--texts", "late")
    assert code == 2 and "locked" in err
    code, _, err = cli("show", "ABCDEF")
    assert code == 2 and "no room ABCDEF" in err


def test_a_picture_goes_through_the_safe_intake_and_is_kept_small(store, read):
    from core.defaults import GALLERY_IMAGES

    room, _ = store.new_room("Pictures", "pocket", PARROTT6)
    photo = next(GALLERY_IMAGES.glob("*.png")).read_bytes()
    sent = store.submit(room.code, ["看我的猫", "second"], read, picture=photo)
    kept = store.entries(room.code)
    assert kept[0].picture[:4] == b"RIFF" and kept[0].picture[8:12] == b"WEBP"
    assert kept[1].picture is None and sent[0].entry.record()["picture"] is True
    with pytest.raises(ValueError, match="not a picture|not an image|unsupported|format"):
        store.submit(room.code, ["fake"], read, picture=b"%PDF-1.4 not a picture")
    assert len(store.entries(room.code)) == 2  # a refused picture adds nothing
