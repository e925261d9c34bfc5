"""Faults a user can cause in ``python -m core``: each ends in one ``error:`` line (or
argparse's usage error) and a non-zero exit, checked before the work starts, never a
traceback or a read without end. Real files, folders, devices and JSON throughout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import time

import pytest
from conftest import TINY
from test_cli import run_cli

from core import emotions, images
from core.embedding import EmbeddingSet, embed_images
from core.messages import Message


class Hung(BaseException):
    """Raised by :func:`deadline`; no ``except OSError``/``Exception`` in the code swallows it."""


@contextlib.contextmanager
def deadline(seconds: int = 20):
    """Fail instead of hanging (an endless read, a pipe with no writer)."""

    def expired(signum, frame):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def one_error_line(done) -> str:
    """The single line of stderr, which says ``error: ...``."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def write_json_text(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def transfer_args(image, tmp_path, corpus, *extra):
    names = ("red.png", "photo.jpg", "sky.webp", "cmyk.jpg", "greyscale.bmp")
    gallery = [corpus[name] for name in names]
    return (
        "transfer",
        "--model",
        TINY,
        "--text",
        "I love you",
        "--image",
        image,
        "--gallery",
        *gallery,
        "--k",
        "1",
        "--out",
        tmp_path / "moved.png",
        "--cache-dir",
        tmp_path / "cache",
        *extra,
    )


# 1. devices, pipes and folders are not read (let alone without end)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it(tmp_path, corpus):
    with deadline(), pytest.raises(images.ImageRejected) as caught:
        images.load_image_file("/dev/zero")
    assert caught.value.args[0].code == "image.not_a_file"
    with deadline():
        done = run_cli(*transfer_args("/dev/zero", tmp_path, corpus))
    assert done.returncode == 2
    assert "/dev/zero" in one_error_line(done) and "not a regular file" in done.stderr
    assert not (tmp_path / "moved.png").exists() and not (tmp_path / "cache").exists()


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    with deadline(), pytest.raises(images.ImageRejected) as caught:
        images.load_image_file(pipe)
    assert caught.value.args[0].code == "image.not_a_file"
    with deadline():
        done = run_cli("embed", pipe, "--model", TINY, "--out", tmp_path / "x.npz")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"refused {pipe}: not a regular file" in done.stderr


def test_reads_stop_one_byte_past_the_limit(tmp_path, monkeypatch):
    """A file is read at most MAX_FILE_BYTES + 1 bytes, even when its size claims less
    (a file that grows while it is read)."""
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    real_read, real_fstat = os.read, os.fstat
    read = []

    def counting_read(fd, size):
        data = real_read(fd, size)
        read.append(len(data))
        return data

    def small_fstat(fd):
        fields = list(real_fstat(fd))
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)

    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * 5000)
    monkeypatch.setattr(os, "read", counting_read)
    monkeypatch.setattr(os, "fstat", small_fstat)
    with pytest.raises(images.ImageRejected, match="over the") as caught:
        images.load_image_file(big)
    monkeypatch.undo()
    assert caught.value.args[0].code == "image.over_limit"
    assert 0 < sum(read) <= 1001


def test_embed_hashes_only_regular_files_and_refuses_devices(tmp_path, tiny_encoder):
    sources = [("zero", images.Path("/dev/zero")), ("folder", tmp_path)]
    with deadline():
        result = embed_images(sources, tiny_encoder)
    assert len(result) == 0
    reasons = dict(result.rejected)
    assert reasons["zero"].code == "image.not_a_file"
    assert reasons["folder"].code == "image.is_folder"


# 2. batch size


@pytest.mark.parametrize("value", ["-1", "0", "two"])
def test_batch_size_below_one_is_a_usage_error(corpus, tmp_path, value):
    out = tmp_path / "x.npz"
    done = run_cli("embed", corpus["red.png"], "--model", TINY, "--batch-size", value, "--out", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "usage:" in done.stderr and "--batch-size" in done.stderr
    assert "at least 1" in done.stderr and not out.exists()


def test_embed_images_refuses_a_batch_size_below_one(tiny_encoder, corpus):
    with pytest.raises(ValueError) as caught:
        embed_images([("red", corpus["red.png"])], tiny_encoder, batch_size=0)
    assert isinstance(caught.value.args[0], Message)
    assert caught.value.args[0].code == "embedding.bad_batch_size"


# 3. the output is written where it was asked for


def test_out_with_any_extension_is_written_exactly_there(corpus, tmp_path):
    out = tmp_path / "x.bin"
    done = run_cli("embed", corpus["red.png"], "--model", TINY, "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and not (tmp_path / "x.bin.npz").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]
    assert EmbeddingSet.load_npz(out).names == [str(corpus["red.png"])]


# 4. an unusable cache never fails the work


@pytest.mark.parametrize("where", ["file", "below_a_file"])
def test_cache_dir_that_is_a_file_runs_uncached_with_a_note(corpus, tmp_path, where):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder", encoding="utf-8")
    cache_dir = blocker if where == "file" else blocker / "sub"
    out = tmp_path / "x.npz"
    done = run_cli(
        "embed",
        corpus["red.png"],
        "--texts",
        "I love you",
        "--model",
        TINY,
        "--cache-dir",
        cache_dir,
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    assert "2 embedded" in done.stdout and "0 from cache" in done.stdout and out.is_file()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("note: ") and "cache" in lines[0]
    assert blocker.read_text(encoding="utf-8") == "not a folder"

    scored = run_cli(
        "emotions", "--texts", "我爱你", "--model", TINY, "--cache-dir", cache_dir, "--json"
    )
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["item"] == "我爱你"
    assert scored.stderr.strip().startswith("note: ") and "Traceback" not in scored.stderr


# 5.-7. label files


def _emotions_with_labels(path, tmp_path):
    return run_cli(
        "emotions",
        "--texts",
        "I love you",
        "--model",
        TINY,
        "--labels",
        path,
        "--cache-dir",
        tmp_path / "cache",
    )


def test_deeply_nested_label_json_is_refused(tmp_path):
    depth = 100_000
    path = write_json_text(tmp_path / "deep.json", "[" * depth + "]" * depth)
    with pytest.raises(ValueError) as caught:
        emotions.load_label_set(str(path))
    assert caught.value.args[0].code == "labels.too_deep"
    done = _emotions_with_labels(path, tmp_path)
    assert done.returncode == 2 and "nested too deeply" in one_error_line(done)
    assert not (tmp_path / "cache").exists()

    inside = write_json_text(
        tmp_path / "inside.json", '{"a": ' + "[" * depth + "]" * depth + ', "b": ["x"]}'
    )
    with pytest.raises(ValueError, match="nested too deeply"):
        emotions.load_label_set(str(inside))
    # what the dashboard hands over: the uploaded bytes
    with pytest.raises(ValueError, match="nested too deeply"):
        emotions.label_set_from_json(inside.read_bytes())
    # and data parsed elsewhere: nesting below the interpreter's limit is still refused
    nested: list = []
    for _ in range(200):
        nested = [nested]
    with pytest.raises(ValueError, match="nested too deeply"):
        emotions.parse_label_set({"a": nested, "b": ["x"]})


def test_label_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    phrases = ["word"] * 10
    big = {f"label{i}": phrases for i in range(30)}
    text = json.dumps(big)
    text = text[:-1] + ', "padding": ["' + "p" * emotions.MAX_LABEL_FILE_BYTES + '"]}'
    path = write_json_text(tmp_path / "big.json", text)
    started = time.process_time()
    with pytest.raises(ValueError) as caught:
        emotions.load_label_set(str(path))
    assert time.process_time() - started < 1.0
    assert caught.value.args[0].code == "labels.file_too_large"
    done = _emotions_with_labels(path, tmp_path)
    assert done.returncode == 2 and "big.json" in one_error_line(done)
    assert "MB limit" in done.stderr
    with pytest.raises(ValueError, match="MB limit"):
        emotions.label_set_from_json(path.read_bytes())


def test_label_phrase_over_the_length_limit_is_refused(tmp_path):
    limit = emotions.MAX_PHRASE_CHARS
    path = tmp_path / "long.json"
    path.write_text(
        json.dumps({"joy": ["happy", "x" * (limit + 1)], "sad": ["sad"]}), encoding="utf-8"
    )
    with pytest.raises(ValueError) as caught:
        emotions.load_label_set(str(path))
    reason = caught.value.args[0]
    assert reason.code == "labels.phrase_too_long" and reason.values["label"] == "joy"
    done = _emotions_with_labels(path, tmp_path)
    assert done.returncode == 2 and f"{limit}-character limit" in one_error_line(done)
    fine = {"joy": ["happy", "x" * limit], "sad": ["sad"]}
    assert emotions.parse_label_set(fine).phrases["joy"][1] == "x" * limit


def test_label_device_or_folder_is_refused_without_reading(tmp_path):
    with deadline():
        done = _emotions_with_labels("/dev/zero", tmp_path)
    assert done.returncode == 2 and "not a regular file" in one_error_line(done)
    folder = tmp_path / "labels.json"
    folder.mkdir()
    done = _emotions_with_labels(folder, tmp_path)
    assert done.returncode == 2 and "not a regular file" in one_error_line(done)


@pytest.mark.parametrize(
    ("text", "code", "named"),
    [
        ('{"joy": ["happy"], "joy": ["glad"], "sad": ["sad"]}', "labels.duplicate", "'joy'"),
        ('{" joy": ["happy"], "joy": ["glad"]}', "labels.same_but_spaces", "' joy' and 'joy'"),
        ('{"good mood": ["a"], "good  mood ": ["b"]}', "labels.same_but_spaces", "'good mood'"),
    ],
)
def test_duplicate_label_keys_are_refused(tmp_path, text, code, named):
    path = write_json_text(tmp_path / "twice.json", text)
    with pytest.raises(ValueError) as caught:
        emotions.load_label_set(str(path))
    assert caught.value.args[0].code == code and named in caught.value.args[0]
    done = _emotions_with_labels(path, tmp_path)
    assert done.returncode == 2 and named in one_error_line(done)
    with pytest.raises(ValueError, match=named):
        emotions.label_set_from_json(text.encode("utf-8"))


# 8. an output folder that is missing is refused before any work


@pytest.mark.parametrize("command", ["embed", "atlas", "transfer"])
def test_output_in_a_missing_folder_is_refused_before_any_work(corpus, tmp_path, command):
    out = tmp_path / "missing" / "result.out"
    if command == "transfer":
        args = list(transfer_args(corpus["photo.jpg"], tmp_path, corpus))
        args[args.index("--out") + 1] = out
    else:
        args = [command, corpus["red.png"], corpus["photo.jpg"], "--model", TINY]
        args += ["--out", out, "--cache-dir", tmp_path / "cache"]
    started = time.monotonic()
    done = run_cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert "does not exist" in one_error_line(done)
    assert not (tmp_path / "cache").exists() and not out.parent.exists()
    assert time.monotonic() - started < 5
    # checked before the model is even looked up
    unknown = run_cli("embed", corpus["red.png"], "--model", "nope", "--out", out)
    assert unknown.returncode == 2 and "does not exist" in one_error_line(unknown)


# 9. transfer --image that is a folder or missing


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_transfer_image_folder_or_missing_is_one_line(corpus, tmp_path, kind):
    image = tmp_path / ("pictures" if kind == "folder" else "nowhere.jpg")
    if kind == "folder":
        image.mkdir()
    done = run_cli(*transfer_args(image, tmp_path, corpus))
    assert done.returncode == 2
    line = one_error_line(done)
    assert str(image) in line
    assert ("a folder" if kind == "folder" else "No such file") in line
    assert not (tmp_path / "cache").exists() and not (tmp_path / "moved.png").exists()
