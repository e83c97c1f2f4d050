"""Shared helpers of the benchmark scripts: features, LOSO scores, table rows, result files.

Every benchmark table has one row per method with the columns
``dataset, method, protocol, macro_f1_mean, macro_f1_std,
balanced_accuracy_mean, balanced_accuracy_std, n_params, latency_ms,
wall_s`` (plus any extra column a script adds), the format
:func:`skkd.plotting.plot_kd_comparison` reads. Scores are computed per
held-out subject and summarised as mean ± std over subjects.

>>> import numpy as np
>>> row = score_row("toy", "majority", [0.5, 0.7], [0.5, 0.6], protocol="LOSO by subject")
>>> round(row["macro_f1_mean"], 2), row["n_subjects"]
(0.6, 2)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import welch
from sklearn.metrics import balanced_accuracy_score, f1_score

LOSO = "LOSO by subject"
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"

__all__ = [
    "LOSO",
    "RESULTS_DIR",
    "eeg_band_powers",
    "featurize",
    "format_table",
    "latency_ms",
    "n_params",
    "per_subject_scores",
    "results_folder",
    "score_row",
    "subject_zscore",
    "normalisation_name",
    "CALIBRATION_WINDOWS",
    "compare_rows",
    "fit_once",
    "parse_calibration",
    "subject_cv",
    "take",
    "window_statistics",
    "write_results",
]


def take(X, idx):
    """Rows ``idx`` of a DataFrame, an array or a :class:`~skkd.Modalities`."""
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def window_statistics(X: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Mean, std, min, max and least-squares slope of every channel of every modality.

    Columns are ``modality__chN_stat``; windows of shape ``(n, T)`` or ``(n, c, T)``.

    >>> X = {"eda": np.arange(8.0).reshape(2, 1, 4)}
    >>> window_statistics(X).loc[0, "eda__ch0_max"]
    np.float32(3.0)
    """
    from skkd.compose import ModalityTransformer
    from skkd.features import WindowStatistics

    stats = ModalityTransformer({key: WindowStatistics() for key in X}, output="frame")
    return stats.fit_transform(X).astype(np.float32)


def eeg_band_powers(eeg: np.ndarray, fs: float) -> np.ndarray:
    """Log theta, alpha and beta power of every EEG channel (Welch), shape ``(n, 3c)``."""
    freqs, psd = welch(np.asarray(eeg, dtype=np.float64), fs=fs, nperseg=int(2 * fs), axis=-1)
    bands = [(4, 8), (8, 13), (13, 30)]
    powers = [psd[..., (freqs >= lo) & (freqs < hi)].mean(axis=-1) for lo, hi in bands]
    return np.log(np.stack(powers, axis=-1)).reshape(len(eeg), -1).astype(np.float32)


def featurize(X: Mapping[str, np.ndarray], fs: Mapping[str, float]) -> dict[str, pd.DataFrame]:
    """One feature table per modality: window statistics, log band powers for ``"eeg"``.

    >>> tables = featurize({"eda": np.ones((2, 1, 8))}, {"eda": 4})
    >>> tables["eda"].shape
    (2, 5)
    """
    tables = {}
    for key in X.keys():
        if key == "eeg":
            values = eeg_band_powers(X["eeg"], fs["eeg"])
            tables[key] = pd.DataFrame(values, columns=[f"eeg__bp{i}" for i in range(values.shape[1])])
        else:
            tables[key] = window_statistics({key: X[key]})
    return tables


#: windows of each subject that calibrate its normalisation (DESIGN §7)
CALIBRATION_WINDOWS = 10


def normalisation_name(calibration=CALIBRATION_WINDOWS) -> str:
    """How :func:`subject_zscore` normalised, as table headers say it."""
    if calibration == "all":
        return "per subject, all its windows (transductive)"
    if calibration == 0:
        return "pooled over training subjects"
    return f"per subject, calibrated on its first {calibration} windows"


def subject_zscore(F: pd.DataFrame, groups, *, calibration=CALIBRATION_WINDOWS,
                   time=None) -> pd.DataFrame:
    """Z-score every column within each subject from its calibration windows.

    By default each subject's statistics come from its first
    :data:`CALIBRATION_WINDOWS` windows in time order (``time``, else row
    order) and no label: what a deployed system knows after a short
    calibration period, so the held-out subject's later windows are never read.
    ``calibration="all"`` is the transductive variant; a row using it must
    say so.
    """
    from skkd.features import SubjectStandardScaler

    scaler = SubjectStandardScaler(calibration=calibration)
    extra = {} if time is None else {"time": np.asarray(time)}
    values = scaler.fit(F, groups=groups).transform(F, groups=groups, **extra)
    return pd.DataFrame(np.asarray(values, dtype=np.float32), columns=F.columns, index=F.index)


def per_subject_scores(y_true, y_pred, groups) -> tuple[np.ndarray, np.ndarray]:
    """Macro-F1 and balanced accuracy of each subject's windows (arrays, one value per subject)."""
    y_true, y_pred, groups = map(np.asarray, (y_true, y_pred, groups))
    f1s, baccs = [], []
    for g in dict.fromkeys(groups.tolist()):
        m = groups == g
        f1s.append(f1_score(y_true[m], y_pred[m], average="macro", zero_division=0))
        baccs.append(_balanced_accuracy(y_true[m], y_pred[m]))
    return np.array(f1s), np.array(baccs)


def _balanced_accuracy(y_true, y_pred) -> float:
    import warnings

    with warnings.catch_warnings():  # a subject with one class present: recall of that class
        warnings.simplefilter("ignore")
        return float(balanced_accuracy_score(y_true, y_pred))


def score_row(dataset: str, method: str, f1s: Iterable[float], baccs: Iterable[float], *,
              protocol: str = LOSO, n_params=None, latency=None, wall=None, **extra) -> dict:
    """One table row: mean ± std over subjects of macro-F1 and balanced accuracy."""
    f1s, baccs = np.asarray(list(f1s), float), np.asarray(list(baccs), float)
    row = {
        "dataset": dataset,
        "method": method,
        "protocol": protocol,
        "macro_f1_mean": float(f1s.mean()),
        "macro_f1_std": float(f1s.std()),
        "balanced_accuracy_mean": float(baccs.mean()),
        "balanced_accuracy_std": float(baccs.std()),
        "n_subjects": int(len(f1s)),
        "n_params": n_params,
        "latency_ms": None if latency is None else float(latency),
        "wall_s": None if wall is None else float(wall),
    }
    row.update(extra)
    return row


def latency_ms(predict_one: Callable[[], object], repeats: int = 30) -> float:
    """Median wall time of ``predict_one()`` in milliseconds (after one warm-up call)."""
    predict_one()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict_one()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def n_params(estimator) -> str:
    """Size of a fitted model: network parameters, forest nodes, or support vectors."""
    if estimator is None:
        return "0"
    if hasattr(estimator, "n_params_"):
        return str(int(estimator.n_params_))
    if hasattr(estimator, "steps"):
        return n_params(estimator.steps[-1][1])
    if hasattr(estimator, "calibrated_classifiers_"):
        return n_params(estimator.calibrated_classifiers_[0].estimator)
    if hasattr(estimator, "support_vectors_"):
        return f"{estimator.support_vectors_.size} SV coefs"
    if hasattr(estimator, "estimators_") and isinstance(estimator.estimators_, list):
        nodes = sum(t.tree_.node_count for t in estimator.estimators_)
        return f"{nodes} tree nodes"
    if hasattr(estimator, "estimators_") and isinstance(estimator.estimators_, dict):
        parts = [n_params(m) for m in estimator.estimators_.values()]
        return f"{len(parts)} models"
    return "-"


def format_table(rows: list[dict], title: str = "") -> str:
    """Rows as a fixed-width text table with ``mean ± std`` cells."""
    frame = pd.DataFrame(rows)
    shown = pd.DataFrame({
        "dataset": frame["dataset"],
        "method": frame["method"],
        "protocol": frame["protocol"],
        "macro-F1": [f"{m:.3f} ± {s:.3f}" for m, s in zip(frame.macro_f1_mean, frame.macro_f1_std)],
        "bal. acc.": [f"{m:.3f} ± {s:.3f}" for m, s in
                      zip(frame.balanced_accuracy_mean, frame.balanced_accuracy_std)],
        "params": frame["n_params"].fillna("-"),
        "latency/window [ms]": [("-" if v is None or pd.isna(v) else f"{v:.2f}")
                                for v in frame["latency_ms"]],
        "wall [s]": [("-" if v is None or pd.isna(v) else f"{v:.0f}") for v in frame["wall_s"]],
    })
    text = shown.to_string(index=False)
    return f"{title}\n{text}" if title else text


def results_folder(out_dir: str | Path | None = None, *, default: str | Path = RESULTS_DIR,
                   parser=None) -> Path:
    """The results folder ``out_dir`` (or ``default``), created and checked writable up front.

    Every script calls this right after parsing ``--out``, so that a folder that
    cannot be created or written fails in the first second, not after the run.
    It creates the folder (and its parents), then creates and removes a probe
    file in it; nothing else there is touched. A script rewrites its own result
    files (``<name>.csv``/``.json`` and its figures) in this folder on each run.

    With an ``argparse`` ``parser`` a failure is reported by ``parser.error``
    (exit status 2, the message naming the folder and ``--out``); without one
    it raises ``NotADirectoryError`` (a file is in the way) or ``PermissionError``.

    >>> import tempfile
    >>> folder = results_folder(Path(tempfile.mkdtemp()) / "a" / "b")
    >>> folder.is_dir(), list(folder.iterdir())
    (True, [])
    """
    import tempfile

    out = Path(out_dir) if out_dir is not None and str(out_dir) != "" else Path(default)
    try:
        for folder in [*reversed(out.parents), out]:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(
                    f"cannot write results to {str(out)!r}: {str(folder)!r} is a file, "
                    "not a folder; pass --out a folder.")
        try:
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=out, prefix=".skkd-write-probe-"):
                pass
        except OSError as exc:
            raise PermissionError(
                f"cannot write results to the folder {str(out)!r} "
                f"({exc.strerror or type(exc).__name__}); pass --out a writable folder."
            ) from exc
    except OSError as exc:
        if parser is None:
            raise
        parser.error(str(exc))
    return out


def write_results(rows: list[dict], name: str, out_dir: str | Path | None = None,
                  **info) -> tuple[Path, Path]:
    """Write ``rows`` to ``out_dir/name.csv`` and ``out_dir/name.json`` (with ``info``)."""
    out = Path(out_dir) if out_dir is not None else RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / f"{name}.csv", out / f"{name}.json"
    pd.DataFrame(rows).to_csv(csv_path, index=False)
    with open(json_path, "w", encoding="utf-8") as fh:
        json.dump({"info": info, "results": rows}, fh, indent=2, default=str)
    return csv_path, json_path


# -- the deployable protocol through skkd.model_selection.compare (DESIGN §7) -----------------


def add_protocol_arguments(parser, *, seeds: int, raw_name: str = "features") -> None:
    """The evaluation options the subject-wise benchmarks share (one place, one help text).

    ``--seeds``, ``--folds``, ``--n-jobs``, ``--threads``, ``--calibration``,
    ``--no-subject-norm`` and ``--out``; read them back with
    :func:`protocol_from_arguments`.

    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_protocol_arguments(p, seeds=5)
    >>> args = p.parse_args(["--folds", "5"])
    >>> args.seeds, args.folds, args.calibration
    (5, 5, '10')
    """
    parser.add_argument("--seeds", type=int, default=seeds,
                        help=f"seeds 0..N-1 of every row (default {seeds}; --quick: 1)")
    parser.add_argument("--folds", type=int, default=0,
                        help="0 (default): leave-one-subject-out; K >= 2: GroupKFold(K) by subject")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (joblib)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--calibration", default="10",
                        help="windows of each subject that calibrate its z-scores (default 10; "
                             "'all' = transductive, rows named so)")
    parser.add_argument("--no-subject-norm", action="store_true",
                        help=f"raw {raw_name}, no per-subject z-scoring")
    parser.add_argument("--out", default=None, help="results folder (default: results/)")


def protocol_from_arguments(args, parser) -> tuple[Path, int | str | None]:
    """``(results folder, calibration)`` from :func:`add_protocol_arguments`'s options.

    Bad values end the run at once through ``parser.error`` (before any fit).
    """
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    try:
        calibration = None if args.no_subject_norm else parse_calibration(args.calibration)
        subject_cv(args.folds)
    except ValueError as exc:
        parser.error(str(exc))
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}.")
    return out, calibration


def parse_calibration(text) -> int | str:
    """``--calibration`` text: an int K >= 0 or ``"all"`` (transductive).

    >>> parse_calibration("10"), parse_calibration("all")
    (10, 'all')
    """
    if str(text) == "all":
        return "all"
    try:
        k = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"calibration must be an int K >= 0 or 'all', got {text!r}.") from None
    if k < 0:
        raise ValueError(f"calibration must be an int K >= 0 or 'all', got {text!r}.")
    return k


def subject_cv(folds: int | None):
    """``LeaveOneGroupOut()`` for ``folds`` 0/None, else ``GroupKFold(folds)`` (by subject).

    >>> subject_cv(0), subject_cv(5)
    (LeaveOneGroupOut(), GroupKFold(n_splits=5, random_state=None, shuffle=False))
    """
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    if not folds:
        return LeaveOneGroupOut()
    if int(folds) < 2:
        raise ValueError(f"folds must be 0 (leave-one-subject-out) or >= 2, got {folds!r}.")
    return GroupKFold(n_splits=int(folds))


def _seed0(model):
    """Seed-0 estimator of a compare entry (an estimator or a factory ``seed -> estimator``)."""
    from sklearn.base import clone

    if hasattr(model, "fit") and hasattr(model, "get_params"):
        est = clone(model)
        keys = [k for k in est.get_params(deep=True) if k.rsplit("__", 1)[-1] == "random_state"]
        return est.set_params(**{k: 0 for k in keys}) if keys else est
    return model(0)


def fit_once(models: Mapping, X, y, groups, one_window) -> dict[str, dict]:
    """Size and latency of every row: one fit (seed 0) on all subjects but the last.

    Returns ``{name: {"n_params": ..., "latency_ms": ...}}``; the latency is the
    median time of ``predict_proba`` on ``one_window`` (the model only, no
    feature extraction). ``groups`` reach ``fit`` when its signature names them
    (as in :func:`skkd.model_selection.compare` without metadata routing).
    """
    import inspect

    y, groups = np.asarray(y), np.asarray(groups)
    train = np.flatnonzero(groups != groups[-1])
    out = {}
    for name, model in models.items():
        est = _seed0(model)
        fit_params = ({"groups": groups[train]}
                      if "groups" in inspect.signature(est.fit).parameters else {})
        est.fit(take(X, train), y[train], **fit_params)
        out[name] = {"n_params": n_params(est),
                     "latency_ms": latency_ms(lambda: est.predict_proba(one_window), repeats=10)}
    return out


def compare_rows(result, dataset: str, protocol: str, sizes: Mapping | None = None,
                 **extra) -> list[dict]:
    """One table row (the format of :func:`score_row`) per row of a ComparisonResult.

    Adds ``n_seeds``, ``normalisation``, ``reference`` and, for each score,
    the mean paired difference to the reference and its Holm-adjusted p;
    ``wall_s`` is the mean fit time of one fold.
    """
    sizes = sizes or {}
    rows = []
    for model, s in result.summary.iterrows():
        size = sizes.get(model, {})
        row = {
            "dataset": dataset, "method": str(model), "protocol": protocol,
            "macro_f1_mean": float(s["macro_f1_mean"]), "macro_f1_std": float(s["macro_f1_std"]),
            "balanced_accuracy_mean": float(s["balanced_accuracy_mean"]),
            "balanced_accuracy_std": float(s["balanced_accuracy_std"]),
            "n_subjects": int(s["n_subjects"]), "n_seeds": int(s["n_seeds"]),
            "n_params": size.get("n_params"), "latency_ms": size.get("latency_ms"),
            "wall_s": float(s["fit_time"]), "normalisation": s["normalisation"],
            "reference": result.reference,
        }
        for score in ("balanced_accuracy", "macro_f1"):
            row[f"{score}_diff_vs_ref"] = float(s[f"{score}_diff"])
            row[f"{score}_p_holm"] = float(s[f"{score}_p_holm"])
        row.update(extra)
        rows.append(row)
    return rows
