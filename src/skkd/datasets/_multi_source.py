"""Multi-source wearable stress table (Vos et al. 2023): HR/EDA statistics, 4 studies."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from skkd.datasets._home import get_data_home, require_dir, require_file

__all__ = ["load_multi_source_stress"]

FOLDER = "multi-source-stress"
ARCHIVE = "StressData.zip"
MEMBER = "StressData.csv"
FEATURES = (
    "hrrange", "hrvar", "hrstd", "hrmin", "edarange", "edastd", "edavar",
    "hrkurt", "edamin", "hrmax",
)

#: subject id prefix -> source study. Inferred from the data (not stated in the
#: source): the prefixes' subject counts and numbering match the studies —
#: N1-N20 (Non-EEG: 20 subjects), U1-U56 (UBFC-Phys: 56), W3-W17 without W12
#: (WESAD: S2-S17 without S12), S1-S24 subset (SWELL-KW: 25 participants).
STUDIES = {"N": "Non-EEG", "S": "SWELL", "U": "UBFC-Phys", "W": "WESAD"}

CITATION = (
    "Vos G., Trinh K., Sarnyai Z., Rahimi Azghadi M. (2023). Ensemble machine "
    "learning model trained on a new synthesized dataset generalizes well for "
    "stress prediction using wearable devices. J. Biomed. Inform. "
    "https://doi.org/10.1016/j.jbi.2023.104556 "
    "(data: CC0-1.0)."
)

DESCR = """\
Multi-source wearable stress (Vos et al., J. Biomed. Inform. 2023)
=================================================================

One row a second: ten heart-rate and EDA statistics over a sliding window
({features}), from {n_subjects} subjects of four public studies. y is `metric`
(1 = stress). The study is derived from the subject id's first letter (N:
Non-EEG, S: SWELL, U: UBFC-Phys, W: WESAD; inferred from subject counts and
numbering, see skkd.datasets._multi_source.STUDIES). Rows per study: {per_study}.

Consecutive rows of a subject overlap heavily: evaluate by subject (groups),
never by row; leave-one-study-out tests cross-study generalisation.

{citation}
"""


@validate_params({"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True)
def load_multi_source_stress(data_home: str | os.PathLike | None = None) -> Bunch:
    """Load the multi-source stress table straight from ``StressData.zip``.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``multi-source-stress/StressData.zip``.

    Returns
    -------
    Bunch
        ``X`` (DataFrame of the 10 features, float64), ``y`` (int 0/1),
        ``groups`` (subject ids such as ``"N1"``), ``meta`` (subject, study,
        second = row number within the subject), ``feature_names``,
        ``target_names``, ``DESCR``.

    Examples
    --------
    >>> data = load_multi_source_stress()  # doctest: +SKIP
    >>> data.X.shape[1], sorted(data.meta["study"].unique())  # doctest: +SKIP
    (10, ['Non-EEG', 'SWELL', 'UBFC-Phys', 'WESAD'])
    """
    folder = require_dir(get_data_home(data_home) / FOLDER, "the multi-source stress folder")
    path = require_file(folder / ARCHIVE, f"the zip archive holding {MEMBER}")
    try:
        with zipfile.ZipFile(path) as archive:
            if MEMBER not in archive.namelist():
                raise ValueError(
                    f"{path}: the archive holds {archive.namelist()}, expected {MEMBER}."
                )
            with archive.open(MEMBER) as fh:
                frame = pd.read_csv(fh, dtype={"Subject": str})
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a valid zip archive ({exc}).") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: {MEMBER} is empty.") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: {MEMBER} is malformed ({exc}).") from None
    expected = [*FEATURES, "Subject", "metric"]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: {MEMBER} lacks column(s) {missing}; expected {expected}."
        )
    if len(frame) == 0:
        raise ValueError(f"{path}: {MEMBER} has a header but no rows.")
    X = frame[list(FEATURES)].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(X.to_numpy()).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{path}: {MEMBER} line {row + 2} has a missing or non-numeric feature: "
            f"{frame.iloc[row][list(FEATURES)].tolist()}."
        )
    metric = pd.to_numeric(frame["metric"], errors="coerce")
    if not metric.isin([0, 1]).all():
        raise ValueError(f"{path}: column 'metric' must hold 0 or 1 only.")
    subjects = frame["Subject"].astype(str).str.strip()
    study = subjects.str[0].map(STUDIES)
    if study.isna().any():
        odd = sorted(subjects[study.isna()].unique())[:5]
        raise ValueError(
            f"{path}: subject ids {odd} do not start with a known study prefix "
            f"{sorted(STUDIES)}."
        )
    meta = pd.DataFrame(
        {
            "subject": subjects,
            "study": study,
            "second": subjects.groupby(subjects, sort=False).cumcount(),
        }
    )
    return Bunch(
        X=X.astype(np.float64),
        y=metric.to_numpy(np.int64),
        groups=subjects.to_numpy(dtype=object),
        meta=meta,
        feature_names=np.array(FEATURES, dtype=object),
        target_names=np.array(["no stress", "stress"], dtype=object),
        DESCR=DESCR.format(
            features=", ".join(FEATURES),
            n_subjects=subjects.nunique(),
            per_study=", ".join(f"{k} {v}" for k, v in study.value_counts().sort_index().items()),
            citation=CITATION,
        ),
    )
