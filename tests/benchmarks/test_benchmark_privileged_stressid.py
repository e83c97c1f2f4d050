"""Smoke test of ``benchmarks/privileged_stressid.py`` and the protocol its table leans on."""

from __future__ import annotations


import numpy as np
import pytest
from sklearn.model_selection import GroupKFold
from _bench import load_script



@pytest.fixture(scope="module")
def bench():
    return load_script("privileged_stressid")


def test_quick_run_prints_the_protocol_and_every_row(bench, data_home, tmp_path, capsys):
    bench.main(["--quick", "--table", "eda", "--data-home", str(data_home),
                "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert "indicative only" in text and "GroupKFold" in text and "chance" in text
    for row in (bench.NO_KD, "RF on eda", "teacher: LR, physiology",
                "KD from LR teacher (Hinton, cross-fitted)", "+ MUNGE windows",
                bench.BEST_ROW, "KD, library defaults", "no KD, library defaults",
                "KD, library defaults + in-sample targets", "nested selection", "transductive ceiling",
                "teacher: ensemble"):
        assert row in text
    assert "acceptance (balanced accuracy" in text and "student parameters 866" in text
    assert (tmp_path / "privileged_stressid_eda_quick_summary.csv").is_file()


def test_fit_once_gives_the_model_a_fresh_fit_gives(bench):
    """The cache is exact: pinned seeds, keyed by data and parameters."""
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), rng.randint(0, 2, 60)
    hgb = HistGradientBoostingClassifier(max_iter=10, random_state=0)
    a = bench.FitOnce(clone(hgb)).set_params(estimator__random_state=7).fit(X, y)
    b = clone(bench.FitOnce(hgb)).fit(X, y)
    assert a.estimator_ is b.estimator_  # one fit, reused
    fresh = clone(hgb).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), fresh.predict_proba(X))
    c = bench.FitOnce(hgb).fit(X, 1 - y)  # other labels: another fit
    assert c.estimator_ is not a.estimator_


def test_grouped_search_refits_the_best_candidate_on_training_subjects(bench):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 2)), np.r_[[0, 1] * 30]
    groups = np.repeat(np.arange(6), 10)
    search = bench.GroupedSearch(LogisticRegression(), {"C": [1e-4, 1.0]}, n_splits=3)
    search.fit(X, y, groups=groups)
    assert search.best_params_["C"] in (1e-4, 1.0)
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.predict(X).shape == (60,)


def test_held_out_labels_never_reach_the_kd_student(bench, data_home):
    """Permuting a held-out subject's labels leaves its KD predictions bit-identical."""
    from skkd.datasets import load_stressid_features
    from skkd.model_selection import compare

    data = load_stressid_features(data_home, modalities=("ecg", "resp", "eda", "video"),
                                  complete=("ecg", "resp", "eda"))
    groups = np.asarray(data.groups)
    keep = np.isin(groups, np.unique(groups)[:10])
    X, y, groups = data.X[keep].reset_index(drop=True), np.asarray(data.y)[keep], groups[keep]
    models = bench.models_for(X, "eda", ["ecg", "resp", "video"], quick=True)
    name = "KD from LR teacher (Hinton, cross-fitted)"
    kw = dict(cv=2, chance=None, verbose=0)
    base = compare({name: models[name]}, X, y, groups, **kw).predictions
    subject = groups[0]
    y_perm = y.copy()
    rows = groups == subject
    y_perm[rows] = 1 - y[rows]
    other = compare({name: models[name]}, X, y_perm, groups, **kw).predictions
    mine = base["subject"] == subject
    np.testing.assert_array_equal(other.loc[mine, "y_pred"], base.loc[mine, "y_pred"])


def test_held_out_labels_do_not_reach_the_predictions(bench, data_home):
    """Permuting a held-out subject's labels leaves its predictions bit-identical, every row.

    The transductive-ceiling row is left out: it reads held-out labels on purpose
    (and is named so).
    """
    import torch

    from skkd.datasets import load_stressid_features
    from skkd.model_selection import compare

    torch.set_num_threads(1)
    data = load_stressid_features(data_home, target="task_proxy",
                                  modalities=("ecg", "resp", "eda", "video"),
                                  complete=("ecg", "resp", "eda"))
    groups = np.asarray(data.groups)
    keep = np.isin(groups, np.unique(groups)[:6])
    frame = data.X[keep].reset_index(drop=True)
    y, groups = np.asarray(data.y)[keep], groups[keep]
    models = bench.models_for(frame, "eda", ["ecg", "resp", "video"], quick=True, nested=False)
    models = {k: v for k, v in models.items() if "ceiling" not in k and "MUNGE" not in k
              and "mixup" not in k}
    held = groups == np.unique(groups)[0]
    permuted = y.copy()
    permuted[held] = 1 - y[held]
    kwargs = dict(cv=GroupKFold(3), seeds=(0,), chance=None, verbose=0, reference=bench.NO_KD)
    a = compare(models, frame, y, groups, **kwargs).predictions
    b = compare(models, frame, permuted, groups, **kwargs).predictions
    subject = np.unique(groups)[0]
    for name in models:
        pa = a.query("model == @name and subject == @subject")["y_pred"].to_numpy()
        pb = b.query("model == @name and subject == @subject")["y_pred"].to_numpy()
        np.testing.assert_array_equal(pa, pb, err_msg=name)
