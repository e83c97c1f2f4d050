"""ModalityTransformer: routing, names, nested params, missing keys, pipelines."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation

from skkd import Modalities
from skkd.compose import ModalityTransformer
from skkd.features import (
    BVPFeatures,
    EDAFeatures,
    FeatureExtractionWarning,
    GAFImager,
    TEMPFeatures,
)


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    n = 12
    return Modalities(
        eda=5 + np.cumsum(rng.normal(scale=0.01, size=(n, 1, 240)), axis=2),
        temp=33 + np.cumsum(rng.normal(scale=0.01, size=(n, 1, 240)), axis=2),
        eeg=rng.normal(size=(n, 4, 50)),
    )


def test_frame_output_and_names(X):
    mt = ModalityTransformer({"temp": TEMPFeatures(fs=4, verbose=0), "eeg": "passthrough"})
    F = mt.fit_transform(X)
    assert isinstance(F, pd.DataFrame) and F.shape == (12, 7 + 200)
    names = mt.get_feature_names_out()
    assert names[0] == "temp__temp_mean" and names[7] == "eeg__0"
    assert list(F.columns) == list(names)
    np.testing.assert_allclose(F.iloc[:, :7], TEMPFeatures(fs=4).fit_transform(X["temp"]))
    np.testing.assert_array_equal(F.iloc[:, 7:].to_numpy(), X["eeg"].reshape(12, -1))
    # "eda" is not named and remainder="drop": it is left out
    assert not any(n.startswith("eda__") for n in names)


def test_remainder_passthrough_and_dict_output(X):
    mt = ModalityTransformer(
        {"eeg": GAFImager(image_size=8)}, remainder="passthrough", output="dict"
    )
    out = mt.fit_transform(X)
    assert isinstance(out, Modalities)
    assert out["eeg"].shape == (12, 4, 8, 8)
    assert out["eda"] is X["eda"] and out["temp"] is X["temp"]
    with pytest.raises(AttributeError, match="output='frame'"):
        mt.get_feature_names_out()
    # with output="dict" an absent fitted modality is simply not returned
    assert sorted(mt.transform(X.drop(["eeg"]))) == ["eda", "temp"]


def test_nested_params_clone_and_grid_search(X):
    mt = ModalityTransformer({"temp": TEMPFeatures(fs=4), "eda": "drop"})
    params = mt.get_params()
    assert params["temp__fs"] == 4 and params["eda"] == "drop"
    mt.set_params(temp__fs=8, remainder="passthrough")
    assert mt.transformers["temp"].fs == 8 and mt.remainder == "passthrough"
    cloned = clone(mt)
    assert cloned.transformers["temp"] is not mt.transformers["temp"]
    assert cloned.get_params()["temp__fs"] == 8
    mt.set_params(eda=EDAFeatures(fs=4, verbose=0))
    assert isinstance(mt.transformers["eda"], EDAFeatures)
    with pytest.raises(ValueError, match="no parameters"):
        ModalityTransformer({"eda": "drop"}).set_params(eda__fs=4)

    y = np.tile([0, 1], 6)
    pipe = Pipeline([
        ("features", ModalityTransformer({"temp": TEMPFeatures(fs=4, verbose=0)})),
        ("clf", RandomForestClassifier(n_estimators=5, random_state=0)),
    ])
    grid = GridSearchCV(pipe, {"features__temp__fs": [4, 8]}, cv=GroupKFold(3))
    grid.fit(X, y, groups=np.repeat(["a", "b", "c"], 4))
    assert grid.best_params_["features__temp__fs"] in (4, 8)


def test_missing_modalities(X):
    mt = ModalityTransformer({"temp": TEMPFeatures(fs=4, verbose=0), "eeg": "drop"}).fit(X)
    # a dropped key may be absent at transform time
    assert mt.transform(X.select(["temp"])).shape == (12, 7)
    # a used key may not (its columns feed the next step)
    with pytest.raises(ValueError, match=r"lacks modalities \['temp'\]"):
        mt.transform(X.select(["eda"]))
    with pytest.raises(ValueError, match=r"lacks modalities \['bvp'\]"):
        ModalityTransformer({"bvp": BVPFeatures()}).fit(X)
    with pytest.raises(TypeError, match="dict of modalities"):
        mt.transform(X["temp"])


def test_bad_specifications(X):
    with pytest.raises(ValueError, match="'passthrough' or 'drop'"):
        ModalityTransformer({"temp": "keep"}).fit(X)
    with pytest.raises(TypeError, match="fit and transform"):
        ModalityTransformer({"temp": 3}).fit(X)
    with pytest.raises(ValueError, match="remainder"):
        ModalityTransformer({"temp": "drop"}, remainder="all").fit(X)
    with pytest.raises(ValueError, match="modality name"):
        ModalityTransformer({"output": "drop"}).fit(X)
    with pytest.raises(ValueError, match="2-D outputs"):
        ModalityTransformer({"eeg": GAFImager(image_size=4)}).fit(X)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("name, value", [
    ("n_jobs", NAN), ("n_jobs", INF), ("n_jobs", "2"), ("remainder", NAN), ("output", 1),
    ("transformers", ["temp"]), ("transformers", {"temp": NAN}), ("transformers", {1: "drop"}),
])
def test_bad_parameters_are_named(X, name, value):
    mt = ModalityTransformer(**{"transformers": {"temp": "passthrough"}, name: value})
    for method in ("fit", "fit_transform"):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of ModalityTransformer"):
            getattr(mt, method)(X)


def test_sklearn_check_param_validation():
    # sklearn's arrays fail only after the parameters are checked
    check_param_validation("ModalityTransformer", ModalityTransformer({"x": "passthrough"}))


def test_n_jobs_pickle_and_set_output(X):
    mt = ModalityTransformer(
        {"temp": TEMPFeatures(fs=4, verbose=0),
         "eeg": FunctionTransformer(lambda a: a.mean(axis=2))},
        n_jobs=2,
    )
    with parallel_config(backend="threading"):  # same code path, no process start-up
        F = mt.fit_transform(X)
    assert F.shape == (12, 11) and F.columns[-1] == "eeg__3"
    serial = clone(mt).set_params(n_jobs=None).fit_transform(X)
    pd.testing.assert_frame_equal(F, serial)
    mt2 = ModalityTransformer({"temp": TEMPFeatures(fs=4, verbose=0)}).fit(X)
    again = pickle.loads(pickle.dumps(mt2))
    pd.testing.assert_frame_equal(again.transform(X), mt2.transform(X))
    # set_output reaches the modality transformers; the container is `output`'s
    mt2.set_output(transform="pandas")
    assert isinstance(mt2.transformers_["temp"].transform(X["temp"]), pd.DataFrame)
    assert list(mt2.transform(X).columns) == list(mt2.get_feature_names_out())


def _wearable_pipeline(n_jobs=None):
    return Pipeline([
        ("features", ModalityTransformer({
            "eda": EDAFeatures(fs=4, verbose=0, n_jobs=n_jobs),
            "bvp": BVPFeatures(fs=64, verbose=0, n_jobs=n_jobs),
            "temp": TEMPFeatures(fs=4, verbose=0),
            "acc": "drop",
        }, output="frame")),
        ("clf", RandomForestClassifier(n_estimators=50, random_state=0)),
    ])


@pytest.fixture(scope="module")
def stress_predict(data_home):
    from skkd.datasets import load_stress_predict

    return load_stress_predict(data_home=data_home, signals=("eda", "temp", "bvp", "acc"))


def _check_wearable_pipeline(data, rows, n_jobs=None):
    X, y, groups = data.X[rows], data.y[rows], data.groups[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        scores = cross_validate(
            _wearable_pipeline(n_jobs), X, y, groups=groups, cv=GroupKFold(5),
            scoring="balanced_accuracy",
        )
        assert np.isfinite(scores["test_score"]).all()
        # fitted with the accelerometer present (dropped), predicting without it
        pipe = _wearable_pipeline(n_jobs).fit(X, y)
        pred = pipe.predict(X.drop(["acc"]))
    assert pred.shape == (len(rows),) and set(pred) <= {0, 1}
    assert pipe[0].get_feature_names_out()[0] == "eda__eda_mean"
    return scores


def test_wearable_pipeline_on_stress_predict_subset(stress_predict):
    data = stress_predict
    # 5 subjects (one per fold), every 10th window: neurokit2 is the slow part
    subjects = np.unique(data.groups)[:5]
    rows = np.flatnonzero(np.isin(data.groups, subjects))[::10]
    _check_wearable_pipeline(data, rows)


@pytest.mark.slow
def test_wearable_pipeline_on_all_stress_predict(stress_predict):
    # about 40k window extractions: all cores
    scores = _check_wearable_pipeline(
        stress_predict, np.arange(stress_predict.X.n_windows), n_jobs=-1)
    assert scores["test_score"].mean() > 0.5
