"""Knowledge distillation benchmark: teacher on all inputs, student on a few.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/kd_estimators.py --quick            # smoke run, all parts
    .venv/bin/python benchmarks/kd_estimators.py --part b           # Stress-Predict, full
    .venv/bin/python benchmarks/kd_estimators.py --part b --folds 5 # GroupKFold(5), cheaper

Protocol (deployable, DESIGN §7; every table through
:func:`skkd.model_selection.compare`)
    Leave-one-subject-out by default (``--folds K``: ``GroupKFold(K)`` by
    subject); macro-F1 and balanced accuracy of each held-out subject with the
    global label set, averaged over seeds, then mean ± std over subjects; a
    chance row (stratified guessing, 20 draws); two-sided Wilcoxon
    signed-rank tests over subjects of every row against the **no-KD student**
    (the reference row), Holm-corrected. Every row over seeds 0..4
    (``--seeds``; each seed goes into every ``random_state``: networks, forests,
    cross-fitting folds).
Normalisation
    Features are z-scored within each subject with the statistics of its
    **first 10 windows** in time order (``SubjectStandardScaler(calibration=10)``
    through ``_common.subject_zscore``): no label and none of a subject's later
    windows is read, so it is applied once up front (equal to scaling inside
    every fold). ``--calibration all`` is the transductive variant (each row
    is then named "transductive"); ``--no-subject-norm``: raw features.
Decision rule
    ``class_weight="balanced"`` on every row (teacher and student networks,
    random forests, logistic regressions).
KD
    Soft targets are **cross-fitted** (``teacher_targets="cross_fit"``,
    ``teacher_cv=3`` folds grouped by training subject; 2 in ``--quick``): each
    training window's soft target comes from a teacher that did not see its
    subject; feature matching uses the teacher fitted on all training subjects
    (as :class:`~skkd.estimators.DistilledStudentClassifier` does). Each KD row
    fits its own teacher in every fold. Part (b) adds one labelled extra row
    with in-sample targets (what this script reported before issue 13). The
    "no KD" student gets a :class:`~sklearn.dummy.DummyClassifier` teacher:
    with ``alpha=0`` and no feature matching the teacher's outputs do not
    enter the loss, so the student is bit-identical to one given the real
    teacher (``tests/test_benchmark_kd.py`` checks it) and no unused network
    is fitted.
Settings (fixed a priori, unchanged from the earlier version of this script;
nothing is selected on the reported splits)
    MLPs of width 32, dropout 0.2, AdamW weight decay 1e-2, lr 3e-3; (a), (c):
    60 epochs, batch 32, ``alpha=0.7, T=3``; (b): 40 epochs, batch 256,
    ``alpha=0.5, T=2``; random forests 200 trees, ``min_samples_leaf=5``.

(a) ``make_affective_dataset`` (12 subjects × 40 windows of 30 s) with EEG
    (privileged, informative) and EDA (wearable, weakly informative): EEG log
    band powers and EDA window statistics; fused MLP teacher (EEG + EDA);
    student MLP on EDA without KD (``alpha=0``), with soft targets, + feature
    matching to the teacher's EEG encoder, + EmotionKD feedback; a logistic
    regression on the student's inputs for reference. Two tables: labels that
    follow the latent state, and self-reports that disagree with it for 30 %
    of the episodes (``label_noise=0.3``; scored against the reports and, in
    an extra column, against the state). Under this generator every modality
    sees its own independent noisy view of the state, so the teacher's soft
    targets carry no information about the student's view that the labels
    lack: the student's ceiling is set by its view, and KD can only lower the
    variance of its training targets.
(b) ``load_stress_predict()`` (Empatica E4, 34 subjects, 3,695 windows of
    60 s): window statistics per channel (mean, std, min, max, slope);
    teacher = MLP on all wrist channels (EDA, TEMP, BVP, ACC), student = MLP
    on EDA+TEMP only, beside random forests on the student's and on all wrist
    inputs and a logistic regression on the student's inputs.
(c) The same synthetic data with scarce labels: in every fold only 10 % or
    25 % of the training windows keep their label (per class, drawn inside
    each fit from the seed). The teacher and the no-KD student learn from the
    labelled windows; the KD students (``semi_supervised=True``) also learn
    from the teacher's cross-fitted soft targets on the unlabeled windows —
    where the privileged EEG lets the teacher label what the student cannot.

Cost (2 shared cores): ``--quick`` 1-3 min; ``--part b --folds 5`` about
20-30 min; ``--part b`` (LOSO, 34 folds × 5 seeds, about 2,700 network fits)
several hours, ``--part a`` about 1 h, ``--part c`` about 1 h: use
``--n-jobs`` on a bigger machine.

``--quick``: (a), (c) 4 subjects × 16 windows, (b) 4 subjects; 3 epochs,
seed 0, ``teacher_cv=2``: a smoke run, indicative of nothing.
"""

from __future__ import annotations

import argparse
import operator
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from skkd import Modalities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    add_protocol_arguments,
    compare_rows,
    eeg_band_powers,
    fit_once,
    normalisation_name,
    protocol_from_arguments,
    subject_cv,
    subject_zscore,
    take,
    window_statistics,
    write_results,
)
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.model_selection import compare  # noqa: E402

NO_KD = "student, no KD (alpha=0)"
LABEL_NOISE = 0.3
SEEDS = 5
#: cross-fitting folds of the KD rows (grouped by training subject)
TEACHER_CV = 3
DECISION = "class_weight='balanced' on every row"


def _net(quick: bool, epochs: int, batch_size: int) -> dict:
    """Network settings shared by every teacher and student of a part (seeded by compare)."""
    return dict(device="cpu", random_state=0, module__width=32, module__dropout=0.2,
                optimizer__weight_decay=1e-2, lr=3e-3, batch_size=batch_size,
                max_epochs=3 if quick else epochs, class_weight="balanced")


def _named(models: dict, calibration) -> dict:
    """Every row named "transductive" when the normalisation reads all windows."""
    if calibration != "all":
        return models
    return {f"{name} [transductive]": m for name, m in models.items()}


def _reference(calibration) -> str:
    return NO_KD + (" [transductive]" if calibration == "all" else "")


def _normalisation(calibration) -> str:
    if calibration is None:
        return "none (raw window statistics)"
    return (f"{normalisation_name(calibration)} (SubjectStandardScaler(calibration="
            f"{calibration!r}), label-free, applied once up front"
            + ("" if calibration == "all" else ": equal to scaling inside each fold") + ")")


def _run(models, X, y, groups, *, args, dataset, notes, calibration):
    """One table through compare (seeds, chance row, Holm-corrected tests vs the no-KD student)."""
    seeds = tuple(range(1 if args.quick and args.seeds == SEEDS else args.seeds))
    return compare(
        _named(models, calibration), X, y, groups, cv=subject_cv(args.folds), seeds=seeds,
        scoring=("balanced_accuracy", "macro_f1"), reference=_reference(calibration),
        n_jobs=args.n_jobs, verbose=1 if sys.stderr.isatty() else 0, dataset=dataset,
        normalisation=_normalisation(calibration),
        notes=f"decision rule: {DECISION}; {notes}; settings fixed in "
              "benchmarks/kd_estimators.py" + ("; --quick: a smoke run" if args.quick else ""),
    )


def _protocol(args) -> str:
    return "LOSO by subject" if not args.folds else f"GroupKFold({args.folds}) by subject"


def state_scores(result, y_state, groups) -> dict:
    """Balanced accuracy of every row against the latent state (mean over subjects).

    Each subject's score is averaged over seeds first, as in the main table.
    """
    from skkd.model_selection import SCORES

    labels = np.unique(y_state)
    out = {}
    preds = result.predictions
    for model, frame in preds.groupby("model", sort=False):
        per = []
        for (_, subject), f in frame.groupby(["seed", "subject"], sort=False):
            per.append((subject, SCORES["balanced_accuracy"](
                np.asarray(y_state)[f["row"].to_numpy()], f["y_pred"].to_numpy(), labels)))
        per = pd.DataFrame(per, columns=["subject", "score"]).groupby("subject")["score"].mean()
        out[model] = float(per.mean())
    return out


def synthetic_inputs(n_subjects: int, n_windows: int, seed: int, calibration=10,
                     label_noise: float = 0.0):
    """Synthetic EEG + EDA windows: EEG log band powers, EDA window statistics.

    Returns ``(data, X, y, groups)`` with ``X`` a :class:`~skkd.Modalities` of
    feature tables, z-scored within each subject from its first ``calibration``
    windows (``None``: not at all; ``"all"``: transductive).
    """
    from skkd.datasets import make_affective_dataset

    data = make_affective_dataset(
        n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
        modalities=("eda", "eeg"), label_noise=label_noise, random_state=seed,
    )
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    eeg = pd.DataFrame(eeg_band_powers(data.X["eeg"], data.fs["eeg"]))
    eda = window_statistics(Modalities(eda=data.X["eda"]))
    if calibration is not None:
        t = data.meta["t_start"].to_numpy()
        eeg = subject_zscore(eeg, groups, calibration=calibration, time=t)
        eda = subject_zscore(eda, groups, calibration=calibration, time=t)
    X = Modalities(eeg=eeg.to_numpy(np.float32), eda=eda.to_numpy(np.float32))
    return data, X, y, groups


# -- (a) synthetic, privileged EEG ---------------------------------------------
def part_a_models(quick: bool) -> dict:
    """The rows of part (a): name -> estimator taking ``Modalities(eeg=, eda=)``."""
    net = _net(quick, epochs=60, batch_size=32)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda"], teacher_cv=2 if quick else TEACHER_CV,
                   temperature=3.0, **net)
    lr = make_pipeline(FunctionTransformer(operator.itemgetter("eda")), StandardScaler(),
                       LogisticRegression(class_weight="balanced"))
    return {
        NO_KD: DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student),
        "teacher (EEG + EDA)": teacher,
        "logistic regression, student inputs (EDA)": lr,
        "student, soft targets": DistilledStudentClassifier(teacher, alpha=0.7, **student),
        "student, + feature matching (EEG)": DistilledStudentClassifier(
            teacher, alpha=0.7, feature_weights={"eeg": 1.0}, **student),
        "student, + feedback": DistilledStudentClassifier(
            teacher, alpha=0.7, feature_weights={"eeg": 1.0}, feedback=True,
            feedback_every=10, feedback_steps=10, **student),
    }


def part_a(args, calibration=10) -> list[dict]:
    n_subjects, n_windows = (4, 16) if args.quick else (12, 40)
    models = part_a_models(args.quick)
    rows = []
    for label_noise in (0.0, LABEL_NOISE):
        data, X, y, groups = synthetic_inputs(n_subjects, n_windows, args.seed, calibration,
                                              label_noise=label_noise)
        labels = ("labels = latent state" if label_noise == 0 else
                  f"self-reports, label_noise={label_noise} "
                  f"({np.mean(data.y != data.y_state):.0%} of windows disagree with the state)")
        dataset = f"synthetic, label_noise={label_noise:g}"
        print(f"(a) {dataset}: {X!r}, {n_subjects} subjects", flush=True)
        t0 = time.perf_counter()
        result = _run(models, X, y, groups, args=args, calibration=calibration,
                      dataset=f"(a) make_affective_dataset, {n_subjects} subjects × {n_windows} "
                              f"windows of 30 s, {labels}",
                      notes="teacher: EEG log band powers + EDA statistics; student: EDA "
                            "statistics; KD alpha=0.7, T=3, cross-fitted targets")
        sizes = fit_once(_named(models, calibration), X, y, groups, X[:1])
        text = result.to_string()
        if label_noise:
            state = state_scores(result, data.y_state, groups)
            text += ("\n\nbalanced accuracy against the latent state (mean over subjects):\n"
                     + "\n".join(f"  {m}: {v:.3f}" for m, v in state.items()))
        print(f"\n{text}\n(wall {time.perf_counter() - t0:.0f} s)\n", flush=True)
        table = compare_rows(result, dataset, _protocol(args), sizes)
        for row in table:
            if label_noise and row["method"] in state:
                row["balanced_accuracy_state"] = state[row["method"]]
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


class ScarceLabels(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` with all but ``fraction`` of each class's training labels hidden.

    :meth:`fit` replaces the hidden labels by ``-1`` (:func:`hide_labels`,
    seeded by ``random_state``) and fits a clone of ``estimator`` on the
    labelled windows only (``labelled_only=True``) or on all of them (a
    semi-supervised student: ``-1`` = unlabeled). Predictions are the
    estimator's. It reads only the training labels it is given.

    >>> X = np.arange(8.0).reshape(-1, 1); y = np.r_[[0] * 4, [1] * 4]
    >>> m = ScarceLabels(LogisticRegression(), 0.5, random_state=0).fit(X, y)
    >>> m.n_labelled_, m.predict([[0.0], [7.0]]).tolist()
    (4, [0, 1])
    """

    def __init__(self, estimator, fraction: float, labelled_only: bool = True,
                 random_state=None):
        self.estimator = estimator
        self.fraction = fraction
        self.labelled_only = labelled_only
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        import inspect

        hidden = hide_labels(y, self.fraction, self.random_state)
        rows = np.flatnonzero(hidden != -1) if self.labelled_only else np.arange(len(hidden))
        self.n_labelled_ = int(np.sum(hidden != -1))
        fit_params = {}
        if groups is not None and "groups" in inspect.signature(self.estimator.fit).parameters:
            fit_params["groups"] = np.asarray(groups)[rows]
        self.estimator_ = clone(self.estimator).fit(take(X, rows), hidden[rows], **fit_params)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


def part_c_models(quick: bool, fraction: float) -> dict:
    """The rows of part (c) for one label ``fraction``."""
    net = _net(quick, epochs=60, batch_size=32)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda"], teacher_cv=2 if quick else TEACHER_CV, **net)
    kd = dict(alpha=0.7, temperature=3.0, semi_supervised=True)
    return {
        NO_KD: ScarceLabels(DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student),
                            fraction),
        "teacher (EEG + EDA)": ScarceLabels(teacher, fraction),
        "student, soft targets": ScarceLabels(
            DistilledStudentClassifier(teacher, **kd, **student), fraction, labelled_only=False),
        "student, + feature matching (EEG)": ScarceLabels(
            DistilledStudentClassifier(teacher, feature_weights={"eeg": 1.0}, **kd, **student),
            fraction, labelled_only=False),
    }


def part_c(args, calibration=10) -> list[dict]:
    """KD with few labels: the teacher labels the student's unlabeled windows.

    In every fold only ``fraction`` of the training windows keep their label
    (per class, drawn inside each fit from the seed); the held-out subject is
    untouched. The teacher (EEG + EDA) and the no-KD student learn from the
    labelled windows only; the KD students (``semi_supervised=True``) also
    learn from the teacher's cross-fitted soft targets on the unlabeled windows.
    """
    n_subjects, n_windows = (4, 16) if args.quick else (12, 40)
    fractions = (0.25,) if args.quick else (0.1, 0.25)
    _, X, y, groups = synthetic_inputs(n_subjects, n_windows, args.seed, calibration)
    rows = []
    for fraction in fractions:
        dataset = f"synthetic, {fraction:.0%} of training labels"
        print(f"(c) {dataset}: {X!r}, {n_subjects} subjects", flush=True)
        models = part_c_models(args.quick, fraction)
        t0 = time.perf_counter()
        result = _run(models, X, y, groups, args=args, calibration=calibration,
                      dataset=f"(c) make_affective_dataset, {n_subjects} subjects × {n_windows} "
                              f"windows of 30 s, {fraction:.0%} of each training fold's labels "
                              "kept",
                      notes="teacher and no-KD student on the labelled windows, KD students "
                            "on all (semi_supervised); KD alpha=0.7, T=3, cross-fitted targets")
        print(f"\n{result.to_string()}\n(wall {time.perf_counter() - t0:.0f} s)\n", flush=True)
        sizes = fit_once(_named(models, calibration), X, y, groups, X[:1])
        rows += compare_rows(result, dataset, _protocol(args), sizes, label_fraction=fraction)
    return rows


# -- (b) Stress-Predict, wrist channels ----------------------------------------
def part_b_models(columns, quick: bool) -> dict:
    """The rows of part (b): name -> estimator taking the window-statistics DataFrame."""
    net = _net(quick, epochs=40, batch_size=256)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=["eda", "temp"], temperature=2.0,
                   teacher_cv=2 if quick else TEACHER_CV, **net)
    student_cols = [c for c in columns if c.startswith(("eda__", "temp__"))]

    def rf():
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=1,
                                      class_weight="balanced", random_state=0)

    def own(estimator):
        return make_pipeline(
            ColumnTransformer([("keep", "passthrough", student_cols)], remainder="drop"),
            estimator)
    return {
        NO_KD: DistilledStudentClassifier(DummyClassifier(), alpha=0.0, **student),
        "RF, all wrist (EDA, TEMP, BVP, ACC)": rf(),
        "RF, student inputs (EDA, TEMP)": own(rf()),
        "logistic regression, student inputs": own(make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))),
        "teacher MLP, all wrist": teacher,
        "student, soft targets": DistilledStudentClassifier(teacher, alpha=0.5, **student),
        "student, + feature matching": DistilledStudentClassifier(
            teacher, alpha=0.5, feature_weights=1.0, **student),
        "extra: student, soft targets, in-sample targets": DistilledStudentClassifier(
            teacher, alpha=0.5, **{**student, "teacher_targets": "in_sample"}),
    }


def part_b(args, calibration=10) -> list[dict]:
    from skkd.datasets import load_stress_predict

    data = load_stress_predict()
    X, y, groups = data.X, np.asarray(data.y), np.asarray(data.groups)
    t = data.meta["t_start"].to_numpy()
    if args.quick:
        keep = np.isin(groups, np.unique(groups)[:4])
        X, y, groups, t = X[keep], y[keep], groups[keep], t[keep]
    F = window_statistics(X)
    if calibration is not None:
        F = subject_zscore(F, groups, calibration=calibration, time=t)
    models = part_b_models(list(F.columns), args.quick)
    dataset = "Stress-Predict (E4) wrist"
    print(f"(b) {dataset}: {X!r}, {len(np.unique(groups))} subjects, "
          f"{F.shape[1]} window statistics", flush=True)
    t0 = time.perf_counter()
    result = _run(models, F, y, groups, args=args, calibration=calibration,
                  dataset=f"(b) Stress-Predict (E4), windows of 60 s, {F.shape[1]} window "
                          "statistics",
                  notes="teacher: MLP on all wrist channels; students: MLP on EDA+TEMP; KD "
                        f"alpha=0.5, T=2, cross-fitted targets (teacher_cv="
                        f"{2 if args.quick else TEACHER_CV}) unless the row says in-sample")
    print(f"\n{result.to_string()}\n(wall {time.perf_counter() - t0:.0f} s)\n", flush=True)
    sizes = fit_once(_named(models, calibration), F, y, groups, F.iloc[:1])
    return compare_rows(result, dataset, _protocol(args), sizes)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 4 subjects, 3 epochs, seed 0, teacher_cv=2")
    parser.add_argument("--part", choices=["a", "b", "c", "both", "all"], default="all",
                        help="a: synthetic, b: Stress-Predict, c: synthetic with scarce "
                        "labels; both = a and b; all = a, b and c")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data sets")
    add_protocol_arguments(parser, seeds=SEEDS, raw_name="window statistics")
    args = parser.parse_args(argv)
    out, calibration = protocol_from_arguments(args, parser)
    torch.set_num_threads(args.threads)
    rows = []
    if args.part in ("a", "both", "all"):
        rows += part_a(args, calibration)
    if args.part in ("c", "all"):
        rows += part_c(args, calibration)
    if args.part in ("b", "both", "all"):
        rows += part_b(args, calibration)
    name = "kd_estimators" + ("_quick" if args.quick else "") + (
        "" if args.part == "all" else f"_{args.part}") + (
        "_no_subject_norm" if args.no_subject_norm else
        "_transductive" if calibration == "all" else "") + (
        f"_groupkfold{args.folds}" if args.folds else "")
    csv_path, json_path = write_results(
        rows, name, out, quick=args.quick, seed=args.seed, seeds=args.seeds, part=args.part,
        folds=args.folds or "LOSO", calibration=str(calibration), decision_rule=DECISION)
    print(f"wrote {csv_path} and {json_path}")
    return rows


if __name__ == "__main__":
    main()
