"""Read-only inputs (pandas 3, memmaps, negative strides) are read, never written.

pandas 3 returns read-only arrays from ``DataFrame.to_numpy()`` (copy-on-write)
and users pass memmaps of large recordings: every public estimator,
transformer and selector must accept them and leave them bit-identical
(DESIGN §6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils._testing import create_memmap_backed_data

from skkd import Modalities
from skkd.baselines import PerGroupClassifier, make_rf_baseline, make_svm_baseline
from skkd.compose import ModalityTransformer
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.features import (
    EDAFeatures,
    GAFImager,
    LogMelExtractor,
    SubjectStandardScaler,
    TEMPFeatures,
    WindowStatistics,
)
from skkd.opportune import FixedIntervalSelector, RandomSelector, RuLSIFOpportuneSelector


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


def _kinds(a: np.ndarray) -> dict[str, np.ndarray]:
    """The same values as a read-only array, a read-only memmap and reversed strides."""
    reversed_twice = np.flip(np.flip(np.array(a), axis=-1).copy(), axis=-1)
    reversed_twice.setflags(write=False)
    return {
        "readonly": _readonly(a),
        "memmap": create_memmap_backed_data(np.array(a)),
        "negative_strides": reversed_twice,
    }


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 3] > 0).astype(int)
    groups = np.repeat(np.arange(6), 10)
    return X, y, groups


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_neural_estimators_read_but_never_write(tabular, kind):
    X, y, groups = tabular
    Xk = _kinds(X)[kind]
    before = np.array(Xk, copy=True)
    teacher = TeacherClassifier(max_epochs=2, random_state=0)
    proba = teacher.fit(Xk, y).predict_proba(Xk)
    assert np.allclose(proba, teacher.predict_proba(X))
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs=[0, 1, 2], max_epochs=2, random_state=0
    )
    student.fit(Xk, y, groups=groups)
    assert student.predict_proba(Xk).shape == (len(y), 2)
    np.testing.assert_array_equal(Xk, before)


def test_estimators_on_pandas3_frames(tabular):
    """A DataFrame's own (possibly read-only) buffer is never written."""
    X, y, groups = tabular
    frame = pd.DataFrame(X, columns=[f"eda__f{i}" for i in range(3)]
                         + [f"ecg__f{i}" for i in range(3)])
    before = frame.copy(deep=True)
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs="eda", max_epochs=2, random_state=0
    )
    assert student.fit(frame, y, groups=groups).predict(frame).shape == (len(y),)
    for model in (make_rf_baseline(n_estimators=10), make_svm_baseline()):
        model.fit(frame, y)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_baselines_and_per_group_models(tabular, kind):
    X, y, groups = tabular
    Xk = _kinds(X.astype(np.float64))[kind]
    before = np.array(Xk, copy=True)
    for model in (make_rf_baseline(n_estimators=10), make_svm_baseline()):
        model.fit(Xk, y).predict_proba(Xk)
    frame = pd.DataFrame(Xk).assign(g=groups % 2)
    PerGroupClassifier(LogisticRegression(), by="g", min_samples=2).fit(frame, y).predict(frame)
    np.testing.assert_array_equal(Xk, before)


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_signal_transformers(kind):
    rng = np.random.default_rng(1)
    eda = 2.0 + np.cumsum(rng.normal(0, 0.01, (4, 1, 240)), axis=-1)
    audio = rng.normal(0, 0.1, (2, 4000))
    for transformer, data in (
        (EDAFeatures(fs=4), eda),
        (TEMPFeatures(fs=4), eda + 30.0),
        (WindowStatistics(), eda),
        (GAFImager(image_size=16), eda),
        (LogMelExtractor(sr=8000, n_mels=16, n_fft=256, hop_length=128), audio),
    ):
        Xk = _kinds(data)[kind]
        before = np.array(Xk, copy=True)
        out = transformer.fit_transform(Xk)
        assert np.isfinite(np.asarray(out, dtype=float)).mean() > 0.5
        np.testing.assert_array_equal(Xk, before)


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_subject_scaler_and_routing(tabular, kind):
    X, _, groups = tabular
    Xk = _kinds(X.astype(np.float64))[kind]
    before = np.array(Xk, copy=True)
    SubjectStandardScaler().fit_transform(Xk, groups=groups)
    windows = Modalities(eda=_kinds(np.abs(X[:, None, :]) + 1.0)[kind])
    ModalityTransformer({"eda": WindowStatistics()}, output="frame").fit_transform(windows)
    np.testing.assert_array_equal(Xk, before)


@pytest.mark.parametrize("kind", ["readonly", "memmap", "negative_strides"])
def test_opportune_selectors(kind):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 2, 120))
    y = np.arange(12) % 2
    Xk = _kinds(X)[kind]
    before = np.array(Xk, copy=True)
    for selector in (RuLSIFOpportuneSelector(), FixedIntervalSelector(), RandomSelector(random_state=0)):
        selector.fit_resample(Xk, y)
    np.testing.assert_array_equal(Xk, before)


def test_loaders_read_read_only_files(data_home):
    """CI's copy of the shared data has no write bits: loaders only read."""
    from skkd.datasets import load_stress_predict_sample, read_empatica_e4

    sample = load_stress_predict_sample()
    assert len(sample.y) > 0
    recording = read_empatica_e4(data_home / "stress-predict" / "Raw_data" / "S02", ["eda"])
    values = recording["eda"].data
    assert values.size > 0 and values.flags.writeable  # the reader's own copy


def test_no_torch_non_writable_warning(tabular):
    """Batches are fresh arrays: torch never sees the caller's read-only buffer."""
    import warnings

    X, y, _ = tabular
    Xr = _readonly(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TeacherClassifier(max_epochs=1, random_state=0).fit(Xr, y).predict_proba(Xr)
    assert not [w for w in caught if "not writable" in str(w.message)]
