"""StressID per-task feature tables (Chaptoukaev et al., NeurIPS 2023)."""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from skkd.datasets._home import get_data_home, require_dir, require_file

__all__ = ["load_stressid_features"]

FOLDER = "stressid-features"

#: modality -> (file name, whether the file has a header row)
FILES = {
    "ecg": ("ecg_features.csv", True),
    "resp": ("resp_features.csv", True),
    "eda": ("eda_features.csv", True),
    "video": ("video11tasks_aus_gaze_mean_std.csv", True),
    "audio": ("HCfeatures.csv", False),
}
MODALITIES = tuple(FILES)

#: the 12 tasks; the first six are calm or neutral, the last six stress-inducing
CALM_TASKS = ("Baseline", "Breathing", "Video1", "Video2", "Relax", "Reading")
STRESS_TASKS = ("Counting1", "Counting2", "Counting3", "Math", "Speaking", "Stroop")
TASKS = CALM_TASKS + STRESS_TASKS
#: the tasks in which subjects speak (the only ones with audio features)
SPEECH_TASKS = ("Counting1", "Counting2", "Counting3", "Math", "Reading", "Speaking", "Stroop")

CITATION = (
    "Chaptoukaev H., Strizhkova V., Panariello M., D'Alpaos B., Reka A., "
    "Manera V., Thümmler S., Ismailova E., Evans N., Bremond F., Todisco M., "
    "Zuluaga M. A., Ferrari L. M. (2023). StressID: a Multimodal Dataset for "
    "Stress Identification. NeurIPS 2023 Datasets and Benchmarks Track "
    "(feature tables from github.com/robustml-eurecom/stressID, BSD-3-Clause code)."
)

DESCR = """\
StressID per-task feature tables (Chaptoukaev et al., NeurIPS 2023)
===================================================================

65 subjects, 12 tasks of about a minute each; one row = one subject x task.
Features published by the data set's authors: lab ECG (HR/HRV), respiration
belt, hand EDA, face video (OpenFace action units and gaze, mean/std) and
hand-crafted speech features (no names published: audio__hc_000, ...).

Target: {target}. The self-reports are not public, so labels are derived from
the task; report results on them as "task-proxy".

Modalities loaded: {modalities}. Rows kept: {kept} of the {pairs} subject x task
pairs that appear in at least one loaded table ({rule}).
Of those {pairs} pairs, absent from each table: {absent}.
Of the rows kept, NaN (table lacks the row): {nan}.
Structural absences: video has no Baseline task; audio exists only for the 7
speech tasks ({speech}).
Subjects with no row at all in a table: {no_subject}.
meta["has_<modality>"] says which tables hold each row.
{constants}
The EDA statistics look computed on each segment's standardised signal
(mean_eda ~ 0, sd_eda ~ 1): the absolute skin-conductance level is not there.
Rows are ordered by subject, then task name; the tables do not give the tasks'
time order. Evaluate by subject (groups), never by row.

{citation}
"""


def _read_table(path: Path, modality: str, header: bool) -> pd.DataFrame:
    """Read one feature table, index = ``SUBJECT_TASK``, checked for defects."""
    require_file(path, f"the StressID {modality} feature table")
    try:
        frame = pd.read_csv(path, header=0 if header else None, index_col=0)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty.") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: malformed CSV ({exc}).") from None
    if frame.shape[1] == 0:
        raise ValueError(f"{path}: no feature columns after the SUBJECT_TASK index.")
    if len(frame) == 0:
        raise ValueError(f"{path}: a header but no rows.")
    ids = frame.index.astype(str).str.strip()
    if not header:
        ids = ids.str.replace(r"\.wav$", "", regex=True)
    parts = ids.str.split("_")
    bad = [i for i, p in zip(ids, parts) if len(p) != 2 or not p[0] or p[1] not in TASKS]
    if bad:
        raise ValueError(
            f"{path}: index values {bad[:3]} are not SUBJECT_TASK with a StressID task "
            f"(e.g. '2ea4_Baseline'; tasks {list(TASKS)})."
        )
    frame.index = pd.Index(ids, name="SUBJECT_TASK")
    dup = frame.index[frame.index.duplicated()]
    if len(dup):
        raise ValueError(
            f"{path}: duplicated SUBJECT_TASK rows {sorted(set(dup))[:5]}; each subject x "
            "task must appear once."
        )
    if header:  # pandas renames a repeated name ("a", "a.1"): read the line itself
        with open(path, newline="") as fh:
            columns = [c.strip() for c in next(csv.reader(fh))[1:]]
        if len(columns) != frame.shape[1]:
            columns = [str(c).strip() for c in frame.columns]
    else:
        columns = [f"hc_{i:03d}" for i in range(frame.shape[1])]
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"{path}: duplicated column names {twice}.")
    frame.columns = [f"{modality}__{c}" for c in columns]
    values = frame.apply(pd.to_numeric, errors="coerce")
    text = values.isna() & frame.notna()
    if text.to_numpy().any():
        col = text.any(axis=0).idxmax()
        row = text[col].idxmax()
        raise ValueError(
            f"{path}: non-numeric value {frame.at[row, col]!r} in column "
            f"{col.split('__', 1)[1]!r}, row {row!r}."
        )
    arr = values.to_numpy(np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        cols = [c.split("__", 1)[1] for c in values.columns[~finite.all(axis=0)]]
        rows = values.index[~finite.all(axis=1)]
        raise ValueError(
            f"{path}: NaN or infinite values in column(s) {cols[:10]} "
            f"({len(rows)} row(s), first {rows[0]!r}); the published tables have none, "
            "so the file is not the expected one."
        )
    copies = values.duplicated(keep=False)
    if copies.any():
        warnings.warn(
            f"{path}: rows {sorted(values.index[copies])[:6]} hold identical features "
            "under different SUBJECT_TASK ids (kept as they are).",
            UserWarning,
            stacklevel=3,
        )
    return values.astype(np.float64)


def _check_modalities(modalities) -> tuple[str, ...]:
    if isinstance(modalities, str):
        modalities = (modalities,)
    if not isinstance(modalities, Sequence) or len(modalities) == 0:
        raise ValueError(
            f"modalities must be a non-empty sequence of names from {list(MODALITIES)}, "
            f"got {modalities!r}."
        )
    unknown = [m for m in modalities if m not in FILES]
    if unknown:
        raise ValueError(
            f"Unknown modalities {unknown}; StressID's feature tables are {list(MODALITIES)}."
        )
    if len(set(modalities)) != len(modalities):
        raise ValueError(f"modalities lists a name twice: {list(modalities)}.")
    return tuple(modalities)


def _check_complete(complete, modalities: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(complete, (bool, np.bool_)):
        return modalities if complete else ()
    if isinstance(complete, str):
        complete = (complete,)
    if not isinstance(complete, Sequence):
        raise TypeError(
            f"complete must be a bool or a sequence of modality names, got "
            f"{type(complete).__name__}."
        )
    outside = [m for m in complete if m not in modalities]
    if outside:
        raise ValueError(
            f"complete names {outside}, which are not among the loaded modalities "
            f"{list(modalities)}."
        )
    return tuple(complete)


@validate_params(
    {
        "data_home": [str, os.PathLike, None],
        "target": [StrOptions({"task_proxy", "task"})],
        "modalities": ["array-like", str],
        "complete": ["boolean", "array-like", str],
    },
    prefer_skip_nested_validation=True,
)
def load_stressid_features(
    data_home: str | os.PathLike | None = None,
    *,
    target: str = "task_proxy",
    modalities=MODALITIES,
    complete=True,
) -> Bunch:
    """Load StressID's per-task feature tables: lab physiology, video, speech.

    One row is one subject x task (65 subjects, 12 tasks of about a minute).
    The tables are joined on the ``SUBJECT_TASK`` index. They do not cover the
    same rows: video has no Baseline task and 10 subjects without video;
    audio exists only for the 7 speech tasks and 11 subjects lack it; one
    EDA row (``r5s8_Counting3``) is missing. ``complete`` chooses what to do
    with a row that some table lacks.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``stressid-features/``; see :func:`get_data_home`.
    target : {"task_proxy", "task"}, default="task_proxy"
        ``"task_proxy"``: ``y`` is 1 for the stress-inducing tasks (Counting1-3,
        Math, Speaking, Stroop), 0 for the others; the self-reported stress
        labels are not public, so say "task-proxy" when reporting.
        ``"task"``: ``y`` is the task name (12 classes for physiology, 11 with
        video, 7 with audio when rows must be complete); ``target_names`` are
        sorted, as ``classes_`` of a fitted classifier.
    modalities : sequence of {"ecg", "resp", "eda", "video", "audio"}, \
            default=all five
        Tables to load, in this order in ``X``.
    complete : bool or sequence of modality names, default=True
        Which loaded modalities a row must have. ``True``: all of them (an
        inner join: ``X`` holds no NaN, so any estimator accepts it; with
        ``"audio"`` only the 7 speech tasks remain, with ``"video"`` no
        Baseline). ``False``: none (an outer join over the loaded tables; a
        modality a row lacks is NaN). A sequence, e.g. ``("ecg", "resp",
        "eda")`` with ``modalities=("ecg", "resp", "eda", "video")``: rows
        must have those; the others are NaN where absent (a teacher that uses
        video where present, a student on EDA for every row).

    Returns
    -------
    Bunch
        ``X`` : DataFrame, columns ``modality__feature`` (``ecg__meanHR``,
        ``eda__mean_scl``, ``video__mean_AU01_r``, ``audio__hc_000``...),
        float64.
        ``y`` : ndarray, int 0/1 (``target="task_proxy"``) or task names.
        ``groups`` : ndarray of subject ids (e.g. ``"2ea4"``).
        ``meta`` : DataFrame with ``id`` (``SUBJECT_TASK``), ``subject``,
        ``task``, ``stress_task`` (bool) and ``has_<modality>`` (bool, the row is in that table).
        ``feature_names`` : ndarray of the column names.
        ``modality_columns`` : dict modality -> list of its columns (e.g. for
        ``student_inputs``).
        ``constant_features`` : list of columns that do not vary over the
        returned rows (kept; e.g. ``ecg__ULF``).
        ``target_names`` : ndarray, ``["calm", "stress"]`` or the task names.
        ``DESCR`` : str, with the counts of rows kept and dropped.

    Raises
    ------
    FileNotFoundError
        The folder or a requested table is missing.
    ValueError
        Unknown modality or target, a malformed table (bad ``SUBJECT_TASK``
        index, duplicated rows, non-numeric, NaN or infinite values).

    Examples
    --------
    >>> data = load_stressid_features(modalities=("ecg", "resp", "eda"))  # doctest: +SKIP
    >>> data.X.shape, sorted(set(data.y))  # doctest: +SKIP
    ((773, 132), [0, 1])
    >>> data = load_stressid_features(target="task", modalities=("eda", "audio"))  # doctest: +SKIP
    >>> len(data.target_names)  # doctest: +SKIP
    7
    """
    modalities = _check_modalities(modalities)
    required = _check_complete(complete, modalities)
    folder = require_dir(get_data_home(data_home) / FOLDER, "the StressID feature folder")
    tables = {m: _read_table(folder / FILES[m][0], m, FILES[m][1]) for m in modalities}

    pairs = sorted(set().union(*(t.index for t in tables.values())))
    index = pd.Index(pairs, name="SUBJECT_TASK")
    has = pd.DataFrame({f"has_{m}": index.isin(t.index) for m, t in tables.items()}, index=index)
    has_all = has
    keep = np.ones(len(index), dtype=bool)
    for m in required:
        keep &= has[f"has_{m}"].to_numpy()
    index = index[keep]
    has = has.loc[index]
    if len(index) == 0:
        raise ValueError(
            f"No subject x task row is in every table of {list(required)}; load fewer "
            "modalities or relax complete=."
        )
    X = pd.concat([tables[m].reindex(index) for m in modalities], axis=1)

    subject = index.str.split("_").str[0]
    task = index.str.split("_").str[1]
    order = np.lexsort((task.to_numpy(), subject.to_numpy()))
    X = X.iloc[order]
    has = has.iloc[order]
    subject = subject[order]
    task = task[order]
    meta = pd.DataFrame(
        {
            "id": X.index,
            "subject": subject,
            "task": task,
            "stress_task": task.isin(STRESS_TASKS),
        },
        index=X.index,
    )
    meta = pd.concat([meta, has], axis=1).reset_index(drop=True)
    X = X.reset_index(drop=True)
    if target == "task_proxy":
        y = meta["stress_task"].to_numpy(np.int64)
        target_names = np.array(["calm", "stress"], dtype=object)
        target_text = "task-proxy stress (1 = Counting1-3, Math, Speaking, Stroop)"
    else:
        y = meta["task"].to_numpy(dtype=object)
        target_names = np.array(sorted(set(y)), dtype=object)
        target_text = f"task name ({len(target_names)} tasks)"

    values = X.to_numpy()
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    constant = [c for c, s in zip(X.columns, spread) if not s > 0]
    if required == modalities:
        rule = "complete=True: rows in every loaded table"
    elif not required:
        rule = "complete=False: rows in any loaded table, NaN where a table lacks them"
    else:
        rule = f"rows in the {list(required)} tables, NaN where another table lacks them"
    absent = ", ".join(f"{m} {int((~has_all[f'has_{m}']).sum())}" for m in modalities)
    all_subjects = set(has_all.index.str.split("_").str[0])
    no_subject = ", ".join(
        f"{m} {len(all_subjects - set(tables[m].index.str.split('_').str[0]))}"
        for m in modalities
    )
    nan = ", ".join(f"{m} {int((~meta[f'has_{m}']).sum())}" for m in modalities)
    constants = (
        f"Columns constant over these rows (kept): {constant}.\n" if constant else ""
    )
    return Bunch(
        X=X,
        y=y,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        feature_names=np.array(X.columns, dtype=object),
        modality_columns={m: list(tables[m].columns) for m in modalities},
        constant_features=constant,
        target_names=target_names,
        DESCR=DESCR.format(
            target=target_text,
            modalities=", ".join(f"{m} ({tables[m].shape[1]} features)" for m in modalities),
            kept=len(X),
            pairs=len(pairs),
            rule=rule,
            absent=absent,
            nan=nan,
            no_subject=no_subject,
            speech=", ".join(SPEECH_TASKS),
            constants=constants,
            citation=CITATION,
        ),
    )
