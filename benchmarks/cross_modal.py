"""Cross-modal KD (EmotionKD): a teacher on privileged + GSR inputs, a GSR-only student.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/cross_modal.py --quick     # a few minutes on 2 cores
    .venv/bin/python benchmarks/cross_modal.py             # full: 20 synthetic + 34 real subjects

``--dataset synthetic|stress_predict|both``; ``--out DIR`` for
``cross_modal.csv``/``.json`` (default ``results/``); ``--no-subject-norm``
skips the per-subject z-scoring of the features; ``--no-cross-fit`` skips the
costly cross-fitted-targets row.

Data sets
    (a) ``make_affective_dataset`` (target: high arousal), privileged EEG (log
    theta/alpha/beta band powers per channel) + GSR (EDA window statistics);
    (b) Stress-Predict (Empatica E4, 34 subjects, 60 s windows, target: stress
    task), privileged BVP + ACC + TEMP + GSR, window statistics of every
    channel. Features are z-scored within each subject with the statistics of
    its first 10 windows (a calibration period: no label, and none of the
    held-out subject's later windows is read; DESIGN §7).
Rows
    Teacher MLP on privileged + GSR inputs (late fusion of one encoder per
    modality); GSR-only student MLP without KD (``alpha=0``); with Hinton soft
    targets (``alpha=0.7, T=3``); + feature matching to the teacher's fused
    embedding (``feature_weights=1``); + EmotionKD adaptive feedback
    (``feedback=True``); an RF on GSR features as the classical reference.
    In each LOSO fold one teacher is fitted and frozen
    (:class:`sklearn.frozen.FrozenEstimator`): its in-sample soft targets
    teach the students. Literature variants are extra rows: cross-fitted
    targets (``teacher_targets="cross_fit"``, teacher folds by subject) and
    temperatures ``T=1`` and ``T=6``.

Protocol: leave-one-subject-out (LeaveOneGroupOut by subject); macro-F1 and
balanced accuracy, mean ± std over held-out subjects; student parameters, CPU
latency of one window (GSR features + network, one thread), wall time of the
whole LOSO loop per row (a frozen-teacher student's excludes the shared
teacher, timed in the teacher row).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import LeaveOneGroupOut

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    featurize,
    format_table,
    latency_ms,
    n_params,
    per_subject_scores,
    results_folder,
    score_row,
    subject_zscore,
    write_results,
)

from skkd import Modalities  # noqa: E402
from skkd.baselines import make_rf_baseline  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402


def load(dataset: str, quick: bool, seed: int) -> dict:
    """Raw windows, labels and subjects; the student's key is always ``"eda"`` (GSR)."""
    if dataset == "synthetic":
        from skkd.datasets import make_affective_dataset

        n_subjects, n_windows = (5, 30) if quick else (20, 40)
        data = make_affective_dataset(
            n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
            modalities=("eda", "eeg"), target="arousal", random_state=seed,
        )
        return dict(name="make_affective_dataset (arousal)", X=data.X, y=np.asarray(data.y),
                    groups=np.asarray(data.groups), fs=data.fs, privileged="EEG")
    if dataset == "stress_predict":
        from skkd.datasets import load_stress_predict

        data = load_stress_predict()
        groups = np.asarray(data.groups)
        keep = np.isin(groups, np.unique(groups)[:6]) if quick else np.ones(len(groups), bool)
        return dict(name="Stress-Predict (E4, stress)", X=data.X[keep],
                    y=np.asarray(data.y)[keep], groups=groups[keep], fs=data.fs,
                    privileged="BVP+ACC+TEMP")
    raise ValueError(f"dataset must be 'synthetic' or 'stress_predict', got {dataset!r}.")


def net_params(quick: bool, seed: int) -> dict:
    """MLP settings: 10 epochs of batches of 64 (quick), else 20 epochs of 256 at a higher lr."""
    return dict(max_epochs=10 if quick else 20, lr=1e-3 if quick else 3e-3,
                batch_size=64 if quick else 256, device="cpu",
                random_state=seed, module__width=32, module__dropout=0.2,
                optimizer__weight_decay=1e-2)


def student_specs(cross_fit: bool = True) -> dict:
    """name -> keyword arguments of DistilledStudentClassifier (teacher frozen unless noted)."""
    kd = dict(alpha=0.7, temperature=3.0)
    fb = dict(feedback=True, feedback_every=5, feedback_steps=10)
    specs = {
        "GSR-only student, no KD (alpha=0)": dict(alpha=0.0),
        "student, KD soft targets (T=3)": kd,
        "student, KD + feature matching": {**kd, "feature_weights": 1.0},
        "student, KD + feature matching + adaptive feedback": {**kd, "feature_weights": 1.0, **fb},
        "variant: KD soft targets, T=1": {**kd, "temperature": 1.0},
        "variant: KD soft targets, T=6": {**kd, "temperature": 6.0},
    }
    if cross_fit:
        specs["variant: KD soft targets, cross-fitted targets"] = {**kd, "cross_fit": True}
    return specs


def run_dataset(dataset: str, quick: bool, seed: int, subject_norm: bool = True,
                cross_fit: bool = True) -> list[dict]:
    d = load(dataset, quick, seed)
    X, y, groups, name = d["X"], d["y"], d["groups"], d["name"]
    tables = featurize(X, d["fs"])
    if subject_norm:
        tables = {k: subject_zscore(v, groups) for k, v in tables.items()}
    F = Modalities({k: v.to_numpy() for k, v in tables.items()})
    gsr = tables["eda"]
    print(f"[{name}] {len(y)} windows, {len(np.unique(groups))} subjects, teacher inputs "
          f"{list(F.keys())}, student: eda ({gsr.shape[1]} features)", flush=True)

    specs = student_specs(cross_fit)
    teacher_name = f"teacher ({d['privileged']} + GSR)"
    names = [teacher_name, *specs, "RF (GSR only)"]
    preds = {n: np.zeros(len(y), y.dtype) for n in names}
    wall = dict.fromkeys(names, 0.0)
    fitted = {}
    for fold, (train, test) in enumerate(LeaveOneGroupOut().split(gsr, y, groups)):
        t0 = time.perf_counter()
        teacher = TeacherClassifier(**net_params(quick, seed)).fit(
            F[train], y[train], groups=groups[train])
        preds[teacher_name][test] = teacher.predict(F[test])
        wall[teacher_name] += time.perf_counter() - t0
        fitted[teacher_name] = teacher
        for sname, kw in specs.items():
            kw = dict(kw)
            cross_fit = kw.pop("cross_fit", False)
            t0 = time.perf_counter()
            student = DistilledStudentClassifier(
                TeacherClassifier(**net_params(quick, seed)) if cross_fit else FrozenEstimator(teacher),
                student_inputs=["eda"], teacher_cv=3,
                teacher_targets="cross_fit" if cross_fit else "in_sample",
                **{**net_params(quick, seed), **kw},
            )
            student.fit(F[train], y[train], groups=groups[train])
            preds[sname][test] = student.predict(F[test].select(["eda"]))
            wall[sname] += time.perf_counter() - t0
            fitted[sname] = student
        t0 = time.perf_counter()
        rf = make_rf_baseline(50 if quick else 100, random_state=seed, n_jobs=1)
        rf.fit(gsr.iloc[train], y[train])
        preds["RF (GSR only)"][test] = rf.predict(gsr.iloc[test])
        wall["RF (GSR only)"] += time.perf_counter() - t0
        fitted["RF (GSR only)"] = rf
        print(f"  fold {fold + 1}: held out {groups[test][0]}", flush=True)

    one = X[:1]

    def predict_one(est, keys, frame=False):
        def call():
            feats = featurize(one.select(keys), d["fs"])
            inp = feats["eda"] if frame else Modalities({k: v.to_numpy() for k, v in feats.items()})
            return est.predict_proba(inp)
        return call

    rows = []
    for mname in names:
        est = fitted[mname]
        if mname == teacher_name:
            call = predict_one(est, list(X.keys()))
        else:
            call = predict_one(est, ["eda"], frame=mname.startswith("RF"))
        f1, bacc = per_subject_scores(y, preds[mname], groups)
        rows.append(score_row(
            name, mname, f1, bacc, n_params=n_params(est), latency=latency_ms(call),
            wall=wall[mname], subject_norm=subject_norm,
            inputs="all" if mname == teacher_name else "GSR only"))
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5-6 subjects, 10 epochs")
    parser.add_argument("--dataset", choices=["synthetic", "stress_predict", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-subject-norm", action="store_true",
                        help="raw features, no per-subject z-scoring")
    parser.add_argument("--no-cross-fit", action="store_true",
                        help="skip the cross-fitted-targets variant (4 extra teachers per fold)")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    datasets = ["synthetic", "stress_predict"] if args.dataset == "both" else [args.dataset]
    all_rows = []
    for ds in datasets:
        rows = run_dataset(ds, args.quick, args.seed, subject_norm=not args.no_subject_norm,
                           cross_fit=not args.no_cross_fit)
        print()
        print(format_table(rows, f"cross-modal KD, {rows[0]['dataset']}"))
        print(flush=True)
        all_rows += rows
    name = "cross_modal_quick" if args.quick else "cross_modal"
    if args.no_subject_norm:
        name += "_no_subject_norm"
    csv_path, json_path = write_results(all_rows, name, out, quick=args.quick,
                                        seed=args.seed, datasets=datasets,
                                        subject_norm=not args.no_subject_norm)
    print(f"wrote {csv_path} and {json_path}")
    return all_rows


if __name__ == "__main__":
    main()
