"""Maps of an embedding space: LLE (four variants), UMAP, t-SNE and PCA behind one interface.

:class:`Projector` follows scikit-learn's conventions: keyword-only ``__init__`` that only
stores, ``fit`` validates and returns ``self``, learned state ends in ``_``, ``transform``
places new points on the fitted map where the method can (LLE, UMAP, PCA).

What goes wrong with real embeddings is handled, with a notice rather than a crash:
duplicate vectors (which make LLE's weight matrix singular) are merged before fitting and
mapped back afterwards; an ARPACK failure falls back to the dense eigensolver.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, LocallyLinearEmbedding, trustworthiness
from sklearn.neighbors import NearestNeighbors

from core.defaults import REG
from core.messages import Message, define

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
            "The sparse eigensolver failed ({error}); refitted with eigen_solver='dense'."
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

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
    reconstruction_error_ : float or None (LLE only)
    seconds_ : float, time taken by ``fit``
    notices_ : list of str, what was done to make the fit work
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
    ) -> None:
        self.method = method
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.reg = reg
        self.perplexity = perplexity
        self.landmarks = landmarks
        self.random_state = random_state

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
        estimator, fitted = self._fit_estimator(unique[fit_rows])
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

    def _make_estimator(self, n_samples: int, eigen_solver: str = "auto"):
        if self.method in LLE_METHODS:
            return LocallyLinearEmbedding(
                n_neighbors=self.n_neighbors,
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

    def _fit_estimator(self, vectors: np.ndarray):
        estimator = self._make_estimator(len(vectors))
        try:
            return estimator, estimator.fit_transform(vectors)
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
            # ARPACK can fail to converge on near-degenerate neighbourhoods.
            self.notices_.append(Message("projection.dense_fallback", error=type(error).__name__))
            estimator = self._make_estimator(len(vectors), eigen_solver="dense")
            return estimator, estimator.fit_transform(vectors)


# --- comparing methods -------------------------------------------------------------------


@dataclass
class Compared:
    """One method's map in a comparison: ``coords`` and ``seconds``, or why it failed."""

    coords: np.ndarray | None
    seconds: float
    error: str | None = None  # a core.messages.Message when core raised it


def comparison_estimators(n_neighbors: int, n_components: int = 2) -> dict[str, Projector]:
    """Every method of :data:`METHODS`, in that order, as an unfitted Projector."""
    return {
        name: Projector(method=name, n_components=n_components, n_neighbors=n_neighbors)
        for name in METHODS
    }


def compare_methods(
    vectors: np.ndarray,
    n_neighbors: int,
    *,
    n_components: int = 2,
    before_fit=None,
    progress=None,
) -> dict[str, Compared]:
    """Fit every method of :func:`comparison_estimators` on the same vectors, timed.

    ``before_fit(name)`` runs before each fit (e.g. to wait for UMAP's warm-up);
    ``progress(done, total, name)`` after each. A method whose parameters do not fit the
    data is reported with its error, never raised: the others still run.
    """
    estimators = comparison_estimators(n_neighbors, n_components)
    results: dict[str, Compared] = {}
    for done, (name, estimator) in enumerate(estimators.items(), start=1):
        if before_fit is not None:
            before_fit(name)
        try:
            estimator.fit(vectors)
            results[name] = Compared(estimator.embedding_, estimator.seconds_)
        except ValueError as error:
            results[name] = Compared(None, 0.0, error.args[0] if error.args else str(error))
        if progress is not None:
            progress(done, len(estimators), name)
    return results
