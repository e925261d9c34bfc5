"""One server, many users: nobody sees another user's names, whatever bytes they share."""

from __future__ import annotations

import json
import shutil

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from core.defaults import GALLERY_IMAGES
from ui.uploads import MB, UploadGate, free_orphans


def _names_on_the_map(at) -> set[str]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {name for trace in figure["data"] for name in trace.get("text", [])}


def test_two_users_with_the_same_pictures_under_other_names(tmp_path, monkeypatch):
    from test_app import open_page

    pictures = sorted(GALLERY_IMAGES.iterdir())[:12]
    for user in ("anna", "ben"):
        folder = tmp_path / user
        folder.mkdir()
        for index, picture in enumerate(pictures):
            shutil.copy(picture, folder / f"{user}_{index:02d}.png")
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", f"{tmp_path / 'anna'}:{tmp_path / 'ben'}")
    anna = open_page("pages/atlas.py", source="folder")
    ben = open_page("pages/atlas.py", source="folder")
    ben.selectbox(key="folder_root").set_value(str(tmp_path / "ben")).run()
    for at, user, other in ((anna, "anna", "ben"), (ben, "ben", "anna")):
        assert not at.exception and not at.error
        names = _names_on_the_map(at)
        assert any(name.startswith(f"{user}_") for name in names), names
        assert not any(name.startswith(f"{other}_") for name in names), names
        at.switch_page("pages/export.py").run()  # the export carries this user's names only
        assert not at.exception


# Upload bytes held in memory: a budget per user and per server (ui/uploads.py), applied to
# Streamlit's own in-memory upload manager.
def _upload(manager, session, file_id, megabytes):
    data = bytes(int(megabytes * MB))
    manager.add_file(session, UploadedFileRec(file_id, f"{file_id}.png", "image/png", data))


def test_a_user_over_the_upload_budget_keeps_the_earlier_files_and_learns_which_were_not_kept():
    manager = MemoryUploadedFileManager("/upload")
    gate = UploadGate(manager, per_user_bytes=5 * MB, server_bytes=100 * MB)
    for name in "abcd":  # one upload of four 2 MB files: only two fit in 5 MB
        _upload(manager, "s1", name, 2)
    assert set(manager.file_storage["s1"]) == {"a", "b"}
    assert manager.get_stats()["cache_memory_bytes"][0].byte_length == 4 * MB
    assert gate.take_refused("s1") == [("c.png", False), ("d.png", False)]
    assert gate.take_refused("s1") == []  # reported once
    _upload(manager, "s1", "e", 0.5)  # still room for a small one
    assert "e" in manager.file_storage["s1"]


def test_the_server_budget_refuses_a_newcomer_but_not_the_users_already_holding_files():
    manager = MemoryUploadedFileManager("/upload")
    gate = UploadGate(manager, per_user_bytes=5 * MB, server_bytes=4 * MB)
    _upload(manager, "s1", "a", 3)
    _upload(manager, "s2", "b", 2)
    assert gate.take_refused("s2") == [("b.png", True)]
    assert "s1" in manager.file_storage and not manager.file_storage.get("s2")
    manager.remove_session_files("s1")  # the first user leaves: room again
    _upload(manager, "s2", "b", 2)
    assert "b" in manager.file_storage["s2"]


def test_files_no_widget_refers_to_are_freed_after_the_grace_but_never_a_fresh_one():
    manager, seen = MemoryUploadedFileManager("/upload"), {}
    _upload(manager, "s1", "left_page", 1)
    _upload(manager, "s1", "kept", 1)
    free_orphans(manager, "s1", {"left_page", "kept"}, seen, 0.0)
    _upload(manager, "s1", "arriving", 1)  # uploaded; its widget has not reported it yet
    free_orphans(manager, "s1", {"kept"}, seen, 61.0)
    assert set(manager.file_storage["s1"]) == {"kept", "arriving"}
    free_orphans(manager, "s1", {"kept"}, seen, 200.0)
    assert set(manager.file_storage["s1"]) == {"kept"}
    assert set(seen) == {"kept"}
