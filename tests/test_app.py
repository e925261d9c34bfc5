"""The dashboard through Streamlit's AppTest: every page, both languages, no exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180


def app(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    return at


def open_page(page: str, lang: str = "en", **sidebar) -> AppTest:
    """Run the app once (registering its pages), switch to ``page``, then set sidebar
    widgets by key (e.g. ``source="uploads"``) the way a user would."""
    at = app(lang)
    at.run()
    at.switch_page(page).run()
    for key, value in sidebar.items():
        widgets = [w for kind in (at.radio, at.selectbox, at.toggle) for w in kind if w.key == key]
        assert widgets, f"no sidebar widget {key!r}"
        widgets[0].set_value(value).run()
    return at


@pytest.mark.parametrize(("lang", "title"), [("en", "Emotion Atlas"), ("zh", "情绪地图")])
def test_home_renders_in_each_language(lang, title):
    at = app(lang)
    at.run()
    assert not at.exception
    assert at.title[0].value == title
    assert at.selectbox(key="model").value == "pocket"


def test_switching_language_rewrites_the_page():
    at = app()
    at.run()
    at.radio(key="language").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "情绪地图"


def test_atlas_default_flow_and_changing_method_and_k():
    at = open_page("pages/atlas.py")
    assert not at.exception
    assert at.title[0].value == "Emotion atlas"
    assert [m.label for m in at.metric][:2] == ["Trustworthiness", "Neighbours kept"]
    at.selectbox(key="method").set_value("pca").run()
    assert not at.exception
    at.slider(key="k").set_value(20).run()
    assert not at.exception
    assert float(at.metric[0].value) > 0.5


def test_atlas_without_pictures_says_what_to_do():
    at = open_page("pages/atlas.py", source="uploads")
    assert not at.exception
    assert any("No pictures yet" in info.value for info in at.info)


def test_atlas_in_chinese_with_mikels_labels():
    at = open_page("pages/atlas.py", "zh", language="zh", label_choice="mikels8")
    assert not at.exception
    assert at.title[0].value == "图文地图"  # the page; 情绪地图 is the app
    assert at.metric[0].label == "可信度"


def test_transfer_page_tells_one_story_in_chinese():
    at = open_page("pages/transfer.py", "zh")
    at.text_input(key="transfer_text").set_value("航空公司弄丢了我的行李").run()
    assert not at.exception
    story = {m.label: m.value for m in at.metric}
    assert story["这句话读出"].startswith("愤怒") and story["情绪板带来"].startswith("愤怒")
    assert story["重新调色后的图片"] == "—"  # not run yet, and the help says where to run it
    shown = at.session_state["transfer_view"]
    assert sum(shown["shares"]) == pytest.approx(100) and shown["shares"] == sorted(
        shown["shares"], reverse=True
    )
    assert any("份额" in c.value and "余弦" in c.value for c in at.caption)
    at.button(key="run_transfer").click().run()
    assert not at.exception
    story = {m.label: m.value for m in at.metric}
    assert "Emo-S" in story and "CLIP-I" in story
    assert story["重新调色后的图片"].startswith("愤怒") and story["重新调色后的图片"].endswith("%")


def test_a_long_paste_on_transfer_is_cut_and_said_not_lost():
    at = open_page("pages/transfer.py", "zh")
    at.text_input(key="transfer_text").set_value("我爱你。" * 200).run()
    assert not at.exception
    assert any("800 个字符" in w.value and "前 500 个" in w.value for w in at.warning)
    assert at.session_state["transfer_view"]["text"] == ("我爱你。" * 200)[:500]


def test_transfer_refuses_an_empty_sentence():
    at = open_page("pages/transfer.py")
    at.text_input(key="transfer_text").set_value("   ").run()
    assert not at.exception
    assert any("Type a sentence first" in w.value for w in at.warning)


def test_classify_trains_a_probe_on_the_gallery_labels():
    at = open_page("pages/classify.py")
    assert not at.exception
    at.button(key="train_probe").click().run()
    assert not at.exception
    accuracy = next(m for m in at.metric if m.label == "Probe accuracy")
    assert accuracy.value.endswith("%") and int(accuracy.value[:-1]) > 14  # above chance
    # the gallery was drawn from the pocket model's own training sources: said beside it
    assert any("the pocket model was trained on" in box.value for box in at.info)


def test_classify_in_chinese_names_every_gallery_label_in_chinese():
    at = open_page("pages/classify.py", "zh")
    at.button(key="train_probe").click().run()
    assert not at.exception
    assert any("训练数据来自同样的来源" in box.value for box in at.info)
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)  # the confusion matrix
    shown = json.dumps([spec["data"][0]["x"], spec["layout"]["xaxis"]], ensure_ascii=False)
    assert "厌恶" in shown and "预测" in shown
    assert "disgust" not in shown and "neutral" not in shown


def test_learn_page_steps_and_large_k_short_circuits():
    at = open_page("pages/learn.py")
    assert not at.exception
    assert any("0 neighbour links" in s.value for s in at.success)
    at.slider(key="learn_k").set_value(80).run()
    assert not at.exception
    assert at.warning and "neighbour links jump" in at.warning[0].value
    assert float(at.metric[0].value) <= 1.0


def test_learn_page_on_real_embeddings():
    at = open_page("pages/learn.py")
    at.radio(key="learn_data").set_value("embeddings").run()
    assert not at.exception
    assert [m.label for m in at.metric][0] == "Points"
    assert at.get("plotly_chart")


def test_export_offers_every_format():
    at = open_page("pages/export.py", "zh", language="zh")
    assert not at.exception
    labels = [button.label for button in at.get("download_button")]
    assert len(labels) == 3 and any("HTML" in label for label in labels)


def test_server_folder_keeps_good_pictures_and_reports_bad_ones(corpus, monkeypatch):
    folder = corpus["red.png"].parent
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(folder))
    at = open_page("pages/atlas.py", source="folder")
    assert not at.exception
    refusals = [c.value for c in at.caption if ":" in c.value]
    assert any("drawing.eps: PostScript/EPS is refused" in text for text in refusals)
    assert at.get("plotly_chart")  # the map of the 12 good pictures and 5 sentences
    slider = at.slider(key="k")
    assert slider.max == 17 - 2  # k adapts to 12 pictures + 5 sentences
    slider.set_value(slider.max).run()
    assert not at.exception and not at.error and at.get("plotly_chart")


def test_server_folder_outside_the_root_is_refused(corpus, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(corpus["red.png"].parent))
    at = open_page("pages/atlas.py", source="folder")
    at.text_input(key="folder_relative").set_value("../..").run()
    assert not at.exception
    assert any("without '..'" in error.value for error in at.error)


@pytest.mark.tries_network
def test_downloads_are_off_unless_the_operator_allows_them(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path))
    monkeypatch.delenv("EMOTION_ATLAS_ALLOW_DOWNLOADS", raising=False)
    at = open_page("pages/atlas.py")
    at.selectbox(key="model").set_value("ViT-B-32/laion2b_s34b_b79k").run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "download_model"]
    assert any("switched off" in c.value for c in at.caption)


def test_choosing_a_model_that_is_not_here_explains_and_offers_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path))
    monkeypatch.setenv("EMOTION_ATLAS_ALLOW_DOWNLOADS", "1")
    at = open_page("pages/atlas.py")
    at.selectbox(key="model").set_value("ViT-B-32/laion2b_s34b_b79k").run()
    assert not at.exception
    assert any("not on this server" in w.value for w in at.warning)
    assert not any("/" in w.value for w in [*at.warning, *at.caption])  # no server paths
    assert any("cannot be used right now" in e.value for e in at.error)
    assert at.button(key="download_model").label == "Download it now (about 605 MB)"
    at.button(key="download_model").click().run()  # offline: a sentence, not a traceback
    assert not at.exception
    assert any("hub cannot be reached" in e.value for e in at.error)


def test_presentation_mode_survives_a_page_change_and_can_be_left_again():
    at = open_page("pages/atlas.py", presentation_toggle=True)
    assert not at.exception
    assert at.button(key="leave_presentation")
    at.switch_page("pages/transfer.py").run()
    assert not at.exception
    assert at.session_state["presentation"] and at.toggle(key="presentation_toggle").value
    at.button(key="leave_presentation").click().run()
    assert not at.exception
    assert at.toggle(key="presentation_toggle").value is False
    assert not at.session_state["presentation"]


@pytest.mark.parametrize(
    "page",
    [
        "pages/atlas.py",
        "pages/transfer.py",
        "pages/classify.py",
        "pages/learn.py",
        "pages/export.py",
    ],
)
def test_a_collection_of_two_pictures_gets_sentences_not_errors(
    corpus, tmp_path, monkeypatch, page
):
    import shutil

    for name in ("red.png", "photo.jpg"):
        shutil.copy(corpus[name], tmp_path / name)
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(tmp_path))
    at = open_page(page, source="folder")
    assert not at.exception
    if page == "pages/learn.py":
        at.radio(key="learn_data").set_value("embeddings").run()
        assert not at.exception
    # what two pictures allow (a map, or a sentence saying why not), never an error box
    assert not at.error
    sentences = [m.value for m in (*at.warning, *at.info)]
    assert any(len(s.split()) >= 4 for s in sentences) or at.get("plotly_chart"), sentences


def test_a_rerun_reads_no_folder_file_again(corpus, tmp_path, monkeypatch):
    import shutil

    for name in ("red.png", "photo.jpg", "sky.webp", "cmyk.jpg", "greyscale.bmp"):
        shutil.copy(corpus[name], tmp_path / name)
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(tmp_path))
    from core import folders

    reads = []
    original = folders.read_file

    def counting(path, max_bytes):
        if Path(path).parent == tmp_path:
            reads.append(Path(path).name)
        return original(path, max_bytes)

    monkeypatch.setattr(folders, "read_file", counting)
    at = open_page("pages/atlas.py", source="folder")
    assert not at.exception and sorted(reads) == sorted(p.name for p in tmp_path.iterdir())
    reads.clear()
    at.slider(key="k").set_value(3).run()
    assert not at.exception and reads == []  # same listing: nothing copied again
    shutil.copy(corpus["photo.jpg"], tmp_path / "photo_2.jpg")
    at.slider(key="k").set_value(4).run()
    assert not at.exception and "photo_2.jpg" in reads


@pytest.mark.slow
def test_umap_waits_for_its_warm_up_and_draws():
    at = open_page("pages/atlas.py")
    at.selectbox(key="method").set_value("umap").run()
    assert not at.exception
    assert at.get("plotly_chart")
    assert not at.error


def test_atlas_settings_survive_other_pages_and_export_uses_them():
    at = open_page("pages/atlas.py")
    at.selectbox(key="method").set_value("pca").run()
    at.slider(key="k").set_value(7).run()
    at.text_area(key="texts").set_value("我爱你\n今天好难过").run()
    assert not at.exception
    at.switch_page("pages/transfer.py").run()
    at.switch_page("pages/atlas.py").run()
    assert at.selectbox(key="method").value == "pca"
    assert at.slider(key="k").value == 7
    assert at.text_area(key="texts").value == "我爱你\n今天好难过"
    at.switch_page("pages/export.py").run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "2 sentences" in caption and "PCA" in caption and "k = 7" in caption


def test_core_notices_are_said_in_chinese_on_a_chinese_page():
    """Hessian LLE folded the gallery onto a few dots with only a solver's error to show;
    now the page says why (the neighbour graph falls apart) and which k it drew with, in
    plain Chinese."""
    import re

    at = open_page("pages/atlas.py", lang="zh")
    at.selectbox(key="method").set_value("lle-hessian").run()
    assert not at.exception and not at.error
    notices = [box.value for box in [*at.info, *at.warning]]
    raised = [n for n in notices if "k = 12 时" in n and "近邻图分成了" in n]
    assert raised, notices
    used = int(re.search(r"改用 k = (\d+) 绘制", raised[0]).group(1))
    assert used > 12
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert f"k = {used}" in spec["layout"]["title"]["text"]  # the map names the k it used
    for notice in notices:
        assert re.search(r"[\u4e00-\u9fff]", notice), notice
        words = set(re.findall(r"[A-Za-z]{4,}", notice))
        assert words <= {"Hessian", "LTSA"}, notice  # no eigen_solver, dense, ValueError


def test_learn_says_in_chinese_why_lle_would_fold_the_gallery():
    at = open_page("pages/learn.py", "zh", language="zh")
    at.radio(key="learn_data").set_value("embeddings").run()
    assert not at.exception and not at.error
    said = " ".join(box.value for box in at.info)
    assert "k = 10 时" in said and "近邻图分成了" in said and "k ≥" in said, said
    assert "改用 k = " not in said  # Learn keeps the user's k: folding is its lesson


def test_learn_k_slider_follows_a_small_collection(corpus, tmp_path, monkeypatch):
    import shutil

    names = ("red.png", "photo.jpg", "sky.webp", "cmyk.jpg", "greyscale.bmp", "layers.tiff")
    for name in names:
        shutil.copy(corpus[name], tmp_path / name)
    monkeypatch.setenv("EMOTION_ATLAS_FOLDERS", str(tmp_path))
    at = open_page("pages/learn.py", source="folder")
    at.slider(key="learn_k").set_value(40).run()  # chosen on the S-curve (600 points)
    at.radio(key="learn_data").set_value("embeddings").run()
    assert not at.exception and not at.error
    assert at.metric[0].value == "6"
    assert at.slider(key="learn_k").max == 4 and at.slider(key="learn_k").value <= 4
    assert at.slider(key="learn_focus").max == 5
    assert at.get("plotly_chart")


def test_uploads_lost_to_a_restart_are_announced():
    at = app("zh")
    at.query_params["uploads"] = "1"  # the URL of a session that held uploads
    at.run()
    at.switch_page("pages/atlas.py").run()
    at.radio(key="source").set_value("uploads").run()
    assert not at.exception
    assert any("服务器重启" in w.value for w in at.warning)


def test_classroom_start_a_room_then_its_sentences_land_on_the_live_map(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_ROOMS", str(tmp_path / "rooms.sqlite3"))
    at = open_page("pages/classroom.py", lang="zh")
    assert not at.exception
    at.button[0].click().run()  # 开始房间 (the form's submit button)
    assert not at.exception
    code = next(m.value.strip("# `") for m in at.markdown if m.value.startswith("# `"))
    from core.models import load_encoder
    from core.rooms import RoomStore, reader

    store = RoomStore(tmp_path / "rooms.sqlite3")
    room = store.room(code)
    store.submit(
        code, ["我爱你", "航空公司弄丢了我的行李"], reader(load_encoder("pocket"), room.label_set)
    )
    at.run()
    assert not at.exception
    assert any("实时地图 · 2 句" in m.value for m in at.markdown)
    specs = [
        json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")
    ]
    assert any("航空公司" in spec and "我爱你" in spec for spec in specs)  # stars on the map


def test_join_on_a_phone_sends_a_sentence_and_shows_what_the_model_read(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_ROOMS", str(tmp_path / "rooms.sqlite3"))
    from core.emotions import PARROTT6
    from core.rooms import RoomStore

    room, _ = RoomStore(tmp_path / "rooms.sqlite3").new_room("周一", "pocket", PARROTT6)
    at = app("zh")
    at.query_params["room"] = room.code
    at.run()
    at.switch_page("pages/join.py").run()
    assert not at.exception
    assert not at.sidebar.radio  # a phone page: no sidebar widgets
    at.text_area[0].input("我爱你")
    at.button[0].click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已发送。模型读出的情绪：爱")
    assert [t.value for t in at.text] == ["我爱你"]  # the student's own sentences, as text
    at.text_area[0].input("好" * 281)  # over the limit: refused with the reason
    at.button[0].click().run()
    assert not at.exception and len(RoomStore(tmp_path / "rooms.sqlite3").entries(room.code)) == 1


def test_join_with_an_unknown_code_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_ROOMS", str(tmp_path / "rooms.sqlite3"))
    at = app("zh")
    at.query_params["room"] = "ZZZZZZ"
    at.run()
    at.switch_page("pages/join.py").run()
    assert not at.exception
    assert at.error[0].value == "没有房间 ZZZZZZ：请核对黑板上的房间码。"


def test_the_target_emotion_follows_the_sentence_until_the_user_picks_one():
    at = open_page("pages/transfer.py")
    assert at.selectbox(key="transfer_target").value == "love"  # 我爱你
    at.text_input(key="transfer_text").set_value("our dog died this morning").run()
    assert at.selectbox(key="transfer_target").value == "sadness"
    at.selectbox(key="transfer_target").set_value("joy").run()
    assert at.selectbox(key="transfer_target").value == "joy"  # the user's own pick stays
    at.switch_page("pages/atlas.py").run()
    at.switch_page("pages/transfer.py").run()
    assert not at.exception
    assert at.text_input(key="transfer_text").value == "our dog died this morning"
    assert at.selectbox(key="transfer_target").value == "joy"


def test_the_pocket_model_warns_that_it_does_not_know_photographs():
    at = open_page("pages/atlas.py", lang="zh", source="both")
    assert not at.exception
    assert any("不认识照片" in info.value for info in at.info)
    gallery_only = open_page("pages/atlas.py", lang="zh")
    assert not any("不认识照片" in info.value for info in gallery_only.info)
