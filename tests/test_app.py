"""The dashboard frame through Streamlit's AppTest: both languages, no exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.mark.parametrize(("lang", "title"), [("en", "Emotion Atlas"), ("zh", "情绪地图")])
def test_home_renders_in_each_language(lang, title):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert at.title[0].value == title
    assert at.selectbox(key="model").value == "pocket"


def test_switching_language_rewrites_the_page():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.radio(key="language").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "情绪地图"
