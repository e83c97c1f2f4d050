"""Batches for skorch: one fancy-indexing call per batch instead of one per window."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from skorch.dataset import Dataset
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler
from torch.utils.data._utils.collate import default_convert

__all__ = ["BatchIndexDataset", "BatchIndexLoader"]


class BatchIndexLoader(DataLoader):
    """A :class:`~torch.utils.data.DataLoader` that indexes the data once per batch.

    skorch's default loader fetches every window on its own and collates them,
    which dominates training time for the small networks used here. This one
    draws the same batches (the same :class:`RandomSampler` permutation, in
    the same order) and fetches each with one fancy-indexing operation, so
    results are unchanged and the per-window Python overhead is gone; the
    fetched arrays are fresh copies, so read-only inputs stay untouched.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator=None, **kwargs):
        sampler = (RandomSampler(dataset, generator=generator) if shuffle
                   else SequentialSampler(dataset))
        super().__init__(dataset, batch_size=None, generator=generator,
                         sampler=_ArrayBatchSampler(sampler, batch_size, drop_last),
                         collate_fn=default_convert, **kwargs)


class BatchIndexDataset(Dataset):
    """skorch's :class:`~skorch.dataset.Dataset`, indexed by a whole batch of rows at once.

    With an index array (from :class:`BatchIndexLoader`) arrays and dicts of
    arrays are sliced with one numpy fancy-indexing call each; anything else
    goes through skorch's own indexing.
    """

    def __getitem__(self, i):
        if not isinstance(i, np.ndarray) or self.X_is_ndframe:
            return super().__getitem__(i)
        X = self.X
        if isinstance(X, Mapping):
            Xi = {k: v[i] for k, v in X.items()}
        elif isinstance(X, np.ndarray):
            Xi = X[i]
        else:
            return super().__getitem__(i)
        yi = None if self.y is None else np.asarray(self.y)[i]
        return self.transform(Xi, yi)


class _ArrayBatchSampler(BatchSampler):
    """:class:`BatchSampler` yielding index arrays (fast fancy indexing, no per-item checks)."""

    def __iter__(self):
        for batch in super().__iter__():
            yield np.asarray(batch, dtype=np.int64)
