"""EDA at 4 Hz: NeuroKit2's tonic/phasic decompositions on Stress-Predict, cost and what they give.

Run (from the repository root, in the README environment)::

    nice -n 10 .venv/bin/python benchmarks/eda_methods.py     # 9 min on 2 busy shared cores
    .venv/bin/python benchmarks/eda_methods.py --quick        # 8 subjects

``--out DIR`` is where ``eda_methods.csv``/``.json`` go (default ``results/``);
``--sparseda`` also extracts every window with sparsEDA (about ten times
slower; by default it is only timed). ``cvxeda`` needs ``cvxopt``
(``pip install 'skkd[cvxeda]'``) and is skipped with a note without it.

For every method of :class:`skkd.features.EDAFeatures` (``highpass``, the
default; ``smoothmedian``; ``cvxeda``; ``sparsEDA``):

- *cost*: wall time per 60-s window at 4 Hz (the same 60 random windows for
  every method, one process) and the share of those windows on which the
  method fails (all features NaN);
- *what it finds*: median SCR peaks per minute and SCR amplitude over all
  windows, in baseline and in stress windows;
- *what it is worth*: a class-balanced random forest
  (:func:`skkd.baselines.make_rf_baseline`, 200 trees) on the 16 EDA
  features plus the 7 temperature features, ``GroupKFold(5)`` by subject,
  balanced accuracy and macro-F1 per held-out subject (mean ± std), no
  per-subject normalisation.

Windows: :func:`skkd.datasets.load_stress_predict`, EDA and TEMP, 60 s with a
60-s hop (no overlap: half the windows of the default 30-s hop, half the
extraction time), 34 subjects.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import format_table, per_subject_scores, results_folder, score_row, write_results  # noqa: E402

from skkd.baselines import make_rf_baseline  # noqa: E402
from skkd.features import EDAFeatures, FeatureExtractionWarning, TEMPFeatures  # noqa: E402

DATASET = "Stress-Predict (E4)"
METHODS = ("highpass", "smoothmedian", "cvxeda", "sparsEDA")
N_TIMED = 60


def extract(method: str, eda: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EDAFeatures(fs=4, method=method, verbose=0).fit_transform(eda)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sparseda", action="store_true", help="extract every window with sparsEDA")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)
    t_start = time.perf_counter()

    from skkd.datasets import load_stress_predict

    data = load_stress_predict(args.data_home, step_s=60, signals=("eda", "temp"))
    eda, temp = np.asarray(data.X["eda"]), np.asarray(data.X["temp"])
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    if args.quick:
        keep = np.isin(groups, np.unique(groups)[:8])
        eda, temp, y, groups = eda[keep], temp[keep], y[keep], groups[keep]
    print(f"{len(y)} windows of {len(set(groups))} subjects", flush=True)
    temp_features = TEMPFeatures(fs=4, verbose=0).fit_transform(temp)
    folds = list(GroupKFold(n_splits=5).split(eda, y, groups))
    timed = np.random.default_rng(0).choice(len(y), size=min(N_TIMED, len(y)), replace=False)
    names = list(EDAFeatures.feature_names)

    rows, costs, notes = [], [], []
    for method in METHODS:
        if method == "cvxeda" and importlib.util.find_spec("cvxopt") is None:
            notes.append("cvxeda skipped: cvxopt is not installed (pip install 'skkd[cvxeda]')")
            continue
        extract(method, eda[timed[:1]])  # warm-up: imports (cvxopt) and first-call costs
        t0 = time.perf_counter()
        F_timed = extract(method, eda[timed])
        ms = 1e3 * (time.perf_counter() - t0) / len(timed)
        failed = float(np.isnan(F_timed[:, names.index("scr_peaks_n")]).mean())
        print(f"{method}: {ms:.1f} ms/window, fails on {100 * failed:.0f} % of {len(timed)}",
              flush=True)
        extra = dict(method_name=method, ms_per_window=ms, failed_share=failed)
        costs.append(extra)
        if method == "sparsEDA" and not args.sparseda:
            continue
        t0 = time.perf_counter()
        F = extract(method, eda)
        wall_features = time.perf_counter() - t0
        frame = pd.DataFrame(F, columns=names)
        for label, cls in (("baseline", 0), ("stress", 1)):
            extra[f"scr_per_min_{label}"] = float(frame["scr_peaks_per_min"][y == cls].median())
            extra[f"scr_amplitude_{label}"] = float(frame["scr_amplitude_mean"][y == cls].median())
        X = np.hstack([F, temp_features])
        pred = np.empty_like(y)
        t0 = time.perf_counter()
        for train, test in folds:
            model = make_rf_baseline(n_estimators=200, n_jobs=1).fit(X[train], y[train])
            pred[test] = model.predict(X[test])
        f1s, baccs = per_subject_scores(y, pred, groups)
        rows.append(score_row(DATASET, f"RF on EDAFeatures(method={method!r}) + TEMP", f1s, baccs,
                              protocol="GroupKFold(5) by subject", wall=wall_features, **extra))
        print(f"  features {wall_features:.0f} s, RF {time.perf_counter() - t0:.0f} s, "
              f"bal. acc. {baccs.mean():.3f}", flush=True)

    title = (f"{DATASET}: {len(set(groups))} subjects, {len(y)} windows of 60 s (no overlap), "
             "GroupKFold(5) by subject, RF seed 0; wall = feature extraction of all windows")
    print()
    print(format_table(rows, title))
    summary = pd.DataFrame(costs)
    print()
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in notes:
        print(note)
    csv_path, _ = write_results(rows, "eda_methods", out, title=title, notes=notes, costs=costs,
                                wall_s=time.perf_counter() - t_start)
    print(f"\nwrote {csv_path} ({time.perf_counter() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
