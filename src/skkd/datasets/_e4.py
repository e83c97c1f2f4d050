"""Reader for the Empatica E4 CSV export (one folder per session)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from skkd.datasets._home import require_dir, require_file
from skkd.utils._validation import invalid_parameter

__all__ = ["E4Recording", "E4Signal", "read_empatica_e4"]

#: signal name -> (file name, column names). ACC is in units of 1/64 g.
E4_SIGNAL_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "eda": ("EDA.csv", ("eda",)),
    "temp": ("TEMP.csv", ("temp",)),
    "bvp": ("BVP.csv", ("bvp",)),
    "acc": ("ACC.csv", ("x", "y", "z")),
    "hr": ("HR.csv", ("hr",)),
}

#: the rates the E4 records each signal at (Hz)
E4_RATES: dict[str, float] = {"eda": 4.0, "temp": 4.0, "bvp": 64.0, "acc": 32.0, "hr": 1.0}

_FORMAT = (
    "an Empatica E4 CSV (row 1: session start as a unix timestamp, row 2: "
    "sampling rate in Hz, then one sample a row)"
)
#: plausible session starts, unix seconds: 2000-01-01 to 2100-01-01 (UTC)
_START_RANGE = (946_684_800.0, 4_102_444_800.0)
#: highest plausible sampling rate (Hz); the E4 uses 1, 4, 32 and 64 Hz
_MAX_FS = 10_000.0


@dataclass(frozen=True)
class E4Signal:
    """One continuously sampled E4 signal.

    Attributes
    ----------
    name : str
        Signal name (``"eda"``, ``"temp"``, ``"bvp"``, ``"acc"``, ``"hr"``).
    data : ndarray of shape (T, c)
        Samples as written in the file (float64), one column per axis.
    fs : float
        Sampling rate in Hz.
    start : float
        Unix time (UTC, seconds) of the first sample.
    columns : tuple of str
        Column names (``("x", "y", "z")`` for ACC).
    """

    name: str
    data: np.ndarray
    fs: float
    start: float
    columns: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of samples ``T``."""
        return int(self.data.shape[0])

    @property
    def duration(self) -> float:
        """Length of the recording in seconds (``T / fs``)."""
        return self.n_samples / self.fs

    @property
    def stop(self) -> float:
        """Unix time just after the last sample (``start + T / fs``)."""
        return self.start + self.duration

    def times(self) -> np.ndarray:
        """Unix time of every sample, shape ``(T,)``."""
        return self.start + np.arange(self.n_samples) / self.fs


@dataclass(frozen=True)
class E4Recording:
    """Everything one E4 export folder holds.

    Attributes
    ----------
    folder : Path
    signals : dict of str to E4Signal
        The continuously sampled signals that were read; ``recording["eda"]``
        is a shortcut for ``recording.signals["eda"]``.
    ibi : DataFrame or None
        Inter-beat intervals: columns ``time`` (unix s of the beat),
        ``seconds_since_start`` and ``interval_s``; ``None`` if the folder has
        no ``IBI.csv``.
    tags : ndarray of float or None
        Unix times of the button presses, in file order; an empty array for an
        empty tags file, ``None`` if the folder has no tags file.
    """

    folder: Path
    signals: dict[str, E4Signal] = field(default_factory=dict)
    ibi: pd.DataFrame | None = None
    tags: np.ndarray | None = None

    def __getitem__(self, name: str) -> E4Signal:
        try:
            return self.signals[name]
        except KeyError:
            raise KeyError(
                f"signal {name!r} was not read from {self.folder}; available: "
                f"{sorted(self.signals)}."
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.signals


def _header_values(line: str, path: Path, row: int, n_columns: int) -> float:
    fields = [f.strip() for f in line.strip().split(",")]
    if len(fields) != n_columns:
        raise ValueError(
            f"{path}: header row {row} has {len(fields)} value(s), expected "
            f"{n_columns}; the file should be {_FORMAT}."
        )
    try:
        values = np.array([float(f) for f in fields])
    except ValueError:
        raise ValueError(
            f"{path}: header row {row} is not numeric ({line.strip()!r}); the "
            f"file should be {_FORMAT}."
        ) from None
    if not np.isfinite(values).all() or np.ptp(values) != 0:
        raise ValueError(
            f"{path}: header row {row} must repeat one finite value per column, "
            f"got {line.strip()!r}."
        )
    return float(values[0])


def _is_unix_time(value) -> np.ndarray:
    lo, hi = _START_RANGE
    return (value >= lo) & (value < hi)


def _check_start(start: float, path: Path) -> float:
    """Row 1 must be the session start in unix seconds."""
    lo, hi = _START_RANGE
    if not _is_unix_time(start):
        if _is_unix_time(start / 1000):
            hint = " It looks like milliseconds; the E4 writes seconds."
        elif 0 < start <= _MAX_FS:
            hint = " It looks like a sampling rate: are rows 1 and 2 swapped?"
        else:
            hint = ""
        raise ValueError(
            f"{path}: row 1 must be the session start in unix seconds (UTC, between "
            f"2000 and 2100: {lo:.0f} to {hi:.0f}), got {start!r}.{hint}"
        )
    return start


def _check_rate(fs: float, path: Path) -> float:
    """Row 2 must be a plausible sampling rate."""
    if not 0 < fs <= _MAX_FS:
        hint = " It looks like a unix time: are rows 1 and 2 swapped?" if _is_unix_time(fs) else ""
        raise ValueError(
            f"{path}: row 2 must be the sampling rate in Hz, positive and at most "
            f"{_MAX_FS:.0f} (the E4 records at 1, 4, 32 or 64 Hz), got {fs!r}.{hint}"
        )
    return fs


def _undecodable_line(path: Path) -> tuple[int, str]:
    """First line (1-based) of ``path`` that is not UTF-8, and its offending bytes."""
    for i, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return i, repr(raw[exc.start : exc.end])
    return -1, ""  # pragma: no cover - only called after a decoding failure


def _read_header(path: Path, n_lines: int) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [fh.readline() for _ in range(n_lines)]
    if not lines[0].strip():
        raise ValueError(f"{path}: the file is empty; expected {_FORMAT}.")
    if any(not line.strip() for line in lines):
        raise ValueError(
            f"{path}: the file ends inside its {n_lines}-row header; expected {_FORMAT}."
        )
    return lines


def _first_bad_row(path: Path, skiprows: int) -> tuple[int, str]:
    raw = pd.read_csv(
        path, header=None, skiprows=skiprows, dtype=str, skip_blank_lines=False,
        keep_default_na=False,
    )
    for col in raw.columns:
        numeric = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        bad = numeric.isna() & (raw[col].str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            return i + skiprows + 1, str(raw[col].iloc[i])
    return -1, ""  # pragma: no cover - only called after a conversion failure


def _read_samples(path: Path, skiprows: int, n_columns: int) -> np.ndarray:
    """Samples below the header as a float64 (T, n_columns) array."""
    try:
        frame = pd.read_csv(
            path, header=None, skiprows=skiprows, dtype=np.float64,
            skip_blank_lines=False, engine="c",
        )
    except pd.errors.EmptyDataError:
        return np.empty((0, n_columns))
    except pd.errors.ParserError as exc:
        raise ValueError(
            f"{path}: malformed sample rows ({exc}); expected {n_columns} "
            "comma-separated value(s) a row."
        ) from None
    except UnicodeDecodeError:
        line, raw = _undecodable_line(path)
        raise ValueError(
            f"{path}: line {line} is not UTF-8 text (bytes {raw}); samples must be "
            "plain numbers."
        ) from None
    except (ValueError, TypeError):
        line, value = _first_bad_row(path, skiprows)
        raise ValueError(
            f"{path}: non-numeric value {value!r} on line {line}; samples must be numbers."
        ) from None
    data = frame.to_numpy(dtype=np.float64, copy=True)  # writeable, ours
    # blank lines at the very end of a file are not samples; anything else is
    filled = np.flatnonzero(~np.isnan(data).all(axis=1))
    data = data[: filled[-1] + 1] if filled.size else data[:0]
    if data.shape[1] != n_columns:
        raise ValueError(
            f"{path}: sample rows have {data.shape[1]} value(s), expected {n_columns}."
        )
    if not np.isfinite(data).all():
        row = int(np.flatnonzero(~np.isfinite(data).all(axis=1))[0])
        raise ValueError(
            f"{path}: line {row + skiprows + 1} is truncated or has a missing/"
            f"infinite value; every row needs {n_columns} finite number(s)."
        )
    return data


def read_e4_signal(path: str | os.PathLike, name: str, columns: tuple[str, ...]) -> E4Signal:
    """Read one E4 signal file (EDA, TEMP, BVP, ACC or HR) into an :class:`E4Signal`."""
    path = require_file(Path(path), f"the E4 {name.upper()} file")
    n_columns = len(columns)
    first, second = _read_header(path, 2)
    start = _check_start(_header_values(first, path, 1, n_columns), path)
    fs = _check_rate(_header_values(second, path, 2, n_columns), path)
    data = _read_samples(path, 2, n_columns)
    if len(data) == 0:
        raise ValueError(f"{path}: the file has its 2-row header but no samples.")
    repeated = np.flatnonzero((data == data[:, :1]).all(axis=1) & _is_unix_time(data[:, 0]))
    if repeated.size:
        raise ValueError(
            f"{path}: line {repeated[0] + 3} holds {float(data[repeated[0], 0])!r}, a unix "
            "time like the start in row 1, not a sample: the file looks like several "
            "exports joined together (a header repeated inside the data). Expected "
            "one 2-row header, then samples."
        )
    return E4Signal(name=name, data=data, fs=fs, start=start, columns=columns)


def read_e4_ibi(path: str | os.PathLike) -> pd.DataFrame:
    """Read ``IBI.csv``: row 1 ``start, IBI``; then ``seconds since start, interval``."""
    path = require_file(Path(path), "the E4 IBI file")
    (first,) = _read_header(path, 1)
    fields = [f.strip() for f in first.strip().split(",")]
    try:
        start = float(fields[0])
    except ValueError:
        start = np.nan
    if len(fields) != 2 or not np.isfinite(start):
        raise ValueError(
            f"{path}: row 1 must be '<unix start time>, IBI', got {first.strip()!r}."
        )
    _check_start(start, path)
    data = _read_samples(path, 1, 2)
    if (data[:, 1] <= 0).any():
        raise ValueError(f"{path}: inter-beat intervals (column 2) must be positive.")
    return pd.DataFrame(
        {
            "time": start + data[:, 0],
            "seconds_since_start": data[:, 0],
            "interval_s": data[:, 1],
        }
    )


def read_e4_tags(path: str | os.PathLike) -> np.ndarray:
    """Read a tags file: one unix timestamp a row (an empty file means no presses)."""
    path = require_file(Path(path), "the E4 tags file")
    data = _read_samples(path, 0, 1)
    return data[:, 0]


def _find_tags_file(folder: Path) -> Path | None:
    candidates = sorted(folder.glob("tags*.csv"))
    if len(candidates) > 1:
        raise ValueError(
            f"{folder}: several tags files {[c.name for c in candidates]}; expected one."
        )
    return candidates[0] if candidates else None


@validate_params(
    {"folder": [str, os.PathLike], "signals": ["array-like", str, None]},
    prefer_skip_nested_validation=True,
)
def read_empatica_e4(
    folder: str | os.PathLike, signals: list[str] | tuple[str, ...] | None = None
) -> E4Recording:
    """Read an Empatica E4 CSV export folder.

    Signal files (``EDA.csv`` 4 Hz, ``TEMP.csv`` 4 Hz, ``BVP.csv`` 64 Hz,
    ``ACC.csv`` 32 Hz x/y/z in 1/64 g, ``HR.csv`` 1 Hz) hold the session start
    (unix s, UTC) on row 1, the rate on row 2, then samples. ``IBI.csv`` and the
    tags file (``tags*.csv``, unix times of button presses) are read when present.

    Parameters
    ----------
    folder : str or path-like
        The export folder.
    signals : sequence of str, optional
        Signals to read among ``"eda", "temp", "bvp", "acc", "hr"``; each must
        exist. By default every one of them present in the folder is read.

    Returns
    -------
    E4Recording
        ``recording["eda"].data`` is ``(T, 1)``, ``.fs`` and ``.start`` give its
        rate and absolute start; ``recording.ibi`` and ``recording.tags`` too.

    Raises
    ------
    FileNotFoundError
        Missing folder (or a ``.zip`` in its place: unzip it first), missing
        requested file, or no signal file at all.
    ValueError
        A malformed file (empty, header only, wrong header, an implausible start
        time or rate, a header repeated inside the data, truncated row,
        non-numeric value or non-UTF-8 bytes), named with its path and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "EDA.csv").write_text("1600000000.0\\n4.0\\n0.1\\n0.2\\n")
    >>> rec = read_empatica_e4(folder)
    >>> rec["eda"].data.shape, rec["eda"].fs, rec["eda"].stop - rec["eda"].start
    ((2, 1), 4.0, 0.5)
    """
    folder = require_dir(
        Path(folder), "an Empatica E4 export folder",
        hint="Pass the folder of one session's export (the one holding EDA.csv, BVP.csv...).",
    )
    if signals is None:
        names = [n for n, (f, _) in E4_SIGNAL_FILES.items() if (folder / f).is_file()]
        if not names:
            raise FileNotFoundError(
                f"{folder}: no E4 signal file found; expected some of "
                f"{[f for f, _ in E4_SIGNAL_FILES.values()]}."
            )
    else:
        names = [signals] if isinstance(signals, str) else list(signals)
        if any(n not in E4_SIGNAL_FILES for n in names):
            raise invalid_parameter("read_empatica_e4", "signals", "None or E4 signal names "
                                    f"among {list(E4_SIGNAL_FILES)}", signals)
        names = list(dict.fromkeys(names))
    read = {}
    for name in names:
        file_name, columns = E4_SIGNAL_FILES[name]
        read[name] = read_e4_signal(folder / file_name, name, columns)
    ibi_path = folder / "IBI.csv"
    ibi = read_e4_ibi(ibi_path) if ibi_path.is_file() else None
    tags_path = _find_tags_file(folder)
    tags = read_e4_tags(tags_path) if tags_path is not None else None
    return E4Recording(folder=folder, signals=read, ibi=ibi, tags=tags)
