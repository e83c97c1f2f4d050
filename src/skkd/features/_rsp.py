"""Respiration (RSP) window features on top of NeuroKit2."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np

from skkd.features._base import WindowFeatureExtractor, require_variation

__all__ = ["RSPFeatures"]


class RSPFeatures(WindowFeatureExtractor):
    """Breathing rate, depth and variability of respiration windows.

    Each window goes through :func:`neurokit2.rsp_process`; the features are
    statistics of its instantaneous rate (breaths/min) and amplitude, the
    number of breaths, and the mean and standard deviation of breath-to-breath
    intervals (s), a simple breathing-rate variability.

    Parameters
    ----------
    fs : float, default=50
        Sampling rate in Hz.
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
    >>> import neurokit2 as nk
    >>> x = nk.rsp_simulate(duration=60, sampling_rate=50, respiratory_rate=15, random_state=0)
    >>> F = RSPFeatures(fs=50, verbose=0).fit_transform(x[None, :])
    >>> F.shape, bool(12 < F[0, 0] < 18)
    ((1, 8), True)
    """

    feature_names = (
        "rsp_rate_mean",
        "rsp_rate_std",
        "rsp_amplitude_mean",
        "rsp_amplitude_std",
        "rsp_breaths_n",
        "rsp_interval_mean",
        "rsp_interval_std",
        "rsp_clean_std",
    )

    def __init__(self, fs: float = 50, *, n_jobs: int | None = None, verbose: int = 1):
        self.fs = fs
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _min_length(self) -> int:
        return max(int(np.ceil(10 * self.fs)), 32)

    def _window_features(self, x):
        fs = float(self.fs)
        require_variation(x)
        signals, info = nk.rsp_process(x, sampling_rate=fs)
        peaks = np.asarray(info["RSP_Peaks"], dtype=float)
        peaks = peaks[np.isfinite(peaks)]
        rate = signals["RSP_Rate"].to_numpy()
        amp = signals["RSP_Amplitude"].to_numpy()
        out = {
            "rsp_rate_mean": np.nanmean(rate) if np.isfinite(rate).any() else np.nan,
            "rsp_rate_std": np.nanstd(rate) if np.isfinite(rate).any() else np.nan,
            "rsp_amplitude_mean": np.nanmean(amp) if np.isfinite(amp).any() else np.nan,
            "rsp_amplitude_std": np.nanstd(amp) if np.isfinite(amp).any() else np.nan,
            "rsp_breaths_n": float(len(peaks)),
            "rsp_clean_std": float(np.std(signals["RSP_Clean"].to_numpy())),
        }
        intervals = np.diff(np.sort(peaks)) / fs
        out["rsp_interval_mean"] = intervals.mean() if len(intervals) >= 1 else np.nan
        out["rsp_interval_std"] = intervals.std(ddof=1) if len(intervals) >= 2 else np.nan
        reasons = {
            f: "too few breaths detected in window"
            for f in self.feature_names
            if not np.isfinite(out[f])
        }
        return np.array([out[f] for f in self.feature_names], dtype=float), reasons
