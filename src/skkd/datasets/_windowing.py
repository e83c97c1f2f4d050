"""Cut continuous signals of different rates and start times into aligned windows."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.utils._param_validation import validate_params

from skkd.utils._validation import FINITE_REAL, POSITIVE_REAL, invalid_parameter

__all__ = ["window_signals"]

_TOL = 1e-6  # seconds / samples: slack for floating-point times


def _per_signal(value, names: list[str], arg: str, from_signals: dict) -> dict[str, float]:
    """Broadcast a scalar or mapping argument (``fs``, ``t0``) to every signal.

    Values of a mapping are checked here: the constraints cannot look inside it.
    """
    if value is None:
        missing = [n for n in names if n not in from_signals]
        if missing:
            raise ValueError(
                f"{arg} is required for signals {missing} (plain arrays carry no "
                f"{arg}); pass a number or a dict of signal name to {arg}."
            )
        return {n: float(from_signals[n]) for n in names}
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{arg} lacks an entry for signals {missing}.")
        out = {n: value[n] for n in names}
    else:  # a number (the callers' constraints allow a dict, a number or None)
        out = dict.fromkeys(names, value)
    for n, v in out.items():
        if not isinstance(v, Real) or not np.isfinite(v):
            raise ValueError(f"{arg}[{n!r}] must be a finite number, got {v!r}.")
    return {n: float(v) for n, v in out.items()}


def _as_samples(name: str, value) -> np.ndarray:
    data = getattr(value, "data", value)  # E4Signal-like objects carry .data
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:  # pragma: no cover - ragged input
        raise TypeError(f"signals[{name!r}] must be an array: {exc}") from exc
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"signals[{name!r}] must be numeric, got dtype {arr.dtype}.")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"signals[{name!r}] must be (T,) or (T, channels) with time on axis 0, "
            f"got shape {arr.shape}."
        )
    return arr


def _whole_samples(seconds: float, fs: float, name: str, arg: str) -> int:
    n = seconds * fs
    if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)) or round(n) < 1:
        raise ValueError(
            f"{arg}={seconds!r} s at {fs!r} Hz gives {n!r} samples for signal "
            f"{name!r}; {arg} * fs must be a positive whole number of samples."
        )
    return int(round(n))


#: constraints of the windowing arguments (shared with ``recording_features``)
WINDOWING_CONSTRAINTS = {
    "signals": [Mapping],
    "fs": [Mapping, POSITIVE_REAL, None],
    "window_s": [POSITIVE_REAL],
    "step_s": [POSITIVE_REAL, None],
    "start": [FINITE_REAL, None],
    "stop": [FINITE_REAL, None],
    "t0": [Mapping, FINITE_REAL, None],
}


@validate_params(WINDOWING_CONSTRAINTS, prefer_skip_nested_validation=True)
def window_signals(
    signals: Mapping,
    fs: Mapping[str, float] | float | None = None,
    window_s: float = 60.0,
    step_s: float | None = None,
    start: float | None = None,
    stop: float | None = None,
    *,
    t0: Mapping[str, float] | float | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Cut continuous signals into windows aligned in absolute time.

    Window ``k`` covers ``[start + k * step_s, start + k * step_s + window_s)``
    for every signal; windows are made while they end at or before ``stop``.
    Each signal's window begins at its sample nearest to the window start (an
    error of at most half a sample period when a signal's sample grid does not
    fall on the window start) and has exactly ``window_s * fs`` samples.

    Parameters
    ----------
    signals : mapping of str to array-like or E4Signal
        Name -> samples, ``(T,)`` or ``(T, c)`` with time on axis 0. An
        :class:`~skkd.datasets.E4Signal` brings its own ``fs`` and start time.
    fs : float or mapping of str to float, optional
        Sampling rate(s) in Hz; taken from the signals when omitted.
    window_s : float, default=60
        Window length in seconds; ``window_s * fs`` must be a whole number of
        samples for every signal (else ``ValueError``).
    step_s : float, optional
        Hop between window starts in seconds; defaults to ``window_s``.
    start, stop : float, optional
        Span to cut, in the signals' time base. Default: the span every signal
        covers (latest first sample to earliest end). A span a signal does not
        cover raises ``ValueError``.
    t0 : float or mapping of str to float, optional
        Time of each signal's first sample (e.g. unix seconds); default 0, or
        the signal's ``start`` for E4Signal values.

    Returns
    -------
    windows : dict of str to ndarray of shape (n, c, window_s * fs)
        Same dtype as the input; ``n`` may be 0 if the span is shorter than a window.
    t_start : ndarray of shape (n,)
        Start time of each window.

    Examples
    --------
    >>> import numpy as np
    >>> eda = np.arange(40.0)             # 10 s at 4 Hz, starting at t=0
    >>> bvp = np.arange(64.0 * 9)         # 9 s at 64 Hz, starting at t=1
    >>> w, t = window_signals({"eda": eda, "bvp": bvp}, fs={"eda": 4, "bvp": 64},
    ...                       window_s=4, step_s=2, t0={"eda": 0, "bvp": 1})
    >>> t
    array([1., 3., 5.])
    >>> w["eda"].shape, w["bvp"].shape
    ((3, 1, 16), (3, 1, 256))
    >>> float(w["eda"][1, 0, 0]) / 4, float(w["bvp"][1, 0, 0]) / 64 + 1
    (3.0, 3.0)
    """
    if not signals:
        raise invalid_parameter("window_signals", "signals",
                                "a non-empty dict of signal name to samples", signals)
    arrays, _, lengths, t_start, firsts = _window_plan(
        signals, fs, window_s, step_s, start, stop, t0
    )
    windows = {}
    for n, x in arrays.items():
        length, first = lengths[n], firsts[n]
        if len(t_start) == 0 or x.shape[0] < length:
            windows[n] = np.empty((0, x.shape[1], length), dtype=x.dtype)
            continue
        view = sliding_window_view(x, length, axis=0)  # (T - L + 1, c, L)
        windows[n] = view[first].copy()
    return windows, t_start


def _window_plan(signals, fs, window_s, step_s, start, stop, t0, t_start=None):
    """Check the signals and rates, and place the windows.

    The callers (:func:`window_signals`, ``skkd.features.recording_features``)
    have validated their parameters: ``signals`` a non-empty dict, ``window_s``
    and ``step_s`` positive. What is checked here depends on the signals: their
    shapes and rates, whole samples per window, and the span they cover.

    Returns ``(arrays, rates, lengths, t_start, firsts)``: each signal's
    samples ``(T, c)``, rate, window length in samples, the windows' start
    times and, per signal, the index of each window's first sample. An
    explicit ``t_start`` (window start times, e.g. the subset of windows a
    loader kept) replaces the regular grid of ``start``/``step_s``; every such
    window must lie inside every signal.
    """
    names = list(signals)
    arrays = {n: _as_samples(n, signals[n]) for n in names}
    own_fs = {n: s.fs for n, s in signals.items() if hasattr(s, "fs")}
    own_t0 = {n: s.start for n, s in signals.items() if hasattr(s, "start")}
    rates = _per_signal(fs, names, "fs", own_fs)
    if t0 is None:
        t0 = {n: own_t0.get(n, 0.0) for n in names}
    starts = _per_signal(t0, names, "t0", {})
    for n, r in rates.items():
        if r <= 0:
            raise ValueError(f"fs[{n!r}] must be positive, got {r}.")
    step_s = window_s if step_s is None else step_s
    lengths = {n: _whole_samples(window_s, rates[n], n, "window_s") for n in names}

    ends = {n: starts[n] + arrays[n].shape[0] / rates[n] for n in names}
    span_start = max(starts.values()) if start is None else float(start)
    span_stop = min(ends.values()) if stop is None else float(stop)
    for n in names:
        half = 0.5 / rates[n]
        if span_start < starts[n] - half - _TOL or span_stop > ends[n] + _TOL:
            raise ValueError(
                f"signal {n!r} covers [{starts[n]!r}, {ends[n]!r}) but windows were "
                f"requested over [{span_start!r}, {span_stop!r}); pass start/stop "
                "inside every signal's span."
            )

    if t_start is None:
        room = span_stop - span_start - window_s
        n_windows = int(np.floor(room / step_s + _TOL)) + 1 if room >= -_TOL else 0
        t_start = span_start + step_s * np.arange(n_windows, dtype=np.float64)
    else:
        t_start = np.array(t_start, dtype=np.float64).reshape(-1)
        if not np.isfinite(t_start).all():
            raise ValueError("t_start must hold finite window start times.")
        for n in names:
            half = 0.5 / rates[n]
            if t_start.size and (t_start.min() < starts[n] - half - _TOL
                                 or t_start.max() + window_s > ends[n] + _TOL):
                raise ValueError(
                    f"signal {n!r} covers [{starts[n]!r}, {ends[n]!r}) but windows were "
                    f"requested from {t_start.min()!r} to {t_start.max() + window_s!r}; "
                    "every window in t_start must lie inside every signal's span."
                )

    firsts = {}
    for n in names:
        first = np.rint((t_start - starts[n]) * rates[n]).astype(np.int64)
        # float slack only
        firsts[n] = np.clip(first, 0, max(arrays[n].shape[0] - lengths[n], 0))
    return arrays, rates, lengths, t_start, firsts
