"""The main job (``python -m skkd``): does distillation help a wrist-only student?

A teacher that sees every wrist channel (EDA, TEMP, BVP, ACC) teaches a small
network that sees only EDA and skin temperature, on all 34 labelled
Stress-Predict subjects (window features shipped inside the package, so no
data folder is needed). Everything is measured the way a deployed system would
meet a new person (DESIGN.md §7):

- splits by subject (``GroupKFold(5)``; ``--full``: leave-one-subject-out), so
  every score is on subjects that no model saw;
- per-subject normalisation calibrated on each subject's first 10 windows
  (:class:`~skkd.features.SubjectStandardScaler` with ``calibration=10``): it
  is label-free and reads no window of a subject after its first 10, so it is
  applied once up front — the result equals scaling inside each fold;
- a MiniRocket row on the raw EDA and TEMP windows (also shipped) when sktime
  is installed (``pip install 'skkd[rocket]'``; without it the row is
  skipped with a note), with each channel scaled per subject by the same
  first 10 windows;
- one decision rule for every row (``class_weight="balanced"``);
- 5 seeds for every row (``--quick``: 2), a chance row, and paired Wilcoxon
  tests over subjects against the student without distillation,
  Holm-corrected (:func:`skkd.model_selection.compare`);
- settings fixed before looking at any result (the KD loss at the library
  defaults ``alpha=0.5, temperature=2``), none tuned on the reported splits;
- soft targets cross-fitted by subject: each training window's target comes
  from a teacher that did not see that window's subject.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["main_job", "run_demo"]

#: the student's inputs (the teacher sees every modality of the table)
STUDENT_KEYS = ("eda", "temp")
CALIBRATION = 10
REFERENCE = "student MLP, no KD"
ROCKET = "MiniRocket, EDA+TEMP raw"
#: MiniRocket features (84 kernels, 4 features each): chosen for the job's time budget
#: before any result was seen; the paper's 10,000 run in benchmarks/quality.py
ROCKET_KERNELS = 336
#: columns of the raw windows in the job's table (never a feature column's prefix)
RAW_PREFIX = "raw_"
ROCKET_SKIPPED = ("MiniRocket row skipped: sktime is not installed here; "
                  "pip install 'skkd[rocket]' adds it.")
WIDTH = 100
QUICK_CAVEAT = ("Note: --quick uses 2 seeds and 10 epochs: its numbers are indicative "
                "only, not results.")

#: settings of each mode: seeds, network epochs, folds (None: leave-one-subject-out)
MODES = {
    "quick": {"seeds": (0, 1), "max_epochs": 10, "folds": 5},
    "default": {"seeds": (0, 1, 2, 3, 4), "max_epochs": 20, "folds": 5},
    "full": {"seeds": (0, 1, 2, 3, 4), "max_epochs": 20, "folds": None},
}


@contextmanager
def _torch_threads(n: int):
    """Torch intra-op threads for a network this small (more threads only cost here)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _features(data_home, raw: bool = False):
    """Window features of the 34 subjects: the shipped table, or recomputed from raw data.

    With ``raw=True`` also the raw EDA and TEMP windows ``(n, 2, 240)`` of the
    same rows (else ``None``).
    """
    from skkd.datasets import load_stress_predict, load_stress_predict_features
    from skkd.datasets._features_sample import (
        FEATURE_SIGNALS,
        STEP_S,
        WINDOW_S,
        stress_predict_raw_windows,
        stress_predict_window_features,
    )

    if data_home is None:
        data = load_stress_predict_features(raw=raw)
        windows = (np.concatenate([data.raw[k] for k in STUDENT_KEYS], axis=1)
                   if raw else None)
        return data.X, data.y, data.groups, data.meta["t_start"].to_numpy(), (
            "Stress-Predict, built-in window features of EDA, TEMP, BVP, ACC"
            + (" and raw EDA, TEMP" if raw else "")), windows
    loaded = load_stress_predict(data_home, window_s=WINDOW_S, step_s=STEP_S,
                                 signals=FEATURE_SIGNALS)
    X = stress_predict_window_features(loaded.X).astype(np.float32)
    windows = None
    if raw:
        signals = stress_predict_raw_windows({k: loaded.X[k] for k in STUDENT_KEYS})
        windows = np.concatenate([signals[k] for k in STUDENT_KEYS], axis=1)
    return X, np.asarray(loaded.y), np.asarray(loaded.groups), loaded.meta["t_start"].to_numpy(), (
        f"Stress-Predict from {data_home}, window statistics of EDA, TEMP, BVP, ACC "
        "recomputed from the raw E4 exports"), windows


def rocket_missing() -> str | None:
    """``None`` when MiniRocket (sktime or aeon) can be imported, else why not."""
    from skkd.features._rocket import minirocket_backend

    try:
        minirocket_backend()
    except ImportError as exc:
        return str(exc)
    return None


def _calibrated_windows(windows: np.ndarray, groups, time, k: int) -> np.ndarray:
    """Raw windows ``(n, c, T)`` scaled per subject and channel by its first ``k`` windows.

    The mean and std of each channel over the samples of the subject's first
    ``k`` windows in time order (labels are never read; later windows do not
    change them), as ``SubjectStandardScaler(calibration=k)`` does for features.
    A new float32 array; ``windows`` is not modified.
    """
    groups, time = np.asarray(groups), np.asarray(time)
    out = np.empty(windows.shape, dtype=np.float32)
    for g in pd.unique(groups):
        rows = np.flatnonzero(groups == g)
        first = rows[np.argsort(time[rows], kind="stable")[:k]]
        calib = windows[first].astype(np.float64)
        mean = calib.mean(axis=(0, 2), keepdims=True)
        std = calib.std(axis=(0, 2), keepdims=True)
        std[~(std > 10 * np.finfo(np.float64).eps)] = 1.0
        out[rows] = (windows[rows] - mean) / std
    return out


def _as_windows(X, columns, n_channels: int) -> np.ndarray:
    """The raw-window columns of the job's table back as windows ``(n, c, T)``."""
    values = np.asarray(X[columns] if hasattr(X, "columns") else X, dtype=np.float32)
    return values.reshape(len(values), n_channels, -1)


def _job_table(data_home=None, raw: bool = False):
    """``(X, y, groups, t_start, dataset)``: the job's table, scaled per subject.

    The 30 window features, scaled by :class:`~skkd.features.SubjectStandardScaler`
    with each subject's first :data:`CALIBRATION` windows; with ``raw=True``
    also the raw EDA and TEMP windows flattened into columns
    ``raw_eda__000`` ... ``raw_temp__239``, each channel scaled by the same
    windows (:func:`_calibrated_windows`). Both read no label and no window
    of a subject after its calibration windows, so scaling once up front
    equals scaling inside each fold.
    """
    from skkd.features import SubjectStandardScaler

    X_raw, y, groups, t_window, dataset, windows = _features(data_home, raw=raw)
    # a NaN would make the scaler fall back to statistics pooled over every subject
    if not np.isfinite(X_raw.to_numpy()).all():
        raise ValueError("run_demo: the window features hold NaN or infinite values.")
    scaler = SubjectStandardScaler(calibration=CALIBRATION)
    X = pd.DataFrame(
        scaler.fit_transform(X_raw, groups=groups, time=t_window).astype(np.float32),
        columns=X_raw.columns,
    )
    if windows is not None:  # the MiniRocket row's raw windows, scaled the same way
        scaled = _calibrated_windows(windows, groups, t_window, CALIBRATION)
        n, c, T = scaled.shape
        raw_cols = [f"{RAW_PREFIX}{k}__{i:03d}" for k in STUDENT_KEYS[:c] for i in range(T)]
        X = pd.concat([X, pd.DataFrame(scaled.reshape(n, c * T), columns=raw_cols)], axis=1)
    return X, y, groups, t_window, dataset


def _models(columns, max_epochs: int, verbose: int) -> dict:
    """The rows of the table, in order; the seed goes into every ``random_state``.

    Columns starting with :data:`RAW_PREFIX` are the raw EDA and TEMP windows,
    read by the MiniRocket row only (which is there only when they are).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from skkd.baselines import make_minirocket_baseline
    from skkd.estimators import DistilledStudentClassifier

    raw_cols = [c for c in columns if c.startswith(RAW_PREFIX)]
    feature_cols = [c for c in columns if not c.startswith(RAW_PREFIX)]
    student_cols = [c for c in feature_cols if c.split("__", 1)[0] in STUDENT_KEYS]

    def keep(cols):
        return ColumnTransformer([("keep", "passthrough", cols)])

    def forest():
        return RandomForestClassifier(n_estimators=50, min_samples_leaf=3,
                                      class_weight="balanced", n_jobs=1, random_state=0)

    def teacher():
        return Pipeline([
            ("features", keep(feature_cols)),
            ("logistic", LogisticRegression(solver="liblinear", class_weight="balanced",
                                            random_state=0)),
        ])

    net = dict(student_inputs=list(STUDENT_KEYS), max_epochs=max_epochs, batch_size=256,
               lr=1e-3, device="cpu", class_weight="balanced", module__width=32,
               random_state=0, verbose=max(0, verbose - 1))
    rows = {
        "RF, EDA+TEMP": Pipeline([("eda_temp", keep(student_cols)), ("forest", forest())]),
    }
    if raw_cols:
        rocket = make_minirocket_baseline(ROCKET_KERNELS, classifier="logistic", n_jobs=1)
        rows[ROCKET] = Pipeline([
            ("windows", FunctionTransformer(
                _as_windows, kw_args={"columns": raw_cols, "n_channels": len(STUDENT_KEYS)})),
            *rocket.steps,
        ])
    return {
        **rows,
        "RF, all wrist": Pipeline([("features", keep(feature_cols)), ("forest", forest())]),
        "teacher: LR, all wrist": teacher(),
        # a prior-only "teacher": alpha=0 reads no soft target, and nothing is fitted for it
        REFERENCE: DistilledStudentClassifier(
            DummyClassifier(strategy="prior"), alpha=0.0, **net
        ).set_fit_request(groups=True),
        "student MLP, KD": DistilledStudentClassifier(
            teacher(), alpha=0.5, temperature=2.0, teacher_targets="cross_fit",
            teacher_cv=5, **net
        ).set_fit_request(groups=True),
    }


INPUTS = {
    "RF, EDA+TEMP": "EDA+TEMP",
    ROCKET: "EDA+TEMP raw",
    "RF, all wrist": "all",
    "teacher: LR, all wrist": "all",
    REFERENCE: "EDA+TEMP",
    "student MLP, KD": "EDA+TEMP",
    "chance": "-",
}


def _size(estimator) -> str:
    """Parameters of a fitted row: network weights, LR coefficients, forest nodes."""
    if hasattr(estimator, "n_params_"):
        return f"{estimator.n_params_:,}"
    est = estimator[-1] if hasattr(estimator, "steps") else estimator
    if hasattr(estimator, "named_steps") and "minirocketfeatures" in estimator.named_steps:
        # MiniRocket's learned biases (one per feature) + the linear head
        return f"{est.coef_.shape[1] + est.coef_.size + np.size(est.intercept_):,}"
    if hasattr(est, "coef_"):
        return f"{est.coef_.size + np.size(est.intercept_):,}"
    if hasattr(est, "estimators_"):
        return f"{sum(t.tree_.node_count for t in est.estimators_):,} nodes"
    return "-"


def _latency_ms(estimator, X_one, repeats: int = 20) -> float:
    """Median time of ``predict_proba`` on one window (after one warm-up call)."""
    estimator.predict_proba(X_one)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        estimator.predict_proba(X_one)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def _interpretation(result) -> list[str]:
    """Two sentences computed from the table: KD vs no KD, and the rows against chance."""
    s, summary, scores = "balanced_accuracy", result.summary, result.scores
    per_subject = scores.groupby(["model", "subject"])[s].mean().unstack("model")
    kd, ref = "student MLP, KD", REFERENCE
    diff = per_subject[kd] - per_subject[ref]
    d, p = float(diff.mean()), float(summary.loc[kd, f"{s}_p_holm"])
    n, up = int(diff.notna().sum()), int((diff > 0).sum())
    verdict = ("a significant difference" if p <= 0.05
               else "not a significant difference")
    first = (f"Distillation changed the EDA+TEMP student's balanced accuracy by {d:+.3f} on "
             f"average over subjects ({up} of {n} subjects up; Holm-adjusted Wilcoxon p = "
             f"{p:.3f}): {verdict} at the 5 % level.")
    chance = float(summary.loc["chance", f"{s}_mean"])
    rows = summary.drop(index="chance")
    best, worst = rows[f"{s}_mean"].idxmax(), rows[f"{s}_mean"].idxmin()
    beat = {m: int((per_subject[m] > per_subject["chance"]).sum()) for m in rows.index}
    rf_student = "RF, EDA+TEMP"
    gap = float(rows.loc[ref, f"{s}_mean"] - rows.loc[rf_student, f"{s}_mean"])
    p_rf = float(rows.loc[rf_student, f"{s}_p_holm"])
    second = (f"Every row is {'above' if rows[f'{s}_mean'].min() > chance else 'not all above'} "
              f"chance ({chance:.3f}): from {rows.loc[worst, f'{s}_mean']:.3f} ({worst}, above "
              f"chance on {beat[worst]} of {n} subjects) to {rows.loc[best, f'{s}_mean']:.3f} "
              f"({best}, {beat[best]} of {n}); on the same EDA+TEMP inputs the student MLP "
              f"without KD is {abs(gap):.3f} {'above' if gap >= 0 else 'below'} the random "
              f"forest (p = {p_rf:.3f}).")
    if ROCKET not in rows.index:
        return [first, second]
    gap = float(rows.loc[ROCKET, f"{s}_mean"] - rows.loc[ref, f"{s}_mean"])
    third = (f"MiniRocket on the raw EDA+TEMP windows reaches "
             f"{rows.loc[ROCKET, f'{s}_mean']:.3f}, {abs(gap):.3f} "
             f"{'above' if gap >= 0 else 'below'} the student without KD on "
             f"the same signals' features (p = {float(rows.loc[ROCKET, f'{s}_p_holm']):.3f}).")
    return [first, second, third]


def run_demo(data_home=None, *, quick: bool = False, full: bool = False,
             random_state: int = 0, verbose: int = 0, n_jobs: int | None = None,
             progress: bool = False) -> pd.DataFrame:
    """The main job's table: RF and MiniRocket baselines, the teacher, students with/without KD.

    Parameters
    ----------
    data_home : str or path, default=None
        ``None``: the window features shipped with skkd
        (:func:`~skkd.datasets.load_stress_predict_features`); a folder:
        the same features recomputed from ``stress-predict/`` in it.
    quick : bool, default=False
        2 seeds and 10 epochs instead of 5 and 20 (indicative only).
    full : bool, default=False
        Leave-one-subject-out (34 folds) instead of ``GroupKFold(5)``.
    random_state : int, default=0
        The first seed; the others follow it.
    verbose : int, default=0
        0: nothing printed by the fits; 1: one line per model × seed × fold;
        2: also the networks' epochs.
    n_jobs : int, default=None
        Parallel fits (``None``: 2 where the machine has 2 cores or more).
    progress : bool, default=False
        Show a progress bar on stderr (the command line does).

    Without sktime (``pip install 'skkd[rocket]'``) the MiniRocket row is
    left out and ``attrs["skipped"]`` says so.

    Returns
    -------
    DataFrame
        One row per model and the chance row: ``model, inputs``, for balanced
        accuracy and macro-F1 ``*_mean``, ``*_std`` (over subjects) and
        ``*_p_holm`` (against the student without KD), ``n_params``,
        ``latency_ms`` (one window, ``predict_proba``), ``fit_s`` (mean per
        fold). ``attrs`` holds ``title``, ``header`` (what :func:`compare`
        prints above its table), ``interpretation`` (two sentences, a third
        on MiniRocket), ``skipped`` (rows left out, and why) and ``wall_s``.

    >>> table = run_demo(quick=True)            # doctest: +SKIP
    >>> list(table.columns)[:3]                 # doctest: +SKIP
    ['model', 'inputs', 'balanced_accuracy_mean']
    """
    import sklearn
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    from skkd.model_selection import compare

    if quick and full:
        raise ValueError("run_demo: quick and full exclude each other.")
    t_start = time.perf_counter()
    mode = MODES["quick" if quick else "full" if full else "default"]
    missing = rocket_missing()
    X, y, groups, t_window, dataset = _job_table(data_home, raw=missing is None)
    seeds = tuple(random_state + s for s in mode["seeds"])
    cv = LeaveOneGroupOut() if mode["folds"] is None else GroupKFold(mode["folds"])
    if n_jobs is None:
        n_jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    notes = (
        "one decision rule, class_weight='balanced', on every row; RF: 50 trees, "
        "min_samples_leaf=3; teacher: LogisticRegression on all 30 wrist features; students: "
        f"MLP (2 x 32) on the 10 EDA+TEMP features, {mode['max_epochs']} epochs, batch 256, "
        "AdamW lr 1e-3; KD: soft targets, alpha=0.5, T=2 (library defaults, fixed a priori), "
        "cross-fitted by subject (GroupKFold(5) within the training subjects); "
        "no-KD student: alpha=0, a prior-only dummy as teacher"
        + (f"; MiniRocket: {ROCKET_KERNELS} features (84 kernels, 4 each, for time; the "
           "paper uses 10,000) on the raw EDA+TEMP windows (2 x 240 samples at 4 Hz), "
           "then standardisation and LogisticRegression(C=0.1)" if missing is None
           else ""))
    normalisation = (f"per subject, first {CALIBRATION} windows in time order "
                     f"(SubjectStandardScaler(calibration={CALIBRATION}), label-free, applied "
                     "once up front: equal to scaling inside each fold)"
                     + ("; MiniRocket's raw windows: each channel by the mean and std of the "
                        "same windows' samples" if missing is None else ""))
    with sklearn.config_context(enable_metadata_routing=True), _torch_threads(1):
        models = _models(list(X.columns), mode["max_epochs"], verbose)
        result = compare(
            models, X, y, groups, cv=cv, seeds=seeds, reference=REFERENCE,
            n_jobs=n_jobs, verbose=(2 if verbose >= 1 else 1) if progress or verbose else 0,
            dataset=dataset, normalisation=normalisation, notes=notes,
        )
        sizes, latency = {}, {}
        for name, model in models.items():  # one fit on all windows: size and latency
            fitted = sklearn.clone(model).fit(X, y, **({"groups": groups}
                                              if "student" in name else {}))
            sizes[name] = _size(fitted)
            latency[name] = _latency_ms(fitted, X.iloc[:1])
    summary = result.summary
    rows = []
    for name, row in summary.iterrows():
        rows.append({
            "model": name,
            "inputs": INPUTS.get(name, "-"),
            **{f"{s}_{k}": row[f"{s}_{k}"] for s in ("balanced_accuracy", "macro_f1")
               for k in ("mean", "std", "p_holm")},
            "n_params": sizes.get(name, "-"),
            "latency_ms": latency.get(name, np.nan),
            "fit_s": row["fit_time"] if name != "chance" else np.nan,
        })
    table = pd.DataFrame(rows)
    n_subjects = len(np.unique(groups))
    table.attrs.update(
        title=(f"{n_subjects} Stress-Predict subjects, {len(y)} windows of 60 s; "
               f"{cv!r} by subject, {len(seeds)} seeds"),
        header=dict(result.header),
        interpretation=_interpretation(result),
        skipped=[] if missing is None else [ROCKET_SKIPPED],
        wall_s=time.perf_counter() - t_start,
    )
    return table


def _wrap(text: str, indent: int = 0, first: str = "") -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=first,
                         subsequent_indent=" " * indent, break_on_hyphens=False)


def format_table(table: pd.DataFrame) -> str:
    """The table as printed (< 100 columns): mean ± std over subjects, Holm p vs no KD."""
    def cell(m, s):
        return f"{m:.3f} ± {s:.3f}"

    def pval(p):
        return "-" if pd.isna(p) else f"{p:.3f}"

    columns = {
        "model": [m + " (ref)" if m == REFERENCE else m for m in table["model"]],
        "bal. acc.": [cell(m, s) for m, s in zip(table.balanced_accuracy_mean,
                                                  table.balanced_accuracy_std)],
        "p": [pval(p) for p in table.balanced_accuracy_p_holm],
        "macro-F1": [cell(m, s) for m, s in zip(table.macro_f1_mean, table.macro_f1_std)],
        "p ": [pval(p) for p in table.macro_f1_p_holm],
        "params": [str(v) for v in table["n_params"]],
        "ms/window": ["-" if pd.isna(v) else f"{v:.2f}" for v in table["latency_ms"]],
        "fit s": ["-" if pd.isna(v) else f"{v:.1f}" for v in table["fit_s"]],
    }
    widths = {k: max(len(k), *(len(v) for v in col)) for k, col in columns.items()}
    lines = []
    for i in range(-1, len(table)):
        cells = []
        for k, col in columns.items():
            text = k.strip() if i < 0 else col[i]
            cells.append(text.ljust(widths[k]) if k == "model" else text.rjust(widths[k]))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _process_wall_s(fallback_start: float) -> float:
    """Seconds since this process started (Linux), else since ``fallback_start``."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - fallback_start


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its finished child processes."""
    import resource

    own, children = (resource.getrusage(w) for w in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main_job(data_home=None, *, quick: bool = False, full: bool = False,
             random_state: int = 0, verbose: int = 0, file=None) -> int:
    """``python -m skkd``: say what runs, run it with progress, print the table and its reading."""
    out = file or sys.stdout
    t0 = time.perf_counter()
    mode = "quick" if quick else "full" if full else "default"
    settings = MODES[mode]
    folds = "leave-one-subject-out (34 folds)" if settings["folds"] is None else (
        f"GroupKFold({settings['folds']}) by subject")
    missing = rocket_missing()
    rocket = ("" if missing else "MiniRocket on the raw EDA and temperature windows, ")
    intro = (
        "skkd main job: does knowledge distillation help a wrist-only stress detector? "
        "A teacher that sees every wrist channel (EDA, skin temperature, BVP, acceleration) "
        "teaches a small network that sees only EDA and temperature, on the 34 labelled "
        "Stress-Predict subjects (stress task vs baseline, 60 s windows). Rows: random forests "
        f"on the student's inputs and on all channels, {rocket}the teacher, and the student "
        f"without and with distillation; {folds}, {len(settings['seeds'])} seeds each, a "
        "chance row, and paired tests against the student without distillation.")
    print(_wrap(intro), file=out)
    n_models = 5 if missing else 6
    n_fits = n_models * len(settings["seeds"]) * (settings["folds"] or 34)
    print(_wrap(f"Fitting {n_models} models x {len(settings['seeds'])} seeds x "
                f"{settings['folds'] or 34} folds = {n_fits} fits (progress on stderr)..."),
          file=out, flush=True)
    try:
        table = run_demo(data_home, quick=quick, full=full, random_state=random_state,
                         verbose=verbose, progress=True)
    except FileNotFoundError as exc:
        print(f"skkd demo: {exc}", file=sys.stderr)
        return 2
    print(file=out)
    for key, value in table.attrs["header"].items():
        print(_wrap(f"{key.capitalize():<13} : {value}", indent=16), file=out)
    print(file=out)
    print(format_table(table), file=out)
    print(file=out)
    print(_wrap("p: two-sided Wilcoxon signed-rank over subjects against the student without "
                "KD, Holm-adjusted; params: network weights, LR coefficients or forest nodes "
                "(MiniRocket: its learned biases and LR coefficients); ms/window: predict_proba "
                "on one window; fit s: mean fit per fold."), file=out)
    for line in table.attrs.get("skipped", []):
        print(_wrap(line), file=out)
    print(file=out)
    for sentence in table.attrs["interpretation"]:
        print(_wrap(sentence), file=out)
    if quick:
        print(QUICK_CAVEAT, file=out)
    try:  # end the parallel workers, so that their CPU time is counted below
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    except Exception:  # pragma: no cover - another joblib backend
        pass
    job = time.perf_counter() - t0
    print(_wrap(f"Total wall time: {job:.1f} s for the job, {_process_wall_s(t0):.1f} s since "
                f"the process started (imports included); CPU {_cpu_s():.1f} s user+sys "
                "(the process and its parallel workers)."), file=out)
    return 0
