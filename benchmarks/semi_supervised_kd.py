"""Semi-supervised KD: DINO-pre-trained teachers with few labels, and their students.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/semi_supervised_kd.py --quick   # about a minute on 2 cores
    .venv/bin/python benchmarks/semi_supervised_kd.py           # full: EmoDB + synthetic GAF

``--dataset emodb|gaf|both``; ``--fractions 0.1 0.25 1.0`` (share of the
training labels kept); ``--out DIR`` for ``semi_supervised_kd.csv``/``.json``
(default ``results/``); ``--threads`` torch CPU threads.

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
    In every leave-one-group-out fold, ``f`` ∈ {10 %, 25 %, 100 %} of the
    *training* labels are kept, stratified per class (at least one per class),
    seeded by fold; the rest become ``-1``. The held-out speaker/subject is
    never touched and is scored on all its windows.
Rows, for each budget
    * teacher, supervised only: :class:`TeacherClassifier` on the labelled rows;
    * teacher, DINO-pre-trained: :class:`DINOPretrainer` on *all* training
      rows (no labels), then the same network fine-tuned on the labelled rows.
      This is what ``TeacherClassifier(pretrain=DINOPretrainer(...))`` does in
      one ``fit``; here the label-free pre-training is run once per fold and
      its network handed to ``TeacherClassifier(module=...)`` for each budget
      (identical result, a third of the cost). Its wall time includes that
      shared pre-training in every budget's row;
    * student, no KD: the student network on the labelled rows only;
    * student ← each teacher: :class:`DistilledStudentClassifier` with the
      teacher frozen, soft targets (``alpha=0.3, T=4``, in-sample: the
      setting ``benchmarks/kd_estimators.py`` found best) on *all*
      training rows — unlabelled ones teach through the soft targets only
      (``semi_supervised=True``).
    Every network trains for a fixed number of optimiser steps whatever the
    budget (120, batches of 32; epochs = steps / batches), so few labels do not
    mean few updates. DINO: 15 epochs (batches of 64 for EmoDB, 32 for the
    GAF set), 2 global + 1 local views, ``out_dim=64``, ``ema_momentum=0.99``
    (few hundred steps), time crops + scaling + jitter for the speech frames,
    random resized crops + flips for the GAF images.

Protocol: leave-one-group-out (speaker for EmoDB, subject for the synthetic
set), all folds; balanced accuracy (UAR) and macro-F1 per held-out group,
mean ± std over groups; parameters of the predicting network; wall time of
the whole LOSO loop per row.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import LeaveOneGroupOut

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    format_table,
    n_params,
    per_subject_scores,
    results_folder,
    score_row,
    write_results,
)

from skkd import Modalities  # noqa: E402
from skkd.estimators import (  # noqa: E402
    DINOPretrainer,
    DistilledStudentClassifier,
    TeacherClassifier,
)
from skkd.nets import build_module  # noqa: E402

FRACTIONS = (0.1, 0.25, 1.0)
ROWS = ("teacher, supervised only", "teacher, DINO-pre-trained",
        "student, no KD (labelled rows)", "student <- supervised teacher",
        "student <- DINO teacher")


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
                    student_inputs=["speech"], augment="signal", group_name="speaker",
                    teacher_width=32, student_width=8, dino_batch_size=64)
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
                    student_inputs=["eda"], augment="image", group_name="subject",
                    teacher_width=8, student_width=8, dino_batch_size=32)
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


# -- one fold --------------------------------------------------------------------------------
def settings(quick: bool) -> dict:
    """Optimiser steps of every network, DINO epochs (quick: a smoke run, not a result)."""
    return dict(batch_size=32, teacher_steps=20 if quick else 120,
                student_steps=20 if quick else 120, dino_epochs=2 if quick else 15,
                lr=3e-3)


def run_fold(d: dict, train, test, fold: int, fractions, quick: bool, seed: int,
             preds: dict, wall: dict, fitted: dict) -> None:
    s = settings(quick)
    X, y = d["X"], d["y"]
    X_tr, y_tr = X[train], y[train]
    n_classes = len(np.unique(y_tr))
    common = dict(lr=s["lr"], batch_size=s["batch_size"], device="cpu", random_state=seed,
                  optimizer__weight_decay=1e-2)

    # label-free DINO pre-training, once per fold (shared by every budget)
    t0 = time.perf_counter()
    pre = DINOPretrainer(max_epochs=s["dino_epochs"], lr=1e-3, batch_size=d["dino_batch_size"],
                         out_dim=64,
                         ema_momentum=0.99, n_local_crops=1, augment=d["augment"],
                         device="cpu", random_state=seed)
    torch.manual_seed(seed)
    network = build_module(X_tr, n_classes, width=d["teacher_width"])
    pre.pretrain(network, X_tr)
    t_pretrain = time.perf_counter() - t0

    for f in fractions:
        y_semi = hide_labels(y_tr, f, seed + 1000 * fold)
        labeled = y_semi.astype(str) != "-1"
        n_lab = int(labeled.sum())
        t_epochs = epochs_for(n_lab, s["batch_size"], s["teacher_steps"])
        key = lambda row: (f, row)  # noqa: E731

        t0 = time.perf_counter()
        sup = TeacherClassifier(max_epochs=t_epochs, module__width=d["teacher_width"],
                                **common).fit(X_tr[labeled], y_tr[labeled])
        preds[key(ROWS[0])][test] = sup.predict(X[test])
        wall[key(ROWS[0])] += time.perf_counter() - t0

        t0 = time.perf_counter()
        dino = TeacherClassifier(copy.deepcopy(network), max_epochs=t_epochs, **common)
        dino.fit(X_tr[labeled], y_tr[labeled])
        preds[key(ROWS[1])][test] = dino.predict(X[test])
        wall[key(ROWS[1])] += time.perf_counter() - t0 + t_pretrain

        student = dict(student_inputs=d["student_inputs"], module__width=d["student_width"],
                       **common)
        X_student_test = X[test].select(d["student_inputs"])
        t0 = time.perf_counter()
        no_kd = DistilledStudentClassifier(
            FrozenEstimator(sup), alpha=0.0, teacher_targets="in_sample",
            max_epochs=epochs_for(n_lab, s["batch_size"], s["student_steps"]), **student,
        ).fit(X_tr[labeled], y_tr[labeled])
        preds[key(ROWS[2])][test] = no_kd.predict(X_student_test)
        wall[key(ROWS[2])] += time.perf_counter() - t0

        s_epochs = epochs_for(len(y_tr), s["batch_size"], s["student_steps"])
        for row, teacher in ((ROWS[3], sup), (ROWS[4], dino)):
            t0 = time.perf_counter()
            kd = DistilledStudentClassifier(
                FrozenEstimator(teacher), alpha=0.3, temperature=4.0,
                teacher_targets="in_sample", semi_supervised=True, max_epochs=s_epochs,
                **student,
            ).fit(X_tr, y_semi)
            preds[key(row)][test] = kd.predict(X_student_test)
            wall[key(row)] += time.perf_counter() - t0
            fitted[key(row)] = kd
        fitted[key(ROWS[0])], fitted[key(ROWS[1])], fitted[key(ROWS[2])] = sup, dino, no_kd
        fitted[("history", f)] = pre.history_


def run_dataset(dataset: str, quick: bool, seed: int, fractions=FRACTIONS) -> list[dict]:
    t_load = time.perf_counter()
    d = load(dataset, quick, seed)
    X, y, groups, name = d["X"], d["y"], d["groups"], d["name"]
    print(f"[{name}] {len(y)} windows, {len(np.unique(groups))} {d['group_name']}s, "
          f"{len(np.unique(y))} classes, teacher inputs {list(X.keys())}, student inputs "
          f"{d['student_inputs']} (inputs ready in {time.perf_counter() - t_load:.0f} s)",
          flush=True)
    keys = [(f, r) for f in fractions for r in ROWS]
    preds = {k: np.empty(len(y), dtype=y.dtype) for k in keys}
    wall = dict.fromkeys(keys, 0.0)
    fitted: dict = {}
    for fold, (train, test) in enumerate(LeaveOneGroupOut().split(y, y, groups)):
        t0 = time.perf_counter()
        run_fold(d, train, test, fold, fractions, quick, seed, preds, wall, fitted)
        print(f"  fold {fold + 1}: held out {d['group_name']} {groups[test][0]} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    rows = []
    protocol = f"LOSO by {d['group_name']}"
    for f, r in keys:
        f1, bacc = per_subject_scores(y, preds[(f, r)], groups)
        rows.append(score_row(
            name, f"{int(round(100 * f))} % labels: {r}", f1, bacc, protocol=protocol,
            n_params=n_params(fitted[(f, r)]), wall=wall[(f, r)], label_fraction=f,
            inputs="all" if r.startswith("teacher") else "+".join(d["student_inputs"])))
    last = fitted[("history", fractions[-1])]
    print(f"  DINO loss (last fold): epoch 1 {last[0]:.3f} -> epoch {len(last)} {last[-1]:.3f}")
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 speakers/subjects, few steps and pre-training epochs")
    parser.add_argument("--dataset", choices=["emodb", "gaf", "both"], default="both")
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    if not all(0 < f <= 1 for f in args.fractions):
        parser.error("--fractions must lie in (0, 1].")
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    datasets = ["emodb", "gaf"] if args.dataset == "both" else [args.dataset]
    all_rows = []
    for ds in datasets:
        t0 = time.perf_counter()
        rows = run_dataset(ds, args.quick, args.seed, tuple(args.fractions))
        print()
        print(format_table(rows, f"semi-supervised KD, {rows[0]['dataset']} "
                                 f"({time.perf_counter() - t0:.0f} s)"))
        print(flush=True)
        all_rows += rows
    name = "semi_supervised_kd_quick" if args.quick else "semi_supervised_kd"
    csv_path, json_path = write_results(all_rows, name, out, quick=args.quick,
                                        seed=args.seed, datasets=datasets,
                                        fractions=list(args.fractions))
    print(f"wrote {csv_path} and {json_path}")
    return all_rows


if __name__ == "__main__":
    main()
