"""How many intra-op threads a network is worth: one for the small ones.

Networks of a few thousand parameters on tabular windows spend each batch in
microseconds; extra torch threads only add wake-up and spin costs, and on a
shared machine they fight the other processes for cores (a 60-epoch student
took 12× longer with 2 threads than with 1 on a busy 2-core machine). Such
networks train and predict on one thread; larger ones keep torch's setting.
Inside joblib's process workers (``cross_validate(n_jobs=...)``) torch
already runs on one thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["SMALL_WORK", "limited_torch_threads", "torch_threads_for", "window_size"]

#: parameters × batch rows × window length up to which one thread is used
SMALL_WORK = 2 ** 24


def window_size(X) -> int:
    """Temporal/spatial length of one window (1 for tabular rows; largest modality)."""
    if isinstance(X, Mapping):
        return max((window_size(v) for v in X.values()), default=1)
    shape = np.shape(X)
    return int(np.prod(shape[2:])) if len(shape) > 2 else 1


def torch_threads_for(n_params: int, batch_size: int, length: int = 1) -> int:
    """Intra-op threads worth using for a network of ``n_params`` on such batches.

    >>> torch_threads_for(5_000, 64)  # a small tabular student
    1
    """
    work = int(n_params) * int(batch_size) * max(1, int(length))
    return 1 if work <= SMALL_WORK else torch.get_num_threads()


@contextmanager
def limited_torch_threads(n: int):
    """Run the block with at most ``n`` torch intra-op threads, then restore the setting."""
    before = torch.get_num_threads()
    if n >= before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
