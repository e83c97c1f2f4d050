"""Blood-volume pulse (BVP/PPG) window features on top of NeuroKit2."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, find_peaks, sosfiltfilt

from skkd.features._base import WindowFeatureExtractor, require_variation
from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features

__all__ = ["BVPFeatures"]


@lru_cache(maxsize=16)
def _elgendi_sos(fs: float) -> np.ndarray:
    return butter(2, [0.5, 8.0], btype="bandpass", output="sos", fs=fs)


def ppg_clean(x: np.ndarray, fs: float) -> np.ndarray:
    """:func:`neurokit2.ppg_clean` (Elgendi: 0.5–8 Hz Butterworth, zero-phase) on the last axis.

    Rows of a 2-D ``x`` are filtered in one vectorised call, each as if alone.

    >>> ppg_clean(np.ones((2, 640)), fs=64.0).shape
    (2, 640)
    """
    return sosfiltfilt(_elgendi_sos(float(fs)), np.asarray(x, dtype=np.float64), axis=-1)


def ppg_peaks(clean: np.ndarray, fs: float) -> np.ndarray:
    """Systolic peaks of a cleaned PPG, as :func:`neurokit2.ppg_peaks` (Elgendi et al., 2013).

    Blocks of interest are where the squared (positive) signal's 111-ms moving
    average exceeds its 667-ms moving average plus 2 % of its mean; each block
    at least 111 ms long gives its most prominent local maximum, kept if more
    than 300 ms after the previous peak (and after the first sample: a peak
    in the first 300 ms is dropped, as in neurokit2). Raises
    ``ValueError``/``IndexError`` where neurokit2 raises (no block at all).

    >>> t = np.arange(640) / 64
    >>> ppg_peaks(np.sin(2 * np.pi * 1.2 * t), fs=64.0)[:3].tolist()
    [67, 120, 173]
    """
    signal = np.asarray(clean, dtype=np.float64)
    sqrd = np.where(signal < 0, 0.0, signal) ** 2
    peak_kernel = int(np.rint(0.111 * fs))
    beat_kernel = int(np.rint(0.667 * fs))
    for size in (peak_kernel, beat_kernel):
        if size > len(signal) or size < 1:
            raise ValueError("smoothing window longer than the signal")
    ma_peak = uniform_filter1d(sqrd, peak_kernel, mode="nearest")
    ma_beat = uniform_filter1d(sqrd, beat_kernel, mode="nearest")
    waves = ma_peak > ma_beat + 0.02 * np.mean(sqrd)
    beg = np.flatnonzero(~waves[:-1] & waves[1:])
    end = np.flatnonzero(waves[:-1] & ~waves[1:])
    end = end[end > beg[0]]  # IndexError without any block, as in neurokit2
    n = min(beg.size, end.size)
    beg, end = beg[:n], end[:n]
    long_enough = end - beg >= peak_kernel
    beg, end = beg[long_enough], end[long_enough]
    # The most prominent local maximum of each block signal[b:e]. A block
    # without flat steps has as local maxima exactly its strict ones,
    # s[i-1] < s[i] > s[i+1] with b < i < e - 1; with at most one of them the
    # answer needs no prominence. Other blocks go through find_peaks.
    step = np.diff(signal)
    strict = np.zeros(len(signal), dtype=bool)
    strict[1:-1] = (step[:-1] > 0) & (step[1:] < 0)
    maxima = np.flatnonzero(strict)
    n_max_before = np.concatenate([[0], np.cumsum(strict)])
    n_flat_before = np.concatenate([[0], np.cumsum(step == 0)])
    first_max = n_max_before[beg + 1]
    n_max = n_max_before[np.maximum(end - 1, beg + 1)] - first_max
    simple = (n_flat_before[np.maximum(end - 1, beg)] - n_flat_before[beg] == 0) & (n_max <= 1)
    min_delay = int(np.rint(0.3 * fs))
    peaks = [0]
    for b, e, easy, count, k in zip(beg, end, simple, n_max, first_max):
        if easy:
            if count == 0:
                continue
            peak = maxima[k]
        else:
            locmax, props = find_peaks(signal[b:e], prominence=(None, None))
            if locmax.size == 0:
                continue
            peak = b + locmax[np.argmax(props["prominences"])]
        if peak - peaks[-1] > min_delay:
            peaks.append(peak)
    return np.asarray(peaks[1:], dtype=int)


class BVPFeatures(WindowFeatureExtractor):
    """Heart rate and time-domain HRV of photoplethysmogram windows.

    Each window is cleaned as :func:`neurokit2.ppg_clean` does and its systolic
    peaks found as :func:`neurokit2.ppg_peaks` does (the steps of
    :func:`neurokit2.ppg_process` without its slow quality index; computed here
    with numpy/scipy, equal to neurokit2 0.3, the band-pass run on whole chunks
    of windows at once; :func:`~skkd.features.recording_features` processes a
    continuous recording once instead); the features
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

    def _prepare_chunk(self, windows):
        # one vectorised band-pass for the whole chunk (row by row as if alone)
        return list(ppg_clean(windows, float(self.fs)))

    def _window_features(self, x, prepared=None):
        fs = float(self.fs)
        require_variation(x)
        clean = ppg_clean(x, fs) if prepared is None else prepared
        vals, reasons = cardiac_features(ppg_peaks(clean, fs), fs)
        return np.array([vals[f] for f in self.feature_names]), reasons
