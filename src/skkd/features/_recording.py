"""Physiological features of windows cut from continuous recordings, computed once per recording.

The per-window extractors (:class:`~skkd.features.EDAFeatures`,
:class:`~skkd.features.BVPFeatures`, :class:`~skkd.features.TEMPFeatures`,
:class:`~skkd.features.ACCFeatures`) clean, decompose and search peaks in every
window alone. Windows cut with a hop shorter than their length (Stress-Predict:
60 s every 30 s) then filter each sample twice and re-run peak detection on
overlapping data. :func:`recording_features` instead runs those steps once on
each continuous recording (NeuroKit2's steps, as neurokit2 would run them on the
whole recording) and aggregates the result per window, with the same columns as
the per-window extractors.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from numbers import Real

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import sosfiltfilt
from sklearn.base import clone
from sklearn.utils._param_validation import validate_params

from skkd.datasets._windowing import WINDOWING_CONSTRAINTS, _window_plan
from skkd.features._acc import (
    COUNT_DEADBAND_G,
    COUNT_TRUNCATION_G,
    ACCFeatures,
    _count_filter,
)
from skkd.features._base import WindowFeatureExtractor
from skkd.features._bvp import BVPFeatures, ppg_clean, ppg_peaks
from skkd.features._cardiac import cardiac_features
from skkd.features._eda import (
    FAST_METHODS,
    EDAFeatures,
    _no_scr_reason,
    _scr_summary,
    eda_components,
    scr_peaks,
)
from skkd.utils._validation import invalid_parameter
from skkd.features._temp import TEMPFeatures

__all__ = ["recording_features"]

#: extractor used for a signal when ``extractors`` is not given
DEFAULT_EXTRACTORS: dict[str, type] = {
    "eda": EDAFeatures,
    "bvp": BVPFeatures,
    "temp": TEMPFeatures,
    "acc": ACCFeatures,
}

_NONFINITE = "window contains NaN or infinite values"
_NAME = "recording_features"


@validate_params(
    {
        **WINDOWING_CONSTRAINTS,
        "t_start": ["array-like", None],
        "extractors": [Mapping, None],
        "per_window": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def recording_features(
    signals: Mapping,
    fs: Mapping[str, float] | float | None = None,
    window_s: float = 60.0,
    step_s: float | None = None,
    start: float | None = None,
    stop: float | None = None,
    *,
    t0: Mapping[str, float] | float | None = None,
    t_start=None,
    extractors: Mapping[str, WindowFeatureExtractor] | None = None,
    per_window: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features of the windows of continuous recordings, each recording processed once.

    Windows are placed exactly as :func:`skkd.datasets.window_signals` places
    them (same arguments), or at the start times ``t_start`` (e.g. the
    windows a loader kept: ``meta["t_start"]`` of one subject). Each signal
    is processed once over the whole recording and the result aggregated per
    window:

    - EDA (``method`` ``"highpass"`` or ``"smoothmedian"``): cleaning, tonic /
      phasic decomposition and SCR peaks as :func:`neurokit2.eda_process` run
      on the whole recording; a window's ``eda_*``, ``scl_*`` and ``scr_std``
      are statistics of its slice of the cleaned, tonic and phasic signals,
      its SCR columns summarise the responses whose **peak** lies in the
      window (their onset may lie before it, their recovery after it);
    - BVP: :func:`neurokit2.ppg_clean` and :func:`neurokit2.ppg_peaks` on the
      whole recording; heart rate and HRV of the beats inside each window;
    - ACC: the activity-count band-pass runs over the whole recording; vector
      magnitude, ENMO and jerk are per sample, hence identical to per-window;
    - TEMP: plain statistics, identical to per-window.

    Other extractors (and EDA's ``"cvxeda"``/``"sparsEDA"`` methods) run per
    window on the cut windows.

    Parameters
    ----------
    signals : mapping of str to array-like or E4Signal
        Continuous recordings, ``(T,)`` or ``(T, c)`` (ACC: ``(T, 3)``), as
        for :func:`~skkd.datasets.window_signals`. Signals without an
        extractor are left out (they do not constrain the windows either).
    fs, window_s, step_s, start, stop, t0
        As for :func:`~skkd.datasets.window_signals`.
    t_start : array-like of float, optional
        Window start times in the signals' time base; replaces the regular
        grid of ``start``/``step_s``. Every window must lie inside every
        signal.
    extractors : mapping of str to extractor, optional
        Signal name -> per-window extractor whose parameters (``method``,
        ``one_g``...) are used; its ``fs`` must equal the signal's rate.
        Default: ``EDAFeatures``, ``BVPFeatures``, ``TEMPFeatures`` and
        ``ACCFeatures`` at the signals' rates for the signals named ``"eda"``,
        ``"bvp"``, ``"temp"``, ``"acc"``.
    per_window : bool, default=False
        ``True`` cuts the windows and runs each extractor on them instead: the
        same values as the extractor on ``window_signals``' windows.

    Returns
    -------
    features : DataFrame of shape (n_windows, n_features)
        Columns ``{signal}__{feature}`` in the order of ``extractors``, as
        :class:`skkd.compose.ModalityTransformer` names them.
    t_start : ndarray of shape (n_windows,)
        Start time of each window.

    Warns
    -----
    FeatureExtractionWarning
        One per signal whose features are NaN on some windows, with the reasons.

    Notes
    -----
    Where recording-level values differ from per-window ones (see the
    "Recording-level features" section of the baselines guide):

    - **edges and filter warm-up**: a zero-phase filter run on a window alone
      sees the window's borders as the signal's ends (padded, with a start-up
      transient); run on the recording, it sees the samples around the window.
      EDA's 0.05-Hz tonic/phasic split is the most affected (its transient lasts
      tens of seconds, so a 60-s window's ``scl_*`` and ``scr_std`` change
      throughout); PPG (0.5–8 Hz) and the ACC count band (0.29–1.63 Hz) differ
      in the first and last seconds only. Windows at the ends of a recording
      keep the recording's own edge effects.
    - **peaks straddling window borders**: an SCR or a pulse wave cut by a
      window border is found (or not) per window from half a wave; at
      recording level it is found once, and counted in the window holding its
      peak.
    - **thresholds relative to the whole signal**: NeuroKit2 keeps SCR peaks of
      at least 10 % of the largest prominence, and PPG blocks above 2 % of the
      mean squared signal: per window that is the window's largest SCR (every
      varying window has at least one), at recording level the recording's
      (Stress-Predict, 60-s windows: 25 SCRs a window on average per window,
      1.2 at recording level).
    - a flat window gets no SCR per window (by rule); at recording level it
      gets whatever the recording gives.

    A recording holding NaN/inf is processed in its finite stretches; windows
    that touch a non-finite sample give NaN features, as per window.

    Examples
    --------
    >>> import numpy as np, neurokit2 as nk
    >>> eda = nk.eda_simulate(duration=300, sampling_rate=4, scr_number=12, random_state=0)
    >>> temp = 33 + 0.001 * np.arange(1200)
    >>> F, t = recording_features({"eda": eda, "temp": temp}, fs=4, window_s=60, step_s=30)
    >>> F.shape, t[:3].tolist()
    ((9, 23), [0.0, 30.0, 60.0])
    >>> F.columns[[0, -1]].tolist()
    ['eda__eda_mean', 'temp__temp_slope']

    The windows :func:`~skkd.datasets.load_stress_predict` keeps, one subject
    at a time (``meta["t_start"]`` places them; signals it does not window,
    such as ``"hr"``, are left out):

    >>> from skkd.datasets import get_data_home, load_stress_predict, read_empatica_e4
    >>> data = load_stress_predict()                                  # doctest: +SKIP
    >>> rows = data.meta[data.meta["subject"] == "S02"]              # doctest: +SKIP
    >>> rec = read_empatica_e4(get_data_home() / "stress-predict" / "Raw_data" / "S02",
    ...                        ("eda", "bvp", "temp", "acc"))         # doctest: +SKIP
    >>> F, _ = recording_features(rec.signals, window_s=60,
    ...                           t_start=rows["t_start"])            # doctest: +SKIP
    >>> F.shape                                                       # doctest: +SKIP
    (117, 49)
    """
    if not signals:
        raise invalid_parameter(
            _NAME, "signals", "a non-empty dict of signal name to samples", signals
        )
    chosen = _choose_signals(signals, extractors)
    picked = {n: signals[n] for n in chosen}
    sub = lambda v: {n: v[n] for n in chosen if n in v} if isinstance(v, Mapping) else v  # noqa: E731
    arrays, rates, lengths, starts, firsts = _window_plan(
        picked, sub(fs), window_s, step_s, start, stop, sub(t0), t_start
    )
    blocks, columns = [], []
    for name in chosen:
        extractor = _extractor_for(name, chosen[name], rates[name])
        x = np.asarray(arrays[name], dtype=np.float64)  # a copy when not float64
        values = extractor.transform_recording(x, firsts[name], lengths[name],
                                               per_window=per_window)
        blocks.append(values)
        columns += [f"{name}__{f}" for f in extractor.feature_names]
    table = np.concatenate(blocks, axis=1) if blocks else np.empty((len(starts), 0))
    return pd.DataFrame(table, columns=columns), starts


# --- choosing and checking the extractors -------------------------------------------------
def _choose_signals(signals: Mapping, extractors) -> dict:
    if extractors is None:
        chosen = {n: None for n in signals if n in DEFAULT_EXTRACTORS}
        if not chosen:
            raise invalid_parameter(
                _NAME, "signals", f"a dict holding a signal among {sorted(DEFAULT_EXTRACTORS)} "
                "(the others have no default extractor), or pass extractors={name: extractor}",
                list(signals),
            )
        return chosen
    if not extractors or not all(isinstance(e, WindowFeatureExtractor)
                                 for e in extractors.values()):
        raise invalid_parameter(
            _NAME, "extractors", "a non-empty dict of signal name to skkd window feature "
            "extractor (EDAFeatures, BVPFeatures...)", extractors,
        )
    missing = [n for n in extractors if n not in signals]
    if missing:
        raise invalid_parameter(
            _NAME, "extractors", f"keyed by names in signals, which does not hold {missing}",
            extractors,
        )
    return dict(extractors)


def _extractor_for(name: str, given, rate: float) -> WindowFeatureExtractor:
    if given is None:
        return DEFAULT_EXTRACTORS[name](fs=rate, verbose=0)
    fs = getattr(given, "fs", None)
    if isinstance(fs, Real) and not np.isclose(fs, rate):
        raise invalid_parameter(
            _NAME, "extractors", "extractors whose fs is their signal's rate; "
            f"extractors[{name!r}] has fs={fs!r} but signal {name!r} is sampled at {rate:g} Hz",
            given,
        )
    return given  # its parameters are checked by transform_recording


# --- per window or per recording ------------------------------------------------------------
def features_of_recording(extractor, x: np.ndarray, firsts: np.ndarray, length: int, *,
                          per_window: bool, min_length: int, warn) -> np.ndarray:
    """``(n_windows, k)`` features of one signal ``x`` ``(T, c)``.

    Called by ``WindowFeatureExtractor.transform_recording``, which passes
    the extractor's shortest usable window and its warning hook.
    """
    n, names = len(firsts), tuple(extractor.feature_names)
    run = None if per_window else _RECORDING.get(type(extractor))
    if run is not None and isinstance(extractor, EDAFeatures) \
            and extractor.method not in FAST_METHODS:
        run = None
    if run is None:
        view = sliding_window_view(x, length, axis=0)[firsts] if n else np.empty(
            (0, x.shape[1], length))
        windows = view if view.shape[1] > 1 else view[:, 0, :]
        # the extractor warns itself: one warning per signal, with the reasons
        return clone(extractor).fit(windows).transform(windows)
    values = np.full((n, len(names)), np.nan)
    reasons: Counter = Counter()
    if length < min_length:
        reasons.update({(f, f"window shorter than {min_length} samples"): n for f in names})
    elif n:
        _by_finite_stretch(extractor, run, x, firsts, length, values, reasons)
    warn(reasons, n)
    return values


def _by_finite_stretch(extractor, run: Callable, x, firsts, length, values, reasons) -> None:
    """Run ``run`` on each finite stretch of ``x`` holding windows; NaN elsewhere."""
    names = extractor.feature_names
    finite = np.isfinite(x).all(axis=1)
    bad_before = np.concatenate([[0], np.cumsum(~finite)])
    touched = bad_before[firsts + length] - bad_before[firsts] > 0
    for f in names:
        if touched.any():
            reasons[(f, _NONFINITE)] += int(touched.sum())
    # finite stretches: [lo, hi) between non-finite samples
    edges = np.flatnonzero(np.diff(np.concatenate([[False], finite, [False]]).astype(np.int8)))
    lo, hi = edges[0::2], edges[1::2]
    stretch = np.searchsorted(lo, firsts, side="right") - 1
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for s in np.unique(stretch[~touched]):
            rows = np.flatnonzero((stretch == s) & ~touched)
            part = x[lo[s]:hi[s]]
            vals, why = run(extractor, part, firsts[rows] - lo[s], length)
            vals = np.asarray(vals, dtype=np.float64)
            bad = ~np.isfinite(vals)
            for j in np.flatnonzero(bad.any(axis=0)):
                counted = sum(c for (f, _), c in why.items() if f == names[j])
                extra = int(bad[:, j].sum()) - counted
                if extra > 0:
                    why[(names[j], "result not finite (overflow or division by zero)")] += extra
            vals[bad] = np.nan
            values[rows] = vals
            reasons.update(why)


# --- vectorised window statistics -----------------------------------------------------------
def _windows(x1: np.ndarray, firsts: np.ndarray, length: int) -> np.ndarray:
    return sliding_window_view(x1, length)[firsts]


def _slopes(W: np.ndarray, fs: float) -> np.ndarray:
    """Least-squares slope per second of each row (as ``_base._slope``)."""
    L = W.shape[-1]
    if L < 2:
        return np.full(len(W), np.nan)
    t = (np.arange(L, dtype=np.float64) - (L - 1) / 2.0) / fs
    return (W - W.mean(axis=-1, keepdims=True)) @ t / np.dot(t, t)


_STAT = {
    "mean": lambda W, fs: W.mean(axis=-1),
    "std": lambda W, fs: W.std(axis=-1),
    "min": lambda W, fs: W.min(axis=-1),
    "max": lambda W, fs: W.max(axis=-1),
    "range": lambda W, fs: np.ptp(W, axis=-1),
    "median": lambda W, fs: np.median(W, axis=-1),
    "slope": _slopes,
}


def _stat_columns(W: np.ndarray, prefix: str, which, fs: float) -> dict[str, np.ndarray]:
    return {f"{prefix}_{s}": _STAT[s](W, fs) for s in which}


# --- one recording (a finite stretch) per signal --------------------------------------------
def _eda_recording(extractor: EDAFeatures, x, firsts, length):
    fs = float(extractor.fs)
    clean, tonic, phasic = eda_components(x[:, 0], fs, extractor.method)
    cols = _stat_columns(_windows(clean, firsts, length), "eda",
                         ("mean", "std", "min", "max", "range", "slope"), fs)
    cols.update(_stat_columns(_windows(tonic, firsts, length), "scl",
                              ("mean", "std", "slope"), fs))
    cols["scr_std"] = _windows(phasic, firsts, length).std(axis=-1)
    try:
        info = scr_peaks(phasic, fs)
    except ValueError:  # no local maximum in the whole recording: no response
        info = {k: np.empty(0) for k in ("SCR_Peaks", "SCR_Amplitude", "SCR_RiseTime",
                                         "SCR_RecoveryTime")}
    peaks = np.asarray(info["SCR_Peaks"])
    lo = np.searchsorted(peaks, firsts, side="left")
    hi = np.searchsorted(peaks, firsts + length, side="left")
    reasons: Counter = Counter()
    scr = []
    for a, b in zip(lo, hi):
        out = _scr_summary(int(b - a), length / fs, info["SCR_Amplitude"][a:b],
                           info["SCR_RiseTime"][a:b], info["SCR_RecoveryTime"][a:b])
        for key in ("scr_amplitude_mean", "scr_amplitude_max", "scr_risetime_mean",
                    "scr_recoverytime_mean"):
            if np.isnan(out[key]):
                reasons[(key, _no_scr_reason(int(b - a)))] += 1
        scr.append(out)
    for key in scr[0] if scr else ():
        cols[key] = np.array([row[key] for row in scr])
    return np.column_stack([cols[f] for f in extractor.feature_names]), reasons


def _bvp_recording(extractor: BVPFeatures, x, firsts, length):
    fs = float(extractor.fs)
    names = extractor.feature_names
    reasons: Counter = Counter()
    try:
        peaks = ppg_peaks(ppg_clean(x[:, 0], fs), fs)
    except (ValueError, IndexError) as exc:
        reasons.update({(f, f"{type(exc).__name__} in feature computation"): len(firsts)
                        for f in names})
        return np.full((len(firsts), len(names)), np.nan), reasons
    lo = np.searchsorted(peaks, firsts, side="left")
    hi = np.searchsorted(peaks, firsts + length, side="left")
    out = np.empty((len(firsts), len(names)))
    for i, (f, a, b) in enumerate(zip(firsts, lo, hi)):
        vals, why = cardiac_features(peaks[a:b] - f, fs)
        out[i] = [vals[n] for n in names]
        reasons.update(why.items())
    return out, reasons


def _temp_recording(extractor: TEMPFeatures, x, firsts, length):
    fs = float(extractor.fs)
    cols = _stat_columns(_windows(x[:, 0], firsts, length), "temp",
                         ("mean", "std", "min", "max", "range", "median", "slope"), fs)
    return np.column_stack([cols[f] for f in extractor.feature_names]), Counter()


def _acc_recording(extractor: ACCFeatures, x, firsts, length):
    fs = float(extractor.fs)
    a = x / float(extractor.one_g)                                   # (T, 3) in g
    vm = np.sqrt(np.sum(a * a, axis=1))
    enmo = np.maximum(vm - 1.0, 0.0)
    VM = _windows(vm, firsts, length)
    E = _windows(enmo, firsts, length)
    cols = {
        "vm_mean": VM.mean(axis=-1),
        "vm_std": VM.std(axis=-1),
        "enmo_mean": E.mean(axis=-1),
        "enmo_p95": np.percentile(E, 95, axis=-1),
        "mad": np.mean(np.abs(VM - VM.mean(axis=-1, keepdims=True)), axis=-1),
    }
    jerk = np.sqrt(np.sum(np.diff(a, axis=0) ** 2, axis=1)) * fs   # (T - 1,)
    J = _windows(jerk, firsts, length - 1)
    cols.update(jerk_mean=J.mean(axis=-1), jerk_std=J.std(axis=-1),
                jerk_p95=np.percentile(J, 95, axis=-1))
    filtered = sosfiltfilt(_count_filter(fs), a.T, axis=-1)         # (3, T), once
    mag = np.minimum(np.abs(filtered), COUNT_TRUNCATION_G)
    mag[mag < COUNT_DEADBAND_G] = 0.0
    per_epoch = int(round(fs))
    n_epochs = length // per_epoch
    reasons: Counter = Counter()
    if n_epochs == 0:
        cols["counts_per_min"] = cols["moving_fraction"] = np.full(len(firsts), np.nan)
        reasons.update({(f, "window shorter than 1 s"): len(firsts)
                        for f in ("counts_per_min", "moving_fraction")})
    else:
        M = sliding_window_view(mag, n_epochs * per_epoch, axis=1)[:, firsts]  # (3, n, L')
        axis_counts = M.reshape(3, len(firsts), n_epochs, per_epoch).sum(axis=-1) / fs
        counts = np.sqrt(np.sum(axis_counts**2, axis=0))                       # (n, epochs)
        cols["counts_per_min"] = 60.0 * counts.mean(axis=-1)
        cols["moving_fraction"] = np.mean(counts > 0, axis=-1)
    return np.column_stack([cols[f] for f in extractor.feature_names]), reasons


_RECORDING: dict[type, Callable] = {
    EDAFeatures: _eda_recording,
    BVPFeatures: _bvp_recording,
    TEMPFeatures: _temp_recording,
    ACCFeatures: _acc_recording,
}
