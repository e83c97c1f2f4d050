"""Opportune-moment KD: detect opportune windows from wrist signals, then train on them.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/opportune_kd.py --quick                  # smoke run, ~2 min
    .venv/bin/python benchmarks/opportune_kd.py --dataset stress_predict # full: LOSO, 5 seeds
    .venv/bin/python benchmarks/opportune_kd.py --dataset stress_predict --cv 5  # reduced

The full run (34 subjects, leave-one-subject-out, 5 seeds of every neural row,
20 random draws) is many hours on 2 cores: every KD fit cross-fits its
teacher, and every stage-2 "selected by" fit trains its selection networks
out-of-fold. ``--cv K`` holds out K groups of subjects instead
(``GroupKFold(K)``): the reduced mode. ``--stage 1|2|both``, ``--seeds N``
(neural rows, default 5), ``--draws N`` (random rows, default 20),
``--n-jobs`` (parallel fits through joblib), ``--out DIR`` (result files,
default ``results/``), ``--cache DIR`` (keeps the RuLSIF change scores
between runs: minutes on the full Stress-Predict).

Protocol (deployable, DESIGN §7)
    Splits by subject (``LeaveOneGroupOut`` or ``GroupKFold(K)``), run by
    :func:`skkd.model_selection.compare`; balanced accuracy and macro-F1 of
    each held-out subject (global label set), mean ± std over subjects;
    paired two-sided Wilcoxon tests over subjects against the named
    reference row, Holm-corrected over the rows of a table; a chance row
    (stratified guessing, 20 draws). Seeds: 0..4 (``--seeds``) for every row
    with a network (detectors, and stage-2 rows whose selection is a network),
    each subject's scores averaged over them; 20 draws (``--draws``) for the
    random rows, whose std over draws (the "± seeds" column) is the spread
    of the null; one seed (0) for the forest, SVM and fixed rows. Nothing
    fitted reads a held-out subject's labels, its change scores, or its
    windows beyond the first ``CALIBRATION_WINDOWS`` (10).
Normalisation
    Features of every window are z-scored within its subject with the
    statistics of the subject's first 10 windows in time order
    (:func:`_common.subject_zscore`, ``calibration=10``; no label). Rows named
    "transductive" use all of each subject's windows instead (the held-out
    subject's test windows included): extra rows, for comparison with the
    figures of earlier versions.
Opportune windows (the stage-1 labels)
    Every window gets a RuLSIF change score from its own samples
    (:class:`skkd.opportune.RuLSIFOpportuneSelector`, all signals resampled to
    the slowest rate, library defaults): a window's score needs nothing after
    it. A window is *opportune* when its score reaches the 75 % quantile of the
    **training subjects'** scores of its fold (``QUANTILE``). Inside every fit
    the threshold is learnt again from the training windows' scores (passed as
    ``change_score`` metadata) and the training labels are made from it; the
    held-out subjects' labels use the same threshold, so no statistic of a
    held-out subject's session (nor its rate of opportune windows) reaches
    anything.
Decision rule (one for every row)
    Balanced: ``class_weight="balanced"`` for the networks and the forests,
    prior correction (:class:`skkd.decision.PriorCorrectedClassifier`) for the
    SVM, whose Platt-scaled probabilities carry the training prior. Every
    detector marks a window opportune by its own prediction: no detector is
    told how many windows to mark.
Stage 1 — opportune-moment detection (reference: the student without KD)
    Teacher MLP on the features of all signals; student MLP on EDA + TEMP
    distilled from it (Hinton soft targets, ``alpha=0.7``, ``T=3``,
    **cross-fitted** teacher targets in 3 folds grouped by training subject);
    the same student without KD (``alpha=0``); RF and SVM on EDA + TEMP; the
    demographic model (one RF per STAI/PSS median-split group on
    Stress-Predict, per age band/gender on the synthetic set, medians of the
    training subjects); a fixed-time selector (every 4th window) and a random
    selector (25 % of each held-out subject's windows, ``--draws`` draws,
    stratified per subject); RF with transductive normalisation (extra row).
    A second table holds the *personalized* (one RF per subject) and
    *aggregate* RF under the within-subject protocol
    (:class:`skkd.model_selection.WithinGroupSplit`: each subject's first half
    trains, its second half tests; **not** subject-independent).
Stage 2 — stress classification on selected windows (reference: all windows)
    Each row is one estimator: an :class:`imblearn.pipeline.Pipeline` whose
    first step is a window-selection policy (a sampler, acting on training
    folds only) and whose last step is the RF stress classifier on EDA + TEMP;
    it is tested on **all** windows of the held-out subjects. Policies: all
    training windows; windows the KD student marks opportune, **out of
    fold** (``INNER_CV`` folds grouped by training subject: each training
    window is judged by a student not fitted on its subject); the same for the
    student without KD; the RuLSIF-labelled windows (score at or above the
    training quantile); 25 % of each training subject's windows at random
    (:class:`skkd.opportune.RandomSelector`, ``--draws`` draws: the null of a
    selection policy); all windows with transductive normalisation (extra).
Settings (fixed a priori, not tuned on these splits)
    The network, KD and forest settings of the previous version of this script
    (``net_params``, ``ALPHA``, ``TEMPERATURE``, 100 trees), balanced class
    weights added; ``QUANTILE=0.75`` and ``FRACTION=0.25`` as before;
    ``TEACHER_CV=3`` and ``INNER_CV=3`` chosen for cost before any run.
``--quick``
    The synthetic set only by default: 5 subjects × 30 windows, 1 seed,
    3 random draws, 5 epochs, 20 trees; a smoke run, indicative of nothing.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
import warnings
import zlib
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import sklearn
import torch
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.pipeline import make_pipeline
from sklearn.utils import _safe_indexing

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CALIBRATION_WINDOWS,
    featurize,
    results_folder,
    subject_zscore,
    write_results,
)

from skkd.baselines import PerGroupClassifier, make_rf_baseline, make_svm_baseline  # noqa: E402
from skkd.decision import PriorCorrectedClassifier  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.model_selection import WithinGroupSplit, compare, holm  # noqa: E402
from skkd.opportune import FixedIntervalSelector, RandomSelector, RuLSIFOpportuneSelector  # noqa: E402

QUANTILE = 0.75   # change-score quantile of the training subjects: the top 25 % are opportune
FRACTION = 0.25   # share of windows the random selectors keep
ALPHA, TEMPERATURE = 0.7, 3.0
TEACHER_CV = 3    # folds (by training subject) of the KD students' cross-fitted targets
INNER_CV = 3      # folds (by training subject) of the out-of-fold selection in stage 2
TRANSDUCTIVE = "transductive normalisation (all windows of each subject)"
WITHIN = "within-subject (first half trains, second half tests)"
STAGE1 = "stage 1: opportune-moment detection"
STAGE2 = "stage 2: stress RF (EDA+TEMP) trained on selected windows, tested on all"
DECISION = ("balanced on every row (class_weight='balanced'; prior correction for the SVM); "
            "no detector is told how many windows to mark")


# -- data ------------------------------------------------------------------------------------
def load(dataset: str, quick: bool, seed: int = 0) -> dict:
    """Raw windows, stress labels, subjects, time and per-subject demographics of one data set.

    ``demographics`` maps a name to ``(values per subject, kind)``: kind
    ``"median"`` splits at the training subjects' median, ``"category"`` is
    used as is.
    """
    if dataset == "stress_predict":
        from skkd.datasets import load_stress_predict

        data = load_stress_predict()
        groups = np.asarray(data.groups)
        keep = np.isin(groups, np.unique(groups)[:6]) if quick else np.ones(len(groups), bool)
        meta = data.meta.loc[keep].reset_index(drop=True)
        per_subject = meta.groupby("subject")[["stai_before", "pss_before"]].first()
        demographics = {f"{col.split('_')[0].upper()} (median split)":
                        (per_subject[col].to_dict(), "median")
                        for col in ("stai_before", "pss_before")}
        return dict(name="Stress-Predict (E4)", X=data.X[keep], y=np.asarray(data.y)[keep],
                    groups=groups[keep], time=meta["t_start"].to_numpy(), fs=data.fs,
                    student=["eda", "temp"], demographics=demographics)
    if dataset == "synthetic":
        from skkd.datasets import make_affective_dataset

        n_subjects, n_windows = (5, 30) if quick else (20, 40)
        data = make_affective_dataset(
            n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
            modalities=("eda", "temp", "bvp", "eeg"), target="stress", random_state=seed,
        )
        per_subject = data.meta.groupby("subject")[["age", "gender"]].first()
        demographics = {"age band (median split)": (per_subject["age"].to_dict(), "median"),
                        "gender": (per_subject["gender"].astype(str).to_dict(), "category")}
        return dict(name="make_affective_dataset", X=data.X, y=np.asarray(data.y),
                    # time order = row order: t_start restarts with each session
                    groups=np.asarray(data.groups), time=None,
                    fs=data.fs, student=["eda", "temp"], demographics=demographics)
    raise ValueError(f"dataset must be 'stress_predict' or 'synthetic', got {dataset!r}.")


def change_scores(X, cache=None) -> np.ndarray:
    """RuLSIF change score of every window, from its own samples only (library defaults).

    ``cache``: an ``.npy`` path read when it holds as many scores as windows,
    else written.
    """
    n = len(next(iter(X.values())))
    if cache is not None and Path(cache).is_file():
        scores = np.load(cache)
        if len(scores) == n:
            return scores
    scores = RuLSIFOpportuneSelector(random_state=0).fit(X).train_scores_
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, scores)
    return scores


def training_threshold(scores, quantile: float = QUANTILE) -> float:
    """The ``quantile`` of the training windows' change scores (the one threshold rule)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size < 2 or not np.isfinite(scores).all():
        raise ValueError(
            f"change_score must be >= 2 finite training scores, got shape {scores.shape}.")
    return float(np.quantile(scores, quantile))


def fold_labels(scores, splits, quantile: float = QUANTILE) -> np.ndarray:
    """Opportune (1) where a test window's score reaches its fold's training threshold.

    Each test row is labelled with the threshold learnt on the training rows
    of the split that tests it; a row tested by no split (the training half of
    :class:`~skkd.model_selection.WithinGroupSplit`) with the threshold of
    the first split that trains on it, and a row in no split (its ``gap``)
    with the first split's (it is neither fitted nor scored, but keeps the
    label set binary). Nothing about a test subject except
    each window's own score enters its labels. (The detectors do not read
    these labels for their training rows: they make them again from the
    change scores, :class:`OpportuneDetector`.)

    >>> fold_labels([0.0, 1.0, 2.0, 3.0], [([2, 3], [0, 1]), ([0, 1], [2, 3])], 0.5).tolist()
    [0, 0, 1, 1]
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.full(len(scores), -1, dtype=np.int64)
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splits]
    for train, test in splits:
        labels[test] = scores[test] >= training_threshold(scores[train], quantile)
    for train, _ in splits:
        todo = train[labels[train] < 0]
        labels[todo] = scores[todo] >= training_threshold(scores[train], quantile)
    rest = labels < 0
    if rest.any() and splits:
        labels[rest] = scores[rest] >= training_threshold(scores[splits[0][0]], quantile)
    return labels


def features(d: dict, calibration=CALIBRATION_WINDOWS) -> pd.DataFrame:
    """Window statistics of every modality, z-scored within each subject (``modality__*`` columns).

    ``calibration=10``: each subject's first 10 windows in time order give its
    statistics (nothing later, no label); ``"all"``: transductive.
    """
    tables = featurize(d["X"], d["fs"])
    return pd.concat([subject_zscore(t, d["groups"], calibration=calibration, time=d["time"])
                      for t in tables.values()], axis=1)


def design(d: dict) -> pd.DataFrame:
    """The one table every model reads: calibrated features, plus ``all__``-prefixed copies of
    the student's features with transductive normalisation (used only by rows saying so)."""
    calibrated = features(d)
    student = [c for c in calibrated.columns if c.split("__", 1)[0] in d["student"]]
    transductive = features(d, calibration="all")[student].add_prefix("all__")
    return pd.concat([calibrated, transductive], axis=1)


# -- wrappers --------------------------------------------------------------------------------
def _accepts(method, name: str) -> bool:
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def _with_groups(method, groups):
    return {"groups": groups} if groups is not None and _accepts(method, "groups") else {}


class OpportuneDetector(ClassifierMixin, BaseEstimator):
    """Learn to detect opportune windows: labels from the training windows' change scores.

    ``fit(X, y, change_score=s)`` learns ``threshold_ = quantile(s)`` over the
    training windows, labels them ``s >= threshold_`` and fits a clone of
    ``estimator`` on those labels (``y`` is not read: with
    :func:`fold_labels` it holds the same rule's labels). ``groups`` go to
    the estimator's ``fit``/``predict`` when they take them.
    """

    def __init__(self, estimator, quantile: float = QUANTILE):
        self.estimator = estimator
        self.quantile = quantile

    def fit(self, X, y=None, groups=None, change_score=None):
        if change_score is None:
            raise ValueError("OpportuneDetector.fit needs change_score (one score per window).")
        self.threshold_ = training_threshold(change_score, self.quantile)
        labels = (np.asarray(change_score) >= self.threshold_).astype(np.int64)
        self.estimator_ = clone(self.estimator)
        self.estimator_.fit(X, labels, **_with_groups(self.estimator_.fit, groups))
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        return np.asarray(self.estimator_.predict(
            X, **_with_groups(self.estimator_.predict, groups))).astype(np.int64)


class SelectorClassifier(ClassifierMixin, BaseEstimator):
    """A content-blind selector as a detector: marks each subject's windows on its own.

    ``selector`` (e.g. :class:`~skkd.opportune.RandomSelector`) is refitted on
    each subject's windows (``groups``) at prediction; a random selector gets
    a seed from ``random_state`` and the subject, so draws are independent
    across subjects (stratified: each subject keeps its own share).
    """

    def __init__(self, selector, random_state=None):
        self.selector = selector
        self.random_state = random_state

    def fit(self, X, y=None, groups=None, change_score=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        return per_subject_marks(self.selector, X, groups, self.random_state)


def _subject_seed(seed, subject) -> int | None:
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), zlib.crc32(str(subject).encode())])
               .generate_state(1)[0])


def per_subject_marks(selector, X, groups, seed) -> np.ndarray:
    """0/1 marks of ``selector`` fitted on each subject's windows in turn."""
    n = len(X)
    groups = np.zeros(n) if groups is None else np.asarray(groups)
    marks = np.zeros(n, dtype=np.int64)
    for g in dict.fromkeys(groups.tolist()):
        idx = np.flatnonzero(groups == g)
        sel = clone(selector)
        if "random_state" in sel.get_params():
            sel.set_params(random_state=_subject_seed(seed, g))
        marks[idx] = sel.fit_predict(np.zeros((len(idx), 1, 1)))
    return marks


class DemographicClassifier(ClassifierMixin, BaseEstimator):
    """One model per demographic group of subjects (:class:`PerGroupClassifier`).

    ``values``: subject -> value; ``kind="median"`` splits at the median of
    the **training** subjects' values, ``"category"`` uses values as groups.
    """

    def __init__(self, estimator, values: dict, kind: str = "median", min_samples: int = 20):
        self.estimator = estimator
        self.values = values
        self.kind = kind
        self.min_samples = min_samples

    def _groups(self, subjects) -> np.ndarray:
        raw = pd.Series(subjects).map(self.values)
        if raw.isna().any():
            missing = sorted(set(np.asarray(subjects)[raw.isna().to_numpy()]))
            raise ValueError(f"values has no entry for subjects {missing}.")
        if self.kind == "median":
            return np.where(raw.to_numpy(float) > self.median_, "high", "low")
        return raw.astype(str).to_numpy()

    def fit(self, X, y, groups=None):
        if groups is None:
            raise ValueError("DemographicClassifier.fit needs groups (the subject of each row).")
        if self.kind not in ("median", "category"):
            raise ValueError(f"kind must be 'median' or 'category', got {self.kind!r}.")
        subjects = np.asarray(groups)
        if self.kind == "median":
            self.median_ = float(np.median([self.values[s] for s in dict.fromkeys(subjects)]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the aggregate fallback is expected
            self.model_ = PerGroupClassifier(self.estimator, min_samples=self.min_samples).fit(
                X, y, groups=self._groups(subjects))
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X, groups=None) -> np.ndarray:
        if groups is None:
            raise ValueError(
                "DemographicClassifier.predict needs groups (the subject of each row).")
        return self.model_.predict(X, groups=self._groups(np.asarray(groups)))


# -- stage-2 samplers (imbalanced-learn API: fit_resample) -----------------------------------
class _Sampler(BaseEstimator):
    """Keeps training windows by a policy; metadata ``groups`` and ``change_score``."""

    __metadata_request__fit_resample = {"groups": True, "change_score": True}

    def fit_resample(self, X, y, groups=None, change_score=None):
        with sklearn.config_context(enable_metadata_routing=False):
            keep = np.asarray(self._mask(X, np.asarray(y), groups, change_score), bool)
        if not keep.any():
            raise ValueError(f"{type(self).__name__} selected no training window.")
        self.n_kept_ = int(keep.sum())
        idx = np.flatnonzero(keep)
        return _safe_indexing(X, idx), np.asarray(y)[idx]

    def fit(self, X, y=None, **kwargs):
        self.fit_resample(X, y, **kwargs)
        return self


class AllWindows(_Sampler):
    """Keep every training window."""

    def _mask(self, X, y, groups, change_score):
        return np.ones(len(y), bool)


class ChangeScoreSelection(_Sampler):
    """Keep the training windows whose change score reaches the training ``quantile``."""

    def __init__(self, quantile: float = QUANTILE):
        self.quantile = quantile

    def _mask(self, X, y, groups, change_score):
        if change_score is None:
            raise ValueError("ChangeScoreSelection needs change_score.")
        return np.asarray(change_score) >= training_threshold(change_score, self.quantile)


class RandomSubjectSelection(_Sampler):
    """Keep ``fraction`` of each training subject's windows at random (:class:`RandomSelector`)."""

    def __init__(self, fraction: float = FRACTION, random_state=None):
        self.fraction = fraction
        self.random_state = random_state

    def _mask(self, X, y, groups, change_score):
        return per_subject_marks(RandomSelector(fraction=self.fraction), X, groups,
                                 self.random_state).astype(bool)


class OutOfFoldSelection(_Sampler):
    """Keep the training windows a detector marks opportune, each judged out of fold.

    The training subjects are split in ``cv`` folds (:class:`GroupKFold`);
    for each, an :class:`OpportuneDetector` around ``detector`` is fitted on
    the other folds' windows (labels from their change scores) and marks the
    fold's windows. No window is judged by a model fitted on its own subject.
    """

    def __init__(self, detector, cv: int = INNER_CV, quantile: float = QUANTILE):
        self.detector = detector
        self.cv = cv
        self.quantile = quantile

    def _mask(self, X, y, groups, change_score):
        if groups is None or change_score is None:
            raise ValueError("OutOfFoldSelection needs groups and change_score.")
        groups, change_score = np.asarray(groups), np.asarray(change_score)
        mask = np.zeros(len(y), bool)
        for a, b in GroupKFold(n_splits=self.cv).split(X, y, groups):
            det = OpportuneDetector(self.detector, self.quantile).fit(
                _safe_indexing(X, a), None, groups=groups[a], change_score=change_score[a])
            mask[b] = det.predict(_safe_indexing(X, b), groups=groups[b]) == 1
        return mask


def selection_pipeline(sampler, classifier):
    """Policy + classifier as one estimator (an imbalanced-learn Pipeline)."""
    return SelectThenClassify([("select", sampler), ("classify", classifier)])


def _make_select_then_classify():
    from imblearn.pipeline import Pipeline

    class SelectThenClassify(Pipeline):
        """An imbalanced-learn Pipeline whose sampler gets ``groups`` and ``change_score``.

        imbalanced-learn 0.14 passes no ``fit`` parameter to a sampler's
        ``fit_resample`` unless metadata routing is on, so ``fit`` turns it on
        for its own call (the sampler requests both; the classifier nothing).
        """

        def fit(self, X, y=None, groups=None, change_score=None):
            with sklearn.config_context(enable_metadata_routing=True):
                return super().fit(X, y, groups=groups, change_score=change_score)

    return SelectThenClassify


SelectThenClassify = _make_select_then_classify()


# -- models ----------------------------------------------------------------------------------
def net_params(quick: bool, seed: int) -> dict:
    """MLP settings: 20 epochs of batches of 256 at lr 3e-3 (quick: 5 epochs), balanced."""
    return dict(max_epochs=5 if quick else 20, lr=3e-3, batch_size=256, device="cpu",
                random_state=seed, module__width=32, module__dropout=0.2,
                optimizer__weight_decay=1e-2, class_weight="balanced")


def rf(quick: bool, seed: int):
    """The class-balanced forest of every RF row (20 trees in the smoke run, else 100)."""
    return make_rf_baseline(20 if quick else 100, random_state=seed, n_jobs=1)


def on_columns(columns, estimator):
    return make_pipeline(
        ColumnTransformer([("keep", "passthrough", list(columns))], remainder="drop",
                          verbose_feature_names_out=False), estimator)


def columns(frame: pd.DataFrame, keys, prefix: str = "") -> list[str]:
    return [c for c in frame.columns if c.startswith(prefix)
            and c[len(prefix):].split("__", 1)[0] in keys]


class Factories:
    """The script's model factories (``seed -> estimator``) for one data set."""

    def __init__(self, d: dict, frame: pd.DataFrame, quick: bool):
        self.d, self.quick = d, quick
        self.student = d["student"]
        self.all_keys = list(d["X"].keys())
        self.student_cols = columns(frame, self.student)
        self.teacher_cols = columns(frame, self.all_keys)
        self.transductive_cols = columns(frame, self.student, "all__")
        self.keys = "+".join(k.upper() for k in self.student)

    def teacher(self, seed):
        return on_columns(self.teacher_cols, TeacherClassifier(**net_params(self.quick, seed)))

    def kd_student(self, seed):
        """Reads the whole table: its teacher keeps the calibrated features of all signals,
        the student network only ``student_inputs``."""
        return DistilledStudentClassifier(
            self.teacher(seed), student_inputs=self.student, temperature=TEMPERATURE,
            alpha=ALPHA, teacher_targets="cross_fit", teacher_cv=TEACHER_CV,
            **net_params(self.quick, seed))

    def nokd_student(self, seed):
        return DistilledStudentClassifier(
            DummyClassifier(strategy="prior"), student_inputs=self.student, alpha=0.0,
            temperature=TEMPERATURE, **net_params(self.quick, seed))

    def rf(self, seed, cols=None):
        return on_columns(self.student_cols if cols is None else cols, rf(self.quick, seed))

    def svm(self, seed):
        return on_columns(self.student_cols,
                          PriorCorrectedClassifier(make_svm_baseline(random_state=seed)))

    # -- tables: name -> (factory, kind); kind: "neural", "classical", "random"
    def stage1(self) -> dict:
        k = self.keys
        rows = {
            f"student MLP ({k}), no KD": (
                lambda s: OpportuneDetector(self.nokd_student(s)), "neural"),
            f"KD student MLP ({k}), cross-fitted targets": (
                lambda s: OpportuneDetector(self.kd_student(s)), "neural"),
            "teacher MLP (all signals)": (lambda s: OpportuneDetector(self.teacher(s)), "neural"),
            f"RF ({k})": (lambda s: OpportuneDetector(self.rf(s)), "classical"),
            f"SVM ({k})": (lambda s: OpportuneDetector(self.svm(s)), "classical"),
        }
        for name, (values, kind) in self.d["demographics"].items():
            rows[f"demographic RF per {name}"] = (
                lambda s, v=values, kd=kind: OpportuneDetector(
                    DemographicClassifier(self.rf(s), v, kd)), "classical")
        rows["fixed-time (every 4th window)"] = (
            lambda s: SelectorClassifier(FixedIntervalSelector(every=4)), "classical")
        rows[f"random ({FRACTION:.0%} of each subject's windows)"] = (
            lambda s: SelectorClassifier(RandomSelector(fraction=FRACTION), random_state=s),
            "random")
        rows[f"RF ({k}), {TRANSDUCTIVE}"] = (
            lambda s: OpportuneDetector(self.rf(s, self.transductive_cols)), "classical")
        return rows

    def within(self) -> dict:
        return {
            "personalized RF (one per subject)": (lambda s: OpportuneDetector(
                PerGroupClassifier(self.rf(s), min_samples=10)), "classical"),
            "aggregate RF (all subjects)": (lambda s: OpportuneDetector(self.rf(s)), "classical"),
        }

    def stage2(self) -> dict:
        k = self.keys
        return {
            "all training windows": (
                lambda s: selection_pipeline(AllWindows(), self.rf(s)), "classical"),
            f"windows the KD student ({k}) marks, out of fold": (
                lambda s: selection_pipeline(OutOfFoldSelection(self.kd_student(s)), self.rf(s)),
                "neural"),
            f"windows the student ({k}) without KD marks, out of fold": (
                lambda s: selection_pipeline(OutOfFoldSelection(self.nokd_student(s)),
                                             self.rf(s)), "neural"),
            "RuLSIF-labelled windows (score >= training quantile)": (
                lambda s: selection_pipeline(ChangeScoreSelection(), self.rf(s)), "classical"),
            f"random {FRACTION:.0%} of each training subject's windows": (
                lambda s: selection_pipeline(RandomSubjectSelection(random_state=s), self.rf(s)),
                "random"),
            f"all training windows, {TRANSDUCTIVE}": (
                lambda s: selection_pipeline(AllWindows(), self.rf(s, self.transductive_cols)),
                "classical"),
        }


# -- tables ----------------------------------------------------------------------------------
def run_table(rows: dict, frame, y, groups, cv, seeds: dict, *, reference: str, title: str,
              dataset: str, scores, n_jobs=None, verbose=1) -> tuple[pd.DataFrame, str]:
    """One compare call per kind of row (its own seeds), merged into one table.

    ``seeds``: kind -> seeds. The tests (paired Wilcoxon over subjects of each
    subject's seed-averaged score against ``reference``) are Holm-corrected
    over all rows of the table; the chance row comes from the first call.
    """
    parts, header = [], None
    for kind in ("classical", "neural", "random"):
        models = {n: f for n, (f, k) in rows.items() if k == kind}
        if not models:
            continue
        result = compare(models, frame, y, groups, cv=cv, seeds=seeds[kind],
                         scoring=("balanced_accuracy", "macro_f1"),
                         chance="stratified" if header is None else None,
                         params={"change_score": scores}, n_jobs=n_jobs, verbose=verbose,
                         dataset=dataset, normalisation="-")
        header = header or result.header
        parts.append(result.scores.assign(kind=kind))
    tidy = pd.concat(parts, ignore_index=True)
    summary = summarise(tidy, [*rows, "chance"], reference)
    protocol = header["protocol"]
    lines = [title,
             f"Dataset       : {header['dataset']}",
             f"Protocol      : {protocol}",
             f"Normalisation : per subject, calibrated on its first {CALIBRATION_WINDOWS} windows "
             "(rows saying 'transductive': all its windows)",
             "Seeds         : " + "; ".join(f"{k} rows {_seed_text(v)}" for k, v in seeds.items()
                                            if any(kk == k for _, kk in rows.values()))
             + " (each subject's scores averaged over seeds)",
             f"Decision rule : {DECISION}",
             f"Chance        : {header.get('chance', '-')}",
             f"Tests         : two-sided Wilcoxon signed-rank over subjects vs {reference!r}, "
             f"Holm-corrected over {len(rows) - 1} rows per score",
             "",
             format_summary(summary, reference)]
    return summary.assign(protocol=protocol), "\n".join(lines)


def _seed_text(seeds) -> str:
    seeds = list(seeds)
    if len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]} ({len(seeds)})"
    return ", ".join(map(str, seeds))


def summarise(tidy: pd.DataFrame, names, reference: str,
              metrics=("balanced_accuracy", "macro_f1")) -> pd.DataFrame:
    """Mean ± std over subjects (seed-averaged), std over seeds, paired tests, Holm."""
    per_subject = tidy.groupby(["model", "subject"], sort=False)[list(metrics)].mean()
    per_seed = tidy.groupby(["model", "seed"], sort=False)[list(metrics)].mean()
    ref = per_subject.loc[reference]
    out = {}
    for name in names:
        sub = per_subject.loc[name]
        row = {"n_subjects": len(sub), "n_seeds": tidy.loc[tidy.model == name, "seed"].nunique(),
               "fit_time_s": float(tidy.loc[tidy.model == name].groupby(["seed", "fold"])
                                   ["fit_time"].first().sum())}
        for s in metrics:
            common = sub.index.intersection(ref.index)
            d = sub.loc[common, s].to_numpy() - ref.loc[common, s].to_numpy()
            row[f"{s}_mean"] = float(sub[s].mean())
            row[f"{s}_std"] = float(sub[s].std(ddof=0))
            row[f"{s}_seed_std"] = float(per_seed.loc[name][s].std(ddof=0))
            row[f"{s}_diff"] = float(d.mean())
            p = np.nan
            if name not in (reference, "chance") and d.size:
                p = 1.0 if np.all(d == 0) else float(wilcoxon(d).pvalue)
            row[f"{s}_p"] = p
        out[name] = row
    summary = pd.DataFrame.from_dict(out, orient="index")
    for s in metrics:
        summary[f"{s}_p_holm"] = holm(summary[f"{s}_p"].to_numpy(float))
    summary.index.name = "method"
    return summary


def format_summary(summary: pd.DataFrame, reference: str) -> str:
    def cell(r, s):
        return f"{r[f'{s}_mean']:.3f} ± {r[f'{s}_std']:.3f}"

    def p(v):
        return "-" if np.isnan(v) else f"{v:.3f}"

    shown = pd.DataFrame({
        "bal. acc.": [cell(r, "balanced_accuracy") for _, r in summary.iterrows()],
        "± seeds": [f"{v:.3f}" for v in summary["balanced_accuracy_seed_std"]],
        "diff": [f"{v:+.3f}" for v in summary["balanced_accuracy_diff"]],
        "p (Holm)": [p(v) for v in summary["balanced_accuracy_p_holm"]],
        "macro-F1": [cell(r, "macro_f1") for _, r in summary.iterrows()],
        "p F1 (Holm)": [p(v) for v in summary["macro_f1_p_holm"]],
        "seeds": summary["n_seeds"].to_numpy(int),
        "fit [s]": [f"{v:.0f}" for v in summary["fit_time_s"]],
    }, index=[f"{n} (ref)" if n == reference else n for n in summary.index])
    return shown.to_string()


def table_rows(summary: pd.DataFrame, dataset: str, stage: str) -> list[dict]:
    """The summary as result-file rows (the columns :mod:`skkd.plotting` reads)."""
    rows = []
    for name, r in summary.iterrows():
        rows.append({"dataset": dataset, "method": name, "protocol": r["protocol"],
                     **{c: r[c] for c in summary.columns if c != "protocol"},
                     "n_params": None, "latency_ms": None, "wall_s": r["fit_time_s"],
                     "stage": stage})
    return rows


def splitter(cv: int | None):
    return LeaveOneGroupOut() if cv is None else GroupKFold(n_splits=cv)


def run_dataset(dataset: str, args) -> tuple[list[dict], str]:
    t0 = time.perf_counter()
    d = load(dataset, args.quick, args.seed)
    y, groups = d["y"], d["groups"]
    cache = None if args.cache is None else (
        Path(args.cache) / f"rulsif_scores_{dataset}_{'quick' if args.quick else 'full'}.npy")
    scores = change_scores(d["X"], cache)
    frame = design(d)
    cv = splitter(args.cv)
    splits = list(cv.split(frame, y, groups))
    make = Factories(d, frame, args.quick)
    seeds = {"neural": list(range(args.seeds)), "classical": [0],
             "random": list(range(args.draws))}
    print(f"[{d['name']}] {len(y)} windows, {len(np.unique(groups))} subjects; scores, "
          f"features {time.perf_counter() - t0:.0f} s", flush=True)
    rows, texts = [], []
    kw = dict(dataset=d["name"], scores=scores, n_jobs=args.n_jobs, verbose=args.verbose)
    if args.stage in ("1", "both"):
        opp = fold_labels(scores, splits)
        rows1 = make.stage1()
        ref = next(iter(rows1))
        summary, text = run_table(rows1, frame, opp, groups, cv, seeds, reference=ref,
                                  title=f"{STAGE1} (RuLSIF labels: score >= training "
                                        f"{QUANTILE:.0%} quantile)", **kw)
        rows += table_rows(summary, d["name"], STAGE1)
        texts.append(text)
        within = WithinGroupSplit(train_fraction=0.5, gap=1)
        w_splits = list(within.split(frame, groups=groups))
        w_rows = make.within()
        summary, text = run_table(w_rows, frame, fold_labels(scores, w_splits), groups, within,
                                  seeds, reference=next(iter(w_rows)),
                                  title=f"{STAGE1}, {WITHIN}", **kw)
        rows += table_rows(summary.assign(protocol=WITHIN), d["name"], STAGE1)
        texts.append(text)
    if args.stage in ("2", "both"):
        rows2 = make.stage2()
        summary, text = run_table(rows2, frame, y, groups, cv, seeds, reference=next(iter(rows2)),
                                  title=STAGE2, **kw)
        rows += table_rows(summary, d["name"], STAGE2)
        texts.append(text)
    text = "\n\n".join(texts)
    if args.quick:
        text = ("NOTE: --quick is a smoke run (tiny data, 1 seed, few draws): indicative of "
                "nothing.\n" + text)
    return rows, text


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 seed, 3 draws, 5 epochs, 20 trees "
                             "(synthetic by default)")
    parser.add_argument("--dataset", choices=["stress_predict", "synthetic", "both"], default=None,
                        help="default: both (synthetic with --quick)")
    parser.add_argument("--stage", choices=["1", "2", "both"], default="both")
    parser.add_argument("--cv", type=int, default=None,
                        help="GroupKFold(K) by subject instead of leave-one-subject-out")
    parser.add_argument("--seeds", type=int, default=None, help="seeds of neural rows (5; quick 1)")
    parser.add_argument("--draws", type=int, default=None,
                        help="draws of the random rows (20; quick 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data set")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per fit")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (joblib)")
    parser.add_argument("--verbose", type=int, default=1, help="0 silent, 1 progress bar")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    parser.add_argument("--cache", default=None, help="folder to cache the RuLSIF scores in")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 1 if args.quick else 5
    if args.draws is None:
        args.draws = 3 if args.quick else 20
    if args.dataset is None:
        args.dataset = "synthetic" if args.quick else "both"
    if args.seeds < 1 or args.draws < 1 or (args.cv is not None and args.cv < 2):
        parser.error("--seeds and --draws must be >= 1 and --cv >= 2.")
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    datasets = ["synthetic", "stress_predict"] if args.dataset == "both" else [args.dataset]
    all_rows, texts = [], []
    for ds in datasets:
        rows, text = run_dataset(ds, args)
        print(text + "\n", flush=True)
        all_rows += rows
        texts.append(text)
    stem = "opportune_kd_quick" if args.quick else "opportune_kd"
    if args.stage != "both":
        stem += f"_stage{args.stage}"
    csv_path, json_path = write_results(
        all_rows, stem, out, quick=args.quick, datasets=datasets, stage=args.stage,
        cv="LeaveOneGroupOut" if args.cv is None else f"GroupKFold({args.cv})",
        seeds=args.seeds, draws=args.draws)
    (out / f"{stem}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    print(f"wrote {csv_path}, {json_path} and {stem}.txt")
    return all_rows


if __name__ == "__main__":
    main()
