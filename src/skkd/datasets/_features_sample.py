"""Built-in window features of all 34 labelled Stress-Predict subjects (no data folder needed)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from skkd.datasets._stress_predict import CITATION, TARGET_NAMES

__all__ = [
    "load_stress_predict_features",
    "stress_predict_raw_windows",
    "stress_predict_window_features",
]

FEATURES_FILE = "stress_predict_features.npz"
#: raw EDA, TEMP (4 Hz) and BVP (16 Hz) of the same windows, same rows
RAW_FILE = "stress_predict_raw.npz"
#: the shipped raw signals and their rates in Hz (BVP down from the E4's 64 Hz)
RAW_FS = {"eda": 4, "temp": 4, "bvp": 16}
#: BVP is stored as int16 multiples of this step (its values span about +-2,800)
BVP_STEP = 0.1
#: the E4 signals summarised, in column order
FEATURE_SIGNALS = ("eda", "temp", "bvp", "acc")
#: the window statistics of every channel (``WindowStatistics``' default)
FEATURE_STATS = ("mean", "std", "min", "max", "slope")
WINDOW_S, STEP_S = 60, 30

DESCR = """\
Stress-Predict window features (built into skkd)
================================================

Window statistics (mean, std, min, max, least-squares slope) of every channel
of four Empatica E4 wrist signals -- EDA (4 Hz), TEMP (4 Hz), BVP (64 Hz) and
ACC (32 Hz, x/y/z) -- for every {window_s} s window (hop {step_s} s) of the
{n_subjects} labelled Stress-Predict subjects: {n_windows} windows, {n_stress}
of them stress (a window is stress when more than half its seconds are
labelled so). The columns are named ``modality__ch<c>_<stat>``; they equal
``ModalityTransformer({{k: WindowStatistics() for k in X}}, output="frame")``
applied to ``load_stress_predict(data_home).X`` (stored as float32), raw
values, not normalised: normalise per subject with
``SubjectStandardScaler(calibration=K)`` and ``meta["t_start"]`` as time.

Built by ``tools/make_sample.py`` from ``../shared/data/stress-predict``.{raw}
Source: {citation} The data set's MIT notice is kept beside the files in
``skkd/datasets/data/stress_predict_LICENSE.txt``.
"""


def stress_predict_window_features(X) -> pd.DataFrame:
    """The built-in table's features of Stress-Predict windows (``load_stress_predict().X``).

    Per-modality :class:`~skkd.features.WindowStatistics` through
    :class:`~skkd.compose.ModalityTransformer` (``output="frame"``), for the
    modalities of :data:`FEATURE_SIGNALS` that ``X`` holds, in that order.
    """
    from skkd.compose import ModalityTransformer
    from skkd.features import WindowStatistics

    keys = [k for k in FEATURE_SIGNALS if k in X]
    if not keys:
        raise ValueError(f"X holds none of the modalities {list(FEATURE_SIGNALS)}.")
    stats = ModalityTransformer(
        {k: WindowStatistics(stats=FEATURE_STATS) for k in keys}, output="frame"
    )
    return stats.fit_transform(X.select(keys) if hasattr(X, "select") else
                               {k: X[k] for k in keys})


RAW_DESCR = """

Raw signals (``raw=True``): the same windows' EDA and TEMP at 4 Hz exactly as
``load_stress_predict(data_home).X`` gives them (float32, ``(n, 1, 240)``) and
BVP down-sampled from 64 Hz to 16 Hz (``(n, 1, 960)``: the pulse, 0.7-3 Hz,
and its first harmonics stay below the 8 Hz Nyquist frequency), rounded to
{bvp_step} and stored as int16, about 3.7 MB in all
(``skkd/datasets/data/{raw_file}``), built from the same data by
``stress_predict_raw_windows``.
"""


def stress_predict_raw_windows(X) -> dict[str, np.ndarray]:
    """The built-in raw signals of Stress-Predict windows (``load_stress_predict().X``).

    EDA and TEMP unchanged (float32, 4 Hz); BVP down-sampled from 64 Hz to
    16 Hz by :func:`scipy.signal.resample_poly` (anti-aliasing FIR filter,
    ``padtype="line"`` at the window edges) and rounded to multiples of
    :data:`BVP_STEP`, the stored resolution. The input is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> X = {"eda": np.ones((2, 1, 240), np.float32), "bvp": np.zeros((2, 1, 3840))}
    >>> {k: v.shape for k, v in stress_predict_raw_windows(X).items()}
    {'eda': (2, 1, 240), 'bvp': (2, 1, 960)}
    """
    from scipy.signal import resample_poly

    keys = [k for k in RAW_FS if k in X]
    if not keys:
        raise ValueError(f"X holds none of the modalities {list(RAW_FS)}.")
    out = {}
    for key in keys:
        values = np.asarray(X[key])
        if key == "bvp":
            down = resample_poly(values.astype(np.float64), 1, 64 // RAW_FS["bvp"], axis=-1,
                                 padtype="line")
            out[key] = _bvp_codes(down).astype(np.float32) * np.float32(BVP_STEP)
        else:
            out[key] = values.astype(np.float32, copy=True)
    return out


def _bvp_codes(bvp: np.ndarray) -> np.ndarray:
    """BVP as the int16 multiples of BVP_STEP the file stores (ValueError if out of range)."""
    codes = np.rint(np.asarray(bvp, dtype=np.float64) / BVP_STEP)
    if np.abs(codes).max(initial=0) > np.iinfo(np.int16).max:
        raise ValueError(f"BVP beyond +-{np.iinfo(np.int16).max * BVP_STEP:g}: cannot be "
                         "stored as int16.")
    return codes.astype(np.int16)


def _write_raw_file(data: Bunch, path) -> None:
    """Write ``RAW_FILE`` from ``load_stress_predict(..., window_s=60, step_s=30)``."""
    raw = stress_predict_raw_windows(data.X)
    np.savez_compressed(
        path,
        eda=raw["eda"],
        temp=raw["temp"],
        bvp=_bvp_codes(raw["bvp"]),
        groups=np.asarray(data.groups, dtype=str),
        t_start=data.meta["t_start"].to_numpy(np.float64),
    )


def _load_raw(groups: np.ndarray, t_start: np.ndarray):
    """The shipped raw windows as Modalities, checked to be the features' rows."""
    from skkd._modalities import Modalities

    source = resources.files("skkd.datasets") / "data" / RAW_FILE
    with resources.as_file(source) as path, np.load(path) as npz:
        if not (np.array_equal(npz["groups"].astype(str), groups.astype(str))
                and np.array_equal(npz["t_start"], t_start)):
            raise ValueError(f"{RAW_FILE} does not hold the rows of {FEATURES_FILE} "
                             "(subjects or window starts differ): reinstall skkd.")
        return Modalities(
            eda=npz["eda"], temp=npz["temp"],
            bvp=npz["bvp"].astype(np.float32) * np.float32(BVP_STEP),
        )


@validate_params({"raw": ["boolean"]}, prefer_skip_nested_validation=True)
def load_stress_predict_features(*, raw: bool = False) -> Bunch:
    """Load window features of all 34 labelled Stress-Predict subjects (built in).

    Mean, std, min, max and slope of every channel of EDA, TEMP, BVP and ACC
    (x, y, z) for every 60 s window (hop 30 s) of
    :func:`load_stress_predict`: 30 features of 3,695 windows, stored inside
    the package (about 0.4 MB, with the data set's MIT notice beside it), so a
    real 34-subject comparison runs without the data folder. The values
    are raw (not normalised) and equal what
    ``ModalityTransformer({k: WindowStatistics() for k in X}, output="frame")``
    gives on ``load_stress_predict(data_home).X``, rounded to float32.

    Parameters
    ----------
    raw : bool, default=False
        Also return the windows' raw signals (shipped too, about 3.7 MB), in
        the same rows: EDA and TEMP at 4 Hz as
        ``load_stress_predict(data_home).X`` gives them, BVP at 16 Hz (see
        :func:`stress_predict_raw_windows`), for time-series models such as
        :func:`skkd.baselines.make_minirocket_baseline`.

    Returns
    -------
    Bunch
        ``X`` (DataFrame, float32, columns ``eda__ch0_mean`` ...,
        ``acc__ch2_slope``: a modality's columns share its prefix, which
        ``DistilledStudentClassifier(student_inputs=["eda", "temp"])``
        selects), ``y`` (1 = stress), ``groups`` (``"S02"`` ... ``"S35"``),
        ``meta`` (subject, t_start, t_end in unix seconds, stress_fraction),
        ``feature_names``, ``modalities`` (the signal of each column),
        ``target_names``, ``DESCR``; with ``raw=True`` also ``raw``
        (:class:`~skkd.Modalities`: ``eda`` and ``temp`` ``(n, 1, 240)``,
        ``bvp`` ``(n, 1, 960)``, float32) and ``raw_fs`` (Hz of each).

    Examples
    --------
    >>> data = load_stress_predict_features()
    >>> data.X.shape, len(set(data.groups)), data.X.columns[0]
    ((3695, 30), 34, 'eda__ch0_mean')
    >>> sorted(set(data.modalities))
    ['acc', 'bvp', 'eda', 'temp']
    >>> load_stress_predict_features(raw=True).raw
    Modalities(n_windows=3695, eda=(1, 240), temp=(1, 240), bvp=(1, 960))
    """
    source = resources.files("skkd.datasets") / "data" / FEATURES_FILE
    with resources.as_file(source) as path, np.load(path) as npz:
        columns = [str(c) for c in npz["columns"]]
        X = pd.DataFrame(npz["X"], columns=columns)
        y = npz["y"].astype(np.int64)
        groups = npz["groups"].astype(str).astype(object)
        meta = pd.DataFrame({
            "subject": groups,
            "t_start": npz["t_start"],
            "t_end": npz["t_end"],
            "stress_fraction": npz["stress_fraction"].astype(np.float64),
        })
    n_subjects = len(pd.unique(groups))
    extra = {}
    if raw:
        extra = {"raw": _load_raw(groups, meta["t_start"].to_numpy()), "raw_fs": dict(RAW_FS)}
    return Bunch(
        X=X,
        y=y,
        groups=groups,
        meta=meta,
        feature_names=np.asarray(columns, dtype=object),
        modalities=np.asarray([c.split("__", 1)[0] for c in columns], dtype=object),
        target_names=np.asarray(TARGET_NAMES).copy(),
        DESCR=DESCR.format(window_s=WINDOW_S, step_s=STEP_S, n_subjects=n_subjects,
                           n_windows=len(y), n_stress=int(y.sum()), citation=CITATION,
                           raw=RAW_DESCR.format(bvp_step=BVP_STEP, raw_file=RAW_FILE)),
        **extra,
    )
