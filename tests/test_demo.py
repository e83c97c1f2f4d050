"""The main job (``python -m skkd``) on the built-in 34-subject features, and its protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import skkd._demo as demo
from skkd.__main__ import main


def test_quick_main_job_prints_protocol_chance_and_interpretation(capsys, monkeypatch):
    """``python -m skkd --quick``: header, table with chance row, two sentences, caveat."""
    tables = []
    run = demo.run_demo

    def keep(*args, **kwargs):
        tables.append(run(*args, **kwargs))
        return tables[-1]

    monkeypatch.setattr(demo, "run_demo", keep)
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    # what it does, then the protocol header
    assert out.startswith("skkd main job: does knowledge distillation help")
    flat = " ".join(out.split())  # header lines wrap at 100 columns
    assert "Dataset : Stress-Predict, built-in window features" in flat
    assert "(3695 windows, 34 subjects, 2 classes)" in flat
    assert "Protocol : GroupKFold(n_splits=5" in flat and "by subject (5 folds)" in flat
    assert "Normalisation : per subject, first 10 windows" in flat
    assert "Seeds : 0, 1 (" in flat
    assert "Holm-corrected over 4 row(s)" in flat and "class_weight='balanced'" in flat
    # the table: every row and the chance row
    table = tables[0]
    assert isinstance(table, pd.DataFrame)
    assert list(table["model"]) == ["RF, EDA+TEMP", "RF, all wrist", "teacher: LR, all wrist",
                                    "student MLP, no KD", "student MLP, KD", "chance"]
    for name in table["model"]:
        assert any(line.startswith(name) for line in out.splitlines()), name
    chance = table.set_index("model").loc["chance", "balanced_accuracy_mean"]
    assert abs(chance - 0.5) < 0.02
    assert table["balanced_accuracy_mean"].between(0, 1).all()
    assert table.set_index("model").loc["student MLP, no KD", "n_params"] == "1,474"
    # two sentences computed from the numbers, the quick caveat, the time
    first, second = table.attrs["interpretation"]
    assert first.startswith("Distillation changed the EDA+TEMP student's balanced accuracy")
    assert "Holm-adjusted Wilcoxon p = " in first
    assert f"chance ({chance:.3f})" in second
    assert " ".join(first.split()) in flat and " ".join(second.split()) in flat
    assert demo.QUICK_CAVEAT in out
    assert "Total wall time:" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_calibrated_scaling_up_front_equals_scaling_inside_each_fold():
    """The demo scales once; a held-out subject scaled in its fold gets the same numbers."""
    from sklearn.model_selection import GroupKFold

    from skkd.datasets import load_stress_predict_features
    from skkd.features import SubjectStandardScaler

    data = load_stress_predict_features()
    X, groups, t = data.X.to_numpy(), data.groups, data.meta["t_start"].to_numpy()
    once = SubjectStandardScaler(calibration=demo.CALIBRATION).fit_transform(
        X, groups=groups, time=t)
    train, test = next(GroupKFold(5).split(X, groups=groups))
    scaler = SubjectStandardScaler(calibration=demo.CALIBRATION).fit(X[train], groups=groups[train])
    np.testing.assert_array_equal(scaler.transform(X[test], groups=groups[test], time=t[test]),
                                  once[test])
    # and no window after a subject's 10th changes its scaling
    later = X.copy()
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        later[rows[demo.CALIBRATION:]] *= 3.0
    again = SubjectStandardScaler(calibration=demo.CALIBRATION).fit_transform(
        later, groups=groups, time=t)
    first = np.concatenate([np.flatnonzero(groups == g)[:demo.CALIBRATION]
                            for g in np.unique(groups)])
    np.testing.assert_array_equal(again[first], once[first])


def test_the_demo_models_never_read_held_out_labels():
    """Permuting a held-out subject's labels leaves every model's predictions identical."""
    import sklearn
    from sklearn.model_selection import GroupKFold

    from skkd.datasets import load_stress_predict_features
    from skkd.model_selection import compare

    data = load_stress_predict_features()
    keep = np.isin(data.groups, ["S02", "S05", "S10", "S15", "S20", "S25"])
    X = data.X[keep].reset_index(drop=True)
    y, groups = data.y[keep], data.groups[keep]
    held = groups == "S02"
    y_perm = y.copy()
    y_perm[held] = np.random.default_rng(0).permutation(y[held])
    assert (y_perm != y).any()
    preds = []
    with sklearn.config_context(enable_metadata_routing=True), demo._torch_threads(1):
        models = demo._models(list(X.columns), max_epochs=2, verbose=0)
        for labels in (y, y_perm):
            result = compare(models, X, labels, groups, cv=GroupKFold(3), seeds=(0,),
                             reference=demo.REFERENCE, chance=None, verbose=0)
            p = result.predictions
            preds.append(p[p["subject"] == "S02"].sort_values(["model", "row"]))
    np.testing.assert_array_equal(preds[0]["y_pred"].to_numpy(), preds[1]["y_pred"].to_numpy())


@pytest.mark.parametrize("argv", [["demo", "--quick", "--full"]])
def test_quick_and_full_exclude_each_other(argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert "not allowed with argument" in capsys.readouterr().err
