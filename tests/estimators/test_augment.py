"""Synthetic windows labelled by the teacher: mixup and MUNGE (model compression)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skkd import Modalities
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.estimators._augment import mixup_windows, munge_windows


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 4] > 0).astype(int)
    return X, y


def test_mixup_mixes_windows_of_one_class_only():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    y = np.array([0, 0, 1, 1])
    X.setflags(write=False)
    Z = mixup_windows(X, y, 50.0, np.random.RandomState(0))
    assert Z.shape == (200, 1)
    in_class0 = (Z >= -1e-9) & (Z <= 1 + 1e-9)
    in_class1 = (Z >= 10 - 1e-9) & (Z <= 11 + 1e-9)
    assert np.all(in_class0 | in_class1)  # never between the classes
    assert np.all(np.isin(y, [0, 1]))


def test_mixup_ignores_unlabeled_parents_and_keeps_dict_pairs():
    X = Modalities(a=np.arange(6.0).reshape(6, 1), b=10 * np.arange(6.0).reshape(6, 1))
    y = np.array([0, 0, -1, -1, 1, 1])
    Z = mixup_windows(X, y, 10.0, np.random.RandomState(1))
    np.testing.assert_allclose(Z["b"], 10 * Z["a"])  # same pairs and weights per modality
    assert not np.any((Z["a"] > 1) & (Z["a"] < 4))


def test_munge_stays_between_neighbours_and_handles_frames():
    X, _ = _data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    Z = munge_windows(frame, 1.5, np.random.RandomState(0))
    assert isinstance(Z, pd.DataFrame) and list(Z.columns) == list(frame.columns)
    assert len(Z) == 120 and np.isfinite(Z.to_numpy()).all()
    # each value is either the parent's or near its neighbour's: inside the data's range + spread
    assert Z.to_numpy().std(axis=0).max() < 2 * X.std(axis=0).max()
    with pytest.raises(ValueError, match="mixup"):
        munge_windows({"eda": X}, 1.0, np.random.RandomState(0))


@pytest.mark.parametrize("augment", ["mixup", "munge"])
def test_student_trains_on_teacher_labelled_synthetic_windows(augment):
    X, y = _data()
    X.setflags(write=False)
    kw = dict(student_inputs=[0, 1, 2], max_epochs=3, random_state=0)
    a = DistilledStudentClassifier(LogisticRegression(), augment=augment, augment_ratio=1.5,
                                   **kw).fit(X, y)
    b = DistilledStudentClassifier(LogisticRegression(), augment=augment, augment_ratio=1.5,
                                   **kw).fit(X, y)
    assert a.n_augmented_ == 120
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))  # reproducible
    plain = DistilledStudentClassifier(LogisticRegression(), **kw).fit(X, y)
    assert plain.n_augmented_ == 0
    assert not np.allclose(plain.predict_proba(X), a.predict_proba(X))


def test_augment_with_a_neural_teacher_on_modalities_and_feature_matching():
    X, y = _data(60)
    M = Modalities(eda=X[:, None, :3], ecg=X[:, None, 3:])
    student = DistilledStudentClassifier(
        TeacherClassifier(max_epochs=2, random_state=0), student_inputs=["eda"],
        augment="mixup", feature_weights=0.5, max_epochs=2, random_state=0,
    ).fit(M, y)
    assert student.n_augmented_ == 120
    assert student.predict(Modalities(eda=X[:, None, :3])).shape == (60,)


def test_augment_refuses_feedback_and_bad_values():
    X, y = _data(40)
    with pytest.raises(ValueError, match="augment"):
        DistilledStudentClassifier(TeacherClassifier(max_epochs=1), student_inputs=[0],
                                   augment="mixup", feedback=True, max_epochs=1).fit(X, y)
    for bad in ({"augment": "smote"}, {"augment_ratio": 0.0}, {"augment_ratio": float("inf")}):
        with pytest.raises(ValueError, match="augment"):
            DistilledStudentClassifier(LogisticRegression(), max_epochs=1, **bad).fit(X, y)
