"""The built-in window features of all 34 labelled Stress-Predict subjects."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from skkd.datasets import load_stress_predict_features
from skkd.datasets._features_sample import (
    BVP_STEP,
    FEATURE_SIGNALS,
    FEATURES_FILE,
    RAW_FILE,
    RAW_FS,
    STEP_S,
    WINDOW_S,
    stress_predict_raw_windows,
    stress_predict_window_features,
)


@pytest.fixture(scope="module")
def features():
    return load_stress_predict_features()


def test_shape_subjects_and_columns(features):
    X, y, groups = features.X, features.y, features.groups
    assert X.shape == (3695, 30)
    assert len(y) == len(groups) == len(features.meta) == len(X)
    subjects = sorted(set(groups))
    assert subjects == [f"S{i:02d}" for i in range(2, 36)]  # S01 has no published labels
    assert set(np.unique(y)) == {0, 1}
    assert 0.3 < y.mean() < 0.36
    assert (X.dtypes == np.float32).all() and np.isfinite(X.to_numpy()).all()
    assert list(X.columns) == list(features.feature_names)
    for signal, n_channels in zip(FEATURE_SIGNALS, (1, 1, 1, 3)):
        cols = [c for c in X.columns if c.startswith(f"{signal}__")]
        assert len(cols) == 5 * n_channels, signal
    assert list(pd.unique(features.modalities)) == list(FEATURE_SIGNALS)
    assert list(features.target_names) == ["baseline", "stress"]
    assert "34 labelled Stress-Predict subjects" in features.DESCR and "MIT" in features.DESCR


def test_windows_are_in_time_order_per_subject(features):
    meta = features.meta
    assert (meta["subject"].to_numpy() == features.groups).all()
    for _, rows in meta.groupby("subject", sort=False):
        steps = np.diff(rows["t_start"].to_numpy())
        assert (steps >= STEP_S).all()
        assert np.allclose(rows["t_end"] - rows["t_start"], WINDOW_S)
    assert ((meta["stress_fraction"] > 0.5) == (features.y == 1)).all()


def test_the_licence_notice_ships_beside_the_file():
    folder = resources.files("skkd.datasets") / "data"
    assert (folder / FEATURES_FILE).is_file()
    notice = (folder / "stress_predict_LICENSE.txt").read_text()
    assert "MIT License" in notice or "Permission is hereby granted" in notice
    assert (folder / FEATURES_FILE).stat().st_size < 600_000  # stays small


def test_equals_features_recomputed_from_the_real_data(features, data_home):
    """One subject's rows equal WindowStatistics on that subject's raw E4 windows."""
    from skkd.datasets._stress_predict import (
        FOLDER,
        LABELS_FILE,
        QUESTIONNAIRES_FILE,
        _read_session,
        _Session,
        build_stress_bunch,
        read_questionnaires,
        read_stress_labels,
    )

    root = data_home / FOLDER
    subject = "S10"
    signals, tags = _read_session(root / "Raw_data" / subject, FEATURE_SIGNALS)
    t0, dense = read_stress_labels(root / LABELS_FILE)[subject]
    data = build_stress_bunch(
        [_Session(subject, signals, t0, dense, np.empty(0) if tags is None else tags)],
        read_questionnaires(root / QUESTIONNAIRES_FILE), WINDOW_S, STEP_S, source="test")
    table = stress_predict_window_features(data.X)
    rows = features.groups == subject
    assert list(table.columns) == list(features.X.columns)
    np.testing.assert_array_equal(table.to_numpy(np.float32), features.X[rows].to_numpy())
    np.testing.assert_array_equal(np.asarray(data.y), features.y[rows])
    np.testing.assert_array_equal(data.meta["t_start"].to_numpy(),
                                  features.meta.loc[rows, "t_start"].to_numpy())


@pytest.fixture(scope="module")
def with_raw():
    return load_stress_predict_features(raw=True)


def test_raw_windows_are_the_features_rows(features, with_raw):
    """``raw=True``: EDA/TEMP (4 Hz) and BVP (16 Hz) windows of the same rows, same order."""
    raw = with_raw.raw
    assert {k: raw[k].shape for k in raw} == {
        "eda": (3695, 1, 240), "temp": (3695, 1, 240), "bvp": (3695, 1, 960)}
    assert with_raw.raw_fs == RAW_FS == {"eda": 4, "temp": 4, "bvp": 16}
    assert all(raw[k].dtype == np.float32 and np.isfinite(raw[k]).all() for k in raw)
    # the rest of the Bunch is unchanged; the features are statistics of these windows
    np.testing.assert_array_equal(with_raw.X.to_numpy(), features.X.to_numpy())
    np.testing.assert_array_equal(with_raw.groups, features.groups)
    X = with_raw.X
    for k in ("eda", "temp"):  # mean and max of the 4 Hz signals equal the features
        np.testing.assert_allclose(raw[k][:, 0].mean(axis=1), X[f"{k}__ch0_mean"], rtol=1e-5,
                                   atol=1e-5)
        np.testing.assert_array_equal(raw[k][:, 0].max(axis=1), X[f"{k}__ch0_max"])
    # the 16-Hz BVP keeps the 64-Hz signal's level and spread
    assert np.corrcoef(raw["bvp"][:, 0].std(axis=1), X["bvp__ch0_std"])[0, 1] > 0.95
    assert "raw" not in features and "raw_fs" not in features
    with pytest.raises(TypeError, match="'raw' parameter of load_stress_predict_features"):
        load_stress_predict_features(raw="yes")


def test_raw_file_is_small_and_its_rows_are_checked(monkeypatch, tmp_path):
    folder = resources.files("skkd.datasets") / "data"
    assert (folder / RAW_FILE).stat().st_size < 5_000_000
    # a file whose rows are not the features' rows is refused
    with np.load(folder / RAW_FILE) as npz:
        arrays = dict(npz)
    arrays["t_start"] = arrays["t_start"] + 30.0
    fake = tmp_path / "data"
    fake.mkdir()
    np.savez(fake / RAW_FILE, **arrays)
    (fake / FEATURES_FILE).symlink_to(folder / FEATURES_FILE)
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    with pytest.raises(ValueError, match="does not hold the rows"):
        load_stress_predict_features(raw=True)


def test_raw_windows_helper():
    """EDA/TEMP copied as float32, BVP 64 -> 16 Hz on the stored 0.1 grid; input untouched."""
    rng = np.random.default_rng(0)
    t = np.arange(3840) / 64
    bvp = (100 * np.sin(2 * np.pi * 1.2 * t) + rng.normal(0, 1, t.size))[None, None]
    X = {"eda": rng.random((1, 1, 240)), "bvp": bvp}
    before = bvp.copy()
    out = stress_predict_raw_windows(X)
    assert sorted(out) == ["bvp", "eda"] and out["eda"].dtype == np.float32
    np.testing.assert_array_equal(bvp, before)
    np.testing.assert_allclose(out["eda"], X["eda"], rtol=1e-6)
    b = out["bvp"][0, 0]
    assert b.shape == (960,) and b.dtype == np.float32
    np.testing.assert_allclose(b / BVP_STEP, np.round(b / BVP_STEP), atol=1e-3)
    spectrum = np.abs(np.fft.rfft(b - b.mean()))
    assert abs(np.fft.rfftfreq(960, 1 / 16)[spectrum.argmax()] - 1.2) < 0.02  # the pulse stays
    with pytest.raises(ValueError, match="none of the modalities"):
        stress_predict_raw_windows({"acc": np.zeros((1, 3, 1920))})
    with pytest.raises(ValueError, match="int16"):
        stress_predict_raw_windows({"bvp": np.full((1, 1, 64), 1e5)})


def test_raw_windows_equal_those_rebuilt_from_the_real_data(with_raw, data_home):
    """One subject's shipped raw windows equal ``stress_predict_raw_windows`` on its E4 files."""
    from skkd.datasets._stress_predict import (
        FOLDER,
        LABELS_FILE,
        _read_session,
        _Session,
        build_stress_bunch,
        read_stress_labels,
    )

    root = data_home / FOLDER
    subject = "S10"
    signals, tags = _read_session(root / "Raw_data" / subject, ("eda", "temp", "bvp"))
    t0, dense = read_stress_labels(root / LABELS_FILE)[subject]
    data = build_stress_bunch(
        [_Session(subject, signals, t0, dense, np.empty(0) if tags is None else tags)],
        pd.DataFrame(), WINDOW_S, STEP_S, source="test")
    rebuilt = stress_predict_raw_windows(data.X)
    rows = with_raw.groups == subject
    for k in RAW_FS:
        np.testing.assert_array_equal(rebuilt[k], with_raw.raw[k][rows], err_msg=k)
