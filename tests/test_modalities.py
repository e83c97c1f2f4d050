"""Modalities goes through sklearn's splitting and search machinery unchanged."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate

from skkd import Modalities


def _toy(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = Modalities(
        eda=rng.normal(size=(n, 1, 16)).astype(np.float32),
        eeg=rng.normal(size=(n, 4, 32)).astype(np.float32),
        audio=rng.normal(size=(n, 100)).astype(np.float32),
    )
    # row id written into every modality so alignment can be checked after slicing
    for key in X:
        X[key].reshape(n, -1)[:, 0] = np.arange(n)
    y = np.tile([0, 1], n // 2)
    groups = np.repeat(np.arange(n // 4), 4)
    return X, y, groups


class _RowIdClassifier(ClassifierMixin, BaseEstimator):
    """Checks that every modality carries the same rows, predicts the majority class."""

    def __init__(self, shift: float = 0.0):
        self.shift = shift

    def fit(self, X, y):
        self._check_aligned(X)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        self._check_aligned(X)
        return np.full(len(X), self.majority_)

    @staticmethod
    def _check_aligned(X):
        assert isinstance(X, Modalities)
        ids = [X[k].reshape(len(X), -1)[:, 0] for k in X]
        for other in ids[1:]:
            np.testing.assert_array_equal(ids[0], other)


def test_repr_len_and_shape():
    X, _, _ = _toy()
    assert len(X) == X.n_windows == 40
    assert X.shape == (40,)
    assert repr(X).startswith("Modalities(n_windows=40, eda=(1, 16)")


def test_row_subset_keeps_modalities_aligned():
    X, _, _ = _toy()
    idx = np.array([5, 1, 33])
    sub = X[idx]
    assert isinstance(sub, Modalities)
    for key in X:
        np.testing.assert_array_equal(sub[key], X[key][idx])
    mask = np.zeros(40, bool)
    mask[[2, 7]] = True
    assert X[mask]["eeg"].shape == (2, 4, 32)
    assert X[3]["audio"].shape == (1, 100)


def test_group_kfold_split_is_subject_disjoint_and_aligned():
    X, y, groups = _toy()
    for train, test in GroupKFold(n_splits=5).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
        _RowIdClassifier._check_aligned(X[train])
        np.testing.assert_array_equal(X[test]["eda"][:, 0, 0], test)


def test_cross_validate_and_grid_search_accept_modalities():
    X, y, groups = _toy()
    res = cross_validate(_RowIdClassifier(), X, y, groups=groups, cv=GroupKFold(5))
    assert len(res["test_score"]) == 5
    search = GridSearchCV(_RowIdClassifier(), {"shift": [0.0, 1.0]}, cv=GroupKFold(5))
    search.fit(X, y, groups=groups)
    assert search.best_params_["shift"] in (0.0, 1.0)


def test_select_drop_and_pickle():
    X, _, _ = _toy()
    assert sorted(X.select(["eda", "eeg"])) == ["eda", "eeg"]
    assert sorted(X.drop(["eeg", "absent"])) == ["audio", "eda"]
    with pytest.raises(KeyError, match="missing modalities \\['video'\\]"):
        X.select(["video"])
    back = pickle.loads(pickle.dumps(X))
    assert isinstance(back, Modalities) and back == X


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"eda": np.zeros((3, 2)), "bvp": np.zeros((4, 2))}, ValueError, "different lengths"),
        ({"eda": 3.0}, ValueError, "first axis of windows"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        Modalities(**kwargs)


def test_bad_mapping_and_key():
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        Modalities([1, 2, 3])
    with pytest.raises(TypeError, match="keys must be modality names"):
        Modalities({1: np.zeros(3)})
    X, _, _ = _toy()
    with pytest.raises(ValueError, match="shape\\[0\\]"):
        X["new"] = np.zeros((3, 2))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 30),
    idx_seed=st.integers(0, 2**16),
)
def test_any_index_array_slices_every_modality(n, idx_seed):
    rng = np.random.default_rng(idx_seed)
    X = Modalities(a=np.arange(n * 2).reshape(n, 2), b=np.arange(n * 6).reshape(n, 3, 2))
    idx = rng.integers(0, n, size=rng.integers(0, n + 1))
    sub = X[idx]
    assert len(sub) == len(idx)
    np.testing.assert_array_equal(sub["a"][:, 0] // 2, sub["b"][:, 0, 0] // 6)
