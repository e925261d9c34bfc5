"""Small datasets and helpers for the Learn-LLE page: the classic manifolds and the
pieces of LLE shown one at a time (neighbours, one point's weights, the embedding)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_s_curve, make_swiss_roll
from sklearn.neighbors import NearestNeighbors

from core.defaults import REG
from core.projection import barycentric_weights

MANIFOLDS = ("s_curve", "swiss_roll")


def toy_manifold(name: str, n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """3-D points on a known 2-D sheet and the position along it (for colouring and scoring)."""
    if name == "s_curve":
        return make_s_curve(n_samples=n_samples, random_state=seed)
    if name == "swiss_roll":
        return make_swiss_roll(n_samples=n_samples, random_state=seed)
    raise ValueError(f"Unknown manifold {name!r}; choose one of {', '.join(MANIFOLDS)}.")


def neighbours(points: np.ndarray, k: int) -> np.ndarray:
    """Indices of each point's k nearest neighbours, shape (n_points, k), self excluded."""
    if not 1 <= k < len(points):
        raise ValueError(f"Expected 1 <= k < n_points, but n_points = {len(points)}, k = {k}.")
    finder = NearestNeighbors(n_neighbors=k + 1).fit(points)
    return finder.kneighbors(return_distance=False)[:, 1:]


def reconstruction(points: np.ndarray, index: int, k: int, reg: float = REG):
    """One point's neighbours, their LLE weights, and the reconstructed point."""
    rows = neighbours(points, k)[index]
    weights = barycentric_weights(points[index], points[rows], reg)
    return rows, weights, weights @ points[rows]


def reconstruction_error(points: np.ndarray, index: int, rebuilt: np.ndarray) -> float:
    """Distance between a point and its reconstruction from its neighbours."""
    return float(np.linalg.norm(rebuilt - points[index]))


def short_circuits(points: np.ndarray, parameter: np.ndarray, k: int, jump: float) -> int:
    """Neighbour links that join far-apart parts of the sheet (|Δ position| > ``jump``).

    Large k on a curved sheet links its folds: the "short circuit" that tears LLE maps.
    """
    rows = neighbours(points, k)
    return int((np.abs(parameter[rows] - parameter[:, None]) > jump).sum())


def learning_points(vectors: np.ndarray, probabilities: np.ndarray):
    """Real embeddings prepared for the Learn page: the vectors (float64, what LLE works
    on), their first three principal components (what the 3-D views show) and a colour
    per point (its top emotion's index)."""
    from sklearn.decomposition import PCA

    points = np.asarray(vectors, dtype=np.float64)
    shown = PCA(n_components=3, random_state=0).fit_transform(points)
    return points, shown, probabilities.argmax(axis=1).astype(float)


def unrolled(coords: np.ndarray, position: np.ndarray) -> float:
    """How well a 2-D map recovers the sheet's known position: the larger |Spearman ρ| of
    the position with either map axis (1 = perfectly unrolled)."""
    from scipy.stats import spearmanr

    return float(max(abs(spearmanr(coords[:, axis], position)[0]) for axis in (0, 1)))


def short_circuit_jump(position: np.ndarray) -> float:
    """The position difference that counts as a short circuit: a quarter of the sheet."""
    return float(np.ptp(position) / 4)
