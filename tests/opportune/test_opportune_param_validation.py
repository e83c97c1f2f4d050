"""Parameters are checked with scikit-learn's machinery: NaN, inf and wrong types name the parameter."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skkd.opportune import (
    EstimatorSelector,
    FixedIntervalSelector,
    RandomSelector,
    RuLSIFOpportuneSelector,
    median_heuristic,
    relative_density_ratio,
    rulsif_change_scores,
)

NAN, INF = float("nan"), float("inf")
X_SERIES = np.random.default_rng(0).normal(size=200)
X_WINDOWS = np.random.default_rng(0).normal(size=(6, 2, 60))
SMALL = dict(k=3, n=10)

# (parameter, bad value): NaN, inf, a wrong type, and what only the extra checks refuse
RULSIF_BAD = [
    ("k", NAN), ("k", INF), ("k", "3"), ("k", True),
    ("n", NAN), ("n", 2.5),
    ("alpha", NAN), ("alpha", INF), ("alpha", "0.1"),
    ("sigma", NAN), ("sigma", INF), ("sigma", [1.0, NAN]), ("sigma", [INF]), ("sigma", ["a"]), ("sigma", []),
    ("sigma_factors", NAN), ("sigma_factors", [0.5, INF]), ("sigma_factors", "0.5"),
    ("ridge", NAN), ("ridge", INF), ("ridge", [NAN]), ("ridge", [[0.1]]), ("ridge", "0.1"),
    ("n_centers", NAN), ("n_centers", INF), ("n_centers", "5"), ("n_centers", True),
    ("chunk_size", NAN), ("chunk_size", "8"), ("chunk_size", False),
    ("nonneg", 1), ("standardize", "yes"), ("random_state", "0"),
]


@pytest.mark.parametrize("name, value", RULSIF_BAD)
def test_rulsif_change_scores_names_the_bad_parameter(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of rulsif_change_scores"):
        rulsif_change_scores(X_SERIES, **{**SMALL, name: value})


@pytest.mark.parametrize("name, value", RULSIF_BAD + [
    ("quantile", NAN), ("quantile", INF), ("quantile", "0.5"), ("quantile", False),
    ("threshold", NAN), ("threshold", INF), ("threshold", "0"),
    ("aggregate", 1), ("channels", "0"), ("modalities", "eda"),
])
def test_rulsif_selector_names_the_bad_parameter(name, value):
    sel = RuLSIFOpportuneSelector(**{**SMALL, name: value})
    for method in ("fit", "fit_predict"):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of RuLSIFOpportuneSelector"):
            getattr(sel, method)(X_WINDOWS)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        sel.fit_resample(X_WINDOWS, np.arange(6))


@pytest.mark.parametrize("selector, name, value", [
    (RuLSIFOpportuneSelector(**SMALL), "aggregate", "median"),
    (RuLSIFOpportuneSelector(**SMALL), "sigma", [NAN]),
    (FixedIntervalSelector(every=2), "offset", 2),
    (RandomSelector(random_state=0), "fraction", INF),
])
def test_selectors_check_parameters_set_after_fit(selector, name, value):
    sel = clone(selector).fit(X_WINDOWS).set_params(**{name: value})
    for method in ("predict", "score_samples"):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            getattr(sel, method)(X_WINDOWS)


@pytest.mark.parametrize("name, value", [
    ("every", NAN), ("every", INF), ("every", "2"), ("every", True), ("every", 0),
    ("offset", NAN), ("offset", INF), ("offset", "0"), ("offset", True), ("offset", 4),
])
def test_fixed_interval_selector_names_the_bad_parameter(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of FixedIntervalSelector"):
        FixedIntervalSelector(**{"every": 4, name: value}).fit(X_WINDOWS)


@pytest.mark.parametrize("name, value", [
    ("fraction", NAN), ("fraction", INF), ("fraction", "0.5"), ("fraction", True), ("fraction", 0.0),
    ("random_state", "0"),
])
def test_random_selector_names_the_bad_parameter(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of RandomSelector"):
        RandomSelector(**{name: value}).fit(X_WINDOWS)


@pytest.mark.parametrize("estimator", [None, "logistic", object()])
def test_estimator_selector_needs_an_estimator(estimator):
    X = X_WINDOWS.reshape(6, -1)
    with pytest.raises(InvalidParameterError, match="'estimator' parameter of EstimatorSelector"):
        EstimatorSelector(estimator).fit(X, np.arange(6) % 2)


@pytest.mark.parametrize("name, value", [
    ("x", 3.0), ("k", NAN), ("k", INF), ("k", "3"), ("k", True), ("n", NAN), ("n", 0),
    ("standardize", "yes"),
])
def test_median_heuristic_names_the_bad_parameter(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of median_heuristic"):
        median_heuristic(**{"x": X_SERIES, **SMALL, name: value})


@pytest.mark.parametrize("name, value", [
    ("alpha", NAN), ("alpha", INF), ("alpha", "0.1"),
    ("sigma", NAN), ("sigma", INF), ("sigma", [1.0, NAN]), ("sigma", "1"),
    ("ridge", [INF]), ("ridge", NAN), ("ridge", "0.1"),
    ("n_centers", NAN), ("n_centers", INF), ("n_centers", "10"),
    ("nonneg", None), ("random_state", "0"), ("centers", 1.0),
])
def test_relative_density_ratio_names_the_bad_parameter(name, value):
    x = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of relative_density_ratio"):
        relative_density_ratio(x, x + 1, **{name: value})


def test_valid_parameters_of_every_accepted_kind():
    rng = np.random.default_rng(0)
    base = rulsif_change_scores(X_SERIES, **SMALL, random_state=0).score
    for kw in (dict(sigma_factors=np.array([0.5])), dict(ridge=np.float64(0.1)), dict(random_state=rng)):
        np.testing.assert_array_equal(rulsif_change_scores(X_SERIES, **SMALL, **kw).score, base)
    sel = RuLSIFOpportuneSelector(**SMALL, channels=0, modalities=None, threshold=np.float32(0.0)).fit(X_WINDOWS)
    assert sel.threshold_ == 0.0
