"""Maps of an embedding space: LLE (four variants), UMAP, t-SNE and PCA behind one interface.

:class:`Projector` follows scikit-learn's conventions: keyword-only ``__init__`` that only
stores, ``fit`` validates and returns ``self``, learned state ends in ``_``, ``transform``
places new points on the fitted map where the method can (LLE, UMAP, PCA).

What goes wrong with real embeddings is handled, with a notice rather than a crash:
duplicate vectors (which make LLE's weight matrix singular) are merged before fitting and
mapped back afterwards; an ARPACK failure falls back to the dense eigensolver. When the
k-NN graph falls apart into separate groups (emoji designs, photographs), LLE folds each
group onto one spot: the fit says so (with the k that connects them), and with
``auto_k=True`` it refits with the smallest larger k whose map spreads the points out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, LocallyLinearEmbedding, trustworthiness
from sklearn.neighbors import NearestNeighbors

from core.defaults import AUTO_K_LIMIT, LEGIBLE_SPREAD, REG
from core.messages import Message, define, message_of

define(
    {
        "projection.unknown_method": "Unknown method {method!r}; choose one of {choices}.",
        "projection.bad_components": (
            "Expected n_components of 2 or 3, but got n_components = {n_components}."
        ),
        "projection.too_few_items": (
            "A {n_components}-D map needs at least {minimum} distinct items, "
            "but n_samples = {n_samples}."
        ),
        "projection.too_few_neighbors": (
            "Expected n_neighbors >= 2, but n_neighbors = {n_neighbors}."
        ),
        "projection.too_many_neighbors": (
            "Expected n_neighbors < n_samples, but n_samples = {n_samples}, "
            "n_neighbors = {n_neighbors}. Lower k or add items."
        ),
        "projection.hessian_neighbors": (
            "Hessian LLE needs n_neighbors > d(d+3)/2 = {bound} for d = {n_components}, "
            "but n_neighbors = {n_neighbors}."
        ),
        "projection.modified_neighbors": (
            "Modified LLE needs n_neighbors >= n_components, but n_neighbors = {n_neighbors}, "
            "n_components = {n_components}."
        ),
        "projection.not_2d": "Expected a 2-D array of vectors, got shape {shape}.",
        "projection.not_finite": "The vectors contain NaN or infinite values.",
        "projection.duplicates": (
            "{count} duplicate vectors share a point on the map (LLE needs distinct points)."
        ),
        "projection.not_fitted": "This Projector is not fitted yet; call fit first.",
        "projection.cannot_transform": (
            "{method} cannot place new points on a fitted map; "
            "refit with them included, or use LLE, UMAP or PCA."
        ),
        "projection.bad_landmarks": (
            "Expected landmarks to be a number or 'auto', got {landmarks!r}."
        ),
        "projection.landmarks": (
            "Fitted on {count:,} landmarks; the other {rest:,} points were placed with transform."
        ),
        "projection.perplexity_lowered": (
            "t-SNE perplexity lowered from {asked:g} to {used:.1f} for {n_samples} points."
        ),
        "projection.failed": (
            "{method} failed on {n_samples} points ({error}). "
            "Try a larger k (n_neighbors) or a larger reg."
        ),
        "projection.dense_fallback": (
            "The quick method could not finish this map, so it was computed again with "
            "the slower exact one."
        ),
        "projection.graph_split": (
            "At k = {k} the neighbour graph of these {n_samples} points splits into "
            "{groups} separate groups, so LLE folds each group onto one spot; "
            "k ≥ {connects} connects them."
        ),
        "projection.graph_split_apart": (
            "At k = {k} the neighbour graph of these {n_samples} points splits into "
            "{groups} separate groups, so LLE folds each group onto one spot; "
            "even k = {limit} leaves them apart."
        ),
        "projection.collapsed": (
            "At k = {k} LLE folds these {n_samples} points onto only {spots} distinct "
            "spots; try a larger k."
        ),
        "projection.k_raised": (
            "{reason} The map is drawn with k = {used}, the first k tried above it that "
            "spreads the points out."
        ),
        "projection.k_raised_best": (
            "{reason} No k up to {limit} (the largest tried) spreads them out well; the "
            "map is drawn with k = {used}, the most spread of those tried."
        ),
    }
)

LLE_METHODS = {
    "lle": "standard",
    "lle-modified": "modified",
    "lle-hessian": "hessian",
    "lle-ltsa": "ltsa",
}
METHODS = (*LLE_METHODS, "umap", "tsne", "pca")
METHOD_LABELS = {
    "lle": "LLE (standard)",
    "lle-modified": "LLE (modified)",
    "lle-hessian": "LLE (Hessian)",
    "lle-ltsa": "LTSA",
    "umap": "UMAP",
    "tsne": "t-SNE",
    "pca": "PCA",
}
CAN_TRANSFORM = {*LLE_METHODS, "umap", "pca"}
DENSE_LIMIT = 4000  # the dense eigensolver is O(n^3) time and O(n^2) memory
# landmarks="auto": above these sizes fit this many points and place the rest. From
# benchmarks/RESULTS.md: full standard LLE took 15 s at 10k and 62 s at 20k points, 5,000
# landmarks 11 s at 100k with equal or better trustworthiness; Hessian LLE and LTSA fail
# in ARPACK from 5,000 points and fall back to the dense solver, which stops at DENSE_LIMIT.
AUTO_LANDMARKS = {
    "lle": (5000, 5000),
    "lle-modified": (5000, 5000),
    "lle-hessian": (DENSE_LIMIT, 2000),
    "lle-ltsa": (DENSE_LIMIT, 2000),
}


def auto_landmarks(method: str, n_samples: int) -> int | None:
    """How many landmarks ``landmarks="auto"`` fits for ``method`` on ``n_samples`` points."""
    above, size = AUTO_LANDMARKS.get(method, (None, None))
    return size if above is not None and n_samples > above else None


def check_params(method: str, n_samples: int, n_components: int, n_neighbors: int) -> None:
    """Raise ``ValueError`` quoting the values when a map cannot be fitted as asked."""
    if method not in METHODS:
        raise ValueError(
            Message("projection.unknown_method", method=method, choices=", ".join(METHODS))
        )
    if n_components not in (2, 3):
        raise ValueError(Message("projection.bad_components", n_components=n_components))
    minimum = n_components + 2
    if n_samples < minimum:
        raise ValueError(
            Message(
                "projection.too_few_items",
                n_components=n_components,
                minimum=minimum,
                n_samples=n_samples,
            )
        )
    if method == "pca" or method == "tsne":
        return
    if n_neighbors < 2:
        raise ValueError(Message("projection.too_few_neighbors", n_neighbors=n_neighbors))
    if n_neighbors >= n_samples:
        raise ValueError(
            Message("projection.too_many_neighbors", n_samples=n_samples, n_neighbors=n_neighbors)
        )
    if method == "lle-hessian":
        bound = n_components * (n_components + 3) // 2
        if n_neighbors <= bound:
            raise ValueError(
                Message(
                    "projection.hessian_neighbors",
                    bound=bound,
                    n_components=n_components,
                    n_neighbors=n_neighbors,
                )
            )
    if method == "lle-modified" and n_neighbors < n_components:
        raise ValueError(
            Message(
                "projection.modified_neighbors",
                n_neighbors=n_neighbors,
                n_components=n_components,
            )
        )


def deduplicate(vectors: np.ndarray, decimals: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows (after rounding) and, for every input row, the index of its copy.

    Returns
    -------
    unique : ndarray of shape (n_unique, n_features)
    inverse : ndarray of shape (n_samples,), ``unique[inverse] ≈ vectors``
    """
    rounded = np.round(vectors.astype(np.float64), decimals)
    _, first, inverse = np.unique(rounded, axis=0, return_index=True, return_inverse=True)
    # keep input order among the unique rows: stable maps for the same collection
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return vectors[first[order]], rank[inverse.reshape(-1)]


# --- LLE primitives: unit vectors, centring, barycentric weights ---------------------------


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows (or one vector) scaled to length 1; zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def center(vectors: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """``vectors`` minus ``mean`` (their own mean when omitted), renormalised to unit rows."""
    return unit(vectors - (vectors.mean(axis=0) if mean is None else mean))


def center_modalities(vectors: np.ndarray, kinds, centers: dict | None = None) -> np.ndarray:
    """:func:`center` each modality on its own (closes CLIP's modality gap).

    Parameters
    ----------
    vectors : ndarray of shape (n_items, dim)
    kinds : sequence of str, e.g. "image"/"text", one per row.
    centers : dict of kind -> ndarray of shape (dim,), optional
        Fixed centres for some kinds; the others are centred on their own mean. Texts need
        one: a single sentence centred on its own mean becomes the zero vector.
    """
    kinds = np.asarray(kinds)
    centers = centers or {}
    centered = vectors.astype(np.float32).copy()
    for kind in np.unique(kinds):
        rows = kinds == kind
        centered[rows] = center(centered[rows], centers.get(str(kind)))
    return centered


def barycentric_weights(point: np.ndarray, neighbours: np.ndarray, reg: float = REG) -> np.ndarray:
    """Weights ``w`` (summing to 1) minimising ``|point − w @ neighbours|²``, regularised.

    Same rule as scikit-learn's LLE: the local Gram matrix gets ``reg · trace`` added to
    its diagonal, so the solution exists even when neighbours are collinear.

    Parameters
    ----------
    point : ndarray of shape (dim,)
    neighbours : ndarray of shape (k, dim)
    """
    offsets = neighbours - point
    gram = offsets @ offsets.T
    trace = np.trace(gram)
    gram.flat[:: len(gram) + 1] += reg * trace if trace > 0 else reg
    weights = np.linalg.solve(gram, np.ones(len(gram)))
    return weights / weights.sum()


def modality_gap(vectors: np.ndarray, kinds) -> float:
    """Distance between the mean image vector and the mean text vector (0 if one is absent)."""
    kinds = np.asarray(kinds)
    if not ((kinds == "image").any() and (kinds == "text").any()):
        return 0.0
    return float(
        np.linalg.norm(vectors[kinds == "image"].mean(0) - vectors[kinds == "text"].mean(0))
    )


def knn_preservation(original: np.ndarray, embedded: np.ndarray, n_neighbors: int = 10) -> float:
    """Mean share of each point's k nearest neighbours that stay neighbours on the map."""
    k = min(n_neighbors, len(original) - 1)
    high = NearestNeighbors(n_neighbors=k + 1).fit(original).kneighbors(return_distance=False)
    low = NearestNeighbors(n_neighbors=k + 1).fit(embedded).kneighbors(return_distance=False)
    shared = [len(set(a[1:]) & set(b[1:])) for a, b in zip(high, low, strict=True)]
    return float(np.mean(shared) / k)


QUALITY_SAMPLE = 3000  # trustworthiness needs all pairwise distances: O(n^2) memory


def map_quality(
    original: np.ndarray, embedded: np.ndarray, n_neighbors: int = 10, seed: int = 0
) -> dict:
    """Trustworthiness and k-NN preservation of a map (both in [0, 1], higher is better).

    Above :data:`QUALITY_SAMPLE` points both are measured on a seeded random sample of that
    many (neighbours within the sample): at 20,000 points the full distance matrices alone
    would take 6 GB. ``"sampled"`` gives the number of points measured.
    """
    rows = np.arange(len(original))
    if len(rows) > QUALITY_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(rows, QUALITY_SAMPLE, replace=False))
    original, embedded = original[rows], embedded[rows]
    k = max(1, min(n_neighbors, (len(original) - 1) // 2 - 1))
    return {
        "trustworthiness": float(trustworthiness(original, embedded, n_neighbors=k)),
        "knn_preservation": knn_preservation(original, embedded, k),
        "sampled": len(rows),
    }


def warm_up_umap(seed: int = 0) -> float:
    """Import UMAP and fit it once on a little random data; returns the seconds taken.

    UMAP's first fit in a process waits for numba to compile its functions (about ten
    seconds on two cores, half a minute more from 4,096 points up, where it switches to
    pynndescent's approximate neighbours; ``benchmarks/RESULTS.md``). Run in a background
    thread before anyone asks for UMAP, this moves that wait off the user's first click.
    Both neighbour paths are compiled, and ``transform`` (landmark maps) too.
    """
    started = time.perf_counter()
    import umap

    points = np.random.default_rng(seed).normal(size=(300, 16))
    for approximate in (False, True):
        fitted = umap.UMAP(
            n_neighbors=12,
            n_components=2,
            random_state=seed,
            n_jobs=1,
            force_approximation_algorithm=approximate,
        ).fit(points)
    fitted.transform(points[:20])
    return time.perf_counter() - started


# --- when LLE folds a collection onto a few spots -----------------------------------------

# Points distinct_share measures: the same figure at any map size. With 200, healthy maps
# score 0.8-1 (S-curves of 600-1500 points at k = 10-80), folded ones 0.01-0.17 (the
# gallery at k = 12-20), since 200 points rarely share a cell of a 100 x 100 grid.
SPREAD_SAMPLE = 200
K_STEP = 1.25  # auto_k tries k, k·1.25, k·1.25², … (up to AUTO_K_LIMIT)
K_TRIES = 8  # at most this many fits per map
# and no further fit once this many seconds went by: modified LLE of 5,000 landmarks costs
# ~(k / 12)³ times more at a larger k
AUTO_K_SECONDS = 30.0


def distinct_share(
    coords: np.ndarray, decimals: int = 2, sample: int = SPREAD_SAMPLE, seed: int = 0
) -> float:
    """Share of points with a position of their own on the map scaled to the unit box and
    rounded to ``decimals`` (1.0: none overlap; 1/n: all on one spot).

    Measured on a seeded sample of at most ``sample`` points, so that a large healthy map
    (more points than the 100 × 100 grid has cells) is not taken for a folded one.
    """
    cells = _cells(coords, decimals)
    if len(cells) > sample:
        cells = cells[np.random.default_rng(seed).choice(len(cells), sample, replace=False)]
    return len(np.unique(cells, axis=0)) / max(len(cells), 1)


def distinct_spots(coords: np.ndarray, decimals: int = 2) -> int:
    """How many distinct positions the map's points take, scaled to the unit box."""
    return len(np.unique(_cells(coords, decimals), axis=0))


def _cells(coords: np.ndarray, decimals: int) -> np.ndarray:
    coords = np.asarray(coords, dtype=np.float64).reshape(len(coords), -1)
    if len(coords) == 0:
        return coords
    low, span = coords.min(axis=0), np.ptp(coords, axis=0)
    return np.round((coords - low) / np.where(span > 0, span, 1.0), decimals)


def neighbour_groups(
    vectors: np.ndarray, k: int, limit: int | None = None
) -> tuple[int, int | None]:
    """Connected groups of the k-NN graph of ``vectors`` (edges symmetrised, self
    excluded), and the smallest k up to ``limit`` whose graph is one group (None when even
    ``limit`` leaves it apart; ``k`` itself when it is connected already).

    LLE sees only these edges: each separate group gets its own zero-cost direction in the
    eigenproblem, so the map folds every group onto one spot.
    """
    n = len(vectors)
    top = min(n - 1, max(k, limit or k))
    nearest = NearestNeighbors(n_neighbors=top).fit(vectors).kneighbors(return_distance=False)

    def groups(j: int) -> int:
        rows = np.repeat(np.arange(n), j)
        graph = csr_matrix((np.ones(n * j), (rows, nearest[:, :j].ravel())), shape=(n, n))
        return connected_components(graph, directed=True, connection="weak")[0]

    at_k = groups(k)
    if at_k == 1:
        return 1, k
    if top <= k or groups(top) > 1:
        return at_k, None
    apart, joined = k, top  # the graph only gains edges as k grows: bisect
    while joined - apart > 1:
        middle = (apart + joined) // 2
        apart, joined = (middle, joined) if groups(middle) > 1 else (apart, middle)
    return at_k, joined


def k_ladder(start: int, limit: int, step: float = K_STEP, tries: int = K_TRIES) -> list[int]:
    """``start`` and the larger ks auto_k tries after it: ×``step`` each (at least +2),
    ending at ``limit`` where the next step would pass it; at most ``tries`` in all."""
    ladder = [start]
    while len(ladder) < tries and ladder[-1] < limit:
        ladder.append(min(limit, max(ladder[-1] + 2, int(np.ceil(ladder[-1] * step)))))
    return ladder


@dataclass
class _Fitted:
    estimator: object
    unique: np.ndarray
    inverse: np.ndarray


class Projector:
    """Fit a 2-D or 3-D map of vectors; place new vectors on it.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    n_components : int
        2 or 3.
    n_neighbors : int
        k for LLE and UMAP (ignored by PCA; t-SNE uses ``perplexity``).
    reg : float
        LLE regularisation of the local Gram matrices.
    perplexity : float
        t-SNE perplexity; lowered to (n_samples - 1) / 3 for small collections.
    landmarks : int, "auto" or None
        Fit on at most this many points (a seeded random subset) and place the rest with
        ``transform``: how large collections stay fast. ``"auto"`` does so only for the
        LLE variants above the sizes in :data:`AUTO_LANDMARKS`. Methods without
        ``transform`` ignore it.
    random_state : int
        Fixes every random choice.
    auto_k : bool
        LLE variants only. Where the k-NN graph at ``n_neighbors`` splits into separate
        groups, or the map folds the points onto a few spots, refit with the smallest
        larger k (from the k that connects the graph, ×1.25 a step, at most
        :data:`~core.defaults.AUTO_K_LIMIT`) whose map spreads them out
        (:func:`distinct_share` at least :data:`~core.defaults.LEGIBLE_SPREAD`), else the
        most spread one tried. Without it the fit keeps ``n_neighbors`` and only says so.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
    reconstruction_error_ : float or None (LLE only)
    n_neighbors_ : int, the k the map was fitted with (above ``n_neighbors`` only with auto_k)
    neighbour_groups_ : int or None, separate groups of the k-NN graph at ``n_neighbors``
        (LLE only)
    seconds_ : float, time taken by ``fit``
    notices_ : list of str, what was done to make the fit work, or why the map folds
    """

    def __init__(
        self,
        *,
        method: str = "lle",
        n_components: int = 2,
        n_neighbors: int = 12,
        reg: float = REG,
        perplexity: float = 30.0,
        landmarks: int | str | None = None,
        random_state: int = 0,
        auto_k: bool = False,
    ) -> None:
        self.method = method
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.reg = reg
        self.perplexity = perplexity
        self.landmarks = landmarks
        self.random_state = random_state
        self.auto_k = auto_k
        self._k_budget = AUTO_K_SECONDS

    def fit(self, vectors: np.ndarray) -> Projector:
        started = time.perf_counter()
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2:
            raise ValueError(Message("projection.not_2d", shape=vectors.shape))
        if not np.isfinite(vectors).all():
            raise ValueError(Message("projection.not_finite"))
        self.notices_: list[str] = []
        unique, inverse = deduplicate(vectors)
        if len(unique) < len(vectors):
            self.notices_.append(Message("projection.duplicates", count=len(vectors) - len(unique)))
        check_params(self.method, len(unique), self.n_components, self.n_neighbors)
        fit_rows = self._landmark_rows(len(unique))
        # placing the rest costs more at a larger k: a landmark map gives auto_k less time
        self._k_budget = AUTO_K_SECONDS / 3 if len(fit_rows) < len(unique) else AUTO_K_SECONDS
        estimator, fitted = self._fit_map(unique[fit_rows])
        coords = np.empty((len(unique), self.n_components))
        coords[fit_rows] = fitted
        rest = np.setdiff1d(np.arange(len(unique)), fit_rows)
        if len(rest):
            coords[rest] = estimator.transform(unique[rest])
        self._fitted = _Fitted(estimator, unique, inverse)
        self.embedding_ = coords[inverse]
        self.reconstruction_error_ = getattr(estimator, "reconstruction_error_", None)
        self.seconds_ = time.perf_counter() - started
        return self

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        return self.fit(vectors).embedding_

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        """Place new vectors on the fitted map (LLE: barycentric weights of their neighbours)."""
        if not hasattr(self, "_fitted"):
            raise ValueError(Message("projection.not_fitted"))
        if self.method not in CAN_TRANSFORM:
            raise ValueError(
                Message("projection.cannot_transform", method=METHOD_LABELS[self.method])
            )
        return self._fitted.estimator.transform(np.asarray(vectors, dtype=np.float64))

    def _landmark_rows(self, n_unique: int) -> np.ndarray:
        count = self.landmarks
        if count == "auto":
            count = auto_landmarks(self.method, n_unique)
        elif count is not None and not isinstance(count, (int, np.integer)):
            raise ValueError(Message("projection.bad_landmarks", landmarks=count))
        if not count or count >= n_unique or self.method not in CAN_TRANSFORM:
            return np.arange(n_unique)
        check_params(self.method, count, self.n_components, self.n_neighbors)
        rng = np.random.default_rng(self.random_state)
        self.notices_.append(Message("projection.landmarks", count=count, rest=n_unique - count))
        return np.sort(rng.choice(n_unique, size=count, replace=False))

    def _make_estimator(self, n_samples: int, n_neighbors: int, eigen_solver: str = "auto"):
        if self.method in LLE_METHODS:
            return LocallyLinearEmbedding(
                n_neighbors=n_neighbors,
                n_components=self.n_components,
                reg=self.reg,
                method=LLE_METHODS[self.method],
                eigen_solver=eigen_solver,
                random_state=self.random_state,
            )
        if self.method == "pca":
            return PCA(n_components=self.n_components, random_state=self.random_state)
        if self.method == "tsne":
            perplexity = min(self.perplexity, max(1.0, (n_samples - 1) / 3))
            if perplexity < self.perplexity:
                self.notices_.append(
                    Message(
                        "projection.perplexity_lowered",
                        asked=self.perplexity,
                        used=perplexity,
                        n_samples=n_samples,
                    )
                )
            return TSNE(
                n_components=self.n_components,
                perplexity=perplexity,
                init="pca",
                random_state=self.random_state,
            )
        import umap  # imported late: numba compilation makes it slow to import

        return umap.UMAP(
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            random_state=self.random_state,
            n_jobs=1,
        )

    def _fit_map(self, vectors: np.ndarray):
        """Fit at ``n_neighbors``; for LLE also look at the neighbour graph and at how far
        the map spreads the points, say why when it folds them, and (``auto_k``) refit
        with a larger k."""
        k = self.n_neighbors
        self.n_neighbors_ = k
        self.neighbour_groups_ = None
        if self.method not in LLE_METHODS:
            estimator, coords, fallback = self._fit_estimator(vectors, k)
            self.notices_.extend(fallback)
            return estimator, coords
        n = len(vectors)
        limit = min(n - 1, max(k, AUTO_K_LIMIT))
        groups, connects = neighbour_groups(vectors, k, limit)
        self.neighbour_groups_ = groups
        reason = None
        if groups > 1:
            values = dict(k=k, n_samples=n, groups=groups)
            reason = (
                Message("projection.graph_split", connects=connects, **values)
                if connects
                else Message("projection.graph_split_apart", limit=limit, **values)
            )
        start = connects if self.auto_k and groups > 1 and connects else k
        ladder = k_ladder(start, limit) if self.auto_k else [k]
        tried, failure = [], None  # (share, k, estimator, coords, fallback notices)
        started = time.perf_counter()
        for candidate in ladder:
            try:
                estimator, coords, fallback = self._fit_estimator(vectors, candidate)
            except ValueError as error:
                if len(ladder) == 1:
                    raise
                failure = failure or error
                continue
            share = distinct_share(coords)
            tried.append((share, candidate, estimator, coords, fallback))
            if share >= LEGIBLE_SPREAD or time.perf_counter() - started > self._k_budget:
                break
        if not tried:
            raise failure
        legible = tried[-1][0] >= LEGIBLE_SPREAD
        share, used, estimator, coords, fallback = (
            tried[-1] if legible else max(tried, key=lambda entry: (entry[0], -entry[1]))
        )
        self.notices_.extend(fallback)
        if reason is None and (used != k or share < LEGIBLE_SPREAD):
            # connected at k, but folded (or failed there): say what k showed
            at_k = [entry[3] for entry in tried if entry[1] == k]
            reason = (
                Message("projection.collapsed", k=k, n_samples=n, spots=distinct_spots(at_k[0]))
                if at_k
                else message_of(failure)
            )
        if used != k:
            reason = (
                Message("projection.k_raised", reason=reason, used=used)
                if legible
                else Message(
                    "projection.k_raised_best",
                    reason=reason,
                    used=used,
                    limit=max(entry[1] for entry in tried),
                )
            )
        if reason is not None:
            self.notices_.append(reason)
        self.n_neighbors_ = used
        return estimator, coords

    def _fit_estimator(self, vectors: np.ndarray, n_neighbors: int):
        """(estimator, coords, notices) of one fit; LLE falls back to the dense solver."""
        estimator = self._make_estimator(len(vectors), n_neighbors)
        try:
            return estimator, estimator.fit_transform(vectors), []
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as error:
            if self.method not in LLE_METHODS or len(vectors) > DENSE_LIMIT:
                raise ValueError(
                    Message(
                        "projection.failed",
                        method=METHOD_LABELS[self.method],
                        n_samples=len(vectors),
                        error=str(error),
                    )
                ) from error
            # ARPACK fails on near-degenerate neighbourhoods (and on a split graph).
            notice = Message("projection.dense_fallback", error=type(error).__name__)
            estimator = self._make_estimator(len(vectors), n_neighbors, eigen_solver="dense")
            return estimator, estimator.fit_transform(vectors), [notice]


# --- comparing methods -------------------------------------------------------------------


@dataclass
class Compared:
    """One method's map in a comparison: ``coords`` and ``seconds``, or why it failed;
    the k it was fitted with and its notices (see :class:`Projector`)."""

    coords: np.ndarray | None
    seconds: float
    error: str | None = None  # a core.messages.Message when core raised it
    n_neighbors: int | None = None
    notices: list = field(default_factory=list)


def comparison_estimators(
    n_neighbors: int, n_components: int = 2, *, auto_k: bool = False
) -> dict[str, Projector]:
    """Every method of :data:`METHODS`, in that order, as an unfitted Projector."""
    return {
        name: Projector(
            method=name, n_components=n_components, n_neighbors=n_neighbors, auto_k=auto_k
        )
        for name in METHODS
    }


def compare_methods(
    vectors: np.ndarray,
    n_neighbors: int,
    *,
    n_components: int = 2,
    auto_k: bool = False,
    before_fit=None,
    progress=None,
) -> dict[str, Compared]:
    """Fit every method of :func:`comparison_estimators` on the same vectors, timed.

    ``auto_k`` lets each LLE variant raise k where the neighbour graph falls apart (see
    :class:`Projector`). ``before_fit(name)`` runs before each fit (e.g. to wait for
    UMAP's warm-up); ``progress(done, total, name)`` after each. A method whose parameters
    do not fit the data is reported with its error, never raised: the others still run.
    """
    estimators = comparison_estimators(n_neighbors, n_components, auto_k=auto_k)
    results: dict[str, Compared] = {}
    for done, (name, estimator) in enumerate(estimators.items(), start=1):
        if before_fit is not None:
            before_fit(name)
        try:
            estimator.fit(vectors)
            results[name] = Compared(
                estimator.embedding_,
                estimator.seconds_,
                n_neighbors=estimator.n_neighbors_,
                notices=list(estimator.notices_),
            )
        except ValueError as error:
            results[name] = Compared(None, 0.0, error.args[0] if error.args else str(error))
        if progress is not None:
            progress(done, len(estimators), name)
    return results
