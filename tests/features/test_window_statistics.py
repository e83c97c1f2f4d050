"""WindowStatistics: vectorised per-channel statistics equal numpy's per-window ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skkd.features import WindowStatistics


def test_matches_per_window_numpy_on_real_eda(data_home):
    from skkd.datasets import load_stress_predict_sample

    X = load_stress_predict_sample().X["eda"][:20].astype(np.float64)
    ws = WindowStatistics(stats=("mean", "std", "min", "max", "range", "median", "slope"))
    out = ws.fit_transform(X)
    for i, w in enumerate(X[:, 0]):
        slope = np.polyfit(np.linspace(-1, 1, len(w)), w, 1)[0]
        expected = [w.mean(), w.std(), w.min(), w.max(), np.ptp(w), np.median(w), slope]
        np.testing.assert_allclose(out[i], expected, rtol=1e-9, atol=1e-12)
    assert ws.get_feature_names_out()[-1] == "ch0_slope"


def test_multichannel_names_and_shape():
    X = np.random.default_rng(0).normal(size=(5, 3, 32))
    ws = WindowStatistics(stats=("mean", "slope")).fit(X)
    assert ws.transform(X).shape == (5, 6)
    assert list(ws.get_feature_names_out()) == [
        "ch0_mean", "ch0_slope", "ch1_mean", "ch1_slope", "ch2_mean", "ch2_slope"]
    assert WindowStatistics().fit_transform(X[:, 0]).shape == (5, 5)


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        (np.zeros((3, 2, 4, 4)), {}, "rank 2 or 3"),
        (np.zeros((3, 0)), {}, "at least 1"),
        (np.full((3, 8), np.nan), {}, "NaN or infinite"),
        (np.zeros((3, 8)), {"stats": ("mean", "kurtosis")},
         "'stats' parameter of WindowStatistics must be"),
        (np.zeros((0, 8)), {}, "no windows"),
    ],
)
def test_bad_input_is_named(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        WindowStatistics(**kwargs).fit(X)


def test_channel_count_must_match_fit():
    ws = WindowStatistics().fit(np.zeros((2, 2, 8)))
    with pytest.raises(ValueError, match="3 channels; 2 were seen"):
        ws.transform(np.zeros((2, 3, 8)))


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(2, 50)),
              elements=st.floats(-1e6, 1e6)).filter(lambda a: a.shape[-1] >= 1))
def test_finite_windows_give_finite_fixed_schema(X):
    out = WindowStatistics().fit_transform(X)
    assert out.shape == (X.shape[0], X.shape[1] * 5)
    assert np.isfinite(out).all()
