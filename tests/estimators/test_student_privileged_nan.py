"""NaN in teacher-only columns: the teacher handles them, the student never sees them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from skkd.estimators import DistilledStudentClassifier


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4))
    y = (X[:, 0] + X[:, 3] > 0).astype(int)
    X[::3, 3] = np.nan  # e.g. face video absent for some tasks
    return X, y


@pytest.mark.parametrize("as_frame", [False, True])
def test_nan_in_privileged_columns_reaches_only_the_teacher(as_frame):
    X, y = _data()
    student_inputs = [0, 1]
    if as_frame:
        X = pd.DataFrame(X, columns=["eda__a", "eda__b", "ecg__a", "video__a"])
        student_inputs = "eda"
    student = DistilledStudentClassifier(
        HistGradientBoostingClassifier(max_iter=20), student_inputs=student_inputs,
        max_epochs=2, random_state=0,
    ).fit(X, y)
    proba = student.predict_proba(X)
    assert np.isfinite(proba).all()
    X_student = X[["eda__a", "eda__b"]] if as_frame else X[:, :2]
    np.testing.assert_array_equal(student.predict_proba(X_student), proba)


def test_nan_in_the_students_own_inputs_is_refused():
    X, y = _data()
    X[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DistilledStudentClassifier(HistGradientBoostingClassifier(max_iter=5),
                                   student_inputs=[0, 1], max_epochs=1).fit(X, y)
