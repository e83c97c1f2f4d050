"""The built-in window features of all 34 labelled Stress-Predict subjects."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from skkd.datasets import load_stress_predict_features
from skkd.datasets._features_sample import (
    FEATURE_SIGNALS,
    FEATURES_FILE,
    STEP_S,
    WINDOW_S,
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
