"""Splitters for affective-computing protocols beyond leave-subject-out."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import BaseCrossValidator

__all__ = ["WithinGroupSplit"]


class WithinGroupSplit(BaseCrossValidator):
    """Train on each subject's earlier windows, test on its later ones.

    The protocol of the *personalized* baseline: every group (subject) is cut in
    time, the first ``train_fraction`` of its windows go to training and the rest
    to testing, with ``gap`` windows left out between them so that overlapping
    windows (e.g. 60 s windows every 30 s, ``gap=1``) never share samples across
    the cut. Rows must be in time order within each group (the loaders return
    them so). One split.

    Examples
    --------
    >>> import numpy as np
    >>> groups = np.array(["a"] * 4 + ["b"] * 4)
    >>> train, test = next(WithinGroupSplit(gap=0).split(np.zeros(8), groups=groups))
    >>> train.tolist(), test.tolist()
    ([0, 1, 4, 5], [2, 3, 6, 7])
    """

    def __init__(self, train_fraction: float = 0.5, gap: int = 1):
        self.train_fraction = train_fraction
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return 1

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if not 0 < self.train_fraction < 1:
            raise ValueError(
                f"train_fraction must be in (0, 1), got {self.train_fraction!r}."
            )
        if not isinstance(self.gap, (int, np.integer)) or self.gap < 0:
            raise ValueError(f"gap must be a non-negative int, got {self.gap!r}.")
        if groups is None:
            raise ValueError("groups is required: one subject id per window.")
        groups = np.asarray(groups)
        if len(groups) != len(X):
            raise ValueError(f"groups has {len(groups)} values for {len(X)} windows.")
        train, test = [], []
        for g in dict.fromkeys(groups.tolist()):
            idx = np.flatnonzero(groups == g)
            n_train = int(np.floor(self.train_fraction * len(idx)))
            if n_train < 1 or len(idx) - n_train - self.gap < 1:
                raise ValueError(
                    f"group {g!r} has {len(idx)} windows: too few for train_fraction="
                    f"{self.train_fraction} and gap={self.gap}."
                )
            train.append(idx[:n_train])
            test.append(idx[n_train + self.gap:])
        yield np.concatenate(train), np.concatenate(test)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover - split is overridden
        for _, test in self.split(X, y, groups):
            yield test
