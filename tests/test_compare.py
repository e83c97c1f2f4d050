"""skkd.model_selection.compare: the subject-independent evaluation tool, and holm."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skkd.decision import PriorCorrectedClassifier
from skkd.features import SubjectStandardScaler
from skkd.model_selection import WithinGroupSplit, compare, holm

SCORE_COLUMNS = ["model", "seed", "fold", "subject", "n_windows", "balanced_accuracy",
                 "macro_f1", "fit_time"]


def _data(n_subjects=6, n=30, n_classes=2, seed=0):
    """Subjects with their own offsets; the label shifts the features."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"S{i:02d}" for i in range(n_subjects)], n)
    y = np.tile(np.arange(n) * n_classes // n, n_subjects)  # classes in blocks, in time
    offset = np.repeat(rng.normal(scale=3, size=(n_subjects, 4)), n, axis=0)
    X = offset + rng.normal(size=(len(y), 4)) + 1.5 * y[:, None]
    return X, y, groups


def _rf(n=10):
    return RandomForestClassifier(n_estimators=n, random_state=0)


class _Spy(ClassifierMixin, BaseEstimator):
    """Records what reaches fit/predict; predicts from column 0 (a label code) or the seed."""

    def __init__(self, random_state=None, echo_seed=False):
        self.random_state = random_state
        self.echo_seed = echo_seed

    def fit(self, X, y, groups=None):
        self.classes_ = np.unique(y)
        self.fit_rows_ = np.asarray(X)[:, -1].astype(int)
        self.fit_y_ = np.asarray(y)
        self.fit_groups_ = None if groups is None else np.asarray(groups)
        return self

    def predict(self, X, groups=None):
        X = np.asarray(X)
        if groups is not None:  # every test row must come with its own subject
            assert len(groups) == len(X)
        if self.echo_seed:
            return np.full(len(X), self.classes_[self.random_state % len(self.classes_)])
        return X[:, 0].astype(self.classes_.dtype)


# -- holm -------------------------------------------------------------------------------


def test_holm_hand_worked_example():
    # sorted: .005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> running max .06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
    np.testing.assert_allclose(holm([0.02]), [0.02])
    out = holm([0.01, np.nan, 0.02])  # NaN does not count in m
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.02])
    assert np.isnan(out[1])
    assert holm([]).shape == (0,)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.1, 1.5])


@pytest.mark.parametrize("pvalues", [
    [0.1, float("inf")], [-float("inf")], [-0.01, 0.5], "0.1", 0.1, [["a"]], [[0.1, 0.2]],
])
def test_holm_names_bad_pvalues(pvalues):
    with pytest.raises(InvalidParameterError, match="'pvalues' parameter of holm"):
        holm(pvalues)


# -- the tidy frame -----------------------------------------------------------------------


def test_tidy_frames_have_one_row_per_model_seed_subject():
    X, y, groups = _data()
    res = compare({"rf": _rf(), "nb": GaussianNB()}, X, y, groups, seeds=(0, 1, 2),
                  verbose=0)
    scores = res.scores
    assert list(scores.columns) == SCORE_COLUMNS
    assert len(scores) == (2 * 3 + 20) * 6
    assert scores.groupby(["model", "seed", "subject"]).size().eq(1).all()
    assert scores["n_windows"].eq(30).all()
    assert set(scores["model"]) == {"rf", "nb", "chance"}
    assert len(res.predictions) == 2 * 3 * len(y)
    assert list(res.predictions.columns) == ["model", "seed", "fold", "subject", "row",
                                            "y_true", "y_pred"]
    pred = res.predictions.query("model == 'rf' and seed == 0").sort_values("row")
    np.testing.assert_array_equal(pred["y_true"], y)
    # summary: seeds averaged per subject first, then mean and std over subjects
    per_subject = scores.query("model == 'nb'").groupby("subject")["macro_f1"].mean()
    assert res.summary.loc["nb", "macro_f1_mean"] == pytest.approx(per_subject.mean())
    assert res.summary.loc["nb", "macro_f1_std"] == pytest.approx(per_subject.std(ddof=0))
    assert list(res.summary.index) == ["rf", "nb", "chance"]
    assert res.summary.loc["rf", "n_seeds"] == 3 and res.summary.loc["rf", "n_subjects"] == 6
    assert res.summary.loc["nb", "macro_f1_seed_std"] == 0  # deterministic model


def test_paired_wilcoxon_against_the_reference_with_holm():
    X, y, groups = _data(n_subjects=8)
    models = {"rf": _rf(), "nb": GaussianNB(), "prior": DummyClassifier()}
    res = compare(models, X, y, groups, reference="nb", chance=None, verbose=0)
    per = res.scores.groupby(["model", "subject"])["balanced_accuracy"].mean()
    tests = res.tests.query("score == 'balanced_accuracy'").set_index("model")
    assert sorted(tests.index) == ["prior", "rf"]
    raw = []
    for name in ["rf", "prior"]:
        d = per["nb"] - per[name]
        expected = 1.0 if (d == 0).all() else wilcoxon(per[name] - per["nb"]).pvalue
        assert tests.loc[name, "p_value"] == pytest.approx(expected)
        raw.append(tests.loc[name, "p_value"])
    np.testing.assert_allclose(tests.loc[["rf", "prior"], "p_holm"], holm(raw))
    assert res.summary.loc["prior", "balanced_accuracy_p_holm"] == tests.loc["prior", "p_holm"]
    assert np.isnan(res.summary.loc["nb", "balanced_accuracy_p_holm"])
    assert res.reference == "nb"
    assert res.tests["p_holm"].between(0, 1).all()
    # the reference defaults to the first model
    assert compare({"a": _rf(), "b": DummyClassifier()}, X, y, groups, chance=None,
                   verbose=0).reference == "a"


# -- chance --------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_chance_row_is_a_stratified_dummy_near_one_over_n_classes(n_classes):
    X, y, groups = _data(n_subjects=8, n=60, n_classes=n_classes)
    res = compare({"nb": GaussianNB()}, X, y, groups, verbose=0)
    chance = res.summary.loc["chance"]
    assert chance["n_seeds"] == 20
    assert abs(chance["balanced_accuracy_mean"] - 1 / n_classes) < 0.04
    assert f"1/{n_classes} = {1 / n_classes:.3f}" in res.header["chance"]
    assert "stratified" in res.header["chance"]
    assert np.isnan(chance["balanced_accuracy_p_holm"])  # not tested
    none = compare({"nb": GaussianNB()}, X, y, groups, chance=None, verbose=0)
    assert "chance" not in none.summary.index and "chance" not in none.header
    with pytest.raises(ValueError, match="names the chance row"):
        compare({"chance": DummyClassifier()}, X, y, groups, verbose=0)


# -- the protocol ----------------------------------------------------------------------------


def _calibrated_pipe(calibration=10):
    scaler = SubjectStandardScaler(calibration=calibration).set_fit_request(groups=True)
    scaler.set_transform_request(groups=True, time=True)
    return Pipeline([("norm", scaler), ("clf", _rf())])


def test_held_out_labels_never_change_its_predictions():
    X, y, groups = _data(n_subjects=4)
    t = np.tile(np.arange(30.0), 4)
    with sklearn.config_context(enable_metadata_routing=True):
        models = {
            "rf": _rf(),
            "calibrated": _calibrated_pipe(),
            "prior-corrected": PriorCorrectedClassifier(GaussianNB()),
            "seeded": lambda seed: make_pipeline(StandardScaler(), _rf().set_params(
                random_state=seed)),
        }
        kw = dict(seeds=(0, 1), params={"time": t}, chance=None, verbose=0)
        models["rf"] = _rf(5)
        base = compare(models, X, y, groups, **kw).predictions
        rng = np.random.default_rng(0)
        for subject in ["S00", "S03"]:
            y_perm = y.copy()
            rows = groups == subject
            y_perm[rows] = rng.permutation(y[rows])[::-1]
            assert not np.array_equal(y_perm, y)
            other = compare(models, X, y_perm, groups, **kw).predictions
            mine = base["subject"] == subject
            np.testing.assert_array_equal(other.loc[mine, "y_pred"], base.loc[mine, "y_pred"])
            np.testing.assert_array_equal(other.loc[mine, "y_true"], y_perm[base.loc[mine, "row"]])


def test_no_held_out_row_reaches_any_fit_and_groups_follow_the_rows():
    X, y, groups = _data(n_subjects=4)
    X = np.column_stack([y, X, np.arange(len(y))])  # last column: row id
    spies = []

    class Recorder(_Spy):
        def fit(self, X, y, groups=None):
            super().fit(X, y, groups)
            spies.append(self)
            return self

    res = compare({"spy": Recorder()}, X, y, groups, cv=GroupKFold(2), chance=None, verbose=0)
    assert len(spies) == 2
    for spy, fold in zip(spies, res.predictions.groupby("fold")):
        test_rows = fold[1]["row"].to_numpy()
        assert not np.intersect1d(spy.fit_rows_, test_rows).size
        np.testing.assert_array_equal(spy.fit_y_, y[spy.fit_rows_])
        np.testing.assert_array_equal(spy.fit_groups_, groups[spy.fit_rows_])  # no routing
        assert not set(spy.fit_groups_) & set(groups[test_rows])


def test_built_in_scores_match_sklearn_with_the_global_labels():
    from sklearn.metrics import f1_score, recall_score

    from skkd.model_selection import SCORES

    rng = np.random.default_rng(0)
    for _ in range(150):
        labels = np.array(["anger", "joy", "neutral", "sad"])[: rng.integers(2, 5)]
        present = rng.choice(labels, size=rng.integers(1, len(labels) + 1), replace=False)
        t = rng.choice(present, size=rng.integers(1, 12))
        p = rng.choice(labels, size=len(t))
        kw = dict(labels=labels, average="macro", zero_division=np.nan)
        assert SCORES["balanced_accuracy"](t, p, labels) == pytest.approx(recall_score(t, p, **kw))
        assert SCORES["macro_f1"](t, p, labels) == pytest.approx(f1_score(t, p, **kw))
        assert SCORES["accuracy"](t, p, labels) == pytest.approx(np.mean(t == p))


def test_per_subject_scores_use_the_global_label_set():
    X, y, groups = _data(n_subjects=3, n=30, n_classes=3)
    # S00 lacks class 2; the oracle predicts exactly the label (column 0)
    keep = ~((groups == "S00") & (y == 2))
    X, y, groups = X[keep], y[keep], groups[keep]
    Xo = np.column_stack([y, X, np.arange(len(y))])
    res = compare({"oracle": _Spy()}, Xo, y, groups, chance=None, verbose=0,
                  scoring=("balanced_accuracy", "macro_f1", "accuracy"))
    np.testing.assert_allclose(res.scores[["balanced_accuracy", "macro_f1", "accuracy"]], 1.0)
    # predicting the absent class is an error: S00 gets 2 windows called class 2
    wrong = y.copy()
    s0 = np.flatnonzero(groups == "S00")
    wrong[s0[:2]] = 2  # two class-0 windows called "2"
    Xw = np.column_stack([wrong, X, np.arange(len(y))])
    row = compare({"o": _Spy()}, Xw, y, groups, chance=None, verbose=0).scores.set_index(
        "subject").loc["S00"]
    n0 = int(np.sum(y[s0] == 0))  # class 0: recall (n0-2)/n0, precision 1; class 1 perfect
    recall0 = (n0 - 2) / n0
    f1_0 = 2 * recall0 / (1 + recall0)
    assert row["balanced_accuracy"] == pytest.approx((recall0 + 1) / 2)  # over classes present
    assert row["macro_f1"] == pytest.approx((f1_0 + 1 + 0) / 3)  # class 2 predicted: F1 = 0


def test_seeds_reach_every_random_state():
    X, y, groups = _data(n_subjects=3, n_classes=3)
    X = np.column_stack([X, np.arange(len(y))])
    nested = Pipeline([("scale", StandardScaler()), ("clf", _Spy(echo_seed=True))])
    frozen = FrozenEstimator(_Spy(random_state=2, echo_seed=True).fit(X, y))
    models = {
        "direct": _Spy(echo_seed=True),
        "nested": nested,
        "factory": lambda seed: _Spy(random_state=seed + 1, echo_seed=True),
        "frozen": frozen,
    }
    res = compare(models, X, y, groups, seeds=(0, 1, 2), chance=None, verbose=0)
    pred = res.predictions.groupby(["model", "seed"])["y_pred"].unique()
    for seed in (0, 1, 2):
        assert pred["direct", seed].tolist() == [seed % 3]
        assert pred["nested", seed].tolist() == [seed % 3]
        assert pred["factory", seed].tolist() == [(seed + 1) % 3]
        assert pred["frozen", seed].tolist() == [2]  # a frozen model is left alone
    # a seeded forest differs between seeds and repeats itself for one seed
    a = compare({"rf": _rf()}, X, y, groups, seeds=(0, 1), chance=None, verbose=0)
    b = compare({"rf": _rf()}, X, y, groups, seeds=(1,), chance=None, verbose=0)
    pa = a.predictions.set_index(["seed", "row"])["y_pred"]
    assert not pa.loc[0].equals(pa.loc[1])
    np.testing.assert_array_equal(pa.loc[1], b.predictions["y_pred"])


def test_parallel_runs_give_the_same_result():
    X, y, groups = _data(n_subjects=4)
    models = {"rf": _rf(5), "nb": GaussianNB()}
    one = compare(models, X, y, groups, seeds=(0, 1), n_jobs=1, chance=None, verbose=0)
    two = compare(models, X, y, groups, seeds=(0, 1), n_jobs=2, chance=None,
                  verbose=0)  # loky processes
    pd.testing.assert_frame_equal(one.predictions, two.predictions)
    cols = [c for c in SCORE_COLUMNS if c != "fit_time"]
    pd.testing.assert_frame_equal(one.scores[cols], two.scores[cols])
    assert one.to_string() == two.to_string()
    with joblib.parallel_backend("threading", n_jobs=2):  # a joblib backend context applies
        threads = compare(models, X, y, groups, seeds=(0, 1), chance=None, verbose=0)
    pd.testing.assert_frame_equal(one.predictions, threads.predictions)


def test_metadata_routing_reaches_the_scaler_at_fit_and_predict():
    X, y, groups = _data(n_subjects=4)
    t = np.tile(np.arange(30.0)[::-1], 4)  # time runs backwards: the last rows calibrate
    with sklearn.config_context(enable_metadata_routing=True):
        res = compare({"cal": _calibrated_pipe()}, X, y, groups, params={"time": t},
                      cv=GroupKFold(2), chance=None, verbose=0)
        for fold, frame in res.predictions.groupby("fold"):
            test = frame["row"].to_numpy()
            train = np.setdiff1d(np.arange(len(y)), test)
            pipe = _calibrated_pipe().fit(X[train], y[train], groups=groups[train],
                                          time=t[train])
            expected = pipe.predict(X[test], groups=groups[test], time=t[test])
            np.testing.assert_array_equal(frame["y_pred"], expected)
        with pytest.raises(TypeError, match="not requested by any model"):
            compare({"rf": _rf()}, X, y, groups, params={"time": t}, verbose=0)


def test_header_names_dataset_protocol_normalisation_and_seeds():
    X, y, groups = _data(n_subjects=4)
    res = compare({"calibrated": Pipeline([("n", SubjectStandardScaler()), ("c", _rf())]),
                   "all": Pipeline([("n", SubjectStandardScaler(calibration="all")),
                                    ("c", _rf())])},
                  X, y, groups, seeds=(3, 4), dataset="toy", verbose=0, group_name="speaker")
    text = str(res)
    assert text.startswith("Dataset       : toy (120 windows, 4 speakers, 2 classes)")
    assert "LeaveOneGroupOut() by speaker (4 folds)" in text
    assert "Seeds         : 3, 4" in text
    assert "Normalisation : per model (see column)" in text
    assert "per subject, first 10 windows" in text
    assert "all [transductive]" in text and "calibrated (ref)" in text
    assert res.to_string() == repr(res) == text
    assert list(res.table().columns) == ["bal. acc.", "p bal. acc.", "macro-F1", "p macro-F1",
                                         "normalisation"]
    one = compare({"rf": _rf()}, X, y, groups, verbose=0, normalisation="none (raw)",
                  notes="features: toy")
    assert one.header["normalisation"] == "none (raw)" and one.header["notes"] == "features: toy"
    assert one.header["tests"] == "none (one model)"
    within = compare({"rf": _rf()}, X, y, groups, cv=WithinGroupSplit(gap=0), verbose=0)
    assert "NOT subject-independent" in within.header["protocol"]


def test_progress_lines_when_verbose(capsys):
    X, y, groups = _data(n_subjects=3)
    compare({"nb": GaussianNB()}, X, y, groups, verbose=2, chance=None)
    err = capsys.readouterr().err
    assert err.count("[compare] nb seed=0 fold") == 3 and "(S01)" in err
    compare({"nb": GaussianNB()}, X, y, groups, verbose=0, chance=None)
    assert capsys.readouterr().err == ""


def test_bad_arguments_are_refused():
    X, y, groups = _data(n_subjects=3)
    ok = {"nb": GaussianNB()}
    with pytest.raises(ValueError, match="unknown score"):
        compare(ok, X, y, groups, scoring="roc_auc", verbose=0)
    with pytest.raises(ValueError, match="reference 'x'"):
        compare(ok, X, y, groups, reference="x", verbose=0)
    with pytest.raises(TypeError, match="is a class"):
        compare({"nb": LogisticRegression}, X, y, groups, verbose=0)
    with pytest.raises(TypeError, match="not an estimator"):
        compare({"nb": lambda seed: seed}, X, y, groups, verbose=0)
    with pytest.raises(ValueError, match="groups is required"):
        compare(ok, X, y, None, verbose=0)
    with pytest.raises(ValueError, match="not in params"):
        compare(ok, X, y, groups, params={"groups": groups}, verbose=0)
    with pytest.raises(ValueError, match="seeds must be"):
        compare(ok, X, y, groups, seeds=(), verbose=0)
    with pytest.raises(TypeError, match="non-empty dict"):
        compare([GaussianNB()], X, y, groups, verbose=0)
    custom = compare(ok, X, y, groups, chance=None, verbose=0, cv=3,
                     scoring={"hits": lambda t, p, labels: float(np.sum(t == p))})
    assert custom.scores["hits"].sum() == (custom.predictions["y_true"]
                                           == custom.predictions["y_pred"]).sum()
    assert "GroupKFold(n_splits=3" in custom.header["protocol"]


# -- real data ------------------------------------------------------------------------------


def test_real_data_multi_source_stress(data_home):
    from skkd.datasets import load_multi_source_stress

    data = load_multi_source_stress(data_home=data_home)
    subjects = ["W3", "W5", "W7", "W9", "W11", "W14"]  # six WESAD subjects
    keep = np.isin(data.groups, subjects) & (data.meta["second"].to_numpy() % 20 == 0)
    X, y, groups = data.X[keep], data.y[keep], data.groups[keep]
    t = data.meta["second"].to_numpy()[keep]

    def norm(calibration):
        scaler = SubjectStandardScaler(calibration=calibration).set_fit_request(groups=True)
        return scaler.set_transform_request(groups=True, time=True)

    with sklearn.config_context(enable_metadata_routing=True):
        models = {
            "RF, calibrated (K=10)": make_pipeline(norm(10), _rf(30)),
            "RF, no normalisation": _rf(30),
            "RF, all windows": make_pipeline(norm("all"), _rf(30)),
            "LR, prior-corrected": make_pipeline(norm(10), PriorCorrectedClassifier(
                LogisticRegression())),
        }
        res = compare(models, X, y, groups, seeds=(0, 1), params={"time": t},
                      dataset="Multi-source stress, WESAD subset", verbose=0)
        # a held-out subject's labels do not move its predictions
        y_perm = y.copy()
        rows = groups == "W5"
        y_perm[rows] = 1 - y[rows]
        other = compare({k: models[k] for k in list(models)[:1]}, X, y_perm, groups,
                        seeds=(0,), params={"time": t}, chance=None, verbose=0).predictions
    print(res)
    assert res.summary.loc[list(models), "n_subjects"].eq(6).all()
    assert len(res.scores) == (4 * 2 + 20) * 6
    assert res.scores[["balanced_accuracy", "macro_f1"]].stack().between(0, 1).all()
    assert abs(res.summary.loc["chance", "balanced_accuracy_mean"] - 0.5) < 0.05
    assert "RF, all windows [transductive]" in str(res)
    assert "WESAD subset (" in res.header["dataset"]
    base = res.predictions.query("model == 'RF, calibrated (K=10)' and seed == 0")
    mine = base["subject"] == "W5"
    np.testing.assert_array_equal(other.loc[mine.to_numpy(), "y_pred"], base.loc[mine, "y_pred"])


@pytest.mark.parametrize("bad", [
    {"chance": "bogus"}, {"cv": 1}, {"n_jobs": 1.5}, {"verbose": -1}, {"dataset": 3},
    {"params": [1]}, {"reference": 0}, {"seeds": 0.5},
])
def test_parameter_constraints_name_the_argument(bad):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y, groups = _data(n_subjects=3)
    with pytest.raises(InvalidParameterError, match=f"'{next(iter(bad))}' parameter of compare"):
        compare({"nb": GaussianNB()}, X, y, groups, **{"verbose": 0, **bad})
