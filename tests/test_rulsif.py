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
    "sigma_factors, ridge", [(None, 0.1), ((0.5, 1.0, 2.0), (0.01, 0.1, 1.0))], ids=["fixed", "cv-grid"]
)
def test_change_scores_match_densratio_per_point(sigma_factors, ridge):
    rng = np.random.default_rng(1)
    k, n = 5, 20
    x = np.cumsum(rng.normal(size=(2, 260)), axis=1)
    x[:, 130:] += 3.0
    cs = rulsif_change_scores(x, k=k, n=n, alpha=ALPHA, sigma_factors=sigma_factors, ridge=ridge, chunk_size=64)
    H = _hankel_samples(x, k)
    med = median_heuristic(x, k=k, n=n)
    sig = [med] if sigma_factors is None else [med * f for f in sigma_factors]
    lam = list(np.atleast_1d(ridge))
    for t in range(0, cs.score.size, 29):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        fwd, _ = _reference(ref, test, sig, lam, 100)
        bwd, _ = _reference(test, ref, sig, lam, 100)
        assert cs.score[t] == pytest.approx(fwd.alpha_PE + bwd.alpha_PE, rel=1e-6, abs=1e-9)
        assert cs.sigma[t] == pytest.approx(fwd.kernel_info.sigma) and cs.ridge[t] == fwd.lambda_
    assert cs.index[0] == n + (k - 1) // 2 and cs.index.size == 260 - 2 * n - k + 2


def test_change_scores_with_sampled_centres_match_single_fits():
    """n > n_centers: the batch draws per-point centres; each point equals a single RuLSIF fit."""
    rng = np.random.default_rng(2)
    k, n, b, seed = 3, 12, 5, 7
    x = rng.normal(size=(1, 80))
    cs = rulsif_change_scores(x, k=k, n=n, n_centers=b, sigma=1.5, ridge=0.2, random_state=seed, chunk_size=10_000)
    P = cs.score.size
    draws = np.random.default_rng(seed)
    cols_f, cols_b = _centre_choice(draws, P, n, b), _centre_choice(draws, P, n, b)
    H = _hankel_samples(x, k)
    for t in (0, P // 2, P - 1):
        ref, test = H[t : t + n], H[t + n : t + 2 * n]
        f = relative_density_ratio(ref, test, alpha=ALPHA, sigma=1.5, ridge=0.2, centers=ref[cols_f[t]])
        g = relative_density_ratio(test, ref, alpha=ALPHA, sigma=1.5, ridge=0.2, centers=test[cols_b[t]])
        assert cs.score[t] == pytest.approx(f.alpha_pe + g.alpha_pe, rel=1e-9, abs=1e-12)
    again = rulsif_change_scores(x, k=k, n=n, n_centers=b, sigma=1.5, ridge=0.2, random_state=seed)
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
        (dict(k=0), "k must"),
        (dict(n=0), "n must"),
        (dict(alpha=-0.1), "alpha"),
        (dict(sigma="mean"), "sigma"),
        (dict(sigma=1.0, sigma_factors=(1, 2)), "sigma_factors"),
        (dict(n=1, ridge=(0.1, 1.0)), "n >= 2"),
        (dict(chunk_size=0), "chunk_size"),
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
