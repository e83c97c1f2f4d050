"""Signal quality: EDA artifact rules, PPG/ECG quality indices, and a quality selector.

The transformers follow the other window extractors (one signal's windows in,
``(n, k)`` out); :class:`QualitySelector` sees a dict of modalities and drops
the windows whose signals fail the rules, as an imbalanced-learn sampler.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral

import neurokit2 as nk
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd._modalities import Modalities
from skkd.features._acc import ACCFeatures
from skkd.features._base import WindowFeatureExtractor, WindowUnavailable, require_variation
from skkd.utils._validation import (
    FINITE_REAL,
    NON_NEGATIVE_REAL,
    POSITIVE_REAL,
    UNIT_INTERVAL,
    invalid_parameter,
    refuse_bool_parameters,
)

__all__ = ["ECGQuality", "EDAQuality", "PPGQuality", "QualitySelector", "eda_rule_flags"]

#: Kleckner et al. (2018) defaults: valid EDA range (µS), fastest valid change
#: (µS/s), valid skin-temperature range (°C), margin around invalid data (s)
EDA_RANGE = (0.05, 60.0)
MAX_EDA_SLOPE = 10.0
TEMP_RANGE = (30.0, 40.0)
MARGIN_S = 5.0

#: sampling rates of the Empatica E4 (Hz), the selector's default
E4_FS = {"eda": 4.0, "temp": 4.0, "bvp": 64.0, "acc": 32.0}

PPG_METHODS = (
    "templatematch", "dissimilarity", "ho2025", "skewness", "kurtosis", "entropy",
    "relative_power", "perfusion",
)
ECG_METHODS = ("averageQRS", "templatematch", "dissimilarity", "zhao2018", "ho2025")
#: ``nk.ecg_quality(method="zhao2018")`` returns a class; mapped to a number
ZHAO_LEVELS = {"Unacceptable": 0.0, "Barely acceptable": 0.5, "Excellent": 1.0}


# --- the EDA rules -------------------------------------------------------------------------
#: what a (low, high) range parameter must be
RANGE = "a pair (low, high) of finite numbers with low < high"


def _is_range(value) -> bool:
    """Whether ``value`` is a pair ``(low, high)`` of finite numbers with ``low < high``."""
    try:
        lo, hi = value
    except (TypeError, ValueError):
        return False
    finite = all(FINITE_REAL.is_satisfied_by(v) and not isinstance(v, bool) for v in (lo, hi))
    return finite and lo < hi


def _dilate(flags: np.ndarray, half_width: int) -> np.ndarray:
    """Flag every sample within ``half_width`` samples of a flagged one (along the last axis)."""
    if half_width <= 0 or not flags.any():
        return flags.copy()
    kernel = np.ones(2 * half_width + 1)
    hits = np.apply_along_axis(np.convolve, -1, flags.astype(np.float64), kernel, mode="same")
    return hits > 0.5


def eda_rule_flags(
    eda: np.ndarray,
    fs: float,
    *,
    temp: np.ndarray | None = None,
    eda_range=EDA_RANGE,
    max_slope: float = MAX_EDA_SLOPE,
    temp_range=TEMP_RANGE,
    margin_s: float = MARGIN_S,
) -> dict[str, np.ndarray]:
    """Per-sample flags of the EDA quality rules of Kleckner et al. (2018).

    Rules: (1) EDA outside ``eda_range`` µS; (2) EDA changing faster than
    ``max_slope`` µS/s (both samples of the step are flagged); (3) skin
    temperature outside ``temp_range`` °C (when ``temp`` is given: the sensor
    is likely off the skin); (4) every sample within ``margin_s`` seconds of a
    sample flagged by (1)–(3). A NaN sample counts as out of range.

    Parameters
    ----------
    eda : ndarray of shape (..., T)
        EDA in µS at ``fs`` Hz.
    temp : ndarray of shape (..., T_temp), optional
        Skin temperature over the same span (linearly interpolated onto the
        EDA samples when ``T_temp != T``).

    Returns
    -------
    dict of bool arrays of ``eda``'s shape
        ``"out_of_range"``, ``"fast_change"``, ``"temp_out_of_range"`` (all
        False without ``temp``) and ``"invalid"`` (rules 1–4).

    Examples
    --------
    Ten seconds at 4 Hz: a spike (sample 8), then a dropout (sample 24):

    >>> x = np.r_[np.full(8, 2.0), 6.0, np.full(15, 2.0), 0.01, np.full(15, 2.0)]
    >>> flags = eda_rule_flags(x, 4, margin_s=1)
    >>> [int(flags[k].sum()) for k in ("out_of_range", "fast_change", "invalid")]
    [1, 3, 20]
    """
    eda = np.asarray(eda, dtype=np.float64)
    lo, hi = eda_range
    with np.errstate(invalid="ignore"):
        out = ~((eda >= lo) & (eda <= hi))  # NaN is out of range
        step = np.abs(np.diff(eda, axis=-1)) * fs > max_slope
    fast = np.zeros(eda.shape, dtype=bool)
    fast[..., 1:] |= step
    fast[..., :-1] |= step
    temp_out = np.zeros(eda.shape, dtype=bool)
    if temp is not None:
        temp = np.asarray(temp, dtype=np.float64)
        if temp.shape[-1] != eda.shape[-1]:
            t_new = np.linspace(0.0, 1.0, eda.shape[-1])
            t_old = np.linspace(0.0, 1.0, temp.shape[-1])
            flat = temp.reshape(-1, temp.shape[-1])
            temp = np.stack([np.interp(t_new, t_old, row) for row in flat]).reshape(
                *temp.shape[:-1], eda.shape[-1]
            )
        tlo, thi = temp_range
        with np.errstate(invalid="ignore"):
            temp_out = ~((temp >= tlo) & (temp <= thi))
    invalid = _dilate(out | fast | temp_out, int(round(margin_s * fs)))
    return {"out_of_range": out, "fast_change": fast, "temp_out_of_range": temp_out,
            "invalid": invalid}


class EDAQuality(WindowFeatureExtractor):
    """EDA artifact features: the automated quality rules of Kleckner et al. (2018).

    Each sample of an EDA window is flagged invalid when the EDA is out of the
    valid range (default below 0.05 µS — the sensor has lost contact — or
    above 60 µS), when it changes faster than ``max_slope`` (default ±10 µS/s,
    faster than any skin-conductance response), or when it lies within
    ``margin_s`` seconds (default 5) of such a sample. The features are:

    ``eda_invalid_fraction``
        Share of the window's samples flagged by the rules (with the margin).
    ``eda_out_of_range_fraction``, ``eda_fast_change_fraction``
        Share flagged by each rule alone (no margin).
    ``eda_max_abs_slope``
        Steepest change in the window, µS/s.

    The rules' third criterion, skin temperature outside 30–40 °C, needs the
    temperature signal: :class:`QualitySelector` applies it (and
    :func:`eda_rule_flags` takes ``temp=``).

    Parameters
    ----------
    fs : float, default=4
        Sampling rate in Hz (4 for the Empatica E4).
    eda_range : (float, float), default=(0.05, 60.0)
        Valid EDA in µS.
    max_slope : float, default=10.0
        Fastest valid change in µS/s.
    margin_s : float, default=5.0
        Seconds flagged on each side of an invalid sample (0: none).
    n_jobs : int, default=None
        Windows processed in parallel with joblib (``-1``: all cores).
    verbose : int, default=1
        0 is silent; 1 shows a tqdm progress bar from 200 windows on; 2 always.

    Attributes
    ----------
    n_features_in_ : int
        Window length seen in ``fit`` (samples).

    References
    ----------
    Kleckner, I. R., et al. (2018). Simple, transparent, and flexible automated
    quality assessment procedures for ambulatory electrodermal activity data.
    IEEE Trans Biomed Eng 65(7): 1460–1467.

    Examples
    --------
    >>> import numpy as np
    >>> clean = 2.0 + 0.01 * np.sin(np.arange(240) / 10)
    >>> lost = clean.copy(); lost[100:120] = 0.01            # 5 s off the skin
    >>> F = EDAQuality(fs=4, verbose=0).fit_transform(np.stack([clean, lost]))
    >>> F[:, 0].round(3).tolist()                            # eda_invalid_fraction
    [0.0, 0.25]
    """

    feature_names = (
        "eda_invalid_fraction",
        "eda_out_of_range_fraction",
        "eda_fast_change_fraction",
        "eda_max_abs_slope",
    )

    _parameter_constraints: dict = {
        **WindowFeatureExtractor._parameter_constraints,
        "eda_range": ["array-like"],
        "max_slope": [POSITIVE_REAL],
        "margin_s": [NON_NEGATIVE_REAL],
    }

    def __init__(
        self,
        fs: float = 4,
        *,
        eda_range=EDA_RANGE,
        max_slope: float = MAX_EDA_SLOPE,
        margin_s: float = MARGIN_S,
        n_jobs: int | None = None,
        verbose: int = 1,
    ):
        self.fs = fs
        self.eda_range = eda_range
        self.max_slope = max_slope
        self.margin_s = margin_s
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> None:
        super()._check_params()
        if not _is_range(self.eda_range):
            raise invalid_parameter(self, "eda_range", RANGE, self.eda_range)

    def _window_features(self, x):
        fs = float(self.fs)
        flags = eda_rule_flags(
            x, fs, eda_range=self.eda_range,
            max_slope=float(self.max_slope), margin_s=float(self.margin_s),
        )
        values = [
            flags["invalid"].mean(),
            flags["out_of_range"].mean(),
            flags["fast_change"].mean(),
            np.max(np.abs(np.diff(x))) * fs,
        ]
        return np.array(values, dtype=np.float64), {}


# --- cardiac quality indices ---------------------------------------------------------------
def _nk_rate(fs) -> float | int:
    """``fs`` as an int when it is whole: some NeuroKit2 0.3 detectors (Charlton's PPG peaks,
    used by ``ho2025``) fail on a float rate."""
    fs = float(fs)
    return int(fs) if fs.is_integer() else fs


class _CardiacQuality(WindowFeatureExtractor):
    """Shared machinery of :class:`PPGQuality` and :class:`ECGQuality`."""

    _prefix = ""
    _methods: tuple[str, ...] = ()

    @property
    def feature_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(f"{self._prefix}_{m}" for m in self._check_methods())

    def _check_methods(self) -> tuple[str, ...]:
        """The methods as a tuple; what the constraints cannot say about them."""
        methods = (self.methods,) if isinstance(self.methods, str) else tuple(self.methods)
        if not methods or any(not isinstance(m, str) or m not in self._methods for m in methods):
            raise invalid_parameter(
                self, "methods", f"a non-empty subset of {list(self._methods)}", self.methods
            )
        if len(set(methods)) != len(methods):
            raise invalid_parameter(self, "methods", "free of repeated names", self.methods)
        return methods

    def _check_params(self) -> None:
        super()._check_params()
        self._check_methods()

    def _min_length(self) -> int:
        return max(int(np.ceil(5 * self.fs)), 10)


class PPGQuality(_CardiacQuality):
    """PPG (BVP) signal-quality indices of NeuroKit2, one column per method.

    Each window is cleaned (:func:`neurokit2.ppg_clean`), its beats found once
    (:func:`neurokit2.ppg_peaks`), and :func:`neurokit2.ppg_quality` computes
    each method's index; the feature ``ppg_<method>`` is its mean over the
    window. NeuroKit2 0.3's methods, with the time per 60-s window at 64 Hz
    (60 Stress-Predict windows, one process on the 2-core reference machine
    while other jobs shared it: read the ratios, an idle core is faster):

    ==================  ===========================================  ========
    method              index (higher = better unless noted)         cost
    ==================  ===========================================  ========
    ``templatematch``   correlation of each beat with the window's   144 ms
                        average beat, 0–1 (Orphanidou et al., 2015)
    ``dissimilarity``   distance to the average beat, 0 = best       130 ms
                        (Sabeti et al., 2019)
    ``ho2025``          share of the signal in beat intervals that    73 ms
                        two beat detectors agree on, 0–1 (Ho et
                        al., 2025)
    ``skewness``        skewness in 3-s windows (Elgendi, 2016:        8 ms
                        the best single PPG index there)
    ``kurtosis``        kurtosis in 3-s windows                        8 ms
    ``entropy``         amplitude entropy in 3-s windows              42 ms
    ``relative_power``  power in 1–2.25 Hz over 0–8 Hz, 0–1           10 ms
    ``perfusion``       AC/DC amplitude ratio, %; meaningless on     4 ms
                        the Empatica E4's BVP, which has no DC part
    ==================  ===========================================  ========

    ``templatematch`` is relative to the window's own average beat (white
    noise still scores about 0.66), ``ho2025`` is absolute and half the cost,
    hence the default here and in :class:`QualitySelector`.

    Parameters
    ----------
    fs : float, default=64
        Sampling rate in Hz (64 for the Empatica E4's BVP).
    methods : str or tuple of str, default=("ho2025", "skewness", "relative_power")
        NeuroKit2 quality methods, among those above.
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
    Windows shorter than 5 s, flat, or holding NaN give NaN features, and a
    method that fails on a window (too few beats) leaves its column NaN, with
    one :class:`~skkd.features.FeatureExtractionWarning` per call.

    Examples
    --------
    >>> import numpy as np, neurokit2 as nk
    >>> ppg = nk.ppg_simulate(duration=60, sampling_rate=64, heart_rate=70, random_state=1)
    >>> noisy = ppg + np.random.default_rng(0).normal(0, 1.0, ppg.size)
    >>> q = PPGQuality(fs=64, methods="templatematch", verbose=0)
    >>> q.fit_transform(np.stack([ppg, noisy])).round(2).ravel().tolist()
    [0.99, 0.66]
    """

    _prefix = "ppg"
    _methods = PPG_METHODS
    _parameter_constraints: dict = {
        **WindowFeatureExtractor._parameter_constraints,
        "methods": [StrOptions(set(PPG_METHODS)), "array-like"],
    }

    def __init__(
        self,
        fs: float = 64,
        *,
        methods=("ho2025", "skewness", "relative_power"),
        n_jobs: int | None = None,
        verbose: int = 1,
    ):
        self.fs = fs
        self.methods = methods
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _window_features(self, x):
        require_variation(x)
        fs = _nk_rate(self.fs)
        methods = self._check_methods()
        clean = nk.ppg_clean(x, sampling_rate=fs)
        peaks = None
        if {"templatematch", "dissimilarity"} & set(methods):
            _, info = nk.ppg_peaks(clean, sampling_rate=fs)
            peaks = np.asarray(info["PPG_Peaks"])
            if peaks.size < 3:
                raise WindowUnavailable("fewer than 3 beats detected")
        values, reasons = [], {}
        for m, name in zip(methods, self.feature_names):
            kwargs = {}
            if m in ("templatematch", "dissimilarity"):
                kwargs["peaks"] = peaks
            elif m in ("relative_power", "perfusion"):
                kwargs["ppg_raw"] = x
                if m == "relative_power":  # one value over the whole window
                    kwargs.update(window_sec=len(x) / fs, overlap_sec=0)
            try:
                q = np.asarray(nk.ppg_quality(clean, sampling_rate=fs, method=m, **kwargs), float)
                values.append(float(np.nanmean(q)) if q.size else np.nan)
            except Exception as exc:  # noqa: BLE001 - one method failing leaves its column NaN
                values.append(np.nan)
                reasons[name] = f"neurokit2 {m} failed ({type(exc).__name__})"
        return np.array(values, dtype=np.float64), reasons


class ECGQuality(_CardiacQuality):
    """ECG signal-quality indices of NeuroKit2, one column per method.

    Each window is cleaned (:func:`neurokit2.ecg_clean`), its R peaks found once
    (:func:`neurokit2.ecg_peaks`), and :func:`neurokit2.ecg_quality` computes
    each method's index; ``ecg_<method>`` is its mean over the window.
    NeuroKit2 0.3's methods, with the time per simulated 60-s window at 250 Hz
    (measured as for :class:`PPGQuality`):

    ===================  ==========================================  ========
    method               index (higher = better unless noted)        cost
    ===================  ==========================================  ========
    ``averageQRS``       closeness of each QRS to the average one,   125 ms
                         0–1 (relative to the window)
    ``templatematch``    correlation of each beat with the average   134 ms
                         beat, 0–1 (Orphanidou et al., 2015)
    ``dissimilarity``    distance to the average beat, 0 = best      129 ms
    ``zhao2018``         Zhao & Zhang (2018) fused SQIs: 0            32 ms
                         "Unacceptable", 0.5 "Barely acceptable",
                         1 "Excellent"
    ``ho2025``           share of the signal in inter-beat            97 ms
                         intervals two detectors agree on, 0–1
    ===================  ==========================================  ========

    Parameters
    ----------
    fs : float, default=256
        Sampling rate in Hz.
    methods : str or tuple of str, default=("templatematch", "zhao2018")
        NeuroKit2 quality methods, among those above.
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
    >>> import numpy as np, neurokit2 as nk
    >>> ecg = nk.ecg_simulate(duration=30, sampling_rate=250, heart_rate=65, random_state=0)
    >>> q = ECGQuality(fs=250, verbose=0).fit(ecg[None])
    >>> q.get_feature_names_out().tolist()
    ['ecg_templatematch', 'ecg_zhao2018']
    >>> bool(q.transform(ecg[None])[0, 0] > 0.9)
    True
    """

    _prefix = "ecg"
    _methods = ECG_METHODS
    _parameter_constraints: dict = {
        **WindowFeatureExtractor._parameter_constraints,
        "methods": [StrOptions(set(ECG_METHODS)), "array-like"],
    }

    def __init__(
        self,
        fs: float = 256,
        *,
        methods=("templatematch", "zhao2018"),
        n_jobs: int | None = None,
        verbose: int = 1,
    ):
        self.fs = fs
        self.methods = methods
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _window_features(self, x):
        require_variation(x)
        fs = _nk_rate(self.fs)
        methods = self._check_methods()
        clean = nk.ecg_clean(x, sampling_rate=fs)
        _, info = nk.ecg_peaks(clean, sampling_rate=fs)
        rpeaks = np.asarray(info["ECG_R_Peaks"])
        if rpeaks.size < 3:
            raise WindowUnavailable("fewer than 3 beats detected")
        values, reasons = [], {}
        for m, name in zip(methods, self.feature_names):
            try:
                q = nk.ecg_quality(clean, rpeaks=rpeaks, sampling_rate=fs, method=m)
                if isinstance(q, str):
                    values.append(ZHAO_LEVELS[q])
                else:
                    q = np.asarray(q, dtype=float)
                    values.append(float(np.nanmean(q)) if q.size else np.nan)
            except Exception as exc:  # noqa: BLE001 - one method failing leaves its column NaN
                values.append(np.nan)
                reasons[name] = f"neurokit2 {m} failed ({type(exc).__name__})"
        return np.array(values, dtype=np.float64), reasons


# --- the selector --------------------------------------------------------------------------
class QualitySelector(BaseEstimator):
    """Drop the windows whose signals are artefacted or whose wearer is moving.

    An imbalanced-learn style sampler over a dict of raw windows (a
    :class:`~skkd.Modalities`, e.g. the output of
    :func:`skkd.datasets.load_stress_predict`): ``fit_resample(X, y)`` returns
    the windows that pass every active rule, so the selector can be the first
    step of an :class:`imblearn.pipeline.Pipeline`, where it acts on training
    folds only; ``predict(X)`` marks windows 1 (kept) or 0 (dropped), e.g. to
    score a model on the kept test windows; :meth:`quality_table` shows every
    window's indices and which rule it fails. Rules (``None`` turns one off):

    EDA (``max_eda_invalid``)
        Share of EDA samples flagged by the rules of Kleckner et al. (2018)
        — EDA outside ``eda_range``, faster than ``max_slope``, skin
        temperature outside ``temp_range`` (sensor off the wrist; off by
        default, see below), and ``margin_s`` seconds around each — must be
        at most ``max_eda_invalid``. A NaN sample counts as invalid.
    motion (``max_motion``)
        The :class:`ACCFeatures` column ``motion_feature`` (default
        ``"enmo_mean"``, in g) must be at most ``max_motion``.
    PPG (``min_ppg_quality``)
        The :class:`PPGQuality` index ``ppg_method`` (default ``"ho2025"``,
        0–1) must be at least ``min_ppg_quality``.

    A window whose index cannot be computed (NaN) fails that rule.

    Kleckner et al.'s temperature rule (30–40 °C) is off by default because
    the data say so: on Stress-Predict it flags 29 % of the windows, among
    them every window of six volunteers whose wrist stayed at 27–29 °C for
    the whole hour with plausible EDA (a cool room, not a sensor off the
    skin). Pass ``temp_range=(30, 40)`` to apply it. The selector learns
    nothing: ``fit`` checks the parameters and that ``X``
    holds the modalities the active rules need.

    Parameters
    ----------
    max_eda_invalid : float in [0, 1] or None, default=0.25
    max_motion : float or None, default=None
    min_ppg_quality : float or None, default=None
    eda_range : (float, float), default=(0.05, 60.0)
        Valid EDA in µS.
    max_slope : float, default=10.0
        Fastest valid EDA change in µS/s.
    temp_range : (float, float) or None, default=None
        Valid skin temperature in °C (needs the ``"temp"`` modality); Kleckner
        et al. use (30, 40).
    margin_s : float, default=5.0
        Seconds flagged around each invalid EDA sample.
    motion_feature : str, default="enmo_mean"
        A column of :class:`ACCFeatures`.
    ppg_method : str, default="ho2025"
        A NeuroKit2 PPG quality method (see :class:`PPGQuality`).
    one_g : float, default=64
        The value of 1 g in the ACC input's units (64: Empatica E4).
    keys : dict or None, default=None
        Modality key of each signal, ``{"eda", "temp", "bvp", "acc"}`` ->
        key of ``X``; ``None`` means the keys are the signal names.
    fs : dict or None, default=None
        Sampling rate of each signal in Hz; missing entries (and ``None``)
        take the Empatica E4's: EDA and TEMP 4, BVP 64, ACC 32.
    n_jobs : int, default=None
        Windows processed in parallel by the feature extractors.

    Attributes
    ----------
    signals_ : list of str
        The signals the active rules read.

    Examples
    --------
    >>> import numpy as np
    >>> from skkd import Modalities
    >>> eda = np.full((4, 1, 240), 2.0); eda[1, 0, 100:140] = 0.0    # window 1 loses contact
    >>> temp = np.full((4, 1, 240), 33.0); temp[3] = 22.0            # window 3 off the wrist
    >>> X = Modalities(eda=eda, temp=temp)
    >>> QualitySelector().fit(X).predict(X)
    array([1, 0, 1, 1])
    >>> sel = QualitySelector(temp_range=(30, 40))
    >>> sel.fit(X).predict(X)
    array([1, 0, 1, 0])
    >>> Xk, yk = sel.fit_resample(X, np.array([0, 1, 0, 1]))
    >>> Xk.n_windows, yk.tolist()
    (2, [0, 0])
    """

    _parameter_constraints: dict = {
        "max_eda_invalid": [UNIT_INTERVAL, None],
        "max_motion": [NON_NEGATIVE_REAL, None],
        "min_ppg_quality": [FINITE_REAL, None],
        "eda_range": ["array-like"],
        "max_slope": [POSITIVE_REAL],
        "temp_range": ["array-like", None],
        "margin_s": [NON_NEGATIVE_REAL],
        "motion_feature": [StrOptions(set(ACCFeatures.feature_names))],
        "ppg_method": [StrOptions(set(PPG_METHODS))],
        "one_g": [POSITIVE_REAL],
        "keys": [Mapping, None],
        "fs": [Mapping, None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        max_eda_invalid=0.25,
        max_motion=None,
        min_ppg_quality=None,
        eda_range=EDA_RANGE,
        max_slope=MAX_EDA_SLOPE,
        temp_range=None,
        margin_s=MARGIN_S,
        motion_feature="enmo_mean",
        ppg_method="ho2025",
        one_g=64.0,
        keys=None,
        fs=None,
        n_jobs=None,
    ):
        self.max_eda_invalid = max_eda_invalid
        self.max_motion = max_motion
        self.min_ppg_quality = min_ppg_quality
        self.eda_range = eda_range
        self.max_slope = max_slope
        self.temp_range = temp_range
        self.margin_s = margin_s
        self.motion_feature = motion_feature
        self.ppg_method = ppg_method
        self.one_g = one_g
        self.keys = keys
        self.fs = fs
        self.n_jobs = n_jobs

    # --- parameters --------------------------------------------------------------------
    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)
        for param in ("eda_range", "temp_range"):
            value = getattr(self, param)
            if value is not None and not _is_range(value):
                raise invalid_parameter(self, param, RANGE, value)
        if not self._signals():
            raise invalid_parameter(
                self, "max_eda_invalid", "set when max_motion and min_ppg_quality are None "
                "(every rule is off; set at least one)", self.max_eda_invalid,
            )
        for param in ("keys", "fs"):
            value = getattr(self, param)
            unknown = sorted(set(value or ()) - set(E4_FS))
            if unknown:
                raise invalid_parameter(
                    self, param, f"None or a dict keyed by signals among {sorted(E4_FS)} "
                    f"(unknown signals {unknown})", value,
                )
        for rate in (self.fs or {}).values():
            if isinstance(rate, bool) or not POSITIVE_REAL.is_satisfied_by(rate):
                raise invalid_parameter(
                    self, "fs", "None or a dict of positive sampling rates (Hz)", self.fs
                )

    def _signals(self) -> list[str]:
        """The signals the active rules read."""
        signals = []
        if self.max_eda_invalid is not None:
            signals += ["eda", "temp"] if self.temp_range is not None else ["eda"]
        if self.max_motion is not None:
            signals.append("acc")
        if self.min_ppg_quality is not None:
            signals.append("bvp")
        return signals

    def _key(self, signal: str) -> str:
        return (self.keys or {}).get(signal, signal)

    def _fs(self, signal: str) -> float:
        return (self.fs or {}).get(signal, E4_FS[signal])

    def _check_X(self, X, signals) -> Modalities:
        name = type(self).__name__
        if sp.issparse(X) or not isinstance(X, Mapping):
            raise TypeError(
                f"{name} reads raw signals: X must be a dict of modalities (skkd.Modalities) "
                f"holding {[self._key(s) for s in signals]}, got {type(X).__name__}."
            )
        missing = [f"{self._key(s)!r} ({s})" for s in signals if self._key(s) not in X]
        if missing:
            raise ValueError(
                f"{name}: X lacks the modalities {', '.join(missing)} that the active rules "
                f"need; X has {sorted(X)}. Set keys=, or turn the rule off."
            )
        X = X if isinstance(X, Modalities) else Modalities(X)
        if len(X) == 0:
            raise ValueError(f"{name}: X has no windows.")
        return X

    # --- quality -----------------------------------------------------------------------
    def quality_table(self, X) -> pd.DataFrame:
        """The indices each active rule reads, which rule each window fails, and ``keep``.

        Columns: ``eda_invalid_fraction`` (with ``temp_out_of_range_fraction``),
        the motion feature, ``ppg_<method>``; then ``fails_eda``,
        ``fails_motion``, ``fails_ppg`` for the active rules, and ``keep``.
        """
        self._validate_params()
        self._check_params()
        signals = self._signals()
        X = self._check_X(X, signals)
        n = len(X)
        table = {}
        fails = {}
        if "eda" in signals:
            eda = _one_channel(X[self._key("eda")], self._key("eda"))
            temp = (_one_channel(X[self._key("temp")], self._key("temp"))
                    if "temp" in signals else None)
            flags = eda_rule_flags(
                eda, self._fs("eda"), temp=temp,
                eda_range=self.eda_range,
                max_slope=float(self.max_slope),
                temp_range=TEMP_RANGE if self.temp_range is None else self.temp_range,
                margin_s=float(self.margin_s),
            )
            table["eda_invalid_fraction"] = flags["invalid"].mean(axis=-1)
            if temp is not None:
                table["temp_out_of_range_fraction"] = flags["temp_out_of_range"].mean(axis=-1)
            fails["fails_eda"] = ~(table["eda_invalid_fraction"] <= self.max_eda_invalid)
        if "acc" in signals:
            acc = ACCFeatures(fs=self._fs("acc"), one_g=self.one_g, n_jobs=self.n_jobs, verbose=0)
            F = acc.fit_transform(X[self._key("acc")])
            motion = F[:, list(acc.feature_names).index(self.motion_feature)]
            table[self.motion_feature] = motion
            with np.errstate(invalid="ignore"):
                fails["fails_motion"] = ~(motion <= self.max_motion)
        if "bvp" in signals:
            ppg = PPGQuality(fs=self._fs("bvp"), methods=(self.ppg_method,),
                             n_jobs=self.n_jobs, verbose=0)
            quality = ppg.fit_transform(X[self._key("bvp")])[:, 0]
            table[f"ppg_{self.ppg_method}"] = quality
            with np.errstate(invalid="ignore"):
                fails["fails_ppg"] = ~(quality >= self.min_ppg_quality)
        out = pd.DataFrame(table, index=pd.RangeIndex(n))
        for key, value in fails.items():
            out[key] = value
        out["keep"] = ~np.any(np.column_stack(list(fails.values())), axis=1)
        return out

    def _mask(self, X) -> np.ndarray:
        return self.quality_table(X)["keep"].to_numpy()

    # --- estimator / sampler API -------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and that ``X`` holds the signals the rules need."""
        self._check_params()
        self.signals_ = self._signals()
        self._check_X(X, self.signals_)
        return self

    def predict(self, X) -> np.ndarray:
        """1 for a window that passes every active rule, 0 otherwise, shape ``(n_windows,)``."""
        check_is_fitted(self, "signals_")
        return self._mask(X).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the 0/1 marks of ``X``'s windows."""
        return self.fit(X, y).predict(X)

    def fit_resample(self, X, y):
        """The windows of ``X`` that pass every active rule, and their labels.

        Raises ``ValueError`` when no window passes (nothing is returned empty).
        """
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit_resample needs y (one label per window).")
        if isinstance(X, Mapping) and not isinstance(X, Modalities):
            X = Modalities(X)
        self.fit(X)
        n = len(X)
        if len(y) != n:
            raise ValueError(f"y has {len(y)} labels for {n} windows.")
        keep = np.flatnonzero(self._mask(X))
        if keep.size == 0:
            raise ValueError(
                f"{type(self).__name__} kept no window out of {n}; relax the thresholds "
                "(see quality_table(X) for each window's indices)."
            )
        return X[keep], _safe_indexing(y, keep)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.dict = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False
        tags.requires_fit = True
        return tags


def _one_channel(value, key: str) -> np.ndarray:
    """``(n, T)`` float view of a modality of shape ``(n, T)`` or ``(n, 1, T)``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[1] == 1:
        arr = arr[:, 0, :]
    if arr.ndim != 2:
        raise ValueError(
            f"QualitySelector: modality {key!r} must be windows of one channel, (n, T) or "
            f"(n, 1, T); got shape {np.shape(value)}."
        )
    if np.isinf(arr).any():
        raise ValueError(f"QualitySelector: modality {key!r} contains infinity.")
    return arr
