"""RuLSIF density ratios and change scores: parity with densratio 0.4, errors, invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skkd.opportune import median_heuristic, relative_density_ratio, rulsif_change_scores
from skkd.opportune._change_scores import _centre_choice
from skkd.opportune._hankel import block_views, hankel_lag_table
from skkd.opportune._rulsif import (
    _normal_matrix,
    fit_theta,
    gaussian_kernel,
    pe_divergence,
    refit_nonneg,
    squared_distances,
)

densratio = pytest.importorskip("densratio").densratio

ALPHA = 0.1


def _reference(x, y, sigma_range, ridge_range, kernel_num, seed=0):
    """densratio's fit, with the centres it draws (numpy's global RNG)."""
    np.random.seed(seed)
    centres = x[np.random.choice(x.shape[0], size=min(kernel_num, x.shape[0]), replace=False)]
    np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # densratio's KL term takes log(0) for clipped weights
        fit = densratio(
            x, y, method="RuLSIF", alpha=ALPHA, sigma_range=list(sigma_range),
            lambda_range=list(ridge_range), kernel_num=kernel_num, verbose=False,
        )
    return fit, centres


@pytest.mark.parametrize(
    "nx, ny, d, b", [(50, 50, 3, 100), (80, 60, 2, 30), (40, 70, 5, 20), (30, 30, 40, 100)]
)
@pytest.mark.parametrize("grid", [False, True])
def test_density_ratio_matches_densratio(nx, ny, d, b, grid):
    rng = np.random.default_rng(nx * d + b)
    x = rng.normal(size=(nx, d))
    y = 1.3 * rng.normal(size=(ny, d)) + 0.4
    sig = [0.5 * np.sqrt(d), np.sqrt(d), 2 * np.sqrt(d)] if grid else [1.5 * np.sqrt(d)]
    lam = [1e-3, 1e-2, 0.1, 1.0] if grid else [0.1]
    ref, centres = _reference(x, y, sig, lam, b)
    fit = relative_density_ratio(x, y, alpha=ALPHA, sigma=sig, ridge=lam, centers=centres)
    assert fit.sigma == ref.kernel_info.sigma and fit.ridge == ref.lambda_
    assert abs(fit.alpha_pe - ref.alpha_PE) <= 1e-6 * max(1.0, abs(ref.alpha_PE))
    z = np.r_[x, y]
    np.testing.assert_allclose(fit.ratio(z), ref.compute_density_ratio(z), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fit.theta, ref.theta, rtol=1e-6, atol=1e-9)


def test_density_ratio_random_centres_reproducible():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
    a = relative_density_ratio(x, y, n_centers=10, random_state=3)
    b = relative_density_ratio(x, y, n_centers=10, random_state=3)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.alpha_pe == b.alpha_pe and a.centers.shape == (10, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(alpha=1.0), "alpha"),
        (dict(sigma=-1.0), "sigma"),
        (dict(ridge=[]), "ridge"),
        (dict(n_centers=0), "n_centers"),
        (dict(nonneg="nnls"), "nonneg"),
    ],
)
def test_density_ratio_bad_parameters(kwargs, match):
    x = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=match):
        relative_density_ratio(x, x + 1, **kwargs)


def test_density_ratio_bad_samples():
    x = np.ones((10, 2))
    with pytest.raises(ValueError, match="features"):
        relative_density_ratio(x, np.ones((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        relative_density_ratio(x, np.full((10, 2), np.nan))


def test_hankel_blocks_match_brute_force():
    rng = np.random.default_rng(0)
    c, T, k, n = 3, 60, 4, 5
    y = rng.normal(size=(1, c, T))
    H = np.lib.stride_tricks.sliding_window_view(y[0], k, axis=1).transpose(1, 0, 2).reshape(T - k + 1, -1)
    D = ((H[:, None] - H[None]) ** 2).sum(-1)
    table = hankel_lag_table(y, k, n)[0]
    P = T - 2 * n - k + 2
    rr, tt, tr = block_views(table, 0, P, n)
    for t in range(P):
        np.testing.assert_allclose(rr[t], D[t : t + n, t : t + n], atol=1e-12)
        np.testing.assert_allclose(tt[t], D[t + n : t + 2 * n, t + n : t + 2 * n], atol=1e-12)
        np.testing.assert_allclose(tr[t], D[t + n : t + 2 * n, t : t + n], atol=1e-12)
    with pytest.raises(ValueError, match="out of range"):
        block_views(table, 0, P + 1, n)


def _hankel_samples(x, k):
    """Subsequence vectors Y(i) = [y(i), ..., y(i+k-1)] after per-channel z-scoring."""
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    return np.lib.stride_tricks.sliding_window_view(z, k, axis=1).transpose(1, 2, 0).reshape(-1, k * x.shape[0])


@pytest.mark.parametrize(
    "sigma_factors, ridge", [((1.0,), 0.1), ((0.5, 1.0, 2.0), (0.01, 0.1, 1.0))], ids=["fixed", "cv-grid"]
)
def test_change_scores_match_densratio_per_point(sigma_factors, ridge):
    """The raw kernel (clipped weights, any sigma grid) gives densratio's numbers at every point."""
    rng = np.random.default_rng(1)
    k, n = 5, 20
    x = np.cumsum(rng.normal(size=(2, 260)), axis=1)
    x[:, 130:] += 3.0
    cs = rulsif_change_scores(
        x, k=k, n=n, alpha=ALPHA, sigma_factors=sigma_factors, ridge=ridge, nonneg="clip", chunk_size=64
    )
    H = _hankel_samples(x, k)
    med = median_heuristic(x, k=k, n=n)
    sig = [med * f for f in sigma_factors]
    lam = list(np.atleast_1d(ridge))
    for t in range(0, cs.score.size, 29):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        fwd, _ = _reference(ref, test, sig, lam, 100)
        bwd, _ = _reference(test, ref, sig, lam, 100)
        assert cs.score[t] == pytest.approx(fwd.alpha_PE + bwd.alpha_PE, rel=1e-6, abs=1e-9)
        assert cs.sigma[t] == pytest.approx(fwd.kernel_info.sigma) and cs.ridge[t] == fwd.lambda_
    assert cs.index[0] == n + (k - 1) // 2 and cs.index.size == 260 - 2 * n - k + 2


@pytest.mark.parametrize("nonneg", ["clip", "refit"])
def test_change_scores_with_sampled_centres_match_single_fits(nonneg):
    """n > n_centers: the batch draws per-point centres; each point equals a single RuLSIF fit."""
    rng = np.random.default_rng(2)
    k, n, b, seed = 3, 12, 5, 7
    x = rng.normal(size=(1, 80))
    cs = rulsif_change_scores(
        x, k=k, n=n, n_centers=b, sigma=1.5, ridge=0.2, random_state=seed, chunk_size=10_000, nonneg=nonneg
    )
    P = cs.score.size
    draws = np.random.default_rng(seed)
    cols_f, cols_b = _centre_choice(draws, P, n, b), _centre_choice(draws, P, n, b)
    H = _hankel_samples(x, k)
    for t in (0, P // 2, P - 1):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        kw = dict(alpha=ALPHA, sigma=1.5, ridge=0.2, nonneg=nonneg)
        f = relative_density_ratio(ref, test, centers=ref[cols_f[t]], **kw)
        g = relative_density_ratio(test, ref, centers=test[cols_b[t]], **kw)
        assert cs.score[t] == pytest.approx(f.alpha_pe + g.alpha_pe, rel=1e-9, abs=1e-12)
    again = rulsif_change_scores(x, k=k, n=n, n_centers=b, sigma=1.5, ridge=0.2, random_state=seed, nonneg=nonneg)
    np.testing.assert_array_equal(cs.score, again.score)


@pytest.mark.parametrize("grid", [{}, dict(sigma_factors=(0.5, 1.0, 2.0), ridge=(0.01, 0.1, 1.0))], ids=["fixed", "cv-grid"])
def test_change_scores_invariant_to_chunking_and_threads(grid):
    """Chunks of 1000 points span several leave-one-out blocks (LOO_BLOCK); 7 stay inside one."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 300))
    a = rulsif_change_scores(x, k=4, n=15, chunk_size=1000, **grid)
    b = rulsif_change_scores(x, k=4, n=15, chunk_size=7, n_jobs=2, **grid)
    np.testing.assert_allclose(a.score, b.score, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(a.sigma, b.sigma)
    np.testing.assert_array_equal(a.ridge, b.ridge)


def test_change_score_peaks_at_a_level_shift():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0, 1, 300), rng.normal(2.5, 1, 300)]
    cs = rulsif_change_scores(x, k=5, n=25)
    assert abs(cs.index[np.argmax(cs.score)] - 300) <= 10
    assert np.isfinite(cs.score).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(k=0), "'k' parameter"),
        (dict(n=0), "'n' parameter"),
        (dict(alpha=-0.1), "alpha"),
        (dict(sigma="mean"), "sigma"),
        (dict(sigma=1.0, sigma_factors=(1, 2)), "sigma_factors"),
        (dict(n=1, ridge=(0.1, 1.0)), "'n' parameter .* >= 2"),
        (dict(chunk_size=0), "chunk_size"),
        (dict(nonneg="nnls"), "nonneg"),
    ],
)
def test_change_scores_bad_parameters(kwargs, match):
    x = np.random.default_rng(0).normal(size=200)
    with pytest.raises(ValueError, match=match):
        rulsif_change_scores(x, **{"k": 3, "n": 10, **kwargs})


def test_change_scores_bad_shapes():
    with pytest.raises(ValueError, match=r"\(T,\) or \(c, T\)"):
        rulsif_change_scores(np.zeros((2, 2, 50)))
    with pytest.raises(TypeError, match="numeric"):
        rulsif_change_scores(np.array(["a"] * 200), k=2, n=5)


finite_floats = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(1, 4),
    n=st.integers(1, 8),
    channels=st.integers(1, 3),
    extra=st.integers(0, 20),
    data=st.data(),
)
def test_random_series_give_finite_scores_or_clear_errors(k, n, channels, extra, data):
    T = 2 * n + k - 1 + extra
    values = data.draw(st.lists(finite_floats, min_size=channels * T, max_size=channels * T))
    x = np.asarray(values).reshape(channels, T)
    try:
        cs = rulsif_change_scores(x, k=k, n=n)
    except ValueError as exc:  # only constant series may be refused here
        assert "constant" in str(exc)
        return
    assert cs.score.shape == (extra + 1,) and np.isfinite(cs.score).all()
    # the documented range of the default estimate: [-1, 1/alpha - 1] (alpha=0.1)
    assert cs.score.min() >= -1.0 - 1e-9 and cs.score.max() <= 9.0 + 1e-9


@settings(max_examples=15, deadline=None)
@given(value=finite_floats, channels=st.integers(1, 3), T=st.integers(30, 60))
def test_constant_series_raise(value, channels, T):
    with pytest.raises(ValueError, match="constant"):
        rulsif_change_scores(np.full((channels, T), value), k=3, n=5)


@settings(max_examples=15, deadline=None)
@given(pos=st.integers(0, 59), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_or_inf_raise(pos, bad):
    x = np.random.default_rng(pos).normal(size=60)
    x[pos] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        rulsif_change_scores(x, k=3, n=5)


@settings(max_examples=15, deadline=None)
@given(k=st.integers(1, 10), n=st.integers(1, 20), short=st.integers(1, 10))
def test_too_short_series_raise(k, n, short):
    T = max(1, 2 * n + k - 1 - short)
    x = np.random.default_rng(0).normal(size=T)
    with pytest.raises(ValueError, match="2n \\+ k - 1"):
        rulsif_change_scores(x, k=k, n=n)


def test_median_heuristic_scales_with_the_signal():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 200))
    a = median_heuristic(x, k=4, n=10, standardize=False)
    b = median_heuristic(10 * x, k=4, n=10, standardize=False)
    assert b == pytest.approx(10 * a)
    assert median_heuristic(10 * x, k=4, n=10) == pytest.approx(median_heuristic(x, k=4, n=10))


# --- non-negative weights: 'refit' (default of the change scores) vs densratio's 'clip' ---------


def _kernel_batch(seed, B, n, d, width):
    """A batch of RuLSIF problems: numerator x, denominator y (shifted, wider), centres = x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, n, d))
    y = 1.5 * rng.normal(size=(B, n, d)) + 0.5
    sigma = width * np.sqrt(d)
    return gaussian_kernel(squared_distances(x, x), sigma), gaussian_kernel(squared_distances(y, x), sigma)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(3, 30),
    d=st.integers(1, 20),
    width=st.floats(0.3, 5.0),  # wide kernels make the kernel matrix ill-conditioned
    ridge=st.sampled_from([1e-4, 1e-2, 0.1, 1.0]),
)
def test_refit_weights_are_nonnegative_and_optimal_on_their_support(seed, n, d, width, ridge):
    phi_x, phi_y = _kernel_batch(seed, 4, n, d, width)
    theta = fit_theta(phi_x, phi_y, ALPHA, ridge, "refit")
    A = _normal_matrix(phi_x, phi_y, ALPHA) + ridge * np.eye(n)
    h = phi_x.mean(axis=1)
    assert (theta >= 0).all()
    grad = np.einsum("bij,bj->bi", A, theta) - h
    scale = 1e-7 * (1.0 + np.abs(h).max() + np.abs(theta).max())
    assert np.abs(grad[theta > 0]).max(initial=0.0) <= scale  # the exact minimiser on its support
    objective = 0.5 * np.einsum("bi,bij,bj->b", theta, A, theta) - np.einsum("bi,bi->b", h, theta)
    assert (objective <= scale).all()  # never worse than theta = 0
    pe = pe_divergence(phi_x, phi_y, theta, ALPHA)
    assert (pe >= -0.5 - 1e-9).all() and (pe <= 0.5 / ALPHA - 0.5 + 1e-9).all()
    # where clipping removes nothing, refit and clip agree exactly
    unconstrained = np.linalg.solve(A, h[..., None])[..., 0]
    clean = (unconstrained >= 0).all(axis=1)
    np.testing.assert_array_equal(theta[clean], fit_theta(phi_x, phi_y, ALPHA, ridge, "clip")[clean])


def test_refit_nonneg_leaves_its_input_alone():
    phi_x, phi_y = _kernel_batch(0, 3, 20, 10, 3.0)
    A = _normal_matrix(phi_x, phi_y, ALPHA) + 0.01 * np.eye(20)
    h = phi_x.mean(axis=1)
    theta = np.linalg.solve(A, h[..., None])[..., 0]
    assert (theta < 0).any()
    for arr in (A, h, theta):
        arr.flags.writeable = False
    before = theta.copy()
    out = refit_nonneg(A, h, theta)
    np.testing.assert_array_equal(theta, before)
    assert (out >= 0).all() and out is not theta


def _issue_window():
    """Window 0 of issue 12's example: a 3-sigma level shift halfway through 120 samples."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2, 120))
    X[::3, :, 60:] += 3.0
    return X[0]


def test_clipped_weights_can_drive_pe_far_below_zero_refit_cannot():
    """The cause of issue 12: a wide median kernel, clipping a ridge solution with cancelling weights."""
    x = _issue_window()
    k, n, t = 10, 50, 5
    H = _hankel_samples(x, k)
    ref, test = H[t : t + n], H[t + n : t + 2 * n]
    sigma = median_heuristic(x, k=k, n=n)
    kw = dict(alpha=ALPHA, sigma=sigma, ridge=0.1, centers=ref)
    clipped = relative_density_ratio(ref, test, nonneg="clip", **kw)
    refit = relative_density_ratio(ref, test, nonneg="refit", **kw)
    ref_fit, _ = _reference(ref, test, [sigma], [0.1], 100)
    assert clipped.alpha_pe == pytest.approx(ref_fit.alpha_PE, rel=1e-6)  # densratio gives the same
    assert clipped.alpha_pe < -5.0
    assert 0.0 < refit.alpha_pe <= 0.5 / ALPHA - 0.5
    assert (refit.theta >= 0).all() and (refit.ratio(test) >= 0).all()


def test_default_change_scores_are_refit_at_half_the_median():
    x = _issue_window()
    default = rulsif_change_scores(x)
    explicit = rulsif_change_scores(x, sigma_factors=(0.5,), nonneg="refit")
    np.testing.assert_array_equal(default.score, explicit.score)
    np.testing.assert_allclose(default.sigma, 0.5 * median_heuristic(x))
    old = rulsif_change_scores(x, sigma_factors=(1.0,), nonneg="clip")
    assert old.score.max() < -5.0 < 5.0 < default.score.max()


def test_cross_validated_refit_keeps_densratios_choice_and_stays_in_range():
    x = _issue_window()
    grid = dict(k=5, n=20, sigma_factors=(0.25, 0.5, 1.0, 2.0), ridge=(1e-3, 0.1, 1.0))
    clip = rulsif_change_scores(x, nonneg="clip", **grid)
    refit = rulsif_change_scores(x, **grid)
    np.testing.assert_array_equal(refit.sigma, clip.sigma)  # the leave-one-out score is densratio's
    np.testing.assert_array_equal(refit.ridge, clip.ridge)
    assert refit.score.min() >= -1.0 and refit.score.max() <= 1 / ALPHA - 1


def test_cross_validated_refit_equals_a_refit_at_the_chosen_sigma_and_ridge():
    x = _issue_window()
    k, n = 5, 20
    cs = rulsif_change_scores(x, k=k, n=n, sigma_factors=(0.25, 0.5, 1.0), ridge=(1e-3, 0.1), symmetric=False)
    assert np.unique(cs.sigma).size > 1  # the choice varies along the series
    H = _hankel_samples(x, k)
    for t in range(0, cs.score.size, 7):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        fit = relative_density_ratio(
            ref, test, alpha=ALPHA, sigma=cs.sigma[t], ridge=cs.ridge[t], centers=ref, nonneg="refit"
        )
        assert cs.score[t] == pytest.approx(fit.alpha_pe, rel=1e-9, abs=1e-12)


def test_read_only_inputs_are_accepted_and_left_alone():
    x = np.random.default_rng(6).normal(size=(2, 150))
    x[:, 75:] += 2.0
    frozen = x.copy()
    frozen.flags.writeable = False
    expected = rulsif_change_scores(x, k=4, n=15).score
    np.testing.assert_array_equal(rulsif_change_scores(frozen, k=4, n=15).score, expected)
    assert median_heuristic(frozen, k=4, n=15) == median_heuristic(x, k=4, n=15)
    fit = relative_density_ratio(frozen.T[:60], frozen.T[60:], nonneg="refit")
    assert np.isfinite(fit.alpha_pe)
    np.testing.assert_array_equal(frozen, x)
