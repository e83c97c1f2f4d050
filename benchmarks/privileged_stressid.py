"""StressID: distillation from privileged lab signals to an EDA-only or speech-only student.

StressID (Chaptoukaev et al., NeurIPS 2023) recorded 65 subjects through 12
short tasks with lab ECG, a respiration belt, hand EDA, a face camera and a
microphone; ``../shared/data/stressid-features`` holds the authors' per-task
feature tables. It is the one real data set here in which lab signals
(privileged) and a wearable-like signal describe the same moments, so a
teacher can know what the student cannot measure.

Tables (deployable protocol, DESIGN §7)
    (a) **task-proxy stress** (the stress-inducing tasks vs the others: the
        self-reports are not public), teacher on ECG + respiration + EDA (+ face
        video where present), student on the 24 EDA features only.
    (b) **task recognition over the 7 speech tasks**, teacher on physiology
        (+ video where present), student on the 139 speech features (MFCC and
        spectral statistics).

Protocol
    ``GroupKFold(5)`` by subject (13 subjects held out a fold); every scaler,
    teacher and student is fitted on the training subjects only (a feature
    table has one row per task, so there is no calibration period to use:
    no per-subject normalisation); ``class_weight="balanced"`` for every row
    (RF, LR, teachers and students: one decision rule); balanced accuracy of
    each held-out subject, mean ± std over subjects; neural rows over 5 seeds
    (averaged per subject); paired Wilcoxon tests over subjects against the
    no-KD student, Holm-corrected (:func:`skkd.model_selection.compare`).

Settings are fixed in this file. They come from an exploration on this same
data set with these same GroupKFold(5) folds (alpha, T and in-sample targets
were picked there), so the fixed KD rows, and the "best configuration" the
acceptance check picks among them, are somewhat optimistic. The **nested
selection** row is the clean estimate: per outer fold, ``alpha`` is chosen
between 0 (no KD) and 0.9 by ``GroupKFold(3)`` on the training subjects only
(:class:`GroupedSearch`), so KD has to win its place on training subjects. Further rows:

- ``KD, library defaults``: ``DistilledStudentClassifier(teacher,
  student_inputs=<eda columns>, random_state=seed)`` with nothing else set
  (so no class weights there), and the same without KD (``alpha=0``);
- ``KD, library defaults + in-sample targets``: the library defaults
  (``alpha=0.9``, ``temperature=1`` since issue 15) with
  :data:`IN_SAMPLE` (``teacher_targets="in_sample"``) passed explicitly;
- ``transductive ceiling``: the student taught by an LR teacher fitted on
  **every** subject, held-out ones included (its targets on the training
  windows know the held-out labels' influence): a bound, not a result.

Seed-free teachers (logistic regression, gradient boosting without early
stopping) are fitted once per training set and reused across seeds and rows
(:class:`FitOnce`). After the table an acceptance block checks the issue's
bar: best deployable KD row ≥ +5 points over the no-KD student with Holm
p < 0.05, above LR/RF on EDA and the teachers, ≤ 50k parameters, and whether
the library defaults gain.

Run ``python benchmarks/privileged_stressid.py`` (full: on 2 free cores
roughly 30–60 min per table; ``--n-jobs 2`` halves it; ``--no-nested``
saves a third) or ``--quick`` (a smoke run: 15 subjects, 3 folds, 1 seed and
20 epochs). ``--rows`` keeps some rows only (the no-KD reference always).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
from pathlib import Path

# small models on a shared machine: one thread each (OpenMP in gradient boosting
# and torch otherwise oversubscribe the cores and run many times slower)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import (HistGradientBoostingClassifier, RandomForestClassifier,
                              VotingClassifier)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import results_folder  # noqa: E402

from skkd.datasets import load_stressid_features  # noqa: E402
from skkd.estimators import DistilledStudentClassifier  # noqa: E402
from skkd.model_selection import compare  # noqa: E402

NO_KD = "student MLP, no KD (alpha=0)"
#: the student network and its training, fixed a priori (full-batch AdamW)
STUDENT = dict(module__width=32, module__depth=1, module__dropout=0.2, lr=1e-2,
               batch_size=4096, max_epochs=400, optimizer__weight_decay=1e-2,
               class_weight="balanced", device="cpu")
#: the soft-target settings that paid in the exploration (a calibrated LR teacher's
#: probabilities are already soft: T=1; the student mostly imitates: alpha=0.9;
#: the LR teacher hardly overfits, so its in-sample targets are sharper than
#: cross-fitted ones without being hard labels)
KD = dict(alpha=0.9, temperature=1.0)
BEST = dict(KD, teacher_targets="in_sample")
BEST_ROW = "KD, best configuration (LR teacher, in-sample targets, alpha=0.9, T=1)"
#: the library defaults (alpha=0.9, T=1 since issue 15) with in-sample targets, which
#: paid another half point here; cross-fitting stays the default (DESIGN §4)
IN_SAMPLE = dict(teacher_targets="in_sample")
IN_SAMPLE_ROW = "KD, library defaults + in-sample targets"
#: nested selection: candidates chosen per outer fold by GroupKFold on training subjects
NESTED_GRID = {"alpha": [0.0, 0.9]}


def _columns(frame, modalities) -> list[str]:
    return [c for c in frame.columns if c.split("__", 1)[0] in modalities]


class FitOnce(ClassifierMixin, BaseEstimator):
    """A seed-free classifier fitted once per training set, then reused.

    :func:`~skkd.model_selection.compare` refits every row for every seed, and
    every KD student refits its teacher; logistic regression and gradient
    boosting without early stopping give the same model whatever the seed, so
    the fit is cached in this process, keyed by the training data and the
    parameters (every ``random_state`` is pinned to 0, so a cached model is
    exactly the model a fresh fit would give).

    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.arange(8.0).reshape(-1, 1), np.r_[[0] * 4, [1] * 4]
    >>> FitOnce(LogisticRegression()).fit(X, y).predict([[7.0]]).tolist()
    [1]
    """

    _fitted: dict = {}

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        est = clone(self.estimator)
        est.set_params(**{k: 0 for k in est.get_params(deep=True) if k.endswith("random_state")})
        key = joblib.hash((est, X, np.asarray(y)))
        if key not in FitOnce._fitted:
            FitOnce._fitted[key] = est.fit(X, y)
        self.estimator_ = FitOnce._fitted[key]
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.estimator_.predict(X)


class GroupedSearch(ClassifierMixin, BaseEstimator):
    """Nested selection: a grid chosen by ``GroupKFold`` over the training subjects.

    ``fit(X, y, groups)`` scores every candidate of ``param_grid`` by balanced
    accuracy in ``GroupKFold(n_splits)`` on the training subjects only, then
    refits the best one on all of them (with ``groups``, so a cross-fitting
    student keeps subject-independent targets). Held-out subjects are never seen.

    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.random.RandomState(0).normal(size=(40, 2)), np.r_[[0, 1] * 20]
    >>> search = GroupedSearch(LogisticRegression(), {"C": [0.1, 1.0]}, n_splits=2)
    >>> sorted(search.fit(X, y, groups=np.repeat(np.arange(4), 10)).best_params_)
    ['C']
    """

    def __init__(self, estimator=None, param_grid=None, n_splits: int = 3):
        self.estimator = estimator
        self.param_grid = param_grid
        self.n_splits = n_splits

    def fit(self, X, y, groups):
        search = GridSearchCV(self.estimator, self.param_grid, scoring="balanced_accuracy",
                              cv=GroupKFold(self.n_splits), refit=False)
        search.fit(X, y, groups=groups)
        self.best_params_ = search.best_params_
        best = clone(self.estimator).set_params(**self.best_params_)
        self.best_estimator_ = (best.fit(X, y, groups=groups)
                                if "groups" in inspect.signature(best.fit).parameters
                                else best.fit(X, y))
        self.classes_ = self.best_estimator_.classes_
        return self

    def predict_proba(self, X):
        return self.best_estimator_.predict_proba(X)

    def predict(self, X):
        return self.best_estimator_.predict(X)


def lr_teacher(columns, C: float = 0.1):
    """Logistic regression on ``columns`` (others dropped), balanced classes."""
    return make_pipeline(
        ColumnTransformer([("keep", "passthrough", columns)], remainder="drop"),
        StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
    )


def hgb_teacher(columns):
    """Gradient boosting on ``columns`` (NaN where a modality is absent), balanced."""
    return make_pipeline(
        ColumnTransformer([("keep", "passthrough", columns)], remainder="drop"),
        HistGradientBoostingClassifier(class_weight="balanced", random_state=0),
    )


def on_columns(columns, estimator):
    return make_pipeline(
        ColumnTransformer([("keep", "passthrough", columns)], remainder="drop"), estimator
    )


def student(teacher, inputs, quick: bool, **kw):
    """A factory ``seed -> DistilledStudentClassifier`` (compare re-seeds it)."""
    settings = {**STUDENT, **({"max_epochs": 20} if quick else {}), **kw}

    def make(seed):
        return DistilledStudentClassifier(teacher, student_inputs=inputs, random_state=seed,
                                          **settings)
    return make


def models_for(frame, student_modality: str, privileged: list[str], quick: bool, *,
               teacher_sees_student: bool = True, y=None, nested: bool = True) -> dict:
    """The rows of a table. ``y`` (all labels) enables the transductive ceiling row."""
    own = _columns(frame, [student_modality])
    teacher_cols = _columns(frame, privileged + ([student_modality] if teacher_sees_student
                                                 else []))
    lr = FitOnce(lr_teacher([c for c in teacher_cols if not c.startswith("video__")]))
    hgb = FitOnce(hgb_teacher(teacher_cols))
    ensemble = FitOnce(VotingClassifier([("lr", lr.estimator), ("hgb", hgb.estimator)],
                                        voting="soft"))
    rf = RandomForestClassifier(n_estimators=100 if quick else 500, min_samples_leaf=3,
                                class_weight="balanced", n_jobs=1)
    dummy = DummyClassifier(strategy="prior")
    kd, best = dict(KD), dict(BEST)
    quick_epochs = {"max_epochs": 20} if quick else {}
    rows = {
        NO_KD: student(dummy, student_modality, quick, alpha=0.0),
        f"LR on {student_modality}": on_columns(own, make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000))),
        f"RF on {student_modality}": on_columns(own, rf),
        "teacher: LR, physiology": lr,
        "teacher: gradient boosting, physiology + video": hgb,
        "teacher: ensemble LR + gradient boosting (mean probabilities)": ensemble,
        "KD from LR teacher (Hinton, cross-fitted)": student(lr, student_modality, quick, **kd),
        BEST_ROW: student(lr, student_modality, quick, **best),
        "KD from LR teacher, DIST loss": student(
            lr, student_modality, quick, logit_loss="dist", **best),
        "KD from LR teacher + mixup windows": student(
            lr, student_modality, quick, augment="mixup", **best),
        "KD from LR teacher + MUNGE windows": student(
            lr, student_modality, quick, augment="munge", **best),
        "KD from gradient-boosting teacher (in-sample targets)": student(
            hgb, student_modality, quick, **best),
        "KD from ensemble teacher (in-sample targets)": student(
            ensemble, student_modality, quick, **best),
        # what a user gets: the teacher, the student's columns and nothing else
        "KD, library defaults": (
            lambda seed: DistilledStudentClassifier(lr, student_inputs=own, random_state=seed,
                                                    **quick_epochs)),
        "no KD, library defaults (alpha=0)": (
            lambda seed: DistilledStudentClassifier(dummy, student_inputs=own, alpha=0.0,
                                                    random_state=seed, **quick_epochs)),
        "KD, library defaults + in-sample targets": (
            lambda seed: DistilledStudentClassifier(lr, student_inputs=own, random_state=seed,
                                                    **IN_SAMPLE, **quick_epochs)),
    }
    if nested:
        grid = NESTED_GRID
        rows["KD, nested selection (alpha 0 or 0.9 by inner GroupKFold on training subjects)"] = (
            lambda seed: GroupedSearch(student(lr, student_modality, quick, **best)(seed),
                                       grid, n_splits=2 if quick else 3))
    if y is not None:
        # a teacher fitted on every subject, held-out ones included: a ceiling, not a result
        oracle = FrozenEstimator(clone(lr.estimator).fit(frame, y))
        rows["transductive ceiling: KD from an LR teacher fitted on all subjects"] = student(
            oracle, student_modality, quick, **best)
    return rows


def run_table(name: str, data, student_modality: str, privileged: list[str], args) -> str:
    frame = data.X
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    if args.quick:
        keep = np.isin(groups, np.unique(groups)[:15])
        frame, y, groups = frame[keep].reset_index(drop=True), y[keep], groups[keep]
    models = models_for(frame, student_modality, privileged, args.quick,
                        teacher_sees_student=student_modality == "eda",
                        y=None if args.no_ceiling else y, nested=not args.no_nested)
    if args.rows:
        models = {k: v for k, v in models.items()
                  if k == NO_KD or any(r.lower() in k.lower() for r in args.rows)}
    seeds = (0,) if args.quick else tuple(range(args.seeds))
    t0 = time.perf_counter()
    result = compare(
        models, frame, y, groups, cv=GroupKFold(3 if args.quick else 5), seeds=seeds,
        scoring=("balanced_accuracy", "macro_f1"), reference=NO_KD, n_jobs=args.n_jobs,
        verbose=1, dataset=f"StressID features, {name}",
        normalisation="none (scalers fitted on training subjects only)",
        notes=("decision rule: class_weight='balanced' on every row; settings fixed in "
               "benchmarks/privileged_stressid.py; task-proxy labels" if student_modality == "eda"
               else "decision rule: class_weight='balanced' on every row; 7 speech tasks"),
    )
    text = result.to_string()
    n_params = _student_params(frame, y, student_modality)
    text += f"\nstudent parameters: {n_params}; wall time {time.perf_counter() - t0:.0f} s"
    text += "\n" + acceptance(result.summary, student_modality, n_params)
    if args.quick:
        text = ("NOTE: --quick runs 15 subjects, 3 folds, 1 seed and 20 epochs: "
                "indicative only.\n") + text
    stem = f"privileged_stressid_{student_modality}{'_quick' if args.quick else ''}"
    result.scores.to_csv(args.out / f"{stem}_scores.csv", index=False)
    result.summary.to_csv(args.out / f"{stem}_summary.csv")  # index: the row names
    (args.out / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    return text


def acceptance(summary, modality: str, n_params: int, bar: float = 0.05) -> str:
    """The issue's acceptance check, read off a :func:`compare` summary (balanced accuracy).

    The best KD row (highest mean among the KD rows with the reference's
    network: not the defaults rows, not the transductive ceiling) against the no-KD student (gain ≥ ``bar``, Holm p <
    0.05), LR and RF on the student's inputs, and the best teacher row; and
    whether the library defaults gain over the same defaults without KD.
    """
    m, p = summary["balanced_accuracy_mean"], summary["balanced_accuracy_p_holm"]
    # the same student as the no-KD reference (the defaults rows use the library's network)
    kd = [k for k in m.index if k.startswith("KD") and "defaults" not in k]
    if not kd or NO_KD not in m.index:
        return "acceptance: not checked (KD or no-KD rows left out)"
    best = max(kd, key=lambda k: m[k])
    gain = m[best] - m[NO_KD]
    lines = [f"acceptance (balanced accuracy; best deployable KD row: {best!r}):",
             f"  gain over the no-KD student {gain:+.3f} (bar +{bar:.2f}), Holm p = "
             f"{p[best]:.4f}: {'PASS' if gain >= bar and p[best] < 0.05 else 'FAIL'}"]
    for other in (f"LR on {modality}", f"RF on {modality}"):
        if other in m.index:
            lines.append(f"  vs {other} {m[other]:.3f}: "
                         f"{'PASS' if m[best] > m[other] else 'FAIL'}")
    teachers = [k for k in m.index if k.startswith("teacher:")]
    if teachers:
        top = max(teachers, key=lambda k: m[k])
        lines.append(f"  vs the best teacher ({top}) {m[top]:.3f}: "
                     f"{'PASS' if m[best] > m[top] else 'FAIL'}")
        own_lr = not any(w in best for w in ("ensemble", "gradient-boosting"))
        if own_lr and "teacher: LR, physiology" in m.index:
            lines.append(f"  vs its own (LR) teacher {m['teacher: LR, physiology']:.3f}: "
                         f"{'PASS' if m[best] > m['teacher: LR, physiology'] else 'FAIL'}")
    lines.append(f"  student parameters {n_params} (bar 50000): "
                 f"{'PASS' if n_params <= 50_000 else 'FAIL'}")
    lib, lib0 = "KD, library defaults", "no KD, library defaults (alpha=0)"
    if lib in m.index and lib0 in m.index:
        lines.append(f"  library defaults: KD {m[lib]:.3f} vs no KD {m[lib0]:.3f} "
                     f"({m[lib] - m[lib0]:+.3f})")
    if IN_SAMPLE_ROW in m.index and lib0 in m.index:
        lines.append(f"  library defaults, in-sample targets: KD {m[IN_SAMPLE_ROW]:.3f} "
                     f"({m[IN_SAMPLE_ROW] - m[lib0]:+.3f} over the library's "
                     f"no-KD defaults, {m[IN_SAMPLE_ROW] - m[NO_KD]:+.3f} over "
                     "the reference)")
    return "\n".join(lines)


def _student_params(frame, y, modality) -> int:
    est = DistilledStudentClassifier(DummyClassifier(), student_inputs=modality, alpha=0.0,
                                     **{**STUDENT, "max_epochs": 1}).fit(frame, y)
    return est.n_params_


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 15 subjects, 1 seed")
    parser.add_argument("--table", choices=["eda", "audio", "both"], default="both")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the neural rows")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (joblib)")
    parser.add_argument("--data-home", default=None, help="folder holding stressid-features/")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    parser.add_argument("--no-nested", action="store_true",
                        help="leave out the nested-selection row (7 student fits per fold)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="leave out the transductive-ceiling row")
    parser.add_argument("--rows", nargs="+", default=None,
                        help="keep only rows whose name contains one of these strings "
                             "(the no-KD reference is always kept)")
    args = parser.parse_args(argv)
    args.out = results_folder(args.out, parser=parser)
    torch.set_num_threads(1)
    if args.table in ("eda", "both"):
        data = load_stressid_features(args.data_home, target="task_proxy",
                                      modalities=("ecg", "resp", "eda", "video"),
                                      complete=("ecg", "resp", "eda"))
        print(run_table("task-proxy stress (EDA student)", data, "eda",
                        ["ecg", "resp", "video"], args), flush=True)
    if args.table in ("audio", "both"):
        data = load_stressid_features(args.data_home, target="task",
                                      modalities=("ecg", "resp", "eda", "video", "audio"),
                                      complete=("ecg", "resp", "eda", "audio"))
        print(run_table("task recognition, 7 speech tasks (speech student)", data, "audio",
                        ["ecg", "resp", "eda", "video"], args), flush=True)


if __name__ == "__main__":
    # run from the importable module: worker processes (--n-jobs) then unpickle
    # FitOnce by reference and keep its cache between tasks
    import privileged_stressid

    privileged_stressid.main()
