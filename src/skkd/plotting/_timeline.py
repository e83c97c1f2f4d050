"""Change scores and selected opportune windows over a recording's timeline."""

from __future__ import annotations

import datetime as _dt
import numbers
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd.plotting._backend import (
    FIGURE_CONSTRAINTS,
    check_save_path,
    require_matplotlib,
    resolve_axes,
    save_figure,
)
from skkd.utils._validation import NON_NEGATIVE_REAL, invalid_parameter

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_FINITE = Interval(numbers.Real, None, None, closed="neither")


def _looks_datetime(arr: np.ndarray) -> bool:
    if arr.dtype.kind == "M" or isinstance(arr.dtype, pd.DatetimeTZDtype):
        return True
    if arr.dtype == object and arr.size:
        return isinstance(arr.flat[0], (_dt.datetime, np.datetime64, pd.Timestamp))
    return False


def _to_seconds(x, name: str) -> tuple[np.ndarray, bool]:
    """Times as float seconds (unix seconds for datetimes), and whether they were datetimes."""
    if isinstance(x, (pd.Series, pd.Index)) and isinstance(x.dtype, pd.DatetimeTZDtype):
        arr = np.asarray(x.astype(object))
    else:
        arr = np.asarray(x)
    if _looks_datetime(arr):
        try:
            idx = pd.to_datetime(arr.ravel(), utc=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} mixes datetimes with other values: {exc}") from exc
        sec = np.asarray((idx - _EPOCH) / pd.Timedelta(1, "s"), dtype=float).reshape(arr.shape)
        is_dt = True
    else:
        try:
            sec = arr.astype(float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must hold times as numbers (seconds) or datetimes, got dtype "
                f"{arr.dtype}."
            ) from exc
        is_dt = False
    if not np.isfinite(sec).all():
        raise ValueError(f"{name} contains NaN/NaT or infinite times.")
    return sec, is_dt


def _duration_seconds(value) -> float:
    """``window_duration`` (seconds or a timedelta, as the constraints allow) in seconds."""
    if isinstance(value, (_dt.timedelta, np.timedelta64)):
        seconds = pd.Timedelta(value) / pd.Timedelta(1, "s")
    else:
        seconds = float(value)
    if isinstance(value, bool) or not np.isfinite(seconds) or seconds < 0:
        raise invalid_parameter("plot_opportune_timeline", "window_duration",
                                "a finite, non-negative number of seconds or timedelta", value)
    return seconds


def _merge_spans(spans: np.ndarray) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, stop in spans[np.argsort(spans[:, 0], kind="stable")]:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return [(a, b) for a, b in merged]


def _selection(
    selected, t_sec: np.ndarray, window: float, align: str
) -> tuple[np.ndarray | None, np.ndarray]:
    """(mask or None, spans (k, 2) in seconds) from a mask or from window spans."""
    arr = np.asarray(selected)
    if arr.ndim == 1:
        if arr.shape[0] != t_sec.shape[0]:
            raise ValueError(
                f"selected is a mask of {arr.shape[0]} values but t has "
                f"{t_sec.shape[0]} windows; pass one flag per window, or spans of shape (k, 2)."
            )
        if arr.dtype != bool:
            if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
                raise ValueError("selected as a mask must hold booleans or 0/1 values.")
            arr = arr.astype(bool)
        start = t_sec[arr] - (window / 2 if align == "center" else 0.0)
        spans = np.column_stack([start, start + window])
        return arr, spans
    if arr.ndim == 2 and arr.shape[1] == 2:
        spans, _ = _to_seconds(arr, "selected")
        if (spans[:, 1] < spans[:, 0]).any():
            raise ValueError("selected spans must have start <= end in every row.")
        return None, spans
    raise ValueError(
        "selected must be a mask of shape (n_windows,) or window spans of shape "
        f"(k, 2) as (start, end) times; got shape {arr.shape}."
    )


@validate_params(
    {
        "t": ["array-like"],
        "scores": ["array-like"],
        "selected": ["array-like", None],
        "threshold": [_FINITE, None],
        "transitions": "no_validation",  # one time or several: checked below
        "signal": ["array-like", None],
        "signal_t": ["array-like", None],
        # timedeltas first: numpy's timedelta64 also counts as a number
        "window_duration": [_dt.timedelta, np.timedelta64, NON_NEGATIVE_REAL, None],
        "window_align": [StrOptions({"start", "center"})],
        "time_unit": [StrOptions(set(_UNITS))],
        "origin": [StrOptions({"start"}), _FINITE],
        "signal_label": [str],
        "score_label": [str],
        **FIGURE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def plot_opportune_timeline(
    t,
    scores,
    *,
    selected=None,
    threshold: float | None = None,
    transitions=None,
    signal=None,
    signal_t=None,
    window_duration=None,
    window_align: str = "start",
    time_unit: str = "min",
    origin="start",
    signal_label: str = "signal",
    score_label: str = "change score",
    ax=None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Plot change scores, the windows chosen as opportune and the true transitions.

    The score panel shows ``scores`` against window time, the ``threshold``
    (dashed), the selected windows (shaded, and marked on the curve) and the
    task transitions (dotted verticals, e.g. Stress-Predict tags). With
    ``signal`` a raw-signal panel above shares the time axis.

    Parameters
    ----------
    t : array-like of shape (n_windows,)
        Time of each score: seconds (e.g. unix s of window starts) or datetimes.
    scores : array-like of shape (n_windows,)
        One score per window (e.g. RuLSIF change scores); NaN leaves a gap.
    selected : array-like, optional
        Either a mask of shape ``(n_windows,)`` (bool or 0/1, e.g. a selector's
        ``predict``), shading each selected window (see ``window_align``);
        or spans of shape ``(k, 2)``: ``(start, end)`` times.
    threshold : float, optional
        Decision threshold on the scores.
    transitions : array-like, optional
        Times of the true task transitions (same clock as ``t``; with datetime
        ``t``, numbers are read as unix seconds).
    signal : array-like of shape (T,) or (T, c), optional
        Raw signal to draw above the scores, with its sample times ``signal_t``.
    signal_t : array-like of shape (T,), optional
        Required with ``signal`` (e.g. ``E4Signal.times()``).
    window_duration : float or timedelta, optional
        Extent of a selected window for a mask; default the median spacing of ``t``.
    window_align : {"start", "center"}, default="start"
        Whether ``t`` holds window starts (shade ``[t_i, t_i + window_duration]``)
        or window centres (shade ``t_i ± window_duration / 2``).
    time_unit : {"s", "min", "h"}, default="min"
        Axis unit for numeric times (datetimes are shown as clock times).
    origin : "start" or float, default="start"
        Subtracted from numeric times: ``"start"`` is the earliest time in
        ``t``/``signal_t``; pass ``0`` for the raw clock.
    signal_label, score_label : str
        Y-axis labels.
    ax : Axes or sequence of Axes, optional
        One Axes, or two (signal, scores) when ``signal`` is given.
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
    >>> import numpy as np
    >>> t = np.arange(0, 600, 30.0)
    >>> scores = np.abs(np.sin(t / 100))
    >>> fig = plot_opportune_timeline(t, scores, selected=scores > 0.8, threshold=0.8,
    ...                               transitions=[120, 400])
    >>> fig.axes[0].get_xlabel()
    'time since start (min)'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_opportune_timeline")
    path = check_save_path(path, overwrite=overwrite, caller="plot_opportune_timeline")

    t_sec, t_is_dt = _to_seconds(t, "t")
    if t_sec.ndim != 1 or t_sec.size == 0:
        raise ValueError(f"t must be a non-empty 1-D array of times, got shape {t_sec.shape}.")
    if (np.diff(t_sec) < 0).any():
        raise ValueError("t must be sorted in increasing time order.")
    try:
        score_arr = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scores must be numeric: {exc}") from exc
    if score_arr.ndim != 1:
        raise ValueError(f"scores must be 1-D (one score per window), got shape {score_arr.shape}.")
    if score_arr.shape[0] != t_sec.shape[0]:
        raise ValueError(
            f"t and scores must have the same length, got {t_sec.shape[0]} and "
            f"{score_arr.shape[0]}."
        )
    if np.isinf(score_arr).any() or np.isnan(score_arr).all():
        raise ValueError("scores must be finite (NaN marks a gap; not all may be NaN).")

    if window_duration is None:
        window = float(np.median(np.diff(t_sec))) if t_sec.size > 1 else 0.0
    else:
        window = _duration_seconds(window_duration)
    mask, spans = (None, np.empty((0, 2)))
    if selected is not None:
        mask, spans = _selection(selected, t_sec, window, window_align)
    trans_sec = np.empty(0)
    if transitions is not None:
        trans_sec, _ = _to_seconds(transitions, "transitions")
        trans_sec = np.atleast_1d(trans_sec)
        if trans_sec.ndim != 1:
            raise ValueError(f"transitions must be 1-D, got shape {trans_sec.shape}.")

    sig = sig_t = None
    if signal is not None:
        sig = np.asarray(signal, dtype=float)
        if sig.ndim == 1:
            sig = sig[:, None]
        if sig.ndim != 2:
            raise ValueError(f"signal must have shape (T,) or (T, c), got {np.shape(signal)}.")
        if signal_t is None:
            raise ValueError("signal_t (the time of each signal sample) is required with signal.")
        sig_t, _ = _to_seconds(signal_t, "signal_t")
        if sig_t.ndim != 1 or sig_t.shape[0] != sig.shape[0]:
            raise ValueError(
                f"signal has {sig.shape[0]} samples but signal_t has shape {sig_t.shape}."
            )
    elif signal_t is not None:
        raise ValueError("signal_t was given without signal.")

    # -- plot coordinates --------------------------------------------------------
    if t_is_dt:
        def to_x(sec):
            return pd.to_datetime(np.asarray(sec, dtype=float), unit="s").to_numpy()
        xlabel = "time (UTC)"
    else:
        if isinstance(origin, str):  # "start"
            start = min(t_sec.min(), sig_t.min()) if sig_t is not None else t_sec.min()
        else:
            start = float(origin)
        scale = _UNITS[time_unit]

        def to_x(sec):
            return (np.asarray(sec, dtype=float) - start) / scale
        since = "time since start" if isinstance(origin, str) else "time"
        xlabel = f"{since} ({time_unit})"

    n_panels = 2 if sig is not None else 1
    fig, axes = resolve_axes(
        ax, n_panels, caller="plot_opportune_timeline", nrows=n_panels, ncols=1,
        sharex=True, figsize=(11, 2.2 + 2.4 * n_panels), layout="constrained",
    )
    score_ax = axes[-1]
    merged = _merge_spans(spans) if spans.size else []
    for panel in axes:
        for i, (a, b) in enumerate(merged):
            lo, hi = to_x([a, b])
            panel.axvspan(lo, hi, color="tab:green", alpha=0.18, linewidth=0,
                          label="selected window" if i == 0 else None)
        for i, x in enumerate(to_x(trans_sec)):
            panel.axvline(x, color="black", linestyle=":", linewidth=1.2,
                          label="task transition" if i == 0 else None)
        panel.grid(alpha=0.25)
    if sig is not None:
        sig_ax = axes[0]
        sig_x = to_x(sig_t)
        for c in range(sig.shape[1]):
            sig_ax.plot(sig_x, sig[:, c], linewidth=0.8, color=f"C{c}" if c else "tab:blue")
        sig_ax.set_ylabel(signal_label)
        sig_ax.label_outer()
    t_x = to_x(t_sec)
    score_ax.plot(t_x, score_arr, color="tab:purple", linewidth=1.2, marker=".", markersize=4,
                  label=score_label)
    if mask is not None and mask.any():
        score_ax.plot(t_x[mask], score_arr[mask], linestyle="none", marker="o", markersize=6,
                      markerfacecolor="none", markeredgecolor="tab:green", markeredgewidth=1.5,
                      label="selected (opportune)")
    if threshold is not None:
        score_ax.axhline(threshold, color="tab:red", linestyle="--", linewidth=1.2,
                         label=f"threshold = {threshold:.3g}")
    score_ax.set_ylabel(score_label)
    score_ax.set_xlabel(xlabel)
    if t_is_dt:
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        score_ax.xaxis.set_major_locator(locator)
        score_ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    handles, labels = [], []
    for panel in axes:
        for h, lab in zip(*panel.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    score_ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    fontsize="small", frameon=False)
    if title is not None:
        fig.suptitle(title)
    save_figure(fig, path, overwrite=overwrite, caller="plot_opportune_timeline")
    return fig
