"""Per-window physiological extractors: EDA, BVP, ECG, RSP, TEMP."""

from __future__ import annotations

import pickle
import warnings

import neurokit2 as nk
import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skkd.features import (
    BVPFeatures,
    ECGFeatures,
    EDAFeatures,
    FeatureExtractionWarning,
    RSPFeatures,
    TEMPFeatures,
)
from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features

EXTRACTORS = [
    EDAFeatures(fs=4, verbose=0),
    BVPFeatures(fs=64, verbose=0),
    ECGFeatures(fs=128, verbose=0),
    RSPFeatures(fs=25, verbose=0),
    TEMPFeatures(fs=4, verbose=0),
]


@pytest.fixture(scope="module")
def simulated():
    """One minute of each signal, simulated by neurokit2 at known rates."""
    return {
        "eda": nk.eda_simulate(duration=60, sampling_rate=4, scr_number=4, random_state=0),
        "bvp": nk.ppg_simulate(duration=60, sampling_rate=64, heart_rate=72, random_state=0),
        "ecg": nk.ecg_simulate(duration=30, sampling_rate=128, heart_rate=65, random_state=0),
        "rsp": nk.rsp_simulate(duration=60, sampling_rate=25, respiratory_rate=14, random_state=0),
    }


def test_heart_and_breathing_rates_are_recovered(simulated):
    bvp = BVPFeatures(fs=64, verbose=0).set_output(transform="pandas")
    F = bvp.fit_transform(simulated["bvp"][None, None, :])
    assert isinstance(F, pd.DataFrame) and list(F.columns) == list(CARDIAC_FEATURES)
    assert 67 < F["hr_mean"].iloc[0] < 77
    ecg = ECGFeatures(fs=128, verbose=0).fit_transform(simulated["ecg"][None, :])
    assert 60 < ecg[0, CARDIAC_FEATURES.index("hr_mean")] < 70
    rsp = RSPFeatures(fs=25, verbose=0).fit_transform(simulated["rsp"][None, :])
    assert 12 < rsp[0, 0] < 16
    eda = EDAFeatures(fs=4, verbose=0).fit_transform(simulated["eda"][None, :])
    assert eda[0, list(EDAFeatures.feature_names).index("scr_peaks_n")] >= 1


def test_hrv_matches_neurokit_hrv_time(simulated):
    clean = nk.ppg_clean(simulated["bvp"], sampling_rate=64)
    _, info = nk.ppg_peaks(clean, sampling_rate=64)
    ours, why = cardiac_features(info["PPG_Peaks"], 64.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = nk.hrv_time(info["PPG_Peaks"], sampling_rate=64)
    assert not why
    for name in ("MeanNN", "SDNN", "RMSSD", "SDSD", "CVNN", "MedianNN", "IQRNN",
                 "pNN50", "pNN20", "MinNN", "MaxNN"):
        np.testing.assert_allclose(ours[f"hrv_{name.lower()}"], ref[f"HRV_{name}"].iloc[0],
                                   rtol=1e-10, err_msg=name)


def test_real_stress_predict_windows(data_home):
    from skkd.datasets import load_stress_predict_sample

    data = load_stress_predict_sample()
    X = data.X[np.arange(0, data.X.n_windows, 25)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        eda = EDAFeatures(fs=4, verbose=0).fit_transform(X["eda"])
    temp = TEMPFeatures(fs=4, verbose=0).fit_transform(X["temp"])
    assert eda.shape == (X.n_windows, len(EDAFeatures.feature_names))
    assert np.isfinite(eda[:, :12]).all()  # level and count features always exist
    assert np.isfinite(temp).all() and (20 < temp[:, 0]).all() and (temp[:, 0] < 40).all()


def test_one_warning_names_feature_and_reason():
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(4, 3840)), axis=1)
    X[1, 100] = np.nan  # a dropped sample
    X[2] = 1.0
    with pytest.warns(FeatureExtractionWarning) as record:
        F = BVPFeatures(fs=64, verbose=0).fit_transform(X)
    assert len(record) == 1
    msg = str(record[0].message)
    assert "'hr_mean'" in msg and "window contains NaN or infinite values" in msg
    assert "flat window (constant signal)" in msg
    assert F.shape == (4, len(CARDIAC_FEATURES))
    assert np.isnan(F[1]).all() and np.isnan(F[2]).all()


def test_too_short_windows_give_nan_not_errors():
    with pytest.warns(FeatureExtractionWarning, match="window shorter than 16 samples"):
        F = EDAFeatures(fs=4, verbose=0).fit_transform(np.ones((3, 8)))
    assert F.shape == (3, 16) and np.isnan(F).all()


def test_parallel_equals_serial_and_progress_bar(capsys):
    rng = np.random.default_rng(1)
    X = 5 + np.cumsum(rng.normal(scale=0.01, size=(70, 240)), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        serial = EDAFeatures(fs=4, verbose=0).fit_transform(X)
        capsys.readouterr()
        # threads keep the test fast; the default (loky processes) runs the
        # same chunks, see benchmarks/speed.py
        with parallel_config(backend="threading"):
            parallel = EDAFeatures(fs=4, verbose=2, n_jobs=2).fit_transform(X)
    np.testing.assert_array_equal(serial, parallel)
    assert "EDAFeatures" in capsys.readouterr().err  # tqdm bar on stderr
    TEMPFeatures(fs=4, verbose=0).fit_transform(X)
    assert capsys.readouterr().err == ""


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="one channel"):
        EDAFeatures().fit(np.zeros((2, 3, 240)))
    with pytest.raises(TypeError, match="ModalityTransformer"):
        EDAFeatures().fit({"eda": np.zeros((2, 240))})
    with pytest.raises(ValueError, match="'fs' parameter of EDAFeatures must be"):
        EDAFeatures(fs=-4).fit(np.zeros((2, 240)))
    with pytest.raises(TypeError, match="'fs' parameter of BVPFeatures must be"):
        BVPFeatures(fs="64").fit(np.zeros((2, 240)))


def test_pickle_round_trip():
    X = 33 + np.random.default_rng(0).normal(size=(3, 1, 240))
    t = TEMPFeatures(fs=4).fit(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(t)).transform(X), t.transform(X))


# --- hypothesis: awkward windows never crash nor change the schema ----------

def _windows(draw, length):
    kind = draw(st.sampled_from(["noise", "flat", "nan", "inf", "huge", "tiny", "spiky"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = np.cumsum(rng.normal(size=(2, length)), axis=1)
    if kind == "flat":
        x[:] = draw(st.floats(-1e6, 1e6))
    elif kind == "nan":
        x[0, rng.integers(length)] = np.nan
    elif kind == "inf":
        x[1, rng.integers(length)] = np.inf
    elif kind == "huge":
        x = x * 1e300
    elif kind == "tiny":
        x = x * 1e-300
    elif kind == "spiky":
        x[:, :: max(1, length // 5)] = 1e6
    return x


@st.composite
def windows_for(draw, fs):
    length = draw(st.sampled_from([1, 3, int(fs), int(4 * fs), int(30 * fs), int(300 * fs)]))
    return _windows(draw, length)


@pytest.mark.parametrize("extractor", EXTRACTORS, ids=lambda e: type(e).__name__)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_awkward_windows_keep_the_schema(extractor, data):
    X = data.draw(windows_for(extractor.fs))
    if np.isinf(X).any():  # NaN marks a missing sample; inf is a clear error
        with pytest.raises(ValueError, match="infinity"):
            extractor.fit(X)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F = extractor.fit_transform(X)
    assert F.shape == (2, len(extractor.feature_names))
    assert F.dtype == np.float64
    assert not np.isinf(F).any()  # a feature is a number or NaN
