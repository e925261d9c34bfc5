"""One server, many users: nobody sees another user's names, whatever bytes they share."""

from __future__ import annotations

import json
import shutil

from core.defaults import GALLERY_IMAGES


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
