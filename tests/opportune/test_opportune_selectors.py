"""Window selectors: sklearn checks, imblearn pipelines, Modalities input, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.preprocessing import FunctionTransformer

from skkd import Modalities
from skkd.opportune import (
    EstimatorSelector,
    FixedIntervalSelector,
    RandomSelector,
    RuLSIFOpportuneSelector,
)


def _windows_with_changes(n_windows=16, c=2, T=120, seed=0):
    """Half the windows have a level shift in the middle; returns X, y (1 = shift)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_windows, c, T))
    y = np.zeros(n_windows, dtype=int)
    y[::2] = 1
    X[y == 1, :, T // 2 :] += 3.0
    return X, y


SMALL = dict(k=5, n=20)


def test_rulsif_selector_finds_the_changing_windows():
    X, y = _windows_with_changes()
    sel = RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(X)
    np.testing.assert_array_equal(sel.predict(X), y)
    scores = sel.score_samples(X)
    assert scores.shape == (16,) and np.isfinite(scores).all()
    assert scores[y == 1].min() > scores[y == 0].max()
    np.testing.assert_allclose(sel.decision_function(X), scores - sel.threshold_)
    np.testing.assert_allclose(sel.train_scores_, scores)


def test_rulsif_selector_fixed_threshold_and_mean_aggregate():
    X, y = _windows_with_changes()
    scores = RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(X).train_scores_
    cut = float(np.median(scores))
    sel = RuLSIFOpportuneSelector(threshold=cut, quantile=0.99, **SMALL).fit(X)
    assert sel.threshold_ == cut
    np.testing.assert_array_equal(sel.predict(X), (scores >= cut).astype(int))
    mean_scores = RuLSIFOpportuneSelector(aggregate="mean", **SMALL).fit(X).train_scores_
    assert (mean_scores <= scores + 1e-12).all()


def test_fit_resample_slices_modalities_and_labels():
    X, y = _windows_with_changes()
    rng = np.random.default_rng(1)
    # a faster modality (4x the rate) carrying the same shift, plus noise
    fast = np.repeat(X[:, :1], 4, axis=2) + 0.1 * rng.normal(size=(16, 1, 480))
    M = Modalities(eda=X[:, :1], bvp=fast, temp=X[:, 1:])
    sel = RuLSIFOpportuneSelector(quantile=0.5, modalities=["eda", "bvp"], **SMALL)
    X_res, y_res = sel.fit_resample(M, y)
    assert isinstance(X_res, Modalities) and sorted(X_res) == ["bvp", "eda", "temp"]
    assert X_res.n_windows == y_res.size == int(sel.predict(M).sum())
    np.testing.assert_array_equal(y_res, y[sel.predict(M) == 1])
    np.testing.assert_array_equal(X_res["temp"], M["temp"][sel.predict(M) == 1])
    assert (y_res == 1).mean() >= 0.75


def test_channels_select_what_is_scored():
    X, y = _windows_with_changes(c=2)
    X[:, 1] = np.random.default_rng(3).normal(size=X[:, 1].shape)  # channel 1: no shift anywhere
    on_shift = RuLSIFOpportuneSelector(quantile=0.5, channels=[0], **SMALL).fit(X)
    np.testing.assert_array_equal(on_shift.predict(X), y)
    M = Modalities(a=X[:, :1], b=X[:, 1:])
    dict_channels = RuLSIFOpportuneSelector(quantile=0.5, channels={"a": [0]}, modalities=["a"], **SMALL)
    np.testing.assert_array_equal(dict_channels.fit(M).predict(M), y)
    with pytest.raises(ValueError, match="channels must be a dict"):
        RuLSIFOpportuneSelector(channels=[0], **SMALL).fit(M)
    with pytest.raises(ValueError, match="channels must be indices"):
        RuLSIFOpportuneSelector(channels=[5], **SMALL).fit(X)
    with pytest.raises(ValueError, match="lacks modalities"):
        RuLSIFOpportuneSelector(modalities=["eeg"], **SMALL).fit(M)


def _flatten_eda(X):
    return np.asarray(X["eda"]).reshape(X.n_windows, -1)


def test_in_imblearn_pipeline_under_grouped_cross_validation():
    X, _ = _windows_with_changes(n_windows=24, T=110)
    M = Modalities(eda=X[:, :1].astype(np.float32), temp=X[:, 1:].astype(np.float32))
    y = (np.arange(24) // 2) % 2  # both classes among the selected (even) windows
    groups = np.repeat(["S01", "S02", "S03"], 8)
    pipe = Pipeline(
        [
            ("select", RuLSIFOpportuneSelector(quantile=0.5, **SMALL)),
            ("flatten", FunctionTransformer(_flatten_eda)),
            ("clf", LogisticRegression()),
        ]
    )
    res = cross_validate(pipe, M, y, groups=groups, cv=GroupKFold(n_splits=3), error_score="raise")
    assert res["test_score"].shape == (3,) and np.isfinite(res["test_score"]).all()
    fitted = pipe.fit(M, y)
    assert fitted.predict(M).shape == (24,)  # samplers only act in fit: every window is predicted


def test_on_stress_predict_sample_with_subject_groups():
    from skkd.datasets import load_stress_predict_sample

    data = load_stress_predict_sample()
    rows = np.concatenate([np.flatnonzero(data.groups == g)[::6][:14] for g in np.unique(data.groups)])
    X, y, groups = data.X[rows], np.asarray(data.y)[rows], np.asarray(data.groups)[rows]
    pipe = Pipeline(
        [
            ("select", RuLSIFOpportuneSelector(quantile=0.5, modalities=["eda", "temp"])),
            ("flatten", FunctionTransformer(_flatten_eda)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    res = cross_validate(
        pipe, X, y, groups=groups, cv=GroupKFold(n_splits=3), error_score="raise", return_estimator=True
    )
    assert np.isfinite(res["test_score"]).all()
    for fitted in res["estimator"]:
        scores = fitted.named_steps["select"].train_scores_
        assert scores.size == 28 and np.isfinite(scores).all() and scores.std() > 0


def test_errors_are_clear():
    X, y = _windows_with_changes()
    with pytest.raises(ValueError, match="2n \\+ k - 1"):
        RuLSIFOpportuneSelector(k=10, n=60).fit(X)
    with pytest.raises(ValueError, match="n_samples=1"):
        RuLSIFOpportuneSelector(**SMALL).fit(X[:1])
    with pytest.raises(ValueError, match="selected no window"):
        RuLSIFOpportuneSelector(threshold=1e9, **SMALL).fit_resample(X, y)
    with pytest.raises(ValueError, match="quantile"):
        RuLSIFOpportuneSelector(quantile=1.0, **SMALL).fit(X)
    with pytest.raises(ValueError, match="aggregate"):
        RuLSIFOpportuneSelector(aggregate="median", **SMALL).fit(X)
    with pytest.raises(ValueError, match="needs y"):
        RuLSIFOpportuneSelector(**SMALL).fit_resample(X, None)
    with pytest.raises(ValueError, match="labels for 16 windows"):
        RuLSIFOpportuneSelector(**SMALL).fit_resample(X, y[:3])
    with pytest.raises(ValueError, match="shape"):
        RuLSIFOpportuneSelector(**SMALL).fit(np.zeros((2, 2, 2, 120)))
    with pytest.raises(ValueError, match="disagree"):
        RuLSIFOpportuneSelector(**SMALL).fit({"a": X[:3], "b": X[:4]})


@settings(max_examples=10, deadline=None)
@given(window=st.integers(0, 7), channel=st.integers(0, 1), t=st.integers(0, 119))
def test_nan_anywhere_raises(window, channel, t):
    X, _ = _windows_with_changes(n_windows=8)
    X[window, channel, t] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RuLSIFOpportuneSelector(**SMALL).fit(X)
    M = Modalities(eda=X)
    with pytest.raises(ValueError, match="NaN"):
        RuLSIFOpportuneSelector(**SMALL).fit(M)


@settings(max_examples=10, deadline=None)
@given(window=st.integers(0, 7), value=st.floats(-100, 100))
def test_a_constant_window_raises_naming_it(window, value):
    X, _ = _windows_with_changes(n_windows=8)
    X[window] = value
    with pytest.raises(ValueError, match=f"constant \\(indices {window}\\)"):
        RuLSIFOpportuneSelector(**SMALL).fit(X)


def test_single_window_can_be_scored_with_a_fixed_threshold():
    X, _ = _windows_with_changes(n_windows=4)
    sel = RuLSIFOpportuneSelector(threshold=0.0, **SMALL).fit(X[:1])
    assert sel.predict(X[1:2]).shape == (1,)
    with pytest.raises(ValueError, match="at least 2 training windows"):
        RuLSIFOpportuneSelector(**SMALL).fit(X[:1])


def test_reproducible_and_picklable():
    X, _ = _windows_with_changes()
    kw = dict(k=5, n=20, n_centers=8, random_state=0)
    a = RuLSIFOpportuneSelector(**kw).fit(X)
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.train_scores_, RuLSIFOpportuneSelector(**kw).fit(X).train_scores_)


def test_fixed_interval_selector():
    X = np.zeros((10, 1, 5))
    np.testing.assert_array_equal(FixedIntervalSelector(every=3, offset=1).fit_predict(X), [0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
    M = Modalities(eda=np.zeros((10, 1, 5)), bvp=np.zeros((10, 1, 20)))
    X_res, y_res = FixedIntervalSelector(every=5).fit_resample(M, np.arange(10))
    np.testing.assert_array_equal(y_res, [0, 5])
    assert X_res["bvp"].shape == (2, 1, 20)
    X_res, _ = FixedIntervalSelector(every=5).fit_resample(dict(M), np.arange(10))  # a plain dict works too
    assert isinstance(X_res, Modalities) and X_res.n_windows == 2
    with pytest.raises(ValueError, match="offset"):
        FixedIntervalSelector(every=2, offset=2).fit(X)
    with pytest.raises(ValueError, match="every"):
        FixedIntervalSelector(every=0).fit(X)
    with pytest.raises(ValueError, match="selected no window"):
        FixedIntervalSelector(every=5, offset=4).fit(X[:3])


def test_random_selector():
    X = np.zeros((40, 1, 5))
    a = RandomSelector(fraction=0.25, random_state=1).fit(X)
    assert a.predict(X).sum() == 10
    np.testing.assert_array_equal(a.predict(X), RandomSelector(fraction=0.25, random_state=1).fit(X).predict(X))
    assert RandomSelector(fraction=0.001, random_state=0).fit_predict(X).sum() == 1
    keep = a.predict(X) == 1
    assert a.score_samples(X)[keep].min() > a.score_samples(X)[~keep].max()
    with pytest.raises(ValueError, match="fraction"):
        RandomSelector(fraction=0.0).fit(X)


def test_estimator_selector_with_a_frozen_classifier():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    sel = EstimatorSelector(FrozenEstimator(clf)).fit(X, y)
    assert sel.estimator_ is not None
    np.testing.assert_array_equal(sel.predict(X), clf.predict(X))
    X_res, y_res = sel.fit_resample(X, y)
    assert (clf.predict(X_res) == 1).all() and y_res.size == X_res.shape[0]
    np.testing.assert_allclose(sel.score_samples(X), clf.predict_proba(X)[:, 1])
    with pytest.raises(ValueError, match="not among"):
        EstimatorSelector(LogisticRegression(), opportune_label=7).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        EstimatorSelector(LogisticRegression()).fit(X)
    with pytest.raises(ValueError, match="selected no window"):
        EstimatorSelector(LogisticRegression()).fit(X, np.zeros(60, dtype=int) + (np.arange(60) == 0))


def test_predict_refuses_windows_of_another_shape():
    """Issue 12, item 8: a threshold learnt on 120-sample windows means nothing on 240-sample ones."""
    X, _ = _windows_with_changes()  # (16, 2, 120)
    sel = RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(X)
    assert sel.window_shape_ == (2, 120)
    longer = np.random.default_rng(0).normal(size=(4, 2, 240))
    both = r"X has windows of shape \(2, 240\).*fitted on windows of shape \(2, 120\)"
    for method in (sel.predict, sel.score_samples, sel.decision_function):
        with pytest.raises(ValueError, match=both):
            method(longer)
    with pytest.raises(ValueError, match=r"X has 3 features.*shape \(3, 120\).*shape \(2, 120\)"):
        sel.predict(np.random.default_rng(0).normal(size=(4, 3, 120)))
    with pytest.raises(ValueError, match=r"X is a dict of modalities.*fitted on an array"):
        sel.predict({"eda": X})
    assert sel.predict(X[:3]).shape == (3,)  # fewer windows of the same shape are fine
    flat = RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(X[:, 0])  # 2-D: one channel
    assert flat.window_shape_ == (120,)
    with pytest.raises(ValueError, match=r"X has 100 features.*\(100,\).*\(120,\)"):
        flat.predict(X[:, 0, :100])


def test_predict_refuses_a_modality_of_another_shape():
    X, _ = _windows_with_changes()
    M = Modalities(eda=X[:, :1], temp=X[:, 1:])
    sel = RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(M)
    assert sel.window_shape_ == {"eda": (1, 120), "temp": (1, 120)}
    assert not hasattr(sel, "n_features_in_")
    twice_as_long = Modalities(eda=np.repeat(X[:, :1], 2, axis=2), temp=X[:, 1:])
    with pytest.raises(ValueError, match=r"X\['eda'\] has windows of shape \(1, 240\), fitted on \(1, 120\)"):
        sel.predict(twice_as_long)
    with pytest.raises(ValueError, match=r"X is an array of windows.*fitted on a dict"):
        sel.score_samples(X)
    np.testing.assert_array_equal(sel.predict(M), sel.predict(dict(M)))


@pytest.mark.parametrize(
    "make", [lambda: FixedIntervalSelector(every=2), lambda: RandomSelector(fraction=0.5, random_state=0)]
)
def test_baselines_refuse_windows_of_another_shape(make):
    sel = make().fit(np.zeros((8, 2, 50)))
    assert sel.window_shape_ == (2, 50)
    with pytest.raises(ValueError, match=r"X has windows of shape \(2, 60\).*fitted on windows of shape \(2, 50\)"):
        sel.predict(np.zeros((8, 2, 60)))
    with pytest.raises(ValueError, match=r"X has 3 features.*\(3, 50\).*\(2, 50\)"):
        sel.score_samples(np.zeros((8, 3, 50)))
    assert sel.predict(np.zeros((6, 2, 50))).shape == (6,)
    msel = make().fit(Modalities(eda=np.zeros((8, 1, 20)), bvp=np.zeros((8, 1, 320))))
    with pytest.raises(ValueError, match=r"X\['bvp'\] has windows of shape \(1, 160\), fitted on \(1, 320\)"):
        msel.predict(Modalities(eda=np.zeros((8, 1, 20)), bvp=np.zeros((8, 1, 160))))


def test_read_only_windows_are_accepted_and_left_alone():
    """pandas 3 and memmaps hand out read-only arrays: selectors never write into X."""
    import pandas as pd

    X, y = _windows_with_changes()
    frozen = X.copy()
    frozen.flags.writeable = False
    sel = RuLSIFOpportuneSelector(quantile=0.5, **SMALL)
    np.testing.assert_array_equal(sel.fit_predict(frozen), y)
    np.testing.assert_array_equal(sel.predict(frozen), y)
    X_res, y_res = sel.fit_resample(Modalities(eda=frozen[:, :1], temp=frozen[:, 1:]), y)
    np.testing.assert_array_equal(y_res, y[y == 1])
    df = pd.DataFrame(X[:, 0])
    np.testing.assert_array_equal(RuLSIFOpportuneSelector(quantile=0.5, **SMALL).fit(df).predict(df), y)
    for baseline in (FixedIntervalSelector(every=2), RandomSelector(fraction=0.5, random_state=0)):
        assert baseline.fit(frozen).predict(frozen).sum() == 8
    np.testing.assert_array_equal(frozen, X)
