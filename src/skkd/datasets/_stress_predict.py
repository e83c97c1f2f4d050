"""Stress-Predict (Iqbal et al. 2022): Empatica E4 windows with per-second stress labels."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import check_memory

from skkd._modalities import Modalities
from skkd.utils._validation import refuse_bools
from skkd.datasets._e4 import E4_RATES, E4_SIGNAL_FILES, E4Signal, read_empatica_e4
from skkd.datasets._home import get_data_home, require_dir, require_file
from skkd.datasets._windowing import window_signals
from skkd.utils._validation import POSITIVE_REAL, invalid_parameter

__all__ = ["load_stress_predict"]

FOLDER = "stress-predict"
LABELS_FILE = Path("Processed_data") / "Improved_All_Combined_hr_rsp_binary.csv"
QUESTIONNAIRES_FILE = Path("Processed_data") / "Questionnaires_scores.xlsx"
LABEL_COLUMNS = ("Participant", "Time(sec)", "Label")
QUESTIONNAIRE_COLUMNS = ("stai_before", "stai_after", "pss_before", "pss_after")
TARGET_NAMES = np.array(["baseline", "stress"])

CITATION = (
    "Iqbal T., Simpkin A.J., Roshan D., et al. (2022). Stress Monitoring Using "
    "Wearable Sensors: A Pilot Study and Stress-Predict Dataset. Sensors 22(21):8135. "
    "https://doi.org/10.3390/s22218135 (data: MIT licence)."
)

DESCR_TEMPLATE = """\
Stress-Predict (Empatica E4, wrist)
===================================

{n_subjects_total} volunteers wore an Empatica E4 for about an hour while doing
three stress tasks (Stroop colour-word test, interview, hyperventilation) with
baseline/relaxation between them. Read from {source}.

Windows: {window_s} s, hop {step_s} s, aligned in absolute (unix) time across
signals ({rates}; ACC in 1/64 g as exported). Every window lies inside the
span that is both recorded by every requested signal and labelled: labels are
per second (Processed_data/Improved_All_Combined_hr_rsp_binary.csv; the label
at unix second t covers [t, t+1)); a window that would contain an unlabelled
second is not made (counted in ``coverage.n_windows_unlabelled``).
y = 1 (stress) when more than half of the window's seconds are labelled stress
(ties go to baseline); ``meta.stress_fraction`` keeps the exact fraction.

Counts: {n_windows} windows from {n_subjects} subjects ({n_stress} stress,
{n_baseline} baseline). Subjects without labels: {unlabelled}. Labelled seconds
not covered by any window (the tail shorter than a hop, and labels outside the
recording): {uncovered} s in all. Windows skipped for unlabelled seconds:
{n_unlabelled}.

tags: E4 button presses inside each recording, unix s ({n_tags} kept;
{n_tags_out} presses lie outside their recording, e.g. a clock off by hours,
and are left out; see ``coverage``). transitions: unix seconds at which the
per-second label changes (task starts and ends), the clean change points.
meta also holds n_tags / n_transitions per window and the questionnaire sums
(STAI 40 items and PSS 10 items, before and after the session, raw item sums
as in the file's Total row; no item is reverse-scored here).

Evaluate by subject (groups), never by window: windows overlap and a subject's
windows are strongly correlated.
"""


@dataclass(frozen=True)
class _Session:
    """One subject's signals, dense per-second labels (-1 = unlabelled) and tags."""

    subject: str
    signals: dict[str, E4Signal]
    label_t0: int | None
    labels: np.ndarray  # int8, one per second from label_t0
    tags: np.ndarray


def _whole_seconds(owner: str, window_s, step_s) -> tuple[int, int]:
    """``window_s`` and ``step_s`` (positive numbers) as whole seconds: labels are per second."""
    refuse_bools(owner, window_s=window_s, step_s=step_s)
    for name, value in (("window_s", window_s), ("step_s", step_s)):
        if float(value) != int(value):
            raise invalid_parameter(owner, name, "a positive whole number of seconds "
                                    "(labels are per second)", value)
    return int(window_s), int(step_s)


def _check_signals(owner: str, signals: str | Sequence[str]) -> tuple[str, ...]:
    """``signals`` as distinct E4 signal names (one name or several)."""
    names = (signals,) if isinstance(signals, str) else tuple(signals)
    if not names or any(s not in E4_SIGNAL_FILES for s in names):
        raise invalid_parameter(owner, "signals", "a non-empty subset of "
                                f"{list(E4_SIGNAL_FILES)}", signals)
    return tuple(dict.fromkeys(names))


def _subject_id(value: int) -> str:
    return f"S{int(value):02d}"


def read_stress_labels(path: Path) -> dict[str, tuple[int, np.ndarray]]:
    """Per-second labels: subject -> (first unix second, int8 labels, -1 where absent)."""
    require_file(path, "the Stress-Predict per-second label file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the label file is empty.") from None
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; expected columns "
            f"{list(LABEL_COLUMNS)} (found {list(frame.columns)})."
        )
    frame = frame[list(LABEL_COLUMNS)]
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna().any(axis=1).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: line {row + 2} has a missing or non-numeric value in "
            f"{list(LABEL_COLUMNS)}: {frame.iloc[row].tolist()}."
        )
    if len(numeric) == 0:
        raise ValueError(f"{path}: the label file has a header but no rows.")
    if not numeric["Label"].isin([0, 1]).all():
        raise ValueError(f"{path}: column Label must hold 0 or 1 only.")
    times = numeric["Time(sec)"].to_numpy()
    if not np.array_equal(times, np.round(times)):
        raise ValueError(f"{path}: column Time(sec) must hold whole unix seconds.")
    out = {}
    for participant, group in numeric.groupby("Participant", sort=True):
        t = group["Time(sec)"].to_numpy(np.int64)
        if len(np.unique(t)) != len(t):
            raise ValueError(
                f"{path}: participant {participant} has repeated Time(sec) values."
            )
        t0 = int(t.min())
        dense = np.full(int(t.max()) - t0 + 1, -1, dtype=np.int8)
        dense[t - t0] = group["Label"].to_numpy(np.int8)
        out[_subject_id(participant)] = (t0, dense)
    return out


def _sheet_sums(sheet: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Sum the item rows of one questionnaire sheet per (subject, Before/After)."""
    cells = sheet.astype(object)
    subject_row = next(
        (i for i in range(len(cells))
         if cells.iloc[i].astype(str).str.fullmatch(r"S\d+").any()),
        None,
    )
    phase_row = next(
        (i for i in range(len(cells))
         if (cells.iloc[i].astype(str).str.strip() == "Before").any()),
        None,
    )
    if subject_row is None or phase_row is None:
        raise ValueError("expected a row of subject ids (S01...) and a Before/After row")
    subjects = cells.iloc[subject_row].where(
        cells.iloc[subject_row].astype(str).str.fullmatch(r"S\d+")
    ).ffill()
    items = pd.to_numeric(cells.iloc[:, 0], errors="coerce")
    item_rows = np.flatnonzero(items.notna().to_numpy() & (items > 0).to_numpy())
    if item_rows.size == 0:
        raise ValueError("no numbered item rows")
    sums = {}
    for col in range(1, cells.shape[1]):
        phase = str(cells.iat[phase_row, col]).strip().lower()
        subject = subjects.iloc[col]
        if phase not in ("before", "after") or not isinstance(subject, str):
            continue
        values = pd.to_numeric(cells.iloc[item_rows, col], errors="coerce")
        sums[(subject, phase)] = float(values.sum()) if values.notna().all() else np.nan
    if not sums:
        raise ValueError("no Before/After columns under subject ids")
    return sums


def read_questionnaires(path: Path) -> pd.DataFrame:
    """STAI and PSS item sums per subject; warns and returns an empty frame if unreadable."""
    empty = pd.DataFrame(columns=list(QUESTIONNAIRE_COLUMNS), dtype=float)
    empty.index.name = "subject"
    if not path.is_file():
        warnings.warn(
            f"{path} not found; questionnaire scores are left NaN.", stacklevel=3
        )
        return empty
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None)
        frames = {}
        for prefix, pattern in (("stai", "stai"), ("pss", "pss")):
            name = next((n for n in sheets if pattern in n.lower()), None)
            if name is None:
                raise ValueError(f"no sheet whose name contains {pattern!r}")
            for (subject, phase), total in _sheet_sums(sheets[name]).items():
                frames.setdefault(subject, {})[f"{prefix}_{phase}"] = total
    except Exception as exc:  # noqa: BLE001 - any layout problem means "unreadable"
        warnings.warn(
            f"{path}: could not read questionnaire scores ({exc}); they are left NaN.",
            stacklevel=3,
        )
        return empty
    table = pd.DataFrame.from_dict(frames, orient="index").reindex(
        columns=list(QUESTIONNAIRE_COLUMNS)
    )
    table.index.name = "subject"
    return table.sort_index().astype(float)


def _session_windows(session: _Session, window_s: int, step_s: int):
    """Windows, per-window meta rows and one coverage row for one subject."""
    sigs = session.signals
    rec_start = max(s.start for s in sigs.values())
    rec_stop = min(s.stop for s in sigs.values())
    tags = session.tags
    in_rec = (tags >= min(s.start for s in sigs.values())) & (
        tags <= max(s.stop for s in sigs.values())
    )
    cover = {
        "subject": session.subject,
        "recording_start": rec_start,
        "recording_stop": rec_stop,
        "label_start": np.nan,
        "label_stop": np.nan,
        "n_labelled_s": 0,
        "n_windows": 0,
        "n_windows_unlabelled": 0,
        "labelled_s_not_windowed": 0,
        "n_tags": int(in_rec.sum()),
        "n_tags_outside_recording": int((~in_rec).sum()),
        "note": "",
    }
    labels = session.labels
    no_windows = {
        n: np.empty((0, s.data.shape[1], int(window_s * s.fs)), np.float32)
        for n, s in sigs.items()
    }
    if session.label_t0 is None or not (labels >= 0).any():
        cover["note"] = "no labels"
        return no_windows, pd.DataFrame(), cover, tags[in_rec], np.empty(0)
    t0 = session.label_t0
    labelled = labels >= 0
    cover.update(
        label_start=float(t0), label_stop=float(t0 + len(labels)),
        n_labelled_s=int(labelled.sum()),
    )
    change = np.flatnonzero(
        (labels[1:] != labels[:-1]) & labelled[1:] & labelled[:-1]
    ) + 1
    transitions = (t0 + change).astype(np.float64)
    start = float(np.ceil(max(rec_start, t0)))
    stop = min(rec_stop, float(t0 + len(labels)))
    if stop - start < window_s:
        cover["note"] = "labelled recording shorter than one window"
        cover["labelled_s_not_windowed"] = cover["n_labelled_s"]
        return no_windows, pd.DataFrame(), cover, tags[in_rec], transitions
    windows, t_start = window_signals(sigs, None, window_s, step_s, start, stop)
    first = np.rint(t_start - t0).astype(np.int64)
    seconds = first[:, None] + np.arange(window_s)
    window_labels = labels[seconds]
    keep = (window_labels >= 0).all(axis=1)
    windowed = np.zeros(len(labels), dtype=bool)
    windowed[seconds[keep].ravel()] = True
    cover["n_windows"] = int(keep.sum())
    cover["n_windows_unlabelled"] = int((~keep).sum())
    if not keep.any():
        cover["note"] = "every window holds an unlabelled second"
    cover["labelled_s_not_windowed"] = int((labelled & ~windowed).sum())
    t_start = t_start[keep]
    t_end = t_start + window_s
    meta = pd.DataFrame(
        {
            "subject": session.subject,
            "t_start": t_start,
            "t_end": t_end,
            "stress_fraction": window_labels[keep].mean(axis=1),
            "n_transitions": (
                (transitions[None, :] > t_start[:, None])
                & (transitions[None, :] < t_end[:, None])
            ).sum(axis=1),
            "n_tags": (
                (tags[in_rec][None, :] >= t_start[:, None])
                & (tags[in_rec][None, :] < t_end[:, None])
            ).sum(axis=1),
        }
    )
    windows = {n: w[keep].astype(np.float32, copy=False) for n, w in windows.items()}
    return windows, meta, cover, tags[in_rec], transitions


def _warn_if_dropped(cover: dict, window_s: int, step_s: int) -> None:
    """Warn when a labelled subject gives no window (its reason is in ``cover``)."""
    if cover["n_windows"] or cover["note"] == "no labels":
        return
    span = cover["label_stop"] - cover["label_start"]
    lost = max(0, int((span - window_s) // step_s) + 1)
    overlap = max(0.0, min(cover["recording_stop"], cover["label_stop"])
                  - max(cover["recording_start"], cover["label_start"]))
    warnings.warn(
        f"Stress-Predict subject {cover['subject']} is left out: "
        f"{cover['note']} (its recording overlaps its {span:.0f} labelled seconds "
        f"for {overlap:.0f} s); up to {lost} window(s) of {window_s} s are lost. "
        "See coverage for every subject.",
        UserWarning,
        stacklevel=4,
    )


def build_stress_bunch(
    sessions: list[_Session],
    questionnaires: pd.DataFrame,
    window_s: int,
    step_s: int,
    source: str,
) -> Bunch:
    """Window every session and assemble the loader's Bunch (shared with the sample)."""
    parts, metas, covers, tags, transitions = [], [], [], {}, {}
    for session in sessions:
        w, meta, cover, kept_tags, trans = _session_windows(session, window_s, step_s)
        covers.append(cover)
        _warn_if_dropped(cover, window_s, step_s)
        tags[session.subject] = kept_tags
        transitions[session.subject] = trans
        if len(meta):
            parts.append(w)
            metas.append(meta)
    names = list(sessions[0].signals)
    if not parts:
        raise ValueError(
            f"no Stress-Predict window of {window_s} s could be made from {source}: "
            "no subject has a labelled recording that long."
        )
    X = Modalities({n: np.concatenate([p[n] for p in parts]) for n in names})
    meta = pd.concat(metas, ignore_index=True)
    meta = meta.join(questionnaires.reindex(columns=list(QUESTIONNAIRE_COLUMNS)),
                     on="subject")
    y = (meta["stress_fraction"].to_numpy() > 0.5).astype(np.int64)
    coverage = pd.DataFrame(covers)
    fs = {n: sessions[0].signals[n].fs for n in names}
    fs = {n: int(r) if float(r).is_integer() else r for n, r in fs.items()}
    descr = DESCR_TEMPLATE.format(
        n_subjects_total=len(sessions),
        source=source,
        window_s=window_s,
        step_s=step_s,
        rates=", ".join(f"{n} {r} Hz" for n, r in fs.items()),
        n_windows=len(y),
        n_subjects=meta["subject"].nunique(),
        n_stress=int(y.sum()),
        n_baseline=int((y == 0).sum()),
        unlabelled=", ".join(coverage.loc[coverage["note"] == "no labels", "subject"])
        or "none",
        uncovered=int(coverage["labelled_s_not_windowed"].sum()),
        n_unlabelled=int(coverage["n_windows_unlabelled"].sum()),
        n_tags=int(coverage["n_tags"].sum()),
        n_tags_out=int(coverage["n_tags_outside_recording"].sum()),
    )
    return Bunch(
        X=X,
        y=y,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        fs=fs,
        tags=tags,
        transitions=transitions,
        coverage=coverage,
        questionnaires=questionnaires,
        target_names=TARGET_NAMES.copy(),
        DESCR=descr,
    )


def _read_session(folder: Path, signals: tuple[str, ...]):
    """One subject's signals (as float32, the windows' dtype) and tags."""
    rec = read_empatica_e4(folder, signals)
    as_float32 = {
        name: replace(sig, data=sig.data.astype(np.float32))
        for name, sig in rec.signals.items()
    }
    return as_float32, rec.tags


@validate_params(
    {
        "data_home": [str, os.PathLike, None],
        "window_s": [POSITIVE_REAL],
        "step_s": [POSITIVE_REAL],
        "signals": ["array-like", str],
        "memory": [None, str, HasMethods(["cache"])],
    },
    prefer_skip_nested_validation=True,
)
def load_stress_predict(
    data_home: str | os.PathLike | None = None,
    window_s: int = 60,
    step_s: int = 30,
    signals: Sequence[str] = ("eda", "temp", "bvp", "acc"),
    *,
    memory=None,
) -> Bunch:
    """Load Stress-Predict as windows of E4 signals with stress labels.

    Reads ``<data_home>/stress-predict/Raw_data/SXX`` (E4 exports) and the
    per-second labels; cuts every labelled subject's signals into windows
    aligned in absolute time (see ``DESCR`` for how unlabelled seconds and
    stray button presses are handled; ``coverage`` counts them per subject).

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``stress-predict/``; see :func:`get_data_home`.
    window_s, step_s : int, default=60, 30
        Window length and hop in whole seconds.
    signals : sequence of str, default=("eda", "temp", "bvp", "acc")
        E4 signals to window (``"hr"`` is also available).
    memory : str, joblib.Memory or None, default=None
        Cache for the per-subject CSV reading (keyed on folder and signals;
        clear it if the files change).

    Returns
    -------
    Bunch
        ``X`` (:class:`~skkd.Modalities`: ``"eda"`` and ``"temp"`` ``(n, 1,
        window_s*4)``, ``"bvp"`` ``(n, 1, window_s*64)``, ``"acc"`` ``(n, 3,
        window_s*32)``, float32), ``y`` (1 = stress), ``groups`` (``"S02"``...),
        ``meta`` (subject, t_start, t_end, stress_fraction, n_transitions,
        n_tags, STAI/PSS sums), ``fs``, ``tags``, ``transitions``, ``coverage``,
        ``questionnaires``, ``target_names``, ``DESCR``.

    Raises
    ------
    ValueError or FileNotFoundError
        A malformed E4 file (see :func:`read_empatica_e4`) or a rate that is not
        the E4's, named with its subject and path.

    Warns
    -----
    UserWarning
        For each labelled subject that gives no window (e.g. its recording does
        not overlap its labels), with the reason and the windows lost.

    Examples
    --------
    >>> data = load_stress_predict(signals=("eda",))  # doctest: +SKIP
    >>> data.X["eda"].shape[1:], sorted(set(data.y))  # doctest: +SKIP
    ((1, 240), [0, 1])
    """
    window_s, step_s = _whole_seconds("load_stress_predict", window_s, step_s)
    signals = _check_signals("load_stress_predict", signals)
    root = require_dir(get_data_home(data_home) / FOLDER, "the Stress-Predict folder")
    raw = require_dir(root / "Raw_data", "the Stress-Predict raw E4 exports (Raw_data/SXX)")
    folders = sorted(p for p in raw.iterdir() if p.is_dir() and re.fullmatch(r"S\d+", p.name))
    if not folders:
        raise FileNotFoundError(f"{raw}: no subject folders named like 'S01'.")
    labels = read_stress_labels(root / LABELS_FILE)
    unknown = sorted(set(labels) - {f.name for f in folders})
    if unknown:
        raise ValueError(
            f"{root / LABELS_FILE}: labels for subjects {unknown} that have no "
            f"folder in {raw}."
        )
    questionnaires = read_questionnaires(root / QUESTIONNAIRES_FILE)
    read = check_memory(memory).cache(_read_session)
    sessions = []
    for folder in folders:
        try:
            sigs, tags = read(folder, signals)
        except (ValueError, FileNotFoundError) as exc:
            kind = ValueError if isinstance(exc, ValueError) else FileNotFoundError
            raise kind(f"Stress-Predict subject {folder.name}: {exc}") from exc
        for name, sig in sigs.items():
            if sig.fs != E4_RATES[name]:
                raise ValueError(
                    f"Stress-Predict subject {folder.name}: "
                    f"{folder / E4_SIGNAL_FILES[name][0]} gives a sampling rate of "
                    f"{sig.fs:g} Hz (row 2); the E4 records {name.upper()} at "
                    f"{E4_RATES[name]:g} Hz."
                )
        t0, dense = labels.get(folder.name, (None, np.empty(0, np.int8)))
        sessions.append(
            _Session(folder.name, sigs, t0, dense,
                     np.empty(0) if tags is None else tags)
        )
    return build_stress_bunch(
        sessions, questionnaires, window_s, step_s, source=f"{root} ({CITATION})"
    )
