"""Argument checks shared by the loaders: subject ids and signal names.

The ``validate_params`` constraints check types and ranges; these check what
they cannot say.
"""

from __future__ import annotations

import re
from numbers import Integral

import numpy as np

__all__ = ["check_signal_names", "check_subject_ids"]


def check_subject_ids(subjects, *, prefix: str, digits: int, dataset: str,
                      example: int = 1) -> tuple[str, ...] | None:
    """``subjects`` as ids ``prefix + number`` (``None``: every subject), duplicates dropped.

    A number ``n`` becomes ``prefix`` + ``n`` zero-padded to ``digits``.

    >>> check_subject_ids([2, "S3", 2], prefix="S", digits=1, dataset="WESAD")
    ('S2', 'S3')
    >>> check_subject_ids(1, prefix="s", digits=2, dataset="DEAP")
    ('s01',)
    """
    if subjects is None:
        return None
    if isinstance(subjects, (str, Integral, np.integer)):
        subjects = (subjects,)
    pattern = re.escape(prefix) + r"\d+"
    out = []
    for s in subjects:
        if isinstance(s, (Integral, np.integer)) and not isinstance(s, bool):
            out.append(f"{prefix}{int(s):0{digits}d}")
        elif isinstance(s, str) and re.fullmatch(pattern, s):
            out.append(s)
        else:
            raise ValueError(
                f"subjects must hold {dataset} ids like '{prefix}{example:0{digits}d}' or "
                f"numbers like {example}, got {s!r}."
            )
    if not out:
        raise ValueError("subjects must not be empty (None loads every subject).")
    return tuple(dict.fromkeys(out))


def check_signal_names(signals, known, *, dataset: str) -> tuple[str, ...]:
    """``signals`` as a tuple of names from ``known`` (``None``: all), duplicates dropped.

    >>> check_signal_names("gsr", ("eeg", "gsr"), dataset="DEAP")
    ('gsr',)
    """
    if signals is None:
        return tuple(known)
    if isinstance(signals, str):
        signals = (signals,)
    signals = tuple(signals)
    unknown = [s for s in signals if s not in known]
    if not signals or unknown:
        raise ValueError(
            f"Unknown {dataset} signal(s) {unknown}; signals must be a non-empty subset "
            f"of {list(known)} (or None for all)."
        )
    return tuple(dict.fromkeys(signals))
