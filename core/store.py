"""A Parquet store of embeddings: one row per item, written batch by batch, readable as a
collection by the CLI and the dashboard.

Columns: ``name``, ``kind`` ("image"/"text"), ``sha256``, ``model_id``, ``vector``
(fixed-size list of float32, null for a refused item), ``note``, ``refusal`` (the reason in
English, null for an embedded item) and ``refusal_message`` (the reason's message code and
values as JSON, so the dashboard can say it in Chinese).

While a run is going, every finished batch is one small Parquet file in ``FILE.parquet.parts/``,
written atomically (temporary file, fsync, rename). A run that is killed keeps those parts;
the next run with the same ``--out`` reads them back, embeds only what they lack, and
:meth:`StoreWriter.close` joins every part into ``FILE.parquet`` (one row group per part,
streamed, so memory stays at one part) and removes the folder. No pickles anywhere: a store
is plain columns.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.embedding import EmbeddingSet
from core.messages import Message, define, from_json, message_json

define(
    {
        "store.not_a_store": "{path} is not an Emotion Atlas store ({reason})",
        "store.mixed_models": (
            "{path} holds vectors of more than one model ({models}); a map needs one"
        ),
        "store.other_model": (
            "{path} was embedded by {stored}, not by the chosen {current}: choose that model "
            "(--model, or the dashboard's sidebar)"
        ),
        "store.needs_pyarrow": (
            "reading or writing .parquet needs pyarrow: pip install -r requirements-scale.txt"
        ),
    }
)

SUFFIX = ".parquet"
PARTS_SUFFIX = ".parts"
FORMAT = "emotion-atlas-store/1"


def is_store(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a Parquet store (by its suffix)."""
    return str(path).lower().endswith(SUFFIX)


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit and ray
        raise ValueError(Message("store.needs_pyarrow")) from None
    return pyarrow, pyarrow.parquet


def schema(dim: int, model_id: str):
    """The store's Arrow schema for vectors of ``dim`` numbers."""
    pa, _ = _pyarrow()
    return pa.schema(
        [
            ("name", pa.string()),
            ("kind", pa.string()),
            ("sha256", pa.string()),
            ("model_id", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
            ("note", pa.string()),
            ("refusal", pa.string()),
            ("refusal_message", pa.string()),
        ],
        metadata={"format": FORMAT, "model_id": model_id, "dim": str(dim)},
    )


def table_of(embeddings: EmbeddingSet, dim: int):
    """One Arrow table of ``embeddings``: its rows, then a row per refused item."""
    pa, _ = _pyarrow()
    count = len(embeddings)
    refused = embeddings.rejected
    vectors = np.asarray(embeddings.vectors, np.float32).reshape(count, dim)
    flat = pa.array(vectors.reshape(-1), pa.float32())
    embedded = pa.FixedSizeListArray.from_arrays(flat, dim)
    missing = pa.nulls(len(refused), pa.list_(pa.float32(), dim))
    return pa.table(
        {
            "name": [*embeddings.names, *(name for name, _ in refused)],
            "kind": [*embeddings.kinds, *(["image"] * len(refused))],
            "sha256": [*embeddings.hashes, *([None] * len(refused))],
            "model_id": [embeddings.model_id] * (count + len(refused)),
            "vector": pa.concat_arrays([embedded, missing]),
            "note": [*embeddings.notes, *([""] * len(refused))],
            "refusal": [*([None] * count), *(str(reason) for _, reason in refused)],
            "refusal_message": [*([None] * count), *(message_json(r) for _, r in refused)],
        },
        schema=schema(dim, embeddings.model_id),
    )


def _write_atomically(table, path: Path) -> None:
    _, pq = _pyarrow()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        pq.write_table(table, temporary, compression="zstd")
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class StoreWriter:
    """Writes a store part by part; resumes from the parts a killed run left behind.

    ``written`` maps each name already in a part to its sha256 (refused items to None), so
    the caller can skip work that is done.
    """

    def __init__(self, path: str | os.PathLike, model_id: str, dim: int):
        self.path = Path(path)
        self.model_id = model_id
        self.dim = dim
        self.parts = self.path.with_name(self.path.name + PARTS_SUFFIX)
        self.parts.mkdir(exist_ok=True)
        for leftover in self._temporaries():  # a run killed while writing left these
            leftover.unlink(missing_ok=True)
        self.written: dict[str, str | None] = {}
        self.reused = 0
        for part in self._part_files():
            table = _read_part(part)
            if table is None or table.schema.metadata.get(b"model_id") != model_id.encode():
                part.unlink()  # a torn or foreign part is redone, never trusted
                continue
            for name, sha in zip(
                table.column("name").to_pylist(), table.column("sha256").to_pylist(), strict=True
            ):
                self.written[name] = sha
        self.reused = len(self.written)
        numbers = [int(part.stem.split("-")[1]) for part in self._part_files()]
        self._next = max(numbers, default=-1) + 1  # never over a part that is kept

    def _temporaries(self) -> list[Path]:
        """The temporary files :func:`_write_atomically` and :meth:`close` make (hidden,
        ``.tmp``), left behind only by a run that was killed in the middle of one."""
        found = list(self.parts.glob(".part-*.tmp"))
        return found + list(self.path.parent.glob(f".{self.path.name}.*.tmp"))

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def write(self, embeddings: EmbeddingSet) -> None:
        """Write one finished batch (its embedded rows and its refusals) as a part."""
        if not len(embeddings) and not embeddings.rejected:
            return
        table = table_of(embeddings, self.dim)
        _write_atomically(table, self.parts / f"part-{self._next:06d}.parquet")
        self._next += 1
        self.written.update(zip(embeddings.names, embeddings.hashes, strict=True))
        self.written.update((name, None) for name, _ in embeddings.rejected)

    def close(self) -> Path:
        """Join the parts into the store file (atomically) and remove the parts folder.

        An item written twice (a part of a killed run, then again) is kept once, from its
        last part. Rows keep the order their batches finished in.
        """
        _, pq = _pyarrow()
        parts = self._part_files()
        last_part = {}
        for number, part in enumerate(parts):  # names only: the vectors are read once, below
            for name in pq.read_table(part, columns=["name"]).column("name").to_pylist():
                last_part[name] = number
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        os.close(handle)
        try:
            with pq.ParquetWriter(
                temporary, schema(self.dim, self.model_id), compression="zstd"
            ) as out:
                for number, part in enumerate(parts):
                    table = _read_part(part)
                    keep = [last_part[name] == number for name in table.column("name").to_pylist()]
                    out.write_table(table.filter(keep) if not all(keep) else table)
            with open(temporary, "rb") as written:
                os.fsync(written.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for part in parts:
            part.unlink()
        for leftover in self._temporaries():
            leftover.unlink(missing_ok=True)
        self.parts.rmdir()
        return self.path


def _read_part(path: Path):
    _, pq = _pyarrow()
    try:
        return pq.read_table(path)
    except (OSError, ValueError):
        return None


def _tables(path: Path) -> Iterator:
    """The store's tables: the file, else the parts of an unfinished run."""
    _, pq = _pyarrow()
    if path.is_file():
        try:
            parquet = pq.ParquetFile(path)
        except (OSError, ValueError) as error:
            raise ValueError(
                Message("store.not_a_store", path=path.name, reason=type(error).__name__)
            ) from None
        for group in range(parquet.num_row_groups):
            yield parquet.read_row_group(group)
        return
    parts = path.with_name(path.name + PARTS_SUFFIX)
    if not parts.is_dir():
        raise ValueError(Message("store.not_a_store", path=path.name, reason="no such file"))
    for part in sorted(parts.glob("part-*.parquet")):
        table = _read_part(part)
        if table is not None:
            yield table


def read_store(path: str | os.PathLike, kinds: tuple[str, ...] = ("image", "text")) -> EmbeddingSet:
    """The store at ``path`` as an :class:`EmbeddingSet` (refused items in ``rejected``).

    Raises
    ------
    ValueError
        When the file is not a store, or mixes models.
    """
    path = Path(path)
    names, kinds_out, hashes, notes, vectors, rejected, models = [], [], [], [], [], [], set()
    seen: dict[str, int] = {}
    for table in _tables(path):
        missing = {"name", "vector", "model_id"} - set(table.column_names)
        if missing:
            reason = "no column " + ", ".join(sorted(missing))
            raise ValueError(Message("store.not_a_store", path=path.name, reason=reason))
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        block = table.column("vector").combine_chunks()
        valid = ~np.asarray(block.is_null().to_numpy(zero_copy_only=False), bool)
        dim = block.type.list_size
        values = np.asarray(block.flatten().to_numpy(), np.float32).reshape(-1, dim)
        rows = iter(values)
        for index, name in enumerate(columns["name"]):
            if not valid[index]:
                rejected.append(
                    (name, from_json(columns["refusal"][index], columns["refusal_message"][index]))
                )
                continue
            vector = next(rows)
            kind = columns["kind"][index]
            if kind not in kinds:
                continue
            models.add(columns["model_id"][index])
            if name in seen:  # a store joined from a resumed run keeps each item once
                vectors[seen[name]] = vector
                continue
            seen[name] = len(names)
            names.append(name)
            kinds_out.append(kind)
            hashes.append(columns["sha256"][index] or "")
            notes.append(columns["note"][index] or "")
            vectors.append(vector)
    if len(models) > 1:
        raise ValueError(
            Message("store.mixed_models", path=path.name, models=", ".join(sorted(models)))
        )
    model_id = models.pop() if models else ""
    stacked = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    return EmbeddingSet(model_id, names, kinds_out, stacked, notes, hashes, rejected)
