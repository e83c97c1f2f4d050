"""Protocol guards of benchmarks/opportune_kd.py (issue 13): nothing of a held-out subject leaks.

* Every model factory of the script (stage 1, within-subject and stage 2
  tables) gives bit-identical predictions for a held-out subject when that
  subject's labels (stress labels and change scores, hence opportune labels)
  are permuted.
* The opportune threshold of a held-out subject comes from the training
  subjects only, and its calibrated features ignore its windows after the
  calibration period.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sklearn.model_selection import LeaveOneGroupOut

from skkd import Modalities
from skkd.model_selection import compare
from _bench import load_script



def _module(name: str):
    return load_script(name)


okd = _module("opportune_kd")


class OneFold:
    """Hold out the last subject only (one compare fold)."""

    def split(self, X, y=None, groups=None):
        groups = np.asarray(groups)
        test = np.flatnonzero(groups == groups[-1])
        yield np.flatnonzero(groups != groups[-1]), test


@functools.lru_cache(maxsize=1)
def _small():
    """4 synthetic subjects × 30 windows, the script's design table, random change scores."""
    d = okd.load("synthetic", quick=True)
    keep = np.isin(d["groups"], np.unique(d["groups"])[:4])
    assert d["time"] is None  # the synthetic set is calibrated in row order
    d = {**d, "X": d["X"][keep], "y": d["y"][keep], "groups": d["groups"][keep]}
    frame = okd.design(d)
    scores = np.random.default_rng(0).gamma(2.0, size=len(frame))
    return d, frame, scores, okd.Factories(d, frame, quick=True)


@pytest.fixture
def small():
    return _small()


def _tables(make):
    return {"stage1": make.stage1(), "within": make.within(), "stage2": make.stage2()}


ROWS = [pytest.param(table, name, id=f"{table}:{name[:40]}")
        for table, rows in _tables(_small()[3]).items() for name in rows]


@pytest.mark.parametrize("table,name", ROWS)
def test_heldout_labels_do_not_reach_its_predictions(small, table, name):
    d, frame, scores, make = small
    factory, _ = _tables(make)[table][name]
    groups = d["groups"]
    held = groups == groups[-1]
    cv = okd.WithinGroupSplit(train_fraction=0.5, gap=1) if table == "within" else OneFold()
    rng = np.random.default_rng(1)

    def predictions(y, s):
        if table != "stage2":
            y = okd.fold_labels(s, list(cv.split(frame, groups=groups)))
        result = compare({name: factory}, frame, y, groups, cv=cv, seeds=(0,), chance=None,
                         params={"change_score": s}, verbose=0)
        p = result.predictions
        return p.loc[p["subject"] == groups[-1]].sort_values("row")["y_pred"].to_numpy()

    before = predictions(d["y"], scores)
    y, s = d["y"].copy(), scores.copy()
    if table == "within":  # only the held-out (second) half of each subject is test data
        test = next(cv.split(frame, groups=groups))[1]
        idx = test[held[test]]
    else:
        idx = np.flatnonzero(held)
    y[idx], s[idx] = rng.permutation(y[idx]), rng.permutation(s[idx])[::-1]
    assert not np.array_equal(s, scores)
    np.testing.assert_array_equal(predictions(y, s), before)


def test_threshold_uses_training_subjects_only():
    groups = np.repeat(["a", "b", "c"], 20)
    scores = np.random.default_rng(0).random(60)
    splits = list(LeaveOneGroupOut().split(scores, groups=groups))
    labels = okd.fold_labels(scores, splits)
    changed = scores.copy()
    changed[groups == "c"] = np.r_[scores[40:50], 100.0 * np.ones(10)]  # c's later windows
    relabelled = okd.fold_labels(changed, splits)
    # c's first windows keep their labels; every window's label depends on its own score only
    np.testing.assert_array_equal(relabelled[40:50], labels[40:50])
    thr = okd.training_threshold(scores[groups != "c"])
    np.testing.assert_array_equal(labels[groups == "c"], scores[groups == "c"] >= thr)
    det = okd.OpportuneDetector(okd.DummyClassifier()).fit(
        np.zeros((40, 1)), None, change_score=scores[:40])
    assert det.threshold_ == thr


def test_calibrated_features_ignore_later_windows(small):
    d, frame, _, _ = small
    X = d["X"]
    later = np.flatnonzero(d["groups"] == d["groups"][-1])[okd.CALIBRATION_WINDOWS:]
    changed = {k: np.array(v, copy=True) for k, v in X.items()}
    for k in changed:
        changed[k][later] = changed[k][later] * 3.0 + 5.0
    frame2 = okd.design({**d, "X": Modalities(changed)})
    others = np.setdiff1d(np.arange(len(frame)), later)
    calibrated = [c for c in frame.columns if not c.startswith("all__")]
    np.testing.assert_array_equal(frame2[calibrated].to_numpy()[others],
                                  frame[calibrated].to_numpy()[others])
    # the transductive copy does move (that is why rows using it say "transductive")
    assert not np.allclose(frame2.filter(like="all__").to_numpy()[others],
                           frame.filter(like="all__").to_numpy()[others])


def test_samplers_keep_what_they_say():
    n = 40
    groups = np.repeat(["a", "b"], 20)
    X, y = np.zeros((n, 2)), np.arange(n) % 2
    scores = np.arange(n, dtype=float)
    Xk, _ = okd.ChangeScoreSelection().fit_resample(X, y, groups=groups, change_score=scores)
    assert len(Xk) == 10
    Xr, _ = okd.RandomSubjectSelection(random_state=0).fit_resample(X, y, groups=groups)
    assert len(Xr) == 10
    Xa, _ = okd.AllWindows().fit_resample(X, y)
    assert len(Xa) == n
    with pytest.raises(ValueError, match="change_score"):
        okd.ChangeScoreSelection().fit_resample(X, y, groups=groups)
    marks = okd.per_subject_marks(okd.RandomSelector(fraction=0.25), X, groups, 0)
    assert marks[:20].sum() == marks[20:].sum() == 5
