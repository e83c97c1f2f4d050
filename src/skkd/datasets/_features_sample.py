"""Built-in window features of all 34 labelled Stress-Predict subjects (no data folder needed)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skkd.datasets._stress_predict import CITATION, TARGET_NAMES

__all__ = ["load_stress_predict_features", "stress_predict_window_features"]

FEATURES_FILE = "stress_predict_features.npz"
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

Built by ``tools/make_sample.py`` from ``../shared/data/stress-predict``.
Source: {citation} The data set's MIT notice is kept beside the file in
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


def load_stress_predict_features() -> Bunch:
    """Load window features of all 34 labelled Stress-Predict subjects (built in).

    Mean, std, min, max and slope of every channel of EDA, TEMP, BVP and ACC
    (x, y, z) for every 60 s window (hop 30 s) of
    :func:`load_stress_predict`: 30 features of 3,695 windows, stored inside
    the package (about 0.4 MB, with the data set's MIT notice beside it), so a
    real 34-subject comparison runs without the data folder. The values
    are raw (not normalised) and equal what
    ``ModalityTransformer({k: WindowStatistics() for k in X}, output="frame")``
    gives on ``load_stress_predict(data_home).X``, rounded to float32.

    Returns
    -------
    Bunch
        ``X`` (DataFrame, float32, columns ``eda__ch0_mean`` ...,
        ``acc__ch2_slope``: a modality's columns share its prefix, which
        ``DistilledStudentClassifier(student_inputs=["eda", "temp"])``
        selects), ``y`` (1 = stress), ``groups`` (``"S02"`` ... ``"S35"``),
        ``meta`` (subject, t_start, t_end in unix seconds, stress_fraction),
        ``feature_names``, ``modalities`` (the signal of each column),
        ``target_names``, ``DESCR``.

    Examples
    --------
    >>> data = load_stress_predict_features()
    >>> data.X.shape, len(set(data.groups)), data.X.columns[0]
    ((3695, 30), 34, 'eda__ch0_mean')
    >>> sorted(set(data.modalities))
    ['acc', 'bvp', 'eda', 'temp']
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
    return Bunch(
        X=X,
        y=y,
        groups=groups,
        meta=meta,
        feature_names=np.asarray(columns, dtype=object),
        modalities=np.asarray([c.split("__", 1)[0] for c in columns], dtype=object),
        target_names=np.asarray(TARGET_NAMES).copy(),
        DESCR=DESCR.format(window_s=WINDOW_S, step_s=STEP_S, n_subjects=n_subjects,
                           n_windows=len(y), n_stress=int(y.sum()), citation=CITATION),
    )
