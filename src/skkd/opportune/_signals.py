"""Turn selector input (windows or a dict of modalities) into one (n, c, T) array."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import gcd

import numpy as np
from scipy.signal import resample_poly

__all__ = ["n_windows_of", "stack_windows"]


def n_windows_of(X, name: str = "X") -> int:
    """Number of windows in an array of windows or a dict of modalities.

    >>> n_windows_of({"eda": np.zeros((4, 1, 8))})
    4
    """
    if isinstance(X, Mapping):
        if len(X) == 0:
            raise ValueError(f"{name} is an empty dict of modalities.")
        lengths = {key: len(value) for key, value in X.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"{name}: modalities disagree on the number of windows: {lengths}.")
        return next(iter(lengths.values()))
    if not hasattr(X, "__len__") and not hasattr(X, "shape"):
        raise TypeError(f"{name} must be an array of windows or a dict of modalities, got {type(X).__name__}.")
    n = np.shape(X)[0] if np.ndim(X) else 0
    if n == 0:
        raise ValueError(f"{name} has no windows.")
    return int(n)


def _as_windows(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array of windows: {exc}") from exc
    if arr.ndim == 2:
        arr = arr[:, None, :]
    if arr.ndim != 3:
        raise ValueError(
            f"{name} must be windows of shape (n_windows, T) or (n_windows, channels, T), got {arr.shape}."
        )
    return arr


def _select_channels(arr: np.ndarray, channels, name: str) -> np.ndarray:
    if channels is None:
        return arr
    idx = np.atleast_1d(np.asarray(channels))
    if idx.size == 0 or idx.dtype.kind not in "iu" or idx.min() < -arr.shape[1] or idx.max() >= arr.shape[1]:
        raise ValueError(f"channels must be indices among the {arr.shape[1]} channels of {name}, got {channels!r}.")
    return arr[:, idx, :]


def _resample(arr: np.ndarray, length: int) -> np.ndarray:
    T = arr.shape[2]
    if T == length:
        return arr
    g = gcd(length, T)
    return resample_poly(arr, length // g, T // g, axis=2)


def stack_windows(
    X,
    *,
    modalities: Sequence[str] | None = None,
    channels=None,
    length: int | None = None,
    name: str = "X",
) -> np.ndarray:
    """Windows to score, as one float array of shape (n_windows, channels, T).

    Parameters
    ----------
    X : array of shape (n, T) or (n, c, T), or a dict of modalities
        Windows; in a dict every value is such an array (all windows span the
        same time, so their lengths are proportional to the sampling rates).
    modalities : sequence of str, optional
        Dict keys to use (default: every key). Each is resampled
        (``scipy.signal.resample_poly``) to ``length`` samples and the
        channels are concatenated.
    channels : sequence of int or dict, optional
        Channel indices to keep; for a dict input, a mapping modality -> indices.
    length : int, optional
        Common number of samples per window (default: the shortest modality).

    Examples
    --------
    >>> X = {"eda": np.ones((2, 1, 8)), "bvp": np.ones((2, 1, 32))}
    >>> stack_windows(X).shape
    (2, 2, 8)
    """
    if isinstance(X, Mapping):
        n_windows_of(X, name)
        keys = list(X.keys()) if modalities is None else list(modalities)
        if isinstance(modalities, str) or not keys:
            raise ValueError(f"modalities must be a non-empty list of keys of {name}, got {modalities!r}.")
        missing = [k for k in keys if k not in X]
        if missing:
            raise ValueError(f"{name} lacks modalities {missing}; it has {sorted(X.keys())}.")
        if channels is not None and not isinstance(channels, Mapping):
            raise ValueError("With a dict of modalities, channels must be a dict {modality: indices}.")
        arrays = []
        for key in keys:
            arr = _as_windows(X[key], f"{name}[{key!r}]")
            arrays.append(_select_channels(arr, None if channels is None else channels.get(key), f"{name}[{key!r}]"))
        target = min(a.shape[2] for a in arrays) if length is None else int(length)
        return np.concatenate([_resample(a, target) for a in arrays], axis=1)
    if modalities is not None:
        raise ValueError(f"modalities={modalities!r} needs a dict of modalities; {name} is an array.")
    arr = _select_channels(_as_windows(X, name), channels, name)
    return arr if length is None else _resample(arr, int(length))
