"""Label sets, prompt ensembles, zero-shot distributions and the linear probe."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from core.emotions import (
    EKMAN7,
    MIKELS8,
    fit_linear_probe,
    label_vectors,
    load_label_set,
    parse_label_set,
    prompts_for,
    zero_shot,
)


def test_builtin_label_sets_are_bilingual_and_ordered():
    assert EKMAN7.labels == ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
    assert MIKELS8.labels == (
        "amusement",
        "awe",
        "contentment",
        "excitement",
        "anger",
        "disgust",
        "fear",
        "sadness",
    )
    for label_set in (EKMAN7, MIKELS8):
        for label in label_set.labels:
            english, chinese = label_set.names[label]
            assert english and any("\u4e00" <= c <= "\u9fff" for c in chinese)


def test_prompts_use_each_language_templates():
    prompts = prompts_for(("happy", "开心"))
    assert "I feel happy" in prompts and "我很开心" in prompts
    assert not any(p == "I feel 开心" for p in prompts)


def test_custom_label_set_from_json_file(tmp_path):
    path = tmp_path / "moods.json"
    path.write_text(json.dumps({"cosy": ["cosy", "温馨"], "lonely": "lonely"}), encoding="utf-8")
    label_set = load_label_set(str(path))
    assert label_set.labels == ("cosy", "lonely") and label_set.name == "moods"
    assert label_set.names["cosy"] == ("cosy", "温馨")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"only": ["one"]}, "2 to 40 labels, got 1"),
        ({"a": [], "b": ["x"]}, "'a' needs a list of 1 to 20 phrases"),
        ({"a": ["ok", ""], "b": ["x"]}, "'a' has an empty or non-text phrase"),
        ({"a": ["ok", 3], "b": ["x"]}, "'a' has an empty or non-text phrase"),
    ],
)
def test_bad_custom_label_sets_say_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=message):
        parse_label_set(data)


def test_unreadable_label_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json is not valid UTF-8 JSON"):
        load_label_set(str(path))
    with pytest.raises(ValueError, match="Unknown label set 'nope'"):
        load_label_set("nope")


def test_zero_shot_gives_distributions(tiny_encoder):
    labels = label_vectors(tiny_encoder, EKMAN7)
    assert labels.shape == (7, tiny_encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(labels, axis=1), 1, atol=1e-5)
    vectors = tiny_encoder.encode_texts(["I love you", "我爱你", "so sad"])
    probabilities = zero_shot(vectors, labels, tiny_encoder.logit_scale)
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    assert (probabilities >= 0).all()


def test_zero_shot_follows_similarity():
    labels = np.eye(3, dtype=np.float32)
    vectors = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.98]], dtype=np.float32)
    assert zero_shot(vectors, labels, 100.0).argmax(axis=1).tolist() == [0, 2]


def test_linear_probe_learns_separable_features():
    vectors, labels = make_blobs(n_samples=140, n_features=32, centers=4, random_state=2)
    names = np.array(["anger", "joy", "fear", "sadness"])[labels]
    report = fit_linear_probe(vectors, names, folds=5)
    assert report.accuracy >= 0.95 and len(report.fold_accuracies) == 5
    assert report.confusion.sum() == 140 and report.confusion.shape == (4, 4)
    assert report.labels == ("anger", "fear", "joy", "sadness")
    probabilities = report.predict_proba(vectors[:3])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)


def test_linear_probe_refuses_too_few_examples():
    vectors = np.random.default_rng(0).normal(size=(5, 4))
    with pytest.raises(ValueError, match="at least 2 labels"):
        fit_linear_probe(vectors, ["joy"] * 5)
    with pytest.raises(ValueError, match=r"too few: \{'fear': 1\}"):
        fit_linear_probe(vectors, ["joy", "joy", "joy", "joy", "fear"])
