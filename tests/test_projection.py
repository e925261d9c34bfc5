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


# --- LLE on a neighbour graph that falls apart ---------------------------------------------


@pytest.fixture(scope="module")
def two_blobs():
    """Two well-separated blobs of 60: their k-NN graph is two groups until k = 60."""
    vectors, _ = make_blobs(
        n_samples=120, n_features=8, centers=[[0] * 8, [40] * 8], random_state=0
    )
    return vectors


def test_neighbour_groups_match_scipy_on_sklearns_graph(two_blobs):
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import kneighbors_graph

    from core.projection import neighbour_groups

    def groups(k):
        graph = kneighbors_graph(two_blobs, k)
        return connected_components(graph + graph.T, directed=False)[0]

    assert groups(59) == 2 and groups(60) == 1
    assert neighbour_groups(two_blobs, 10, limit=100) == (groups(10), 60)
    assert neighbour_groups(two_blobs, 10, limit=59) == (2, None)  # the limit keeps them apart
    assert neighbour_groups(two_blobs, 70, limit=100) == (1, 70)


@pytest.mark.parametrize("method", list(LLE_METHODS))
def test_a_split_neighbour_graph_is_said_and_auto_k_spreads_the_map(two_blobs, method):
    from core.projection import distinct_share, distinct_spots

    kept = Projector(method=method, n_neighbors=10).fit(two_blobs)
    assert kept.n_neighbors_ == 10 and kept.neighbour_groups_ == 2
    split = [n for n in kept.notices_ if n.code == "projection.graph_split"]
    assert split and split[0].values == {"k": 10, "n_samples": 120, "groups": 2, "connects": 60}
    assert "splits into 2 separate groups" in split[0] and "k ≥ 60 connects them" in split[0]

    raised = Projector(method=method, n_neighbors=10, auto_k=True).fit(two_blobs)
    assert raised.n_neighbors_ >= 60
    assert distinct_spots(raised.embedding_) > 2 and distinct_share(raised.embedding_) >= 0.5
    (notice,) = [n for n in raised.notices_ if n.code == "projection.k_raised"]
    assert notice.values["used"] == raised.n_neighbors_
    assert notice.values["reason"].code == "projection.graph_split"
    assert f"drawn with k = {raised.n_neighbors_}" in notice
    # the raised k is the map's: transform places new points with it
    assert raised._fitted.estimator.n_neighbors == raised.n_neighbors_
    assert raised.transform(two_blobs[:3] + 1e-3).shape == (3, 2)


def test_a_connected_graph_keeps_its_k_and_says_nothing(s_curve):
    points, _ = s_curve
    projector = Projector(method="lle", n_neighbors=12, auto_k=True).fit(points)
    assert projector.n_neighbors_ == 12 and projector.neighbour_groups_ == 1
    assert projector.notices_ == []


def test_distinct_share_tells_a_folded_map_from_a_large_healthy_one():
    from core.projection import distinct_share, distinct_spots

    rng = np.random.default_rng(0)
    folded = np.repeat(rng.normal(size=(3, 2)), 80, axis=0) + 1e-9 * rng.normal(size=(240, 2))
    assert distinct_spots(folded) == 3 and distinct_share(folded) < 0.05
    healthy = rng.uniform(size=(20_000, 2))  # more points than the 100 x 100 grid has cells
    assert distinct_share(healthy) > 0.9
    assert distinct_share(np.zeros((5, 2))) == 0.2  # all on one spot


def test_k_ladder_steps_up_to_the_limit():
    from core.projection import k_ladder

    assert k_ladder(20, 100) == [20, 25, 32, 40, 50, 63, 79, 99]
    assert k_ladder(12, 14) == [12, 14] and k_ladder(50, 50) == [50]
    assert k_ladder(3, 100)[:3] == [3, 5, 7]


def test_the_dense_fallback_is_said_in_plain_words():
    from core.messages import Message
    from ui.messages_zh import ZH

    text = Message("projection.dense_fallback", error="ValueError")
    for said in (text, ZH["projection.dense_fallback"]):
        assert not {"eigen", "solver", "dense", "ValueError", "ARPACK"} & set(said.split())
        assert "eigen_solver" not in said and "ValueError" not in said


@pytest.fixture(scope="module")
def pocket_gallery_vectors():
    """The bundled gallery's pocket-model vectors, centred as the Atlas maps them."""
    from core.defaults import GALLERY_IMAGES
    from core.embedding import embed_paths
    from core.models import load_encoder
    from core.projection import center

    return center(embed_paths([GALLERY_IMAGES], load_encoder("pocket")).vectors)


@pytest.mark.parametrize("method", list(LLE_METHODS))
def test_the_gallery_is_no_longer_folded_onto_a_few_dots(pocket_gallery_vectors, method):
    """The issue: at the Atlas's k = 12 every LLE variant put the 232 pictures on a few
    dots (the graph is several groups: emoji designs, photographs, ...)."""
    from core.defaults import K
    from core.projection import distinct_share

    kept = Projector(method=method, n_neighbors=K).fit(pocket_gallery_vectors)
    assert distinct_share(kept.embedding_) < 0.2 and kept.neighbour_groups_ > 1
    assert any(n.code == "projection.graph_split" for n in kept.notices_)
    raised = Projector(method=method, n_neighbors=K, auto_k=True).fit(pocket_gallery_vectors)
    assert raised.n_neighbors_ > K and distinct_share(raised.embedding_) >= 0.5
    assert [n.code for n in raised.notices_][-1] == "projection.k_raised"


def test_a_comparison_reports_each_maps_k_and_notices(two_blobs):
    from core.projection import compare_methods

    results = compare_methods(two_blobs, 10, auto_k=True)
    assert results["lle"].n_neighbors >= 60 and results["pca"].n_neighbors == 10
    assert [n.code for n in results["lle-hessian"].notices][-1] == "projection.k_raised"


def test_a_connected_graph_that_still_folds_the_gallery_is_said(pocket_gallery_vectors):
    """At k = 20 the gallery's graph is one group, held by a few links only: LLE still
    puts most pictures on a few dots. The note says so; auto_k goes on up."""
    from core.projection import distinct_share

    kept = Projector(method="lle", n_neighbors=20).fit(pocket_gallery_vectors)
    assert kept.neighbour_groups_ == 1 and distinct_share(kept.embedding_) < 0.5
    (notice,) = kept.notices_
    assert notice.code == "projection.collapsed" and notice.values["k"] == 20
    assert notice.values["spots"] < 0.5 * len(pocket_gallery_vectors)
    raised = Projector(method="lle", n_neighbors=20, auto_k=True).fit(pocket_gallery_vectors)
    assert raised.n_neighbors_ > 20 and distinct_share(raised.embedding_) >= 0.5
    (notice,) = raised.notices_
    assert notice.code == "projection.k_raised"
    assert notice.values["reason"].code == "projection.collapsed"
