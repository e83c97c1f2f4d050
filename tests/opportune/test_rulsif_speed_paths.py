"""The fast RuLSIF paths (issue 17) give the numbers of the reference routes.

The change scores use a Cholesky factorisation per ridge on blocks of points
read through strided views of the kernel tables; the eigendecomposition route
(:func:`~skkd.opportune._rulsif.loo_search`) and a plain fit per point are the
references here, densratio itself is the reference in ``test_rulsif.py``.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.opportune import relative_density_ratio, rulsif_change_scores
from skkd.opportune import _rulsif
from skkd.opportune._rulsif import (
    BLOCK,
    _loo_chol,
    fit_theta,
    gaussian_kernel,
    loo_cv,
    loo_search,
    normal_equations,
    one_thread_each,
    pe_divergence,
    profile_stages,
    select_and_fit,
    squared_distances,
)

ALPHA = 0.1


def _problems(seed, B, n_x, n_y, b, d, width):
    """A batch of RuLSIF problems with centres drawn from x (phi_x symmetric when b == n_x)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, n_x, d))
    y = 1.4 * rng.normal(size=(B, n_y, d)) + 0.3
    centres = x[:, :b]
    sigma = width * np.sqrt(d)
    return gaussian_kernel(squared_distances(x, centres), sigma), gaussian_kernel(squared_distances(y, centres), sigma)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    B=st.integers(1, 2 * BLOCK + 3),
    n_x=st.integers(3, 30),
    extra_y=st.integers(-2, 5),
    d=st.integers(1, 12),
    width=st.floats(0.3, 4.0),
    lambdas=st.lists(st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 3.0]), min_size=1, max_size=4),
)
def test_cholesky_leave_one_out_equals_the_eigendecomposition_route(seed, B, n_x, extra_y, d, width, lambdas):
    n_y = max(3, n_x + extra_y)
    phi_x, phi_y = _problems(seed, B, n_x, n_y, n_x, d, width)
    expected = loo_search(phi_x, phi_y, ALPHA, lambdas)[0]
    got = loo_cv(phi_x, phi_y, ALPHA, lambdas)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_fewer_centres_than_samples_and_many_lambdas():
    phi_x, phi_y = _problems(1, 20, 30, 25, 12, 4, 1.0)
    few = [0.01, 0.1, 1.0]
    np.testing.assert_allclose(loo_cv(phi_x, phi_y, ALPHA, few), loo_search(phi_x, phi_y, ALPHA, few)[0],
                               rtol=1e-8, atol=1e-10)
    many = np.geomspace(1e-3, 10.0, _rulsif.EIGH_FROM)  # the shared-eigendecomposition branch
    np.testing.assert_allclose(loo_cv(phi_x, phi_y, ALPHA, many), loo_search(phi_x, phi_y, ALPHA, many)[0],
                               rtol=1e-8, atol=1e-10)


def test_items_whose_cholesky_fails_take_the_eigendecomposition_route():
    phi_x, phi_y = _problems(2, 6, 15, 15, 15, 3, 1.5)
    lambdas = np.array([0.01, 0.1])
    H, h = normal_equations(phi_x, phi_y, ALPHA)
    H[[1, 4]] = -10.0 * np.eye(15)  # not positive definite for any of these ridges
    got = _loo_chol(H, h, phi_x, phi_y, ALPHA, lambdas)
    expected = loo_search(phi_x, phi_y, ALPHA, lambdas)[0]
    np.testing.assert_allclose(got[[1, 4]], expected[[1, 4]], rtol=1e-12)  # recomputed from the kernels
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("nonneg", ["clip", "refit"])
def test_select_and_fit_equals_search_then_fit(nonneg):
    """The reference: densratio's search (eigendecomposition route), then one fit at the choice."""
    widths = [0.5, 1.0, 2.0]
    lambdas = np.array([0.01, 0.1, 1.0])
    pairs = [_problems(3, 40, 20, 20, 20, 6, w) for w in widths]
    pe, s_idx, l_idx = select_and_fit(pairs, ALPHA, lambdas, nonneg, x_symmetric=True)
    cv = np.stack([loo_search(px, py, ALPHA, lambdas)[0] for px, py in pairs], axis=1)  # (B, S, L)
    flat = cv.reshape(len(cv), -1).argmin(axis=1)  # first minimum in sigma-major order
    np.testing.assert_array_equal(s_idx, flat // lambdas.size)
    np.testing.assert_array_equal(l_idx, flat % lambdas.size)
    for i in range(len(pe)):
        px, py = pairs[s_idx[i]][0][i : i + 1], pairs[s_idx[i]][1][i : i + 1]
        theta = fit_theta(px, py, ALPHA, lambdas[l_idx[i]], nonneg)
        assert pe[i] == pytest.approx(pe_divergence(px, py, theta, ALPHA)[0], rel=1e-10, abs=1e-12)


def test_select_and_fit_reads_views_and_writes_nothing():
    phi_x, phi_y = _problems(4, 8, 12, 12, 12, 2, 1.0)
    for arr in (phi_x, phi_y):
        arr.flags.writeable = False
    before = phi_x.copy(), phi_y.copy()
    strided = phi_x[:, :, :], phi_y.transpose(0, 2, 1).transpose(0, 2, 1)
    pe, _, _ = select_and_fit([strided, (phi_x, phi_y)], ALPHA, np.array([0.1, 1.0]), "refit", x_symmetric=True)
    assert np.isfinite(pe).all()
    np.testing.assert_array_equal(phi_x, before[0])
    np.testing.assert_array_equal(phi_y, before[1])


def test_symmetric_shortcut_equals_the_general_normal_matrix():
    phi_x, phi_y = _problems(5, 4, 10, 10, 10, 3, 1.0)
    H, h = normal_equations(phi_x, phi_y, ALPHA)
    Hs, hs = normal_equations(phi_x, phi_y, ALPHA, x_symmetric=True)
    np.testing.assert_allclose(Hs, H, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(hs, h)


@pytest.mark.parametrize("grid", [{}, dict(sigma_factors=(0.5, 1.0, 2.0), ridge=(0.01, 0.1, 1.0))],
                         ids=["fixed", "cv-grid"])
@pytest.mark.parametrize("chunk_size", [1, BLOCK - 1, BLOCK + 1, 10_000])
def test_blocks_do_not_change_the_scores(grid, chunk_size):
    """Chunks that end inside a block, at one point, or span many blocks give the same scores."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 160))
    x[:, 80:] += 1.5
    ref = rulsif_change_scores(x, k=3, n=12, chunk_size=37, nonneg="clip", **grid)
    got = rulsif_change_scores(x, k=3, n=12, chunk_size=chunk_size, nonneg="clip", n_jobs=2, **grid)
    np.testing.assert_allclose(got.score, ref.score, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(got.sigma, ref.sigma)
    np.testing.assert_array_equal(got.ridge, ref.ridge)


def test_change_scores_equal_single_fits_at_every_point():
    """Every point equals relative_density_ratio on its own reference/test sets (both directions)."""
    rng = np.random.default_rng(7)
    k, n = 3, 10
    x = rng.normal(size=(1, 70))
    x[:, 35:] *= 2.0
    grid = dict(sigma=[0.8, 1.6, 3.2], ridge=[0.01, 0.1, 1.0])
    cs = rulsif_change_scores(x, k=k, n=n, standardize=False, **grid)
    H = np.lib.stride_tricks.sliding_window_view(x, k, axis=1).transpose(1, 2, 0).reshape(-1, k)
    for t in range(cs.score.size):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        f = relative_density_ratio(ref, test, alpha=ALPHA, centers=ref, nonneg="refit", **grid)
        g = relative_density_ratio(test, ref, alpha=ALPHA, centers=test, nonneg="refit", **grid)
        assert cs.score[t] == pytest.approx(f.alpha_pe + g.alpha_pe, rel=1e-9, abs=1e-12)
        assert (cs.sigma[t], cs.ridge[t]) == (f.sigma, f.ridge)


def test_one_thread_each_restores_torch_threads_after_concurrent_use():
    before = torch.get_num_threads()
    seen = []

    def work():
        with one_thread_each():
            seen.append(torch.get_num_threads())

    with one_thread_each():
        threads = [threading.Thread(target=work) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert torch.get_num_threads() == 1
    assert seen == [1, 1, 1]
    assert torch.get_num_threads() == before


def test_profile_stages_collects_and_then_stops():
    x = np.random.default_rng(8).normal(size=200)
    with profile_stages() as seconds:
        rulsif_change_scores(x, k=3, n=10, sigma_factors=(0.5, 1.0), ridge=(0.1, 1.0))
    assert {"kernel", "normal equations", "factorisation", "inverse", "leave-one-out", "fit"} <= set(seconds)
    assert all(v >= 0 for v in seconds.values())
    assert _rulsif._profile is None
