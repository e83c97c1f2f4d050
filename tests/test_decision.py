"""PriorCorrectedClassifier: argmax p(c|x)/π_c on any probabilistic classifier."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError

from skkd.decision import PriorCorrectedClassifier


class _Fixed(ClassifierMixin, BaseEstimator):
    """Returns the same probabilities for every row (for hand-worked examples)."""

    def __init__(self, proba=(0.6, 0.3, 0.1)):
        self.proba = proba

    def fit(self, X, y, groups=None):
        self.classes_ = np.unique(y)
        self.groups_seen_ = groups
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.proba, float), (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_hand_worked_correction():
    X = np.zeros((10, 1))
    y = np.array(["a"] * 5 + ["b"] * 3 + ["c"] * 2)  # π = .5, .3, .2
    clf = PriorCorrectedClassifier(_Fixed()).fit(X, y)
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.3, 0.2])
    # p/π = 1.2, 1.0, 0.5 -> normalised by 2.7
    np.testing.assert_allclose(clf.predict_proba(X[:1]), [[1.2 / 2.7, 1.0 / 2.7, 0.5 / 2.7]])
    assert clf.predict(X[:2]).tolist() == ["a", "a"]
    clf = PriorCorrectedClassifier(_Fixed((0.5, 0.35, 0.15))).fit(X, y)  # 1.0, 1.1667, .75
    assert clf.predict(X[:1]).tolist() == ["b"]
    assert _Fixed((0.5, 0.35, 0.15)).fit(X, y).predict(X[:1]).tolist() == ["a"]
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X[:1])), clf.predict_proba(X[:1]))


def test_balanced_labels_change_nothing_and_majority_bias_is_removed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    # exactly balanced labels: the priors are equal, predictions identical
    n = min(np.bincount(y))
    bal = np.r_[np.flatnonzero(y == 0)[:n], np.flatnonzero(y == 1)[:n]]
    wrapped = PriorCorrectedClassifier(LogisticRegression()).fit(X[bal], y[bal])
    np.testing.assert_allclose(wrapped.class_prior_, [0.5, 0.5])
    np.testing.assert_array_equal(wrapped.predict(X),
                                  LogisticRegression().fit(X[bal], y[bal]).predict(X))
    # a prior-only model (dummy) predicts the majority; corrected, the classes tie (π_c / π_c)
    imb = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:40]]
    dummy = PriorCorrectedClassifier(DummyClassifier(strategy="prior")).fit(X[imb], y[imb])
    np.testing.assert_allclose(dummy.predict_proba(X[:5]), 0.5)
    forest = RandomForestClassifier(50, random_state=0)
    plain = forest.fit(X[imb], y[imb]).predict(X)
    corrected = PriorCorrectedClassifier(forest).fit(X[imb], y[imb]).predict(X)
    assert balanced_accuracy_score(y, corrected) > balanced_accuracy_score(y, plain)


def test_needs_predict_proba():
    with pytest.raises(TypeError, match="predict_proba"):
        PriorCorrectedClassifier(SVC()).fit(np.zeros((4, 1)), [0, 1, 0, 1])


@pytest.mark.parametrize("estimator", [None, float("nan"), "logistic", SVC()])
def test_bad_estimator_is_named(estimator):
    with pytest.raises(InvalidParameterError, match="'estimator' parameter of PriorCorrectedClassifier"):
        PriorCorrectedClassifier(estimator).fit(np.zeros((4, 1)), [0, 1, 0, 1])




def test_in_a_pipeline_pickles_and_routes_groups():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2)), np.r_[np.zeros(20, int), np.ones(10, int)]
    groups = np.repeat(["s1", "s2", "s3"], 10)
    pipe = make_pipeline(StandardScaler(), PriorCorrectedClassifier(LogisticRegression()))
    pipe.fit(X, y)
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
    with sklearn.config_context(enable_metadata_routing=True):
        clf = PriorCorrectedClassifier(_Fixed().set_fit_request(groups=True))
        clf.fit(X, y, groups=groups)
        np.testing.assert_array_equal(clf.estimator_.groups_seen_, groups)
        with pytest.raises(TypeError, match="groups"):  # requested by nobody
            PriorCorrectedClassifier(_Fixed().set_fit_request(groups=False)).fit(
                X, y, groups=groups)
    # without routing, groups go to an estimator whose fit names them, and only there
    clf = PriorCorrectedClassifier(_Fixed()).fit(X, y, groups=groups)
    np.testing.assert_array_equal(clf.estimator_.groups_seen_, groups)
    PriorCorrectedClassifier(LogisticRegression()).fit(X, y, groups=groups)
    assert not hasattr(PriorCorrectedClassifier, "set_fit_request")  # a router, not a consumer
