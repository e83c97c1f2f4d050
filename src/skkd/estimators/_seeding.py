"""Seeds: one int per fit, drawn once from ``random_state``, and a forked torch RNG."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["SeededContext", "seed_from", "seed_unset_random_states"]


def seed_from(random_state) -> int | None:
    """An int seed drawn from ``random_state`` (``None`` stays ``None``).

    Each fit draws it once and hands it on, so a ``RandomState`` instance is
    advanced once per fit.

    >>> seed_from(0) == seed_from(0), seed_from(None)
    (True, None)
    """
    if random_state is None:
        return None
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


class SeededContext:
    """Fork torch's RNG and seed it, so a fit is reproducible without side effects."""

    def __init__(self, seed: int | None, device: str):
        self.seed = seed
        devices = [torch.cuda.current_device()] if device.startswith("cuda") else []
        self._fork = torch.random.fork_rng(devices=devices)

    def __enter__(self):
        self._fork.__enter__()
        if self.seed is not None:
            torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)


def seed_unset_random_states(estimator, seed: int | None):
    """Give ``estimator``'s nested ``random_state=None`` parameters a seed (reproducible clones)."""
    if seed is None:
        return estimator
    rng = np.random.RandomState(seed)
    params = estimator.get_params(deep=True)
    updates = {k: int(rng.randint(np.iinfo(np.int32).max)) for k in sorted(params)
               if (k == "random_state" or k.endswith("__random_state")) and params[k] is None}
    if updates:
        estimator.set_params(**updates)
    return estimator
