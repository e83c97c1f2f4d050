"""Skin-temperature window features (level and trend)."""

from __future__ import annotations

import numpy as np

from skkd.features._base import WindowFeatureExtractor, stats

__all__ = ["TEMPFeatures"]

_STATS = ("mean", "std", "min", "max", "range", "median", "slope")


class TEMPFeatures(WindowFeatureExtractor):
    """Level, spread and trend of skin-temperature windows.

    Skin temperature drifts slowly (peripheral vasoconstriction under stress
    cools the wrist), so its features are plain statistics of the window:
    mean, standard deviation, minimum, maximum, range, median and the
    least-squares slope in units per second.

    Parameters
    ----------
    fs : float, default=4
        Sampling rate in Hz (4 for the Empatica E4); sets the slope's unit.
    n_jobs : int, default=None
        Windows processed in parallel with joblib (``-1``: all cores).
    verbose : int, default=1
        0 is silent; 1 shows a tqdm progress bar from 200 windows on; 2 always.

    Attributes
    ----------
    n_features_in_ : int
        Window length seen in ``fit`` (samples).

    Examples
    --------
    >>> import numpy as np
    >>> x = 33 + 0.01 * np.arange(240)[None, :]
    >>> F = TEMPFeatures(fs=4).fit_transform(x)
    >>> F.shape, round(float(F[0, -1]), 3)
    ((1, 7), 0.04)
    """

    feature_names = tuple(f"temp_{s}" for s in _STATS)

    def __init__(self, fs: float = 4, *, n_jobs: int | None = None, verbose: int = 1):
        self.fs = fs
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _window_features(self, x):
        out = stats(x, "temp", _STATS, float(self.fs))
        return np.array([out[f] for f in self.feature_names]), {}
