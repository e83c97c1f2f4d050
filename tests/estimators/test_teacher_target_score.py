"""``teacher_target_score_``: how good the soft targets are, out of subject when cross-fitted."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkd.estimators import DistilledStudentClassifier

FAST = dict(max_epochs=2, random_state=0, device="cpu")


def test_in_sample_score_is_the_teachers_training_score():
    rng = np.random.RandomState(0)
    X = rng.randn(120, 5)
    y = (X[:, 0] + 0.5 * rng.randn(120) > 0).astype(int)
    student = DistilledStudentClassifier(LogisticRegression(), student_inputs=[0, 1],
                                         teacher_targets="in_sample", **FAST).fit(X, y)
    expected = balanced_accuracy_score(y, student.teacher_.predict(X))
    assert student.teacher_target_score_ == pytest.approx(expected, abs=1e-12)


def test_cross_fitted_score_does_not_reward_a_teacher_that_memorises():
    # more noise columns than windows, 10 subjects: LR separates its training windows
    # but knows nothing
    rng = np.random.RandomState(1)
    X = rng.randn(100, 120)
    y = rng.randint(0, 2, 100)
    groups = np.repeat(np.arange(10), 10)
    fit = lambda targets: DistilledStudentClassifier(  # noqa: E731
        LogisticRegression(C=100.0, max_iter=2000), student_inputs=[0, 1],
        teacher_targets=targets, **FAST).fit(X, y, groups=groups)
    assert fit("in_sample").teacher_target_score_ > 0.95
    assert abs(fit("cross_fit").teacher_target_score_ - 0.5) < 0.15


def test_real_stressid_a_teacher_that_does_not_know_the_task_is_flagged(data_home):
    """StressID speech tasks: physiology recognises the 7 tasks worse than the voice does.

    The score a user reads off the fitted student (the physiology teacher's
    cross-fitted targets) is below what the student's own inputs reach under
    the same grouped protocol, the case ``docs/when_kd_helps.rst`` warns of.
    """
    from skkd.datasets import load_stressid_features

    data = load_stressid_features(data_home, target="task",
                                  modalities=("ecg", "resp", "eda", "audio"))
    audio = [c for c in data.X.columns if c.startswith("audio__")]
    physiology = [c for c in data.X.columns if not c.startswith("audio__")]
    teacher = make_pipeline(ColumnTransformer([("physiology", StandardScaler(), physiology)]),
                            LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced"))
    student = DistilledStudentClassifier(teacher, student_inputs=audio, **FAST)
    student.fit(data.X, data.y, groups=data.groups)
    voice = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000,
                                                           class_weight="balanced")),
        data.X[audio], data.y, groups=data.groups, cv=GroupKFold(5),
        scoring="balanced_accuracy").mean()
    assert 1 / 7 < student.teacher_target_score_ < voice - 0.05
