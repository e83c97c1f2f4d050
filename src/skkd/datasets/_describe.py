"""One summary table of the data sets that can be loaded here."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, validate_params

from skkd.datasets._emodb import CITATION as EMODB_CITATION
from skkd.datasets._emodb import FOLDER as EMODB_FOLDER
from skkd.datasets._emodb import load_emodb
from skkd.datasets._home import get_data_home
from skkd.datasets._multi_source import CITATION as MULTI_CITATION
from skkd.datasets._multi_source import FOLDER as MULTI_FOLDER
from skkd.datasets._multi_source import load_multi_source_stress
from skkd.datasets._sample import load_stress_predict_sample
from skkd.datasets._stress_predict import CITATION as SP_CITATION
from skkd.datasets._stress_predict import FOLDER as SP_FOLDER
from skkd.datasets._stress_predict import load_stress_predict

__all__ = ["describe_datasets"]

COLUMNS = [
    "name", "loader", "n_windows", "n_subjects", "n_classes", "class_counts",
    "window", "modalities", "source",
]


def _modalities(data) -> str:
    return ", ".join(
        f"{name} {data.fs[name]} Hz x{arr.shape[1] if arr.ndim == 3 else 1}"
        for name, arr in data.X.items()
    )


def _row(name, loader, data, window, modalities, source) -> dict:
    labels, counts = np.unique(np.asarray(data.y), return_counts=True)
    names = getattr(data, "target_names", None)
    if names is not None and np.issubdtype(labels.dtype, np.integer):
        labels = [names[i] for i in labels]
    return {
        "name": name,
        "loader": loader,
        "n_windows": len(data.y),
        "n_subjects": len(pd.unique(np.asarray(data.groups))),
        "n_classes": len(counts),
        "class_counts": ", ".join(f"{lab}: {c}" for lab, c in zip(labels, counts)),
        "window": window,
        "modalities": modalities,
        "source": source,
    }


@validate_params(
    {"data_home": [str, os.PathLike, None], "memory": [None, str, HasMethods(["cache"])]},
    prefer_skip_nested_validation=True,
)
def describe_datasets(data_home: str | os.PathLike | None = None, *, memory=None) -> pd.DataFrame:
    """Summarise every data set that can be loaded, one row each.

    The built-in Stress-Predict sample is always there; Stress-Predict, EmoDB and
    the multi-source stress table are described when their folder exists under
    ``data_home`` (see :func:`get_data_home`). A folder that exists but is
    malformed raises the loader's error. Loads each data set once (a few seconds
    for Stress-Predict; ``memory`` caches its CSV reading).

    Parameters
    ----------
    data_home : str or path-like, optional
    memory : str, joblib.Memory or None, default=None
        Passed to :func:`load_stress_predict`.

    Returns
    -------
    DataFrame
        Columns ``name, loader, n_windows, n_subjects, n_classes, class_counts,
        window, modalities, source`` (``n_windows`` counts the rows ``X`` has:
        windows, utterances or 1-s table rows).

    Examples
    --------
    >>> table = describe_datasets("/nonexistent")
    >>> print(table[["name", "n_subjects", "n_classes"]].to_string(index=False))
                     name  n_subjects  n_classes
    stress_predict_sample           3          2
    """
    home = get_data_home(data_home)
    rows = []
    sample = load_stress_predict_sample()
    rows.append(_row(
        "stress_predict_sample", "load_stress_predict_sample", sample,
        "60 s, hop 30 s", _modalities(sample),
        f"built into skkd (subjects {', '.join(sorted(set(sample.groups)))}); {SP_CITATION}",
    ))
    if (home / SP_FOLDER).is_dir():
        data = load_stress_predict(home, memory=memory)
        rows.append(_row(
            "stress_predict", "load_stress_predict", data, "60 s, hop 30 s",
            _modalities(data), SP_CITATION,
        ))
    if (home / EMODB_FOLDER).is_dir():
        data = load_emodb(home)
        rows.append(_row(
            "emodb", "load_emodb", data, "2.0 s utterance", _modalities(data),
            EMODB_CITATION,
        ))
    if (home / MULTI_FOLDER).is_dir():
        data = load_multi_source_stress(home)
        rows.append(_row(
            "multi_source_stress", "load_multi_source_stress", data,
            "1 s row (sliding-window statistics)",
            f"tabular: {data.X.shape[1]} HR/EDA features", MULTI_CITATION,
        ))
    return pd.DataFrame(rows, columns=COLUMNS)
