"""Large collections: the Ray engine, the Parquet store, a killed run resumed.

The Ray tests start a real local Ray (a few seconds) and its workers load the real pocket
model; the store is written and read by the real command.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_cli import run_cli

from core.embedding import EmbeddingSet
from core.store import read_store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from large_collection import ray_workers  # noqa: E402  (finds Ray's encoder workers)

GALLERY = ROOT / "assets" / "gallery" / "images"


@pytest.fixture(scope="module")
def mixed_folder(corpus, tmp_path_factory):
    """40 gallery pictures, the intake corpus (good, odd and bad files) and one copy."""
    folder = tmp_path_factory.mktemp("mixed")
    for path in sorted(GALLERY.iterdir())[:40]:
        shutil.copy(path, folder / path.name)
    for path in corpus.values():
        shutil.copy(path, folder / path.name)
    shutil.copy(folder / "red.png", folder / "red_copy.png")
    return folder


def _by_name(embeddings: EmbeddingSet) -> dict[str, np.ndarray]:
    return dict(zip(embeddings.names, embeddings.vectors, strict=True))


def test_the_ray_engine_gives_the_local_engines_vectors_and_refusals(mixed_folder, tmp_path):
    local = run_cli("embed", mixed_folder, "--no-cache", "--out", tmp_path / "local.npz")
    assert local.returncode == 0, local.stderr
    ray = run_cli(
        "embed",
        mixed_folder,
        "--no-cache",
        "--engine",
        "ray",
        "--workers",
        "2",
        "--batch-size",
        "8",
        "--out",
        tmp_path / "ray.npz",
    )
    assert ray.returncode == 0, ray.stderr
    first = EmbeddingSet.load_npz(tmp_path / "local.npz")
    second = EmbeddingSet.load_npz(tmp_path / "ray.npz")
    assert second.names == first.names  # input order, not the order batches finished in
    assert len(first) >= 50
    cosines = np.sum(first.vectors * second.vectors, axis=1)
    assert cosines.min() >= 0.9999, cosines.min()
    assert second.hashes == first.hashes and second.notes == first.notes
    assert second.rejected == first.rejected and len(first.rejected) >= 6
    refusals = [line for line in ray.stderr.splitlines() if line.startswith("refused ")]
    assert refusals == [line for line in local.stderr.splitlines() if line.startswith("refused ")]


def test_a_rerun_on_ray_encodes_nothing_the_cache_has(mixed_folder, tmp_path):
    cache = tmp_path / "cache"
    out = tmp_path / "store.parquet"
    first = run_cli("embed", mixed_folder, "--out", out, cache=cache)
    assert first.returncode == 0, first.stderr
    again = run_cli("embed", mixed_folder, "--engine", "ray", "--out", out, cache=cache)
    assert again.returncode == 0, again.stderr
    embedded = read_store(out)
    assert f"{len(embedded)} embedded" in again.stdout
    assert f"{len(embedded)} from cache" in again.stdout  # no Ray worker was needed
    assert {name for name, _ in embedded.rejected} == {name for name, _ in read_store(out).rejected}


def test_the_store_has_one_row_per_item_and_reads_back_as_the_npz_does(mixed_folder, tmp_path):
    run_cli("embed", mixed_folder, "--no-cache", "--out", tmp_path / "a.npz")
    done = run_cli(
        "embed",
        mixed_folder,
        "--no-cache",
        "--batch-size",
        "8",
        "--texts",
        "我爱你",
        "--out",
        tmp_path / "a.parquet",
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "a.parquet.parts").exists()
    npz = EmbeddingSet.load_npz(tmp_path / "a.npz")
    store = read_store(tmp_path / "a.parquet")
    assert store.model_id == npz.model_id
    vectors = _by_name(store)
    assert set(vectors) == set(npz.names) | {"我爱你"}
    for name, vector in _by_name(npz).items():  # other batch sizes: rounding apart only
        assert float(vectors[name] @ vector) >= 0.9999
    assert sorted(store.rejected) == sorted(npz.rejected)
    # the refusals keep their message codes (the dashboard says them in Chinese)
    assert all(getattr(reason, "code", None) for _, reason in store.rejected)

    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "a.parquet")
    assert table.num_rows == len(store) + len(store.rejected)
    vector_type = table.schema.field("vector").type
    assert vector_type.list_size == 128 and str(vector_type.value_type) == "float"
    assert pq.ParquetFile(tmp_path / "a.parquet").num_row_groups > 1  # written batch by batch


def test_a_killed_run_keeps_its_parts_and_the_next_run_goes_on(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for path in sorted(GALLERY.iterdir())[:120]:
        shutil.copy(path, folder / path.name)
    out = tmp_path / "store.parquet"
    command = [sys.executable, "-m", "core", "embed", str(folder), "--no-cache"]
    command += ["--batch-size", "4", "--out", str(out)]
    running = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    parts = tmp_path / "store.parquet.parts"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and running.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 3:
            break
        time.sleep(0.05)
    assert running.poll() is None, "the run ended before it could be killed"
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()
    assert not out.exists()
    unfinished = read_store(out)  # the parts of a killed run read as a store already
    assert 0 < len(unfinished) < 120

    done = run_cli("embed", folder, "--no-cache", "--batch-size", "4", "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"{len(unfinished)} kept from an unfinished run" in done.stdout
    assert f"{120 - len(unfinished)} embedded" in done.stdout
    store = read_store(out)
    assert sorted(store.names) == sorted(str(p) for p in folder.iterdir())  # none lost, none twice
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 120


def test_the_atlas_and_place_commands_read_a_store(tmp_path):
    out = tmp_path / "gallery.parquet"
    assert run_cli("embed", GALLERY, "--no-cache", "--out", out).returncode == 0
    atlas = run_cli("atlas", out, "--texts", "我爱你", "--out", tmp_path / "atlas.html")
    assert atlas.returncode == 0, atlas.stderr
    assert "233 embedded" in atlas.stdout  # 232 pictures from the store and the sentence
    placed = run_cli("place", "--texts", "我爱你", "--collection", out, "--json")
    assert placed.returncode == 0, placed.stderr
    assert '"top": "love"' in placed.stdout


def test_a_store_of_another_model_is_refused_with_its_name(tmp_path, tiny_encoder):
    from conftest import TINY

    out = tmp_path / "tiny.parquet"
    assert (
        run_cli("embed", GALLERY / "emoji_000_2600.png", "--model", TINY, "--out", out).returncode
        == 0
    )
    done = run_cli("emotions", "--images", out)
    assert done.returncode == 2
    assert "was embedded by" in done.stderr and "--model" in done.stderr, done.stderr


def test_without_ray_the_ray_engine_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without Ray looks like
    done = run_cli("embed", GALLERY, "--engine", "ray", "--out", tmp_path / "x.npz")
    assert done.returncode == 2
    assert "requirements-scale.txt" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's workers through /proc")
def test_a_ray_worker_killed_mid_run_loses_and_repeats_nothing(tmp_path):
    from core.embedding import embed_paths
    from core.models import load_encoder
    from core.scale import embed_paths_on_ray

    folder = tmp_path / "pictures"
    folder.mkdir()
    for path in sorted(GALLERY.iterdir())[:160]:
        shutil.copy(path, folder / path.name)
    encoder = load_encoder("pocket")
    killed = []

    def kill_one_worker(done: int, total: int) -> None:
        if done and done < total and not killed:
            workers = ray_workers()
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])

    parts = []
    result = embed_paths_on_ray(
        [folder],
        encoder,
        "pocket",
        workers=2,
        batch_size=4,
        progress=kill_one_worker,
        sink=parts.append,
    )
    assert killed, "no worker was found to kill"
    expected = embed_paths([folder], encoder)
    assert result.names == expected.names  # none lost
    written = [name for part in parts for name in part.names]
    assert sorted(written) == sorted(expected.names)  # none written twice
    assert np.sum(result.vectors * expected.vectors, axis=1).min() >= 0.9999


def _large_store(folder: Path, copies: int) -> Path:
    """A store of the real gallery and ``copies`` more pictures: copies of its files with
    their vectors slightly moved (a large collection in seconds, not in an hour)."""
    from core.models import load_encoder
    from core.store import StoreWriter

    pictures = folder / "gallery"
    shutil.copytree(GALLERY, pictures)
    out = folder / "collection.parquet"
    assert run_cli("embed", pictures, "--no-cache", "--out", out).returncode == 0
    gallery = read_store(out)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(gallery), copies)
    noisy = gallery.vectors[rows] + rng.normal(scale=0.05, size=(copies, gallery.vectors.shape[1]))
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    (folder / "copies").mkdir()
    names = []
    for number, row in enumerate(rows):
        names.append(str(folder / "copies" / f"{number:05d}.png"))
        shutil.copy(gallery.names[row], names[-1])
    more = EmbeddingSet(gallery.model_id, names, ["image"] * copies, noisy, [""] * copies, names)
    writer = StoreWriter(folder / "large.parquet", load_encoder("pocket").model_id, 128)
    writer.write(gallery)
    writer.write(more)
    writer.close()
    out.unlink()
    return folder / "large.parquet"


def _length(values) -> int:
    """How many numbers a figure's array holds (plotly writes big ones as typed arrays)."""
    if isinstance(values, dict):
        import base64

        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values)


def test_the_atlas_page_maps_a_large_store_with_webgl_and_a_sample_of_thumbnails(
    tmp_path, monkeypatch
):
    from test_app import open_page

    store = _large_store(tmp_path, 2300)
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(tmp_path))
    at = open_page("pages/atlas.py", "zh", language="zh", source="store")
    assert not at.exception and not at.error
    assert at.selectbox(key="store_path").value == str(store)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    dots = [trace for trace in spec["data"] if trace["type"] == "scattergl"]
    assert sum(_length(trace["x"]) for trace in dots) == 2532
    images = spec["layout"].get("images", [])
    assert 10 <= len(images) <= 120  # a spread sample, from the files that are there
    assert str(tmp_path) not in at.get("plotly_chart")[0].proto.spec  # no server path


def test_a_store_of_another_model_is_refused_on_the_page_in_chinese(tmp_path, monkeypatch):
    from conftest import TINY
    from test_app import open_page

    picture = GALLERY / "emoji_000_2600.png"
    assert (
        run_cli("embed", picture, "--model", TINY, "--out", tmp_path / "t.parquet").returncode == 0
    )
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(tmp_path))
    at = open_page("pages/atlas.py", "zh", language="zh", source="store")
    assert not at.exception
    assert any("请选择那个模型" in error.value for error in at.error), [e.value for e in at.error]
    assert all(str(tmp_path) not in error.value for error in at.error)


def test_a_torn_part_is_redone_and_no_kept_part_is_overwritten(tmp_path):
    from core.store import StoreWriter

    vectors = np.eye(3, 4, dtype=np.float32)

    def batch(names):
        rows = len(names)
        return EmbeddingSet("m", names, ["image"] * rows, vectors[:rows], [""] * rows, names)

    writer = StoreWriter(tmp_path / "s.parquet", "m", 4)
    for names in (["a"], ["b"], ["c"]):
        writer.write(batch(names))
    parts = sorted((tmp_path / "s.parquet.parts").glob("part-*.parquet"))
    parts[1].write_bytes(b"torn")  # a part cut off by a crash (never renamed in, but say so)
    left = tmp_path / "s.parquet.parts" / ".part-000003.parquet.x1y2.tmp"
    left.write_bytes(b"half")  # what a run killed while writing a part leaves behind
    again = StoreWriter(tmp_path / "s.parquet", "m", 4)
    assert not left.exists()
    assert set(again.written) == {"a", "c"}
    again.write(batch(["b"]))
    again.close()
    store = read_store(tmp_path / "s.parquet")
    assert sorted(store.names) == ["a", "b", "c"]
    assert not (tmp_path / "s.parquet.parts").exists()


@pytest.mark.slow
def test_the_ray_engine_joins_a_running_cluster_and_leaves_it_running(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray = str(Path(sys.executable).with_name("ray"))
    start = [ray, "start", "--head", "--port", str(port), "--num-cpus", "2"]
    start += ["--include-dashboard=false", "--disable-usage-stats"]
    subprocess.run(start, check=True, capture_output=True, timeout=180)
    try:
        address = f"127.0.0.1:{port}"
        pictures = sorted(GALLERY.iterdir())[:20]
        done = run_cli(
            "embed", *pictures, "--no-cache", "--engine", "ray", "--address", address,
            "--out", tmp_path / "joined.npz",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "20 embedded" in done.stdout
        status = subprocess.run(
            [ray, "status", "--address", address], capture_output=True, text=True, timeout=120
        )
        assert status.returncode == 0, status.stderr  # the command did not stop the cluster
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)
