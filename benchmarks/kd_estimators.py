"""Knowledge distillation benchmark: teacher on all inputs, student on a few.

Leave-one-subject-out (LOSO); macro-F1 and balanced accuracy, mean ± std over
held-out subjects; network size and single-window CPU latency.

(a) ``make_affective_dataset`` with EEG (privileged, informative) and EDA
    (wearable, weakly informative): EEG log band powers and EDA window
    statistics, fused MLP teacher (EEG+EDA); student MLP on EDA without KD
    (``alpha=0``), with soft targets, + feature matching to the teacher's EEG
    encoder, + EmotionKD feedback.
(b) ``load_stress_predict()`` (Empatica E4, 34 subjects): simple window
    statistics per channel (mean, std, min, max, slope), z-scored within each
    subject from its unlabeled windows (``--no-subject-norm`` to skip); teacher = MLP on all
    wrist channels (EDA, TEMP, BVP, ACC), student = MLP on EDA+TEMP only,
    beside random forests on the student's and on all wrist inputs.

Run ``python benchmarks/kd_estimators.py --quick`` for a small version
(fewer subjects/epochs), ``--part a`` or ``--part b`` for one table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import LeaveOneGroupOut

from skkd import Modalities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import eeg_band_powers, subject_zscore, window_statistics  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier


def loso(estimator, X, y, groups, *, select=None, pass_groups=True):
    """Per-subject macro-F1 and balanced accuracy (LOSO)."""
    f1s, baccs = [], []
    fitted = None
    for train, test in LeaveOneGroupOut().split(np.zeros(len(y)), y, groups):
        est = clone(estimator)
        Xtr = _take(X, train)
        Xte = _take(X, test)
        if select is not None:
            Xtr, Xte = select(Xtr), select(Xte)
        if pass_groups:
            est.fit(Xtr, y[train], groups=groups[train])
        else:
            est.fit(Xtr, y[train])
        pred = est.predict(Xte)
        f1s.append(f1_score(y[test], pred, average="macro"))
        baccs.append(balanced_accuracy_score(y[test], pred))
        fitted = est
    return np.array(f1s), np.array(baccs), fitted, Xte


def _take(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def latency_ms(estimator, X_one, repeats=50) -> float:
    """Median wall time of predict_proba on one window, in ms (one CPU thread)."""
    estimator.predict_proba(X_one)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        estimator.predict_proba(X_one)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def n_params(estimator) -> str:
    if hasattr(estimator, "n_params_"):
        return str(estimator.n_params_)
    if hasattr(estimator, "estimators_"):
        nodes = sum(t.tree_.node_count for t in estimator.estimators_)
        return f"{nodes} nodes"
    return "-"


def row(name, f1, bacc, est, X_one, seconds):
    return {
        "model": name,
        "macro-F1": f"{f1.mean():.3f} ± {f1.std():.3f}",
        "bal. acc.": f"{bacc.mean():.3f} ± {bacc.std():.3f}",
        "params": n_params(est),
        "latency 1 window [ms]": f"{latency_ms(est, X_one):.2f}",
        "LOSO time [s]": f"{seconds:.0f}",
    }


def run_models(models, X, y, groups, one_window):
    rows = []
    for name, (est, select, pass_groups) in models.items():
        t0 = time.perf_counter()
        f1, bacc, fitted, _ = loso(est, X, y, groups, select=select, pass_groups=pass_groups)
        seconds = time.perf_counter() - t0
        X_one = select(one_window) if select is not None else one_window
        rows.append(row(name, f1, bacc, fitted, X_one, seconds))
        print(f"  {name}: macro-F1 {f1.mean():.3f}, bal. acc. {bacc.mean():.3f} "
              f"({seconds:.0f} s)", flush=True)
    return pd.DataFrame(rows)


# -- (a) synthetic, privileged EEG ---------------------------------------------
def part_a(quick: bool, seed: int) -> pd.DataFrame:
    from skkd.datasets import make_affective_dataset

    n_subjects, n_windows = (6, 30) if quick else (12, 40)
    data = make_affective_dataset(
        n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
        modalities=("eda", "eeg"), random_state=seed,
    )
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    # EEG band powers (privileged, lab) and simple EDA window statistics (wearable)
    X = Modalities(
        eeg=eeg_band_powers(data.X["eeg"], data.fs["eeg"]),
        eda=window_statistics(Modalities(eda=data.X["eda"])).to_numpy(),
    )
    epochs = 30 if quick else 60
    net = dict(max_epochs=epochs, lr=3e-3, batch_size=32, device="cpu", random_state=seed,
               module__width=32, module__dropout=0.2, optimizer__weight_decay=1e-2)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda"], teacher_cv=3, temperature=3.0, **net)
    models = {
        "teacher (EEG + EDA)": (teacher, None, True),
        "student EDA, no KD (alpha=0)": (
            DistilledStudentClassifier(teacher, alpha=0.0, **student), None, True),
        "student EDA, soft targets": (
            DistilledStudentClassifier(teacher, alpha=0.7, **student), None, True),
        "student EDA, + feature matching (EEG)": (
            DistilledStudentClassifier(teacher, alpha=0.7, feature_weights={"eeg": 1.0},
                                       **student), None, True),
        "student EDA, in-sample targets (a=0.3, T=4) + FM": (
            DistilledStudentClassifier(teacher, alpha=0.3, feature_weights={"eeg": 0.5},
                                       **{**student, "temperature": 4.0,
                                          "teacher_targets": "in_sample"}), None, True),
        "student EDA, + feedback": (
            DistilledStudentClassifier(teacher, alpha=0.7, feature_weights={"eeg": 1.0},
                                       feedback=True, feedback_every=10, feedback_steps=10,
                                       **student), None, True),
    }
    print(f"(a) make_affective_dataset: {X!r}, {len(np.unique(groups))} subjects", flush=True)
    table = run_models(models, X, y, groups, X[:1])
    table.attrs["title"] = (
        f"(a) synthetic, {n_subjects} subjects × {n_windows} windows of 30 s; teacher: EEG "
        "log band powers + EDA statistics; student: EDA statistics; LOSO"
    )
    return table


# -- (b) Stress-Predict, wrist channels ----------------------------------------
def part_b(quick: bool, seed: int, subject_norm: bool = True) -> pd.DataFrame:
    from skkd.datasets import load_stress_predict

    data = load_stress_predict()
    X, y, groups = data.X, np.asarray(data.y), np.asarray(data.groups)
    if quick:
        keep = np.isin(groups, np.unique(groups)[:8])
        X, y, groups = X[keep], y[keep], groups[keep]
    F = window_statistics(X)
    if subject_norm:
        F = subject_zscore(F, groups)
    epochs = 20 if quick else 40
    net = dict(max_epochs=epochs, lr=1e-3, batch_size=64, device="cpu", random_state=seed,
               module__width=32, module__dropout=0.2, optimizer__weight_decay=1e-2)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda", "temp"], teacher_cv=3, temperature=3.0, **net)
    student_cols = [c for c in F.columns if c.startswith(("eda__", "temp__"))]
    rf = RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=1, random_state=seed)
    by_cols = lambda F_: F_[student_cols]  # noqa: E731
    models = {
        "RF, all wrist (EDA, TEMP, BVP, ACC)": (rf, None, False),
        "RF, student inputs (EDA, TEMP)": (rf, by_cols, False),
        "teacher MLP, all wrist": (teacher, None, True),
        "student MLP EDA+TEMP, no KD (alpha=0)": (
            DistilledStudentClassifier(teacher, alpha=0.0, **student), None, True),
        "student, soft targets (MLP teacher)": (
            DistilledStudentClassifier(teacher, alpha=0.7, **student), None, True),
        "student, soft targets (RF teacher)": (
            DistilledStudentClassifier(rf, alpha=0.7, **student), None, True),
        "student, in-sample targets (a=0.3, T=4) + FM": (
            DistilledStudentClassifier(teacher, alpha=0.3, feature_weights=0.5,
                                       **{**student, "temperature": 4.0,
                                          "teacher_targets": "in_sample"}), None, True),
        "student, + feature matching": (
            DistilledStudentClassifier(teacher, alpha=0.7, feature_weights=1.0, **student),
            None, True),
    }
    print(f"(b) Stress-Predict: {X!r}, {len(np.unique(groups))} subjects, "
          f"{F.shape[1]} window statistics", flush=True)
    table = run_models(models, F, y, groups, F.iloc[:1])
    table.attrs["title"] = (
        f"(b) Stress-Predict (E4), {len(np.unique(groups))} subjects, {len(y)} windows of 60 s; "
        "LOSO; simple window statistics"
        + (", z-scored within each subject (unlabeled)" if subject_norm else "")
    )
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast version")
    parser.add_argument("--part", choices=["a", "b", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-subject-norm", action="store_true",
                        help="(b): raw window statistics, no per-subject z-scoring")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tables = []
    if args.part in ("a", "both"):
        tables.append(part_a(args.quick, args.seed))
    if args.part in ("b", "both"):
        tables.append(part_b(args.quick, args.seed, subject_norm=not args.no_subject_norm))
    for table in tables:
        print()
        print(table.attrs["title"])
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
