"""Subject ids given as ids or numbers, checked once for every loader that takes ``subjects``."""

from __future__ import annotations

import re
from numbers import Integral

import numpy as np

__all__ = ["check_subject_ids"]


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
