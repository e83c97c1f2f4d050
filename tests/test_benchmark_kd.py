"""Smoke tests of ``benchmarks/kd_estimators.py`` and the claims its tables lean on."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from skkd import Modalities
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def kd():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("kd_estimators", BENCHMARKS / "kd_estimators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_balanced_decision_divides_by_training_priors(kd):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + rng.normal(size=400) > 1.2).astype(int)  # about 1/5 positives
    plain = LogisticRegression().fit(X, y)
    balanced = kd.BalancedDecision(LogisticRegression()).fit(X, y)
    np.testing.assert_allclose(balanced.priors_, np.bincount(y) / len(y))
    np.testing.assert_allclose(balanced.predict_proba(X), plain.predict_proba(X))
    expected = np.argmax(plain.predict_proba(X) / balanced.priors_, axis=1)
    np.testing.assert_array_equal(balanced.predict(X), expected)
    score = balanced_accuracy_score
    assert score(y, balanced.predict(X)) > score(y, plain.predict(X))


def test_no_kd_student_ignores_its_teacher(kd):
    """alpha=0 without feature matching: a Dummy teacher gives a bit-identical student."""
    rng = np.random.default_rng(1)
    X = Modalities(eeg=rng.normal(size=(60, 4)).astype(np.float32),
                   eda=rng.normal(size=(60, 3)).astype(np.float32))
    y = (X["eeg"][:, 0] > 0).astype(int)
    groups = np.repeat(["a", "b", "c"], 20)
    net = dict(max_epochs=3, batch_size=16, device="cpu", random_state=0)
    real = DistilledStudentClassifier(TeacherClassifier(**net), student_inputs=["eda"],
                                      alpha=0.0, **net).fit(X, y, groups=groups)
    dummy = DistilledStudentClassifier(DummyClassifier(), student_inputs=["eda"],
                                       alpha=0.0, **net).fit(X, y, groups=groups)
    np.testing.assert_array_equal(real.predict_proba(X), dummy.predict_proba(X))


def test_paired_difference_counts_wins(kd):
    text = kd.paired_to([0.6, 0.7, 0.5, 0.8], [0.5, 0.7, 0.6, 0.6])
    assert text.startswith("+0.050 (2/3 subjects up, p=")


def test_quick_run_prints_both_synthetic_tables(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "kd_estimators.py"), "--quick", "--part", "a",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "labels = latent state" in proc.stdout and "label_noise=0.3" in proc.stdout
    table = pd.read_csv(tmp_path / "kd_estimators_quick_a.csv")
    assert len(table) == 12 and table["dataset"].nunique() == 2
    assert table["macro_f1_mean"].between(0, 1).all()
    noisy = table[table["dataset"].str.contains("0.3")]
    assert noisy["balanced_accuracy_state"].between(0, 1).all()
    students = table[table["method"].str.startswith("student") & (table["vs_no_kd"].notna())]
    assert len(students) == 6 and students["vs_no_kd"].str.contains("subjects up").all()


def test_hide_labels_keeps_a_seeded_share_of_each_class(kd):
    y = np.repeat([0, 1, 2], [40, 20, 8])
    hidden = kd.hide_labels(y, 0.25, random_state=3)
    assert [int(np.sum(hidden == c)) for c in (0, 1, 2)] == [10, 5, 2]
    assert np.all((hidden == y) | (hidden == -1))
    np.testing.assert_array_equal(hidden, kd.hide_labels(y, 0.25, random_state=3))
    assert not np.array_equal(hidden, kd.hide_labels(y, 0.25, random_state=4))
    with pytest.raises(ValueError, match="fraction"):
        kd.hide_labels(y, 0.0, random_state=0)


def test_balanced_decision_priors_ignore_unlabeled_windows(kd):
    from sklearn.semi_supervised import SelfTrainingClassifier

    X = np.arange(12.0).reshape(-1, 1)
    y = np.array([0, 0, 0, 1, -1, -1, -1, -1, -1, -1, -1, 1])  # -1: unlabeled
    fitted = kd.BalancedDecision(SelfTrainingClassifier(LogisticRegression())).fit(X, y)
    assert list(fitted.classes_) == [0, 1]
    np.testing.assert_allclose(fitted.priors_, [0.6, 0.4])


def test_quick_scarce_label_part(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "kd_estimators.py"), "--quick", "--part", "c",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(tmp_path / "kd_estimators_quick_c.csv")
    assert set(table["label_fraction"]) == {0.25}
    assert table["method"].str.startswith("student").sum() == 3
    kd_rows = table[table["method"].str.contains("soft|feature")]
    assert kd_rows["vs_no_kd"].str.contains("subjects up").all()
