"""Synthetic windows for the teacher to label: mixup and MUNGE (model compression).

A student distils best when it sees the teacher's function on many points, not
only on the labelled ones (Bucilă, Caruana and Niculescu-Mizil, "Model
compression", KDD 2006). Both generators work on the teacher's full input —
privileged and student parts together — so each synthetic point is a coherent
window that the teacher labels and whose student part the student sees.

- :func:`mixup_windows`: convex combinations ``λ·x_i + (1 − λ)·x_j`` of two
  training windows of the same class, ``λ ~ Beta(0.4, 0.4)``; works for
  arrays, DataFrames and dicts of modalities (every modality mixed with the
  same pairs and weights).
- :func:`munge_windows`: MUNGE — each window is paired with its nearest
  neighbour; with probability ``p`` each feature is swapped for the
  neighbour's value perturbed by ``N(0, |x_a − x'_a| / s)``; tabular input.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics.pairwise import nan_euclidean_distances

from skkd._modalities import Modalities

__all__ = ["AUGMENTERS", "mixup_windows", "munge_windows", "synthetic_windows"]

#: Beta(a, a) of mixup's weight λ (Zhang et al., 2018, use 0.2–0.4 on tabular data)
MIXUP_BETA = 0.4
#: MUNGE's swap probability and local-variance divisor (Bucilă et al., 2006)
MUNGE_P, MUNGE_S = 0.5, 1.0


def _n_synthetic(n: int, ratio: float) -> int:
    return max(1, int(round(n * float(ratio))))


def _same_class_pairs(y: np.ndarray, m: int, rng: np.random.RandomState) -> tuple:
    """``m`` index pairs ``(i, j)`` drawn with ``y[i] == y[j]`` (labelled rows only)."""
    labelled = np.flatnonzero(y >= 0)
    first = rng.choice(labelled, size=m, replace=True)
    second = np.empty(m, dtype=np.int64)
    for c in np.unique(y[first]):
        pool = labelled[y[labelled] == c]
        where = np.flatnonzero(y[first] == c)
        second[where] = rng.choice(pool, size=len(where), replace=True)
    return first, second


def _mix(a: np.ndarray, i, j, lam) -> np.ndarray:
    w = lam.reshape((-1,) + (1,) * (a.ndim - 1)).astype(np.float64)
    out = w * a[i].astype(np.float64) + (1.0 - w) * a[j].astype(np.float64)
    return out.astype(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float32)


def mixup_windows(X, y_enc: np.ndarray, ratio: float, rng: np.random.RandomState):
    """Same-class mixup of ``round(ratio · n)`` windows; ``X`` is not written.

    ``y_enc`` are encoded labels (``-1`` rows are not used as parents).

    >>> X = np.arange(8.0).reshape(4, 2)
    >>> Z = mixup_windows(X, np.array([0, 0, 1, 1]), 1.0, np.random.RandomState(0))
    >>> Z.shape
    (4, 2)
    """
    y_enc = np.asarray(y_enc)
    m = _n_synthetic(len(y_enc), ratio)
    i, j = _same_class_pairs(y_enc, m, rng)
    lam = rng.beta(MIXUP_BETA, MIXUP_BETA, size=m)
    if isinstance(X, Mapping):
        return Modalities({k: _mix(np.asarray(v), i, j, lam) for k, v in X.items()})
    if isinstance(X, pd.DataFrame):
        mixed = _mix(X.to_numpy(dtype=np.float64), i, j, lam)
        return pd.DataFrame(mixed, columns=X.columns)
    return _mix(np.asarray(X), i, j, lam)


def munge_windows(X, ratio: float, rng: np.random.RandomState):
    """MUNGE (Bucilă et al., 2006) on a feature table: ``round(ratio · n)`` new rows.

    Distances for the nearest neighbours are Euclidean on z-scored columns
    (NaN-aware); swapped values keep NaN where the neighbour has NaN.

    >>> X = np.random.RandomState(0).normal(size=(10, 3))
    >>> munge_windows(X, 2.0, np.random.RandomState(0)).shape
    (20, 3)
    """
    if isinstance(X, Mapping):
        raise ValueError(
            "augment='munge' needs a feature table (array or DataFrame); for a dict of "
            "raw windows use augment='mixup'."
        )
    frame = X if isinstance(X, pd.DataFrame) else None
    values = X.to_numpy(dtype=np.float64) if frame is not None else np.asarray(X, np.float64)
    n = len(values)
    if n < 2:
        raise ValueError("augment='munge' needs at least 2 training windows.")
    scale = np.nanstd(values, axis=0)
    z = (values - np.nanmean(values, axis=0)) / np.where(scale > 0, scale, 1.0)
    dist = nan_euclidean_distances(z)
    np.fill_diagonal(dist, np.inf)
    neighbour = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
    m = _n_synthetic(n, ratio)
    rows = rng.randint(0, n, size=m)
    out = values[rows].copy()
    other = values[neighbour[rows]]
    swap = rng.random_sample(out.shape) < MUNGE_P
    spread = np.abs(out - other) / MUNGE_S
    noise = rng.standard_normal(out.shape) * np.nan_to_num(spread)
    out = np.where(swap, other + noise, out)
    if frame is not None:
        return pd.DataFrame(out.astype(np.float64), columns=frame.columns)
    return out.astype(np.asarray(X).dtype if np.issubdtype(np.asarray(X).dtype, np.floating)
                      else np.float64)


#: generators by name (the estimator's ``augment`` parameter)
AUGMENTERS = ("mixup", "munge")


def synthetic_windows(kind: str, X, y_enc, ratio: float, rng: np.random.RandomState):
    """Synthetic windows in the teacher's input space, by ``kind``."""
    if kind == "mixup":
        return mixup_windows(X, y_enc, ratio, rng)
    if kind == "munge":
        return munge_windows(X, ratio, rng)
    raise ValueError(f"augment must be None or one of {AUGMENTERS}, got {kind!r}.")
