"""Signal quality on Stress-Predict: what dropping artefacted or moving windows does, and MiniRocket.

Run (from the repository root, in the README environment)::

    nice -n 10 .venv/bin/python benchmarks/quality.py --cache results/cache
    .venv/bin/python benchmarks/quality.py --quick     # 10 subjects, 3 folds, no MiniRocket

The full run takes 5 min of CPU (18 min of wall time on a 2-core machine
shared with other jobs), most of it the ``ho2025`` PPG index of every window
(which ``--cache`` keeps) and MiniRocket.

``--out DIR`` is where ``quality.csv``/``.json`` go (default ``results/``);
``--cache DIR`` keeps the loaded windows and the per-window quality indices
between runs; ``--no-rocket`` skips the MiniRocket rows (they need
``pip install 'skkd[rocket]'``; without it they are skipped with a note).

Data
    :func:`skkd.datasets.load_stress_predict` (34 subjects, 60-s windows, 30-s
    hop, EDA/TEMP 4 Hz, BVP 64 Hz, ACC 32 Hz); y = 1 for a stress task.
Protocol
    ``GroupKFold(5)`` by subject (the same folds for every row): no subject is
    in both the training and the test windows of a fold, every window is
    predicted once, and scores are computed per subject over its predicted
    windows, then summarised as mean ± std over subjects, with the paired
    Wilcoxon signed-rank test of each row against the reference row (over the
    subjects both score; Holm-corrected).
Features and models
    Mean, std, min, max and slope of each window's EDA and TEMP (computed
    window by window: nothing is fitted on any window but the training ones),
    then :func:`skkd.baselines.make_rf_baseline` (class-balanced random forest,
    200 trees). MiniRocket: :func:`skkd.baselines.make_minirocket_baseline`
    (10,000 kernels on the raw EDA + TEMP windows stacked as 2 channels,
    biases learned from the training windows of each fold, then a
    class-balanced ridge classifier), on all training windows. Chance: one
    class for every window (balanced accuracy 0.5).
Quality selection (thresholds fixed before the run)
    :class:`skkd.features.QualitySelector` on the raw windows. *EDA rules*
    (the selector's default): Kleckner et al. (2018) — EDA within 0.05–60 µS,
    no change faster than 10 µS/s, 5 s around each invalid sample — at most
    25 % of a window's EDA samples invalid; *+ temperature*: also skin
    temperature within 30–40 °C (Kleckner's third rule). *Motion*: mean ENMO
    at most 0.1 g (about Hildebrand et al.'s 2014 wrist threshold for
    moderate activity). *PPG*: NeuroKit2's ``ho2025`` BVP quality (share of
    the signal in beat intervals two detectors agree on) at least 0.5. The
    selector is an imbalanced-learn sampler: in an
    :class:`imblearn.pipeline.Pipeline` it drops **training** windows only.
    Its decision on a window depends on that window alone, so it is computed
    once for all windows (``quality_table``) and each fold trains on its
    kept training windows — the same windows the pipeline would keep (the
    script checks this on the first fold).
Test windows
    Rows marked "all test windows" score every window of the held-out
    subjects (a deployed model sees them all); rows marked "kept test windows"
    score only the windows that the same selector keeps (what a device that
    refuses to predict on bad windows reports), so they are not comparable to
    the first kind one for one: the table gives the windows each row scores.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Memory
from scipy.stats import wilcoxon
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    format_table,
    n_params,
    per_subject_scores,
    results_folder,
    score_row,
    window_statistics,
    write_results,
)

from skkd.baselines import make_minirocket_baseline, make_rf_baseline  # noqa: E402
from skkd.features import FeatureExtractionWarning, QualitySelector  # noqa: E402

DATASET = "Stress-Predict (E4)"
N_SPLITS = 5
SPLIT = f"GroupKFold({N_SPLITS})"
#: the selector configurations, thresholds fixed beforehand (see the module docstring)
SELECTORS = {
    "EDA rules": dict(),
    "EDA rules + temperature": dict(temp_range=(30.0, 40.0)),
    "motion": dict(max_eda_invalid=None, max_motion=0.1),
    "PPG": dict(max_eda_invalid=None, min_ppg_quality=0.5),
    "EDA + motion + PPG": dict(max_motion=0.1, min_ppg_quality=0.5),
}
#: one selector with every rule on: its quality table holds every index the others read
ALL_RULES = SELECTORS["EDA + motion + PPG"]


# -- data and quality --------------------------------------------------------------------------
def load(data_home, memory: Memory):
    from skkd.datasets import load_stress_predict

    return load_stress_predict(data_home, signals=("eda", "temp", "bvp", "acc"), memory=memory)


def quality_indices(X, memory: Memory) -> pd.DataFrame:
    """Every window's EDA-rule, motion and PPG indices (cached: the PPG index is the slow part)."""
    arrays = {k: np.asarray(X[k]) for k in ("eda", "temp", "bvp", "acc")}
    return memory.cache(_quality_indices)(arrays)


def _quality_indices(arrays: dict) -> pd.DataFrame:
    from skkd import Modalities

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        return QualitySelector(**ALL_RULES).fit(Modalities(arrays)).quality_table(Modalities(arrays))


def keep_masks(X, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The windows each configuration keeps, from the shared quality table.

    The EDA rules with temperature are cheap: that selector is run as is.
    """
    masks = {}
    for name, params in SELECTORS.items():
        keep = np.ones(len(table), dtype=bool)
        if params.get("temp_range") is not None:
            keep &= QualitySelector(**params).fit(X).predict(X).astype(bool)
        elif params.get("max_eda_invalid", 0.25) is not None:
            keep &= ~table["fails_eda"].to_numpy()
        if params.get("max_motion") is not None:
            keep &= ~table["fails_motion"].to_numpy()
        if params.get("min_ppg_quality") is not None:
            keep &= ~table["fails_ppg"].to_numpy()
        masks[name] = keep
    return masks


def check_against_the_pipeline(X, y, masks, train) -> None:
    """The first fold's kept training windows equal those of QualitySelector.fit_resample."""
    from skkd import Modalities

    sub = Modalities({k: X[k][train] for k in ("eda", "temp")})
    _, kept_y = QualitySelector(**SELECTORS["EDA rules"]).fit_resample(sub, np.arange(len(train)))
    np.testing.assert_array_equal(kept_y, np.flatnonzero(masks["EDA rules"][train]))


# -- evaluation --------------------------------------------------------------------------------
def out_of_fold(make_model, features, y, folds, train_mask=None):
    """Predictions of every window by the model of its fold; the fitted models' sizes; wall time."""
    pred = np.empty(len(y), dtype=y.dtype)
    sizes, dropped = [], []
    t0 = time.perf_counter()
    for train, test in folds:
        if train_mask is not None:
            kept = train[train_mask[train]]
            dropped.append((len(train) - len(kept), len(train)))
            train = kept
        model = make_model().fit(take(features, train), y[train])
        pred[test] = model.predict(take(features, test))
        sizes.append(n_params(model))
    return pred, sizes[0], time.perf_counter() - t0, dropped


def take(features, idx):
    return features.iloc[idx] if hasattr(features, "iloc") else features[idx]


def make_row(method, y, pred, groups, *, test_mask=None, wall=None, size=None, dropped=None):
    scored = np.ones(len(y), bool) if test_mask is None else test_mask
    f1s, baccs = per_subject_scores(y[scored], pred[scored], groups[scored])
    subjects = list(dict.fromkeys(groups[scored].tolist()))
    protocol = f"{SPLIT} by subject, " + (
        "all test windows" if test_mask is None else "kept test windows")
    if dropped:
        n_dropped, n_train = np.sum(dropped, axis=0)
        dropped_text = f"{n_dropped / len(dropped):.0f}/fold ({100 * n_dropped / n_train:.1f} %)"
    else:
        dropped_text = "-"
    row = score_row(DATASET, method, f1s, baccs, protocol=protocol, n_params=size, wall=wall,
                    accuracy=float(np.mean(y[scored] == pred[scored])),
                    test_windows=int(scored.sum()), train_windows_dropped=dropped_text)
    row["_subjects"] = subjects
    row["_baccs"] = baccs.tolist()
    return row


def paired_tests(rows, reference: str) -> None:
    """Wilcoxon p (Holm-corrected) of each row's per-subject balanced accuracy vs ``reference``."""
    ref = next(r for r in rows if r["method"] == reference and "all test" in r["protocol"])
    ref_scores = dict(zip(ref["_subjects"], ref["_baccs"]))
    raw = {}
    for i, row in enumerate(rows):
        if row is ref:
            continue
        pairs = [(b, ref_scores[s]) for s, b in zip(row["_subjects"], row["_baccs"]) if s in ref_scores]
        diff = np.array([a - b for a, b in pairs])
        raw[i] = wilcoxon(diff).pvalue if len(diff) and np.any(diff != 0) else 1.0
    order = sorted(raw, key=raw.get)
    running = 0.0
    for rank, i in enumerate(order):  # Holm step-down
        running = max(running, min(1.0, (len(order) - rank) * raw[i]))
        rows[i]["p_vs_reference_holm"] = running
    ref["p_vs_reference_holm"] = None


def selection_table(rows) -> str:
    frame = pd.DataFrame(rows)
    shown = pd.DataFrame({
        "method": frame["method"],
        "test windows": frame["protocol"].str.replace(f"{SPLIT} by subject, ", ""),
        "scored": frame["test_windows"],
        "accuracy": frame["accuracy"].map("{:.3f}".format),
        "train windows dropped": frame["train_windows_dropped"],
        "p (Holm) vs reference": frame["p_vs_reference_holm"].map(
            lambda p: "-" if p is None or pd.isna(p) else f"{p:.3f}"),
    })
    return shown.to_string(index=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--cache", default=None, help="joblib cache folder (data, quality indices)")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-rocket", action="store_true")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)
    memory = Memory(args.cache, verbose=0)
    t_start = time.perf_counter()

    data = load(args.data_home, memory)
    X, y, groups = data.X, np.asarray(data.y), np.asarray(data.groups)
    if args.quick:
        keep = np.isin(groups, np.unique(groups)[:10])
        X, y, groups = X[np.flatnonzero(keep)], y[keep], groups[keep]
    n_splits = 3 if args.quick else N_SPLITS
    global SPLIT
    SPLIT = f"GroupKFold({n_splits})"
    folds = list(GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups))
    print(f"{len(y)} windows of {len(set(groups))} subjects ({np.mean(y):.2f} stress); "
          f"{n_splits} folds", flush=True)

    t0 = time.perf_counter()
    table = quality_indices(X, memory)
    print(f"quality indices: {time.perf_counter() - t0:.0f} s", flush=True)
    masks = keep_masks(X, table)
    check_against_the_pipeline(X, y, masks, folds[0][0])
    fails = {c: int(table[c].sum()) for c in table.columns if c.startswith("fails_")}
    print("windows failing each rule:", fails, flush=True)
    for name, keep in masks.items():
        print(f"  {name}: keeps {keep.sum()} of {len(keep)} windows "
              f"({100 * (1 - keep.mean()):.1f} % dropped)", flush=True)

    features = window_statistics(X.select(["eda", "temp"]) if hasattr(X, "select")
                                 else {k: X[k] for k in ("eda", "temp")})
    rf = lambda: make_rf_baseline(n_estimators=200, n_jobs=1)  # noqa: E731
    rows = []
    reference = "RF, all training windows"
    pred_ref, size, wall, _ = out_of_fold(rf, features, y, folds)
    rows.append(make_row(reference, y, pred_ref, groups, wall=wall, size=size))
    chance = np.full_like(y, 0)
    rows.append(make_row("chance (one class)", y, chance, groups))
    for name, keep in masks.items():
        pred, size, wall, dropped = out_of_fold(rf, features, y, folds, train_mask=keep)
        method = f"RF + QualitySelector ({name})"
        rows.append(make_row(method, y, pred, groups, wall=wall, size=size, dropped=dropped))
        rows.append(make_row(method, y, pred, groups, test_mask=keep, dropped=dropped))
        rows.append(make_row(reference, y, pred_ref, groups, test_mask=keep))
        rows[-1]["method"] = f"{reference} [scored on {name} kept]"
        print(f"  {method}: {wall:.0f} s", flush=True)

    rocket_note = ""
    if not (args.no_rocket or args.quick):
        raw = np.concatenate([np.asarray(X["eda"]), np.asarray(X["temp"])], axis=1)
        try:
            pred, size, wall, _ = out_of_fold(lambda: make_minirocket_baseline(n_jobs=1), raw, y, folds)
        except ImportError as exc:
            rocket_note = f"MiniRocket rows skipped: {exc}"
        else:
            rows.append(make_row("MiniRocket + ridge (raw EDA+TEMP), all training windows", y, pred,
                                 groups, wall=wall, size="9996 features"))
        print(f"  MiniRocket: {rocket_note or 'done'}", flush=True)

    paired_tests(rows, reference)
    for row in rows:
        del row["_subjects"], row["_baccs"]
    title = (f"{DATASET}: {len(set(groups))} subjects, {len(y)} windows of 60 s (hop 30 s), "
             f"{SPLIT} by subject, no per-subject normalisation, RF seed 0; "
             "window statistics of EDA + TEMP")
    print()
    print(format_table(rows, title))
    print()
    print(selection_table(rows))
    if rocket_note:
        print(rocket_note)
    info = dict(title=title, windows=len(y), subjects=len(set(groups)), failing=fails,
                kept={k: int(v.sum()) for k, v in masks.items()}, selectors=SELECTORS,
                wall_s=time.perf_counter() - t_start, note=rocket_note)
    csv_path, _ = write_results(rows, "quality", out, **info)
    print(f"\nwrote {csv_path} ({time.perf_counter() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
