"""Electrodermal activity (EDA/GSR) window features on top of NeuroKit2."""

from __future__ import annotations

import importlib.util

import neurokit2 as nk
import numpy as np

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
        if self.method not in METHODS:
            raise ValueError(
                f"EDAFeatures: method must be one of {list(METHODS)}, got {self.method!r}."
            )
        if self.method == "cvxeda" and importlib.util.find_spec("cvxopt") is None:
            raise ImportError(
                "EDAFeatures(method='cvxeda') needs the cvxopt package: "
                "pip install cvxopt (or skkd[cvxeda])."
            )

    def _min_length(self) -> int:
        return max(int(np.ceil(4 * self.fs)), 10)

    def _window_features(self, x):
        fs = float(self.fs)
        if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
            # a constant window: a level and no response (neurokit2 would
            # report responses in rounding noise)
            clean = tonic = x
            phasic = np.zeros_like(x)
            info = {"SCR_Peaks": np.array([])}
        else:
            signals, info = nk.eda_process(x, sampling_rate=fs, method_phasic=self.method)
            clean = signals["EDA_Clean"].to_numpy()
            tonic = signals["EDA_Tonic"].to_numpy()
            phasic = signals["EDA_Phasic"].to_numpy()
        out = stats(clean, "eda", _LEVEL, fs)
        out.update(stats(tonic, "scl", ("mean", "std", "slope"), fs))
        out["scr_std"] = float(np.std(phasic))
        peaks = np.asarray(info["SCR_Peaks"])
        n_peaks = int(np.sum(~np.isnan(peaks.astype(float)))) if peaks.size else 0
        out["scr_peaks_n"] = float(n_peaks)
        out["scr_peaks_per_min"] = n_peaks / (len(x) / fs / 60.0)
        reasons = {}
        for key, source, agg in (
            ("scr_amplitude_mean", "SCR_Amplitude", np.mean),
            ("scr_amplitude_max", "SCR_Amplitude", np.max),
            ("scr_risetime_mean", "SCR_RiseTime", np.mean),
            ("scr_recoverytime_mean", "SCR_RecoveryTime", np.mean),
        ):
            vals = np.asarray(info.get(source, []), dtype=float)
            vals = vals[np.isfinite(vals)]
            if vals.size:
                out[key] = float(agg(vals))
            else:
                out[key] = np.nan
                reasons[key] = (
                    "no skin-conductance response in window"
                    if n_peaks == 0
                    else "no complete skin-conductance response in window"
                )
        return np.array([out[f] for f in self.feature_names]), reasons
