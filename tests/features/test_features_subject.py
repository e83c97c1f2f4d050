"""SubjectStandardScaler: per-subject z-scores with groups routed as metadata."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, cross_validate
from sklearn.pipeline import Pipeline

from skkd.features import SubjectStandardScaler


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
    Z = SubjectStandardScaler(calibration="all").fit_transform(X, groups=groups)
    for g in np.unique(groups):
        np.testing.assert_allclose(Z[groups == g].mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z[groups == g].std(axis=0), 1, atol=1e-12)
    # a new subject at predict time: only its own unlabeled windows count
    scaler = SubjectStandardScaler(calibration="all").fit(X[groups != "S05"],
                                                          groups=groups[groups != "S05"])
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


def _held_out(calibration, change_after=None, seed=1):
    """Fit on five subjects, transform the sixth (optionally with its later windows changed)."""
    X, _, groups = _subjects(seed=seed)
    train = groups != "S05"
    scaler = SubjectStandardScaler(calibration=calibration).fit(X[train], groups=groups[train])
    new = X[~train].copy()
    if change_after is not None:
        rng = np.random.default_rng(99)
        new[change_after:] = rng.normal(scale=50, size=new[change_after:].shape) + 1e3
    return scaler, new, scaler.transform(new, groups=groups[~train])


@pytest.mark.parametrize("K", [1, 5, 10])
def test_held_out_subject_is_calibrated_on_its_first_K_windows_only(K):
    _, new, Z = _held_out(K)
    _, changed, Zc = _held_out(K, change_after=K)
    assert not np.array_equal(new[K:], changed[K:])
    # nothing after the calibration period reaches any other row: bit-identical
    np.testing.assert_array_equal(Z[:K], Zc[:K])
    if K >= 2:
        calib = new[:K]
        np.testing.assert_allclose(Z, (new - calib.mean(0)) / calib.std(0), rtol=1e-12)
        np.testing.assert_allclose(Zc, (changed - calib.mean(0)) / calib.std(0), rtol=1e-12)
    else:  # one window is below min_windows=2: the pooled training statistics
        scaler = _held_out(K)[0]
        np.testing.assert_allclose(Z, (new - scaler.mean_) / scaler.scale_, rtol=1e-12)
    # the transductive mode does read the later windows
    assert not np.allclose(_held_out("all")[2][:K], _held_out("all", change_after=K)[2][:K])


def test_default_calibration_is_ten_windows_and_K0_is_pooled():
    assert SubjectStandardScaler().calibration == 10
    scaler, new, Z = _held_out(0)
    np.testing.assert_allclose(Z, (new - scaler.mean_) / scaler.scale_)
    X, _, groups = _subjects(seed=1)
    pooled = X[groups != "S05"]
    np.testing.assert_allclose(scaler.mean_, pooled.mean(0))
    np.testing.assert_allclose(scaler.scale_, pooled.std(0))
    # a subject with fewer windows than K is calibrated on all of them
    _, new, Z = _held_out(1000)
    np.testing.assert_allclose(Z, (new - new.mean(0)) / new.std(0))


def test_time_metadata_orders_the_windows():
    X, _, groups = _subjects(n_subjects=3)
    t = np.tile(np.arange(40.0), 3)
    ordered = SubjectStandardScaler(calibration=7).fit_transform(X, groups=groups)
    perm = np.random.default_rng(0).permutation(len(X))
    shuffled = SubjectStandardScaler(calibration=7).fit_transform(
        X[perm], groups=groups[perm], time=t[perm])
    np.testing.assert_allclose(shuffled, ordered[perm], rtol=1e-12)
    # without time, the given order decides: here, the shuffled first 7 rows
    assert not np.allclose(
        SubjectStandardScaler(calibration=7).fit_transform(X[perm], groups=groups[perm]),
        ordered[perm])
    with pytest.raises(ValueError, match="time must be 1-D"):
        SubjectStandardScaler().fit(X).transform(X, time=t[:5])


def test_expanding_uses_the_windows_so_far():
    scaler, new, Z = _held_out("expanding")
    np.testing.assert_allclose(Z[0], (new[0] - scaler.mean_) / scaler.scale_)  # one window
    for i in range(1, len(new)):
        past = new[: i + 1]
        np.testing.assert_allclose(Z[i], (new[i] - past.mean(0)) / past.std(0), rtol=1e-9)
    _, _, Zc = _held_out("expanding", change_after=15)
    np.testing.assert_array_equal(Z[:15], Zc[:15])
    assert not np.allclose(Z[15:], Zc[15:])


def test_expanding_ignores_nan_and_stays_accurate_far_from_zero():
    X = np.array([[np.nan, 1e9 + 1], [2.0, 1e9 + 3], [4.0, 1e9 + 5], [np.nan, 1e9 + 7]])
    scaler = SubjectStandardScaler(calibration="expanding").fit(np.zeros((3, 2)) + [[0], [1], [2]])
    Z = scaler.transform(X)
    assert np.isnan(Z[0, 0]) and np.isnan(Z[3, 0])
    np.testing.assert_allclose(Z[1, 0], (2.0 - scaler.mean_[0]) / scaler.scale_[0])  # 1 value
    np.testing.assert_allclose(Z[2, 0], 1.0)
    np.testing.assert_allclose(Z[1:, 1], [1.0, (1e9 + 5 - (1e9 + 3)) / np.std([1, 3, 5.0]),
                                         (7 - 4) / np.std([1, 3, 5, 7.0])], rtol=1e-9)


def test_mask_calibrates_on_flagged_windows():
    scaler, new, _ = _held_out(10)
    scaler.set_params(calibration="mask")
    rest = np.zeros(len(new), bool)
    rest[[3, 8, 9, 20]] = True
    Z = scaler.transform(new, calibration_mask=rest)
    calib = new[rest]
    np.testing.assert_allclose(Z, (new - calib.mean(0)) / calib.std(0))
    changed = new.copy()
    changed[~rest] += 100.0
    np.testing.assert_array_equal(scaler.transform(changed, calibration_mask=rest)[rest], Z[rest])
    with pytest.raises(ValueError, match="needs calibration_mask"):
        scaler.transform(new)
    with pytest.raises(ValueError, match="booleans"):
        scaler.transform(new, calibration_mask=rest.astype(int))
    # other modes ignore a mask
    np.testing.assert_array_equal(
        SubjectStandardScaler().fit(new).transform(new, calibration_mask=rest),
        SubjectStandardScaler().fit(new).transform(new))


@pytest.mark.parametrize("bad", [-1, True, 2.5, "first", None])
def test_bad_calibration_is_refused(bad):
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="'calibration' parameter of SubjectStandardScaler"):
        SubjectStandardScaler(calibration=bad).fit(X)


def test_time_and_mask_are_routed_in_a_pipeline():
    X, y, groups = _subjects(n_subjects=4)
    t = np.tile(np.arange(40.0)[::-1], 4)  # time runs backwards: the last rows calibrate
    rest = np.tile(np.arange(40) >= 30, 4)
    for calibration, extra in [(10, {"time": t}), ("mask", {"rest": rest})]:
        with sklearn.config_context(enable_metadata_routing=True):
            scaler = SubjectStandardScaler(calibration=calibration).set_fit_request(groups=True)
            scaler.set_transform_request(groups=True, time=True, calibration_mask="rest")
            pipe = Pipeline([("norm", scaler),
                             ("clf", RandomForestClassifier(10, random_state=0))])
            pipe.fit(X, y, groups=groups, **extra)
            Z = pipe[0].transform(X, groups=groups, **{
                "time": extra.get("time"), "calibration_mask": extra.get("rest")})
            pred = pipe.predict(X, groups=groups, **extra)
        last = np.tile(np.arange(40) >= 30, 4)
        for g in np.unique(groups):
            m, c = groups == g, (groups == g) & last
            np.testing.assert_allclose(Z[m], (X[m] - X[c].mean(0)) / X[c].std(0))
        np.testing.assert_array_equal(pred, pipe[-1].predict(Z))


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
