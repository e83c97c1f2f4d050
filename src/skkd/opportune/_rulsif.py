"""Relative unconstrained least-squares importance fitting (RuLSIF).

Estimates the alpha-relative density ratio ``r(z) = p(z) / (alpha p(z) + (1 -
alpha) q(z))`` of a sample ``x ~ p`` against a sample ``y ~ q`` with Gaussian
kernels centred on points of ``x``, a closed-form ridge solution ``theta``, and
the alpha-relative Pearson divergence estimate of Liu, Yamada, Collier and
Sugiyama (Neural Networks 43, 2013).

The formulas follow the reference implementation ``densratio`` 0.4
(``densratio/RuLSIF.py``) exactly, so that results agree to rounding (the ridge
``lambda`` is the parameter ``ridge`` here):

* ``H = alpha Phi_x' Phi_x / n_x + (1 - alpha) Phi_y' Phi_y / n_y``,
  ``h = mean(Phi_x)``, ``theta = max(0, (H + lambda I)^-1 h)`` (``nonneg='clip'``);
* ``PE = (-alpha g_x.g_x / 2 - (1 - alpha) g_y.g_y / 2 + sum g_x) / n_x - 1/2``
  with ``g = Phi theta`` (``n_x`` divides every term, as in densratio);
* the sigma x lambda grid search uses densratio's leave-one-out formula (the
  uLSIF closed form of Kanamori et al. 2009 with ``H`` alpha-weighted and the
  ridge scaled by ``(n_y - 1) / n_y``; note densratio, unlike Kanamori's code,
  does not divide the second term of ``B1`` by ``denom``), the first minimum in
  sigma-major order wins.

Clipping the ridge solution is what densratio does, but it is not a
non-negative least-squares solution: when the kernel matrix is ill-conditioned
(wide kernels, many centres, a small ridge) the unconstrained ``theta`` has large
weights of both signs that cancel, clipping removes the negative ones, and the
fitted ratio ``g`` blows up, so the PE estimate falls far below zero (-10 and
lower for a clear level shift, where the true divergence is several units
above zero). ``nonneg='refit'`` (:func:`refit_nonneg`) instead drops the
centres with negative weights and refits the rest until every weight is
non-negative. ``theta`` then minimises the regularised objective
``J(theta) = theta' (H + lambda I) theta / 2 - h' theta`` on a subspace that
contains 0, so ``J(theta) <= J(0) = 0`` and, for equal sample sizes (the change
scores), ``PE = h' theta / 2 + lambda |theta|^2 / 2 - 1/2 >= -1/2`` by
construction. The change scores use ``'refit'``; ``'clip'`` is the reference.

Every function here works on a *batch* of independent problems (leading axis),
which is what makes the change scores fast; the single-problem
:func:`relative_density_ratio` is the same code with a batch of one.

Where the time goes (issue 17). At ``b = 50`` centres LAPACK's symmetric
eigensolver costs about twenty Cholesky factorisations, so the leave-one-out
search factorises ``H + lambda I`` once per lambda (:func:`_loo_chol`) rather
than sharing one eigendecomposition between the lambdas (:func:`loo_search`,
still used from :data:`EIGH_FROM` lambdas on, for items whose Cholesky fails,
and as the reference in the tests). :func:`select_and_fit` finishes a small
block of problems at a time (every width and ridge, then one fit at the
choice, reusing the normal equations), so the work arrays stay in cache.
:func:`profile_stages` reports the CPU time per stage
(``benchmarks/rulsif_speed.py`` prints it).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from numbers import Real
from typing import Sequence

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from threadpoolctl import threadpool_limits

from skkd.opportune._params import positive_grid
from skkd.utils._validation import POSITIVE_INT, POSITIVE_REAL

__all__ = ["DensityRatioFit", "gaussian_kernel", "refit_nonneg", "relative_density_ratio"]

NONNEG = ("refit", "clip")
"""How ``theta`` is kept non-negative (see the module docstring)."""


class _Stage:
    """Adds the CPU time of a ``with`` block to ``seconds[name]`` (see :func:`profile_stages`)."""

    __slots__ = ("seconds", "name", "start")

    def __init__(self, seconds, name):
        self.seconds, self.name = seconds, name

    def __enter__(self):
        self.start = time.thread_time()

    def __exit__(self, *exc):
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + time.thread_time() - self.start


_profile: dict | None = None


_NO_STAGE = nullcontext()


def _stage(name: str):
    return _NO_STAGE if _profile is None else _Stage(_profile, name)


@contextmanager
def profile_stages():
    """Collect CPU seconds per stage of the RuLSIF computations run inside the block.

    Yields a dict ``stage name -> seconds`` (thread CPU time, summed over
    threads); ``benchmarks/rulsif_speed.py`` prints it. Stages: ``kernel``,
    ``normal equations``, ``factorisation``, ``inverse``, ``leave-one-out``,
    ``fit``.

    >>> with profile_stages() as seconds:
    ...     _ = relative_density_ratio(np.zeros((5, 1)), np.ones((5, 1)), sigma=[1.0, 2.0])
    >>> sorted(seconds)
    ['factorisation', 'inverse', 'leave-one-out', 'normal equations']
    """
    global _profile
    previous, _profile = _profile, {}
    try:
        yield _profile
    finally:
        _profile = previous


_THREADS_LOCK = threading.Lock()
_threads_state = {"users": 0, "torch": 1}


@contextmanager
def one_thread_each():
    """Hold BLAS/LAPACK (numpy's and torch's) to one thread while the block runs.

    Thousands of small matrices are factorised one after another; a threaded
    BLAS only adds synchronisation to each (torch's triangular solves become
    ten times slower with two threads on two busy cores). The change scores
    run their own worker threads instead. torch's thread count is global: it
    is set to 1 for the first concurrent user and restored after the last.
    """
    with _THREADS_LOCK:
        if _threads_state["users"] == 0:
            _threads_state["torch"] = torch.get_num_threads()
            if _threads_state["torch"] != 1:
                torch.set_num_threads(1)
        _threads_state["users"] += 1
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        with _THREADS_LOCK:
            _threads_state["users"] -= 1
            if _threads_state["users"] == 0 and _threads_state["torch"] != 1:
                torch.set_num_threads(_threads_state["torch"])


def gaussian_kernel(sq_dist: np.ndarray, sigma) -> np.ndarray:
    """Gaussian kernel ``exp(-d / (2 sigma^2))`` of squared distances ``d``.

    ``sigma`` is a scalar or broadcasts against ``sq_dist`` (e.g. one width a
    batch item, shape ``(B, 1, 1)``).

    >>> gaussian_kernel(np.array([0.0, 2.0]), 1.0).round(4)
    array([1.    , 0.3679])
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    return np.exp(sq_dist * (-0.5 / sigma**2))


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared Euclidean distances between rows, ``(..., n, d) x (..., m, d)``.

    Computed as a sum of squared differences (no cancellation), as densratio does.

    >>> squared_distances(np.zeros((1, 2)), np.ones((2, 2)))
    array([[2., 2.]])
    """
    diff = a[..., :, None, :] - b[..., None, :, :]
    return np.einsum("...ijk,...ijk->...ij", diff, diff)


def fit_theta(phi_x: np.ndarray, phi_y: np.ndarray, alpha: float, ridge, nonneg: str = "clip") -> np.ndarray:
    """Non-negative kernel weights ``theta`` for a batch, shape ``(B, b)``.

    ``phi_x`` is ``(B, n_x, b)`` (kernel of the numerator sample against the
    centres), ``phi_y`` is ``(B, n_y, b)``; ``ridge`` is a scalar or ``(B,)``.
    ``nonneg='clip'`` clips the ridge solution at 0 (densratio);
    ``'refit'`` refits without the clipped centres (:func:`refit_nonneg`).
    """
    b = phi_x.shape[2]
    A = _normal_matrix(phi_x, phi_y, alpha)
    lam = np.broadcast_to(np.asarray(ridge, dtype=np.float64), (A.shape[0],))
    A[:, np.arange(b), np.arange(b)] += lam[:, None]
    return theta_from_normal(A, phi_x.mean(axis=1), nonneg)


def theta_from_normal(A: np.ndarray, h: np.ndarray, nonneg: str = "clip") -> np.ndarray:
    """Non-negative ``theta`` (``(B, b)``) from the normal equations ``A theta = h`` (ridge included in ``A``).

    >>> theta_from_normal(np.array([[[1.0, 0.9], [0.9, 1.0]]]), np.array([[1.0, 0.5]]), "refit")
    array([[1., 0.]])
    """
    theta = np.linalg.solve(A, h[..., None])[..., 0]
    if nonneg == "refit":
        return refit_nonneg(A, h, theta)
    np.maximum(theta, 0.0, out=theta)
    return theta


def refit_nonneg(A: np.ndarray, h: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Non-negative weights by dropping negative ones and refitting the rest.

    ``theta`` (``(B, b)``) is the minimiser of ``theta' A theta / 2 - h' theta``,
    ``A`` (``(B, b, b)``, ridge included) symmetric positive definite. While an
    item has negative weights, those centres are removed (weight 0) and the
    problem is solved again on the remaining ones; every round removes at least
    one centre, so there are at most ``b`` rounds (two or three in practice),
    and only the items that still have negative weights are solved again. The
    result is the exact minimiser on the final support, hence
    ``J(theta) <= J(0) = 0``. Items without negative weights are unchanged, so
    where clipping does nothing both options agree. ``theta`` is not modified.

    >>> A = np.array([[[1.0, 0.9], [0.9, 1.0]]])
    >>> h = np.array([[1.0, 0.5]])
    >>> refit_nonneg(A, h, np.linalg.solve(A, h[..., None])[..., 0])
    array([[1., 0.]])
    """
    theta = np.array(theta, dtype=np.float64)
    todo = np.flatnonzero((theta < 0).any(axis=1))
    if todo.size:
        diag = np.arange(theta.shape[1])
        active = np.ones(theta.shape, dtype=bool)
        while todo.size:
            active[todo] &= theta[todo] >= 0
            keep = active[todo]
            A_t = np.where(keep[:, :, None] & keep[:, None, :], A[todo], 0.0)
            A_t[:, diag, diag] = np.where(keep, A_t[:, diag, diag], 1.0)
            theta[todo] = np.linalg.solve(A_t, np.where(keep, h[todo], 0.0)[..., None])[..., 0]
            todo = todo[(theta[todo] < 0).any(axis=1)]
    np.maximum(theta, 0.0, out=theta)  # turns -0.0 into 0.0
    return theta


def pe_divergence(
    phi_x: np.ndarray, phi_y: np.ndarray, theta: np.ndarray, alpha: float
) -> np.ndarray:
    """alpha-relative Pearson divergence estimate for a batch, shape ``(B,)``."""
    g_x = np.einsum("bnk,bk->bn", phi_x, theta)
    g_y = np.einsum("bnk,bk->bn", phi_y, theta)
    n_x = phi_x.shape[1]
    return (
        -alpha * np.einsum("bn,bn->b", g_x, g_x) / 2.0
        - (1.0 - alpha) * np.einsum("bn,bn->b", g_y, g_y) / 2.0
        + g_x.sum(axis=1)
    ) / n_x - 0.5


def _normal_matrix(phi_x: np.ndarray, phi_y: np.ndarray, alpha: float) -> np.ndarray:
    n_x, n_y = phi_x.shape[1], phi_y.shape[1]
    H = phi_x.transpose(0, 2, 1) @ phi_x
    H *= alpha / n_x
    Hy = phi_y.transpose(0, 2, 1) @ phi_y
    Hy *= (1.0 - alpha) / n_y
    H += Hy
    return H


LOO_BLOCK = 64
"""Batch items per leave-one-out block: keeps the ``(block, n, b)`` work arrays in cache."""


def loo_search(
    phi_x: np.ndarray, phi_y: np.ndarray, alpha: float, lambdas: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """densratio's leave-one-out score and the fitted PE for each lambda.

    One eigendecomposition ``H = U diag(w) U'`` per batch item serves every
    lambda (``(H + lambda I)^-1 = U diag(1 / (w + lambda)) U'``), so a lambda
    costs one batched ``(n, b) @ (b, b)`` product (the clipping of the
    leave-one-out weights needs them in the original basis) plus ``O(b n)``
    work. Items are processed in blocks of :data:`LOO_BLOCK` so the work arrays
    stay in cache; samples are kept as rows (``(B, n, b)``) so every reduction
    runs over the contiguous last axis.

    Returns
    -------
    cv : ndarray of shape (B, n_lambdas)
        Leave-one-out squared loss (lower is better).
    pe : ndarray of shape (B, n_lambdas)
        alpha-relative PE divergence of the full fit with that lambda
        (densratio's clipped ``theta``).
    """
    B = phi_x.shape[0]
    cv = np.empty((B, len(lambdas)))
    pe = np.empty((B, len(lambdas)))
    for i0 in range(0, B, LOO_BLOCK):
        i1 = min(B, i0 + LOO_BLOCK)
        cv[i0:i1], pe[i0:i1] = _loo_block(phi_x[i0:i1], phi_y[i0:i1], alpha, lambdas)
    return cv, pe


def _loo_block(phi_x, phi_y, alpha, lambdas):
    n_x, b = phi_x.shape[1:]
    n_y = phi_y.shape[1]
    n_min = min(n_x, n_y)
    H, h = normal_equations(phi_x, phi_y, alpha)
    with _stage("factorisation"):
        evals, U = np.linalg.eigh(H)
    Ut = U.transpose(0, 2, 1)
    with _stage("leave-one-out"):
        X, Y = phi_x[:, :n_min], phi_y[:, :n_min]  # (B, n_min, b): samples as rows
        Xq, Yq = X @ U, Y @ U  # rows of U'X and U'Y
        hq = np.einsum("bk,bkj->bj", h, U)
    scale = (n_y - 1) / (n_y * (n_x - 1))
    cv = np.empty((phi_x.shape[0], len(lambdas)))
    pe = np.empty_like(cv)
    for j, lam in enumerate(lambdas):
        with _stage("leave-one-out"):
            D = 1.0 / (evals + lam * (n_y - 1) / n_y)  # (B, b)
            DY = Yq * D[:, None, :]  # rows of D U'Y
            denom = n_y - np.einsum("bnk,bnk->bn", Yq, DY)
            c0 = np.einsum("bk,bnk->bn", hq, DY) / denom  # h' B^-1 y_i / denom
            c1 = np.einsum("bnk,bnk->bn", Xq, DY)  # x_i' B^-1 y_i
            M = Yq * (n_x * c0 - c1)[:, :, None]
            M += n_x * hq[:, None, :]
            M -= Xq
            M *= D[:, None, :] * scale
            B2 = M @ Ut  # rows of densratio's B2 (one per left-out pair)
            np.maximum(B2, 0.0, out=B2)
            r_y = np.einsum("bnk,bnk->bn", Y, B2)
            r_x = np.einsum("bnk,bnk->bn", X, B2)
            cv[:, j] = (np.einsum("bn,bn->b", r_y, r_y) / 2.0 - r_x.sum(axis=1)) / n_min
        with _stage("fit"):
            theta = np.einsum("bkj,bj->bk", U, hq / (evals + lam))
            np.maximum(theta, 0.0, out=theta)
            pe[:, j] = pe_divergence(phi_x, phi_y, theta, alpha)
    return cv, pe


BLOCK = 16
"""Time points per block of the Cholesky leave-one-out: its work arrays (all lambdas) stay in L2."""

FIT_BLOCK = 64
"""Time points per block without a search (one fit each): larger blocks, less Python overhead."""

EIGH_FROM = 8
"""From this many lambdas on, the leave-one-out shares one eigendecomposition between them."""


def loo_cv(phi_x: np.ndarray, phi_y: np.ndarray, alpha: float, lambdas: Sequence[float]) -> np.ndarray:
    """densratio's leave-one-out score for each lambda, shape ``(B, n_lambdas)``.

    The same numbers as :func:`loo_search` (to rounding), by a Cholesky
    factorisation per lambda (:func:`_loo_chol`) in blocks of :data:`BLOCK`
    items, or, from :data:`EIGH_FROM` lambdas on, by one eigendecomposition.
    """
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if lambdas.size >= EIGH_FROM:
        return loo_search(phi_x, phi_y, alpha, lambdas)[0]
    cv = np.empty((phi_x.shape[0], lambdas.size))
    for i0 in range(0, phi_x.shape[0], BLOCK):
        px, py = phi_x[i0 : i0 + BLOCK], phi_y[i0 : i0 + BLOCK]
        H, h = normal_equations(px, py, alpha)
        cv[i0 : i0 + BLOCK] = _loo_chol(H, h, px, py, alpha, lambdas)
    return cv


def normal_equations(
    phi_x: np.ndarray, phi_y: np.ndarray, alpha: float, x_symmetric: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``H`` (``(B, b, b)``, no ridge) and ``h`` (``(B, b)``) of a batch; the kernels may be strided views.

    ``x_symmetric``: ``phi_x`` is symmetric (centres = the numerator sample),
    so ``phi_x' phi_x = phi_x phi_x`` (a product without transpose, faster).
    """
    with _stage("normal equations"):
        if not x_symmetric:
            return _normal_matrix(phi_x, phi_y, alpha), phi_x.mean(axis=1)
        n_x, n_y = phi_x.shape[1], phi_y.shape[1]
        H = phi_x @ phi_x
        H *= alpha / n_x
        Hy = phi_y.transpose(0, 2, 1) @ phi_y
        Hy *= (1.0 - alpha) / n_y
        H += Hy
        return H, phi_x.mean(axis=1)


def _loo_chol(H, h, phi_x, phi_y, alpha, lambdas):
    """Leave-one-out scores ``(B, n_lambdas)`` of a small batch, a Cholesky factorisation per lambda.

    With ``B = H + lambda (n_y - 1) / n_y I = L L'`` the explicit
    ``B^-1 = L^-T L^-1`` (LAPACK's ``potri``: half the time of a triangular
    solve against the identity followed by ``L^-T L^-1``) and one product ``[Y; n_x h - X] B^-1`` (samples as
    rows) give every left-out pair's weight vector; the scalar terms of
    densratio's formula are row dot products. All lambdas go through each call
    at once (a ``(B, n_lambdas, b, b)`` stack). LAPACK's ``syevd`` costs about
    twenty ``potrf`` at ``b = 50``, so for a few lambdas this is cheaper than
    one shared eigendecomposition. Items whose ``B`` is not numerically
    positive definite (a ridge below the rounding of ``H``) are redone by the
    eigendecomposition route.
    """
    Bk, n_x, b = phi_x.shape
    n_y = phi_y.shape[1]
    n_min = min(n_x, n_y)
    nl = lambdas.size
    with _stage("factorisation"):
        A = np.repeat(H[:, None], nl, axis=1)  # (Bk, nl, b, b)
        diag = np.arange(b)
        A[:, :, diag, diag] += (lambdas * ((n_y - 1) / n_y))[None, :, None]
        L, info = torch.linalg.cholesky_ex(torch.from_numpy(A).view(Bk * nl, b, b))
    with _stage("inverse"):
        failed = info != 0
        if failed.any():  # LAPACK's potri refuses their partial factors; redone below anyway
            L[failed] = torch.eye(b, dtype=torch.float64)
        Binv = torch.cholesky_inverse(L).numpy().reshape(Bk, nl, b, b)
    # a failed factorisation leaves NaN behind; those items are redone below, quietly
    with _stage("leave-one-out"), np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # rows y_i, x_i and n_x h - x_i: one product gives (B^-1 y_i)' and (B^-1 (n_x h - x_i))'
        YX = np.empty((Bk, 2, n_min, b))
        YX[:, 0] = phi_y[:, :n_min]
        YX[:, 1] = phi_x[:, :n_min]
        R = np.empty((Bk, 1, 2 * n_min, b))
        R[:, 0, :n_min] = YX[:, 0]
        np.subtract(n_x * h[:, None, :], YX[:, 1], out=R[:, 0, n_min:])
        G = R @ Binv  # (Bk, nl, 2 n_min, b)
        GY, GXh = G[:, :, :n_min], G[:, :, n_min:]
        d = np.einsum("bsnk,blnk->blsn", YX, GY)  # y_i' B^-1 y_i and x_i' B^-1 y_i
        c0 = (GY @ h[:, None, :, None])[..., 0]  # h' B^-1 y_i
        coef = n_x * c0 / (n_y - d[:, :, 0]) - d[:, :, 1]
        np.multiply(GY, coef[..., None], out=GY)
        GY += GXh  # row i: densratio's (n_x B0 - B1) column i
        np.maximum(GY, 0.0, out=GY)
        r = np.einsum("bsnk,blnk->blsn", YX, GY)
        r *= (n_y - 1) / (n_y * (n_x - 1))
        cv = (np.einsum("bln,bln->bl", r[:, :, 0], r[:, :, 0]) / 2.0 - r[:, :, 1].sum(axis=2)) / n_min
    bad = np.flatnonzero((info.numpy().reshape(Bk, nl) != 0).any(axis=1) | ~np.isfinite(cv).all(axis=1))
    if bad.size:
        cv[bad] = _loo_block(phi_x[bad], phi_y[bad], alpha, lambdas)[0]
    return cv


def select_and_fit(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    alpha: float,
    lambdas: np.ndarray,
    nonneg: str,
    x_symmetric: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose (sigma, lambda) by leave-one-out for a small batch, then fit and score the choice.

    ``pairs[s]`` holds ``(phi_x, phi_y)`` at the ``s``-th kernel width, shapes
    ``(B, n_x, b)`` and ``(B, n_y, b)`` (views are fine; nothing is written).
    The first minimum in sigma-major order wins, as in densratio. The normal
    equations of every width are kept for the final fit, so each is formed
    once. With one width and one lambda there is no search. ``x_symmetric``
    says that every ``phi_x`` is symmetric (the centres are the numerator
    sample, in order), which saves a transpose in ``H``.

    Returns
    -------
    pe : ndarray of shape (B,)
        alpha-relative PE divergence of the chosen fit (weights kept
        non-negative by ``nonneg``).
    sigma_index, lambda_index : ndarray of shape (B,)
    """
    Bk = pairs[0][0].shape[0]
    rows = np.arange(Bk)
    s_idx = np.zeros(Bk, dtype=np.intp)
    l_idx = np.zeros(Bk, dtype=np.intp)
    normal = [normal_equations(px, py, alpha, x_symmetric) for px, py in pairs]
    if len(pairs) > 1 or lambdas.size > 1:
        best = np.full(Bk, np.inf)
        for si, ((px, py), (H, h)) in enumerate(zip(pairs, normal)):
            if lambdas.size >= EIGH_FROM:
                cv = loo_search(px, py, alpha, lambdas)[0]
            else:
                cv = _loo_chol(H, h, px, py, alpha, lambdas)
            if not np.isfinite(cv).all():
                raise FloatingPointError("RuLSIF cross-validation produced non-finite scores.")
            j = np.argmin(cv, axis=1)
            better = cv[rows, j] < best  # strict: the first minimum in sigma-major order wins
            best = np.where(better, cv[rows, j], best)
            s_idx = np.where(better, si, s_idx)
            l_idx = np.where(better, j, l_idx)
    with _stage("fit"):
        H, h = normal[0]  # reused as the buffers of the chosen widths' normal equations
        for si in range(1, len(pairs)):
            chosen = s_idx == si
            H[chosen], h[chosen] = normal[si][0][chosen], normal[si][1][chosen]
        b = H.shape[1]
        H[:, np.arange(b), np.arange(b)] += lambdas[l_idx][:, None]
        theta = theta_from_normal(H, h, nonneg)
        pe = np.empty(Bk)
        for si in np.unique(s_idx):
            idx = np.flatnonzero(s_idx == si)
            px, py = pairs[si]
            if idx.size < Bk:
                px, py = px[idx], py[idx]
            pe[idx] = pe_divergence(px, py, theta[idx], alpha)
    return pe, s_idx, l_idx


@dataclass(frozen=True)
class DensityRatioFit:
    """A fitted alpha-relative density ratio (see :func:`relative_density_ratio`).

    Attributes
    ----------
    alpha, sigma, ridge : float
        Mixture weight, kernel width and ridge actually used.
    centers : ndarray of shape (b, d)
        Kernel centres (points of ``x``).
    theta : ndarray of shape (b,)
        Non-negative kernel weights.
    alpha_pe : float
        alpha-relative Pearson divergence estimated on the fitting samples.
    """

    alpha: float
    sigma: float
    ridge: float
    centers: np.ndarray
    theta: np.ndarray
    alpha_pe: float

    def ratio(self, z) -> np.ndarray:
        """Density ratio at the rows of ``z`` (shape ``(m, d)`` or ``(m,)``)."""
        z = _as_sample(z, "z", self.centers.shape[1])
        return gaussian_kernel(squared_distances(z, self.centers), self.sigma) @ self.theta


def _as_sample(a, name: str, n_features: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array of samples: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (n_samples, n_features) array, got shape {arr.shape}.")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features; expected {n_features}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


@validate_params(
    {
        "x": ["array-like"],
        "y": ["array-like"],
        "alpha": [Interval(Real, 0, 1, closed="left")],
        "sigma": [POSITIVE_REAL, "array-like"],
        "ridge": [POSITIVE_REAL, "array-like"],
        "n_centers": [POSITIVE_INT],
        "centers": [None, "array-like"],
        "nonneg": [StrOptions(set(NONNEG))],
        "random_state": ["random_state", np.random.Generator],
    },
    prefer_skip_nested_validation=True,
)
def relative_density_ratio(
    x,
    y,
    *,
    alpha: float = 0.1,
    sigma: float | Sequence[float] = 1.0,
    ridge: float | Sequence[float] = 0.1,
    n_centers: int = 100,
    centers=None,
    nonneg: str = "clip",
    random_state=None,
) -> DensityRatioFit:
    """Fit the alpha-relative density ratio of ``x`` against ``y`` by RuLSIF.

    Parameters
    ----------
    x, y : array-like of shape (n_x, d) and (n_y, d)
        Samples from the numerator ``p`` and from ``q``.
    alpha : float in [0, 1)
        Mixture weight of ``p`` in the denominator (``alpha=0`` is uLSIF).
    sigma, ridge : float or sequence of float
        Kernel width and ridge; sequences are a grid searched by densratio's
        leave-one-out cross-validation.
    n_centers : int
        Number of kernel centres, at most ``n_x`` (densratio's ``kernel_num``).
    centers : array-like of shape (b, d), optional
        Explicit centres; by default ``n_centers`` rows of ``x`` drawn without
        replacement with ``random_state``.
    nonneg : {'clip', 'refit'}, default='clip'
        How ``theta`` is kept non-negative: ``'clip'`` clips the ridge
        solution at 0, exactly as densratio does (the reference);
        ``'refit'`` refits without the clipped centres, which keeps the PE
        estimate of equal-size samples at or above -1/2 where clipping can
        drive it far below zero (see :mod:`skkd.opportune._rulsif`).
    random_state : int, Generator or None
        Seeds the choice of centres.

    Returns
    -------
    DensityRatioFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fit = relative_density_ratio(rng.normal(size=(60, 1)), rng.normal(1, 1, size=(60, 1)),
    ...                              sigma=1.0, ridge=0.1, random_state=0)
    >>> bool(fit.alpha_pe > 0), fit.ratio([[0.0]]).shape
    (True, (1,))
    """
    alpha = float(alpha)
    x = _as_sample(x, "x")
    y = _as_sample(y, "y", x.shape[1])
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("x and y need at least 2 samples each.")
    sigmas = positive_grid("relative_density_ratio", "sigma", sigma)
    lambdas = positive_grid("relative_density_ratio", "ridge", ridge)
    if centers is None:
        b = min(int(n_centers), x.shape[0])
        idx = np.random.default_rng(random_state).choice(x.shape[0], size=b, replace=False)
        centers = x[idx]
    else:
        centers = _as_sample(centers, "centers", x.shape[1])
    dx = squared_distances(x, centers)[None]
    dy = squared_distances(y, centers)[None]
    if sigmas.size == 1 and lambdas.size == 1:
        s_best, l_best = sigmas[0], lambdas[0]
    else:
        scores = np.stack(
            [loo_cv(gaussian_kernel(dx, s), gaussian_kernel(dy, s), alpha, lambdas)[0] for s in sigmas]
        )
        if not np.isfinite(scores).all():
            raise ValueError("cross-validation produced non-finite scores; check the sigma/lambda grid.")
        i, j = np.unravel_index(np.argmin(scores), scores.shape)
        s_best, l_best = sigmas[i], lambdas[j]
    phi_x, phi_y = gaussian_kernel(dx, s_best), gaussian_kernel(dy, s_best)
    theta = fit_theta(phi_x, phi_y, alpha, l_best, nonneg)
    pe = pe_divergence(phi_x, phi_y, theta, alpha)
    return DensityRatioFit(
        alpha=alpha,
        sigma=float(s_best),
        ridge=float(l_best),
        centers=centers,
        theta=theta[0],
        alpha_pe=float(pe[0]),
    )
