"""window_signals: alignment across rates and start times, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.datasets import E4Signal, window_signals

RATES = [0.5, 1.0, 2.0, 4.0, 8.0, 25.0, 32.0, 64.0, 100.0]


def clock(t0: float, fs: float, n: int) -> np.ndarray:
    """A signal whose value is its own sample time: alignment becomes checkable."""
    return t0 + np.arange(n) / fs


def loop_reference(x, t0, fs, window_s, t_start):
    """Slow, obvious windowing for integer-aligned grids."""
    length = int(round(window_s * fs))
    out = []
    for t in t_start:
        i = int(round((t - t0) * fs))
        out.append(x[i:i + length].T)
    return np.array(out) if out else np.empty((0, x.shape[1], length), x.dtype)


def test_matches_loop_reference_on_e4_like_signals():
    rng = np.random.default_rng(0)
    eda = rng.random((400, 1))
    acc = rng.random((3200, 3))
    bvp = rng.random((6400, 1))
    t0 = {"eda": 10.0, "acc": 12.0, "bvp": 11.0}
    fs = {"eda": 4, "acc": 32, "bvp": 64}
    w, t = window_signals({"eda": eda, "acc": acc, "bvp": bvp}, fs, 20, 7, t0=t0)
    assert t[0] == 12.0 and t[-1] + 20 <= 100.0 + 10.0
    assert len(t) == int((100 + 10 - 12 - 20) // 7) + 1
    for name, x in (("eda", eda), ("acc", acc), ("bvp", bvp)):
        np.testing.assert_array_equal(w[name], loop_reference(x, t0[name], fs[name], 20, t))
    assert w["acc"].shape == (len(t), 3, 640) and w["bvp"].shape == (len(t), 1, 1280)


@st.composite
def signal_sets(draw):
    n_signals = draw(st.integers(1, 4))
    window_s = draw(st.sampled_from([2.0, 4.0, 6.0, 10.0]))
    step_s = draw(st.sampled_from([0.5, 1.0, 2.5, 3.0, window_s]))
    signals, fs, t0 = {}, {}, {}
    for i in range(n_signals):
        rate = draw(st.sampled_from(RATES))
        start = draw(st.floats(-5.0, 5.0, allow_nan=False)) + 1_600_000_000.0
        duration = draw(st.floats(window_s, 4 * window_s))
        n = int(np.ceil(duration * rate))
        name = f"s{i}"
        signals[name], fs[name], t0[name] = clock(start, rate, n), rate, start
    return signals, fs, t0, window_s, step_s


@settings(max_examples=60, deadline=None)
@given(signal_sets())
def test_windows_are_aligned_in_absolute_time(case):
    signals, fs, t0, window_s, step_s = case
    span_start = max(t0.values())
    span_stop = min(t0[n] + len(x) / fs[n] for n, x in signals.items())
    windows, t_start = window_signals(signals, fs, window_s, step_s, t0=t0)
    # as many windows as fit in the common span, one step apart
    expected = int(np.floor((span_stop - span_start - window_s) / step_s + 1e-6)) + 1
    assert len(t_start) == max(expected, 0)
    np.testing.assert_allclose(np.diff(t_start), step_s)
    if len(t_start):
        assert t_start[0] == span_start
        assert t_start[-1] + window_s <= span_stop + 1e-6
    for name, w in windows.items():
        rate = fs[name]
        assert w.shape == (len(t_start), 1, round(window_s * rate))
        # each window starts at the sample nearest its start time ...
        assert np.all(np.abs(w[:, 0, 0] - t_start) <= 0.5 / rate + 1e-6)
        # ... and holds consecutive samples
        np.testing.assert_allclose(np.diff(w[:, 0, :], axis=1), 1 / rate, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    rate=st.sampled_from([1, 4, 32, 64]),
    offset=st.integers(0, 50),
    n_extra=st.integers(0, 500),
    channels=st.integers(1, 3),
)
def test_integer_grids_match_the_loop_reference(rate, offset, n_extra, channels):
    rng = np.random.default_rng(rate + offset)
    x = rng.random((rate * 10 + n_extra, channels))
    start = offset / rate + 1.0
    w, t = window_signals({"x": x}, rate, 4, 1, start=start, t0=1.0)
    np.testing.assert_array_equal(w["x"], loop_reference(x, 1.0, rate, 4, t))


def test_explicit_span_and_e4_signals():
    eda = E4Signal("eda", np.arange(40.0)[:, None], 4.0, 100.0)
    hr = E4Signal("hr", np.arange(8.0)[:, None], 1.0, 102.0)
    w, t = window_signals({"eda": eda, "hr": hr}, window_s=2, step_s=1)
    np.testing.assert_array_equal(t, np.arange(102.0, 109.0))  # both end at 110
    np.testing.assert_array_equal(w["eda"][:, 0, 0] / 4 + 100, t)
    np.testing.assert_array_equal(w["hr"][:, 0, 0] + 102, t)
    w, t = window_signals({"eda": eda}, window_s=2, step_s=2, start=104, stop=108)
    np.testing.assert_array_equal(t, [104.0, 106.0])


def test_span_shorter_than_a_window_gives_zero_windows():
    w, t = window_signals({"x": np.zeros((10, 2))}, 4, window_s=5)
    assert t.shape == (0,) and w["x"].shape == (0, 2, 20)


def test_dtype_and_channel_order_are_kept():
    x = np.stack([np.arange(16), 100 + np.arange(16)], axis=1).astype(np.float32)
    w, _ = window_signals({"x": x}, 4, window_s=2)
    assert w["x"].dtype == np.float32
    np.testing.assert_array_equal(w["x"][1], [np.arange(8, 16), 100 + np.arange(8, 16)])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"window_s": 0.3}, ValueError, "whole number of samples"),
        ({"window_s": 10.1}, ValueError, "whole number of samples"),
        ({"window_s": -1}, ValueError, "'window_s' parameter of window_signals.*Got -1 instead"),
        ({"step_s": 0}, ValueError, "'step_s' parameter of window_signals.*Got 0 instead"),
        ({"start": -1.0}, ValueError, "covers"),
        ({"stop": 1000.0}, ValueError, "covers"),
        ({"fs": None}, ValueError, "fs is required"),
        ({"fs": {"a": 4}}, ValueError, "lacks an entry"),
        ({"fs": "4"}, TypeError, "'fs' parameter of window_signals"),
        ({"fs": {"a": 4, "b": -4}}, ValueError, "positive"),
        ({"t0": {"a": 0, "b": np.nan}}, ValueError, "finite"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    signals = {"a": np.zeros(400), "b": np.zeros((400, 2))}
    args = {"fs": 4, "window_s": 10, "step_s": 5} | kwargs
    with pytest.raises(error, match=message):
        window_signals(signals, **args)


@pytest.mark.parametrize(
    "signals, error, message",
    [
        ({}, ValueError, "non-empty"),
        ([np.zeros(10)], ValueError, "'signals' parameter of window_signals"),
        ({"a": np.zeros((2, 3, 4))}, ValueError, "time on axis 0"),
        ({"a": np.array(["x"] * 40)}, TypeError, "numeric"),
    ],
)
def test_bad_signals(signals, error, message):
    with pytest.raises(error, match=message):
        window_signals(signals, 4, window_s=1)
