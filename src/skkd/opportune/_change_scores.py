"""RuLSIF change-point scores of multichannel series, all time points at once.

At each time point ``t`` the ``n`` Hankel subsequences (length ``k``) starting
at ``t, ..., t+n-1`` form the reference set and the next ``n`` the test set
(Liu, Yamada, Collier, Sugiyama 2013). The score is the alpha-relative Pearson
divergence estimated with the reference set as numerator sample and the test
set as denominator sample (densratio's ``x`` and ``y``) plus, when
``symmetric=True``, the same with the roles swapped. Instead of one RuLSIF fit per point, the
kernels come from one table of subsequence distances a series (its strided
views are every point's kernel blocks, nothing is copied out), and the normal
equations, leave-one-out searches and fits of a block of points are batched
(see :mod:`skkd.opportune._rulsif`), which gives densratio's numbers much
faster, with memory bounded by ``chunk_size``; chunks run on ``n_jobs``
threads.

Two defaults differ from a plain densratio loop, because with densratio's
clipped weights and the plain median heuristic a clear change could score far
*below* zero (-10 and lower for a 3-sigma level shift in 120-sample windows):

* the kernel weights are made non-negative by refitting without the clipped
  centres (``nonneg='refit'``), not by clipping the ridge solution, so each
  direction's PE estimate is at least -1/2 and a symmetric score at least -1
  by construction (see :mod:`skkd.opportune._rulsif`);
* ``sigma='median'`` uses half the median heuristic (:data:`MEDIAN_FACTOR`,
  a kernel value of ``exp(-2)`` at the median distance), and the heuristic
  counts only subsequences ``n`` or more samples apart (see
  :func:`median_heuristic`). At the full median most kernel values lie in
  about ``[exp(-2), 1]``, the kernel matrix is nearly constant and a change in
  spread (variance) barely shows. Narrower kernels (0.3-0.4 times the
  median) rank variance shifts in white noise better still, but lose level
  shifts (0.3) and rank the changes of the smooth
  :func:`~skkd.datasets.make_affective_sessions` recordings less well.

``nonneg='clip', sigma_factors=(1.0,)`` gives densratio's numbers exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from typing import NamedTuple, Sequence

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd.opportune._hankel import block_views, hankel_lag_table, n_change_points
from skkd.opportune._params import positive_grid
from skkd.utils._validation import refuse_bools
from skkd.opportune._rulsif import BLOCK, FIT_BLOCK, NONNEG, _stage, one_thread_each, select_and_fit
from skkd.utils._validation import POSITIVE_INT, POSITIVE_REAL, invalid_parameter

__all__ = ["ChangeScores", "MEDIAN_FACTOR", "rulsif_change_scores", "median_heuristic"]

MEDIAN_FACTOR = 0.5
"""Kernel width of ``sigma='median'`` without ``sigma_factors``, as a multiple of the median heuristic."""


class ChangeScores(NamedTuple):
    """Change scores of one series.

    Attributes
    ----------
    score : ndarray of shape (P,)
        Symmetric (or forward) alpha-relative PE divergence at each point. The
        true divergence lies in ``[0, 1/alpha - 1]`` (symmetric; half that
        forward); with ``nonneg='refit'`` the estimate lies in
        ``[-1, 1/alpha - 1]`` (``[-1/2, (1/alpha - 1)/2]`` forward) by
        construction.
    index : ndarray of shape (P,)
        Sample index each score belongs to: ``t + n + (k - 1) // 2``, where a
        step change at that sample gives the peak.
    sigma, ridge : ndarray of shape (P,)
        Kernel width and ridge used at each point (selected by
        cross-validation when grids were given; the forward fit's choice).
    """

    score: np.ndarray
    index: np.ndarray
    sigma: np.ndarray
    ridge: np.ndarray


#: constraints of the RuLSIF parameters shared by :func:`rulsif_change_scores` and
#: :class:`~skkd.opportune.RuLSIFOpportuneSelector`; :func:`check_rulsif_params` adds the rest
RULSIF_CONSTRAINTS: dict = {
    "k": [POSITIVE_INT],
    "n": [POSITIVE_INT],
    "alpha": [Interval(Real, 0, 1, closed="left")],
    "sigma": [StrOptions({"median"}), POSITIVE_REAL, "array-like"],
    "sigma_factors": [None, POSITIVE_REAL, "array-like"],
    "ridge": [POSITIVE_REAL, "array-like"],
    "n_centers": [POSITIVE_INT],
    "standardize": ["boolean"],
    "nonneg": [StrOptions(set(NONNEG))],
    "chunk_size": [POSITIVE_INT],
    "n_jobs": [Integral, None],
    "random_state": ["random_state", np.random.Generator],
}


def check_rulsif_params(
    owner, *, k, n, alpha, sigma, sigma_factors, ridge, n_centers, nonneg, chunk_size
) -> dict:
    """What :data:`RULSIF_CONSTRAINTS` cannot say; the parameters as :func:`change_scores_batch` takes them.

    Run after the constraints: refuses booleans as counts, grids with a value
    that is not finite and positive, ``sigma_factors`` without
    ``sigma='median'`` and a grid search with ``n < 2``.
    """
    refuse_bools(owner, k=k, n=n, n_centers=n_centers, chunk_size=chunk_size)
    if isinstance(sigma, str):  # 'median'
        sigmas = None
        factors = (
            np.full(1, MEDIAN_FACTOR) if sigma_factors is None else positive_grid(owner, "sigma_factors", sigma_factors)
        )
    elif sigma_factors is not None:
        raise invalid_parameter(owner, "sigma_factors", "None unless sigma='median'", sigma_factors)
    else:
        sigmas, factors = positive_grid(owner, "sigma", sigma), None
    lambdas = positive_grid(owner, "ridge", ridge)
    grid_size = lambdas.size * (sigmas.size if sigmas is not None else factors.size)
    if grid_size > 1 and n < 2:
        raise invalid_parameter(
            owner, "n", "an int >= 2 when sigma or ridge is a grid (leave-one-out cross-validation)", n
        )
    return dict(
        k=int(k), n=int(n), alpha=float(alpha), sigmas=sigmas, factors=factors, lambdas=lambdas,
        n_centers=int(n_centers), nonneg=nonneg, chunk_size=int(chunk_size),
    )


def as_series_batch(X, *, name: str = "x", k: int, n: int) -> np.ndarray:
    """Validate series as a float array of shape (m, c, T)."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from exc
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (m, c, T), got {arr.shape}.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has no series or no channels (shape {arr.shape}).")
    need = 2 * n + k - 1
    if arr.shape[2] < need:
        raise ValueError(
            f"{name} has {arr.shape[2]} samples per series; RuLSIF with k={k}, n={n} needs at least "
            f"2n + k - 1 = {need}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; impute or drop them first.")
    return arr


def _standardize(series: np.ndarray, name: str) -> np.ndarray:
    mean = series.mean(axis=2, keepdims=True)
    std = series.std(axis=2, keepdims=True)
    constant = std[:, :, 0] <= 1e-12 * np.maximum(1.0, np.abs(mean[:, :, 0]))
    std = np.where(constant[:, :, None], 1.0, std)
    out = (series - mean) / std
    out[constant] = 0.0
    _raise_if_constant(constant.all(axis=1), name)
    return out


def _raise_if_constant(flags: np.ndarray, name: str) -> None:
    if flags.any():
        bad = np.flatnonzero(flags)
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise ValueError(
            f"{name}: {bad.size} series are constant (indices {shown}); a change score is undefined "
            "on a constant signal."
        )


def _median_sigma(table: np.ndarray, k: int, n: int, T: int, name: str) -> np.ndarray:
    """Per-series median heuristic from lag tables ``(m, n_sub, 4n-1)``: lags ``n .. 2n-1``."""
    n_sub = table.shape[1]
    lags = np.arange(n, 2 * n)
    valid = np.arange(n_sub)[:, None] <= (T - k - lags)[None, :]  # (n_sub, n)
    values = table[:, :, 3 * n - 1 : 4 * n - 1][:, valid]  # (m, count)
    med = np.median(values, axis=1)
    for s in np.flatnonzero(med <= 0):  # over half the pairs coincide: use the distinct ones
        pos = values[s][values[s] > 0]
        med[s] = np.median(pos) if pos.size else 0.0
    _raise_if_constant(med <= 0, name)
    return np.sqrt(med)


@validate_params(
    {"x": ["array-like"], "k": [POSITIVE_INT], "n": [POSITIVE_INT], "standardize": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def median_heuristic(x, *, k: int = 10, n: int = 50, standardize: bool = True) -> float:
    """Median distance between Hankel subsequences ``n`` to ``2n - 1`` samples apart.

    A reference and a test subsequence of one time point are ``n`` samples
    apart on average. Closer pairs are left out: subsequences of a smooth
    (autocorrelated) signal a few samples apart are nearly equal, and
    counting them would shrink the width on smooth signals (on white noise
    the lag makes no difference).

    ``sigma='median'`` uses it times ``sigma_factors`` (by default times
    :data:`MEDIAN_FACTOR` = 0.5).

    >>> x = np.sin(np.linspace(0, 20, 400))
    >>> round(median_heuristic(x, k=5, n=20), 3) > 0
    True
    """
    refuse_bools("median_heuristic", k=k, n=n)
    series = _as_single_series(x, k=k, n=n)
    if standardize:
        series = _standardize(series, "x")
    table = hankel_lag_table(series, k, n)
    return float(_median_sigma(table, k, n, series.shape[2], "x")[0])


def _as_single_series(x, *, k: int, n: int) -> np.ndarray:
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"x must have shape (T,) or (c, T) (channels first), got {np.shape(x)}.")
    return as_series_batch(arr[None], name="x", k=k, n=n)


def _centre_choice(rng, n_points: int, n: int, b: int) -> np.ndarray | None:
    """Per-point kernel centres (column indices), or None when all n are used."""
    if b >= n:
        return None
    return np.argsort(rng.random((n_points, n)), axis=1)[:, :b]


def _columns(K: np.ndarray, cols: np.ndarray | None) -> np.ndarray:
    return K if cols is None else np.take_along_axis(K, cols[:, None, :], axis=2)


def _chunks(m: int, P: int, chunk_size: int):
    """Split the (series, time point) grid into chunks of <= chunk_size points."""
    chunk, size = [], 0
    for s in range(m):
        t0 = 0
        while t0 < P:
            t1 = min(P, t0 + chunk_size - size)
            chunk.append((s, t0, t1))
            size += t1 - t0
            t0 = t1
            if size == chunk_size:
                yield chunk
                chunk, size = [], 0
    if chunk:
        yield chunk


def _direction(K_rr, K_tt, K_tr, backward: bool, cols):
    """(numerator, denominator) kernels of one direction; views unless centres are drawn."""
    if backward:
        return _columns(K_tt, cols), _columns(K_tr.transpose(0, 2, 1), cols)
    return _columns(K_rr, cols), _columns(K_tr, cols)


def _score_chunk(kernels, grid, chunk, n, alpha, lambdas, cols_f, cols_b, symmetric, nonneg, name):
    """Scores of one chunk of points: (pe, sigma, lambda), each ``(n_pts,)``.

    Points go in blocks of :data:`~skkd.opportune._rulsif.BLOCK`; a block is
    finished (every width and ridge, both directions, the final fit) before
    the next, reading the kernel tables through strided views, so its work
    stays in cache and nothing is gathered.
    """
    n_pts = sum(t1 - t0 for _, t0, t1 in chunk)
    pe_total = np.zeros(n_pts)
    s_sel = np.zeros(n_pts, dtype=np.intp)
    l_sel = np.zeros(n_pts, dtype=np.intp)
    s_of = np.concatenate([np.full(t1 - t0, s) for s, t0, t1 in chunk])
    block = BLOCK if grid.shape[1] * lambdas.size > 1 else FIT_BLOCK
    pos = 0
    for s, t0, t1 in chunk:
        views = [block_views(kernels[s, si], t0, t1, n) for si in range(grid.shape[1])]
        for b0 in range(0, t1 - t0, block):
            part = slice(b0, min(t1 - t0, b0 + block))
            out = slice(pos + part.start, pos + part.stop)
            for backward in (False, True) if symmetric else (False,):
                cols = cols_b if backward else cols_f
                cols = None if cols is None else cols[out]
                pairs = [_direction(rr[part], tt[part], tr[part], backward, cols) for rr, tt, tr in views]
                try:
                    pe, si, li = select_and_fit(pairs, alpha, lambdas, nonneg, x_symmetric=cols is None)
                except FloatingPointError as exc:
                    raise FloatingPointError(f"{name}: {exc}") from None
                pe_total[out] += pe
                if not backward:
                    s_sel[out], l_sel[out] = si, li
        pos += t1 - t0
    return pe_total, grid[s_of, s_sel], lambdas[l_sel]


def change_scores_batch(
    series: np.ndarray,
    *,
    k: int,
    n: int,
    alpha: float,
    sigmas: np.ndarray | None,
    factors: np.ndarray | None,
    lambdas: np.ndarray,
    n_centers: int,
    symmetric: bool,
    standardize: bool,
    chunk_size: int,
    random_state,
    n_jobs: int | None = None,
    nonneg: str = "refit",
    name: str = "x",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change scores of ``m`` equally long series, shape ``(m, P)`` (score, sigma, lambda).

    The sigma grid is per series (``sigmas``, or the series' median heuristic
    times ``factors``); leave-one-out selects (sigma, lambda) per point and
    direction, the returned sigma/lambda are the forward choice. Chunks run on
    ``n_jobs`` threads with BLAS/LAPACK held to one thread each (batched small
    matrices are slower, not faster, with threaded BLAS).
    """
    m, c, T = series.shape
    if standardize:
        series = _standardize(series, name)
    P = n_change_points(T, k, n)
    n_sub = T - k + 1
    W = 4 * n - 1
    b = min(n_centers, n)
    rng = np.random.default_rng(random_state)
    workers = effective_n_jobs(n_jobs)
    score = np.empty((m, P))
    sig_out = np.empty((m, P))
    lam_out = np.empty((m, P))
    # series per group: the lag tables of a group (times the grid) stay near 32 MB
    n_grid = sigmas.size if sigmas is not None else factors.size
    per_group = max(1, int(4_000_000 // (n_sub * W * (n_grid + 1))))
    with one_thread_each(), ThreadPoolExecutor(max_workers=workers) as pool:
        for g0 in range(0, m, per_group):
            g1 = min(m, g0 + per_group)
            table = hankel_lag_table(series[g0:g1], k, n)
            if sigmas is None:
                grid = _median_sigma(table, k, n, T, name)[:, None] * factors[None, :]
            else:
                grid = np.broadcast_to(sigmas, (g1 - g0, sigmas.size))
            # kernel tables, one per series and sigma: (g, S, n_sub, W)
            with _stage("kernel"):
                kernels = np.exp(table[:, None] * (-0.5 / grid**2)[:, :, None, None])
            del table
            jobs = []
            for chunk in _chunks(g1 - g0, P, chunk_size):
                n_pts = sum(t1 - t0 for _, t0, t1 in chunk)
                cols_f = _centre_choice(rng, n_pts, n, b)  # drawn in order: reproducible
                cols_b = _centre_choice(rng, n_pts, n, b) if symmetric else None
                args = (kernels, grid, chunk, n, alpha, lambdas, cols_f, cols_b, symmetric, nonneg, name)
                jobs.append((chunk, pool.submit(_score_chunk, *args)))
            for chunk, job in jobs:
                pe_total, sig_sel, lam_sel = job.result()
                pos = 0
                for s, t0, t1 in chunk:
                    w = t1 - t0
                    score[g0 + s, t0:t1] = pe_total[pos : pos + w]
                    sig_out[g0 + s, t0:t1] = sig_sel[pos : pos + w]
                    lam_out[g0 + s, t0:t1] = lam_sel[pos : pos + w]
                    pos += w
    if not np.isfinite(score).all():
        raise FloatingPointError(f"{name}: RuLSIF produced non-finite change scores.")
    return score, sig_out, lam_out


@validate_params(
    {"x": ["array-like"], "symmetric": ["boolean"], **RULSIF_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def rulsif_change_scores(
    x,
    *,
    k: int = 10,
    n: int = 50,
    alpha: float = 0.1,
    sigma: str | float | Sequence[float] = "median",
    sigma_factors: Sequence[float] | None = None,
    ridge: float | Sequence[float] = 0.1,
    n_centers: int = 100,
    symmetric: bool = True,
    standardize: bool = True,
    nonneg: str = "refit",
    chunk_size: int = 512,
    n_jobs: int | None = None,
    random_state=None,
) -> ChangeScores:
    """RuLSIF change-point scores of a (multichannel) series.

    Parameters
    ----------
    x : array-like of shape (T,) or (c, T)
        One series, channels first.
    k : int, default=10
        Subsequence (Hankel) length.
    n : int, default=50
        Number of subsequences in the reference and in the test set (at
        least 2 when sigma/ridge are cross-validated).
    alpha : float in [0, 1), default=0.1
        Relative-ratio mixture weight.
    sigma : 'median', float or sequence of float, default='median'
        Kernel width: half the median heuristic of the series (see
        ``sigma_factors``), a fixed width, or a grid searched by leave-one-out
        cross-validation at every point.
    sigma_factors : sequence of float, optional
        With ``sigma='median'``, search the grid ``median * sigma_factors``
        (one factor: no search). Default: ``(0.5,)`` (:data:`MEDIAN_FACTOR`);
        ``(1.0,)`` is the plain median heuristic.
    ridge : float or sequence of float, default=0.1
        Ridge, or a grid (searched jointly with sigma).
    n_centers : int, default=100
        Kernel centres ``b`` (at most ``n``; when ``n > b`` they are drawn
        without replacement from the numerator set with ``random_state``).
    symmetric : bool, default=True
        Add the backward divergence (test against reference).
    standardize : bool, default=True
        z-score each channel first, so channels with large units do not
        dominate the kernel (a constant channel becomes zero).
    nonneg : {'refit', 'clip'}, default='refit'
        How the kernel weights are kept non-negative: ``'refit'`` refits
        without the centres whose weight came out negative, so a score is
        never below -1 (-1/2 a direction); ``'clip'`` clips them at zero as
        densratio does, which can drive scores far below zero when the kernel
        matrix is ill-conditioned.
    chunk_size : int, default=512
        Time points per batch; memory grows linearly with it.
    n_jobs : int or None, default=None
        Threads that score chunks in parallel (``None`` is 1, ``-1`` all cores).
    random_state : int, Generator or None
        Seeds the centres when ``n > n_centers``.

    Returns
    -------
    ChangeScores
        ``score``, ``index`` (sample of each score), ``sigma``, ``ridge``.

    Raises
    ------
    ValueError
        NaN/inf values, a constant series, or fewer than ``2n + k - 1`` samples.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, 200), rng.normal(3, 1, 200)]
    >>> cs = rulsif_change_scores(x, k=5, n=25)
    >>> abs(int(cs.index[np.argmax(cs.score)]) - 200) < 15
    True
    """
    params = check_rulsif_params(
        "rulsif_change_scores", k=k, n=n, alpha=alpha, sigma=sigma, sigma_factors=sigma_factors,
        ridge=ridge, n_centers=n_centers, nonneg=nonneg, chunk_size=chunk_size,
    )
    series = _as_single_series(x, k=params["k"], n=params["n"])
    score, sig, lam = change_scores_batch(
        series,
        symmetric=bool(symmetric),
        standardize=bool(standardize),
        random_state=random_state,
        n_jobs=n_jobs,
        **params,
    )
    k, n = params["k"], params["n"]
    index = np.arange(score.shape[1]) + n + (k - 1) // 2
    return ChangeScores(score=score[0], index=index, sigma=sig[0], ridge=lam[0])
