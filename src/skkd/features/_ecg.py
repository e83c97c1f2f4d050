"""Electrocardiogram (ECG) window features on top of NeuroKit2."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np

from skkd.features._base import WindowFeatureExtractor, require_variation
from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features

__all__ = ["ECGFeatures"]


class ECGFeatures(WindowFeatureExtractor):
    """Heart rate and time-domain HRV of ECG windows.

    Each window is cleaned with :func:`neurokit2.ecg_clean` and its R peaks
    found with :func:`neurokit2.ecg_peaks`; the features are those of
    :class:`~skkd.features.BVPFeatures` (beats, heart rate, time-domain HRV as
    in :func:`neurokit2.hrv_time`), so a chest-ECG teacher and a wrist-BVP
    student share one schema.

    Parameters
    ----------
    fs : float, default=256
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
    >>> x = nk.ecg_simulate(duration=20, sampling_rate=256, heart_rate=70, random_state=0)
    >>> F = ECGFeatures(fs=256, verbose=0).fit_transform(x[None, :])
    >>> F.shape, bool(60 < F[0, 1] < 80)
    ((1, 16), True)
    """

    feature_names = CARDIAC_FEATURES

    def __init__(self, fs: float = 256, *, n_jobs: int | None = None, verbose: int = 1):
        self.fs = fs
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _min_length(self) -> int:
        return max(int(np.ceil(2 * self.fs)), 32)

    def _window_features(self, x):
        fs = float(self.fs)
        require_variation(x)
        clean = nk.ecg_clean(x, sampling_rate=fs)
        _, info = nk.ecg_peaks(clean, sampling_rate=fs)
        vals, reasons = cardiac_features(info["ECG_R_Peaks"], fs)
        return np.array([vals[f] for f in self.feature_names]), reasons
