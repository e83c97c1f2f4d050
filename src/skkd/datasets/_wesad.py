"""WESAD (Schmidt et al., ICMI 2018): chest (RespiBAN) and wrist (Empatica E4) windows.

Reads the original layout, ``SX/SX.pkl`` (the synchronised signals and labels
written by Python 2; read with ``pickle.load(f, encoding="latin1")``) and, when
present, ``SX/SX_readme.txt`` (age, gender, ...) and ``SX/SX_quest.csv``
(condition order and SAM self-reports).
"""

from __future__ import annotations

import math
import os
import pickle
import re
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd._modalities import Modalities
from skkd.datasets._arguments import check_signal_names, check_subject_ids
from skkd.datasets._deap import _fill
from skkd.datasets._home import get_data_home, require_dir

__all__ = ["load_wesad"]

FOLDER = "WESAD"
LABEL_FS = 700
#: output key -> (device, key in the pickle, sampling rate in Hz, channel names)
SIGNALS = {
    "chest_acc": ("chest", "ACC", 700, ["x", "y", "z"]),
    "chest_ecg": ("chest", "ECG", 700, ["ecg"]),
    "chest_emg": ("chest", "EMG", 700, ["emg"]),
    "chest_eda": ("chest", "EDA", 700, ["eda"]),
    "chest_temp": ("chest", "Temp", 700, ["temp"]),
    "chest_resp": ("chest", "Resp", 700, ["resp"]),
    "wrist_acc": ("wrist", "ACC", 32, ["x", "y", "z"]),
    "wrist_bvp": ("wrist", "BVP", 64, ["bvp"]),
    "wrist_eda": ("wrist", "EDA", 4, ["eda"]),
    "wrist_temp": ("wrist", "TEMP", 4, ["temp"]),
}
#: the WESAD study-protocol condition ids (the "label" array)
LABEL_NAMES = {
    0: "transient",
    1: "baseline",
    2: "stress",
    3: "amusement",
    4: "meditation",
    5: "ignore",
    6: "ignore",
    7: "ignore",
}
WINDOW_LABELS = (1, 2, 3, 4)
#: condition names in SX_quest.csv's ORDER row -> label id (reading tasks have none)
QUEST_CONDITIONS = {"base": 1, "tsst": 2, "fun": 3, "medi": 4}
README_FIELDS = {
    "age": ("age", float),
    "height (cm)": ("height_cm", float),
    "weight (kg)": ("weight_kg", float),
    "gender": ("gender", str),
    "dominant hand": ("dominant_hand", str),
}
META_SUBJECT_COLUMNS = ("age", "gender", "height_cm", "weight_kg", "dominant_hand")

CITATION = (
    "Schmidt P., Reiss A., Duerichen R., Marberger C., Van Laerhoven K. (2018). "
    "Introducing WESAD, a Multimodal Dataset for Wearable Stress and Affect "
    "Detection. ICMI 2018. https://doi.org/10.1145/3242969.3242985"
)

DESCR_TEMPLATE = """\
WESAD (chest RespiBAN + wrist Empatica E4)
==========================================

15 subjects (S2-S17 without S1 and S12) went through a baseline, the Trier
Social Stress Test, an amusement condition (funny videos) and two guided
meditations. Chest signals at 700 Hz (ACC, ECG, EMG, EDA, Temp, Resp), wrist
signals at their E4 rates (ACC 32 Hz, BVP 64 Hz, EDA 4 Hz, TEMP 4 Hz), as
synchronised by the data set's authors in SX/SX.pkl. Read from {source}.

Windows: {window_s} s, hop {step_s} s ({rates}; values as recorded, float32).
The 700 Hz label array is split into segments (maximal runs of one label);
windows are cut inside each segment of the labels {labels}: every sample of a
window carries the segment's label (a window never straddles a transient or a
change of condition). The first window of a segment starts at the segment's
first instant on the {grid} s grid on which every signal has a sample, so a
window covers exactly the same seconds in every signal; windows follow every
{step_s} s while they end inside the segment and inside every signal.

Target: {target}. meta: subject, t_start/t_end (s from the start of SX.pkl),
label, label_name, segment (its order among the subject's windowed segments),
condition and sam_valence/sam_arousal (from SX_quest.csv: the k-th segment of a
label is the k-th condition of that label in the ORDER row; NaN without the
file), and age, gender, height_cm, weight_kg, dominant_hand (from
SX_readme.txt; NaN without it).

Counts: {n_windows} windows from {n_subjects} subjects ({counts}).
Readme files read: {n_readme}; questionnaires read: {n_quest}.

Evaluate by subject (groups), never by window: windows overlap and a subject's
windows are strongly correlated.

{citation}
"""


# ----------------------------------------------------------------- arguments
def _check_signals(signals) -> tuple[str, ...]:
    return check_signal_names(signals, SIGNALS, dataset="WESAD")


def _check_labels(labels) -> tuple[int, ...]:
    if isinstance(labels, (Integral, np.integer)):
        labels = (labels,)
    labels = tuple(labels)
    bad = [v for v in labels
           if isinstance(v, bool) or not isinstance(v, (Integral, np.integer))
           or int(v) not in WINDOW_LABELS]
    if not labels or bad:
        raise ValueError(
            f"labels must be a non-empty subset of {list(WINDOW_LABELS)} "
            "(1 baseline, 2 stress, 3 amusement, 4 meditation; 0 and 5-7 are "
            f"transient or to be ignored), got {list(labels)}."
        )
    return tuple(sorted({int(v) for v in labels}))


def _grid(seconds: float, g: int, name: str, rates: dict[str, int]) -> int:
    """``seconds`` in units of 1/g s; must be whole so every signal has whole samples."""
    units = seconds * g
    if abs(units - round(units)) > 1e-9 * max(1.0, units) or round(units) < 1:
        raise ValueError(
            f"{name}={seconds!r} s is not a whole number of samples of every signal "
            f"({rates}, labels at {LABEL_FS} Hz); use a multiple of 1/{g} s."
        )
    return int(round(units))


def _resolve_root(path) -> Path:
    root = get_data_home(None) / FOLDER if path is None else Path(path).expanduser()
    require_dir(root, "the WESAD folder (holding S2/, S3/, ...)")
    if not _subject_dirs(root) and (root / FOLDER).is_dir():
        root = root / FOLDER
    return root


def _subject_dirs(root: Path) -> list[Path]:
    dirs = [p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"S\d+", p.name)]
    return sorted(dirs, key=lambda p: int(p.name[1:]))


# ------------------------------------------------------------------- pickles
def _load_pickle(file: Path) -> dict:
    try:
        with open(file, "rb") as f:
            obj = pickle.load(f, encoding="latin1")
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a pickle can fail in any way
        raise ValueError(
            f"{file}: not a readable WESAD pickle ({type(exc).__name__}: {exc}); the "
            "file may be truncated or corrupt: extract it again from WESAD.zip."
        ) from exc
    if not isinstance(obj, dict):
        raise ValueError(
            f"{file}: expected a dict with keys 'subject', 'signal' and 'label', got "
            f"{type(obj).__name__}."
        )
    return obj


def _samples(file: Path, where: str, value, channels: int) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype.kind == "c":
        raise ValueError(f"{file}: {where} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != channels:
        raise ValueError(
            f"{file}: {where} must have shape (n, {channels}), got {arr.shape}."
        )
    return arr


def _read_subject(file: Path, subject: str, signals: tuple[str, ...],
                  tolerance_s: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Checked signals (time on axis 0) and the 700 Hz label array of one pickle."""
    obj = _load_pickle(file)
    missing = [k for k in ("subject", "signal", "label") if k not in obj]
    if missing:
        raise ValueError(
            f"{file}: missing key(s) {missing}; a WESAD SX.pkl holds 'subject', "
            f"'signal' and 'label' (found {sorted(map(str, obj))})."
        )
    if str(obj["subject"]) != subject:
        raise ValueError(
            f"{file}: holds subject {obj['subject']!r}, but its folder is {subject!r}."
        )
    label = np.asarray(obj["label"])
    if label.ndim == 2 and label.shape[1] == 1:
        label = label[:, 0]
    if label.ndim != 1 or not np.issubdtype(label.dtype, np.number):
        raise ValueError(
            f"{file}: 'label' must be a 1-D numeric array at {LABEL_FS} Hz, got "
            f"shape {label.shape} and dtype {label.dtype}."
        )
    values = np.unique(label)
    bad = values[~np.isin(values, np.arange(8))]
    if bad.size:
        raise ValueError(
            f"{file}: 'label' holds value(s) {bad[:5].tolist()} outside the WESAD "
            "condition ids 0-7."
        )
    label = label.astype(np.int8)
    n = len(label)
    duration = n / LABEL_FS
    signal = obj["signal"]
    if not isinstance(signal, dict):
        raise ValueError(f"{file}: 'signal' must be a dict with 'chest' and 'wrist'.")
    out = {}
    for name in signals:
        device, key, fs, channels = SIGNALS[name]
        if not isinstance(signal.get(device), dict):
            raise ValueError(
                f"{file}: missing key signal[{device!r}] (needed for {name!r}); found "
                f"{sorted(map(str, signal))}."
            )
        if key not in signal[device]:
            raise ValueError(
                f"{file}: missing key signal[{device!r}][{key!r}] (needed for "
                f"{name!r}); found {sorted(map(str, signal[device]))}."
            )
        where = f"signal[{device!r}][{key!r}]"
        arr = _samples(file, where, signal[device][key], len(channels))
        if device == "chest" and len(arr) != n:
            raise ValueError(
                f"{file}: {where} has {len(arr)} samples but 'label' has {n}; chest "
                f"signals and labels share the {LABEL_FS} Hz clock."
            )
        if device == "wrist" and abs(len(arr) / fs - duration) > tolerance_s:
            raise ValueError(
                f"{file}: {where} has {len(arr)} samples = {len(arr) / fs:.2f} s at "
                f"{fs} Hz, but the chest signals and labels last {duration:.2f} s "
                f"({n} samples at {LABEL_FS} Hz); they must agree within "
                f"{tolerance_s} s. Expected rates: wrist ACC 32 Hz, BVP 64 Hz, EDA "
                "and TEMP 4 Hz."
            )
        out[name] = arr
    return out, label


# --------------------------------------------------------- readme and quest
def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def read_readme(file: Path) -> dict:
    """``SX_readme.txt`` as a dict: known fields renamed and typed, questions kept."""
    out = {}
    for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        question = re.fullmatch(r"(.+\?)\s*(.*)", line)
        field = re.fullmatch(r"([^:?]+):\s*(.*)", line)
        if field:
            key, value = field.group(1).strip().lower(), field.group(2).strip()
            name, kind = README_FIELDS.get(key, (_snake(key), str))
            if kind is float:
                try:
                    value = float(value)
                except ValueError:
                    value = np.nan
            else:
                value = value.lower() if name in ("gender", "dominant_hand") else value
            out[name] = value
        elif question:
            out[_snake(question.group(1))] = question.group(2).strip()
    return out


def read_quest(file: Path) -> pd.DataFrame:
    """``SX_quest.csv`` (``;``-separated): conditions with SAM valence/arousal.

    The ``# ORDER`` row names the conditions in the order they were run; the
    ``# DIM`` rows (SAM valence, arousal) follow the conditions that have
    self-reports (Base, TSST, Medi 1, Fun, Medi 2: not the reading tasks).
    """
    rows = [
        [cell.strip() for cell in line.split(";")]
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines()
    ]
    order = next((r[1:] for r in rows if r and r[0].upper() == "# ORDER"), None)
    if order is None:
        raise ValueError("no '# ORDER' row")
    conditions = [c for c in order if c]
    rated = [c for c in conditions if _quest_label(c) is not None]
    dims = [[float(v) for v in r[1:3]] for r in rows if r and r[0].upper() == "# DIM"]
    if dims and len(dims) != len(rated):
        raise ValueError(
            f"{len(dims)} '# DIM' rows for the {len(rated)} conditions {rated}"
        )
    frame = pd.DataFrame({"condition": rated, "label": [_quest_label(c) for c in rated]})
    sam = np.array(dims, dtype=float) if dims else np.full((len(rated), 2), np.nan)
    frame["sam_valence"], frame["sam_arousal"] = sam[:, 0], sam[:, 1]
    return frame


def _quest_label(condition: str) -> int | None:
    key = condition.strip().lower()
    return next((v for k, v in QUEST_CONDITIONS.items() if key.startswith(k)), None)


def _optional(reader, file: Path):
    if not file.is_file():
        return None
    try:
        return reader(file)
    except Exception as exc:  # noqa: BLE001 - optional metadata: warn, never fail
        warnings.warn(f"{file}: could not be read ({exc}); its fields are left NaN.",
                      UserWarning, stacklevel=4)
        return None


# ----------------------------------------------------------------- windowing
def _segments(label: np.ndarray, keep: tuple[int, ...]):
    """(label, first sample, stop sample) of each maximal run of a kept label."""
    change = np.flatnonzero(np.diff(label)) + 1
    starts = np.r_[0, change]
    stops = np.r_[change, len(label)]
    return [(int(label[a]), int(a), int(b)) for a, b in zip(starts, stops)
            if int(label[a]) in keep]


def _subject_windows(signals: dict[str, np.ndarray], label: np.ndarray,
                     labels: tuple[int, ...], g: int, W: int, S: int):
    """Windows and (label, t_start units, segment index, ordinal of the label's run)."""
    per_unit = {n: SIGNALS[n][2] // g for n in signals}
    label_per_unit = LABEL_FS // g
    end_units = min(len(a) // per_unit[n] for n, a in signals.items())
    rows, seen = [], {}
    segs = _segments(label, labels)
    for index, (lab, a, b) in enumerate(segs):
        ordinal = seen.get(lab, 0)
        seen[lab] = ordinal + 1
        first = -(-a // label_per_unit)  # ceil: first grid instant inside the segment
        last = min(b // label_per_unit, end_units) - W  # latest start
        for u in range(first, last + 1, S):
            rows.append((lab, u, index, ordinal))
    windows = {}
    for n, arr in signals.items():
        length = W * per_unit[n]
        out = np.empty((len(rows), arr.shape[1], length), dtype=np.float32)
        for i, (_, u, _, _) in enumerate(rows):
            first = u * per_unit[n]
            out[i] = arr[first:first + length].T
        windows[n] = out
    return windows, rows


# -------------------------------------------------------------------- loader
@validate_params(
    {
        "path": [str, os.PathLike, None],
        "window_s": [Interval(Real, 0, None, closed="neither")],
        "step_s": [Interval(Real, 0, None, closed="neither"), None],
        "signals": ["array-like", str, None],
        "labels": ["array-like", Integral],
        "target": [StrOptions({"label", "stress"})],
        "subjects": ["array-like", str, Integral, None],
        "tolerance_s": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def load_wesad(
    path: str | os.PathLike | None = None,
    window_s: float = 60,
    step_s: float | None = 30,
    signals: Sequence[str] | None = None,
    labels: Sequence[int] = (1, 2, 3),
    *,
    target: str = "label",
    subjects: Sequence[str | int] | None = None,
    tolerance_s: float = 5.0,
) -> Bunch:
    """Load WESAD as aligned windows of chest and wrist signals.

    Reads ``SX/SX.pkl`` of every subject folder (``S2`` ... ``S17``) with
    ``pickle.load(f, encoding="latin1")`` (only open pickles you trust), and
    ``SX/SX_readme.txt`` and ``SX/SX_quest.csv`` when present. Windows lie
    inside one label segment: every 700 Hz label sample in a window is the
    window's label (see ``DESCR``). Chest → wrist is the natural distillation
    setting: a teacher on ``chest_*`` (and ``wrist_*``), a student on
    ``wrist_*`` only.

    Parameters
    ----------
    path : str or path-like, optional
        The extracted ``WESAD`` folder (holding ``S2/``, ``S3/``...), or a
        folder that holds ``WESAD/``. Default: ``WESAD/`` in
        :func:`get_data_home`.
    window_s : float, default=60
        Window length in seconds. ``window_s`` and ``step_s`` must be whole
        numbers of samples of every requested signal (a multiple of 0.25 s
        with wrist EDA or TEMP, of 1/32 s with wrist ACC, 1/700 s chest only).
    step_s : float or None, default=30
        Hop between window starts within a segment; ``None``: ``window_s``.
    signals : sequence of str, optional
        Keys among ``chest_acc`` (3 channels x, y, z), ``chest_ecg``,
        ``chest_emg``, ``chest_eda``, ``chest_temp``, ``chest_resp`` (700 Hz),
        ``wrist_acc`` (3 channels, 32 Hz), ``wrist_bvp`` (64 Hz),
        ``wrist_eda`` and ``wrist_temp`` (4 Hz). Default: all ten (a 60 s
        window then takes about 1.4 MB, mostly the chest signals).
    labels : sequence of int, default=(1, 2, 3)
        Conditions to window: 1 baseline, 2 stress (TSST), 3 amusement,
        4 meditation. 0 (transient) and 5-7 (to be ignored) are never windowed.
    target : {"label", "stress"}, default="label"
        ``"label"``: ``y`` is the condition id (1, 2, 3...). ``"stress"``: ``y``
        is 1 for stress (label 2) and 0 for every other windowed condition;
        with the default ``labels`` that is stress vs baseline + amusement,
        WESAD's binary task.
    subjects : sequence of str or int, optional
        Subjects to read (``"S2"`` or ``2``); default every ``S<number>`` folder.
    tolerance_s : float, default=5
        How far (in seconds) a wrist signal's duration may differ from the
        chest's (length / rate); a larger difference means a wrong rate or a
        damaged file and raises ``ValueError``.

    Returns
    -------
    Bunch
        ``X`` : :class:`~skkd.Modalities` of float32 ``(n, c, window_s * fs)``
        arrays, one per signal. Window ``i`` covers ``[meta.t_start[i],
        meta.t_end[i])`` seconds of ``SX.pkl`` in every signal.
        ``y`` : ndarray of int (condition id, or 0/1 with ``target="stress"``).
        ``groups`` : ndarray of subject ids (``"S2"``...).
        ``meta`` : DataFrame (subject, t_start, t_end, label, label_name,
        segment, condition, sam_valence, sam_arousal, age, gender, height_cm,
        weight_kg, dominant_hand).
        ``fs`` : dict signal -> Hz. ``channels`` : dict signal -> channel names.
        ``target_names`` : names of the sorted classes of ``y``.
        ``subjects`` : DataFrame, one row per subject read, every readme field.
        ``questionnaires`` : DataFrame (subject, condition, label, sam_valence,
        sam_arousal) from the ``SX_quest.csv`` files.
        ``DESCR`` : str.

    Raises
    ------
    FileNotFoundError
        The folder, a requested subject's folder or its ``SX.pkl`` is missing,
        or the folder holds no ``S<number>`` subject folder.
    ValueError
        Unknown signal names or labels; window or hop not a whole number of
        samples; a pickle that cannot be read, lacks a key, has a label outside
        0-7, a chest signal whose length differs from the labels', or a wrist
        signal whose duration differs from the chest's by more than
        ``tolerance_s``; no window fits.

    Examples
    --------
    A two-minute recording written in WESAD's format: a minute of baseline,
    then a minute of stress.

    >>> import pickle, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "S2").mkdir()
    >>> chest = {k: np.zeros((700 * 120, 3 if k == "ACC" else 1))
    ...          for k in ("ACC", "ECG", "EMG", "EDA", "Temp", "Resp")}
    >>> wrist = {"ACC": np.zeros((32 * 120, 3)), "BVP": np.zeros((64 * 120, 1)),
    ...          "EDA": np.zeros((4 * 120, 1)), "TEMP": np.zeros((4 * 120, 1))}
    >>> record = {"subject": "S2", "signal": {"chest": chest, "wrist": wrist},
    ...           "label": np.repeat([1, 2], 700 * 60)}
    >>> with open(root / "S2" / "S2.pkl", "wb") as f:
    ...     pickle.dump(record, f, protocol=2)
    >>> data = load_wesad(root, window_s=30, step_s=15,
    ...                   signals=["chest_ecg", "wrist_eda"])
    >>> data.X
    Modalities(n_windows=6, chest_ecg=(1, 21000), wrist_eda=(1, 120))
    >>> data.y.tolist(), data.meta["t_start"].tolist()
    ([1, 1, 1, 2, 2, 2], [0.0, 15.0, 30.0, 60.0, 75.0, 90.0])

    On the real data (chest teacher, wrist student):

    >>> wesad = load_wesad("../shared/data/WESAD", target="stress")  # doctest: +SKIP
    >>> wesad.X["wrist_bvp"].shape[1:], sorted(set(wesad.groups))[:3]  # doctest: +SKIP
    ((1, 3840), ['S10', 'S11', 'S13'])
    """
    signals = _check_signals(signals)
    labels = _check_labels(labels)
    wanted = check_subject_ids(subjects, prefix="S", digits=1, dataset="WESAD", example=2)
    step_s = window_s if step_s is None else step_s
    rates = {n: SIGNALS[n][2] for n in signals}
    g = math.gcd(LABEL_FS, *rates.values())
    W = _grid(window_s, g, "window_s", rates)
    S = _grid(step_s, g, "step_s", rates)

    root = _resolve_root(path)
    folders = _subject_dirs(root)
    if not folders:
        raise FileNotFoundError(
            f"{root}: no subject folders named like 'S2' (the extracted WESAD "
            "folder holds S2/ ... S17/, each with SX.pkl)."
        )
    if wanted is not None:
        by_name = {f.name: f for f in folders}
        absent = [s for s in wanted if s not in by_name]
        if absent:
            raise FileNotFoundError(
                f"{root}: no folder for subject(s) {absent}; found "
                f"{[f.name for f in folders]}."
            )
        folders = [by_name[s] for s in wanted]

    parts, metas, subject_rows, quests = [], [], [], []
    n_readme = 0
    for folder in folders:
        subject = folder.name
        file = folder / f"{subject}.pkl"
        if not file.is_file():
            raise FileNotFoundError(
                f"Expected the WESAD pickle at {file}, but no such file exists."
            )
        sigs, label = _read_subject(file, subject, signals, tolerance_s)
        windows, rows = _subject_windows(sigs, label, labels, g, W, S)
        del sigs, label
        readme = _optional(read_readme, folder / f"{subject}_readme.txt")
        quest = _optional(read_quest, folder / f"{subject}_quest.csv")
        subject_rows.append({"subject": subject, **(readme or {})})
        n_readme += readme is not None
        if quest is not None:
            quests.append(quest.assign(subject=subject))
        if not rows:
            continue
        meta = pd.DataFrame(rows, columns=["label", "u", "segment", "ordinal"])
        meta.insert(0, "subject", subject)
        meta.insert(1, "t_start", meta.pop("u") / g)
        meta.insert(2, "t_end", meta["t_start"] + W / g)
        meta["label_name"] = meta["label"].map(LABEL_NAMES)
        meta["segment"] = pd.factorize(meta["segment"])[0]
        meta["condition"] = None
        meta["sam_valence"] = np.nan
        meta["sam_arousal"] = np.nan
        if quest is not None:
            for lab, group in quest.groupby("label", sort=False):
                for ordinal, row in enumerate(group.itertuples()):
                    hit = ((meta["label"] == lab) & (meta["ordinal"] == ordinal)).to_numpy()
                    meta.loc[hit, "condition"] = row.condition
                    meta.loc[hit, "sam_valence"] = row.sam_valence
                    meta.loc[hit, "sam_arousal"] = row.sam_arousal
        for column in META_SUBJECT_COLUMNS:
            meta[column] = (readme or {}).get(column, np.nan)
        parts.append(windows)
        metas.append(meta.drop(columns="ordinal"))
    if not parts:
        raise ValueError(
            f"no WESAD window of {window_s} s fits inside a segment of labels "
            f"{list(labels)} in {root} (subjects {[f.name for f in folders]})."
        )

    X = Modalities({n: np.concatenate([p[n] for p in parts]) for n in signals})
    meta = pd.concat(metas, ignore_index=True)
    for column in ("sam_valence", "sam_arousal", "age", "height_cm", "weight_kg"):
        meta[column] = pd.to_numeric(meta[column], errors="coerce")
    meta["label"] = meta["label"].astype(np.int64)
    if target == "stress":
        y = (meta["label"].to_numpy() == 2).astype(np.int64)
        target_names = np.array(["non-stress", "stress"], dtype=object)
        target_text = (
            f"1 = stress (label 2), 0 = the other windowed labels "
            f"{[v for v in labels if v != 2]}"
        )
    else:
        y = meta["label"].to_numpy(np.int64)
        target_names = np.array([LABEL_NAMES[v] for v in sorted(set(y))], dtype=object)
        target_text = "the condition id (" + ", ".join(
            f"{v} {LABEL_NAMES[v]}" for v in labels) + ")"
    subjects_frame = pd.DataFrame(subject_rows).set_index("subject")
    questionnaires = (
        pd.concat(quests, ignore_index=True)[
            ["subject", "condition", "label", "sam_valence", "sam_arousal"]]
        if quests else pd.DataFrame(
            columns=["subject", "condition", "label", "sam_valence", "sam_arousal"])
    )
    counts = ", ".join(f"{LABEL_NAMES[v]} {int((meta['label'] == v).sum())}" for v in labels)
    descr = _fill(DESCR_TEMPLATE.format(
        source=root,
        window_s=window_s,
        step_s=step_s,
        rates=", ".join(f"{n} {r} Hz" for n, r in rates.items()),
        labels=", ".join(f"{v} {LABEL_NAMES[v]}" for v in labels),
        grid=f"1/{g}" if g > 1 else "1",
        target=target_text,
        n_windows=len(y),
        n_subjects=meta["subject"].nunique(),
        counts=counts,
        n_readme=n_readme,
        n_quest=len(quests),
        citation=CITATION,
    ))
    return Bunch(
        X=X,
        y=y,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        fs=dict(rates),
        channels={n: list(SIGNALS[n][3]) for n in signals},
        target_names=target_names,
        subjects=subjects_frame,
        questionnaires=questionnaires,
        DESCR=descr,
    )
