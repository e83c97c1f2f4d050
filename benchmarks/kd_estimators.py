"""Knowledge distillation benchmark: teacher on all inputs, student on a few.

Leave-one-subject-out (LOSO); macro-F1 and balanced accuracy, mean ± std over
held-out subjects; student and teacher size and single-window CPU latency; the
paired per-subject difference of every KD student to the same student without
KD (mean, wins, Wilcoxon signed-rank p).

Every model predicts with the balanced decision rule ``argmax_c p(c|x) / π_c``
(``π`` = class shares of the training subjects), the Bayes rule for balanced
accuracy, so that a model is not judged by how it trades the majority class
against the minority (Stress-Predict is 1/3 stress). Features are z-scored
within each subject with the statistics of its first 10 windows (a calibration
period: no label, no later window of a held-out subject; ``--no-subject-norm``
to skip).

(a) ``make_affective_dataset`` with EEG (privileged, informative) and EDA
    (wearable, weakly informative): EEG log band powers and EDA window
    statistics; fused MLP teacher (EEG + EDA); student MLP on EDA without KD
    (``alpha=0``), with soft targets, + feature matching to the teacher's EEG
    encoder, + EmotionKD feedback; a logistic regression on the student's
    inputs for reference. Two tables: labels that follow the latent state,
    and self-reports that disagree with it for 30 % of the episodes
    (``label_noise=0.3``; scored against the reports and, in an extra column,
    against the state). Under this generator every modality sees its own
    independent noisy view of the state, so the teacher's soft targets
    carry no information about the student's view that the labels lack: the
    student's ceiling is set by its view, and KD can only lower the variance of
    its training targets.
(b) ``load_stress_predict()`` (Empatica E4, 34 subjects): window statistics
    per channel (mean, std, min, max, slope); teacher = MLP on all wrist
    channels (EDA, TEMP, BVP, ACC), student = MLP on EDA+TEMP only, beside
    random forests on the student's and on all wrist inputs and a logistic
    regression on the student's inputs. Soft targets are in-sample (the
    teacher fitted on the training subjects) to keep the 34-fold run
    affordable on two cores.

The "no KD" student gets a :class:`~sklearn.dummy.DummyClassifier` teacher:
with ``alpha=0`` and no feature matching the teacher's outputs do not enter
the loss, so the student is bit-identical to one given the real teacher
(``tests/test_benchmark_kd.py`` checks it) and no unused network is fitted.

(c) The same synthetic data with scarce labels: in every fold only 10 % or
    25 % of the training windows keep their label. The teacher and the no-KD
    student learn from the labelled windows; the KD students
    (``semi_supervised=True``) also learn from the teacher's soft targets on
    the unlabeled windows — where the privileged EEG lets the teacher label
    what the student cannot.

Run ``python benchmarks/kd_estimators.py --quick`` for a small version
(fewer subjects/epochs), ``--part a``, ``b`` or ``c`` for one part.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skkd import Modalities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    LOSO,
    eeg_band_powers,
    format_table,
    latency_ms,
    n_params,
    per_subject_scores,
    results_folder,
    score_row,
    subject_zscore,
    take,
    window_statistics,
    write_results,
)
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402

NO_KD = "student, no KD (alpha=0)"
LABEL_NOISE = 0.3


class BalancedDecision(ClassifierMixin, BaseEstimator):
    """Predict ``argmax_c p(c|x) / π_c`` with ``π`` the training class shares.

    The Bayes decision for balanced accuracy given calibrated probabilities
    (prior correction / logit adjustment); ``fit`` forwards ``**fit_params``
    (e.g. ``groups``) to a clone of ``estimator``.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.r_[np.zeros(9), np.ones(3)].reshape(-1, 1); y = np.r_[[0] * 8, 1, [1] * 3]
    >>> BalancedDecision(LogisticRegression()).fit(X, y).predict([[0.0], [1.0]]).tolist()
    [0, 1]
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        y = np.asarray(y)
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.classes_ = self.estimator_.classes_
        labelled = y[np.isin(y, self.classes_)]  # without the -1 of unlabeled windows
        self.priors_ = np.array([np.mean(labelled == c) for c in self.classes_])
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X) / self.priors_, axis=1)]


def loso_predictions(estimator, X, y, groups, *, select=None, pass_groups=True):
    """Held-out predictions of every subject (LOSO) and the last fitted model."""
    pred = np.empty_like(y)
    fitted = None
    for train, test in LeaveOneGroupOut().split(np.zeros(len(y)), y, groups):
        est = BalancedDecision(estimator)
        Xtr, Xte = take(X, train), take(X, test)
        if select is not None:
            Xtr, Xte = select(Xtr), select(Xte)
        fit_params = {"groups": groups[train]} if pass_groups else {}
        fitted = est.fit(Xtr, y[train], **fit_params)
        pred[test] = est.predict(Xte)
    return pred, fitted


def paired_to(row_f1, base_f1) -> str:
    """Per-subject macro-F1 difference to the no-KD student: mean, wins, Wilcoxon p."""
    diff = np.asarray(row_f1) - np.asarray(base_f1)
    wins = int(np.sum(diff > 0))
    ties = int(np.sum(diff == 0))
    p = wilcoxon(diff).pvalue if np.any(diff != 0) else 1.0
    return f"{diff.mean():+.3f} ({wins}/{len(diff) - ties} subjects up, p={p:.2f})"


def run_models(dataset, models, X, y, groups, one_window, *, y_state=None):
    """LOSO rows (see ``_common.score_row``) with paired deltas to the no-KD student."""
    rows, f1_by = [], {}
    for name, (est, select, pass_groups) in models.items():
        t0 = time.perf_counter()
        pred, fitted = loso_predictions(est, X, y, groups, select=select,
                                        pass_groups=pass_groups)
        wall = time.perf_counter() - t0
        f1s, baccs = per_subject_scores(y, pred, groups)
        f1_by[name] = f1s
        X_one = select(one_window) if select is not None else one_window
        extra = {}
        if y_state is not None:
            state_baccs = per_subject_scores(y_state, pred, groups)[1]
            extra["balanced_accuracy_state"] = float(state_baccs.mean())
        rows.append(score_row(
            dataset, name, f1s, baccs, protocol=LOSO, n_params=n_params(fitted.estimator_),
            latency=latency_ms(lambda: fitted.predict_proba(X_one)), wall=wall, **extra))
        print(f"  {name}: macro-F1 {f1s.mean():.3f}, bal. acc. {baccs.mean():.3f} "
              f"({wall:.0f} s)", flush=True)
    for row in rows:
        is_student = row["method"].startswith("student") and row["method"] != NO_KD
        row["vs_no_kd"] = (paired_to(f1_by[row["method"]], f1_by[NO_KD])
                           if is_student and NO_KD in f1_by else "")
    return rows


def show(rows, title):
    text = format_table(rows, title)
    lines = text.splitlines()
    extra = pd.DataFrame({"method": [r["method"] for r in rows]})
    if any("balanced_accuracy_state" in r for r in rows):
        extra["bal. acc. vs state"] = [f"{r['balanced_accuracy_state']:.3f}" for r in rows]
    extra["macro-F1 − no KD, paired"] = [r["vs_no_kd"] or "-" for r in rows]
    print("\n".join(lines))
    print(extra.to_string(index=False))
    print(flush=True)


def _net(seed, **overrides):
    return dict(device="cpu", random_state=seed, module__width=32, module__dropout=0.2,
                optimizer__weight_decay=1e-2, **overrides)


def synthetic_inputs(n_subjects: int, n_windows: int, seed: int, subject_norm: bool,
                     label_noise: float = 0.0):
    """Synthetic EEG + EDA windows: EEG log band powers, EDA window statistics.

    Returns ``(data, X, y, groups)`` with ``X`` a :class:`~skkd.Modalities` of
    feature tables, z-scored within each subject when ``subject_norm``.
    """
    from skkd.datasets import make_affective_dataset

    data = make_affective_dataset(
        n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
        modalities=("eda", "eeg"), label_noise=label_noise, random_state=seed,
    )
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    eeg = pd.DataFrame(eeg_band_powers(data.X["eeg"], data.fs["eeg"]))
    eda = window_statistics(Modalities(eda=data.X["eda"]))
    if subject_norm:
        eeg, eda = subject_zscore(eeg, groups), subject_zscore(eda, groups)
    X = Modalities(eeg=eeg.to_numpy(np.float32), eda=eda.to_numpy(np.float32))
    return data, X, y, groups


# -- (a) synthetic, privileged EEG ---------------------------------------------
def part_a(quick: bool, seed: int, subject_norm: bool = True) -> list[dict]:
    n_subjects, n_windows = (4, 16) if quick else (12, 40)
    net = _net(seed, max_epochs=3 if quick else 60, lr=3e-3, batch_size=32)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda"], teacher_cv=2 if quick else 3, temperature=3.0, **net)
    lr = make_pipeline(StandardScaler(), LogisticRegression())
    models = {
        "teacher (EEG + EDA)": (teacher, None, True),
        "logistic regression, student inputs (EDA)": (lr, lambda X_: X_["eda"], False),
        NO_KD: (DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student), None, True),
        "student, soft targets": (
            DistilledStudentClassifier(teacher, alpha=0.7, **student), None, True),
        "student, + feature matching (EEG)": (
            DistilledStudentClassifier(teacher, alpha=0.7, feature_weights={"eeg": 1.0},
                                       **student), None, True),
        "student, + feedback": (
            DistilledStudentClassifier(teacher, alpha=0.7, feature_weights={"eeg": 1.0},
                                       feedback=True, feedback_every=10, feedback_steps=10,
                                       **student), None, True),
    }
    rows = []
    for label_noise in (0.0, LABEL_NOISE):
        data, X, y, groups = synthetic_inputs(n_subjects, n_windows, seed, subject_norm,
                                              label_noise=label_noise)
        labels = ("labels = latent state" if label_noise == 0 else
                  f"self-reports, label_noise={label_noise} "
                  f"({np.mean(data.y != data.y_state):.0%} of windows disagree with the state)")
        dataset = f"synthetic, label_noise={label_noise:g}"
        print(f"(a) {dataset}: {X!r}, {n_subjects} subjects", flush=True)
        table = run_models(dataset, models, X, y, groups, X[:1],
                           y_state=None if label_noise == 0 else np.asarray(data.y_state))
        show(table, f"(a) synthetic, {n_subjects} subjects × {n_windows} windows of 30 s, "
             f"{labels}; teacher: EEG log band powers + EDA statistics; student: EDA "
             f"statistics; {LOSO}")
        rows += table
    return rows


# -- (c) synthetic, scarce labels ---------------------------------------------
def hide_labels(y, fraction: float, random_state) -> np.ndarray:
    """``y`` with all but ``fraction`` of each class's labels replaced by -1 (seeded).

    >>> hide_labels(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 0.5, 0).tolist()
    [-1, -1, 0, 0, 1, -1, 1, -1]
    """
    y = np.asarray(y)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    rng = np.random.RandomState(random_state)
    hidden = y.copy()
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        n_keep = max(1, int(np.ceil(fraction * len(rows))))
        hidden[rng.permutation(rows)[n_keep:]] = -1
    return hidden


def part_c(quick: bool, seed: int, subject_norm: bool = True) -> list[dict]:
    """KD with few labels: the teacher labels the student's unlabeled windows.

    In every LOSO fold only ``fraction`` of the training windows keep their
    label (per class, seeded by the fold); the held-out subject is untouched.
    The teacher (EEG + EDA) and the no-KD student learn from the labelled
    windows only; the KD students (``semi_supervised=True``) also learn from
    the teacher's cross-fitted soft targets on the unlabeled windows.
    """
    n_subjects, n_windows = (4, 16) if quick else (12, 40)
    fractions = (0.25,) if quick else (0.1, 0.25)
    net = _net(seed, max_epochs=3 if quick else 60, lr=3e-3, batch_size=32)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda"], teacher_cv=2 if quick else 3, **net)
    models = {  # name: (estimator, fit on labelled windows only)
        "teacher (EEG + EDA)": (teacher, True),
        NO_KD: (DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student), True),
        "student, soft targets": (DistilledStudentClassifier(
            teacher, alpha=0.7, temperature=3.0, semi_supervised=True, **student), False),
        "student, + feature matching (EEG)": (DistilledStudentClassifier(
            teacher, alpha=0.7, temperature=3.0, feature_weights={"eeg": 1.0},
            semi_supervised=True, **student), False),
    }
    _, X, y, groups = synthetic_inputs(n_subjects, n_windows, seed, subject_norm)
    folds = list(LeaveOneGroupOut().split(np.zeros(len(y)), y, groups))
    rows = []
    for fraction in fractions:
        dataset = f"synthetic, {fraction:.0%} of training labels"
        print(f"(c) {dataset}: {X!r}, {n_subjects} subjects", flush=True)
        table, f1_by = [], {}
        for name, (est, labelled_only) in models.items():
            t0 = time.perf_counter()
            pred = np.empty_like(y)
            for k, (train, test) in enumerate(folds):
                y_train = hide_labels(y[train], fraction, random_state=seed * 1000 + k)
                keep = y_train != -1 if labelled_only else np.ones(len(train), bool)
                fitted = BalancedDecision(est).fit(X[train[keep]], y_train[keep],
                                                   groups=groups[train[keep]])
                pred[test] = fitted.predict(X[test])
            wall = time.perf_counter() - t0
            f1s, baccs = per_subject_scores(y, pred, groups)
            f1_by[name] = f1s
            table.append(score_row(
                dataset, name, f1s, baccs, protocol=LOSO, n_params=n_params(fitted.estimator_),
                latency=latency_ms(lambda: fitted.predict_proba(X[:1])), wall=wall,
                label_fraction=fraction))
            print(f"  {name}: macro-F1 {f1s.mean():.3f}, bal. acc. {baccs.mean():.3f} "
                  f"({wall:.0f} s)", flush=True)
        for row in table:
            is_student = row["method"].startswith("student") and row["method"] != NO_KD
            row["vs_no_kd"] = paired_to(f1_by[row["method"]], f1_by[NO_KD]) if is_student else ""
        show(table, f"(c) synthetic, {n_subjects} subjects × {n_windows} windows of 30 s, "
             f"{fraction:.0%} of each training fold's labels kept; teacher and no-KD student "
             f"on the labelled windows, KD students on all; {LOSO}")
        rows += table
    return rows


# -- (b) Stress-Predict, wrist channels ----------------------------------------
def part_b(quick: bool, seed: int, subject_norm: bool = True) -> list[dict]:
    from skkd.datasets import load_stress_predict

    data = load_stress_predict()
    X, y, groups = data.X, np.asarray(data.y), np.asarray(data.groups)
    if quick:
        keep = np.isin(groups, np.unique(groups)[:3])
        X, y, groups = X[keep], y[keep], groups[keep]
    F = window_statistics(X)
    if subject_norm:
        F = subject_zscore(F, groups)
    net = _net(seed, max_epochs=3 if quick else 40, lr=3e-3, batch_size=256)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda", "temp"], temperature=2.0,
                   teacher_targets="in_sample", **net)
    student_cols = [c for c in F.columns if c.startswith(("eda__", "temp__"))]
    rf = RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=1, random_state=seed)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    by_cols = lambda F_: F_[student_cols]  # noqa: E731
    models = {
        "RF, all wrist (EDA, TEMP, BVP, ACC)": (rf, None, False),
        "RF, student inputs (EDA, TEMP)": (rf, by_cols, False),
        "logistic regression, student inputs": (lr, by_cols, False),
        "teacher MLP, all wrist": (teacher, None, True),
        NO_KD: (DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student), None, True),
        "student, soft targets": (
            DistilledStudentClassifier(teacher, alpha=0.5, **student), None, True),
        "student, + feature matching": (
            DistilledStudentClassifier(teacher, alpha=0.5, feature_weights=1.0, **student),
            None, True),
    }
    dataset = "Stress-Predict (E4) wrist"
    print(f"(b) {dataset}: {X!r}, {len(np.unique(groups))} subjects, "
          f"{F.shape[1]} window statistics", flush=True)
    rows = run_models(dataset, models, F, y, groups, F.iloc[:1])
    show(rows, f"(b) Stress-Predict (E4), {len(np.unique(groups))} subjects, {len(y)} windows "
         f"of 60 s; window statistics" + (", z-scored per subject on its first 10 windows" if subject_norm
                                          else "") + f"; {LOSO}")
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast version")
    parser.add_argument("--part", choices=["a", "b", "c", "both", "all"], default="all",
                        help="a: synthetic, b: Stress-Predict, c: synthetic with scarce "
                        "labels; both = a and b; all = a, b and c")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-subject-norm", action="store_true",
                        help="raw window statistics, no per-subject z-scoring")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    rows = []
    norm = not args.no_subject_norm
    if args.part in ("a", "both", "all"):
        rows += part_a(args.quick, args.seed, subject_norm=norm)
    if args.part in ("c", "all"):
        rows += part_c(args.quick, args.seed, subject_norm=norm)
    if args.part in ("b", "both", "all"):
        rows += part_b(args.quick, args.seed, subject_norm=norm)
    name = "kd_estimators" + ("_quick" if args.quick else "") + (
        "" if args.part == "all" else f"_{args.part}") + (
        "_no_subject_norm" if args.no_subject_norm else "")
    csv_path, json_path = write_results(rows, name, out, quick=args.quick, seed=args.seed,
                                        part=args.part, subject_norm=not args.no_subject_norm)
    print(f"wrote {csv_path} and {json_path}")
    return rows


if __name__ == "__main__":
    main()
