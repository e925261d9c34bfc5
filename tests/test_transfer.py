"""Placement, steering and pixel transfer: properties that hold for any model, and the
behaviour of the bundled pocket model on the bundled gallery."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.manifold import LocallyLinearEmbedding

from core.projection import barycentric_weights, center, unit
from core.recolour import (
    GRADE_PARAMETERS,
    apply_grade,
    lab_statistics,
    lab_to_rgb,
    reinhard_transfer,
    rgb_to_lab,
)
from core.transfer import place_text, steer


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(4)
    images = unit(rng.normal(size=(120, 16)) + 2.0)
    texts = unit(rng.normal(size=(10, 16)) - 2.0)
    emotions = rng.dirichlet(np.ones(7), size=120)
    return images, texts, emotions


def test_barycentric_weights_reconstruct_points_inside_the_hull():
    neighbours = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    point = np.array([0.2, 0.3])
    weights = barycentric_weights(point, neighbours, reg=1e-9)
    assert weights.sum() == pytest.approx(1)
    np.testing.assert_allclose(weights @ neighbours, point, atol=1e-6)


def test_placement_is_sklearn_lle_transform(cloud):
    images, texts, emotions = cloud
    centre = texts.mean(axis=0)
    centred_images = center(images)
    lle = LocallyLinearEmbedding(n_neighbors=8, n_components=2, reg=1e-3, random_state=0)
    coords = lle.fit_transform(centred_images)
    placement = place_text(
        texts[0], images, text_center=centre, k=8, image_coords=coords, image_emotions=emotions
    )
    expected = lle.transform(unit(texts[0] - centre)[None])[0]
    np.testing.assert_allclose(placement.position, expected, atol=1e-8)
    assert placement.weights.sum() == pytest.approx(1)
    assert placement.emotion.sum() == pytest.approx(1) and (placement.emotion >= 0).all()
    assert len(placement.neighbours) == 8


def test_centering_lets_images_explain_the_text(cloud):
    images, texts, _ = cloud
    placement = place_text(texts[0], images, text_center=texts.mean(axis=0), k=8)
    assert placement.residual < placement.residual_uncentred


def test_placement_needs_more_images_than_k(cloud):
    images, texts, _ = cloud
    with pytest.raises(ValueError, match="n_images = 5, k = 8"):
        place_text(texts[0], images[:5], text_center=texts.mean(0), k=8)


def test_steering_starts_at_the_image_and_moves_towards_the_target(cloud):
    images, _, _ = cloud
    labels = unit(np.random.default_rng(1).normal(size=(7, 16)))
    steps = steer(
        images[3],
        labels[0],
        labels[4],
        images,
        label_vectors=labels,
        target_index=4,
        logit_scale=50.0,
    )
    assert [s.alpha for s in steps][0] == 0 and steps[-1].alpha == 1
    assert steps[0].nearest == 3 and steps[0].similarity == pytest.approx(1, abs=1e-6)
    assert steps[-1].target_probability > steps[0].target_probability


def _zero_params():
    return {name: torch.tensor(0.0) for name in GRADE_PARAMETERS}


def test_neutral_grade_is_identity_and_exposure_brightens():
    rgb = torch.rand(1, 3, 20, 30)
    np.testing.assert_allclose(apply_grade(rgb, _zero_params()), rgb, atol=1e-6)
    brighter = apply_grade(rgb * 0.5, {**_zero_params(), "exposure": torch.tensor(0.5)})
    assert brighter.mean() > (rgb * 0.5).mean()
    assert brighter.min() >= 0 and brighter.max() <= 1


def test_hue_rotation_keeps_luminance():
    rgb = torch.rand(1, 3, 8, 8) * 0.6 + 0.2
    turned = apply_grade(rgb, {**_zero_params(), "hue": torch.tensor(0.5)})
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    np.testing.assert_allclose((turned * weights).sum(1), (rgb * weights).sum(1), atol=0.02)
    assert not torch.allclose(turned, rgb, atol=1e-3)


def test_lab_round_trip_and_white_point():
    rgb = np.random.default_rng(0).random((50, 3))
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-6)
    np.testing.assert_allclose(rgb_to_lab(np.ones(3)), [100, 0, 0], atol=1e-3)


def test_reinhard_takes_the_reference_statistics(pocket):
    from core.emotions import EKMAN7, label_vectors

    source = Image.new("RGB", (40, 30), (200, 60, 60))
    source.paste((230, 200, 60), (0, 0, 20, 30))
    reference = Image.new("RGB", (30, 30), (40, 60, 150))
    reference.paste((10, 20, 60), (0, 0, 15, 30))
    labels = label_vectors(pocket, EKMAN7)
    result = reinhard_transfer(
        pocket, source, [reference], np.array([1.0]), labels, 4, "sadness", strength=1.0
    )
    assert result.image.size == source.size
    np.testing.assert_allclose(
        lab_statistics(result.image)[0], lab_statistics(reference)[0], atol=3
    )
    assert -1 <= result.emo_s <= 1 and 0 < result.clip_i <= 1.0001


@pytest.fixture(scope="module")
def pocket():
    from core.models import load_encoder

    return load_encoder("pocket")


def test_colour_grade_moves_a_gallery_photo_towards_the_target(pocket):
    from core.emotions import EKMAN7, label_vectors
    from core.images import load_image_file
    from core.recolour import grade_colours
    from core.registry import PROJECT_ROOT

    picture = load_image_file(PROJECT_ROOT / "assets/gallery/images/photo_coffee.jpg").image
    labels = label_vectors(pocket, EKMAN7)
    calls = []
    result = grade_colours(
        pocket,
        picture,
        labels,
        EKMAN7.labels.index("sadness"),
        "sadness",
        steps=15,
        progress=lambda done, total: calls.append(done),
    )
    assert result.image.size == picture.size
    assert result.emo_s > 0 and result.clip_i > 0.5
    assert set(result.parameters) == set(GRADE_PARAMETERS) and calls[-1] == 15


def test_the_grade_keeps_its_content_floor(pocket):
    from core.emotions import EKMAN7, label_vectors
    from core.images import load_image_file
    from core.recolour import grade_colours
    from core.registry import PROJECT_ROOT

    picture = load_image_file(PROJECT_ROOT / "assets/gallery/images/emoji_000_2600.png").image
    labels = label_vectors(pocket, EKMAN7)
    result = grade_colours(pocket, picture, labels, EKMAN7.labels.index("fear"), "fear", steps=20)
    # the soft penalty alone ends below the floor here; the held grade keeps it
    assert result.clip_i >= 0.79  # measured: 0.80 held, 0.77 from the optimum alone
    assert any(abs(value) > 0.01 for value in result.parameters.values())  # still a grade
