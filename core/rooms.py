"""Classroom rooms: students send sentences to a room; the teacher's map shows them live.

One SQLite file (WAL mode: readers never wait for the writer) holds every room; its place is
``$EMOTION_ATLAS_ROOMS`` (default ``~/.local/share/emotion-atlas/rooms.sqlite3``). Every
limit is enforced here, not only in a page:

- a room's code is 6 characters from an alphabet without look-alikes (31**6 ≈ 8.9e8
  codes), drawn by :mod:`secrets`; its teacher key is shown once and stored only as a hash;
- a sentence has at most :data:`MAX_TEXT_CHARS` characters and is stored and shown as
  plain text (pages never render it as HTML or Markdown);
- a student (one browser session, or one CLI name) sends at most
  :data:`PER_STUDENT_PER_MINUTE` sentences a minute, a room takes at most
  :data:`PER_ROOM_PER_MINUTE` a minute and :data:`MAX_ENTRIES` in all;
- a room expires :data:`ROOM_HOURS` hours after it was made (``$EMOTION_ATLAS_ROOM_HOURS``);
- only the teacher key hides or shows entries, locks, clears or exports.

A submission is checked and written in one ``BEGIN IMMEDIATE`` transaction, so many
processes sending at once lose nothing and a writer killed mid-batch leaves whole entries
only. Each entry keeps its text vector (float32) under the room's model, its emotion
distribution under the room's label set and its top label.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.emotions import LABEL_SETS, LabelSet, parse_label_set
from core.messages import Message, define

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
MAX_TEXT_CHARS = 280
MAX_NAME_CHARS = 40
MAX_TITLE_CHARS = 120
MAX_ENTRIES = 2000
PICTURE_SIDE = 256  # a student's picture is kept as a WebP this large, never the upload
PER_STUDENT_PER_MINUTE = 10
PER_ROOM_PER_MINUTE = 600  # a class of 40 sending 5 sentences each within half a minute
ROOM_HOURS = 24.0

define(
    {
        "room.unknown": "There is no room {room}: check the code on the board.",
        "room.expired": "Room {room} has ended (rooms last {hours} hours).",
        "room.locked": "Room {room} is locked: the teacher is not taking sentences now.",
        "room.full": "Room {room} is full ({limit} sentences).",
        "room.busy": "Room {room} is receiving many sentences; try again in a minute.",
        "room.too_fast": "You sent {limit} sentences in the last minute; wait a little.",
        "room.empty_text": "The sentence is empty.",
        "room.text_too_long": "The sentence has {length} characters; at most {limit} are taken.",
        "room.bad_key": "That teacher key does not open room {room}.",
        "room.no_entry": "Room {room} has no sentence {entry}.",
        "room.bad_title": "A room's title has 1 to {limit} characters.",
    }
)


def default_path() -> Path:
    configured = os.environ.get("EMOTION_ATLAS_ROOMS")
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "emotion-atlas" / "rooms.sqlite3"


def _room_hours() -> float:
    try:
        return max(1e-4, float(os.environ.get("EMOTION_ATLAS_ROOM_HOURS", ROOM_HOURS)))
    except ValueError:
        return ROOM_HOURS


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _clean(text: str) -> str:
    """Text as stored: control characters (but line breaks) removed, ends stripped."""
    return "".join(c for c in text if c.isprintable() or c == "\n").strip()


def normal_code(code: str) -> str:
    """What a student typed, as a code: upper case, spaces and dashes dropped."""
    return "".join(c for c in str(code).upper() if c.isalnum())[: CODE_LENGTH * 2]


@dataclass(frozen=True)
class Room:
    code: str
    title: str
    model: str
    label_set: LabelSet
    created: float
    expires: float
    locked: bool


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    name: str
    client: str
    created: float
    top: str
    probs: dict[str, float]
    vector: np.ndarray
    hidden: bool
    picture: bytes | None = None  # a WebP of at most PICTURE_SIDE pixels

    def record(self) -> dict:
        """The entry as JSON-ready data (no vector, no client id)."""
        return {
            "id": self.id,
            "text": self.text,
            "name": self.name,
            "top": self.top,
            "probs": self.probs,
            "created": self.created,
            "hidden": self.hidden,
            "picture": self.picture is not None,
        }


@dataclass(frozen=True)
class Accepted:
    entry: Entry | None  # None when refused
    text: str
    reason: str = ""  # a Message when refused


# Reads texts → (unit vectors (n, dim), probabilities (n, n_labels)) under a room's model.
Reader = Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]


class RoomStore:
    """All rooms in one SQLite file; safe to use from many threads and processes."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS rooms (
                    code TEXT PRIMARY KEY, title TEXT NOT NULL, key_hash TEXT NOT NULL,
                    model TEXT NOT NULL, labels_name TEXT NOT NULL, labels_json TEXT NOT NULL,
                    created REAL NOT NULL, expires REAL NOT NULL, locked INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS entries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, text TEXT NOT NULL,
                    name TEXT NOT NULL, client TEXT NOT NULL, created REAL NOT NULL,
                    top TEXT NOT NULL, probs TEXT NOT NULL, vector BLOB NOT NULL,
                    hidden INTEGER NOT NULL DEFAULT 0, picture BLOB
                );
                CREATE INDEX IF NOT EXISTS entries_by_room ON entries (room, id);
                """
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
            if "picture" not in columns:  # a rooms file from before pictures
                db.execute("ALTER TABLE entries ADD COLUMN picture BLOB")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at each checkpoint, never torn
        return db

    # --- rooms ---------------------------------------------------------------------------

    def new_room(self, title: str, model: str, label_set: LabelSet) -> tuple[Room, str]:
        """A new room and its teacher key (the key is not stored: keep it)."""
        title = _clean(title)
        if not 1 <= len(title) <= MAX_TITLE_CHARS:
            raise ValueError(Message("room.bad_title", limit=MAX_TITLE_CHARS))
        key = secrets.token_urlsafe(16)
        now = time.time()
        labels_json = json.dumps({label: list(p) for label, p in label_set.phrases.items()})
        with self._connect() as db:
            db.execute(
                "DELETE FROM entries WHERE room IN (SELECT code FROM rooms WHERE expires < ?)",
                (now,),
            )
            db.execute("DELETE FROM rooms WHERE expires < ?", (now,))
            while True:
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                try:
                    db.execute(
                        "INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                        (code, title, _hash(key), model, label_set.name, labels_json, now,
                         now + _room_hours() * 3600),
                    )  # fmt: skip
                    break
                except sqlite3.IntegrityError:  # that code is taken: draw again
                    continue
        return self.room(code), key

    def room(self, code: str) -> Room:
        """The open or locked room of ``code``; ValueError when unknown or expired."""
        code = normal_code(code)
        with self._connect() as db:
            row = db.execute(
                "SELECT code, title, model, labels_name, labels_json, created, expires, locked "
                "FROM rooms WHERE code = ?",
                (code,),
            ).fetchone()
        if row is None:
            raise ValueError(Message("room.unknown", room=code or "—"))
        if row[6] < time.time():
            raise ValueError(Message("room.expired", room=code, hours=f"{_room_hours():g}"))
        if row[3] in LABEL_SETS:
            label_set = LABEL_SETS[row[3]]
        else:
            label_set = parse_label_set(json.loads(row[4]), name=row[3])
        return Room(row[0], row[1], row[2], label_set, row[5], row[6], bool(row[7]))

    def check_key(self, code: str, key: str) -> Room:
        """The room, when ``key`` is its teacher key; ValueError otherwise."""
        room = self.room(code)
        with self._connect() as db:
            (stored,) = db.execute(
                "SELECT key_hash FROM rooms WHERE code = ?", (room.code,)
            ).fetchone()
        if not hmac.compare_digest(stored, _hash(str(key))):
            raise ValueError(Message("room.bad_key", room=room.code))
        return room

    def set_locked(self, code: str, key: str, locked: bool = True) -> None:
        room = self.check_key(code, key)
        with self._connect() as db:
            db.execute("UPDATE rooms SET locked = ? WHERE code = ?", (int(locked), room.code))

    def set_hidden(self, code: str, key: str, entry_id: int, hidden: bool = True) -> None:
        room = self.check_key(code, key)
        with self._connect() as db:
            changed = db.execute(
                "UPDATE entries SET hidden = ? WHERE room = ? AND id = ?",
                (int(hidden), room.code, int(entry_id)),
            ).rowcount
        if not changed:
            raise ValueError(Message("room.no_entry", room=room.code, entry=entry_id))

    def clear(self, code: str, key: str) -> int:
        """Delete every entry of the room; returns how many there were."""
        room = self.check_key(code, key)
        with self._connect() as db:
            return db.execute("DELETE FROM entries WHERE room = ?", (room.code,)).rowcount

    # --- entries -------------------------------------------------------------------------

    def submit(
        self,
        code: str,
        texts: Sequence[str],
        read: Reader,
        *,
        name: str = "",
        client: str = "",
        picture: bytes | None = None,
    ) -> list[Accepted]:
        """Add ``texts`` to the room, each read by ``read`` (the room's model and labels).

        Texts that break a limit come back refused with their reason; the others are stored
        in one transaction. A room that is unknown, expired or locked refuses the whole call
        (ValueError). ``client`` identifies the sender for the per-minute limit (default:
        the name). ``picture``: the bytes of one picture sent with the (first) text, read
        through the safe intake (:func:`core.images.decode_image`) and kept as a small WebP;
        a picture the intake refuses refuses the call (ValueError with the reason).
        """
        room = self.room(code)
        kept_picture = _small_picture(picture) if picture else None
        if room.locked:
            raise ValueError(Message("room.locked", room=room.code))
        name = _clean(name)[:MAX_NAME_CHARS]
        client = client or name or "anonymous"
        cleaned = [_clean(str(text)) for text in texts]
        results: list[Accepted | None] = [None] * len(cleaned)
        wanted = []
        for index, text in enumerate(cleaned):
            if not text:
                results[index] = Accepted(None, text, Message("room.empty_text"))
            elif len(text) > MAX_TEXT_CHARS:
                reason = Message("room.text_too_long", length=len(text), limit=MAX_TEXT_CHARS)
                results[index] = Accepted(None, text[:MAX_TEXT_CHARS] + "…", reason)
            else:
                wanted.append(index)
        vectors, probs = read([cleaned[i] for i in wanted]) if wanted else (None, None)
        labels = room.label_set.labels
        if probs is not None and np.shape(probs) != (len(wanted), len(labels)):
            raise ValueError(f"the reader gave {np.shape(probs)} emotions for {labels}")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # the limits and the inserts see one state
            try:
                minute = time.time() - 60
                mine, room_minute, total = db.execute(
                    "SELECT SUM(client = ? AND created > ?), SUM(created > ?), COUNT(*) "
                    "FROM entries WHERE room = ?",
                    (client, minute, minute, room.code),
                ).fetchone()
                mine, room_minute, total = mine or 0, room_minute or 0, total or 0
                for row, index in enumerate(wanted):
                    text = cleaned[index]
                    reason = ""
                    if total >= MAX_ENTRIES:
                        reason = Message("room.full", room=room.code, limit=MAX_ENTRIES)
                    elif room_minute >= PER_ROOM_PER_MINUTE:
                        reason = Message("room.busy", room=room.code)
                    elif mine >= PER_STUDENT_PER_MINUTE:
                        reason = Message("room.too_fast", limit=PER_STUDENT_PER_MINUTE)
                    if reason:
                        results[index] = Accepted(None, text, reason)
                        continue
                    distribution = {
                        lab: round(float(p), 6) for lab, p in zip(labels, probs[row], strict=True)
                    }
                    top = labels[int(np.argmax(probs[row]))]
                    now = time.time()
                    vector = np.asarray(vectors[row], dtype=np.float32)
                    image, kept_picture = kept_picture, None  # with the first text only
                    cursor = db.execute(
                        "INSERT INTO entries (room, text, name, client, created, top, probs,"
                        " vector, picture) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (room.code, text, name, client, now, top, json.dumps(distribution),
                         vector.tobytes(), image),
                    )  # fmt: skip
                    entry = Entry(
                        cursor.lastrowid, text, name, client, now, top, distribution, vector,
                        False, image,
                    )  # fmt: skip
                    results[index] = Accepted(entry, text)
                    mine, room_minute, total = mine + 1, room_minute + 1, total + 1
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [r for r in results if r is not None]

    def entries(
        self, code: str, *, include_hidden: bool = False, after: int = 0, client: str = ""
    ) -> list[Entry]:
        """The room's entries, oldest first (visible ones unless ``include_hidden``);
        ``after`` skips ids up to it, ``client`` keeps one sender's."""
        room = self.room(code)
        query = (
            "SELECT id, text, name, client, created, top, probs, vector, hidden, picture"
            " FROM entries"
            " WHERE room = ? AND id > ?"
        )
        values: list = [room.code, int(after)]
        if not include_hidden:
            query += " AND hidden = 0"
        if client:
            query += " AND client = ?"
            values.append(client)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", values).fetchall()
        return [
            Entry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]),
                  np.frombuffer(r[7], dtype=np.float32), bool(r[8]), r[9])
            for r in rows
        ]  # fmt: skip

    def export_csv(self, code: str, key: str) -> str:
        """Every entry (hidden ones marked) as CSV text: id, created, name, text, top,
        hidden, then one probability column per label."""
        room = self.check_key(code, key)
        return entries_csv(self.entries(code, include_hidden=True), room.label_set.labels)


def entries_csv(entries: Sequence[Entry], labels: Sequence[str]) -> str:
    """Entries as CSV text (see :meth:`RoomStore.export_csv`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "created", "name", "text", "top", "hidden", *labels])
    for entry in entries:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created))
        # a cell starting with = + - @ would be a formula in a spreadsheet
        safe = [("'" + v if v[:1] in "=+-@" else v) for v in (entry.name, entry.text)]
        writer.writerow(
            [entry.id, created, *safe, entry.top, int(entry.hidden)]
            + [f"{entry.probs.get(label, 0.0):.4f}" for label in labels]
        )
    return out.getvalue()


def _small_picture(data: bytes) -> bytes:
    """A student's picture through the safe intake, as a WebP of :data:`PICTURE_SIDE`."""
    from core.images import decode_image, thumbnail_webp

    # ImageRejected is a ValueError carrying the intake's reason
    return thumbnail_webp(decode_image(data, "picture").image, PICTURE_SIDE)


def tally(entries: Sequence[Entry], labels: Sequence[str]) -> dict[str, int]:
    """How many entries have each top label (every label listed, in order)."""
    counts = dict.fromkeys(labels, 0)
    for entry in entries:
        if entry.top in counts:
            counts[entry.top] += 1
    return counts


def reader(encoder, label_set: LabelSet, labels: np.ndarray | None = None) -> Reader:
    """The :data:`Reader` of a model and label set: unit text vectors and their zero-shot
    emotions (the same numbers the Atlas and Transfer pages show). ``labels``: the label
    set's vectors when the caller has them already (the dashboard caches them)."""
    from core.emotions import label_vectors, zero_shot

    labels = label_vectors(encoder, label_set) if labels is None else labels

    def read(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        vectors = encoder.encode_texts(list(texts))
        return vectors, zero_shot(vectors, labels, encoder.logit_scale)

    return read
