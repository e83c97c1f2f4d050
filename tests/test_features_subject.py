"""SubjectStandardScaler: per-subject z-scores with groups routed as metadata."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkd.features import SubjectStandardScaler


@parametrize_with_checks([SubjectStandardScaler(), SubjectStandardScaler(with_mean=False)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _subjects(seed=0, n_subjects=6, n=40):
    """Subjects whose baselines differ far more than their states do."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"S{i:02d}" for i in range(n_subjects)], n)
    y = np.tile(np.repeat([0, 1], n // 2), n_subjects)
    offset = np.repeat(rng.normal(scale=5, size=(n_subjects, 3)), n, axis=0)
    scale = np.repeat(rng.uniform(0.5, 3, size=(n_subjects, 3)), n, axis=0)
    X = offset + scale * (rng.normal(size=(len(y), 3)) + 0.8 * y[:, None])
    return X, y, groups


def test_each_subject_is_standardised_by_its_own_rows():
    X, _, groups = _subjects()
    Z = SubjectStandardScaler().fit_transform(X, groups=groups)
    for g in np.unique(groups):
        np.testing.assert_allclose(Z[groups == g].mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z[groups == g].std(axis=0), 1, atol=1e-12)
    # a new subject at predict time: only its own unlabeled windows count
    scaler = SubjectStandardScaler().fit(X[groups != "S05"], groups=groups[groups != "S05"])
    new = X[groups == "S05"]
    np.testing.assert_allclose(scaler.transform(new), (new - new.mean(0)) / new.std(0))


def test_labels_are_never_used():
    X, y, groups = _subjects()
    a = SubjectStandardScaler().fit(X, y, groups=groups).transform(X, groups=groups)
    b = SubjectStandardScaler().fit(X, y[::-1], groups=groups).transform(X, groups=groups)
    np.testing.assert_array_equal(a, b)


def test_nan_and_small_subjects_fall_back_to_pooled_statistics():
    X = np.array([[1.0, np.nan], [3.0, 2.0], [10.0, 4.0], [7.0, 6.0]])
    groups = np.array(["a", "a", "b", "c"])
    scaler = SubjectStandardScaler().fit(X, groups=groups)
    Z = scaler.transform(X, groups=groups)
    assert np.isnan(Z[0, 1]) and np.isfinite(np.delete(Z.ravel(), 1)).all()
    # subjects "b" and "c" have one window each: pooled mean and std are used
    np.testing.assert_allclose(Z[2], (X[2] - scaler.mean_) / scaler.scale_)
    with pytest.raises(ValueError, match="groups must be 1-D"):
        scaler.transform(X, groups=groups[:3])


def _pipe(normalise):
    steps = [("clf", RandomForestClassifier(n_estimators=60, random_state=0))]
    if normalise:
        scaler = SubjectStandardScaler().set_fit_request(groups=True).set_transform_request(
            groups=True)
        steps.insert(0, ("norm", scaler))
    return Pipeline(steps)


def test_groups_are_routed_in_pipeline_and_cross_validate():
    X, y, groups = _subjects()
    with sklearn.config_context(enable_metadata_routing=True):
        # default scorer -> Pipeline.score(X, y, groups=...): test windows are
        # standardised per test subject, whatever the number of test subjects
        res = cross_validate(_pipe(True), X, y, cv=GroupKFold(3), params={"groups": groups},
                             return_estimator=True, return_indices=True)
        manual = []
        for est, test in zip(res["estimator"], res["indices"]["test"]):
            Zt = SubjectStandardScaler().fit_transform(X[test], groups=groups[test])
            manual.append(np.mean(est[-1].predict(Zt) == y[test]))
        np.testing.assert_allclose(res["test_score"], manual)
        raw = cross_validate(_pipe(False), X, y, cv=LeaveOneGroupOut(),
                             params={"groups": groups})
        norm = cross_validate(_pipe(True), X, y, cv=LeaveOneGroupOut(),
                              params={"groups": groups}, scoring="balanced_accuracy")
    # removing subject baselines is what makes the states separable here
    assert norm["test_score"].mean() > raw["test_score"].mean() + 0.1


@pytest.mark.slow
def test_subject_normalisation_helps_on_stress_predict(data_home):
    from skkd.compose import ModalityTransformer
    from skkd.datasets import load_stress_predict
    from skkd.features import TEMPFeatures

    data = load_stress_predict(data_home=data_home, signals=("eda", "temp"))
    stats = ModalityTransformer({"eda": TEMPFeatures(fs=4, verbose=0),
                                 "temp": TEMPFeatures(fs=4, verbose=0)})
    F = stats.fit_transform(data.X).to_numpy()
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = {
            normalise: cross_validate(_pipe(normalise), F, data.y, cv=LeaveOneGroupOut(),
                                      scoring="balanced_accuracy",
                                      params={"groups": data.groups})["test_score"].mean()
            for normalise in (False, True)
        }
    assert scores[True] > scores[False] + 0.02
