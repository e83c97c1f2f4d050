"""Smoke tests of ``benchmarks/kd_estimators.py`` and the claims its tables lean on."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skkd import Modalities
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from _bench import BENCHMARKS, load_script



@pytest.fixture(scope="module")
def kd():
    return load_script("kd_estimators")


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


def test_quick_run_prints_both_synthetic_tables(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "kd_estimators.py"), "--quick", "--part", "a",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "labels = latent state" in proc.stdout and "label_noise=0.3" in proc.stdout
    assert "Holm-corrected" in proc.stdout and "first 10 windows" in proc.stdout
    table = pd.read_csv(tmp_path / "kd_estimators_quick_a.csv")
    assert len(table) == 14 and table["dataset"].nunique() == 2  # 6 rows + chance, twice
    assert table["macro_f1_mean"].between(0, 1).all()
    assert (table["reference"] == "student, no KD (alpha=0)").all()
    noisy = table[table["dataset"].str.contains("0.3") & (table["method"] != "chance")]
    assert noisy["balanced_accuracy_state"].between(0, 1).all()
    students = table[table["method"].str.startswith("student")
                     & (table["method"] != "student, no KD (alpha=0)")]
    assert len(students) == 6 and students["balanced_accuracy_p_holm"].between(0, 1).all()


def test_hide_labels_keeps_a_seeded_share_of_each_class(kd):
    y = np.repeat([0, 1, 2], [40, 20, 8])
    hidden = kd.hide_labels(y, 0.25, random_state=3)
    assert [int(np.sum(hidden == c)) for c in (0, 1, 2)] == [10, 5, 2]
    assert np.all((hidden == y) | (hidden == -1))
    np.testing.assert_array_equal(hidden, kd.hide_labels(y, 0.25, random_state=3))
    assert not np.array_equal(hidden, kd.hide_labels(y, 0.25, random_state=4))
    with pytest.raises(ValueError, match="fraction"):
        kd.hide_labels(y, 0.0, random_state=0)


def test_scarce_labels_fits_on_the_kept_labels_only(kd):
    X = np.arange(40.0).reshape(-1, 1)
    y = np.r_[np.zeros(20, int), np.ones(20, int)]
    seen = {}

    class Spy(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen["y"] = np.asarray(y)
            return super().fit(X, y)

    kd.ScarceLabels(Spy(), 0.25, random_state=1).fit(X, y)
    assert len(seen["y"]) == 10 and set(seen["y"]) == {0, 1}
    kd.ScarceLabels(Spy(), 0.25, labelled_only=False, random_state=1).fit(X, y)
    assert len(seen["y"]) == 40 and np.sum(seen["y"] == -1) == 30


def _toy_modalities(n_per=16, subjects="abc"):
    rng = np.random.default_rng(0)
    groups = np.repeat(list(subjects), n_per)
    y = np.tile(np.r_[np.zeros(n_per // 2, int), np.ones(n_per - n_per // 2, int)], len(subjects))
    X = Modalities(eeg=(rng.normal(size=(len(y), 4)) + y[:, None]).astype(np.float32),
                   eda=(rng.normal(size=(len(y), 3)) + 0.5 * y[:, None]).astype(np.float32))
    return X, y, groups


def _held_out_predictions_ignore_labels(models, X, y, groups, held="c"):
    """Predictions of ``held`` with its true and with permuted labels (one fold: ``held`` out)."""
    import torch
    from sklearn.model_selection import PredefinedSplit

    from skkd.model_selection import compare

    torch.set_num_threads(1)
    cv = PredefinedSplit(np.where(groups == held, 0, -1))
    permuted = y.copy()
    mask = groups == held
    permuted[mask] = np.random.default_rng(0).permutation(y[mask])[::-1]
    assert not np.array_equal(permuted, y)
    kwargs = dict(cv=cv, seeds=(0,), chance=None, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The groups parameter is ignored")
        a = compare(models, X, y, groups, **kwargs).predictions
        b = compare(models, X, permuted, groups, **kwargs).predictions
    for name in models:
        pa = a.loc[a["model"] == name, "y_pred"].to_numpy()
        pb = b.loc[b["model"] == name, "y_pred"].to_numpy()
        assert len(pa) == mask.sum()
        np.testing.assert_array_equal(pa, pb, err_msg=name)


def test_part_a_and_c_models_never_read_held_out_labels(kd):
    """Permuting the held-out subject's labels leaves its predictions bit-identical."""
    X, y, groups = _toy_modalities()
    _held_out_predictions_ignore_labels(kd.part_a_models(quick=True), X, y, groups)
    _held_out_predictions_ignore_labels(kd.part_c_models(quick=True, fraction=0.5),
                                        X, y, groups)


def test_part_b_models_never_read_held_out_labels(kd):
    X, y, groups = _toy_modalities()
    cols = {f"{m}__ch0_{s}": X["eda" if m in ("eda", "temp") else "eeg"][:, i % 3]
            for i, (m, s) in enumerate([(m, s) for m in ("eda", "temp", "bvp", "acc")
                                        for s in ("mean", "std")])}
    F = pd.DataFrame(cols)
    models = kd.part_b_models(list(F.columns), quick=True)
    assert [n for n in models if "in-sample" in n] == [
        "extra: student, soft targets, in-sample targets"]
    _held_out_predictions_ignore_labels(models, F, y, groups)


def test_one_decision_rule_and_cross_fitted_kd(kd):
    for models in (kd.part_a_models(True), kd.part_b_models(["eda__x", "acc__y"], True),
                   kd.part_c_models(True, 0.25)):
        for name, model in models.items():
            weights = {k: v for k, v in model.get_params(deep=True).items()
                       if k.endswith("class_weight")}
            assert weights and set(weights.values()) == {"balanced"}, name
            student = model.estimator if isinstance(model, kd.ScarceLabels) else model
            if isinstance(student, DistilledStudentClassifier) and student.alpha > 0:
                expected = "in_sample" if "in-sample" in name else "cross_fit"
                assert student.teacher_targets == expected, name


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
    assert kd_rows["macro_f1_p_holm"].between(0, 1).all()
