"""Parameter checks that ``_parameter_constraints`` / ``validate_params`` cannot express.

Run after the constraints; the errors have scikit-learn's form
(:func:`skkd.utils._validation.invalid_parameter`).
"""

from __future__ import annotations

import numpy as np

from skkd.utils._validation import invalid_parameter

__all__ = ["positive_grid"]


def positive_grid(owner, name: str, value) -> np.ndarray:
    """``value`` (a number or a sequence of them) as a 1-D float grid of finite values > 0.

    >>> positive_grid("f", "sigma", [0.5, 1])
    array([0.5, 1. ])
    """
    try:
        grid = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        grid = np.empty(0)
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all() or (grid <= 0).any():
        raise invalid_parameter(
            owner, name, "a positive number or a non-empty sequence of finite positive numbers", value
        )
    return grid
