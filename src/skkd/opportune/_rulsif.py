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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["DensityRatioFit", "gaussian_kernel", "refit_nonneg", "relative_density_ratio"]

NONNEG = ("refit", "clip")
"""How ``theta`` is kept non-negative (see the module docstring)."""


def check_nonneg(value) -> str:
    """Validate the ``nonneg`` option."""
    if not isinstance(value, str) or value not in NONNEG:
        raise ValueError(f"nonneg must be one of {NONNEG}, got {value!r}.")
    return value


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
    h = phi_x.mean(axis=1)
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
    H = _normal_matrix(phi_x, phi_y, alpha)
    evals, U = np.linalg.eigh(H)
    Ut = U.transpose(0, 2, 1)
    h = phi_x.mean(axis=1)  # (B, b)
    X, Y = phi_x[:, :n_min], phi_y[:, :n_min]  # (B, n_min, b): samples as rows
    Xq, Yq = X @ U, Y @ U  # rows of U'X and U'Y
    hq = np.einsum("bk,bkj->bj", h, U)
    scale = (n_y - 1) / (n_y * (n_x - 1))
    cv = np.empty((phi_x.shape[0], len(lambdas)))
    pe = np.empty_like(cv)
    for j, lam in enumerate(lambdas):
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
        theta = np.einsum("bkj,bj->bk", U, hq / (evals + lam))
        np.maximum(theta, 0.0, out=theta)
        pe[:, j] = pe_divergence(phi_x, phi_y, theta, alpha)
    return cv, pe


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


def _as_grid(value, name: str) -> np.ndarray:
    grid = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(f"{name} must be a positive number or a non-empty list of positive numbers, got {value!r}.")
    return grid


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
    if not 0.0 <= float(alpha) < 1.0:
        raise ValueError(f"alpha must be in [0, 1), got {alpha!r}.")
    alpha = float(alpha)
    nonneg = check_nonneg(nonneg)
    x = _as_sample(x, "x")
    y = _as_sample(y, "y", x.shape[1])
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("x and y need at least 2 samples each.")
    sigmas = _as_grid(sigma, "sigma")
    lambdas = _as_grid(ridge, "ridge")
    if centers is None:
        if int(n_centers) < 1:
            raise ValueError(f"n_centers must be a positive integer, got {n_centers!r}.")
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
            [loo_search(gaussian_kernel(dx, s), gaussian_kernel(dy, s), alpha, lambdas)[0][0] for s in sigmas]
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
