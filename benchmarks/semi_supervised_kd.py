"""Semi-supervised KD: DINO-pre-trained teachers with few labels, and their students.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/semi_supervised_kd.py --quick   # a smoke run, 1-2 min on 2 cores
    .venv/bin/python benchmarks/semi_supervised_kd.py           # full: EmoDB + synthetic GAF

``--dataset emodb|gaf|both``; ``--fractions 0.1 0.25 1.0`` (share of the
training labels kept); ``--seeds N`` (default 5); ``--out DIR`` for
``semi_supervised_kd.csv``/``.json`` and the per-speaker scores (default
``results/``); ``--threads`` torch CPU threads.

Data sets and inputs
    (a) EmoDB (7 emotions, 10 speakers, 535 utterances of 2 s): frame-wise
    :class:`skkd.features.SpeechFeatures` (``output="frames"``: 20 MFCCs, 12
    chroma, 32 log-mel bands and 4 spectral descriptors, hop 1024 → a
    ``(68, 44)`` sequence per utterance), 1-D CNN encoders. Teacher: width
    32; student: the same input, width 8 (model compression).
    (b) ``make_affective_dataset`` (10 subjects × 20 windows of 30 s, target
    high arousal): Gramian angular field images (:class:`skkd.features.GAFImager`,
    16 × 16) of EDA, respiration and skin temperature, one 2-D CNN per
    modality, late fusion. Teacher: the three images, width 8 (three
    encoders); student: the EDA image only, width 8 (one encoder).
Label budgets
    Inside every fit, ``f`` ∈ {10 %, 25 %, 100 %} of the *training* labels
    are kept, stratified per class (at least one per class), drawn from the
    seed (:func:`hide_labels`); the rest become ``-1``. Every row of one seed
    and fold sees the same labelled windows. The held-out speaker/subject's
    labels reach no fit; it is scored on all its windows.
Rows, for each budget
    * teacher, supervised only: :class:`TeacherClassifier` on the labelled rows;
    * teacher, DINO-pre-trained: :meth:`DINOPretrainer.pretrain` on *all*
      training rows (no labels), then the same network fine-tuned on the
      labelled rows (what ``TeacherClassifier(pretrain=DINOPretrainer(...))``
      does in one ``fit``);
    * student, no KD: the student network on the labelled rows only
      (**the reference row** of the paired tests);
    * student ← each teacher: :class:`DistilledStudentClassifier` with the
      fold's teacher frozen, Hinton soft targets with the estimator's former
      defaults ``alpha=0.5, T=2`` (not tuned), in-sample targets, on *all* training
      rows — unlabelled ones teach through the soft targets only
      (``semi_supervised=True``);
    * student ← DINO teacher, old settings: ``alpha=0.3, T=4`` and 120
      student steps, what this script ran before (its KD students collapsed,
      issue 15), kept as a labelled extra row.
    A fold's DINO pre-training and teachers are fitted once per seed and
    shared by the rows that use them (a cache keyed by the training data,
    labels and settings: the result equals refitting them per row).
Settings (fixed a priori, nothing chosen on held-out speakers)
    Teachers train for 120 optimiser steps and students for 480 (batches of
    32; epochs = steps / batches), whatever the budget, so few labels do not
    mean few updates. AdamW, lr 3e-3, weight decay 1e-2, and
    ``class_weight="balanced"`` on every network (the one decision rule of
    every row). DINO: 15 epochs (batches of 64 for EmoDB, 32 for the GAF
    set), 2 global + 1 local views, ``out_dim=64``, ``ema_momentum=0.99``,
    time crops + scaling + jitter for the speech frames, random resized
    crops + flips for the GAF images. The students' 480 steps come from the
    collapse diagnosis (issue 15, see ``docs/semi_supervised.rst``): with 120
    steps the width-8 student is still far from fitting its own training
    windows (loss still falling; it agrees with its teacher on 32-53 % of
    its unlabelled training windows and predicts 3-5 of 7 emotions there);
    with 480 it fits them (78-86 %, all 7). That was read on training
    windows; ``alpha`` and ``T`` are the estimator's former defaults (0.5, 2),
    fixed before any run and passed explicitly.
Measured (reduced: ``--dataset emodb --fractions 0.1`` / ``0.25 --folds 5 --n-jobs 3``)
    See ``docs/semi_supervised.rst``. UAR / macro-F1 at 10 % and 25 % of the
    labels: old setting 0.303 / 0.208 and 0.338 / 0.242 (3.6 and 4.4
    emotions predicted per speaker); fixed students 0.377-0.378 / 0.304 and
    0.403-0.406 / 0.333-0.339 (about 6); student without KD 0.365 / 0.309
    and 0.406 / 0.349; DINO teacher 0.396 / 0.330 and 0.456 / 0.392.
Normalisation
    None per speaker: every network standardises its inputs with statistics
    of the training rows only (deployable, no calibration utterance needed).
Protocol
    Leave-one-group-out (speaker for EmoDB, subject for the synthetic set)
    with :func:`skkd.model_selection.compare`: UAR (balanced accuracy) and
    macro-F1 per held-out group with the global label set, averaged over
    seeds, mean ± std over groups; a chance row (stratified guessing, 20
    draws); two-sided Wilcoxon signed-rank tests over groups against the
    no-KD student, Holm-corrected. A collapse table gives, per row, the
    number of classes predicted for a held-out group (mean over groups and
    seeds), the largest share of one class among the predictions, and
    UAR minus macro-F1 (a collapsed model has a large gap).
``--quick``
    3 speakers/subjects, 1 seed, 20 teacher and 40 student steps, 2 DINO
    epochs: a smoke run, indicative of nothing.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import math
import os
import pickle
import tempfile
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    compare_rows,
    n_params,
    subject_cv,
    results_folder,
    write_results,
)

from skkd import Modalities  # noqa: E402
from skkd.estimators import (  # noqa: E402
    DINOPretrainer,
    DistilledStudentClassifier,
    TeacherClassifier,
)
from skkd.model_selection import compare  # noqa: E402
from skkd.nets import build_module  # noqa: E402

FRACTIONS = (0.1, 0.25, 1.0)
SEEDS = 5
#: row name -> what the row fits (see :class:`SemiSupervisedRow`)
ROWS = {
    "teacher, supervised only": "teacher_sup",
    "teacher, DINO-pre-trained": "teacher_dino",
    "student, no KD (labelled rows)": "student_no_kd",
    "student <- supervised teacher": "student_sup",
    "student <- DINO teacher": "student_dino",
    "student <- DINO teacher, old settings (a=0.3, T=4, 120 steps)": "student_dino_old",
}
REFERENCE = "student, no KD (labelled rows)"
#: what SemiSupervisedRow can fit: the table's rows and the old settings on the supervised teacher
ROW_KINDS = (*ROWS.values(), "student_sup_old")
#: Hinton KD: DistilledStudentClassifier's former defaults, not tuned (passed explicitly)
KD = dict(alpha=0.5, temperature=2.0)
#: what this script ran before (issue 15: its KD students collapsed)
OLD_KD = dict(alpha=0.3, temperature=4.0)
OLD_STUDENT_STEPS = 120


# -- data ------------------------------------------------------------------------------------
def load(dataset: str, quick: bool, seed: int) -> dict:
    """Inputs, labels, groups and the settings of one data set."""
    if dataset == "emodb":
        from skkd.datasets import load_emodb
        from skkd.features import SpeechFeatures

        data = load_emodb()
        y, groups = np.asarray(data.y), np.asarray(data.groups)
        audio = np.asarray(data.X["audio"])
        if quick:  # 3 speakers
            keep = np.isin(groups, np.unique(groups)[:3])
            audio, y, groups = audio[keep], y[keep], groups[keep]
        frames = SpeechFeatures(output="frames", n_mfcc=20, n_mels=32, hop_length=1024,
                                tuning=0.0).fit_transform(audio)
        X = Modalities(speech=np.asarray(frames, dtype=np.float32))
        return dict(name="EmoDB (7 emotions, speech frames)", X=X, y=y, groups=groups,
                    spec=dict(student_inputs=("speech",), augment="signal", teacher_width=32,
                              student_width=8, dino_batch_size=64),
                    group_name="speaker")
    if dataset == "gaf":
        from skkd.datasets import make_affective_dataset
        from skkd.features import GAFImager

        n_subjects, n_windows = (3, 8) if quick else (10, 20)
        data = make_affective_dataset(n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
                                      modalities=("eda", "rsp", "temp"), target="arousal",
                                      random_state=seed)
        X = Modalities({k: GAFImager(image_size=16).fit_transform(data.X[k])
                        for k in ("eda", "rsp", "temp")})
        return dict(name="make_affective_dataset (arousal, GAF images)", X=X,
                    y=np.asarray(data.y), groups=np.asarray(data.groups),
                    spec=dict(student_inputs=("eda",), augment="image", teacher_width=8,
                              student_width=8, dino_batch_size=32),
                    group_name="subject")
    raise ValueError(f"dataset must be 'emodb' or 'gaf', got {dataset!r}.")


def hide_labels(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """``y`` with all but ``fraction`` of each class replaced by ``-1`` (at least one kept).

    >>> hide_labels(np.array(["a"] * 10 + ["b"] * 4), 0.5, 0).tolist().count("-1")
    7
    """
    y = np.asarray(y)
    out = y.astype(object) if y.dtype.kind in "US" else y.copy()
    if fraction >= 1:
        return y.copy()
    rng = np.random.RandomState(seed)
    hidden = np.ones(len(y), bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        keep = max(1, int(round(fraction * len(rows))))
        hidden[rng.permutation(rows)[:keep]] = False
    out[hidden] = -1
    return out.astype(str) if y.dtype.kind in "US" else out


def epochs_for(n_rows: int, batch_size: int, steps: int) -> int:
    """Epochs that give about ``steps`` optimiser steps on ``n_rows`` rows."""
    return max(1, math.ceil(steps / math.ceil(n_rows / batch_size)))


def settings(quick: bool) -> dict:
    """Optimiser steps of every network, DINO epochs (quick: a smoke run, not a result)."""
    return dict(batch_size=32, teacher_steps=20 if quick else 120,
                student_steps=40 if quick else 480,
                old_student_steps=20 if quick else OLD_STUDENT_STEPS,
                dino_epochs=2 if quick else 15, lr=3e-3)


# -- the fold's teachers, shared by the rows that use them -----------------------------------
_CACHE: dict = {}
#: compare fits row by row (every seed and fold of one row, then the next row), so the
#: cache holds every fold and seed of a budget (small networks) and is cleared after it
_CACHE_SIZE = 1024


#: DINO loss per epoch of the last pre-training (printed as a sanity check)
PRETRAIN_HISTORY: list = []


def clear_cache() -> None:
    """Forget the shared pre-trainings and teachers (tests; a new data set)."""
    _CACHE.clear()


def _digest(X: Modalities, y, *extra) -> str:
    h = hashlib.sha1()
    for key in sorted(X.keys()):
        values = np.ascontiguousarray(X[key])
        h.update(key.encode())
        h.update(str(values.shape).encode())
        h.update(values.tobytes())
    h.update(np.asarray(y).astype(str).astype("U").tobytes())
    h.update(repr(extra).encode())
    return h.hexdigest()


def _cached(kind: str, key: str, build, cache_dir=None):
    """``build()`` once per ``(kind, key)``: in memory, or as a pickle in ``cache_dir``.

    A folder lets joblib workers (``--n-jobs``) share the fold's teachers; a
    worker that finds no file fits the same deterministic teacher itself.
    """
    if cache_dir is not None:
        path = Path(cache_dir) / f"{kind}-{key}.pkl"
        if path.is_file():
            with open(path, "rb") as fh:
                return pickle.load(fh)
        value = build()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh)
        os.replace(tmp, path)
        return value
    if (kind, key) not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[(kind, key)] = build()
    return _CACHE[(kind, key)]


class SemiSupervisedRow(ClassifierMixin, BaseEstimator):
    """One row of the table: hides labels, fits the row's teacher(s) and model.

    :meth:`fit` keeps ``fraction`` of the labels of ``y`` (:func:`hide_labels`,
    seeded by ``random_state``) and fits the model named by ``row`` (a value
    of :data:`ROWS`). Teachers and DINO pre-training are taken from a cache
    shared by rows fitted on the same training rows, labels, seed and
    settings. :meth:`predict` of a student reads only its own inputs.

    Parameters
    ----------
    row : str
        ``"teacher_sup"``, ``"teacher_dino"``, ``"student_no_kd"``,
        ``"student_sup"``, ``"student_dino"``, ``"student_dino_old"`` or
        ``"student_sup_old"`` (``_old``: ``OLD_KD`` and 120 student steps).
    fraction : float in (0, 1]
    spec : dict
        ``student_inputs, augment, teacher_width, student_width, dino_batch_size``.
    quick : bool, default=False
    random_state : int, default=0
    cache_dir : str, optional
        Folder shared by processes for the teachers (else an in-memory cache).
    """

    def __init__(self, row, fraction, spec, quick=False, random_state=0, cache_dir=None):
        self.row = row
        self.fraction = fraction
        self.spec = spec
        self.quick = quick
        self.random_state = random_state
        self.cache_dir = cache_dir

    def _common(self, s: dict) -> dict:
        return dict(lr=s["lr"], batch_size=s["batch_size"], device="cpu",
                    random_state=self.random_state, optimizer__weight_decay=1e-2,
                    class_weight="balanced")

    def _pretrained(self, X, n_classes, key, s):
        def build():
            pre = DINOPretrainer(max_epochs=s["dino_epochs"], lr=1e-3,
                                 batch_size=self.spec["dino_batch_size"], out_dim=64,
                                 ema_momentum=0.99, n_local_crops=1,
                                 augment=self.spec["augment"], device="cpu",
                                 random_state=self.random_state)
            torch.manual_seed(self.random_state)
            network = build_module(X, n_classes, width=self.spec["teacher_width"])
            pre.pretrain(network, X)
            PRETRAIN_HISTORY[:] = list(pre.history_)
            return network
        return _cached("pretrain", key, build, self.cache_dir)

    def _teacher(self, kind, X, y, labeled, key, s):
        n_lab = int(labeled.sum())
        epochs = epochs_for(n_lab, s["batch_size"], s["teacher_steps"])

        def build():
            if kind == "sup":
                teacher = TeacherClassifier(max_epochs=epochs,
                                            module__width=self.spec["teacher_width"],
                                            **self._common(s))
            else:
                network = self._pretrained(X, len(np.unique(y[labeled])), key, s)
                teacher = TeacherClassifier(copy.deepcopy(network), max_epochs=epochs,
                                            **self._common(s))
            return teacher.fit(X[labeled], y[labeled])
        return _cached(f"teacher_{kind}", key, build, self.cache_dir)

    def fit(self, X, y):
        if self.row not in ROW_KINDS:
            raise ValueError(f"row must be one of {sorted(ROW_KINDS)}, got {self.row!r}.")
        if not 0 < self.fraction <= 1:
            raise ValueError(f"fraction must lie in (0, 1], got {self.fraction!r}.")
        s = settings(self.quick)
        y = np.asarray(y)
        y_semi = hide_labels(y, self.fraction, self.random_state)
        labeled = y_semi.astype(str) != "-1"
        key = _digest(X, y, self.fraction, self.random_state, sorted(self.spec.items()), s)
        inputs = list(self.spec["student_inputs"])
        student = dict(student_inputs=inputs, module__width=self.spec["student_width"],
                       **self._common(s))
        if self.row in ("teacher_sup", "teacher_dino"):
            self.estimator_ = self._teacher(self.row[len("teacher_"):], X, y, labeled, key, s)
        elif self.row == "student_no_kd":
            sup = self._teacher("sup", X, y, labeled, key, s)  # unused: alpha=0
            n_lab = int(labeled.sum())
            self.estimator_ = DistilledStudentClassifier(
                FrozenEstimator(sup), alpha=0.0, teacher_targets="in_sample",
                max_epochs=epochs_for(n_lab, s["batch_size"], s["student_steps"]), **student,
            ).fit(X[labeled], y[labeled])
        else:
            kind = "sup" if self.row.startswith("student_sup") else "dino"
            teacher = self._teacher(kind, X, y, labeled, key, s)
            old = self.row.endswith("_old")
            kd, steps = (OLD_KD, s["old_student_steps"]) if old else (KD, s["student_steps"])
            self.estimator_ = DistilledStudentClassifier(
                FrozenEstimator(teacher), teacher_targets="in_sample", semi_supervised=True,
                max_epochs=epochs_for(len(y), s["batch_size"], steps), **kd, **student,
            ).fit(X, y_semi)
        self.classes_ = self.estimator_.classes_
        return self

    def _inputs(self, X):
        if self.row.startswith("student"):
            return X.select(list(self.spec["student_inputs"]))
        return X

    def predict(self, X):
        return self.estimator_.predict(self._inputs(X))

    def predict_proba(self, X):
        return self.estimator_.predict_proba(self._inputs(X))


def make_models(spec: dict, fraction: float, quick: bool, cache_dir=None) -> dict:
    """``{row name: seed -> SemiSupervisedRow}`` for one label budget."""
    return {name: (lambda seed, row=row: SemiSupervisedRow(row, fraction, spec, quick, seed,
                                                           cache_dir))
            for name, row in ROWS.items()}


# -- collapse diagnostics --------------------------------------------------------------------
def collapse_table(predictions: pd.DataFrame, labels) -> pd.DataFrame:
    """Per row: classes predicted per held-out group, largest class share, pooled histogram.

    ``predictions`` is :attr:`ComparisonResult.predictions`. Means are over
    groups and seeds.

    >>> p = pd.DataFrame({"model": ["m"] * 4, "seed": 0, "subject": ["a", "a", "b", "b"],
    ...                   "y_pred": [0, 0, 0, 1]})
    >>> collapse_table(p, [0, 1])[["classes_predicted", "top_class_share"]].values.tolist()
    [[1.5, 0.75]]
    """
    rows = {}
    for model, part in predictions.groupby("model", sort=False):
        per_group = part.groupby(["seed", "subject"])["y_pred"]
        pooled = part["y_pred"].value_counts(normalize=True)
        rows[model] = {
            "classes_predicted": float(per_group.nunique().mean()),
            "top_class_share": float(per_group.agg(
                lambda v: v.value_counts(normalize=True).iloc[0]).mean()),
            **{f"share {c}": float(pooled.get(c, 0.0)) for c in labels},
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def run_dataset(dataset: str, quick: bool, seeds, fractions=FRACTIONS, verbose: int = 1,
                out: Path | None = None, folds: int | None = None,
                n_jobs: int | None = None) -> list[dict]:
    t_load = time.perf_counter()
    d = load(dataset, quick, seeds[0])
    X, y, groups, name = d["X"], d["y"], d["groups"], d["name"]
    spec = d["spec"]
    print(f"[{name}] {len(y)} windows, {len(np.unique(groups))} {d['group_name']}s, "
          f"{len(np.unique(y))} classes, teacher inputs {list(X.keys())}, student inputs "
          f"{list(spec['student_inputs'])} (inputs ready in "
          f"{time.perf_counter() - t_load:.0f} s)", flush=True)
    s = settings(quick)
    rows = []
    for f in fractions:
        clear_cache()
        t0 = time.perf_counter()
        shared = tempfile.TemporaryDirectory(prefix="semi_kd_") if n_jobs not in (None, 1) else None
        result = compare(
            make_models(spec, f, quick, shared and shared.name), X, y, groups,
            cv=subject_cv(folds), seeds=seeds, n_jobs=n_jobs,
            reference=REFERENCE, dataset=f"{name}, {int(round(100 * f))} % of training labels",
            normalisation="none per speaker/subject (networks standardise inputs with "
                          "training-row statistics)",
            notes=(f"teachers {s['teacher_steps']} steps, students {s['student_steps']} steps "
                   f"(old row {s['old_student_steps']}), batch 32, class_weight='balanced' "
                   f"on every network; KD alpha={KD['alpha']}, T={KD['temperature']} "
                   "(estimator defaults), in-sample targets of the fold's frozen teacher"),
            group_name=d["group_name"], verbose=verbose,
        )
        clear_cache()
        if shared is not None:
            shared.cleanup()
        print()
        if PRETRAIN_HISTORY:
            print(f"DINO loss (last pre-training): epoch 1 {PRETRAIN_HISTORY[0]:.3f} -> epoch "
                  f"{len(PRETRAIN_HISTORY)} {PRETRAIN_HISTORY[-1]:.3f}")
        print(result)
        collapse = collapse_table(result.predictions, result.labels)
        print("\nPredicted classes per held-out group (mean), largest class share, UAR - "
              "macro-F1:")
        gap = (result.summary["balanced_accuracy_mean"] - result.summary["macro_f1_mean"])
        shown = collapse[["classes_predicted", "top_class_share"]].assign(
            uar_minus_f1=gap.reindex(collapse.index))
        print(shown.round(3).to_string())
        print(f"({time.perf_counter() - t0:.0f} s)", flush=True)
        sizes = {}
        for row_name, model in make_models(spec, f, quick).items():  # sizes: one small fit
            est = model(0).fit(X[groups != groups[-1]], y[groups != groups[-1]])
            sizes[row_name] = {"n_params": n_params(est.estimator_)}
        clear_cache()
        protocol = (f"LOSO by {d['group_name']}" if not folds
                    else f"GroupKFold({folds}) by {d['group_name']}")
        for r in compare_rows(result, name, protocol, sizes,
                              label_fraction=f):
            r["inputs"] = ("+".join(spec["student_inputs"]) if r["method"].startswith("student")
                           else "all" if r["method"].startswith("teacher") else "-")
            if r["method"] in collapse.index:
                r.update(collapse.loc[r["method"], ["classes_predicted", "top_class_share"]])
            r["method"] = f"{int(round(100 * f))} % labels: {r['method']}"
            rows.append(r)
        if out is not None:
            stem = f"semi_supervised_kd_{dataset}_{int(round(100 * f))}"
            result.scores.to_csv(out / f"{stem}{'_quick' if quick else ''}_scores.csv",
                                 index=False)
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 speakers/subjects, 1 seed, few steps and pre-training epochs")
    parser.add_argument("--dataset", choices=["emodb", "gaf", "both"], default="both")
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"seeds 0..N-1 (default {SEEDS}; --quick: 1)")
    parser.add_argument("--folds", type=int, default=0,
                        help="0: leave one speaker/subject out (default); K >= 2: GroupKFold(K) "
                             "by speaker/subject (every group still scored once)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="parallel fits (joblib); teachers are then shared through a "
                             "temporary folder")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--verbose", type=int, default=1, help="compare's progress (0, 1, 2)")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    if not all(0 < f <= 1 for f in args.fractions):
        parser.error("--fractions must lie in (0, 1].")
    n_seeds = args.seeds if args.seeds is not None else (1 if args.quick else SEEDS)
    if n_seeds < 1:
        parser.error("--seeds must be >= 1.")
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    datasets = ["emodb", "gaf"] if args.dataset == "both" else [args.dataset]
    all_rows = []
    for ds in datasets:
        all_rows += run_dataset(ds, args.quick, tuple(range(n_seeds)), tuple(args.fractions),
                                verbose=args.verbose, out=out, folds=args.folds,
                                n_jobs=args.n_jobs)
        print(flush=True)
    name = "semi_supervised_kd_quick" if args.quick else "semi_supervised_kd"
    csv_path, json_path = write_results(all_rows, name, out, quick=args.quick,
                                        seeds=list(range(n_seeds)), datasets=datasets,
                                        fractions=list(args.fractions), kd=KD, old_kd=OLD_KD,
                                        folds=args.folds or "leave one group out",
                                        settings=settings(args.quick))
    print(f"wrote {csv_path} and {json_path}")
    return all_rows


if __name__ == "__main__":
    main()
