"""Electrodermal activity (EDA/GSR) window features on top of NeuroKit2."""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import numpy as np
from scipy.signal import butter, find_peaks, medfilt, peak_prominences, sosfiltfilt
from sklearn.utils._param_validation import StrOptions

from skkd.features._base import WindowFeatureExtractor, stats

__all__ = ["EDAFeatures"]

_LEVEL = ("mean", "std", "min", "max", "range", "slope")

#: tonic/phasic decompositions of ``nk.eda_phasic`` (NeuroKit2 0.3), by our name
METHODS = ("highpass", "smoothmedian", "cvxeda", "sparsEDA")


class EDAFeatures(WindowFeatureExtractor):
    """Skin-conductance level and response features of EDA windows.

    Each window goes through :func:`neurokit2.eda_process` (cleaning, tonic /
    phasic decomposition, SCR peak detection); the features are statistics of
    its outputs: the cleaned signal (``eda_*``), the tonic level (``scl_*``),
    the phasic component (``scr_std``) and the detected skin-conductance
    responses (count, rate, amplitude, rise and recovery times).

    With ``method="highpass"`` or ``"smoothmedian"`` those steps are computed
    here with numpy/scipy, equal to :func:`neurokit2.eda_process` (0.3) on
    each window alone (tested to 1e-10), the filters of all the windows of a
    call batched into one vectorised ``sosfiltfilt``. For windows cut from
    continuous recordings, :func:`~skkd.features.recording_features` processes
    each recording once instead (values differ near window borders; see there).

    Parameters
    ----------
    fs : float, default=4
        Sampling rate in Hz (4 for the Empatica E4).
    method : {"highpass", "smoothmedian", "cvxeda", "sparsEDA"}, default="highpass"
        Tonic/phasic decomposition (:func:`neurokit2.eda_phasic`); the rest of
        the pipeline (cleaning, SCR peaks) is NeuroKit2's default.
        ``"highpass"`` (NeuroKit2's default: 0.05 Hz high-pass) and
        ``"smoothmedian"`` (4-s median filter) are fast; ``"cvxeda"`` (Greco
        et al., 2016, convex optimisation) needs the ``cvxopt`` package
        (``pip install skkd[cvxeda]``); ``"sparsEDA"`` (Hernando-Gallego et
        al., 2018) is about ten times slower and fails on some 4-Hz windows
        (NaN features). All four run at the E4's 4 Hz; their cost and what
        they give on Stress-Predict are in the "EDA at 4 Hz" docs page.
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
    Windows shorter than 4 s, or holding NaN/inf, give NaN features; amplitude
    and timing features are NaN in windows without an SCR peak. Either way one
    :class:`~skkd.features.FeatureExtractionWarning` per call names the
    features and the reason; the columns never change.

    Examples
    --------
    >>> import numpy as np, neurokit2 as nk
    >>> x = nk.eda_simulate(duration=60, sampling_rate=4, scr_number=3, random_state=0)
    >>> F = EDAFeatures(fs=4, verbose=0).fit_transform(x.reshape(1, 1, -1))
    >>> F.shape
    (1, 16)
    >>> EDAFeatures(fs=4).fit(x[None]).get_feature_names_out()[:3].tolist()
    ['eda_mean', 'eda_std', 'eda_min']
    """

    feature_names = (
        *(f"eda_{s}" for s in _LEVEL),
        "scl_mean",
        "scl_std",
        "scl_slope",
        "scr_std",
        "scr_peaks_n",
        "scr_peaks_per_min",
        "scr_amplitude_mean",
        "scr_amplitude_max",
        "scr_risetime_mean",
        "scr_recoverytime_mean",
    )

    _parameter_constraints: dict = {
        **WindowFeatureExtractor._parameter_constraints,
        "method": [StrOptions(set(METHODS))],
    }

    def __init__(
        self,
        fs: float = 4,
        *,
        method: str = "highpass",
        n_jobs: int | None = None,
        verbose: int = 1,
    ):
        self.fs = fs
        self.method = method
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> None:
        super()._check_params()
        if self.method == "cvxeda" and importlib.util.find_spec("cvxopt") is None:
            raise ImportError(
                "EDAFeatures(method='cvxeda') needs the cvxopt package: "
                "pip install cvxopt (or skkd[cvxeda])."
            )

    def _min_length(self) -> int:
        return max(int(np.ceil(4 * self.fs)), 10)

    def _prepare_chunk(self, windows):
        # the filters of the whole chunk at once (one vectorised sosfiltfilt);
        # row by row this equals filtering each window alone
        if self.method not in FAST_METHODS:
            return None
        clean, tonic, phasic = eda_components(windows, float(self.fs), self.method)
        return list(zip(clean, tonic, phasic))

    def _window_features(self, x, prepared=None):
        fs = float(self.fs)
        if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
            # a constant window: a level and no response (neurokit2 would
            # report responses in rounding noise)
            clean = tonic = x
            phasic = np.zeros_like(x)
            info = {"SCR_Peaks": np.array([])}
        elif self.method in FAST_METHODS:
            clean, tonic, phasic = (
                eda_components(x, fs, self.method) if prepared is None else prepared
            )
            info = scr_peaks(phasic, fs)
        else:
            import neurokit2 as nk

            signals, info = nk.eda_process(x, sampling_rate=fs, method_phasic=self.method)
            clean = signals["EDA_Clean"].to_numpy()
            tonic = signals["EDA_Tonic"].to_numpy()
            phasic = signals["EDA_Phasic"].to_numpy()
        out = stats(clean, "eda", _LEVEL, fs)
        out.update(stats(tonic, "scl", ("mean", "std", "slope"), fs))
        out["scr_std"] = float(np.std(phasic))
        peaks = np.asarray(info["SCR_Peaks"])
        n_peaks = int(np.sum(~np.isnan(peaks.astype(float)))) if peaks.size else 0
        out.update(_scr_summary(
            n_peaks, len(x) / fs,
            *(np.asarray(info.get(k, []), dtype=float)
              for k in ("SCR_Amplitude", "SCR_RiseTime", "SCR_RecoveryTime")),
        ))
        reasons = {
            key: _no_scr_reason(n_peaks) for key in _SCR_TIMING if np.isnan(out[key])
        }
        return np.array([out[f] for f in self.feature_names]), reasons


#: methods computed here in numpy/scipy, equal to neurokit2 (the others call it)
FAST_METHODS = ("highpass", "smoothmedian")
_SCR_TIMING = (
    "scr_amplitude_mean", "scr_amplitude_max", "scr_risetime_mean", "scr_recoverytime_mean"
)


def _no_scr_reason(n_peaks: int) -> str:
    return (
        "no skin-conductance response in window"
        if n_peaks == 0
        else "no complete skin-conductance response in window"
    )


def _scr_summary(n_peaks, seconds, amplitude, risetime, recoverytime) -> dict[str, float]:
    """The SCR columns of one window from its peaks' amplitudes and times."""
    out = {"scr_peaks_n": float(n_peaks), "scr_peaks_per_min": n_peaks / (seconds / 60.0)}
    for key, vals, agg in (
        ("scr_amplitude_mean", amplitude, np.mean),
        ("scr_amplitude_max", amplitude, np.max),
        ("scr_risetime_mean", risetime, np.mean),
        ("scr_recoverytime_mean", recoverytime, np.mean),
    ):
        vals = vals[np.isfinite(vals)]
        out[key] = float(agg(vals)) if vals.size else np.nan
    return out


@lru_cache(maxsize=32)
def _sos(order: int, cutoff: float, btype: str, fs: float) -> np.ndarray:
    return butter(order, cutoff, btype=btype, output="sos", fs=fs)


def eda_components(x: np.ndarray, fs: float, method: str = "highpass"):
    """Cleaned EDA, tonic and phasic parts along the last axis, as neurokit2 computes them.

    The steps of :func:`neurokit2.eda_process` (0.3) before peak detection:
    :func:`~neurokit2.eda_clean` (4th-order Butterworth low-pass at 3 Hz,
    skipped at 6 Hz and below) and :func:`~neurokit2.eda_phasic`
    (``"highpass"``: 2nd-order Butterworth high-/low-pass at 0.05 Hz, both
    zero-phase; ``"smoothmedian"``: 4-s median filter). ``x`` may be 2-D: each
    row is filtered alone, in one vectorised call, with the same result as
    row by row.

    >>> x = 2 + np.sin(np.arange(480.0) / 8).reshape(2, 240)   # two windows at 4 Hz
    >>> clean, tonic, phasic = eda_components(x, fs=4.0)
    >>> phasic.shape, bool(np.allclose(phasic[1], eda_components(x[1], fs=4.0)[2]))
    ((2, 240), True)
    """
    x = np.asarray(x, dtype=np.float64)
    clean = x if fs <= 6 else sosfiltfilt(_sos(4, 3.0, "lowpass", fs), x, axis=-1)
    if method == "highpass":
        phasic = sosfiltfilt(_sos(2, 0.05, "highpass", fs), clean, axis=-1)
        tonic = sosfiltfilt(_sos(2, 0.05, "lowpass", fs), clean, axis=-1)
    elif method == "smoothmedian":
        size = int(4 * fs)
        if size > clean.shape[-1] or size < 1:
            raise ValueError("median window longer than the signal")
        size += size % 2 == 0
        flat = clean.reshape(-1, clean.shape[-1])
        tonic = np.stack([medfilt(row, kernel_size=size) for row in flat]).reshape(clean.shape)
        phasic = clean - tonic
    else:  # pragma: no cover - checked by the callers
        raise ValueError(f"no numpy path for method {method!r}")
    return clean, tonic, phasic


def scr_peaks(phasic: np.ndarray, fs: float, amplitude_min: float = 0.1) -> dict:
    """Skin-conductance responses of a phasic signal, as :func:`neurokit2.eda_peaks`.

    NeuroKit2's default method: local maxima whose prominence is at least
    ``amplitude_min`` times the largest prominence in ``phasic``; onset = the
    last trough before the peak; amplitude = phasic rise from onset to peak;
    recovery = first sample after the peak (before the next peak and before the
    lowest point in between) back down to half the amplitude. Raises
    ``ValueError`` where neurokit2 raises (no local maximum at all).

    Returns a dict with ``SCR_Peaks``, ``SCR_Onsets`` (NaN where no trough
    precedes the peak), ``SCR_Amplitude``, ``SCR_RiseTime`` and
    ``SCR_RecoveryTime`` (s; NaN where undefined), one entry per peak.

    >>> t = np.arange(240) / 4
    >>> info = scr_peaks(np.sin(2 * np.pi * t / 20), fs=4.0)
    >>> info["SCR_Peaks"].tolist(), info["SCR_RiseTime"].tolist()
    ([20, 100, 180], [nan, 10.0, 10.0])
    """
    phasic = np.asarray(phasic, dtype=np.float64)
    peaks, _ = find_peaks(phasic)
    prominence = peak_prominences(phasic, peaks)[0]
    if peaks.size == 0:
        raise ValueError("no local maximum in the phasic signal")
    peaks = peaks[~(prominence / np.max(prominence) < amplitude_min)]
    troughs, _ = find_peaks(-phasic)
    before = np.searchsorted(troughs, peaks, side="left") - 1
    onsets = np.full(len(peaks), np.nan)
    has_onset = before >= 0
    onsets[has_onset] = troughs[before[has_onset]]
    amplitude = np.full(len(peaks), np.nan)
    risetime = np.full(len(peaks), np.nan)
    recovery = np.full(len(peaks), np.nan)
    valid = np.flatnonzero(has_onset)
    p = peaks[valid]
    o = onsets[valid].astype(np.int64)
    amplitude[valid] = phasic[p] - phasic[o]
    risetime[valid] = (p - o) / fs
    half = phasic[o] + amplitude[valid] * 0.5
    for i, peak in enumerate(p):
        segment = phasic[peak : p[i + 1]] if i + 1 < len(p) else phasic[peak:]
        segment = segment[: np.argmin(segment)]
        if segment.size == 0:  # neurokit2 fails here (min of an empty segment)
            raise ValueError("SCR recovery segment is empty")
        below = segment[segment <= half[i]]
        if below.size and segment.min() < below.max():
            recovery[valid[i]] = np.flatnonzero(segment == below.max())[0] / fs
    return {
        "SCR_Peaks": peaks,
        "SCR_Onsets": onsets,
        "SCR_Amplitude": amplitude,
        "SCR_RiseTime": risetime,
        "SCR_RecoveryTime": recovery,
    }
