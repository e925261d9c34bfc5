"""One transfer pipeline: the Transfer page, ``python -m core place`` and the core function
agree on where a sentence lands, and a lone sentence is never centred to nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.__main__ import main
from core.atlas import build_atlas
from core.defaults import GALLERY_IMAGES
from core.embedding import embed_paths, embed_texts
from core.emotions import PARROTT6, label_vectors, prompt_bank_center
from core.models import load_encoder
from core.projection import center_modalities
from core.transfer import fit_image_map, transfer_view


@pytest.fixture(scope="module")
def pocket_gallery(tmp_path_factory):
    from core.cache import EmbeddingCache

    encoder = load_encoder("pocket")
    cache = EmbeddingCache(tmp_path_factory.mktemp("cache"))
    return encoder, embed_paths([GALLERY_IMAGES], encoder, cache=cache)


def _core_view(encoder, gallery, text: str, k: int = 8):
    vector = embed_texts([text], encoder).vectors[0]
    return transfer_view(
        vector,
        gallery.vectors,
        label_vectors=label_vectors(encoder, PARROTT6),
        logit_scale=encoder.logit_scale,
        text_center=prompt_bank_center(encoder, PARROTT6),
        k=k,
    )


def test_a_lone_sentence_keeps_its_direction_when_centred(pocket_gallery):
    encoder, gallery = pocket_gallery
    text = embed_texts(["我爱你"], encoder)
    items = gallery + text
    own_mean = center_modalities(items.vectors, items.kinds)[-1]
    fixed = center_modalities(
        items.vectors, items.kinds, {"text": prompt_bank_center(encoder, PARROTT6)}
    )[-1]
    assert np.linalg.norm(own_mean) < 1e-3  # the bug: centred on itself, it vanishes
    assert np.linalg.norm(fixed) == pytest.approx(1.0, abs=1e-4)


def test_joint_atlas_puts_a_lone_sentence_among_its_mood_board(pocket_gallery):
    encoder, gallery = pocket_gallery
    items = gallery + embed_texts(["我爱你"], encoder)
    atlas = build_atlas(items, encoder, PARROTT6, n_neighbors=12)
    star = atlas.coords[-1]
    nearest = np.argsort(np.linalg.norm(atlas.coords[:-1] - star, axis=1))[:8]
    board = _core_view(encoder, gallery, "我爱你").placement.neighbours
    assert len(set(nearest) & set(board)) >= 2


def test_position_is_the_image_maps_own_transform(pocket_gallery):
    encoder, gallery = pocket_gallery
    view = _core_view(encoder, gallery, "our dog died this morning")
    placement = view.placement
    assert placement.weights.sum() == pytest.approx(1.0)
    # The gallery's neighbour graph falls apart at k = 8: the map raised its own k.
    assert view.image_map.n_neighbors_ > 8 and len(placement.neighbours) == 8
    assert np.allclose(
        view.coords, fit_image_map(gallery.vectors, k=8, auto_k=True).embedding_, atol=1e-6
    )
    centred_text = embed_texts(["our dog died this morning"], encoder).vectors[0]
    centred_text = centred_text - prompt_bank_center(encoder, PARROTT6)
    centred_text /= np.linalg.norm(centred_text)
    assert np.allclose(
        view.image_map.transform(centred_text[None])[0], placement.position, atol=1e-4
    )


def test_on_a_map_of_the_boards_own_k_the_position_is_the_boards_mix(pocket_gallery):
    encoder, gallery = pocket_gallery
    image_map = fit_image_map(gallery.vectors, k=12)  # no auto_k: k stays 12
    view = transfer_view(
        gallery.vectors[0] * 0.5 + gallery.vectors[1] * 0.5,
        gallery.vectors,
        label_vectors=label_vectors(encoder, PARROTT6),
        logit_scale=encoder.logit_scale,
        text_center=prompt_bank_center(encoder, PARROTT6),
        k=12,
        image_map=image_map,
    )
    placement = view.placement
    expected = placement.weights @ image_map.embedding_[placement.neighbours]
    assert np.allclose(placement.position, expected, atol=1e-8)


def test_place_cli_prints_one_object_per_text_in_order(capsys, tmp_path):
    texts = ["我爱你", "our dog died this morning", "航空公司弄丢了我的行李"]
    code = main(["place", "--texts", *texts, "--json", "--cache-dir", str(tmp_path)])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == texts
    for record in records:
        assert set(record) >= {"text", "top", "probs", "neighbours", "weights", "residual", "x"}
        assert len(record["neighbours"]) == len(record["weights"]) == 8
        assert sum(record["weights"]) == pytest.approx(1.0, abs=1e-3)
        assert sum(record["probs"].values()) == pytest.approx(1.0, abs=1e-3)
    assert records[0]["top"] == "love" and records[1]["top"] == "sadness"


def test_place_cli_refuses_a_k_too_large_for_the_collection(capsys, tmp_path):
    code = main(["place", "--texts", "hi", "--k", "5000", "--cache-dir", str(tmp_path)])
    assert code == 2
    assert "--k must be between 1 and" in capsys.readouterr().err


def test_page_cli_and_core_agree_on_neighbours_and_position(pocket_gallery, capsys, tmp_path):
    from streamlit.testing.v1 import AppTest

    encoder, gallery = pocket_gallery
    text = "考试没过，我好难过"
    core_view = _core_view(encoder, gallery, text)
    core_names = [Path(gallery.names[i]).name for i in core_view.placement.neighbours]

    assert main(["place", "--texts", text, "--json", "--cache-dir", str(tmp_path)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [Path(n).name for n in cli["neighbours"]] == core_names
    assert [cli["x"], cli["y"]] == pytest.approx(list(core_view.placement.position), abs=1e-3)

    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=180)
    at.run()
    at.switch_page("pages/transfer.py").run()
    at.text_input(key="transfer_text").set_value(text).run()
    assert not at.exception
    shown = at.session_state["transfer_view"]
    assert shown["text"] == text and shown["neighbours"] == core_names
    assert shown["position"] == pytest.approx(list(core_view.placement.position), abs=1e-3)
