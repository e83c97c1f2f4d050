"""Opportune-moment KD: detect opportune windows from wrist-light signals, then train on them.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/opportune_kd.py --quick     # ~minutes on 2 cores
    .venv/bin/python benchmarks/opportune_kd.py             # full: 34 subjects, ~30+ min

``--dataset stress_predict|synthetic|both`` picks the data, ``--out DIR``
where ``opportune_kd.csv``/``.json`` go (default ``results/``), ``--cache DIR``
keeps the RuLSIF labels between runs (5 min on the full Stress-Predict).

Stage 1 — opportune-moment detection
    *Labels*: :class:`skkd.opportune.RuLSIFOpportuneSelector` on **all**
    signals (resampled to the slowest rate), fitted on each subject's windows:
    the top 25 % of that subject's change scores are "opportune" (1). Labels
    use no stress label and no other subject.
    *Features*: mean/std/min/max/slope of every channel (log band powers for
    EEG), z-scored within each subject with the statistics of its first 10
    windows (calibration: no label, no later window of a held-out subject).
    *Rows*: teacher MLP on all signals (one per LOSO fold, then frozen);
    student MLP on EDA + TEMP distilled from it (soft targets, ``alpha=0.7``,
    ``T=3``, the frozen teacher's in-sample targets); the same student without
    KD (``alpha=0``); RF and SVM on EDA + TEMP; fixed-time and random
    selectors; the demographic model (one RF per STAI/PSS median-split group on
    Stress-Predict, per age band/gender on the synthetic set, aggregate
    fallback) — all **LOSO by subject**. The *personalized* (one RF per
    subject) and *aggregate* (one RF for all) rows use the **within-subject**
    protocol (:class:`skkd.model_selection.WithinGroupSplit`: each subject's
    first half trains, its second half tests), as labelled. Every learned
    detector marks a subject's top 25 % windows by predicted probability, the
    same fraction as the labels, the fixed-time and the random selectors.
Stage 2 — stress classification on the selected windows
    In every LOSO fold an RF stress classifier (EDA + TEMP features) is trained
    on (a) all training windows, (b) those the KD student selects, (c) those the
    student without KD selects, (d) the RuLSIF-labelled ones, (e) random
    windows of the same count, and tested on **all** windows of the held-out
    subject.

Tables print macro-F1 and balanced accuracy, mean ± std over held-out
subjects, model size, CPU latency of one window (features + model, one
thread) and the wall time of the row's LOSO loop (a student's excludes its
shared teacher, timed in the teacher row). Because every stage-1 detector
marks as many windows as there are labelled ones in each subject, false
positives equal false negatives and macro-F1 equals balanced accuracy there.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
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
from skkd.baselines import PerGroupClassifier, make_rf_baseline, make_svm_baseline  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.model_selection import WithinGroupSplit  # noqa: E402
from skkd.opportune import FixedIntervalSelector, RandomSelector, RuLSIFOpportuneSelector  # noqa: E402

WITHIN = "within-subject (first half trains, second half tests)"
FRACTION = 0.25  # share of opportune windows per subject (labels and every detector)


# -- data ------------------------------------------------------------------------------------
def load(dataset: str, quick: bool, seed: int) -> dict:
    """Raw windows, stress labels, subjects and demographic groups of one data set."""
    if dataset == "stress_predict":
        from skkd.datasets import load_stress_predict

        data = load_stress_predict()
        groups = np.asarray(data.groups)
        keep = np.isin(groups, np.unique(groups)[:6]) if quick else np.ones(len(groups), bool)
        meta = data.meta.loc[keep].reset_index(drop=True)
        per_subject = meta.groupby("subject")[["stai_before", "pss_before"]].first()
        demographics = {
            f"{col.split('_')[0].upper()} (median split)": meta["subject"].map(
                (per_subject[col] > per_subject[col].median()).map({True: "high", False: "low"})
            ).to_numpy()
            for col in ("stai_before", "pss_before")
        }
        return dict(name="Stress-Predict (E4)", X=data.X[keep], y=np.asarray(data.y)[keep],
                    groups=groups[keep], fs=data.fs, student=["eda", "temp"],
                    demographics=demographics)
    if dataset == "synthetic":
        from skkd.datasets import make_affective_dataset

        n_subjects, n_windows = (5, 30) if quick else (20, 40)
        data = make_affective_dataset(
            n_subjects=n_subjects, n_windows=n_windows, window_s=30.0,
            modalities=("eda", "temp", "bvp", "eeg"), target="stress", random_state=seed,
        )
        meta = data.meta
        per_subject_age = meta.groupby("subject")["age"].first()
        age_band = meta["subject"].map(
            (per_subject_age > per_subject_age.median()).map({True: "older", False: "younger"}))
        demographics = {"age band (median split)": age_band.to_numpy(),
                        "gender": meta["gender"].astype(str).to_numpy()}
        return dict(name="make_affective_dataset", X=data.X, y=np.asarray(data.y),
                    groups=np.asarray(data.groups), fs=data.fs, student=["eda", "temp"],
                    demographics=demographics)
    raise ValueError(f"dataset must be 'stress_predict' or 'synthetic', got {dataset!r}.")


def rulsif_labels(X: Modalities, groups: np.ndarray, seed: int, cache=None) -> np.ndarray:
    """1 for the windows RuLSIF marks opportune, fitted on each subject's windows.

    ``cache``: an ``.npy`` path; labels are read from it when it exists (they
    depend only on the data and the seed), else computed and written there.
    """
    if cache is not None and Path(cache).is_file():
        labels = np.load(cache)
        if len(labels) == len(groups):
            return labels
    labels = np.zeros(len(groups), dtype=np.int64)
    for g in np.unique(groups):
        m = groups == g
        selector = RuLSIFOpportuneSelector(quantile=1 - FRACTION, random_state=seed)
        labels[m] = selector.fit_predict(X[m])
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, labels)
    return labels


def top_fraction(scores: np.ndarray, groups: np.ndarray, fraction: float = FRACTION) -> np.ndarray:
    """1 for each subject's top ``fraction`` of ``scores`` (at least one window)."""
    marks = np.zeros(len(scores), dtype=np.int64)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        n_keep = max(1, int(round(fraction * len(idx))))
        marks[idx[np.argsort(-scores[idx], kind="stable")[:n_keep]]] = 1
    return marks


# -- models ----------------------------------------------------------------------------------
def net_params(quick: bool, seed: int) -> dict:
    """MLP settings: 10 epochs of batches of 64 (quick), else 20 epochs of 256 at a higher lr."""
    return dict(max_epochs=10 if quick else 20, lr=1e-3 if quick else 3e-3,
                batch_size=64 if quick else 256, device="cpu",
                random_state=seed, module__width=32, module__dropout=0.2,
                optimizer__weight_decay=1e-2)


def rf(quick: bool, seed: int):
    """The random forest of every RF row (50 trees in the quick smoke run, else 100)."""
    return make_rf_baseline(50 if quick else 100, random_state=seed, n_jobs=1)


def _student(teacher, student, seed, quick, **kw):
    return DistilledStudentClassifier(teacher, student_inputs=student, temperature=3.0,
                                      teacher_targets="in_sample",
                                      **{**net_params(quick, seed), **kw})


def detector_specs(student_keys, seed, quick) -> dict:
    """name -> (make estimator from the fold's fitted teacher, input kind).

    Kinds: ``"all"`` (the dict of every modality's features), ``"student"``
    (a student fitted on the dict, predicting from the student's keys),
    ``"frame"`` (a table of the student's features).
    """
    keys = "+".join(k.upper() for k in student_keys)
    return {
        f"KD student MLP ({keys})": (
            lambda t: _student(FrozenEstimator(t), student_keys, seed, quick, alpha=0.7),
            "student"),
        f"student MLP ({keys}), no KD": (
            lambda t: _student(FrozenEstimator(t), student_keys, seed, quick, alpha=0.0),
            "student"),
        f"RF ({keys})": (lambda t: rf(quick, seed), "frame"),
        f"SVM ({keys})": (lambda t: make_svm_baseline(random_state=seed), "frame"),
    }


def run_dataset(dataset: str, quick: bool, seed: int,
                cache_dir=None) -> tuple[list[dict], list[dict]]:
    t_load = time.perf_counter()
    d = load(dataset, quick, seed)
    X, y, groups, name = d["X"], d["y"], d["groups"], d["name"]
    t0 = time.perf_counter()
    cache = None if cache_dir is None else (
        Path(cache_dir) / f"rulsif_labels_{dataset}_{'quick' if quick else 'full'}_{seed}.npy")
    opp = rulsif_labels(X, groups, seed, cache)
    rulsif_s = time.perf_counter() - t0
    tables = featurize(X, d["fs"])
    tables = {k: subject_zscore(v, groups) for k, v in tables.items()}
    F = Modalities({k: v.to_numpy() for k, v in tables.items()})
    frame = pd.concat([tables[k] for k in d["student"]], axis=1)
    print(f"[{name}] {len(y)} windows, {len(np.unique(groups))} subjects, RuLSIF labels in "
          f"{rulsif_s:.0f} s ({opp.mean():.2f} opportune), load+features "
          f"{time.perf_counter() - t_load:.0f} s", flush=True)

    detectors = detector_specs(d["student"], seed, quick)
    kd_name, nokd_name = list(detectors)[:2]
    teacher_name = "teacher MLP (all signals)"
    preds = {n: np.zeros(len(y), np.int64) for n in [teacher_name, *detectors]}
    preds.update({"fixed-time (every 4th window)": np.zeros(len(y), np.int64),
                  "random (25 %)": np.zeros(len(y), np.int64)})
    demo_preds = {k: np.zeros(len(y), np.int64) for k in d["demographics"]}
    wall = dict.fromkeys(list(preds) + list(demo_preds), 0.0)
    fitted = {}
    stage2_names = ["all training windows", f"selected by {kd_name}",
                    f"selected by {nokd_name}", "RuLSIF-labelled windows (oracle selector)",
                    "random windows, same count as KD student"]
    stage2_preds = {n: np.zeros(len(y), y.dtype) for n in stage2_names}
    stage2_counts = {n: [] for n in stage2_names}
    stage2_wall = dict.fromkeys(stage2_names, 0.0)
    rng = np.random.default_rng(seed)

    for fold, (train, test) in enumerate(LeaveOneGroupOut().split(frame, y, groups)):
        train_scores = {}
        t0 = time.perf_counter()
        teacher = TeacherClassifier(**net_params(quick, seed)).fit(
            F[train], opp[train], groups=groups[train])
        preds[teacher_name][test] = top_fraction(teacher.predict_proba(F[test])[:, 1], groups[test])
        wall[teacher_name] += time.perf_counter() - t0
        fitted[teacher_name] = (teacher, "all")
        for mname, (make, kind) in detectors.items():
            t0 = time.perf_counter()
            est = make(teacher)
            if kind == "student":
                est.fit(F[train], opp[train], groups=groups[train])
                X_test, X_train = F[test].select(d["student"]), F[train].select(d["student"])
            else:
                est.fit(frame.iloc[train], opp[train])
                X_test, X_train = frame.iloc[test], frame.iloc[train]
            proba = est.predict_proba(X_test)[:, 1]
            preds[mname][test] = top_fraction(proba, groups[test])
            if mname in (kd_name, nokd_name):
                train_scores[mname] = est.predict_proba(X_train)[:, 1]
            wall[mname] += time.perf_counter() - t0
            fitted[mname] = (est, kind)
        for sname, sel in (("fixed-time (every 4th window)", FixedIntervalSelector(every=4)),
                           ("random (25 %)", RandomSelector(fraction=FRACTION, random_state=seed + fold))):
            t0 = time.perf_counter()
            preds[sname][test] = sel.fit_predict(X[test])
            wall[sname] += time.perf_counter() - t0
        for dname, values in d["demographics"].items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # aggregate fallback is expected
                demo = PerGroupClassifier(rf(quick, seed),
                                          min_samples=20)
                demo.fit(frame.iloc[train], opp[train], groups=values[train])
                proba = demo.predict_proba(frame.iloc[test], groups=values[test])[:, 1]
            demo_preds[dname][test] = top_fraction(proba, groups[test])
            wall[dname] += time.perf_counter() - t0

        # stage 2: stress classifier trained on selected training windows, tested on all
        masks = {
            stage2_names[0]: np.ones(len(train), bool),
            stage2_names[1]: top_fraction(train_scores[kd_name], groups[train]).astype(bool),
            stage2_names[2]: top_fraction(train_scores[nokd_name], groups[train]).astype(bool),
            stage2_names[3]: opp[train].astype(bool),
        }
        random_mask = np.zeros(len(train), bool)
        random_mask[rng.choice(len(train), masks[stage2_names[1]].sum(), replace=False)] = True
        masks[stage2_names[4]] = random_mask
        for sname, mask in masks.items():
            t0 = time.perf_counter()
            clf = rf(quick, seed)
            clf.fit(frame.iloc[train[mask]], y[train[mask]])
            stage2_preds[sname][test] = clf.predict(frame.iloc[test])
            stage2_counts[sname].append(int(mask.sum()))
            stage2_wall[sname] += time.perf_counter() - t0
            fitted["stage2 " + sname] = clf
        print(f"  fold {fold + 1}: held out {groups[test][0]}", flush=True)

    # latency: features of one raw window + model, one thread
    one = X[:1]
    rows = []

    def predict_one(est, kind):
        keys = list(X.keys()) if kind == "all" else d["student"]

        def call():  # features of one raw window, then the model
            feats = featurize(one.select(keys), d["fs"])
            if kind == "frame":
                return est.predict_proba(pd.concat([feats[k] for k in keys], axis=1))
            return est.predict_proba(Modalities({k: v.to_numpy() for k, v in feats.items()}))
        return call

    stage1 = f"stage 1: opportune-moment detection (RuLSIF labels, {FRACTION:.0%} per subject)"
    for mname, p in preds.items():
        f1, bacc = per_subject_scores(opp, p, groups)
        est, kind = fitted.get(mname, (None, None))
        lat = latency_ms(predict_one(est, kind)) if est is not None else None
        rows.append(score_row(name, mname, f1, bacc, n_params=n_params(est), latency=lat,
                              wall=wall[mname], stage=stage1))
    for dname, p in demo_preds.items():
        f1, bacc = per_subject_scores(opp, p, groups)
        rows.append(score_row(name, f"demographic RF per {dname}", f1, bacc,
                              n_params="1 RF per group", wall=wall[dname], stage=stage1))
    rows += within_subject_rows(name, frame, opp, groups, seed, stage1, quick)

    rows2 = []
    stage2 = "stage 2: stress classifier (RF, EDA+TEMP) trained on selected windows, tested on all"
    for sname, p in stage2_preds.items():
        f1, bacc = per_subject_scores(y, p, groups)
        clf = fitted["stage2 " + sname]
        rows2.append(score_row(name, f"stress RF trained on {sname}", f1, bacc,
                               n_params=n_params(clf), latency=latency_ms(predict_one(clf, "frame")),
                               wall=stage2_wall[sname], stage=stage2,
                               train_windows_per_fold=float(np.mean(stage2_counts[sname]))))
    return rows, rows2


def within_subject_rows(name, frame, opp, groups, seed, stage, quick) -> list[dict]:
    """Personalized (one RF per subject) and aggregate RF, within-subject protocol."""
    train, test = next(WithinGroupSplit(train_fraction=0.5, gap=1).split(frame, groups=groups))
    rows = []
    for mname, est, kw in (
        ("personalized RF (one per subject)",
         PerGroupClassifier(rf(quick, seed), min_samples=10),
         True),
        ("aggregate RF (all subjects)", rf(quick, seed), False),
    ):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if kw:
                est.fit(frame.iloc[train], opp[train], groups=groups[train])
                proba = est.predict_proba(frame.iloc[test], groups=groups[test])[:, 1]
            else:
                est.fit(frame.iloc[train], opp[train])
                proba = est.predict_proba(frame.iloc[test])[:, 1]
        pred = top_fraction(proba, groups[test])
        f1, bacc = per_subject_scores(opp[test], pred, groups[test])
        rows.append(score_row(name, mname, f1, bacc, protocol=WITHIN, n_params=n_params(est),
                              wall=time.perf_counter() - t0, stage=stage))
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5-6 subjects, 10 epochs")
    parser.add_argument("--dataset", choices=["stress_predict", "synthetic", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")
    parser.add_argument("--cache", default=None,
                        help="folder to cache the RuLSIF labels in (computed once per data set)")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    torch.set_num_threads(args.threads)
    datasets = ["synthetic", "stress_predict"] if args.dataset == "both" else [args.dataset]
    all_rows = []
    for ds in datasets:
        rows1, rows2 = run_dataset(ds, args.quick, args.seed, args.cache)
        print()
        print(format_table(rows1, rows1[0]["stage"]))
        print()
        print(format_table(rows2, rows2[0]["stage"]))
        print(flush=True)
        all_rows += rows1 + rows2
    name = "opportune_kd_quick" if args.quick else "opportune_kd"
    csv_path, json_path = write_results(all_rows, name, out, quick=args.quick,
                                        seed=args.seed, datasets=datasets)
    print(f"wrote {csv_path} and {json_path}")
    return all_rows


if __name__ == "__main__":
    main()
