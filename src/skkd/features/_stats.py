"""Vectorised window statistics of every channel: the cheap, strong wearable baseline."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd.utils import check_signal_windows
from skkd.utils._validation import invalid_parameter

__all__ = ["WindowStatistics"]


def _slope(x: np.ndarray) -> np.ndarray:
    t = np.linspace(-1.0, 1.0, x.shape[-1])
    denom = (t * t).sum()
    return (x * t).sum(axis=-1) / denom if denom > 0 else np.zeros(x.shape[:-1])


_STATS = {
    "mean": lambda x: x.mean(axis=-1),
    "std": lambda x: x.std(axis=-1),
    "min": lambda x: x.min(axis=-1),
    "max": lambda x: x.max(axis=-1),
    "range": lambda x: np.ptp(x, axis=-1),
    "median": lambda x: np.median(x, axis=-1),
    "slope": _slope,
}


class WindowStatistics(TransformerMixin, BaseEstimator):
    """Mean, std, min, max, slope… of each channel of each window, vectorised.

    Maps ``(n, T)`` or ``(n, c, T)`` to ``(n, c * len(stats))`` with feature
    names ``ch{c}_{stat}`` (``eda__ch0_mean`` once routed by
    :class:`skkd.compose.ModalityTransformer`). The slope is the least-squares
    slope over the window on a time axis scaled to [-1, 1]. On real wrist data
    these statistics, z-scored within each subject, are a strong baseline
    (see ``benchmarks/kd_estimators.py``).

    Parameters
    ----------
    stats : tuple of str, default=("mean", "std", "min", "max", "slope")
        Any of ``mean, std, min, max, range, median, slope``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(8.0).reshape(2, 1, 4)
    >>> WindowStatistics(stats=("mean", "max")).fit_transform(X)
    array([[1.5, 3. ],
           [5.5, 7. ]])
    >>> WindowStatistics(stats=("mean",)).fit(X).get_feature_names_out().tolist()
    ['ch0_mean']
    """

    _parameter_constraints: dict = {"stats": [StrOptions(set(_STATS)), "array-like"]}

    def __init__(self, stats: tuple[str, ...] = ("mean", "std", "min", "max", "slope")):
        self.stats = stats

    def _check_stats(self) -> tuple[str, ...]:
        """The statistics' names as a tuple; what the constraints cannot say (run after them)."""
        stats = (self.stats,) if isinstance(self.stats, str) else tuple(self.stats)
        if not stats or any(not isinstance(s, str) or s not in _STATS for s in stats):
            raise invalid_parameter(
                self, "stats", f"a non-empty subset of {sorted(_STATS)}", self.stats
            )
        return stats

    def _windows(self, X) -> np.ndarray:
        arr = check_signal_windows(X, name="X", min_length=1)
        return arr[:, None, :] if arr.ndim == 2 else arr

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of channels (and check the statistics' names)."""
        self._check_stats()
        arr = self._windows(X)
        self.n_channels_ = arr.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Statistics of every window: ``(n, n_channels * len(stats))``."""
        check_is_fitted(self, "n_channels_")
        self._validate_params()
        stats = self._check_stats()
        arr = self._windows(X)
        if arr.shape[1] != self.n_channels_:
            raise ValueError(
                f"X has {arr.shape[1]} channels; {self.n_channels_} were seen in fit."
            )
        out = np.stack([_STATS[s](arr) for s in stats], axis=-1)  # (n, c, k)
        return out.reshape(len(arr), -1)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``ch{c}_{stat}`` for every channel and statistic."""
        check_is_fitted(self, "n_channels_")
        self._validate_params()
        stats = self._check_stats()
        return np.asarray(
            [f"ch{c}_{s}" for c in range(self.n_channels_) for s in stats], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        return tags
