"""Physiological features at recording level, and the batched per-window path.

Two kinds of equality are tested against neurokit2 (0.3):

- per window: the numpy/scipy pipeline of EDAFeatures / BVPFeatures (filters
  batched over the windows of a chunk) equals neurokit2 run window by window;
- per recording: recording_features equals neurokit2 run once on the whole
  recording and then sliced per window.
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import sosfiltfilt

from skkd.compose import ModalityTransformer
from skkd.datasets import window_signals
from skkd.features import (
    ACCFeatures,
    BVPFeatures,
    EDAFeatures,
    FeatureExtractionWarning,
    TEMPFeatures,
    recording_features,
)
from skkd.features._acc import COUNT_DEADBAND_G, COUNT_TRUNCATION_G, _count_filter
from skkd.features._base import stats
from skkd.features._bvp import ppg_clean, ppg_peaks
from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features
from skkd.features._eda import eda_components, scr_peaks

TOL = 1e-10
pytestmark = pytest.mark.filterwarnings("ignore:EDA signal is sampled at very low frequency")
EDA_NAMES = list(EDAFeatures.feature_names)
RATES = {"eda": 4.0, "temp": 4.0, "bvp": 64.0, "acc": 32.0}


# --- references: neurokit2, then the features' formulas ------------------------------------
def _eda_row(clean, tonic, phasic, peaks, amplitude, risetime, recovery, fs):
    """EDAFeatures' columns from neurokit2's outputs (the former per-window code)."""
    out = stats(clean, "eda", ("mean", "std", "min", "max", "range", "slope"), fs)
    out.update(stats(tonic, "scl", ("mean", "std", "slope"), fs))
    out["scr_std"] = float(np.std(phasic))
    n = len(peaks)
    out["scr_peaks_n"] = float(n)
    out["scr_peaks_per_min"] = n / (len(clean) / fs / 60.0)
    for key, vals, agg in (("scr_amplitude_mean", amplitude, np.mean),
                           ("scr_amplitude_max", amplitude, np.max),
                           ("scr_risetime_mean", risetime, np.mean),
                           ("scr_recoverytime_mean", recovery, np.mean)):
        vals = np.asarray(vals, dtype=float)
        vals = vals[np.isfinite(vals)]
        out[key] = float(agg(vals)) if vals.size else np.nan
    return np.array([out[f] for f in EDA_NAMES])


def _nk_eda_window(x, fs=4.0, method="highpass"):
    signals, info = nk.eda_process(x, sampling_rate=fs, method_phasic=method)
    return _eda_row(*(signals[c].to_numpy() for c in ("EDA_Clean", "EDA_Tonic", "EDA_Phasic")),
                    info["SCR_Peaks"], info["SCR_Amplitude"], info["SCR_RiseTime"],
                    info["SCR_RecoveryTime"], fs)


def _nk_eda_recording(x, firsts, length, fs=4.0, method="highpass"):
    """neurokit2 on the whole recording, then sliced per window."""
    signals, info = nk.eda_process(x, sampling_rate=fs, method_phasic=method)
    cols = [signals[c].to_numpy() for c in ("EDA_Clean", "EDA_Tonic", "EDA_Phasic")]
    peaks = np.asarray(info["SCR_Peaks"])
    rows = []
    for f in firsts:
        inside = (peaks >= f) & (peaks < f + length)
        rows.append(_eda_row(*(c[f:f + length] for c in cols), peaks[inside],
                             info["SCR_Amplitude"][inside], info["SCR_RiseTime"][inside],
                             info["SCR_RecoveryTime"][inside], fs))
    return np.array(rows)


def _nk_bvp_peaks(x, fs=64.0):
    _, info = nk.ppg_peaks(nk.ppg_clean(x, sampling_rate=fs), sampling_rate=fs)
    return np.asarray(info["PPG_Peaks"])


def _cardiac_row(peaks, fs):
    vals, _ = cardiac_features(peaks, fs)
    return np.array([vals[f] for f in CARDIAC_FEATURES])


def _assert_equal_nan(a, b, tol=TOL, what=""):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, what
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    ok = ~np.isnan(a)
    if ok.any():
        scale = np.maximum(1.0, np.abs(b[ok]))
        assert np.max(np.abs(a[ok] - b[ok]) / scale) <= tol, what


# --- data ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulated():
    """Ten minutes of every signal, with an artefact-free start at t = 0."""
    rng = np.random.default_rng(0)
    eda = nk.eda_simulate(duration=600, sampling_rate=4, scr_number=25, drift=0.05,
                          random_state=0)
    bvp = nk.ppg_simulate(duration=600, sampling_rate=64, heart_rate=70, random_state=0)
    t = np.arange(600 * 32) / 32
    acc = np.stack([0 * t, 10 * np.sin(2 * np.pi * 0.5 * t) * (t > 200), 64 + 0 * t], axis=1)
    acc = acc + rng.normal(scale=0.5, size=acc.shape)
    temp = 33 + 0.002 * np.arange(2400) + rng.normal(scale=0.01, size=2400)
    return {"eda": eda, "bvp": bvp, "acc": acc, "temp": temp}


@pytest.fixture(scope="module")
def stress_predict(data_home):
    """Two subjects' continuous E4 recordings (S02, S10), the first 20 minutes."""
    from skkd.datasets import read_empatica_e4

    raw = data_home / "stress-predict" / "Raw_data"
    out = []
    for subject in ("S02", "S10"):
        rec = read_empatica_e4(raw / subject, ("eda", "bvp", "temp", "acc"))
        start = max(s.start for s in rec.signals.values())
        cut = {}
        for name, sig in rec.signals.items():
            first = int(round((start - sig.start) * sig.fs))
            cut[name] = sig.data[first: first + int(1200 * sig.fs)]
        out.append(cut)
    return out


def _grid(n_samples, fs, window_s=60, step_s=30):
    length = int(window_s * fs)
    return np.arange(0, n_samples - length + 1, int(step_s * fs)), length


# --- per window: the batched numpy path equals neurokit2 window by window ----------------------
@pytest.mark.parametrize("method", ["highpass", "smoothmedian"])
def test_eda_components_and_peaks_equal_neurokit_per_window(simulated, method):
    firsts, length = _grid(len(simulated["eda"]), 4)
    X = np.stack([simulated["eda"][f:f + length] for f in firsts])
    clean, tonic, phasic = eda_components(X, 4.0, method)  # one vectorised call
    for i, x in enumerate(X):
        signals, info = nk.eda_process(x, sampling_rate=4, method_phasic=method)
        for ours, col in ((clean, "EDA_Clean"), (tonic, "EDA_Tonic"), (phasic, "EDA_Phasic")):
            np.testing.assert_allclose(ours[i], signals[col].to_numpy(), rtol=0, atol=TOL)
        mine = scr_peaks(phasic[i], 4.0)
        np.testing.assert_array_equal(mine["SCR_Peaks"], info["SCR_Peaks"])
        for key in ("SCR_Onsets", "SCR_Amplitude", "SCR_RiseTime", "SCR_RecoveryTime"):
            _assert_equal_nan(mine[key], info[key], what=key)


def test_eda_cleaning_above_6_hz_equals_neurokit():
    x = nk.eda_simulate(duration=60, sampling_rate=32, scr_number=3, random_state=1)
    clean, tonic, phasic = eda_components(x, 32.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, _ = nk.eda_process(x, sampling_rate=32)
    np.testing.assert_allclose(clean, signals["EDA_Clean"], atol=TOL, rtol=0)
    np.testing.assert_allclose(phasic, signals["EDA_Phasic"], atol=TOL, rtol=0)


@pytest.mark.parametrize("method", ["highpass", "smoothmedian"])
def test_eda_features_equal_neurokit_per_window_on_real_windows(stress_predict, method):
    x = stress_predict[0]["eda"][:, 0]
    firsts, length = _grid(len(x), 4)
    X = np.stack([x[f:f + length] for f in firsts])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = EDAFeatures(fs=4, method=method, verbose=0).fit_transform(X)
        ref = np.array([_nk_eda_window(w, method=method) for w in X])
    _assert_equal_nan(ours, ref, what=method)


def test_bvp_features_equal_neurokit_per_window(stress_predict, simulated):
    x = stress_predict[1]["bvp"][:, 0]
    firsts, length = _grid(len(x), 64)
    X = np.stack([x[f:f + length] for f in firsts])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = BVPFeatures(fs=64, verbose=0).fit_transform(X)
    ref = np.array([_cardiac_row(_nk_bvp_peaks(w), 64.0) for w in X])
    _assert_equal_nan(ours, ref)
    # batched cleaning equals neurokit2's, window by window
    np.testing.assert_allclose(ppg_clean(X, 64.0)[3], nk.ppg_clean(X[3], sampling_rate=64),
                               atol=TOL, rtol=0)


@pytest.mark.parametrize("seed", range(6))
def test_ppg_peaks_equal_neurokit_on_noisy_signals(seed):
    # noise, plateaus (rounded values) and spikes exercise every branch of the block search
    rng = np.random.default_rng(seed)
    x = nk.ppg_simulate(duration=60, sampling_rate=64, heart_rate=60 + 10 * seed,
                        random_state=seed)
    x = x + rng.normal(scale=0.3 * (seed % 3), size=x.shape)
    if seed % 2:
        x = np.round(x, 1)
    x[rng.integers(len(x), size=5)] += 5
    np.testing.assert_array_equal(ppg_peaks(ppg_clean(x, 64.0), 64.0), _nk_bvp_peaks(x))


def test_acc_batched_counts_equal_window_by_window(simulated):
    firsts, length = _grid(len(simulated["acc"]), 32)
    X = np.stack([simulated["acc"][f:f + length].T for f in firsts])
    acc = ACCFeatures(fs=32, verbose=0)
    batched = acc.fit_transform(X)
    alone = np.array([acc._window_features(x)[0] for x in X])
    np.testing.assert_array_equal(batched, alone)


# --- recording_features(per_window=True) is the per-window extractors on cut windows -----------
def test_per_window_mode_equals_extractors_on_window_signals(simulated):
    F, t = recording_features(simulated, fs=RATES, window_s=60, step_s=30, per_window=True)
    windows, t_ref = window_signals(simulated, fs=RATES, window_s=60, step_s=30)
    extractors = {"eda": EDAFeatures(fs=4, verbose=0), "bvp": BVPFeatures(fs=64, verbose=0),
                  "temp": TEMPFeatures(fs=4, verbose=0), "acc": ACCFeatures(fs=32, verbose=0)}
    mt = ModalityTransformer({k: extractors[k] for k in simulated})  # columns in signal order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        ref = mt.fit_transform(windows)
    np.testing.assert_array_equal(t, t_ref)
    assert list(F.columns) == list(ref.columns)
    np.testing.assert_array_equal(F.to_numpy(), ref.to_numpy())


# --- recording level equals neurokit2 on the whole recording, then sliced ----------------------
@pytest.mark.parametrize("method", ["highpass", "smoothmedian"])
def test_recording_eda_equals_neurokit_on_the_whole_recording(stress_predict, method):
    for rec in stress_predict:
        x = rec["eda"][:, 0]
        firsts, length = _grid(len(x), 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F, _ = recording_features({"eda": x}, fs=4, window_s=60, step_s=30,
                                      extractors={"eda": EDAFeatures(fs=4, method=method)})
            ref = _nk_eda_recording(x, firsts, length, method=method)
        _assert_equal_nan(F.to_numpy(), ref, what=method)


def test_recording_bvp_equals_neurokit_on_the_whole_recording(stress_predict):
    for rec in stress_predict:
        x = rec["bvp"][:, 0]
        firsts, length = _grid(len(x), 64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeatureExtractionWarning)
            F, _ = recording_features({"bvp": x}, fs=64, window_s=60, step_s=30)
        peaks = _nk_bvp_peaks(x)
        ref = [_cardiac_row(peaks[(peaks >= f) & (peaks < f + length)] - f, 64.0)
               for f in firsts]
        _assert_equal_nan(F.to_numpy(), np.array(ref))


def test_recording_temp_and_acc_equal_their_definitions(stress_predict):
    rec = stress_predict[0]
    F, _ = recording_features({"temp": rec["temp"], "acc": rec["acc"]},
                              fs={"temp": 4, "acc": 32}, window_s=60, step_s=30)
    windows, _ = window_signals({"temp": rec["temp"], "acc": rec["acc"]},
                                fs={"temp": 4, "acc": 32}, window_s=60, step_s=30)
    # TEMP is a plain statistic: the same as per window
    temp = TEMPFeatures(fs=4, verbose=0).fit_transform(windows["temp"])
    _assert_equal_nan(F.filter(like="temp__").to_numpy(), temp, tol=1e-12)
    # ACC: per-sample quantities as per window; counts from one band-pass of the recording
    per_window = ACCFeatures(fs=32, verbose=0).fit_transform(windows["acc"])
    names = list(ACCFeatures.feature_names)
    same = [names.index(n) for n in names if n not in ("counts_per_min", "moving_fraction")]
    ours = F.filter(like="acc__").to_numpy()
    _assert_equal_nan(ours[:, same], per_window[:, same], tol=1e-12)
    a = rec["acc"] / 64.0
    mag = np.minimum(np.abs(sosfiltfilt(_count_filter(32.0), a, axis=0)), COUNT_TRUNCATION_G)
    mag[mag < COUNT_DEADBAND_G] = 0.0
    firsts, length = _grid(len(a), 32)
    counts = [np.sqrt(((mag[f:f + length].reshape(60, 32, 3).sum(axis=1) / 32) ** 2).sum(axis=1))
              for f in firsts]
    _assert_equal_nan(ours[:, names.index("counts_per_min")],
                      [60 * c.mean() for c in counts], tol=1e-12)
    _assert_equal_nan(ours[:, names.index("moving_fraction")],
                      [np.mean(c > 0) for c in counts], tol=1e-12)


def test_eda_level_needs_no_filter_at_4_hz_so_it_equals_per_window(stress_predict):
    # neurokit2 skips cleaning at 6 Hz and below: eda_* are the raw signal's statistics
    rec = stress_predict[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F, _ = recording_features({"eda": rec["eda"]}, fs=4, window_s=60, step_s=30)
        P, _ = recording_features({"eda": rec["eda"]}, fs=4, window_s=60, step_s=30,
                                  per_window=True)
    level = [c for c in F.columns if c.startswith("eda__eda_")]
    _assert_equal_nan(F[level].to_numpy(), P[level].to_numpy(), tol=1e-12)
    # the 0.05-Hz split is where per-window processing differs (edges)
    assert not np.allclose(F["eda__scl_mean"], P["eda__scl_mean"], rtol=1e-6)


# --- placement, non-finite samples, errors -------------------------------------------------
def test_explicit_window_starts_pick_the_same_rows(simulated):
    F, t = recording_features(simulated, fs=RATES, window_s=60, step_s=30)
    keep = [0, 3, 4, 10]
    G, t2 = recording_features(simulated, fs=RATES, window_s=60, t_start=t[keep])
    np.testing.assert_array_equal(t2, t[keep])
    pd.testing.assert_frame_equal(G, F.iloc[keep].reset_index(drop=True))


def test_nan_samples_give_nan_windows_and_split_the_recording(simulated):
    eda = simulated["eda"].copy()
    eda[1000] = np.nan  # t = 250 s: inside the windows starting at 210 s and 240 s
    before = eda.copy()
    with pytest.warns(FeatureExtractionWarning, match="window contains NaN"):
        F, t = recording_features({"eda": eda}, fs=4, window_s=60, step_s=30)
    np.testing.assert_array_equal(eda, before, err_msg="the input was written")
    bad = (t <= 250) & (t + 60 > 250)
    assert np.isnan(F.to_numpy()[bad]).all() and bad.sum() == 2
    # the windows before the NaN are those of the finite stretch alone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        head, _ = recording_features({"eda": eda[:1000]}, fs=4, window_s=60, step_s=30)
    np.testing.assert_array_equal(F.to_numpy()[: len(head)], head.to_numpy())


def test_column_names_and_defaults(simulated):
    F, _ = recording_features({"eda": simulated["eda"], "hr": np.ones(600)},
                              fs={"eda": 4, "hr": 1}, window_s=60)
    assert list(F.columns) == [f"eda__{n}" for n in EDA_NAMES] and len(F) == 10


def test_bad_arguments_are_named(simulated):
    with pytest.raises(ValueError, match="'signals' parameter of recording_features must be "
                                         "a dict holding a signal among"):
        recording_features({"hr": np.ones(600)}, fs=1)
    with pytest.raises(ValueError, match="fs=4 but signal 'eda' is sampled at 8 Hz"):
        recording_features({"eda": np.ones(4800)}, fs=8,
                           extractors={"eda": EDAFeatures(fs=4)})
    with pytest.raises(TypeError, match="window feature extractor"):
        recording_features({"eda": np.ones(4800)}, fs=4, extractors={"eda": "drop"})
    with pytest.raises(ValueError, match="does not hold"):
        recording_features({"eda": np.ones(4800)}, fs=4, extractors={"bvp": BVPFeatures()})
    with pytest.raises(ValueError, match="t_start must lie inside"):
        recording_features({"eda": np.ones(480)}, fs=4, t_start=[100.0])
    with pytest.raises(ValueError, match="whole number of samples"):
        recording_features({"eda": np.ones(480)}, fs=4, window_s=0.1)
    with pytest.raises(TypeError, match="per_window"):
        recording_features({"eda": np.ones(480)}, fs=4, per_window="yes")


def test_short_windows_are_nan_with_a_reason():
    with pytest.warns(FeatureExtractionWarning, match="window shorter than 16 samples"):
        F, _ = recording_features({"eda": np.linspace(1, 2, 400)}, fs=4, window_s=2)
    assert np.isnan(F.to_numpy()).all()


def test_methods_without_a_recording_path_run_per_window(simulated):
    pytest.importorskip("cvxopt")
    ext = {"eda": EDAFeatures(fs=4, method="cvxeda", verbose=0)}
    x = {"eda": simulated["eda"][:1200]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F, _ = recording_features(x, fs=4, window_s=60, step_s=60, extractors=ext)
        P, _ = recording_features(x, fs=4, window_s=60, step_s=60, extractors=ext,
                                  per_window=True)
    pd.testing.assert_frame_equal(F, P)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), kind=st.sampled_from(["walk", "flat", "nan", "spiky"]),
       seconds=st.integers(30, 400))
def test_awkward_recordings_keep_the_schema(seed, kind, seconds):
    rng = np.random.default_rng(seed)
    signals = {n: np.cumsum(rng.normal(size=(int(seconds * r), 3 if n == "acc" else 1)), axis=0)
               for n, r in RATES.items()}
    for x in signals.values():
        if kind == "flat":
            x[:] = 1.0
        elif kind == "nan":
            x[rng.integers(len(x), size=3)] = np.nan
        elif kind == "spiky":
            x[:: max(1, len(x) // 7)] = 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F, t = recording_features(signals, fs=RATES, window_s=20, step_s=10)
    assert F.shape == (len(t), 16 + 16 + 7 + 10) and len(t) == (seconds - 20) // 10 + 1
    assert not np.isinf(F.to_numpy()).any()
