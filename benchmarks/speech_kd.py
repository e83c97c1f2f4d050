"""Speech-emotion distillation on EmoDB: a CNN+BiLSTM teacher teaches small students.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/speech_kd.py --quick                 # smoke run, see below
    .venv/bin/python benchmarks/speech_kd.py --table calibration     # cheap rows, K = 0, 5, 10, all
    .venv/bin/python benchmarks/speech_kd.py --table main            # every row at K = 10
    .venv/bin/python benchmarks/speech_kd.py                         # both
    .venv/bin/python benchmarks/speech_kd.py --table calibration --rows classical  # SVM/RF only

Measured on a 2-core box shared with other jobs: ``--quick`` 1-3 min;
``--table calibration --rows classical`` (SVM and forest rows only, 10
speakers, 5 seeds, K = 0, 5, 10, all) 19 min; ``--table calibration`` with
its networks 2-3 h (about 40 s per fold and seed for the statistics teacher
and the two MFCC students); ``--table main`` holds the CNN+BiLSTM teacher
and the KD students it teaches, each cross-fitted (6 teacher fits per
student fit): many hours on 2 cores, run it with ``--n-jobs`` on a bigger
machine.
``--out DIR`` for the result files and figures (default
``results/speech_kd/``), ``--seeds N`` (default 5), ``--n-jobs`` (parallel
fits through joblib), ``--threads`` (torch CPU threads per fit),
``--device``.

Data
    :func:`skkd.datasets.load_emodb`: 535 utterances (2.0 s at 22,050 Hz) of
    10 speakers, 7 emotions.
Features (computed once per utterance; they fit nothing on the data)
    Teacher: :class:`skkd.features.SpeechFeatures` frames, 184 features
    (40 MFCC, 12 chroma, 128 log-mel, ZCR, spectral centroid / roll-off /
    bandwidth) × 87 frames, and their utterance statistics (mean and std
    over frames, 368 numbers). Students: 64-band log-mel frames
    (:class:`skkd.features.LogMelExtractor`, float32 FFT) or the mean and
    standard deviation over frames of the 40 MFCCs (80 numbers).
Normalisation (speaker calibration, DESIGN §7)
    Inside every fit and prediction (:class:`SpeakerCalibrated`), each input
    is z-scored within each speaker with :class:`skkd.features.SubjectStandardScaler`
    from the speaker's **first K utterances** and no label: statistics of a
    frame input come from all frames of those K utterances (per channel),
    statistics of an utterance-level table from those K rows. Every
    utterance of the speaker, the K included, is scaled with them; its later
    utterances are never read. EmoDB has no recording order, so each seed
    draws a random order of every speaker's utterances (the same draw for
    every K and row; the first 5 are among the first 10). ``K = 0`` uses no
    utterance of the speaker: the pooled statistics of the training
    speakers. ``K = "all"`` z-scores each speaker over all its utterances,
    the held-out speaker's test utterances included: **transductive** (its
    emotion mix shapes its own mean), what this script reported before
    (issue 13), and every row that uses it is named so. Training speakers
    are normalised the same way as the held-out one. The networks then
    standardise their inputs again with statistics of the training rows only.
Rows
    Cheap rows (every K): class-balanced RBF SVM
    (:func:`skkd.baselines.make_svm_baseline`) and random forest
    (:func:`skkd.baselines.make_rf_baseline`, 300 trees) on the MFCC
    statistics, the SVM also with the first K utterances in file order (sorted
    by sentence, then emotion) for comparison with issue 13; an MLP teacher on
    the SpeechFeatures statistics; the MLP student on the MFCC statistics
    without KD (``alpha=0``, **the reference row**) and distilled from that
    teacher. Main table rows (K = 10 only): the CNN + BiLSTM teacher
    (``module__recurrent=True``) on the SpeechFeatures frames, late-fused
    with an MLP on their statistics; a 1-D CNN student on log-mel frames
    without and with KD from it; the MFCC student distilled from it; the
    MFCC student distilled from the statistics teacher with in-sample
    targets (the labelled extra row).
KD
    Hinton soft targets, ``alpha=0.5, T=4``, **cross-fitted** targets
    (``teacher_targets="cross_fit"``, 5 folds grouped by training speaker):
    each training utterance's soft target comes from a teacher that did not
    see its speaker. Each KD row fits its own teacher in every fold.
Settings (fixed a priori)
    All networks: AdamW, lr 1e-3, weight decay 1e-2, batch 32, 40 epochs,
    dropout 0.3, ``class_weight="balanced"``; widths in :func:`teacher_params`
    and :func:`student_params`. These are the settings of the earlier
    version of this script (chosen while its single-seed transductive
    results were in view, issue 13); nothing was changed after any result
    of this version, and nothing is selected per held-out speaker.
Decision rule
    ``class_weight="balanced"`` on every row (SVM, forest and networks).
Protocol
    Leave-one-speaker-out (10 folds) with :func:`skkd.model_selection.compare`:
    UAR (unweighted average recall = balanced accuracy) and macro-F1 of each
    held-out speaker with the global label set (an emotion a speaker never
    shows and the model never predicts for it does not count in that
    speaker's macro-F1), each averaged over seeds, then mean ±
    std over speakers; a chance row (stratified guessing, 20 draws);
    two-sided Wilcoxon signed-rank tests over speakers against the reference
    row, Holm-corrected. Seeds 0..4 for every row (the calibration order
    depends on the seed too). One table per K; a pivot gives UAR per row and
    K, with paired tests of each K against K = 10 (Holm over the pivot); a
    KD table tests every KD row against the no-KD student on the same input.
Model size and latency
    Each row fitted once more (seed 0, last speaker held out): network
    parameters (support-vector coefficients / tree nodes), and the CPU
    latency of one utterance from raw audio (features + scaling with stored
    per-speaker statistics + model, one thread; the training speakers'
    pooled statistics stand in for a speaker's, the arithmetic is the same).
Figures
    ``confusion_matrix.png``: pooled LOSO predictions of seed 0
    (row-normalised) of the teacher(s) and KD students at the main K;
    ``training_curves.png``: training loss of the networks of the extra fit.
``--quick``
    Speakers 03, 08, 09, seed 0, networks of width 16 trained 8 epochs
    (lr 3e-3), 100 trees: a smoke run, indicative of nothing (with three
    speakers no paired test can reach p < 0.25).
"""

from __future__ import annotations

import argparse
import copy
import inspect
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import LeaveOneGroupOut

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS_DIR,
    latency_ms,
    n_params,
    results_folder,
    write_results,
)

from skkd import Modalities  # noqa: E402
from skkd.baselines import make_rf_baseline, make_svm_baseline  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.features import LogMelExtractor, SpeechFeatures, SubjectStandardScaler  # noqa: E402
from skkd.model_selection import compare, holm  # noqa: E402

DATASET = "EmoDB (7 emotions)"
PROTOCOL = "LOSO by speaker"
N_MFCC = 40
QUICK_SPEAKERS = ("03", "08", "09")
#: the calibration settings of the speaker-calibration table, and the main table's
CALIBRATIONS = (0, 5, 10, "all")
DEFAULT_K = 10
SEEDS = 5
#: Hinton KD, fixed a priori
KD = dict(alpha=0.5, temperature=4.0)


# -- speaker calibration -------------------------------------------------------------------
def calibration_rank(groups, order: str = "random", seed: int = 0) -> np.ndarray:
    """Position of each utterance in its speaker's calibration order (0 = heard first).

    ``"given"``: the order of the rows (EmoDB's file order: sentence, then
    emotion). ``"random"``: a permutation of each speaker's rows drawn from
    ``(seed, speaker)``; it depends only on the speaker's own rows, so a
    speaker gets the same order in a training fold and when held out.

    >>> calibration_rank(["a", "b", "a", "a"], order="given").tolist()
    [0, 0, 1, 2]
    >>> sorted(calibration_rank(["a"] * 4, seed=3).tolist())
    [0, 1, 2, 3]
    """
    groups = np.asarray(groups)
    if order not in ("random", "given"):
        raise ValueError(f"order must be 'random' or 'given', got {order!r}.")
    rank = np.empty(len(groups), dtype=np.int64)
    for g in dict.fromkeys(groups.tolist()):
        rows = np.flatnonzero(groups == g)
        if order == "given":
            rank[rows] = np.arange(len(rows))
        else:
            rng = np.random.default_rng([int(seed), zlib.crc32(str(g).encode())])
            rank[rows] = rng.permutation(len(rows))
    return rank


def _check_calibration(calibration) -> None:
    if calibration == "all" or (isinstance(calibration, (int, np.integer))
                                and not isinstance(calibration, bool) and calibration >= 0):
        return
    raise ValueError(f"calibration must be an int K >= 0 or 'all', got {calibration!r}.")


def _frame_table(frames: np.ndarray) -> np.ndarray:
    n, c, t = frames.shape
    return frames.transpose(0, 2, 1).reshape(n * t, c)


def speaker_standardize(frames: np.ndarray, groups, calibration=DEFAULT_K, *, rank=None,
                        scaler: SubjectStandardScaler | None = None) -> np.ndarray:
    """Z-score every channel of ``(n, c, T)`` frames within each speaker.

    A speaker's mean and std of a channel come from all frames of its first
    ``calibration`` utterances (in ``rank`` order, default: row order), passed
    to :class:`skkd.features.SubjectStandardScaler` as a ``calibration_mask``
    over the ``(n * T, c)`` frame table: K counts **utterances**, not frames.
    ``"all"`` uses all of a speaker's frames (transductive); ``0`` uses the
    pooled statistics of ``scaler`` (a scaler fitted on training frames).

    >>> frames = np.arange(12.0).reshape(2, 2, 3)
    >>> out = speaker_standardize(frames, ["a", "a"], "all")
    >>> out.shape, float(abs(out[:, 0].mean())) < 1e-6, float(out[:, 1].std())
    ((2, 2, 3), True, 1.0)
    >>> first = speaker_standardize(frames, ["a", "a"], 1)  # first utterance's 3 frames
    >>> first[0, 0].astype(float).round(3).tolist(), first[1, 0].astype(float).round(3).tolist()
    ([-1.225, 0.0, 1.225], [6.124, 7.348, 8.573])
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n, c, T), got {frames.shape}.")
    groups = np.asarray(groups)
    if groups.shape != (len(frames),):
        raise ValueError(
            f"groups must have one entry per utterance ({len(frames)}), got shape {groups.shape}."
        )
    _check_calibration(calibration)
    n, c, t = frames.shape
    table = _frame_table(frames)
    frame_groups = np.repeat(groups, t)
    if calibration == 0:
        if scaler is None:
            raise ValueError("calibration=0 needs a scaler fitted on the training frames.")
        scaled = scaler.transform(table, groups=frame_groups)
    elif calibration == "all":
        scaled = SubjectStandardScaler(calibration="all").fit_transform(table, groups=frame_groups)
    else:
        rank = np.arange(n) if rank is None else np.asarray(rank)
        if rank.shape != (n,):
            raise ValueError(f"rank must have one entry per utterance ({n}), got {rank.shape}.")
        mask = np.repeat(_first_k(groups, rank, calibration), t)
        fitted = scaler if scaler is not None else SubjectStandardScaler(calibration=0).fit(table)
        scaled = _recalibrated(fitted, "mask").transform(table, groups=frame_groups,
                                                         calibration_mask=mask)
    return np.ascontiguousarray(scaled.reshape(n, t, c).transpose(0, 2, 1), dtype=np.float32)


def _recalibrated(fitted: SubjectStandardScaler, calibration) -> SubjectStandardScaler:
    """A copy of a fitted scaler (its pooled fallback statistics) with another calibration."""
    return copy.copy(fitted).set_params(calibration=calibration)


def _first_k(groups, rank, k: int) -> np.ndarray:
    """True for the utterances of each speaker whose rank within the speaker is below ``k``.

    Ranks are compared within each speaker (their order, not their values).
    """
    groups, rank = np.asarray(groups), np.asarray(rank)
    out = np.zeros(len(groups), dtype=bool)
    for g in dict.fromkeys(groups.tolist()):
        rows = np.flatnonzero(groups == g)
        out[rows[np.argsort(rank[rows], kind="stable")[:k]]] = True
    return out


class SpeakerCalibrated(ClassifierMixin, BaseEstimator):
    """Per-speaker normalisation from a calibration period, then ``estimator``.

    :meth:`fit` and :meth:`predict` take ``groups`` (the speaker of each row)
    and z-score the inputs named in ``inputs`` within each speaker: frame
    inputs ``(n, c, T)`` per channel from the frames of the speaker's first
    ``calibration`` utterances (:func:`speaker_standardize`), utterance-level
    tables ``(n, d)`` per column from those utterances
    (``SubjectStandardScaler(calibration=K)`` with the calibration order as
    ``time``). ``calibration=0`` scales with the pooled statistics of the
    training rows; ``"all"`` with all of each speaker's rows in the call
    (transductive). Labels are never read by the normalisation.

    Parameters
    ----------
    estimator : classifier
    inputs : str or list of str
        Keys of the :class:`~skkd.Modalities` ``X``; a str passes that array
        to ``estimator``, a list a ``Modalities`` of those keys.
    calibration : int >= 0 or "all", default=10
    order : {"random", "given"}, default="random"
        Calibration order of each speaker's utterances (:func:`calibration_rank`).
    random_state : int, default=0
        Seeds the random calibration order.
    """

    def __init__(self, estimator, inputs, calibration=DEFAULT_K, order="random",
                 random_state=0):
        self.estimator = estimator
        self.inputs = inputs
        self.calibration = calibration
        self.order = order
        self.random_state = random_state

    def _keys(self) -> list[str]:
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    def _groups(self, groups, n: int) -> np.ndarray:
        if groups is None:  # one speaker (a held-out speaker's rows)
            return np.zeros(n, dtype=np.int64)
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must have one entry per row ({n}), got {groups.shape}.")
        return groups

    def fit(self, X, y, groups=None):
        _check_calibration(self.calibration)
        groups = self._groups(groups, len(y))
        self.scalers_ = {}
        for key in self._keys():
            values = np.asarray(X[key])
            if values.ndim == 3:
                table, g = _frame_table(values), np.repeat(groups, values.shape[2])
            elif values.ndim == 2:
                table, g = values, groups
            else:
                raise ValueError(f"input {key!r} must be (n, d) or (n, c, T), got {values.shape}.")
            self.scalers_[key] = SubjectStandardScaler(calibration=0).fit(table, groups=g)
        est = clone(self.estimator)
        inner = self._normalised(X, groups, self._keys())
        if _accepts_groups(est.fit):
            est.fit(inner, y, groups=groups)
        else:
            est.fit(inner, y)
        self.estimator_ = est
        self.classes_ = est.classes_
        return self

    def _normalised(self, X, groups, keys):
        n = len(groups)
        rank = calibration_rank(groups, self.order, self.random_state)
        out = {}
        for key in keys:
            values = np.asarray(X[key], dtype=np.float64)
            scaler = self.scalers_[key]
            if values.ndim == 3:
                out[key] = speaker_standardize(values, groups, self.calibration, rank=rank,
                                               scaler=scaler)
            elif self.calibration == "all":
                out[key] = SubjectStandardScaler(calibration="all").fit_transform(
                    values, groups=groups).astype(np.float32)
            else:
                out[key] = _recalibrated(scaler, int(self.calibration)).transform(
                    values, groups=groups, time=rank).astype(np.float32)
            if len(out[key]) != n:
                raise ValueError(f"input {key!r} has {len(out[key])} rows, groups {n}.")
        if isinstance(self.inputs, str):
            return out[self.inputs]
        return Modalities(out)

    def input_keys(self) -> list[str]:
        """The inputs this model normalises per speaker and predicts from."""
        # a student predicts from its own inputs: the teacher's are not normalised
        own = getattr(self.estimator_, "student_inputs_", None)
        return list(own) if own is not None and not isinstance(self.inputs, str) else self._keys()

    def transform_inputs(self, X, groups=None):
        """The inputs ``estimator_`` predicts from, normalised per speaker."""
        n = len(np.asarray(X[self._keys()[0]]))
        return self._normalised(X, self._groups(groups, n), self.input_keys())

    def predict(self, X, groups=None):
        return self.estimator_.predict(self.transform_inputs(X, groups))

    def predict_proba(self, X, groups=None):
        return self.estimator_.predict_proba(self.transform_inputs(X, groups))


def _accepts_groups(method) -> bool:
    try:
        return "groups" in inspect.signature(method).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False


# -- features ------------------------------------------------------------------------------
def utterance_statistics(frames: np.ndarray) -> np.ndarray:
    """Mean and standard deviation over frames, columns as ``SpeechFeatures(output="stats")``.

    ``(n, c, T)`` -> ``(n, 2c)`` ordered ``f0_mean, f0_std, f1_mean, ...``.

    >>> utterance_statistics(np.array([[[1.0, 3.0], [0.0, 0.0]]])).tolist()
    [[2.0, 1.0, 0.0, 0.0]]
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n, c, T), got {frames.shape}.")
    stats = np.stack([frames.mean(axis=2), frames.std(axis=2)], axis=2)
    return stats.reshape(len(frames), -1)


def extract_features(audio: np.ndarray, fs: int) -> tuple[dict, dict]:
    """SpeechFeatures frames and 64-band log-mel frames of every clip, and the fitted extractors."""
    speech = SpeechFeatures(sr=fs, output="frames", n_mfcc=N_MFCC).fit(audio)
    logmel = LogMelExtractor(sr=fs, n_mels=64, precision="float32").fit(audio)
    frames = speech.transform(audio)
    mel = logmel.transform(audio)[:, 0]
    return {"frames": frames, "logmel": mel}, {"frames": speech, "logmel": logmel}


def prepare_inputs(raw: dict) -> Modalities:
    """The raw (not normalised) inputs of every row: ``frames``, ``speech_stats``
    (their utterance statistics), ``logmel`` and ``mfcc_stats`` (statistics of
    the 40 MFCCs, the first 80 columns of ``speech_stats``)."""
    stats = utterance_statistics(raw["frames"]).astype(np.float32)
    return Modalities(frames=np.asarray(raw["frames"], dtype=np.float32), speech_stats=stats,
                      logmel=np.asarray(raw["logmel"], dtype=np.float32),
                      mfcc_stats=np.ascontiguousarray(stats[:, : 2 * N_MFCC]))


# -- models --------------------------------------------------------------------------------
def net_params(quick: bool, seed: int, device: str = "cpu") -> dict:
    """Training settings of every network (AdamW, weight decay, fixed epochs, balanced CE)."""
    return dict(max_epochs=8 if quick else 40, lr=3e-3 if quick else 1e-3, batch_size=32,
                device=device, random_state=seed, optimizer__weight_decay=1e-2,
                class_weight="balanced")


def teacher_params(kind: str, quick: bool) -> dict:
    """``"fused"``: a CNN + BiLSTM encoder of the SpeechFeatures frames and an MLP encoder of
    their utterance statistics, late fusion; ``"stats"``: the MLP alone."""
    options = dict(module__width=16 if quick else 64, module__depth=2, module__dropout=0.3)
    if kind == "fused":
        options.update(module__kernel_size=5, module__recurrent=True)
    return options


def student_params(kind: str, quick: bool) -> dict:
    """Student networks: a 1-D CNN on log-mel frames, an MLP on MFCC statistics."""
    if kind == "logmel":
        return dict(module__width=16 if quick else 32, module__depth=2, module__dropout=0.3,
                    module__kernel_size=5)
    return dict(module__width=16 if quick else 64, module__depth=2, module__dropout=0.3)


TEACHER = "teacher CNN+BiLSTM (frames) + MLP (stats)"
STATS_TEACHER = "teacher MLP (SpeechFeatures stats)"
NO_KD = "student MLP (MFCC stats), no KD"
#: teacher name -> (its inputs, module options)
TEACHERS = {
    TEACHER: (["frames", "speech_stats"], "fused"),
    STATS_TEACHER: (["speech_stats"], "stats"),
}
#: student name -> (student input, its teacher, KD keyword arguments)
STUDENTS = {
    "student CNN (log-mel), no KD": ("logmel", None, dict(alpha=0.0)),
    "student CNN (log-mel), KD": ("logmel", TEACHER, KD),
    NO_KD: ("mfcc_stats", None, dict(alpha=0.0)),
    "student MLP (MFCC stats), KD": ("mfcc_stats", TEACHER, KD),
    "student MLP (MFCC stats), KD from stats teacher": ("mfcc_stats", STATS_TEACHER, KD),
    "student MLP (MFCC stats), KD from stats teacher, in-sample targets": (
        "mfcc_stats", STATS_TEACHER, dict(KD, teacher_targets="in_sample")),
}
CLASSICAL = {"SVM (MFCC stats)": "svm", "RF (MFCC stats)": "rf"}
#: rows of every calibration table (cheap); the others are the main table's only
CHEAP = ["SVM (MFCC stats)", "RF (MFCC stats)", STATS_TEACHER, NO_KD,
         "student MLP (MFCC stats), KD from stats teacher"]
MAIN_ONLY = [TEACHER, "student CNN (log-mel), no KD", "student CNN (log-mel), KD",
             "student MLP (MFCC stats), KD",
             "student MLP (MFCC stats), KD from stats teacher, in-sample targets"]
#: the no-KD student each KD row is tested against
NO_KD_OF = {"logmel": "student CNN (log-mel), no KD", "mfcc_stats": NO_KD}
FILE_ORDER_SVM = "SVM (MFCC stats)"


def calibration_label(calibration, order: str = "random") -> str:
    """The bracketed part of a row's name that says its normalisation.

    >>> calibration_label(0), calibration_label(10), calibration_label("all")
    ('pooled, K=0', 'first 10 utt.', 'all utt., transductive')
    """
    _check_calibration(calibration)
    if calibration == "all":
        return "all utt., transductive"
    if calibration == 0:
        return "pooled, K=0"
    return f"first {calibration} utt." + (" in file order" if order == "given" else "")


def row_name(model: str, calibration, order: str = "random") -> str:
    return f"{model} [{calibration_label(calibration, order)}]"


def normalisation_text(calibration) -> str:
    """The ``Normalisation`` line of a table's header."""
    if calibration == "all":
        return ("per speaker over ALL its utterances, the held-out speaker's test utterances "
                "included (transductive)")
    if calibration == 0:
        return "no per-speaker statistics: pooled z-scores of the training speakers (K=0)"
    return (f"per speaker from its first {calibration} utterances (frame inputs: all frames of "
            "those utterances), in a random order of its utterances drawn per seed; later "
            "utterances never read")


def make_model(name: str, calibration, quick: bool, device: str = "cpu", order: str = "random"):
    """A factory ``seed -> SpeakerCalibrated(...)`` for the row ``name`` (a base name)."""
    def make(seed: int):
        calibrated = dict(calibration=calibration, order=order, random_state=seed)
        if name in CLASSICAL:
            if CLASSICAL[name] == "svm":
                est = make_svm_baseline(random_state=seed)
            else:
                est = make_rf_baseline(100 if quick else 300, random_state=seed, n_jobs=1)
            return SpeakerCalibrated(est, "mfcc_stats", **calibrated)
        net = net_params(quick, seed, device)
        if name in TEACHERS:
            keys, kind = TEACHERS[name]
            return SpeakerCalibrated(TeacherClassifier(**net, **teacher_params(kind, quick)),
                                     keys, **calibrated)
        inp, teacher_name, kd = STUDENTS[name]
        if teacher_name is None:  # alpha=0: the teacher's targets are never used
            from sklearn.dummy import DummyClassifier

            teacher, keys = DummyClassifier(strategy="prior"), []
        else:
            keys, kind = TEACHERS[teacher_name]
            teacher = TeacherClassifier(**net, **teacher_params(kind, quick))
        student = DistilledStudentClassifier(teacher, student_inputs=[inp], **net,
                                             **student_params(inp, quick), **kd)
        return SpeakerCalibrated(student, [*keys, inp], **calibrated)
    return make


def rows_for(calibration, main: bool, calibration_table: bool, main_k,
             classical_only: bool = False) -> list[tuple[str, str]]:
    """``(base name, order)`` of the rows run at ``calibration``."""
    rows = [(name, "random") for name in CHEAP] if calibration_table or calibration == main_k \
        else []
    if main and calibration == main_k:
        rows += [(name, "random") for name in MAIN_ONLY]
    if calibration_table and calibration not in (0, "all"):
        rows.append((FILE_ORDER_SVM, "given"))
    if classical_only:
        rows = [(name, order) for name, order in rows if name in CLASSICAL]
    return rows


def reference_row(rows, calibration) -> str:
    """The no-KD MFCC student; the SVM row where no network is run."""
    names = [row_name(n, calibration, o) for n, o in rows]
    ref = row_name(NO_KD, calibration)
    return ref if ref in names else row_name(FILE_ORDER_SVM, calibration)


# -- the experiment ------------------------------------------------------------------------
def load(quick: bool) -> dict:
    from skkd.datasets import load_emodb

    data = load_emodb()
    groups = np.asarray(data.groups)
    keep = np.isin(groups, QUICK_SPEAKERS) if quick else np.ones(len(groups), bool)
    return dict(audio=np.asarray(data.X["audio"])[keep], y=np.asarray(data.y)[keep],
                groups=groups[keep], fs=int(data.fs["audio"]))


def run_table(calibration, rows, X, y, groups, args, seeds) -> object:
    """One :func:`compare` table at one calibration setting."""
    models = {row_name(name, calibration, order): make_model(name, calibration, args.quick,
                                                             args.device, order)
              for name, order in rows}
    t0 = time.perf_counter()
    result = compare(
        models, X, y, groups, cv=LeaveOneGroupOut(), seeds=seeds, scoring=("uar", "macro_f1"),
        reference=reference_row(rows, calibration), n_jobs=args.n_jobs,
        verbose=1 if sys.stderr.isatty() else 0, dataset=DATASET,
        normalisation=normalisation_text(calibration), group_name="speaker",
        notes=("decision rule: class_weight='balanced' on every row; KD alpha=0.5, T=4, "
               "cross-fitted targets unless the name says in-sample; settings fixed in "
               "benchmarks/speech_kd.py" + ("; --quick: a smoke run" if args.quick else "")),
    )
    result.wall_s = time.perf_counter() - t0
    return result


def calibration_pivot(results: dict, main_k=DEFAULT_K) -> pd.DataFrame:
    """UAR (mean ± std over speakers) of every row at every K, and paired tests vs ``main_k``.

    ``results`` maps each calibration setting to its :class:`ComparisonResult`.
    The Wilcoxon tests (two-sided, over speakers, each speaker's UAR averaged
    over seeds) compare a row at each K with the same row at ``main_k``;
    p-values are Holm-corrected over all tests of the pivot.
    """
    per = {}
    for k, result in results.items():
        scores = result.scores[result.scores["model"] != "chance"]
        for model, frame in scores.groupby("model", sort=False):
            base = model.rsplit(" [", 1)[0]
            if "file order" in model:
                base += " (file order)"
            per[(base, k)] = frame.groupby("subject")["uar"].mean()
    counts = pd.Series([b for b, _ in per]).value_counts()
    bases = [b for b in dict.fromkeys(b for b, _ in per) if counts[b] > 1]
    table, tests = {}, []
    for base in bases:
        row = {}
        for k in results:
            if (base, k) not in per:
                row[f"K={k}"] = "-"
                continue
            s = per[(base, k)]
            row[f"K={k}"] = f"{s.mean():.3f} ± {s.std(ddof=0):.3f}"
            ref = per.get((base, main_k))
            if k != main_k and ref is not None:
                common = s.index.intersection(ref.index)
                d = (s.loc[common] - ref.loc[common]).to_numpy()
                p = np.nan
                if len(d) and np.any(d != 0):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        p = float(wilcoxon(d).pvalue)
                elif len(d):
                    p = 1.0
                tests.append((base, k, float(np.mean(d)) if len(d) else np.nan, p))
        table[base] = row
    pivot = pd.DataFrame.from_dict(table, orient="index")
    pivot.index.name = f"UAR by calibration K (vs K={main_k}: mean diff, Holm p)"
    if tests:
        adjusted = holm([t[3] for t in tests])
        for (base, k, diff, _), p in zip(tests, adjusted):
            pivot.loc[base, f"K={k}"] += f" ({diff:+.3f}, p={p:.3f})"
    return pivot


def kd_tests(result) -> pd.DataFrame:
    """Every KD row against the no-KD student on the same input (paired, Holm over the rows)."""
    scores = result.scores[result.scores["model"] != "chance"]
    per = {m: f.groupby("subject")["uar"].mean() for m, f in scores.groupby("model", sort=False)}
    rows = []
    for model, s in per.items():
        base, _, label = model.rpartition(" [")
        if base not in STUDENTS or STUDENTS[base][1] is None:
            continue
        ref_name = f"{NO_KD_OF[STUDENTS[base][0]]} [{label}"
        if ref_name not in per:
            continue
        ref = per[ref_name]
        common = s.index.intersection(ref.index)
        d = (s.loc[common] - ref.loc[common]).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
        rows.append({"KD row": model, "vs": ref_name, "n_speakers": len(common),
                     "UAR diff": round(float(d.mean()), 3), "p": p})
    frame = pd.DataFrame(rows, columns=["KD row", "vs", "n_speakers", "UAR diff", "p"])
    frame["p_holm"] = holm(frame["p"].to_numpy(dtype=float)) if len(frame) else []
    return frame.round({"p": 3, "p_holm": 3})


def size_and_latency(models: dict, X, y, groups, extractors, audio, n_threads: int = 1) -> dict:
    """Fit every model once (seed 0, last speaker held out): parameters, latency, the fit."""
    train = groups != groups[-1]
    test_speaker = groups == groups[-1]
    clip = audio[np.flatnonzero(test_speaker)[:1]]
    out = {}
    for name, make in models.items():
        model = make(0).fit(X[train], y[train], groups=groups[train])
        stored = _stored_statistics(model)
        out[name] = dict(model=model, n_params=n_params(model.estimator_),
                         latency_ms=_latency(model, stored, extractors, clip, n_threads))
    return out


def _stored_statistics(model: SpeakerCalibrated) -> dict:
    """A mean and std per input, as a deployed system stores them for a speaker.

    For the timing only the arithmetic matters, so the pooled training
    statistics stand in for the speaker's calibration statistics.
    """
    stats = {}
    for key in model.input_keys():
        scaler = model.scalers_[key]
        shape = (1, -1, 1) if key in ("frames", "logmel") else (1, -1)
        stats[key] = (scaler.mean_.reshape(shape), scaler.scale_.reshape(shape))
    return stats


def _latency(model: SpeakerCalibrated, stored: dict, extractors: dict, clip, n_threads: int):
    """Median ms to classify one raw utterance: features, stored scaling, the model."""
    keys = model.input_keys()

    def features():
        out = {}
        if {"frames", "speech_stats", "mfcc_stats"} & set(keys):
            frames = extractors["frames"].transform(clip)
            stats = utterance_statistics(frames)
            out.update(frames=frames, speech_stats=stats, mfcc_stats=stats[:, : 2 * N_MFCC])
        if "logmel" in keys:
            out["logmel"] = extractors["logmel"].transform(clip)[:, 0]
        scaled = {k: ((out[k] - stored[k][0]) / stored[k][1]).astype(np.float32) for k in keys}
        return scaled[keys[0]] if isinstance(model.inputs, str) else Modalities(scaled)

    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        return latency_ms(lambda: model.estimator_.predict_proba(features()), repeats=10)
    finally:
        torch.set_num_threads(before)


def save_figures(out: Path, result, fitted: dict, quick: bool) -> list[Path]:
    """Confusion matrices (seed 0, pooled over folds) and training curves of the extra fit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skkd.plotting import plot_confusion_matrix, plot_training_curves

    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if quick else ""
    preds = result.predictions[result.predictions["seed"] == result.predictions["seed"].min()]
    names = list(dict.fromkeys(preds["model"]))
    preferred = [TEACHER, "student CNN (log-mel), KD", "student MLP (MFCC stats), KD",
                 STATS_TEACHER, "student MLP (MFCC stats), KD from stats teacher"]
    wanted = [n for p in preferred for n in names if n.rsplit(" [", 1)[0] == p]
    shown = wanted[:3] or names[:2]
    fig, axes = plt.subplots(1, len(shown), figsize=(6.2 * len(shown), 5.5), squeeze=False)
    labels = list(result.labels)
    for ax, name in zip(axes[0], shown):
        p = preds[preds["model"] == name]
        plot_confusion_matrix(p["y_true"].to_numpy(), p["y_pred"].to_numpy(), labels=labels,
                              normalize="true", ax=ax, colorbar=False,
                              title=f"{name}\n(LOSO, seed 0, row-normalised)")
    fig.tight_layout()
    cm_path = out / f"confusion_matrix{suffix}.png"
    fig.savefig(cm_path, dpi=110)
    plt.close(fig)

    nets = [n for n, f in fitted.items() if hasattr(f["model"].estimator_, "net_")][:4]
    fig, axes = plt.subplots(1, max(1, len(nets)), figsize=(5 * max(1, len(nets)), 4),
                             squeeze=False)
    for ax, name in zip(axes[0], nets):
        plot_training_curves(fitted[name]["model"].estimator_, keys=["train_loss"], ax=ax)
        ax.set_title(f"{name}\n(seed 0, last speaker held out)", fontsize=8)
    fig.tight_layout()
    curve_path = out / f"training_curves{suffix}.png"
    fig.savefig(curve_path, dpi=110)
    plt.close(fig)
    return [cm_path, curve_path]


def result_rows(result, calibration, sizes: dict) -> list[dict]:
    """The ``_common`` row format (one per model, chance included) of one table."""
    rows = []
    for model, s in result.summary.iterrows():
        size = sizes.get(model, {})
        rows.append({
            "dataset": DATASET, "method": model, "protocol": PROTOCOL,
            "calibration": str(calibration), "normalisation": normalisation_text(calibration),
            "macro_f1_mean": s["macro_f1_mean"], "macro_f1_std": s["macro_f1_std"],
            "balanced_accuracy_mean": s["uar_mean"], "balanced_accuracy_std": s["uar_std"],
            "uar_seed_std": s["uar_seed_std"], "uar_diff_vs_ref": s["uar_diff"],
            "uar_p_holm": s["uar_p_holm"], "macro_f1_p_holm": s["macro_f1_p_holm"],
            "reference": result.reference, "n_subjects": int(s["n_subjects"]),
            "n_seeds": int(s["n_seeds"]), "n_params": size.get("n_params"),
            "latency_ms": size.get("latency_ms"), "wall_s": s["fit_time"],
        })
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: speakers {', '.join(QUICK_SPEAKERS)}, seed 0, "
                             "width-16 networks trained 8 epochs, 100 trees")
    parser.add_argument("--table", choices=["main", "calibration", "both"], default="both",
                        help="main: every row at --calibration K; calibration: the cheap rows "
                             "at K = 0, 5, 10 and all utterances (transductive); both (default)")
    parser.add_argument("--calibration", default=str(DEFAULT_K),
                        help="K of the main table: utterances of each speaker that calibrate "
                             "its normalisation (default 10; 'all' = transductive)")
    parser.add_argument("--rows", choices=["all", "classical"], default="all",
                        help="classical: only the SVM/RF rows (no networks; the SVM row is "
                             "then the reference)")
    parser.add_argument("--seeds", type=int, default=SEEDS,
                        help="seeds 0..N-1 of every row (default 5; --quick: 1)")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (joblib)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per fit")
    parser.add_argument("--device", default="cpu", help="torch device of the networks")
    parser.add_argument("--out", default=None, help="results folder (default: results/speech_kd/)")
    args = parser.parse_args(argv)
    main_k = args.calibration if args.calibration == "all" else int(args.calibration)
    _check_calibration(main_k)
    torch.set_num_threads(args.threads)
    out = results_folder(args.out, default=RESULTS_DIR / "speech_kd", parser=parser)
    seeds = tuple(range(1 if args.quick and args.seeds == SEEDS else args.seeds))
    main_table = args.table in ("main", "both")
    cal_table = args.table in ("calibration", "both")
    # speakers lack some emotions (e.g. 03 has no disgust): sklearn warns about it per fold
    warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
    warnings.filterwarnings("ignore", "Number of classes in training fold")
    warnings.filterwarnings("ignore", "The least populated class in y")
    stem = "speech_kd_quick" if args.quick else "speech_kd"

    t_start = time.perf_counter()
    d = load(args.quick)
    audio, y, groups = d["audio"], d["y"], d["groups"]
    raw, extractors = extract_features(audio, d["fs"])
    X = prepare_inputs(raw)
    print(f"[{DATASET}] {len(y)} utterances, {len(np.unique(groups))} speakers; features "
          f"{ {k: v.shape[1:] for k, v in X.items()} } in {time.perf_counter() - t_start:.0f} s",
          flush=True)

    ks = list(CALIBRATIONS) if cal_table else []
    if main_table and main_k not in ks:
        ks.append(main_k)
    results, rows, texts = {}, [], []
    for k in ks:
        table_rows = rows_for(k, main_table, cal_table, main_k, args.rows == "classical")
        result = run_table(k, table_rows, X, y, groups, args, seeds)
        results[k] = result
        sizes = {}
        if k == main_k:
            models = {row_name(n, k, o): make_model(n, k, args.quick, args.device, o)
                      for n, o in table_rows}
            sizes = size_and_latency(models, X, y, groups, extractors, audio)
            save_figures(out, result, sizes, args.quick)
        text = (f"== speech-emotion KD, {DATASET}, {PROTOCOL}, calibration K={k} "
                f"(wall {result.wall_s:.0f} s) ==\n{result.to_string()}")
        if sizes:
            text += ("\n\nmodel size (network parameters, SV coefficients or tree nodes) and "
                     "latency of one raw utterance (seed 0, last speaker held out):\n") + \
                "\n".join(f"  {n}: {s['n_params']}, {s['latency_ms']:.1f} ms/utterance"
                          for n, s in sizes.items())
        kd = kd_tests(result)
        if len(kd):
            text += ("\n\nKD rows vs the no-KD student on the same input (UAR, two-sided "
                     "Wilcoxon over speakers, Holm over these rows):\n" + kd.to_string(index=False))
        print("\n" + text, flush=True)
        texts.append(text)
        label = "all" if k == "all" else f"K{k}"
        result.scores.to_csv(out / f"{stem}_{label}_scores.csv", index=False)
        rows += result_rows(result, k, sizes)
    if cal_table:
        pivot = calibration_pivot({k: results[k] for k in CALIBRATIONS}, DEFAULT_K)
        text = ("== speaker calibration: UAR (mean ± std over speakers; seeds "
                f"{', '.join(map(str, seeds))}) by K; in brackets the mean paired difference "
                f"to K={DEFAULT_K} and its Holm-corrected Wilcoxon p ==\n"
                + pivot.to_string())
        print("\n" + text, flush=True)
        texts.append(text)
        pivot.to_csv(out / f"{stem}_calibration_pivot.csv")
    wall = time.perf_counter() - t_start
    texts.append(f"total wall time {wall:.0f} s")
    (out / f"{stem}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    csv_path, json_path = write_results(
        rows, stem, out, quick=args.quick, seeds=list(seeds), tables=args.table,
        main_calibration=str(main_k), protocol=PROTOCOL, wall_s=round(wall),
        decision_rule="class_weight='balanced' on every row")
    print(f"\ntotal wall time {wall:.0f} s; wrote {csv_path}, {json_path} and "
          f"{stem}.txt", flush=True)
    return rows


if __name__ == "__main__":
    main()
