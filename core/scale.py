"""Embedding on a Ray cluster: the same intake, cache and refusals as the local engine.

``python -m core embed PATH… --engine ray`` lists and hashes the files in this process and
consults the embedding cache here, exactly as the local engine does
(:func:`core.embedding.plan_embedding`). Only what is missing goes to Ray Data: a
``map_batches`` stage on an actor pool, one actor per worker, each loading the encoder
once and decoding every picture through the same safe intake
(:func:`core.embedding._prepare_batch`: size and pixel limits, formats, first frames).
Each batch comes back as rows (a vector, or the refusal's message) and is written to the
cache and to the output store here as it arrives, so a killed run keeps its work.

Ray Data restarts a worker that dies and runs its batch again (its actor pools default to
``max_restarts=-1`` and ``max_task_retries=-1``); rows are keyed by their index, so a
batch done twice is counted once.

Ray is optional (``requirements-scale.txt``); without it ``--engine ray`` says how to
install it. Workers must see the files at the same paths (a shared or copied folder).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache
from core.embedding import EmbeddingSet, Plan, list_sources, plan_embedding
from core.encoders import ClipEncoder, ProgressCallback
from core.messages import Message, define, from_json, message_json

define(
    {
        "scale.needs_ray": (
            "--engine ray needs Ray Data, which is not installed here: "
            "pip install -r requirements-scale.txt  (or: pip install 'ray[data]')"
        ),
        "scale.bad_workers": (
            "the number of workers must be a whole number of at least 1, got {value}"
        ),
        "scale.cannot_join": "could not reach the Ray cluster at {address}: {reason}",
    }
)

ENGINES = ("local", "ray")
MAX_BLOCKS = 5000  # above 160,000 pictures a block holds several batches


def require_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise ValueError(Message("scale.needs_ray")) from None
    return ray


class EncoderActor:
    """One Ray worker: the encoder loaded once, then batches of paths in, rows out."""

    def __init__(self, model: str, speedup: str, device: str = "cpu"):
        from core.models import load_encoder

        self.encoder = load_encoder(model, speedup=speedup, device=device)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from core.embedding import _prepare_batch

        indices = [int(i) for i in batch["index"]]
        paths = [str(p) for p in batch["path"]]
        items = [(i, p, Path(p)) for i, p in zip(indices, paths, strict=True)]
        kept, refusals, pixels = _prepare_batch(self.encoder, items)
        vectors = np.zeros((len(indices), self.encoder.dim), np.float32)
        fresh = self.encoder.encode_pixels(pixels) if kept else []
        row_of = {index: row for row, index in enumerate(indices)}
        sha = [""] * len(indices)
        note = [""] * len(indices)
        for (index, content_hash, text), vector in zip(kept, fresh, strict=True):
            vectors[row_of[index]] = vector
            sha[row_of[index]] = content_hash
            note[row_of[index]] = text
        refusal = [""] * len(indices)
        message = [""] * len(indices)
        for index, reason in refusals.items():
            refusal[row_of[index]] = str(reason)
            message[row_of[index]] = message_json(reason) or ""
        return {
            "index": np.asarray(indices, np.int64),
            "vector": vectors,
            "sha256": np.asarray(sha, dtype=object),
            "note": np.asarray(note, dtype=object),
            "refusal": np.asarray(refusal, dtype=object),
            "message": np.asarray(message, dtype=object),
        }


def _start(ray, address: str | None, workers: int) -> bool:
    """Join ``address`` (or ``$RAY_ADDRESS``), else start a local Ray; True if started here."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    options = {"include_dashboard": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **options)
        else:  # "local": a Ray of its own, even where a `ray start` cluster is running
            ray.init(address="local", num_cpus=os.cpu_count() or workers, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        shown = address or "local"
        raise ValueError(
            Message("scale.cannot_join", address=shown, reason=type(error).__name__)
        ) from None
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the command prints its own items done / total
    context.print_on_execution_start = False
    return True


def run_plan(
    plan: Plan,
    encoder: ClipEncoder,
    model: str,
    *,
    speedup: str = "auto",
    address: str | None = None,
    workers: int = 1,
    batch_size: int = 32,
    gpus_per_worker: float = 0,
    cache: EmbeddingCache | None = None,
    progress: ProgressCallback | None = None,
    sink: Callable[[EmbeddingSet], None] | None = None,
) -> None:
    """Encode ``plan.pending`` on Ray and record every batch in ``plan`` as it comes back."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(Message("scale.bad_workers", value=workers))
    ray = require_ray()
    started = _start(ray, address, workers)
    try:
        cluster_cpus = int(ray.cluster_resources().get("CPU", workers))
        cpus = max(1, cluster_cpus // workers) if not gpus_per_worker else 1
        items = [{"index": i, "path": str(plan.sources[i][1])} for i in plan.pending]
        # about one block per batch: each comes back (and is stored) as soon as it is done
        blocks = max(1, min(-(-len(items) // batch_size), MAX_BLOCKS))
        dataset = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
            EncoderActor,
            fn_constructor_kwargs={
                "model": model,
                "speedup": speedup,
                "device": "cuda" if gpus_per_worker else "cpu",
            },
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=cpus,
            num_gpus=gpus_per_worker or None,
            batch_format="numpy",
        )
        total = len(plan.sources)
        done = total - len(plan.pending)
        seen: set[int] = set()
        for rows in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            batch, kept, refusals, fresh = [], [], {}, []
            for row, index in enumerate(rows["index"].tolist()):
                if index in seen:  # a retried batch: its first copy was kept
                    continue
                seen.add(index)
                batch.append((index, plan.sources[index][0], None))
                if rows["refusal"][row]:
                    refusals[index] = from_json(rows["refusal"][row], rows["message"][row])
                else:
                    kept.append((index, rows["sha256"][row], rows["note"][row]))
                    fresh.append(rows["vector"][row])
            new = plan.done(kept, refusals, fresh)
            if cache is not None and new:
                cache.put_many(encoder.model_id, "image", new)
            if sink is not None and batch:
                sink(plan.rows(plan.with_copies(batch), encoder.model_id, encoder.dim))
            done += len(batch)
            if progress is not None:
                progress(done, total)
    finally:
        if started:
            ray.shutdown()


def embed_paths_on_ray(
    paths: Iterable[str | os.PathLike],
    encoder: ClipEncoder,
    model: str,
    *,
    cache: EmbeddingCache | None = None,
    skip: dict[str, str | None] | None = None,
    sink: Callable[[EmbeddingSet], None] | None = None,
    progress: ProgressCallback | None = None,
    **options,
) -> EmbeddingSet:
    """:func:`core.embedding.embed_paths`, with the encoding done on Ray.

    ``encoder`` is this process's copy of ``model`` (for its id, size and the cache);
    ``options`` go to :func:`run_plan` (address, workers, batch_size, speedup,
    gpus_per_worker). Returns every item not skipped, in input order.
    """
    sources, missing = list_sources(paths)
    plan = plan_embedding(sources, encoder, cache, skip)
    if sink is not None:
        head = plan.rows(plan.settled(), encoder.model_id, encoder.dim)
        head.rejected = missing + head.rejected
        sink(head)
    if progress is not None:
        progress(len(sources) - len(plan.pending), len(sources))
    if plan.pending:
        run_plan(plan, encoder, model, cache=cache, progress=progress, sink=sink, **options)
    result = plan.result(encoder.model_id, encoder.dim)
    result.rejected = missing + result.rejected
    return result
