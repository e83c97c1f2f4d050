"""Classical and per-group baselines, and the within-subject split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skkd.baselines import (
    PerGroupClassifier,
    make_minirocket_baseline,
    make_rf_baseline,
    make_svm_baseline,
)
from skkd.model_selection import WithinGroupSplit


def _two_groups(n=60, seed=0):
    """Group 'a' labels follow +x, group 'b' labels follow -x: only per-group models can fit both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=2 * n)
    g = np.repeat(["a", "b"], n)
    y = np.where(g == "a", x > 0, x < 0).astype(int)
    return pd.DataFrame({"x": x, "noise": rng.normal(size=2 * n), "g": g}), y


def test_per_group_beats_aggregate_when_groups_disagree():
    X, y = _two_groups()
    per_group = PerGroupClassifier(LogisticRegression(), by="g").fit(X, y)
    aggregate = LogisticRegression().fit(X[["x", "noise"]], y)
    assert per_group.score(X, y) > 0.95
    assert aggregate.score(X[["x", "noise"]], y) < 0.7
    assert sorted(per_group.estimators_) == ["a", "b"]


def test_predict_proba_columns_follow_classes_():
    X, y = _two_groups()
    y = np.where(y == 1, "stress", "rest")
    clf = PerGroupClassifier(LogisticRegression(), by="g").fit(X, y)
    proba = clf.predict_proba(X)
    assert list(clf.classes_) == ["rest", "stress"]
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X))


def test_unseen_and_small_groups_fall_back_or_raise():
    X, y = _two_groups()
    X.loc[:2, "g"] = "tiny"
    with pytest.warns(UserWarning, match=r"\['tiny'\].*aggregate"):
        clf = PerGroupClassifier(LogisticRegression(), by="g").fit(X, y)
    assert clf.fallback_groups_ == ["tiny"]
    new = X.iloc[:4].assign(g="never-seen")
    assert clf.predict(new).shape == (4,)
    with pytest.raises(ValueError, match="group 'tiny' has 3 windows"):
        PerGroupClassifier(LogisticRegression(), by="g", fallback="error").fit(X, y)
    strict = PerGroupClassifier(LogisticRegression(), by="g", fallback="error").fit(
        X[X.g != "tiny"], y[X.g != "tiny"]
    )
    with pytest.raises(ValueError, match="'never-seen' was not seen in fit"):
        strict.predict(new)


@pytest.mark.parametrize(
    "kwargs, fit_kwargs, match",
    [
        ({"by": "missing"}, {}, "by='missing' is not a column"),
        ({}, {}, "groups is required when by=None"),
        ({"fallback": "nope"}, {}, "'fallback' parameter"),
        ({"min_samples": 0}, {}, r"'min_samples' parameter .* range \[1, inf\)"),
        ({"by": "g"}, {"groups": np.zeros(120)}, "either by="),
        ({}, {"groups": np.zeros(5)}, "one value per row"),
    ],
)
def test_bad_arguments_are_named(kwargs, fit_kwargs, match):
    X, y = _two_groups()
    with pytest.raises((ValueError, TypeError), match=match):
        PerGroupClassifier(LogisticRegression(), **kwargs).fit(X, y, **fit_kwargs)


def test_groups_route_through_a_pipeline_with_metadata_routing():
    X, y = _two_groups()
    groups = X.pop("g").to_numpy()
    with config_context(enable_metadata_routing=True):
        clf = PerGroupClassifier(LogisticRegression()).set_fit_request(groups=True)
        clf.set_predict_request(groups=True)
        pipe = make_pipeline(clf).fit(X, y, groups=groups)
        assert (pipe.predict(X, groups=groups) == y).mean() > 0.95


def test_within_group_split_is_chronological_with_gap():
    groups = np.array(["s1"] * 6 + ["s2"] * 4)
    train, test = next(WithinGroupSplit(train_fraction=0.5, gap=1).split(np.zeros(10), groups=groups))
    assert train.tolist() == [0, 1, 2, 6, 7]
    assert test.tolist() == [4, 5, 9]
    with pytest.raises(ValueError, match="group 's2' has 4 windows"):
        next(WithinGroupSplit(train_fraction=0.5, gap=2).split(np.zeros(10), groups=groups))
    with pytest.raises(ValueError, match="train_fraction"):
        next(WithinGroupSplit(train_fraction=1.5).split(np.zeros(10), groups=groups))
    with pytest.raises(ValueError, match="groups is required"):
        next(WithinGroupSplit().split(np.zeros(10)))


def test_svm_and_rf_baselines_handle_nan_features():
    X, y = _two_groups()
    X = X[["x", "noise"]].to_numpy(copy=True)  # pandas 3: to_numpy() may be read-only
    X[::7, 1] = np.nan
    X.setflags(write=False)  # the baselines must not write into the caller's array
    for model in (make_rf_baseline(n_estimators=20), make_svm_baseline()):
        assert model.fit(X, y).predict_proba(X).shape == (len(y), 2)


def test_demographic_models_on_real_multi_source_stress(data_home):
    """One model per source study, evaluated subject-independently on real data.

    The studies differ in their stress base rate (UBFC-Phys subjects are almost all
    'stress'), so even a per-study prior beats the aggregate prior: the group-level
    shift that demographic baselines exploit.
    """
    from skkd.datasets import load_multi_source_stress

    data = load_multi_source_stress(data_home)
    rows = np.arange(0, len(data.y), 60)  # one row a minute: rows are 1 s apart and highly correlated
    X = data.X.iloc[rows].reset_index(drop=True).assign(study=data.meta["study"].to_numpy()[rows])
    y, groups = np.asarray(data.y)[rows], np.asarray(data.groups)[rows]
    cv = GroupKFold(n_splits=3)

    def score(model):
        res = cross_validate(model, X, y, groups=groups, cv=cv, scoring="balanced_accuracy")
        return res["test_score"].mean()

    without_study = ColumnTransformer([("study", "drop", ["study"])], remainder="passthrough")
    aggregate_prior = score(make_pipeline(without_study, DummyClassifier()))
    per_study_prior = score(PerGroupClassifier(DummyClassifier(), by="study"))
    per_study_rf = score(PerGroupClassifier(make_rf_baseline(n_estimators=30), by="study"))
    assert aggregate_prior == pytest.approx(0.5)
    assert per_study_prior > aggregate_prior + 0.1
    assert per_study_rf > aggregate_prior + 0.1


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("name, value", [
    ("min_samples", NAN), ("min_samples", INF), ("min_samples", "10"),
    ("drop_by", "yes"), ("by", 1.5), ("fallback", None), ("estimator", "forest"),
])
def test_per_group_classifier_names_the_bad_parameter(name, value):
    X, y = _two_groups()
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of PerGroupClassifier"):
        PerGroupClassifier(**{"by": "g", name: value}).fit(X, y)


@pytest.mark.parametrize("factory, name, value", [
    (make_rf_baseline, "n_estimators", NAN), (make_rf_baseline, "n_estimators", INF),
    (make_rf_baseline, "n_estimators", "300"), (make_rf_baseline, "n_jobs", NAN),
    (make_rf_baseline, "random_state", "0"),
    (make_svm_baseline, "C", NAN), (make_svm_baseline, "C", INF), (make_svm_baseline, "C", "1"),
    (make_svm_baseline, "C", 0.0),
    (make_minirocket_baseline, "num_kernels", NAN), (make_minirocket_baseline, "num_kernels", INF),
    (make_minirocket_baseline, "num_kernels", "84"), (make_minirocket_baseline, "classifier", "svm"),
    (make_minirocket_baseline, "backend", "numba"), (make_minirocket_baseline, "n_jobs", NAN),
])
def test_baseline_factories_name_the_bad_parameter(factory, name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {factory.__name__}"):
        factory(**{name: value})
