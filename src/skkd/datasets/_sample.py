"""A small real sample shipped inside skkd: EDA and TEMP of three Stress-Predict subjects."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from skkd.datasets._e4 import E4Signal
from skkd.datasets._stress_predict import (
    CITATION,
    QUESTIONNAIRE_COLUMNS,
    _Session,
    _whole_seconds,
    build_stress_bunch,
)
from skkd.utils._validation import POSITIVE_REAL

__all__ = ["load_stress_predict_sample"]

SAMPLE_FILE = "stress_predict_sample.npz"
LICENSE_FILE = "stress_predict_LICENSE.txt"
SAMPLE_SUBJECTS = ("S02", "S10", "S20")
SAMPLE_SIGNALS = ("eda", "temp")


def _read_sample() -> tuple[list[_Session], pd.DataFrame]:
    source = resources.files("skkd.datasets") / "data" / SAMPLE_FILE
    with resources.as_file(source) as path, np.load(path) as npz:
        subjects = [str(s) for s in npz["subjects"]]
        sessions = []
        for subject in subjects:
            signals = {
                name: E4Signal(
                    name=name,
                    data=npz[f"{subject}/{name}"][:, None],
                    fs=float(npz[f"{subject}/{name}_fs"]),
                    start=float(npz[f"{subject}/{name}_start"]),
                    columns=(name,),
                )
                for name in SAMPLE_SIGNALS
            }
            sessions.append(
                _Session(
                    subject=subject,
                    signals=signals,
                    label_t0=int(npz[f"{subject}/label_t0"]),
                    labels=npz[f"{subject}/labels"],
                    tags=npz[f"{subject}/tags"],
                )
            )
        scores = pd.DataFrame(
            npz["questionnaires"], index=pd.Index(subjects, name="subject"),
            columns=list(QUESTIONNAIRE_COLUMNS),
        )
    return sessions, scores


@validate_params(
    {"window_s": [POSITIVE_REAL], "step_s": [POSITIVE_REAL]},
    prefer_skip_nested_validation=True,
)
def load_stress_predict_sample(window_s: int = 60, step_s: int = 30) -> Bunch:
    """Load the built-in Stress-Predict sample (no data folder needed).

    EDA and TEMP (4 Hz, float32) of subjects S02, S10 and S20 with their
    per-second stress labels, button-press tags and questionnaire sums, stored
    in the package (MIT licence of the data set beside it). Windowed exactly
    like :func:`load_stress_predict` with ``signals=("eda", "temp")``: the
    windows equal that loader's windows for these subjects.

    Parameters
    ----------
    window_s, step_s : int, default=60, 30
        Window length and hop in whole seconds.

    Returns
    -------
    Bunch
        Same fields as :func:`load_stress_predict`; ``X`` has ``"eda"`` and
        ``"temp"`` of shape ``(n, 1, window_s * 4)``.

    Examples
    --------
    >>> data = load_stress_predict_sample()
    >>> sorted(data.X), data.X["eda"].shape[1:], sorted(set(data.groups))
    (['eda', 'temp'], (1, 240), ['S02', 'S10', 'S20'])
    >>> sorted(set(data.y.tolist()))
    [0, 1]
    """
    window_s, step_s = _whole_seconds("load_stress_predict_sample", window_s, step_s)
    sessions, scores = _read_sample()
    bunch = build_stress_bunch(
        sessions, scores, window_s, step_s,
        source=f"skkd's built-in sample ({', '.join(s.subject for s in sessions)}; "
        f"{CITATION})",
    )
    return bunch
