"""Many subjects' Empatica E4 exports (one sub-folder each) + a CSV of labelled intervals."""

from __future__ import annotations

import datetime
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import check_memory

from skkd._modalities import Modalities
from skkd.utils._validation import refuse_bools
from skkd.datasets._e4 import _START_RANGE, E4_SIGNAL_FILES
from skkd.datasets._home import require_dir, require_file
from skkd.datasets._stress_predict import _check_signals, _read_session
from skkd.datasets._windowing import window_signals
from skkd.utils._validation import POSITIVE_REAL, invalid_parameter

__all__ = ["load_e4_folder"]

#: columns the labels table must have (more are allowed and ignored)
LABEL_COLUMNS = ("subject", "start", "end", "label")
#: an ISO 8601 timestamp starts with a full date (a bare "10:05" would mean today)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: slack (seconds) when comparing window and interval bounds
_TOL = 1e-6
_FOLDER_HINT = (
    "Pass the folder that holds one sub-folder per subject, each an E4 export "
    "(EDA.csv, TEMP.csv, BVP.csv, ACC.csv...)."
)

DESCR_TEMPLATE = """\
Empatica E4 exports from {folder}
{underline}

{n_subjects_total} subject(s) read, one sub-folder each (its name is the subject id).
Signals: {rates}.
Windows: {window_s} s, hop {step_s} s, aligned in absolute (unix) time across
signals, on a grid that starts at each subject's first moment recorded by
every signal.

{labelling}

Counts: {n_windows} windows from {n_subjects} subject(s){class_counts}.
{dropped}
Subjects that give no window: {empty}. See ``coverage`` for every subject.

Evaluate by subject (groups), never by window: windows overlap and a subject's
windows are strongly correlated.
"""

_LABELLED = """\
Labels: {labels} ({n_intervals} intervals, time as {time_kind}). A window gets
the label of the interval that holds it whole; a window that overlaps no
interval, or crosses an interval's start or end, is dropped (counted in
``coverage``: ``n_windows_unlabelled``, ``n_windows_across``)."""

_UNLABELLED = """\
No labels were given: every window of every recording is kept (``y`` is None),
e.g. to predict on a new subject."""


# --------------------------------------------------------------------------- labels
def _row_name(source: str, row: int, from_file: bool) -> str:
    return f"{source}, line {row + 2}" if from_file else f"{source}, row {row}"


def _is_datetime(value) -> bool:
    return isinstance(value, (pd.Timestamp, np.datetime64, datetime.datetime, datetime.date))


def _as_seconds(value) -> float | None:
    """``value`` as a float if it is a number (or text of one), else None."""
    if _is_datetime(value):
        return None
    try:
        return float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None


def _check_time_value(value, what: str) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{what} must be a time, got {value!r}.")


def _parse_times(frame: pd.DataFrame, source: str, from_file: bool, timezone: str):
    """``start``/``end`` as floats and their kind: 'unix', 'relative' or 'iso'.

    A column of numbers holds unix seconds when every value is a plausible unix
    time (2000 to 2100), seconds since the recording start when every value is
    below that range; text holds ISO 8601 timestamps. Mixing kinds raises.
    """
    lo, hi = _START_RANGE
    kinds, values = [], []
    for row, (start, end) in enumerate(zip(frame["start"], frame["end"])):
        pair = []
        for column, value in (("start", start), ("end", end)):
            where = f"{_row_name(source, row, from_file)}, column {column}"
            _check_time_value(value, where)
            number = _as_seconds(value)
            if number is not None:
                number = float(number)
                if not np.isfinite(number) or number < 0:
                    raise ValueError(
                        f"{where}: {value!r} is not a time; give seconds since the "
                        "recording start (>= 0), unix seconds or an ISO 8601 timestamp."
                    )
                if number >= hi:
                    ms = lo <= number / 1000 < hi
                    raise ValueError(
                        f"{where}: {value!r} is after the year 2100 as unix seconds"
                        f"{' (it looks like milliseconds; give seconds)' if ms else ''}."
                    )
                kind = "unix" if number >= lo else "relative"
            else:
                stamp = pd.NaT
                if _is_datetime(value) or _ISO_DATE.match(str(value).strip()):
                    try:
                        stamp = pd.Timestamp(value if _is_datetime(value) else str(value).strip())
                    except (ValueError, TypeError):
                        pass
                if pd.isna(stamp):
                    raise ValueError(
                        f"{where}: {value!r} is neither a number of seconds nor an ISO "
                        "8601 timestamp (e.g. 2022-02-07T10:03:00Z)."
                    ) from None
                if stamp.tzinfo is None:
                    stamp = stamp.tz_localize(timezone)
                number = (stamp - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
                kind = "iso"
            kinds.append((kind, where))
            pair.append(number)
        values.append(pair)
    found = {k for k, _ in kinds}
    if "relative" in found and len(found) > 1:
        first = next(k for k in kinds if k[0] != kinds[0][0])
        raise ValueError(
            f"{first[1]}: the labels mix seconds since the recording start (numbers "
            f"below {lo:.0f}) with absolute times (unix seconds or ISO timestamps); use "
            "one kind in the whole table."
        )
    kind = "relative" if "relative" in found else ("iso" if found == {"iso"} else (
        "unix" if found == {"unix"} else "unix/iso"))
    values = np.asarray(values, dtype=np.float64).reshape(-1, 2)
    return values[:, 0], values[:, 1], kind


def _read_labels(labels, subject_ids: set[str], timezone: str):
    """The labels table checked: columns, values, times, unknown subjects, overlaps."""
    if isinstance(labels, pd.DataFrame):
        frame, source, from_file = labels.copy(), "labels (DataFrame)", False
    else:  # a path (validate_params refused anything else)
        path = require_file(Path(labels).expanduser(), "the labels CSV (subject,start,end,label)")
        source, from_file = str(path), True
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.EmptyDataError:
            raise ValueError(
                f"{path}: the labels file is empty; expected a header "
                f"{','.join(LABEL_COLUMNS)} and one row per labelled interval."
            ) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a readable CSV ({exc}).") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{source}: missing column(s) {missing}; expected columns "
            f"{list(LABEL_COLUMNS)} (found {list(frame.columns)})."
        )
    frame = frame[list(LABEL_COLUMNS)].reset_index(drop=True)
    if len(frame) == 0:
        raise ValueError(f"{source}: the labels table has a header but no rows.")
    for column in LABEL_COLUMNS:
        values = frame[column]
        empty = values.isna() | (values.astype(str).str.strip() == "")
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise ValueError(
                f"{_row_name(source, row, from_file)}: column {column} is empty; every "
                f"row needs {', '.join(LABEL_COLUMNS)}."
            )
    frame["subject"] = frame["subject"].astype(str).str.strip()
    if from_file:  # text from the CSV: numbers become numbers, text stays text
        stripped = frame["label"].str.strip()
        as_number = pd.to_numeric(stripped, errors="coerce")
        if as_number.notna().all():
            whole = (as_number == np.round(as_number)).all()
            frame["label"] = as_number.astype(np.int64) if whole else as_number
        else:
            frame["label"] = stripped
    start, end, kind = _parse_times(frame, source, from_file, timezone)
    bad = np.flatnonzero(end <= start)
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"{_row_name(source, row, from_file)}: end ({frame['end'].iloc[row]!r}) "
            f"must be after start ({frame['start'].iloc[row]!r})."
        )
    unknown = sorted(set(frame["subject"]) - subject_ids)
    if unknown:
        row = int(np.flatnonzero((frame["subject"] == unknown[0]).to_numpy())[0])
        raise ValueError(
            f"{_row_name(source, row, from_file)}: subject {unknown[0]!r} has no "
            f"sub-folder (unknown subjects: {unknown}; sub-folders: "
            f"{sorted(subject_ids)})."
        )
    table = pd.DataFrame({
        "subject": frame["subject"],
        "start": start,
        "end": end,
        "label": frame["label"],
        "line": (np.arange(len(frame)) + 2) if from_file else np.arange(len(frame)),
    })
    for subject, rows in table.groupby("subject", sort=False):
        rows = rows.sort_values(["start", "end"], kind="stable")
        s, e = rows["start"].to_numpy(), rows["end"].to_numpy()
        clash = np.flatnonzero(s[1:] < e[:-1] - _TOL)
        if clash.size:
            a, b = rows.index[clash[0]], rows.index[clash[0] + 1]
            raise ValueError(
                f"{source}: intervals of subject {subject!r} overlap: "
                f"{_row_name(source, int(a), from_file).split(', ', 1)[1]} "
                f"[{frame['start'].iloc[a]}, {frame['end'].iloc[a]}) and "
                f"{_row_name(source, int(b), from_file).split(', ', 1)[1]} "
                f"[{frame['start'].iloc[b]}, {frame['end'].iloc[b]}); a window can "
                "have one label only."
            )
    try:
        np.unique(table["label"].to_numpy())
    except TypeError:
        raise TypeError(
            f"{source}: column label mixes numbers and text; use one kind."
        ) from None
    return table, kind, source


# --------------------------------------------------------------------------- folders
def _subject_folders(root: Path, subjects) -> list[Path]:
    present = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subjects is None:
        if not present:
            raise FileNotFoundError(
                f"{root}: no sub-folder found; expected one sub-folder per subject, "
                "each an E4 export (its name is the subject id)."
            )
        return present
    if isinstance(subjects, str):
        subjects = [subjects]
    subjects = [str(s) for s in subjects]
    if not subjects:
        raise invalid_parameter("load_e4_folder", "subjects", "at least one sub-folder name "
                                "(or None for all)", subjects)
    names = {p.name for p in present}
    missing = [s for s in subjects if s not in names]
    if missing:
        raise FileNotFoundError(
            f"{root}: no sub-folder for subject(s) {missing}; sub-folders: {sorted(names)}."
        )
    return [root / s for s in dict.fromkeys(subjects)]


def _read_subject(folder: Path, signals: tuple[str, ...], read) -> tuple[dict, np.ndarray]:
    if not any((folder / f).is_file() for f, _ in E4_SIGNAL_FILES.values()):
        raise FileNotFoundError(
            f"{folder}: subject sub-folder {folder.name!r} holds no E4 signal file "
            f"(expected some of {[f for f, _ in E4_SIGNAL_FILES.values()]}). Every "
            "sub-folder is read as one subject's export: move other folders out, or "
            "pass subjects=[...]."
        )
    try:
        sigs, tags = read(folder, signals)
    except (ValueError, FileNotFoundError) as exc:
        kind = ValueError if isinstance(exc, ValueError) else FileNotFoundError
        raise kind(f"subject {folder.name}: {exc}") from exc
    return sigs, (np.empty(0) if tags is None else tags)


def _subject_windows(subject, sigs, intervals, window_s, step_s):
    """Windows of one subject, their labels (or None), meta rows and a coverage row."""
    rec_start = max(s.start for s in sigs.values())
    rec_stop = min(s.stop for s in sigs.values())
    cover = {
        "subject": subject,
        "recording_start": rec_start,
        "recording_stop": rec_stop,
        "n_intervals": 0,
        "labelled_s": 0.0,
        "labelled_s_outside_recording": 0.0,
        "n_windows": 0,
        "n_windows_unlabelled": 0,
        "n_windows_across": 0,
        "note": "",
    }
    if intervals is not None:
        s, e = intervals["start"].to_numpy(), intervals["end"].to_numpy()
        inside = (np.minimum(e, rec_stop) - np.maximum(s, rec_start)).clip(min=0)
        cover.update(n_intervals=len(s), labelled_s=float((e - s).sum()),
                     labelled_s_outside_recording=float((e - s - inside).sum()))
    if rec_stop - rec_start < window_s - _TOL:
        cover["note"] = f"recording shorter than one {window_s:g} s window"
        return None, None, None, cover
    windows, t_start = window_signals(sigs, None, window_s, step_s, rec_start, rec_stop)
    t_end = t_start + window_s
    if intervals is None:
        keep, labels = np.ones(len(t_start), bool), None
    elif not len(intervals):
        cover["note"] = "no labelled interval"
        cover["n_windows_unlabelled"] = len(t_start)
        return None, None, None, cover
    else:
        order = np.argsort(s, kind="stable")
        s, e = s[order], e[order]
        values = intervals["label"].to_numpy()[order]
        holder = np.searchsorted(s, t_start + _TOL, side="right") - 1
        keep = (holder >= 0) & (t_end <= e[holder.clip(min=0)] + _TOL)
        first_after = np.searchsorted(e, t_start + _TOL, side="right")
        touches = (first_after < len(s)) & (
            s[first_after.clip(max=len(s) - 1)] < t_end - _TOL)
        cover["n_windows_unlabelled"] = int((~touches).sum())
        cover["n_windows_across"] = int((touches & ~keep).sum())
        labels = values[holder[keep]]
    cover["n_windows"] = int(keep.sum())
    if not keep.any():
        cover["note"] = ("labels outside the recording"
                         if cover["labelled_s_outside_recording"] >= cover["labelled_s"] - _TOL
                         else "no labelled interval holds a whole window")
        return None, None, None, cover
    meta = pd.DataFrame({
        "subject": subject,
        "t_start": t_start[keep],
        "t_end": t_end[keep],
        "t_start_rel": t_start[keep] - min(sig.start for sig in sigs.values()),
    })
    if labels is not None:
        meta["label"] = labels
    windows = {n: w[keep].astype(np.float32, copy=False) for n, w in windows.items()}
    return windows, labels, meta, cover


def _empty_reason(cover: dict) -> str:
    return cover["note"] or "no window"


@validate_params(
    {
        "path": [str, os.PathLike],
        "labels": [str, os.PathLike, pd.DataFrame, None],
        "window_s": [POSITIVE_REAL],
        "step_s": [POSITIVE_REAL, None],
        "signals": ["array-like", str],
        "subjects": ["array-like", str, None],
        "timezone": [str],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    },
    prefer_skip_nested_validation=True,
)
def load_e4_folder(
    path: str | os.PathLike,
    labels=None,
    *,
    window_s: float = 60,
    step_s: float | None = 30,
    signals: Sequence[str] = ("eda", "temp", "bvp", "acc"),
    subjects: Sequence[str] | None = None,
    timezone: str = "UTC",
    memory=None,
) -> Bunch:
    """Load many subjects' Empatica E4 exports as labelled windows.

    ``path`` holds one sub-folder per subject, each an E4 CSV export as
    :func:`read_empatica_e4` reads it; the sub-folder name is the subject id
    (hidden folders, and files beside the sub-folders, are ignored). Every
    subject's signals are cut into windows aligned in absolute time (as
    :func:`window_signals` does) on a grid that starts at the first moment every
    requested signal records; a window takes the label of the interval of
    ``labels`` that holds it whole.

    The labels table has one row per labelled interval and the columns
    ``subject, start, end, label`` (more columns are ignored; names are
    matched case-insensitively)::

        subject,start,end,label
        P01,0,300,baseline
        P01,300,480,stress
        P02,2022-02-07T10:03:00Z,2022-02-07T10:08:00Z,baseline

    - ``subject``: a sub-folder name.
    - ``start``, ``end``: the interval ``[start, end)``, either **seconds since
      the recording start** (numbers below 946684800, i.e. before the year
      2000 as unix time; the recording start is the session start written in
      row 1 of the subject's files, the earliest among the signals read — every
      E4 file but ``HR.csv`` shares it), or **absolute times**: unix seconds
      (UTC) or ISO 8601 timestamps (those without an offset are in
      ``timezone``). One table uses either relative or absolute times.
    - ``label``: any value; ``y`` holds it as written (numbers as numbers).

    A window that overlaps no interval, or crosses an interval's start or end,
    is dropped; ``coverage`` counts both per subject. Intervals of one subject
    may touch but not overlap.

    Parameters
    ----------
    path : str or path-like
        The folder of subject sub-folders.
    labels : str, path-like, DataFrame or None, default=None
        The labels table (a CSV file or a DataFrame with the columns above).
        ``None``: no labels; every window of every recording is kept and ``y``
        is None (to predict on new recordings).
    window_s : float, default=60
        Window length in seconds (``window_s * fs`` whole for every signal).
    step_s : float or None, default=30
        Hop between window starts in seconds; None means ``window_s``.
    signals : sequence of str, default=("eda", "temp", "bvp", "acc")
        E4 signals to read and window (``"hr"`` is also available); each must
        exist in every subject's folder, at the same rate for every subject.
    subjects : sequence of str, optional
        Sub-folders to read (default: all). Label rows of sub-folders not read
        are ignored.
    timezone : str, default="UTC"
        Time zone of ISO timestamps written without an offset (e.g.
        ``"Europe/Dublin"``).
    memory : str, joblib.Memory or None, default=None
        Cache for reading the CSV files (keyed on folder and signals; clear it
        if the files change).

    Returns
    -------
    Bunch
        ``X`` (:class:`~skkd.Modalities` of float32 windows: ``"eda"`` and
        ``"temp"`` ``(n, 1, window_s*4)``, ``"bvp"`` ``(n, 1, window_s*64)``,
        ``"acc"`` ``(n, 3, window_s*32)``), ``y`` (the labels, or None),
        ``groups`` (subject ids), ``meta`` (subject, t_start and t_end in unix
        seconds, t_start_rel in seconds since the recording start, label),
        ``fs``, ``coverage`` (one row per subject: recording span, intervals,
        labelled seconds and those outside the recording, windows kept, windows
        dropped as unlabelled or across an interval boundary, note),
        ``intervals`` (the labels table with unix ``start``/``end`` and the CSV
        ``line``), ``tags`` (button presses per subject), ``target_names``
        (sorted labels), ``DESCR``.

    Raises
    ------
    FileNotFoundError
        A missing folder, labels file or requested signal file, a folder without
        sub-folders, or a sub-folder without E4 files (named).
    ValueError
        A malformed E4 file (see :func:`read_empatica_e4`), a sampling rate that
        differs between subjects, or a labels table with missing columns or
        values, unreadable times, a subject without sub-folder, ``end <= start``
        or overlapping intervals, named with the file and line; or no window at
        all.

    Warns
    -----
    UserWarning
        Naming every subject that gives no window, with the reason.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for subject in ["P01", "P02"]:
    ...     folder = root / "export" / subject
    ...     folder.mkdir(parents=True)
    ...     eda = "\\n".join(f"{v:.3f}" for v in np.linspace(1, 2, 4 * 600))
    ...     _ = (folder / "EDA.csv").write_text(f"1600000000.0\\n4.0\\n{eda}\\n")
    >>> _ = (root / "labels.csv").write_text(
    ...     "subject,start,end,label\\nP01,0,300,calm\\nP01,300,600,stress\\n"
    ...     "P02,60,360,calm\\n")
    >>> data = load_e4_folder(root / "export", root / "labels.csv", signals=["eda"])
    >>> data.X
    Modalities(n_windows=27, eda=(1, 240))
    >>> sorted(set(data.y)), data.coverage["n_windows_across"].tolist()
    (['calm', 'stress'], [1, 2])
    """
    owner = "load_e4_folder"
    refuse_bools(owner, window_s=window_s, step_s=step_s)
    window_s = float(window_s)
    step_s = window_s if step_s is None else float(step_s)
    signals = _check_signals(owner, signals)
    try:
        pd.Timestamp(0).tz_localize(timezone)
    except Exception:  # noqa: BLE001 - pytz/zoneinfo raise different errors
        raise invalid_parameter(owner, "timezone", "a time zone name such as 'UTC' or "
                                "'Europe/Dublin'", timezone) from None
    root = require_dir(Path(path).expanduser(), "a folder of E4 exports (one sub-folder per "
                       "subject)", hint=_FOLDER_HINT)
    folders = _subject_folders(root, subjects)
    intervals, kind, source = (None, None, None)
    if labels is not None:
        all_ids = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
        intervals, kind, source = _read_labels(labels, all_ids, timezone)
    read = check_memory(os.fspath(memory) if isinstance(memory, os.PathLike) else memory
                        ).cache(_read_session)

    parts, ys, metas, covers, tags, fs = [], [], [], [], {}, None
    for folder in folders:
        subject = folder.name
        sigs, subject_tags = _read_subject(folder, signals, read)
        rates = {n: s.fs for n, s in sigs.items()}
        if fs is None:
            fs, first = rates, subject
        for n, r in rates.items():
            if r != fs[n]:
                raise ValueError(
                    f"subject {subject}: {folder / E4_SIGNAL_FILES[n][0]} gives a sampling "
                    f"rate of {r:g} Hz (row 2), but subject {first}'s is {fs[n]:g} Hz; "
                    "windows of every subject need the same rate."
                )
        tags[subject] = subject_tags
        mine = None
        if intervals is not None:
            mine = intervals[intervals["subject"] == subject].copy()
            if kind == "relative":
                zero = min(s.start for s in sigs.values())
                mine[["start", "end"]] += zero
                intervals.loc[mine.index, ["start", "end"]] = mine[["start", "end"]]
        windows, y, meta, cover = _subject_windows(subject, sigs, mine, window_s, step_s)
        covers.append(cover)
        if windows is not None:
            parts.append(windows)
            ys.append(y)
            metas.append(meta)

    coverage = pd.DataFrame(covers)
    empty = coverage[coverage["n_windows"] == 0]
    reasons = ", ".join(f"{row.subject} ({_empty_reason(row._asdict())})"
                        for row in empty.itertuples())
    if not parts:
        raise ValueError(
            f"no window of {window_s:g} s could be made from {root}: every subject "
            f"gives none: {reasons}. See the labels' times and window_s."
        )
    if len(empty):
        warnings.warn(
            f"load_e4_folder: {len(empty)} of {len(coverage)} subject(s) give no window "
            f"and are left out: {reasons}. See the returned coverage table.",
            UserWarning, stacklevel=2,
        )
    names = list(parts[0])
    X = Modalities({n: np.concatenate([p[n] for p in parts]) for n in names})
    meta = pd.concat(metas, ignore_index=True)
    y = None if intervals is None else np.concatenate(ys)
    if y is not None and y.dtype.kind == "O":
        try:
            y = y.astype(np.int64) if all(isinstance(v, (int, np.integer)) for v in y) else y
        except (TypeError, ValueError):  # pragma: no cover - mixed types are refused above
            pass
    target_names = None if y is None else np.unique(y)
    fs = {n: int(r) if float(r).is_integer() else r for n, r in fs.items()}
    if intervals is not None:
        read_ids = {f.name for f in folders}
        intervals = intervals[intervals["subject"].isin(read_ids)].reset_index(drop=True)
        counts = pd.Series(y).value_counts().sort_index()
        class_counts = " (" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ")"
        labelling = _LABELLED.format(labels=source, n_intervals=len(intervals), time_kind={
            "relative": "seconds since the recording start", "unix": "unix seconds",
            "iso": "ISO 8601 timestamps", "unix/iso": "unix seconds and ISO timestamps",
        }[kind])
    else:
        class_counts, labelling = "", _UNLABELLED
    descr = DESCR_TEMPLATE.format(
        folder=root, underline="=" * len(f"Empatica E4 exports from {root}"),
        n_subjects_total=len(coverage),
        rates=", ".join(f"{n} {r} Hz" for n, r in fs.items()),
        window_s=f"{window_s:g}", step_s=f"{step_s:g}", labelling=labelling,
        n_windows=len(meta), n_subjects=meta["subject"].nunique(), class_counts=class_counts,
        dropped=(f"Windows dropped: {int(coverage['n_windows_unlabelled'].sum())} overlapping "
                 f"no interval, {int(coverage['n_windows_across'].sum())} across an "
                 "interval boundary." if intervals is not None else ""),
        empty=reasons or "none",
    )
    return Bunch(
        X=X,
        y=y,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        fs=fs,
        coverage=coverage,
        intervals=intervals,
        tags=tags,
        target_names=target_names,
        DESCR=descr,
    )
