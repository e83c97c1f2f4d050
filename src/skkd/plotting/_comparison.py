"""Bar chart comparing methods (teacher, students with and without KD...) from a results file.

Results format
--------------
A table with one row per method (per dataset), as a DataFrame, a CSV file, or a
JSON file (a list of row objects, ``{"results": [rows]}``, or a column-oriented
object). Columns:

``method`` (required)
    Name of the method, e.g. ``"teacher (EEG+GSR)"``, ``"student, no KD"``,
    ``"student, KD"``.
``<metric>_mean`` (required for each plotted metric)
    Mean score over the cross-validation folds, e.g. ``macro_f1_mean``,
    ``balanced_accuracy_mean``.
``<metric>_std`` (optional)
    Standard deviation over folds, drawn as an error bar.
``dataset`` (optional)
    One panel per dataset; ``(dataset, method)`` pairs must be unique.

Per-fold tables are accepted too: if ``<metric>_mean`` is absent but a
``<metric>`` column is present, rows of the same ``(dataset, method)`` are
averaged and their standard deviation (``ddof=1``) becomes the error bar.
Any other column (``n_folds``, ``fit_time_mean``...) is ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from skkd.plotting._backend import (
    FIGURE_CONSTRAINTS, check_save_path, pretty_name, require_matplotlib, resolve_axes,
    save_figure,
)
from skkd.utils._validation import invalid_parameter

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

#: metrics plotted when ``metrics=None``, those present in the results
DEFAULT_METRICS = ("macro_f1", "balanced_accuracy")


def read_results(results) -> pd.DataFrame:
    """Benchmark results as a DataFrame, from a DataFrame, rows, or a CSV/JSON path.

    >>> read_results([{"method": "KD", "macro_f1_mean": 0.7}]).columns.tolist()
    ['method', 'macro_f1_mean']
    """
    if isinstance(results, pd.DataFrame):
        return results.copy()
    if isinstance(results, (str, os.PathLike)):
        path = Path(results)
        if not path.is_file():
            raise FileNotFoundError(f"results file {path} does not exist.")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix == ".json":
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            if isinstance(data, Mapping) and isinstance(data.get("results"), list):
                data = data["results"]
            return read_results(data)
        raise ValueError(
            f"results file {path} must be .csv or .json, got {suffix or 'no suffix'!r}."
        )
    if isinstance(results, Mapping):
        return pd.DataFrame(dict(results))
    if isinstance(results, Sequence) and all(isinstance(r, Mapping) for r in results):
        return pd.DataFrame(list(results))
    raise TypeError(
        "results must be a DataFrame, a path to a .csv/.json file, a list of row dicts, "
        f"or a column dict; got {type(results).__name__}."
    )


def _summary(frame: pd.DataFrame, metrics: list[str], by: list[str]) -> pd.DataFrame:
    """One row per ``by`` group with ``<metric>_mean`` and ``<metric>_std`` columns."""
    out = frame[by].drop_duplicates().reset_index(drop=True)
    keyed = frame.set_index(by)
    for metric in metrics:
        mean_col, std_col = f"{metric}_mean", f"{metric}_std"
        if mean_col in frame:
            if frame.duplicated(by).any():
                dup = frame.loc[frame.duplicated(by, keep=False), by].drop_duplicates()
                raise ValueError(
                    f"results has several rows for {dup.to_dict('records')}; with "
                    f"'{mean_col}' each {' and '.join(by)} must appear once."
                )
            means = pd.to_numeric(keyed[mean_col], errors="coerce")
            stds = pd.to_numeric(keyed[std_col], errors="coerce") if std_col in frame else None
            if means.isna().any():
                raise ValueError(f"results column '{mean_col}' must be numeric with no gaps.")
        else:
            values = pd.to_numeric(frame[metric], errors="coerce")
            if values.isna().any():
                raise ValueError(f"results column '{metric}' must be numeric with no gaps.")
            grouped = values.groupby([frame[c] for c in by], sort=False)
            means, stds = grouped.mean(), grouped.std(ddof=1)
        index = pd.MultiIndex.from_frame(out) if len(by) > 1 else pd.Index(out[by[0]])
        out[mean_col] = means.reindex(index).to_numpy(dtype=float)
        out[std_col] = (
            stds.reindex(index).to_numpy(dtype=float) if stds is not None else np.nan
        )
    return out


@validate_params(
    {
        "results": "no_validation",  # read_results says what it takes
        "metrics": [str, "array-like", None],
        "methods": ["array-like", None],
        "method_column": [str, "array-like"],
        "dataset_column": [str],
        "chance": [Interval(Real, None, None, closed="neither"), None],
        "value_labels": ["boolean"],
        **FIGURE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def plot_kd_comparison(
    results,
    *,
    metrics: Sequence[str] | str | None = None,
    methods: Sequence[str] | None = None,
    method_column: str | Sequence[str] = "method",
    dataset_column: str = "dataset",
    chance: float | None = None,
    value_labels: bool = True,
    ax=None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Bar chart of scores per method (mean ± std over folds), one panel per dataset.

    Methods are on the x axis; each metric is one bar colour. See the module
    docstring (:mod:`skkd.plotting._comparison`) for the expected columns.

    Parameters
    ----------
    results : DataFrame, path to .csv/.json, list of dict or dict of columns
        Benchmark results: ``method``, ``<metric>_mean`` [, ``<metric>_std``]
        [, ``dataset``] (or per-fold ``<metric>`` columns).
    metrics : str or sequence of str, optional
        Metric names without suffix (``"macro_f1"``). Default: those of
        ``("macro_f1", "balanced_accuracy")`` present in ``results``.
    methods : sequence of str, optional
        Methods to show, in this order (default: all, in file order).
    method_column : str or sequence of str, default="method"
        Column naming the method; several columns (e.g. ``["method",
        "signals"]``) are joined into one label (``"rulsif / eda"``).
    dataset_column : str, default="dataset"
        Column of the (optional) dataset.
    chance : float, optional
        Draw a dashed chance-level line at this score.
    value_labels : bool, default=True
        Write each mean above its bar.
    ax : Axes or sequence of Axes, optional
        One Axes per dataset panel.
    title : str, optional
        Figure title.
    path : str or path-like, optional
        Save the figure there: PNG for ``.png`` or no suffix (``".png"`` is then
        appended), else the format of the suffix (``.pdf``, ``.svg``...).
        Missing folders are created.
    overwrite : bool, default=False
        Replace an existing file at ``path``; by default ``FileExistsError`` is
        raised before anything is drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"method": "teacher", "macro_f1_mean": .81, "macro_f1_std": .05},
    ...         {"method": "student, no KD", "macro_f1_mean": .66, "macro_f1_std": .07},
    ...         {"method": "student, KD", "macro_f1_mean": .72, "macro_f1_std": .06}]
    >>> fig = plot_kd_comparison(rows, chance=0.5)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['teacher', 'student, no KD', 'student, KD']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_kd_comparison")
    path = check_save_path(path, overwrite=overwrite, caller="plot_kd_comparison")
    frame = read_results(results)
    if frame.empty:
        raise ValueError("results has no rows.")
    expected = (
        f"expected columns {method_column!r}, '<metric>_mean' [, '<metric>_std'] "
        f"[, '{dataset_column}']"
    )
    label_columns = [method_column] if isinstance(method_column, str) else list(method_column)
    if not label_columns:
        raise invalid_parameter("plot_kd_comparison", "method_column", "a column name or "
                                "a non-empty sequence of them", method_column)
    for column in label_columns:
        if column not in frame:
            raise ValueError(
                f"results has no '{column}' column; {expected}; got {list(frame.columns)}."
            )
        if frame[column].isna().any():
            raise ValueError(f"results column '{column}' has missing values.")
    method_column = " / ".join(label_columns)
    frame[method_column] = frame[label_columns].astype(str).agg(" / ".join, axis=1)

    def has_metric(m: str) -> bool:
        return f"{m}_mean" in frame or m in frame

    if metrics is None:
        metrics = [m for m in DEFAULT_METRICS if has_metric(m)]
        if not metrics:
            raise ValueError(
                "results has none of the default metrics "
                f"{[f'{m}_mean' for m in DEFAULT_METRICS]}; "
                f"pass metrics=[...]; {expected}; got {list(frame.columns)}."
            )
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        if not metrics:
            raise invalid_parameter("plot_kd_comparison", "metrics", "None, a metric name "
                                    "or a non-empty sequence of them", metrics)
        missing = [m for m in metrics if not has_metric(m)]
        if missing:
            raise ValueError(
                f"results lacks column(s) {[f'{m}_mean' for m in missing]}; {expected}; "
                f"got {list(frame.columns)}."
            )

    faceted = dataset_column in frame
    by = [dataset_column, method_column] if faceted else [method_column]
    summary = _summary(frame, metrics, by)
    all_methods = list(dict.fromkeys(summary[method_column]))
    if methods is None:
        methods = all_methods
    else:
        methods = [str(m) for m in methods]
        unknown = [m for m in methods if m not in all_methods]
        if unknown:
            raise ValueError(f"methods {unknown} are not in results; available: {all_methods}.")
        if not methods:
            raise invalid_parameter("plot_kd_comparison", "methods", "None or a non-empty "
                                    "sequence of method names", methods)
    datasets = list(dict.fromkeys(summary[dataset_column])) if faceted else [None]

    n_panels = len(datasets)
    ncols = min(n_panels, 3)
    nrows = int(np.ceil(n_panels / ncols))
    width_per_panel = max(3.2, 0.5 + 0.55 * len(methods) * max(1, len(metrics)) ** 0.5)
    fig, axes = resolve_axes(
        ax, n_panels, caller="plot_kd_comparison", nrows=nrows, ncols=ncols,
        sharey=True, figsize=(width_per_panel * ncols + 1.2, 3.9 * nrows), layout="constrained",
    )
    bar_width = 0.8 / len(metrics)
    positions = np.arange(len(methods))
    tilt = len(methods) > 3 or max(len(m) for m in methods) > 12
    lows, highs = [0.0], [0.0]
    for panel, dataset in zip(axes, datasets):
        rows = summary if dataset is None else summary[summary[dataset_column] == dataset]
        rows = rows.set_index(method_column).reindex(methods)
        for k, metric in enumerate(metrics):
            means = rows[f"{metric}_mean"].to_numpy(dtype=float)
            stds = rows[f"{metric}_std"].to_numpy(dtype=float)
            offsets = positions + (k - (len(metrics) - 1) / 2) * bar_width
            bars = panel.bar(
                offsets, np.nan_to_num(means), bar_width * 0.95, color=f"C{k}",
                yerr=np.where(np.isfinite(stds), stds, 0.0), capsize=3,
                error_kw={"elinewidth": 1, "ecolor": "0.25"}, label=pretty_name(metric),
            )
            if value_labels:
                texts = ["" if np.isnan(v) else f"{v:.2f}" for v in means]
                panel.bar_label(bars, labels=texts, padding=2, fontsize=7)
            spread = np.where(np.isfinite(stds), stds, 0.0)
            finite = np.isfinite(means)
            lows.append(float(np.min((means - spread)[finite], initial=0.0)))
            highs.append(float(np.max((means + spread)[finite], initial=0.0)))
        panel.set_xticks(positions)
        panel.set_xticklabels(
            methods, rotation=30 if tilt else 0, ha="right" if tilt else "center",
            rotation_mode="anchor",
        )
        if chance is not None:
            panel.axhline(chance, color="0.4", linestyle="--", linewidth=1, label="chance")
        if dataset is not None:
            panel.set_title(str(dataset))
        panel.grid(axis="y", alpha=0.3)
        panel.set_axisbelow(True)
    low, high = min(lows), max(highs + ([chance] if chance is not None else []))
    for panel in axes:
        panel.set_ylim(low * 1.12 if low < 0 else 0.0, high * 1.12 if high > 0 else 0.05)
    axes[0].set_ylabel("score (mean ± std over folds)")
    handles, labels = axes[-1].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] == "chance")  # metrics first
    axes[-1].legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
                    bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if title is not None:
        fig.suptitle(title)
    save_figure(fig, path, overwrite=overwrite, caller="plot_kd_comparison")
    return fig
