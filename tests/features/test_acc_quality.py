"""Motion and signal quality: ACCFeatures, EDA/PPG/ECG quality, QualitySelector, EDA methods.

Synthetic signals with known answers first (a known movement gives a known
ENMO and jerk, an artefacted EDA window is flagged, noise lowers the PPG
quality), then the selector as an imbalanced-learn sampler, read-only inputs,
bad input, and real Stress-Predict windows of two subjects.
"""

from __future__ import annotations

import importlib.util
import pickle
import warnings

import neurokit2 as nk
import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.utils._testing import create_memmap_backed_data

from skkd import Modalities
from skkd.compose import ModalityTransformer
from skkd.features import (
    ACCFeatures,
    ECGQuality,
    EDAFeatures,
    EDAQuality,
    FeatureExtractionWarning,
    PPGQuality,
    QualitySelector,
    WindowStatistics,
    eda_rule_flags,
)

FS_ACC = 32


def _acc(seconds=60, *, amp=0.0, freq=1.0, axis=2, one_g=64.0):
    """A wrist with gravity on ``axis`` oscillating by ``amp`` g at ``freq`` Hz along it."""
    t = np.arange(int(seconds * FS_ACC)) / FS_ACC
    a = np.zeros((3, t.size))
    a[axis] = 1.0 + amp * np.sin(2 * np.pi * freq * t)
    return a * one_g


def _col(F, name, extractor=ACCFeatures):
    return F[:, list(extractor.feature_names).index(name)]


# --- ACCFeatures ---------------------------------------------------------------------------
def test_known_movement_gives_known_enmo_jerk_and_counts():
    rest, slow, fast = _acc(), _acc(amp=0.5, freq=1.0), _acc(amp=0.2, freq=1.5, axis=0)
    F = ACCFeatures(fs=FS_ACC, verbose=0).fit_transform(np.stack([rest, slow, fast]))
    assert F.shape == (3, 10)
    # at rest: 1 g, no ENMO, no jerk, no counts, whatever the axis gravity is on
    np.testing.assert_allclose(_col(F, "vm_mean")[0], 1.0)
    for name in ("vm_std", "enmo_mean", "mad", "jerk_mean", "counts_per_min", "moving_fraction"):
        assert _col(F, name)[0] == pytest.approx(0.0, abs=1e-9), name
    # VM = 1 + A sin(2πft): ENMO mean = A/π, MAD = 2A/π, |jerk| mean = 4fA (g/s)
    for row, (amp, freq) in ((1, (0.5, 1.0)), (2, (0.2, 1.5))):
        assert _col(F, "enmo_mean")[row] == pytest.approx(amp / np.pi, rel=1e-2)
        assert _col(F, "mad")[row] == pytest.approx(2 * amp / np.pi, rel=1e-2)
        assert _col(F, "jerk_mean")[row] == pytest.approx(4 * freq * amp, rel=1e-2)
        assert _col(F, "jerk_p95")[row] <= 2 * np.pi * freq * amp * 1.001
        # in the count band and above the dead band: every 1-s epoch counts
        assert _col(F, "moving_fraction")[row] == 1.0
    assert _col(F, "counts_per_min")[1] > _col(F, "counts_per_min")[2] > 0


def test_units_and_orientation_do_not_matter():
    X64 = np.stack([_acc(amp=0.3, axis=ax) for ax in range(3)])
    Xg = np.stack([_acc(amp=0.3, axis=ax, one_g=1.0) for ax in range(3)])
    F64 = ACCFeatures(fs=FS_ACC, verbose=0).fit_transform(X64)
    Fg = ACCFeatures(fs=FS_ACC, one_g=1.0, verbose=0).fit_transform(Xg)
    np.testing.assert_allclose(F64, Fg, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F64, np.broadcast_to(F64[0], F64.shape), rtol=1e-10, atol=1e-12)


def test_acc_nan_and_short_windows_warn_and_keep_the_schema():
    X = np.stack([_acc(amp=0.2), _acc(amp=0.2)])
    X[1, 0, 10] = np.nan
    with pytest.warns(FeatureExtractionWarning, match="NaN or infinite") as record:
        F = ACCFeatures(fs=FS_ACC, verbose=0).fit_transform(X)
    assert len(record) == 1 and np.isfinite(F[0]).all() and np.isnan(F[1]).all()
    with pytest.warns(FeatureExtractionWarning, match="shorter than 160 samples"):
        F = ACCFeatures(fs=FS_ACC, verbose=0).fit_transform(np.ones((2, 3, 100)))
    assert F.shape == (2, 10) and np.isnan(F).all()


def test_acc_bad_input_is_named():
    X = np.stack([_acc()])
    with pytest.raises(ValueError, match=r"three axes .* shape \(n, 3, T\)"):
        ACCFeatures().fit(X[:, 0, :])
    with pytest.raises(ValueError, match="three axes"):
        ACCFeatures().fit(X[:, :1, :])
    with pytest.raises(TypeError, match="ModalityTransformer"):
        ACCFeatures().fit({"acc": X})
    with pytest.raises(ValueError, match="'fs' parameter of ACCFeatures must be above 3.26 Hz"):
        ACCFeatures(fs=2).fit(X)
    with pytest.raises(ValueError, match="'one_g' parameter of ACCFeatures must be"):
        ACCFeatures(one_g=0).fit(X)
    with pytest.raises(TypeError, match="'one_g' parameter of ACCFeatures must be"):
        ACCFeatures(one_g="64").fit(X)
    bad = X.copy()
    bad[0, 1, 3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        ACCFeatures().fit(bad)
    fitted = ACCFeatures(verbose=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(X[:, :, :-32])
    assert fitted.get_feature_names_out().tolist() == list(ACCFeatures.feature_names)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    assert clone(fitted).get_params() == fitted.get_params()


# --- EDA artifact rules --------------------------------------------------------------------
def _eda(seconds=60, fs=4, seed=0):
    return nk.eda_simulate(duration=seconds, sampling_rate=fs, scr_number=3, drift=0.01,
                           random_state=seed) + 1.0


def test_clean_vs_artefacted_eda_window():
    clean = _eda()
    artefacted = clean.copy()
    artefacted[60:80] = 0.0           # 5 s without skin contact (< 0.05 µS)
    artefacted[150] += 8.0            # a spike: +32 µS/s
    F = EDAQuality(fs=4, verbose=0).fit_transform(np.stack([clean, artefacted]))
    names = list(EDAQuality.feature_names)
    assert F[0, names.index("eda_invalid_fraction")] == 0.0
    assert F[0, names.index("eda_max_abs_slope")] < 10
    # 20 dropped samples plus 5 s each side; 3 spike samples plus 5 s each side
    assert F[1, names.index("eda_out_of_range_fraction")] == pytest.approx(20 / 240)
    assert F[1, names.index("eda_fast_change_fraction")] >= 3 / 240
    assert F[1, names.index("eda_invalid_fraction")] == pytest.approx((60 + 43) / 240)
    assert F[1, names.index("eda_max_abs_slope")] > 30


def test_eda_rules_temperature_and_nan():
    eda = np.full(40, 2.0)
    temp = np.r_[np.full(20, 33.0), np.full(20, 25.0)]   # off the wrist for the last 5 s
    flags = eda_rule_flags(eda, 4, temp=temp, margin_s=0)
    assert flags["temp_out_of_range"].sum() == 20 and flags["invalid"].sum() == 20
    # temperature at a lower rate is interpolated onto the EDA samples
    flags = eda_rule_flags(eda, 4, temp=temp[::2], margin_s=0)
    assert 18 <= flags["temp_out_of_range"].sum() <= 22
    with_nan = eda.copy()
    with_nan[5] = np.nan
    assert eda_rule_flags(with_nan, 4, margin_s=0)["out_of_range"].sum() == 1


def test_eda_quality_bad_parameters():
    X = np.ones((2, 240))
    for params, exc, match in (
        (dict(eda_range=(60, 0.05)), ValueError, "low < high"),
        (dict(eda_range=0.05), TypeError, "'eda_range' parameter"),
        (dict(max_slope=-1), ValueError, "max_slope"),
        (dict(margin_s=float("nan")), ValueError, "margin_s"),
    ):
        with pytest.raises(exc, match=match):
            EDAQuality(**params).fit(X)


# --- PPG / ECG quality ---------------------------------------------------------------------
def test_noisy_ppg_has_lower_quality_than_clean():
    ppg = nk.ppg_simulate(duration=60, sampling_rate=64, heart_rate=70, random_state=1)
    noisy = ppg + np.random.default_rng(0).normal(0, 1.0, ppg.size)
    q = PPGQuality(fs=64, verbose=0).fit(ppg[None])
    F = q.transform(np.stack([ppg, noisy]))
    assert q.get_feature_names_out().tolist() == [
        "ppg_ho2025", "ppg_skewness", "ppg_relative_power"]
    assert F[0, 0] > 0.95 and F[1, 0] < 0.8          # two beat detectors agree
    assert F[0, 1] > F[1, 1]                          # skewness (Elgendi, 2016)
    assert F[0, 2] > F[1, 2]                          # power in the pulse band


def test_ecg_quality_and_flat_window():
    ecg = nk.ecg_simulate(duration=20, sampling_rate=250, heart_rate=65, random_state=0)
    noisy = ecg + np.random.default_rng(0).normal(0, 0.5, ecg.size)
    with pytest.warns(FeatureExtractionWarning, match="flat window"):
        F = ECGQuality(fs=250, verbose=0).fit_transform(np.stack([ecg, noisy, np.zeros_like(ecg)]))
    assert F[0, 0] > F[1, 0] and F[0, 1] >= F[1, 1]
    assert set(F[:2, 1]) <= {0.0, 0.5, 1.0}
    assert np.isnan(F[2]).all()


def test_quality_methods_are_checked():
    with pytest.raises(ValueError, match="'methods' parameter of PPGQuality must be a non-empty"):
        PPGQuality(methods=("templatematch", "nope")).fit(np.ones((1, 640)))
    with pytest.raises(ValueError, match="repeat"):
        ECGQuality(methods=("zhao2018", "zhao2018")).fit(np.ones((1, 640)))
    with pytest.raises(ValueError, match="non-empty"):
        PPGQuality(methods=()).fit(np.ones((1, 640)))


# --- the selector --------------------------------------------------------------------------
def _windows(n=12, seed=0):
    """EDA, TEMP and ACC windows of 60 s; windows 1 and 2 artefacted, 3 moving, 4 both."""
    rng = np.random.default_rng(seed)
    eda = 2.0 + np.cumsum(rng.normal(0, 0.002, (n, 1, 240)), axis=-1)
    temp = 33.0 + rng.normal(0, 0.01, (n, 1, 240))
    acc = np.stack([_acc(amp=0.01 * rng.random()) for _ in range(n)])
    eda[1, 0, 100:160] = 0.0           # lost contact: 15 s + margins > 25 %
    temp[2, 0, :] = 24.0               # off the wrist
    acc[3] = _acc(amp=0.8)             # moving
    acc[4], eda[4, 0, 50:150] = _acc(amp=0.8), 70.0
    y = np.arange(n) % 2
    return Modalities(eda=eda, temp=temp, acc=acc), y


def test_selector_keeps_clean_still_windows():
    X, y = _windows()
    sel = QualitySelector(max_motion=0.1, temp_range=(30, 40))
    table = sel.fit(X).quality_table(X)
    assert list(table.columns) == ["eda_invalid_fraction", "temp_out_of_range_fraction",
                                   "enmo_mean", "fails_eda", "fails_motion", "keep"]
    assert table["fails_eda"].to_numpy().nonzero()[0].tolist() == [1, 2, 4]
    assert table["fails_motion"].to_numpy().nonzero()[0].tolist() == [3, 4]
    np.testing.assert_array_equal(sel.predict(X), table["keep"].astype(int))
    Xk, yk = sel.fit_resample(X, y)
    keep = np.r_[0, 5:12]
    assert isinstance(Xk, Modalities) and Xk.n_windows == 8
    np.testing.assert_array_equal(Xk["acc"], X["acc"][keep])
    np.testing.assert_array_equal(yk, y[keep])
    # by default only the EDA rules apply, without the temperature one
    assert QualitySelector().fit_predict(X).tolist().count(0) == 2
    assert QualitySelector(max_eda_invalid=None, max_motion=0.1).fit_predict(X).sum() == 10
    # a plain dict works like Modalities
    assert QualitySelector().fit_resample(dict(X), y)[0].n_windows == 10


def test_selector_as_a_sampler_in_an_imblearn_pipeline():
    X, y = _windows(n=24, seed=1)
    groups = np.repeat(np.arange(4), 6)

    class Recorder(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.n_seen_ = len(X)
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

    pipe = ImbPipeline([
        ("quality", QualitySelector(max_motion=0.1, temp_range=(30, 40))),
        ("features", ModalityTransformer({"eda": WindowStatistics(), "temp": WindowStatistics()})),
        ("clf", Recorder()),
    ])
    pipe.fit(X, y)
    assert pipe[-1].n_seen_ == 24 - 4       # windows 1-4 dropped from training
    assert len(pipe.predict(X)) == 24       # a sampler does not act at predict time
    pipe.set_params(clf=LogisticRegression())
    scores = cross_validate(pipe, X, y, groups=groups, cv=GroupKFold(n_splits=2),
                            error_score="raise")
    assert np.isfinite(scores["test_score"]).all()


def test_selector_bad_input_is_named():
    X, y = _windows()
    with pytest.raises(TypeError, match="dict of modalities"):
        QualitySelector().fit(X["eda"])
    with pytest.raises(ValueError, match=r"lacks the modalities 'acc' \(acc\)"):
        QualitySelector(max_motion=0.1).fit(X.select(["eda", "temp"]))
    with pytest.raises(ValueError, match=r"'temp' \(temp\)"):
        QualitySelector(temp_range=(30, 40)).fit(X.select(["eda"]))
    with pytest.raises(ValueError, match="every rule is off"):
        QualitySelector(max_eda_invalid=None).fit(X)
    with pytest.raises(ValueError, match="'max_eda_invalid' parameter of QualitySelector must be"):
        QualitySelector(max_eda_invalid=1.5).fit(X)
    with pytest.raises(ValueError, match="'motion_feature' parameter of QualitySelector must be"):
        QualitySelector(max_motion=0.1, motion_feature="steps").fit(X)
    with pytest.raises(ValueError, match="'ppg_method' parameter of QualitySelector must be"):
        QualitySelector(min_ppg_quality=0.5, ppg_method="best").fit(X)
    with pytest.raises(ValueError, match="unknown signals"):
        QualitySelector(fs={"gsr": 4}).fit(X)
    with pytest.raises(ValueError, match="kept no window"):
        QualitySelector(max_eda_invalid=0.0, eda_range=(10, 20)).fit_resample(X, y)
    with pytest.raises(ValueError, match="labels for 12 windows"):
        QualitySelector().fit_resample(X, y[:5])
    with pytest.raises(ValueError, match="one channel"):
        QualitySelector().fit(X).predict(Modalities(eda=np.ones((2, 2, 240)),
                                                    temp=np.ones((2, 1, 240))))
    # keys= maps the signals to other modality names
    renamed = Modalities(gsr=X["eda"], skin_temp=X["temp"])
    sel = QualitySelector(keys={"eda": "gsr", "temp": "skin_temp"}, temp_range=(30, 40))
    np.testing.assert_array_equal(sel.fit_predict(renamed),
                                  QualitySelector(temp_range=(30, 40)).fit_predict(X))


def _read_only_kinds(a):
    ro = np.array(a)
    ro.setflags(write=False)
    flipped = np.flip(np.flip(np.array(a), axis=-1).copy(), axis=-1)
    flipped.setflags(write=False)
    return {"readonly": ro, "memmap": create_memmap_backed_data(np.array(a)),
            "negative_strides": flipped}


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_read_only_inputs_are_never_written(kind):
    X, y = _windows()
    ppg = nk.ppg_simulate(duration=20, sampling_rate=64, random_state=0)[None, :].repeat(2, 0)
    arrays = {key: _read_only_kinds(X[key])[kind] for key in X}
    before = {key: np.array(a, copy=True) for key, a in arrays.items()}
    bvp = _read_only_kinds(ppg)[kind]
    bvp_before = bvp.copy()
    ACCFeatures(verbose=0).fit_transform(arrays["acc"])
    EDAQuality(verbose=0).fit_transform(arrays["eda"])
    PPGQuality(methods="skewness", verbose=0).fit_transform(bvp)
    QualitySelector(max_motion=0.1).fit_resample(Modalities(arrays), y)
    for key, a in arrays.items():
        np.testing.assert_array_equal(a, before[key])
    np.testing.assert_array_equal(bvp, bvp_before)


# --- EDAFeatures(method=...) ---------------------------------------------------------------
def test_eda_default_method_is_neurokits_default():
    x = _eda(seconds=60)
    ours = EDAFeatures(fs=4, verbose=0).fit_transform(x[None])
    signals, _ = nk.eda_process(x, sampling_rate=4)
    names = list(EDAFeatures.feature_names)
    assert ours[0, names.index("scr_std")] == pytest.approx(signals["EDA_Phasic"].std(ddof=0))
    assert ours[0, names.index("scl_mean")] == pytest.approx(signals["EDA_Tonic"].mean())


@pytest.mark.parametrize("method", ["highpass", "smoothmedian", "cvxeda", "sparsEDA"])
def test_eda_methods_run_at_4_hz(method):
    if method == "cvxeda" and importlib.util.find_spec("cvxopt") is None:
        with pytest.raises(ImportError, match="cvxopt"):
            EDAFeatures(method=method).fit(np.ones((1, 240)))
        pytest.skip("cvxopt is not installed (pip install 'skkd[cvxeda]')")
    x = _eda(seconds=60, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F = EDAFeatures(fs=4, method=method, verbose=0).fit_transform(x[None])
    names = list(EDAFeatures.feature_names)
    assert F.shape == (1, 16)
    assert np.isfinite(F[0, : names.index("scr_peaks_n") + 1]).all()
    # a positive tonic level below the signal's peak (cvxEDA's sits far lower on 60-s
    # windows: its non-negative phasic part takes much of the level)
    assert 0 < F[0, names.index("scl_mean")] < x.max()


def test_eda_method_is_checked():
    with pytest.raises(ValueError, match="'method' parameter of EDAFeatures must be a str among"):
        EDAFeatures(method="cvxEDA").fit(np.ones((1, 240)))


# --- real data: two Stress-Predict subjects ------------------------------------------------
def _e4_windows(folder, window_s=60, n_windows=8):
    """The first ``n_windows`` 60-s windows common to every signal of one E4 export."""
    from skkd.datasets import read_empatica_e4

    rec = read_empatica_e4(folder, signals=("eda", "temp", "bvp", "acc"))
    start = max(rec[s].start for s in ("eda", "temp", "bvp", "acc"))
    out = {}
    for s in ("eda", "temp", "bvp", "acc"):
        sig = rec[s]
        offset = int(round((start - sig.start) * sig.fs))
        length = int(window_s * sig.fs)
        data = sig.data[offset: offset + n_windows * length].T  # (channels, T)
        out[s] = np.stack([data[:, i * length:(i + 1) * length] for i in range(n_windows)])
    return Modalities(out)


@pytest.fixture(scope="module")
def e4_two_subjects(data_home):
    raw = data_home / "stress-predict" / "Raw_data"
    windows = [_e4_windows(raw / s) for s in ("S02", "S10")]
    return Modalities({k: np.concatenate([w[k] for w in windows]) for k in windows[0]})


def test_real_stress_predict_motion_and_quality(e4_two_subjects):
    X = e4_two_subjects
    assert X["acc"].shape == (16, 3, 1920) and X["bvp"].shape == (16, 1, 3840)
    acc = ACCFeatures(fs=32, verbose=0).fit_transform(X["acc"])
    assert np.isfinite(acc).all()
    assert (np.abs(_col(acc, "vm_mean") - 1.0) < 0.1).all()      # E4 units are 1/64 g
    assert (_col(acc, "enmo_mean") < 0.2).all()                  # seated volunteers
    eda_q = EDAQuality(fs=4, verbose=0).fit_transform(X["eda"])
    assert ((0 <= eda_q[:, :3]) & (eda_q[:, :3] <= 1)).all()
    ppg = PPGQuality(fs=64, methods=("ho2025", "templatematch"), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        q = ppg.fit_transform(X["bvp"])
    assert np.isfinite(q[:, 0]).mean() > 0.8
    assert ((0 <= q[:, 0]) & (q[:, 0] <= 1))[np.isfinite(q[:, 0])].all()
    table = QualitySelector(max_motion=0.1, min_ppg_quality=0.5).fit(X).quality_table(X)
    np.testing.assert_allclose(table["enmo_mean"], _col(acc, "enmo_mean"))
    np.testing.assert_allclose(table["ppg_ho2025"], q[:, 0])
    assert table["keep"].dtype == bool and isinstance(table, pd.DataFrame)


# --- the benchmark script ------------------------------------------------------------------
def _benchmark(name):
    import importlib.util
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quality_benchmark_rows_and_paired_tests():
    bench = _benchmark("quality")
    y = np.array([0, 1] * 6)
    groups = np.repeat(["a", "b", "c"], 4)
    good, bad = y.copy(), 1 - y
    keep = np.ones(12, bool)
    keep[[0, 5]] = False
    rows = [
        bench.make_row("ref", y, good, groups),
        bench.make_row("worse", y, bad, groups, dropped=[(2, 8), (1, 8)]),
        bench.make_row("worse", y, bad, groups, test_mask=keep),
    ]
    assert rows[0]["balanced_accuracy_mean"] == 1.0 and rows[1]["balanced_accuracy_mean"] == 0.0
    assert rows[1]["train_windows_dropped"] == "2/fold (18.8 %)"
    assert rows[2]["test_windows"] == 10 and "kept test windows" in rows[2]["protocol"]
    bench.paired_tests(rows, "ref")
    assert rows[0]["p_vs_reference_holm"] is None
    assert rows[1]["p_vs_reference_holm"] <= rows[2]["p_vs_reference_holm"] <= 1.0


@pytest.mark.slow
def test_quality_benchmark_quick_run(data_home, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "quality.py"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--data-home", str(data_home),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(tmp_path / "quality.csv")
    assert {"accuracy", "test_windows", "train_windows_dropped"} <= set(table.columns)
    assert table["protocol"].str.contains("kept test windows").any()
