"""DEAP (Koelstra et al., IEEE TAC 2012): EEG and peripheral windows of music-video trials.

Reads the preprocessed Python release, ``data_preprocessed_python/sNN.dat``:
one pickle per subject written by Python 2 (read with
``pickle.load(f, encoding="latin1")``) holding ``data`` (trials x 40 channels
x samples at 128 Hz, the first 3 s of each trial before the video) and
``labels`` (trials x 4 ratings: valence, arousal, dominance, liking, 1-9).
"""

from __future__ import annotations

import os
import pickle
import re
import textwrap
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd._modalities import Modalities
from skkd.datasets._arguments import check_signal_names, check_subject_ids
from skkd.datasets._home import get_data_home, require_dir

__all__ = ["load_deap"]

FOLDER = "deap"
SUBFOLDER = "data_preprocessed_python"
FS = 128
PRETRIAL_S = 3
N_CHANNELS = 40
#: the 32 EEG channels in the Geneva order of the preprocessed files
EEG_CHANNELS = [
    "Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7",
    "PO3", "O1", "Oz", "Pz", "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz",
    "C4", "T8", "CP6", "CP2", "P4", "P8", "PO4", "O2",
]
#: output key -> (0-based channel indices in ``data``, channel names)
SIGNALS = {
    "eeg": (list(range(32)), EEG_CHANNELS),
    "eog": ([32, 33], ["hEOG", "vEOG"]),
    "emg": ([34, 35], ["zEMG", "tEMG"]),
    "gsr": ([36], ["GSR"]),
    "resp": ([37], ["respiration"]),
    "ppg": ([38], ["plethysmograph"]),
    "temp": ([39], ["temperature"]),
}
RATINGS = ("valence", "arousal", "dominance", "liking")
QUADRANTS = np.array(["LVLA", "LVHA", "HVLA", "HVHA"], dtype=object)

CITATION = (
    "Koelstra S., Muhl C., Soleymani M., Lee J.-S., Yazdani A., Ebrahimi T., Pun T., "
    "Nijholt A., Patras I. (2012). DEAP: A Database for Emotion Analysis Using "
    "Physiological Signals. IEEE Trans. Affective Computing 3(1):18-31. "
    "https://doi.org/10.1109/T-AFFC.2011.15 (data under the DEAP end-user "
    "licence agreement)."
)

DESCR_TEMPLATE = """\
DEAP (preprocessed Python release)
==================================

32 subjects watched 40 one-minute music videos while 32 EEG channels and 8
peripheral channels were recorded, then rated each video's valence, arousal,
dominance and liking on 1-9 scales. The preprocessed release is downsampled to
128 Hz (EEG: EOG artefacts removed, 4-45 Hz band-pass, common average
reference) and orders trials by video (Experiment_id), not by presentation.
Read from {source}.

Windows: the first {pretrial} s of each trial (before the video) are dropped;
{window_s} s windows, hop {step_s} s, from the video onset while they end
inside the trial ({n_per_trial} per trial here). Every signal is at {fs} Hz.
Signals: {signals}.

Target: {target}. meta: subject, trial (1-based, the file's order = video
id), trial_id, t_start/t_end (s from the video onset) and the four ratings.

Counts: {n_windows} windows from {n_subjects} subjects, {n_trials} trials{counts}.

Evaluate by subject (groups), never by window: windows of a trial share its
rating and overlap; for within-subject evaluation, split by meta["trial_id"].

{citation}
"""


def _fill(text: str, width: int = 79) -> str:
    """Re-wrap each paragraph of a filled-in DESCR (titles are kept as they are)."""
    paragraphs = text.strip("\n").split("\n\n")
    out = [
        p if p.endswith("=" * 4) else textwrap.fill(
            " ".join(p.split()), width, break_long_words=False, break_on_hyphens=False)
        for p in paragraphs
    ]
    return "\n\n".join(out) + "\n"


def _check_signals(signals) -> tuple[str, ...]:
    return check_signal_names(signals, SIGNALS, dataset="DEAP")


def _samples(seconds: float, name: str) -> int:
    n = seconds * FS
    if abs(n - round(n)) > 1e-9 * max(1.0, n) or round(n) < 1:
        raise ValueError(
            f"{name}={seconds!r} s is not a whole number of samples at {FS} Hz; "
            f"use a multiple of 1/{FS} s."
        )
    return int(round(n))


def _resolve_folder(path) -> Path:
    base = get_data_home(None) / FOLDER if path is None else Path(path).expanduser()
    require_dir(base, f"the DEAP folder ({SUBFOLDER}/ with s01.dat ... s32.dat)")
    for folder in (base, base / SUBFOLDER, base / FOLDER / SUBFOLDER, base / FOLDER):
        if folder.is_dir() and _subject_files(folder):
            return folder
    return base


def _subject_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and re.fullmatch(r"s\d+\.dat", p.name)]
    return sorted(files, key=lambda p: int(p.stem[1:]))


def _read_subject(file: Path, min_samples: int, window_s: float):
    """Checked ``data`` (trials, 40, T) and ``labels`` (trials, 4) of one sNN.dat."""
    try:
        with open(file, "rb") as f:
            obj = pickle.load(f, encoding="latin1")
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a pickle can fail in any way
        raise ValueError(
            f"{file}: not a readable DEAP pickle ({type(exc).__name__}: {exc}); the "
            "file may be truncated or corrupt (or from the MATLAB release: use "
            f"{SUBFOLDER}/)."
        ) from exc
    if not isinstance(obj, dict):
        raise ValueError(
            f"{file}: expected a dict with keys 'data' and 'labels', got "
            f"{type(obj).__name__}."
        )
    missing = [k for k in ("data", "labels") if k not in obj]
    if missing:
        raise ValueError(
            f"{file}: missing key(s) {missing}; a DEAP sNN.dat holds 'data' and "
            f"'labels' (found {sorted(map(str, obj))})."
        )
    data, labels = np.asarray(obj["data"]), np.asarray(obj["labels"])
    for name, arr in (("data", data), ("labels", labels)):
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype.kind == "c":
            raise ValueError(f"{file}: '{name}' must be numeric, got dtype {arr.dtype}.")
    if data.ndim != 3 or data.shape[1] != N_CHANNELS:
        raise ValueError(
            f"{file}: 'data' must have shape (trials, {N_CHANNELS} channels, samples), "
            f"got {data.shape}."
        )
    if labels.shape != (data.shape[0], len(RATINGS)):
        raise ValueError(
            f"{file}: 'labels' must have shape ({data.shape[0]}, {len(RATINGS)}) (one "
            f"row of {', '.join(RATINGS)} per trial of 'data'), got {labels.shape}."
        )
    if data.shape[0] == 0:
        raise ValueError(f"{file}: 'data' holds no trial.")
    if data.shape[2] < min_samples:
        raise ValueError(
            f"{file}: trials have {data.shape[2]} samples ({data.shape[2] / FS:g} s at "
            f"{FS} Hz), fewer than the {PRETRIAL_S} s pre-trial + one {window_s} s "
            f"window ({min_samples} samples)."
        )
    if not np.isfinite(labels).all() or labels.min() < 1 or labels.max() > 9:
        raise ValueError(
            f"{file}: 'labels' must hold ratings in [1, 9], got values from "
            f"{np.nanmin(labels):g} to {np.nanmax(labels):g}"
            f"{' and NaN/inf' if not np.isfinite(labels).all() else ''}."
        )
    if not np.isfinite(data).all():
        raise ValueError(f"{file}: 'data' holds NaN or infinite values.")
    return data, labels


@validate_params(
    {
        "path": [str, os.PathLike, None],
        "window_s": [Interval(Real, 0, None, closed="neither")],
        "step_s": [Interval(Real, 0, None, closed="neither"), None],
        "threshold": [Interval(Real, 1, 9, closed="both"), None],
        "target": [StrOptions({*RATINGS, "quadrant"})],
        "signals": ["array-like", str, None],
        "subjects": ["array-like", str, Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def load_deap(
    path: str | os.PathLike | None = None,
    window_s: float = 60,
    step_s: float | None = None,
    threshold: float | None = 5.0,
    target: str = "valence",
    signals: Sequence[str] | None = None,
    *,
    subjects: Sequence[str | int] | None = None,
) -> Bunch:
    """Load DEAP's preprocessed Python release as windows with rating targets.

    Reads every ``sNN.dat`` (``s01.dat`` ... ``s32.dat``) of
    ``data_preprocessed_python/`` with ``pickle.load(f, encoding="latin1")``
    (only open pickles you trust). Each trial's first 3 s (before the video)
    are dropped; windows are cut from the video onset, per trial, and carry
    the trial's ratings. EEG + GSR → GSR is EmotionKD's setting: a teacher on
    ``eeg`` and ``gsr``, a student on ``gsr`` only.

    Parameters
    ----------
    path : str or path-like, optional
        ``data_preprocessed_python/`` itself, a folder holding it (``deap/``),
        or a folder holding ``deap/data_preprocessed_python/``. Default:
        ``deap/`` in :func:`get_data_home`.
    window_s : float, default=60
        Window length in seconds (a whole number of samples at 128 Hz). The
        default, 60 s, gives one window per trial of the real data (60 s of
        video); any trial of at least 3 s + one window is accepted.
    step_s : float or None, default=None
        Hop between window starts within a trial; ``None``: ``window_s``.
    threshold : float in [1, 9] or None, default=5.0
        A rating **above** ``threshold`` is high (1), at or below it low (0),
        the usual DEAP convention. ``None``: ``y`` is the rating itself
        (float, for regression; not with ``target="quadrant"``).
    target : {"valence", "arousal", "dominance", "liking", "quadrant"}, \
            default="valence"
        The rating to predict; ``"quadrant"``: 4 classes ``2 * high_valence +
        high_arousal`` (0 LVLA, 1 LVHA, 2 HVLA, 3 HVHA).
    signals : sequence of str, optional
        Keys among ``eeg`` (32 channels, Geneva order: Fp1, AF3, F3, ... O2),
        ``eog`` (hEOG, vEOG), ``emg`` (zEMG, tEMG), ``gsr``, ``resp``,
        ``ppg`` (plethysmograph) and ``temp``; default all seven, 40 channels
        (1280 windows of 60 s take about 1.6 GB as float32; EEG is 80 % of it).
    subjects : sequence of str or int, optional
        Subjects to read (``"s01"`` or ``1``); default every ``sNN.dat``.

    Returns
    -------
    Bunch
        ``X`` : :class:`~skkd.Modalities` of float32 ``(n, c, window_s * 128)``
        arrays.
        ``y`` : ndarray, int (0/1, or 0-3 for ``"quadrant"``) or float ratings.
        ``groups`` : ndarray of subject ids (``"s01"``...).
        ``meta`` : DataFrame (subject, trial, trial_id, t_start, t_end,
        valence, arousal, dominance, liking).
        ``fs`` : dict signal -> 128. ``channels`` : dict signal -> channel names.
        ``target_names`` : ``["low", "high"]``, the quadrant names, or None.
        ``DESCR`` : str.

    Raises
    ------
    FileNotFoundError
        The folder, or a requested subject's file, is missing; the folder
        holds no ``sNN.dat``.
    ValueError
        Unknown signal names; window or hop not a whole number of samples; a
        file that cannot be unpickled, lacks ``data`` or ``labels``, has a
        shape other than (trials, 40, samples) and (trials, 4), trials shorter
        than 3 s + one window, ratings outside 1-9, or NaN in the signals.

    Examples
    --------
    A subject of two 23 s trials (3 s pre-trial + 20 s) in DEAP's format:

    >>> import pickle, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> record = {"data": np.zeros((2, 40, 128 * 23)),
    ...           "labels": np.array([[7.1, 3.0, 5.0, 6.0], [2.0, 8.0, 5.0, 5.0]])}
    >>> with open(folder / "s01.dat", "wb") as f:
    ...     pickle.dump(record, f, protocol=2)
    >>> deap = load_deap(folder, window_s=10, step_s=5, signals=["eeg", "gsr"])
    >>> deap.X
    Modalities(n_windows=6, eeg=(32, 1280), gsr=(1, 1280))
    >>> deap.y.tolist(), deap.meta["t_start"].tolist()
    ([1, 1, 1, 0, 0, 0], [0.0, 5.0, 10.0, 0.0, 5.0, 10.0])

    On the real data:

    >>> deap = load_deap("../shared/data/deap", target="arousal")  # doctest: +SKIP
    >>> deap.X["eeg"].shape, len(set(deap.groups))  # doctest: +SKIP
    ((1280, 32, 7680), 32)
    """
    if target == "quadrant" and threshold is None:
        raise ValueError("target='quadrant' needs a threshold (None is for one rating).")
    signals = _check_signals(signals)
    wanted = check_subject_ids(subjects, prefix="s", digits=2, dataset="DEAP")
    step_s = window_s if step_s is None else step_s
    W = _samples(window_s, "window_s")
    S = _samples(step_s, "step_s")
    pre = PRETRIAL_S * FS

    folder = _resolve_folder(path)
    files = _subject_files(folder)
    if not files:
        raise FileNotFoundError(
            f"{folder}: no DEAP subject files named like 's01.dat' (the "
            f"{SUBFOLDER}/ folder holds s01.dat ... s32.dat)."
        )
    if wanted is not None:
        by_name = {f.stem: f for f in files}
        absent = [s for s in wanted if s not in by_name]
        if absent:
            raise FileNotFoundError(
                f"{folder}: no file for subject(s) {absent}; found "
                f"{[f.stem for f in files]}."
            )
        files = [by_name[s] for s in wanted]

    parts, metas, lengths = [], [], set()
    for file in files:
        data, ratings = _read_subject(file, pre + W, window_s)
        lengths.add(data.shape[2])
        starts = np.arange(0, data.shape[2] - pre - W + 1, S)
        n_trials = data.shape[0]
        windows = {}
        for name in signals:
            idx = SIGNALS[name][0]
            out = np.empty((n_trials * len(starts), len(idx), W), dtype=np.float32)
            for j, s in enumerate(starts):
                out[j::len(starts)] = data[:, idx, pre + s:pre + s + W]
            windows[name] = out
        trial = np.repeat(np.arange(1, n_trials + 1), len(starts))
        meta = pd.DataFrame({
            "subject": file.stem,
            "trial": trial,
            "trial_id": [f"{file.stem}_t{t:02d}" for t in trial],
            "t_start": np.tile(starts / FS, n_trials),
        })
        meta["t_end"] = meta["t_start"] + window_s
        for k, rating in enumerate(RATINGS):
            meta[rating] = np.repeat(ratings[:, k].astype(np.float64), len(starts))
        parts.append(windows)
        metas.append(meta)
        del data

    X = Modalities({n: np.concatenate([p[n] for p in parts]) for n in signals})
    meta = pd.concat(metas, ignore_index=True)
    if target == "quadrant":
        high_v = (meta["valence"].to_numpy() > threshold).astype(np.int64)
        high_a = (meta["arousal"].to_numpy() > threshold).astype(np.int64)
        y = 2 * high_v + high_a
        target_names = QUADRANTS.copy()
        target_text = (f"valence-arousal quadrant, 2 * (valence > {threshold}) + "
                       f"(arousal > {threshold}): 0 LVLA, 1 LVHA, 2 HVLA, 3 HVHA")
        counts = ", ".join(
            f"{q} {int((y == i).sum())}" for i, q in enumerate(QUADRANTS)) + " windows"
    elif threshold is None:
        y = meta[target].to_numpy(np.float64)
        target_names = None
        target_text = f"the {target} rating itself (1-9, regression)"
        counts = ""
    else:
        y = (meta[target].to_numpy() > threshold).astype(np.int64)
        target_names = np.array(["low", "high"], dtype=object)
        target_text = f"1 = high {target} (rating > {threshold}), 0 = low (<= {threshold})"
        counts = f"high {int(y.sum())}, low {int((y == 0).sum())} windows"
    trials = meta.drop_duplicates("trial_id")
    descr = _fill(DESCR_TEMPLATE.format(
        source=folder,
        pretrial=PRETRIAL_S,
        window_s=window_s,
        step_s=step_s,
        n_per_trial=", ".join(
            str(len(range(0, t - pre - W + 1, S))) for t in sorted(lengths)),
        fs=FS,
        signals=", ".join(
            f"{n} ({len(SIGNALS[n][0])} ch)" for n in signals),
        target=target_text,
        n_windows=len(y),
        n_subjects=meta["subject"].nunique(),
        n_trials=len(trials),
        counts=f" ({counts})" if counts else "",
        citation=CITATION,
    ))
    return Bunch(
        X=X,
        y=y,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        fs=dict.fromkeys(signals, FS),
        channels={n: list(SIGNALS[n][1]) for n in signals},
        target_names=target_names,
        DESCR=descr,
    )
