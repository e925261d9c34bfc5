"""Server folders: only below configured roots, never outside by any route."""

from __future__ import annotations

import os

import pytest

from core.datasets import DatasetRejected, read_labelled_zip, read_zip_pictures
from core.folders import ROOTS_ENV, FolderRefused, allowed_roots, list_files, resolve_folder


@pytest.fixture
def root(tmp_path, monkeypatch):
    allowed = tmp_path / "allowed"
    (allowed / "class" / "joy").mkdir(parents=True)
    (allowed / "class" / "joy" / "a.png").write_bytes(b"x")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key.txt").write_text("no")
    monkeypatch.setenv(ROOTS_ENV, str(allowed))
    return allowed


def test_no_roots_configured_means_no_folders(monkeypatch, tmp_path):
    monkeypatch.delenv(ROOTS_ENV, raising=False)
    assert allowed_roots() == []
    with pytest.raises(FolderRefused, match="not one of the allowed folders"):
        resolve_folder(tmp_path, "")


def test_a_folder_inside_the_root_is_allowed(root):
    folder = resolve_folder(root, "class/joy")
    files, refused = list_files(folder, root)
    assert [f.name for f in files] == ["a.png"] and refused == []


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("../secret", "without '..'"),
        ("class/../../secret", "without '..'"),
        ("/etc", "leading '/'"),
        ("C:\\Windows", "Windows-style"),
        ("..\\secret", "Windows-style"),
        ("nope", "There is no folder 'nope'"),
    ],
)
def test_escapes_are_refused(root, relative, message):
    with pytest.raises(FolderRefused, match=message):
        resolve_folder(root, relative)


def test_root_not_configured_is_refused(root, tmp_path):
    with pytest.raises(FolderRefused, match="not one of the allowed"):
        resolve_folder(tmp_path / "secret", "")


def test_symlinks_pointing_out_are_refused(root, tmp_path):
    os.symlink(tmp_path / "secret", root / "outside")
    os.symlink(tmp_path / "secret" / "key.txt", root / "class" / "key.png")
    with pytest.raises(FolderRefused, match="outside the allowed folder"):
        resolve_folder(root, "outside")
    files, refused = list_files(resolve_folder(root, "class"), root)
    assert [f.name for f in files] == ["a.png"]
    assert refused == [("key.png", "a link to outside the folder")]


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_traversal_entries_are_refused_and_the_rest_kept():
    data = _zip({"joy/a.png": b"1", "../../x.png": b"2", "/abs.png": b"3", "loose.png": b"4"})
    sources, labels, refused = read_labelled_zip(data)
    assert [name for name, _ in sources] == ["joy/a.png"] and labels == ["joy"]
    reasons = dict(refused)
    assert reasons["../../x.png"] == "unsafe path inside the zip"
    assert reasons["loose.png"] == "not inside a folder named by its label"


def test_zip_bombs_and_huge_archives_are_refused_before_inflating(monkeypatch):
    import core.datasets as datasets

    bomb = _zip({"a/big.png": b"\0" * 5_000_000})
    assert len(bomb) < 50_000
    monkeypatch.setattr(datasets, "MAX_ZIP_BYTES", 1_000_000)
    with pytest.raises(DatasetRejected, match="unpacks to 5 MB; the limit is 1 MB"):
        read_zip_pictures(bomb)
    monkeypatch.setattr(datasets, "MAX_ZIP_FILES", 10)
    many = _zip({f"a/{i}.png": b"x" for i in range(11)})
    with pytest.raises(DatasetRejected, match="holds 11 files; the limit is 10"):
        read_zip_pictures(many)
    with pytest.raises(DatasetRejected, match="not a zip"):
        read_zip_pictures(b"hello")


def test_a_zip_of_ten_thousand_tiny_files_is_refused_whole():
    many = _zip({f"joy/{i}.png": b"x" for i in range(10_000)})
    with pytest.raises(DatasetRejected, match="holds 10,000 files; the limit is 2,000"):
        read_zip_pictures(many)
