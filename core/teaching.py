"""Small datasets and helpers for the Learn-LLE page: the classic manifolds and the
pieces of LLE shown one at a time (neighbours, one point's weights, the embedding)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_s_curve, make_swiss_roll
from sklearn.neighbors import NearestNeighbors

from core.transfer import barycentric_weights

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


def reconstruction(points: np.ndarray, index: int, k: int, reg: float = 1e-3):
    """One point's neighbours, their LLE weights, and the reconstructed point."""
    rows = neighbours(points, k)[index]
    weights = barycentric_weights(points[index], points[rows], reg)
    return rows, weights, weights @ points[rows]


def short_circuits(points: np.ndarray, parameter: np.ndarray, k: int, jump: float) -> int:
    """Neighbour links that join far-apart parts of the sheet (|Δ position| > ``jump``).

    Large k on a curved sheet links its folds: the "short circuit" that tears LLE maps.
    """
    rows = neighbours(points, k)
    return int((np.abs(parameter[rows] - parameter[:, None]) > jump).sum())
