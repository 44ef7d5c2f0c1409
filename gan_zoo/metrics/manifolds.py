"""Precision, recall, density and coverage of generated samples against real ones, on
k-nearest-neighbour balls in a feature space (or the toys' own coordinates).

- Improved precision and recall (Kynkaanniemi et al. 2019): each point's ball reaches its
  k-th nearest neighbour within its own set. Precision is the share of generated points
  inside some real ball (quality), recall the share of real points inside some generated
  ball (diversity). k = 3, the paper's choice.
- Density and coverage (Naeem et al. 2020), on the real balls only, which one outlier
  among the generated points cannot inflate: density = 1/(k M) sum over generated points
  of the number of real balls holding it (about 1 when both laws agree, and (k+1)/k for
  two identical sets); coverage = the share of real points whose ball holds at least one
  generated point.

Pure numpy, float64, distances computed in chunks (memory O(chunk * N)).
"""

import numpy as np


def _pairwise(a: np.ndarray, b: np.ndarray, chunk: int = 1024):
    """Yields (rows, Euclidean distances [len(rows), len(b)]) over chunks of a's rows."""
    b_squared = np.sum(b * b, axis=1)
    for start in range(0, len(a), chunk):
        rows = a[start:start + chunk]
        squared = np.sum(rows * rows, axis=1)[:, None] + b_squared[None, :] - 2.0 * rows @ b.T
        yield slice(start, start + len(rows)), np.sqrt(np.maximum(squared, 0.0))


def knn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance of each point to its k-th nearest neighbour among the others."""
    radii = np.empty(len(points))
    for rows, distances in _pairwise(points, points):
        radii[rows] = np.partition(distances, k, axis=1)[:, k]  # column 0 is the point itself
    return radii


# Balls are closed; a point on a boundary (a tie, as in two identical sets) counts as held
# whatever the rounding of the two distances that meet there.
_TOLERANCE = 1.0 + 1e-9


def _balls_holding(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """[len(points)] counts: how many of the balls (centres, radii) hold each point."""
    counts = np.empty(len(points), np.int64)
    for rows, distances in _pairwise(points, centres):
        counts[rows] = np.sum(distances <= radii[None, :] * _TOLERANCE, axis=1)
    return counts


def _as_features(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1)


def precision_recall(real, fake, k: int = 3) -> dict:
    """Improved precision and recall (Kynkaanniemi et al. 2019, eqs. 1-3)."""
    real, fake = _as_features(real), _as_features(fake)
    precision = np.mean(_balls_holding(fake, real, knn_radii(real, k)) > 0)
    recall = np.mean(_balls_holding(real, fake, knn_radii(fake, k)) > 0)
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real, fake, k: int = 3) -> dict:
    """Density and coverage (Naeem et al. 2020, eqs. 3 and 4), on the real points' balls."""
    real, fake = _as_features(real), _as_features(fake)
    radii = knn_radii(real, k)
    density = np.sum(_balls_holding(fake, real, radii)) / (k * len(fake))
    nearest_fake = np.empty(len(real))
    for rows, distances in _pairwise(real, fake):
        nearest_fake[rows] = distances.min(axis=1)
    return {"density": float(density), "coverage": float(np.mean(nearest_fake <= radii * _TOLERANCE))}


def manifold_metrics(real, fake, k: int = 3) -> dict:
    """Precision, recall, density and coverage together."""
    return {**precision_recall(real, fake, k), **density_coverage(real, fake, k)}
