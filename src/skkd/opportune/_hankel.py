"""Distances between Hankel subsequences, computed once per series.

The RuLSIF change score at time ``t`` compares the subsequences
``Y(t), ..., Y(t+n-1)`` (reference) with ``Y(t+n), ..., Y(t+2n-1)`` (test), where
``Y(i) = [y(i), y(i+1), ..., y(i+k-1)]`` stacks ``k`` consecutive samples of a
``c``-channel series. Every kernel evaluation therefore needs the squared
distance between two subsequences at most ``2n - 1`` apart, and

``||Y(i) - Y(i+l)||^2 = sum_{m<k} ||y(i+m) - y(i+m+l)||^2``

is a length-``k`` running sum along a diagonal. The *lag table*
``E[a, l + 2n - 1] = ||Y(a) - Y(a + l)||^2`` for ``|l| < 2n`` costs
``O(T n k c)`` once; in it, the reference-reference, test-test and
test-reference distance matrices of consecutive time points are plain strided
views (address linear in ``t``, row and column), so nothing is gathered.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

__all__ = ["hankel_lag_table", "block_views", "n_change_points"]


def n_change_points(n_samples: int, k: int, n: int) -> int:
    """Number of time points with a full reference and test set: ``T - 2n - k + 2``.

    >>> n_change_points(240, 10, 50)
    132
    """
    return n_samples - 2 * n - k + 2


def hankel_lag_table(series: np.ndarray, k: int, n: int) -> np.ndarray:
    """Squared distances between subsequences less than ``2n`` lags apart.

    Parameters
    ----------
    series : ndarray of shape (m, c, T)
        ``m`` independent series of ``c`` channels.
    k, n : int
        Subsequence length and number of subsequences per set.

    Returns
    -------
    table : ndarray of shape (m, T - k + 1, 4n - 1)
        ``table[s, a, l + 2n - 1] = ||Y_s(a) - Y_s(a + l)||^2`` for
        ``-2n < l < 2n`` where ``0 <= a + l <= T - k``; entries outside that
        range are zero and never read.

    Examples
    --------
    >>> y = np.arange(6.0).reshape(1, 1, 6)
    >>> hankel_lag_table(y, k=2, n=1)[0, :, 2]  # lag +1
    array([2., 2., 2., 2., 0.])
    """
    m, c, T = series.shape
    n_sub = T - k + 1
    center = 2 * n - 1
    table = np.zeros((m, n_sub, 4 * n - 1))
    for lag in range(1, 2 * n):
        width = n_sub - lag
        if width <= 0:
            break
        diff = series[:, :, lag:] - series[:, :, :-lag]  # (m, c, T - lag)
        d = np.einsum("mct,mct->mt", diff, diff)
        run = sliding_window_view(d, k, axis=1).sum(axis=2)  # (m, width)
        table[:, :width, center + lag] = run
        table[:, lag:, center - lag] = run
    return table


def block_views(table: np.ndarray, t0: int, t1: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strided views of the distance blocks for time points ``t0 <= t < t1``.

    ``table`` is one series' lag table (2-D, C-contiguous, any float dtype,
    e.g. already turned into kernel values). Returns read-only views of shape
    ``(t1 - t0, n, n)``:

    * ``ref_ref[t, i, j] = D(Y(t+i), Y(t+j))``
    * ``test_test[t, i, j] = D(Y(t+n+i), Y(t+n+j))``
    * ``test_ref[t, i, j] = D(Y(t+n+i), Y(t+j))``
    """
    if not table.flags.c_contiguous or table.ndim != 2:
        raise ValueError("table must be a C-contiguous 2-D lag table.")
    n_sub, W = table.shape
    if t0 < 0 or t1 > n_sub - 2 * n + 1 or t1 < t0:
        raise ValueError(f"time points [{t0}, {t1}) out of range for {n_sub} subsequences and n={n}.")
    center = 2 * n - 1
    flat = table.reshape(-1)
    isz = table.itemsize
    strides = (W * isz, (W - 1) * isz, isz)
    shape = (t1 - t0, n, n)

    def view(start: int) -> np.ndarray:
        return as_strided(flat[start:], shape=shape, strides=strides, writeable=False)

    ref_ref = view(t0 * W + center)
    test_test = view((t0 + n) * W + center)
    test_ref = view((t0 + n) * W + center - n)
    return ref_ref, test_test, test_ref
