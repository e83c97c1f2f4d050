"""GAFImager against pyts.image.GramianAngularField."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.features import GAFImager

# pyts compiles its numba kernels eagerly when imported (about 45 s of CPU);
# the reference images are computed once, in a subprocess with numba's JIT
# off: the same numpy operations, run as plain Python.
_REFERENCE = """
import pickle, sys
from pyts.image import GramianAngularField
cases = pickle.load(sys.stdin.buffer)
out = [GramianAngularField(**kw).fit_transform(X) for X, kw in cases]
pickle.dump(out, sys.stdout.buffer)
"""

PARAMS = [(240, 32, (-1, 1)), (100, 7, (-1, 1)), (50, 50, (0, 1)), (37, 10, (-0.5, 0.8)),
          (240, 0.25, (-1, 1)), (9, 1, (-1, 1))]
METHODS = ["summation", "difference"]


def _case_X(T):
    return np.cumsum(np.random.default_rng(T).normal(size=(25, T)), axis=1)


_CHANNELS_X = np.cumsum(np.random.default_rng(0).normal(size=(6, 3, 64)), axis=2)


@pytest.fixture(scope="module")
def pyts_images():
    cases = {}
    for T, size, rng in PARAMS:
        for method in METHODS:
            kw = {"image_size": size, "sample_range": rng, "method": method}
            cases[(T, size, rng, method)] = (_case_X(T), kw)
    cases["channels"] = (_CHANNELS_X[:, 1], {"image_size": 16})
    cases["constant"] = (np.ones((2, 20)), {"image_size": 5})
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _REFERENCE], input=pickle.dumps(list(cases.values())),
        capture_output=True, env=env, check=True,
    )
    return dict(zip(cases, pickle.loads(done.stdout)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T, size, sample_range", PARAMS)
def test_equals_pyts(pyts_images, T, size, sample_range, method):
    X = _case_X(T)
    ours = GAFImager(image_size=size, sample_range=sample_range, method=method, batch_size=7)
    expected = pyts_images[(T, size, sample_range, method)]
    got = ours.fit_transform(X)
    assert got.shape == (25, 1) + expected.shape[1:] and got.dtype == np.float32
    np.testing.assert_allclose(got[:, 0], expected, atol=1e-5, rtol=0)
    got64 = ours.set_params(dtype=np.float64).fit_transform(X)
    # float64 agrees to rounding (sin = sqrt(1 - cos**2) amplifies it near |cos| = 1)
    np.testing.assert_allclose(got64[:, 0], expected, atol=1e-7, rtol=0)


def test_channels_and_batches(pyts_images):
    X = _CHANNELS_X
    out = GAFImager(image_size=16, batch_size=4).fit_transform(X)
    assert out.shape == (6, 3, 16, 16)
    np.testing.assert_allclose(out[:, 1], pyts_images["channels"], atol=1e-5)
    np.testing.assert_array_equal(out, GAFImager(image_size=16, batch_size=1000).fit_transform(X))


def test_constant_windows_match_pyts(pyts_images):
    X = np.ones((2, 20))
    np.testing.assert_allclose(
        GAFImager(image_size=5).fit_transform(X)[:, 0], pyts_images["constant"], atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="exceeds the window length"):
        GAFImager(image_size=50).fit(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="method"):
        GAFImager(method="sum").fit(np.zeros((2, 40)))
    with pytest.raises(ValueError, match="sample_range"):
        GAFImager(sample_range=(0, 2)).fit(np.zeros((2, 40)))
    with pytest.raises(ValueError, match="NaN"):
        GAFImager(image_size=4).fit(np.full((2, 3, 40), np.nan))
    with pytest.raises(ValueError, match="fitted on 3 channel"):
        GAFImager(image_size=4).fit(np.zeros((2, 3, 40))).transform(np.zeros((2, 2, 40)))


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["flat", "huge", "tiny", "long", "short", "noise"]),
    seed=st.integers(0, 1000),
    method=st.sampled_from(["summation", "difference"]),
)
def test_awkward_windows_never_crash(kind, seed, method):
    rng = np.random.default_rng(seed)
    T = {"long": 20000, "short": 2}.get(kind, 60)
    X = rng.normal(size=(3, T))
    if kind == "flat":
        X[:] = rng.normal()
    elif kind == "huge":
        X *= 1e150
    elif kind == "tiny":
        X *= 1e-150
    size = min(T, 8)
    out = GAFImager(image_size=size, method=method, dtype=np.float64).fit_transform(X)
    assert out.shape == (3, 1, size, size)
    assert np.isfinite(out).all() and (np.abs(out) <= 1 + 1e-12).all()
    img = out[:, 0]
    diag = np.diagonal(img, axis1=1, axis2=2)
    if method == "summation":  # cos(phi_i + phi_j): symmetric, diagonal cos(2 phi)
        np.testing.assert_allclose(img, img.transpose(0, 2, 1), atol=1e-12)
        assert (diag >= -1 - 1e-12).all()
    else:  # sin(phi_i - phi_j): antisymmetric, zero diagonal
        np.testing.assert_allclose(img, -img.transpose(0, 2, 1), atol=1e-12)
        np.testing.assert_allclose(diag, 0, atol=1e-12)


def test_threads_and_batches_do_not_change_results():
    X = np.cumsum(np.random.default_rng(3).normal(size=(4, 5, 100)), axis=2)
    one = GAFImager(image_size=20, n_jobs=1, batch_size=1000).fit_transform(X)
    for kw in ({"n_jobs": 2, "batch_size": 3}, {"n_jobs": -1, "batch_size": 1}, {"n_jobs": None}):
        np.testing.assert_array_equal(one, GAFImager(image_size=20, **kw).fit_transform(X))


def test_thread_count_follows_n_jobs_as_joblib_counts():
    from joblib import cpu_count, parallel_config

    from skkd.features._gaf import _threads

    assert _threads(None) == 1 and _threads(3) == 3 and _threads(-1) == cpu_count()
    with parallel_config(n_jobs=2):
        assert _threads(None) == 2
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="'n_jobs' parameter of GAFImager must be"):
            GAFImager(n_jobs=bad).fit(np.zeros((2, 40)))


def test_paa_sums_like_pyts_left_to_right():
    """PAA segments are summed from the left, as pyts's numba loop does: bit-equal."""
    from skkd.features._gaf import _paa

    X = np.random.default_rng(1).normal(size=(6, 103)) * 1e3
    for s in (7, 10, 51, 103 // 2):
        bounds = np.linspace(0, X.shape[1], s + 1).astype(np.int64)
        expected = np.array([[sum(row[a:b].tolist()) / (b - a) for a, b in zip(bounds, bounds[1:])]
                             for row in X])
        np.testing.assert_array_equal(_paa(X, bounds), expected)


@pytest.mark.parametrize("size", [10, 40])  # with and without PAA
def test_input_is_never_written(size):
    X = np.cumsum(np.random.default_rng(2).normal(size=(5, 2, 40)), axis=2)
    before = X.copy()
    GAFImager(image_size=size).fit_transform(X)
    np.testing.assert_array_equal(X, before)


def test_import_does_not_load_pyts_or_numba():
    code = ("import sys; from skkd.features import GAFImager; import numpy as np\n"
            "GAFImager(image_size=8).fit_transform(np.random.rand(3, 64))\n"
            "print(sorted(m for m in ('pyts', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
