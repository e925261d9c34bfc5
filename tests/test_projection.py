"""Maps: every method on known geometry, parameter checks, duplicates, landmarks, gap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import make_blobs, make_s_curve

from core.projection import (
    LLE_METHODS,
    METHODS,
    Projector,
    center_modalities,
    check_params,
    deduplicate,
    map_quality,
    modality_gap,
)


@pytest.fixture(scope="module")
def s_curve():
    points, position = make_s_curve(n_samples=800, random_state=0)
    return points, position


@pytest.mark.parametrize("method", list(LLE_METHODS))
def test_each_lle_method_recovers_the_s_curve(s_curve, method):
    points, position = s_curve
    projector = Projector(method=method, n_neighbors=12).fit(points)
    best = max(abs(spearmanr(projector.embedding_[:, axis], position)[0]) for axis in (0, 1))
    assert best >= 0.9
    assert projector.reconstruction_error_ is not None and projector.seconds_ > 0


@pytest.fixture(scope="module")
def clusters():
    vectors, labels = make_blobs(n_samples=300, n_features=64, centers=7, random_state=1)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), labels


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dims", [2, 3])
def test_every_method_maps_clustered_embeddings_faithfully(clusters, method, dims):
    vectors, _ = clusters
    coords = Projector(method=method, n_components=dims, n_neighbors=15).fit_transform(vectors)
    assert coords.shape == (300, dims) and np.isfinite(coords).all()
    assert map_quality(vectors, coords)["trustworthiness"] >= 0.85


@pytest.mark.parametrize(
    ("method", "n", "dims", "k", "message"),
    [
        (
            "lle",
            40,
            2,
            50,
            "Expected n_neighbors < n_samples, but n_samples = 40, n_neighbors = 50",
        ),
        ("lle", 40, 2, 40, "n_samples = 40, n_neighbors = 40"),
        ("lle-hessian", 100, 2, 5, r"n_neighbors > d\(d\+3\)/2 = 5 for d = 2"),
        ("lle-hessian", 100, 3, 9, r"= 9 for d = 3, but n_neighbors = 9"),
        ("lle-modified", 100, 3, 2, "n_neighbors >= n_components"),
        ("lle", 3, 2, 2, "at least 4 distinct items, but n_samples = 3"),
        ("lle", 100, 4, 10, "n_components of 2 or 3"),
        ("magic", 100, 2, 10, "Unknown method 'magic'"),
    ],
)
def test_bad_parameters_are_refused_with_the_values(method, n, dims, k, message):
    with pytest.raises(ValueError, match=message):
        check_params(method, n, dims, k)


def test_fit_checks_before_working(clusters):
    vectors, _ = clusters
    with pytest.raises(ValueError, match="n_samples = 30, n_neighbors = 50"):
        Projector(n_neighbors=50).fit(vectors[:30])


def test_duplicates_are_merged_and_mapped_back(clusters):
    vectors, _ = clusters
    doubled = np.concatenate([vectors[:100], vectors[:20]])
    projector = Projector(method="lle", n_neighbors=10).fit(doubled)
    assert projector.embedding_.shape == (120, 2)
    np.testing.assert_array_equal(projector.embedding_[100:], projector.embedding_[:20])
    assert any("20 duplicate vectors" in notice for notice in projector.notices_)


def test_deduplicate_keeps_order():
    rows = np.array([[1.0, 0], [0, 1.0], [1.0, 0], [2.0, 2.0]])
    unique, inverse = deduplicate(rows)
    np.testing.assert_array_equal(unique, [[1, 0], [0, 1], [2, 2]])
    assert inverse.tolist() == [0, 1, 0, 2]


@pytest.mark.parametrize("method", ["lle", "pca", "umap"])
def test_transform_places_points_near_their_fitted_twins(clusters, method):
    vectors, _ = clusters
    projector = Projector(method=method, n_neighbors=15).fit(vectors)
    placed = projector.transform(vectors[:10] + 1e-4)
    spread = np.ptp(projector.embedding_, axis=0).max()
    assert np.abs(placed - projector.embedding_[:10]).max() < 0.1 * spread


def test_tsne_says_it_cannot_place_new_points(clusters):
    vectors, _ = clusters
    projector = Projector(method="tsne").fit(vectors[:60])
    with pytest.raises(ValueError, match="cannot place new points"):
        projector.transform(vectors[:2])
    assert any("perplexity lowered" in n for n in projector.notices_)


def test_landmark_mode_fits_few_and_places_the_rest(clusters):
    vectors, _ = clusters
    full = Projector(method="lle", n_neighbors=15).fit(vectors)
    landmark = Projector(method="lle", n_neighbors=15, landmarks=120).fit(vectors)
    assert landmark.embedding_.shape == (300, 2)
    assert any("120 landmarks" in notice for notice in landmark.notices_)
    quality_full = map_quality(vectors, full.embedding_)["trustworthiness"]
    quality_landmark = map_quality(vectors, landmark.embedding_)["trustworthiness"]
    assert quality_landmark >= quality_full - 0.05


def test_centering_closes_the_modality_gap():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(50, 32)) + 3.0  # two cones, far apart
    texts = rng.normal(size=(30, 32)) - 3.0
    vectors = np.concatenate([images, texts])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kinds = ["image"] * 50 + ["text"] * 30
    assert modality_gap(vectors, kinds) > 1.0
    centred = center_modalities(vectors, kinds)
    assert modality_gap(centred, kinds) < 0.3
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1, atol=1e-5)
    assert modality_gap(vectors[:50], kinds[:50]) == 0.0


def test_non_finite_vectors_are_refused():
    bad = np.ones((20, 4))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Projector().fit(bad)


def test_umap_warm_up_compiles_then_fits():
    from core.projection import warm_up_umap

    assert warm_up_umap() > 0
    rng = np.random.default_rng(1)
    coords = Projector(method="umap", n_neighbors=5).fit_transform(rng.normal(size=(40, 8)))
    assert coords.shape == (40, 2) and np.isfinite(coords).all()


@pytest.mark.parametrize(("method", "n"), [("lle-ltsa", 4200), ("lle", 5200)])
def test_auto_landmarks_keep_large_maps_feasible(method, n):
    from core.projection import auto_landmarks

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 24))
    vectors = centres[rng.integers(0, 12, n)] + 0.3 * rng.normal(size=(n, 24))
    projector = Projector(method=method, n_neighbors=12, landmarks="auto").fit(vectors)
    assert projector.embedding_.shape == (n, 2) and np.isfinite(projector.embedding_).all()
    assert any(f"{auto_landmarks(method, n):,} landmarks" in x for x in projector.notices_)
    assert auto_landmarks(method, 1000) is None and auto_landmarks("tsne", 10**6) is None
    with pytest.raises(ValueError, match="a number or 'auto'"):
        Projector(method=method, landmarks="many").fit(vectors[:50])


def test_quality_of_a_large_map_is_measured_on_a_sample():
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(5000, 8))
    quality = map_quality(vectors, vectors[:, :2])
    assert quality["sampled"] == 3000 and 0.5 < quality["trustworthiness"] <= 1
    assert map_quality(vectors[:300], vectors[:300, :2])["sampled"] == 300
