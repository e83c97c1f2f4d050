"""Blood-volume pulse (BVP/PPG) window features on top of NeuroKit2."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np

from skkd.features._base import WindowFeatureExtractor, require_variation
from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features

__all__ = ["BVPFeatures"]


class BVPFeatures(WindowFeatureExtractor):
    """Heart rate and time-domain HRV of photoplethysmogram windows.

    Each window is cleaned with :func:`neurokit2.ppg_clean` and its systolic
    peaks found with :func:`neurokit2.ppg_peaks` (the steps of
    :func:`neurokit2.ppg_process` without its slow quality index); the features
    are the number of beats, heart rate statistics (bpm) and the time-domain HRV
    indices of :func:`neurokit2.hrv_time` (ms and %). Frequency-domain HRV needs
    minutes of signal and is left out of 60-s windows on purpose.

    Parameters
    ----------
    fs : float, default=64
        Sampling rate in Hz (64 for the Empatica E4).
    n_jobs : int, default=None
        Windows processed in parallel with joblib (``-1``: all cores).
    verbose : int, default=1
        0 is silent; 1 shows a tqdm progress bar from 200 windows on; 2 always.

    Attributes
    ----------
    n_features_in_ : int
        Window length seen in ``fit`` (samples).

    Notes
    -----
    Windows shorter than 2 s, flat, or holding NaN/inf give NaN features; HRV
    indices need 3 to 4 beats. One
    :class:`~skkd.features.FeatureExtractionWarning` per call names the NaN
    features and why.

    Examples
    --------
    >>> import neurokit2 as nk
    >>> x = nk.ppg_simulate(duration=30, sampling_rate=64, heart_rate=70, random_state=0)
    >>> F = BVPFeatures(fs=64, verbose=0).fit_transform(x[None, None, :])
    >>> F.shape, bool(60 < F[0, 1] < 80)
    ((1, 16), True)
    """

    feature_names = CARDIAC_FEATURES

    def __init__(self, fs: float = 64, *, n_jobs: int | None = None, verbose: int = 1):
        self.fs = fs
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _min_length(self) -> int:
        return max(int(np.ceil(2 * self.fs)), 32)

    def _window_features(self, x):
        fs = float(self.fs)
        require_variation(x)
        clean = nk.ppg_clean(x, sampling_rate=fs)
        _, info = nk.ppg_peaks(clean, sampling_rate=fs)
        vals, reasons = cardiac_features(info["PPG_Peaks"], fs)
        return np.array([vals[f] for f in self.feature_names]), reasons
