"""The main job (``python -m skkd``) on the built-in 34-subject features, and its protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import skkd._demo as demo
from skkd.__main__ import main
from skkd.features import _rocket

ROCKET_INSTALLED = demo.rocket_missing() is None


@pytest.mark.slow  # all 34 subjects (minutes); the few-subject runs below are the fast check
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
    n_rows = 5 if ROCKET_INSTALLED else 4
    assert f"Holm-corrected over {n_rows} row(s)" in flat and "class_weight='balanced'" in flat
    # the table: every row and the chance row (MiniRocket where sktime is installed)
    table = tables[0]
    assert isinstance(table, pd.DataFrame)
    assert list(table["model"]) == ["RF, EDA+TEMP", *[demo.ROCKET] * ROCKET_INSTALLED,
                                    "RF, all wrist", "teacher: LR, all wrist",
                                    "student MLP, no KD", "student MLP, KD", "chance"]
    for name in table["model"]:
        assert any(line.startswith(name) for line in out.splitlines()), name
    chance = table.set_index("model").loc["chance", "balanced_accuracy_mean"]
    assert abs(chance - 0.5) < 0.02
    assert table["balanced_accuracy_mean"].between(0, 1).all()
    assert table.set_index("model").loc["student MLP, no KD", "n_params"] == "1,474"
    # two sentences computed from the numbers, the quick caveat, the time
    first, second, *third = table.attrs["interpretation"]
    assert len(third) == ROCKET_INSTALLED
    assert first.startswith("Distillation changed the EDA+TEMP student's balanced accuracy")
    assert "Holm-adjusted Wilcoxon p = " in first
    assert f"chance ({chance:.3f})" in second
    assert " ".join(first.split()) in flat and " ".join(second.split()) in flat
    assert demo.QUICK_CAVEAT in out
    assert "Total wall time:" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def _few_subjects(monkeypatch, subjects=("S02", "S05", "S10", "S15", "S20", "S25", "S30")):
    """Make ``main(["--quick"])`` a fast run of the whole job on a few subjects; its tables."""
    features = demo._features

    def few(data_home, raw=False):
        X, y, groups, t, dataset, windows = features(data_home, raw=raw)
        keep = np.isin(groups, subjects)
        return (X[keep].reset_index(drop=True), y[keep], groups[keep], t[keep], dataset,
                None if windows is None else windows[keep])

    monkeypatch.setattr(demo, "_features", few)
    # one seed, 2 epochs, 3 folds, in this process: the whole job in seconds
    monkeypatch.setitem(demo.MODES, "quick", {"seeds": (0,), "max_epochs": 2, "folds": 3})
    tables = []
    run = demo.run_demo

    def keep(*args, **kwargs):
        tables.append(run(*args, **{**kwargs, "n_jobs": 1}))
        return tables[-1]

    monkeypatch.setattr(demo, "run_demo", keep)
    return tables


def test_main_job_without_sktime_skips_the_minirocket_row(capsys, monkeypatch):
    """No sktime/aeon: one line says the row is skipped and how to install it; the job runs."""
    monkeypatch.setattr(_rocket, "_BACKENDS", (("sktime", "skkd._no_such_module", "X"),))
    assert demo.rocket_missing() is not None
    tables = _few_subjects(monkeypatch)
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert demo.ROCKET_SKIPPED in out.splitlines()
    assert "pip install 'skkd[rocket]'" in demo.ROCKET_SKIPPED
    assert "Fitting 5 models" in out and "MiniRocket on the raw" not in out
    table = tables[0]
    assert demo.ROCKET not in set(table["model"]) and len(table.attrs["interpretation"]) == 2
    assert table.attrs["skipped"] == [demo.ROCKET_SKIPPED]
    assert max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.skipif(not ROCKET_INSTALLED, reason="needs sktime: pip install 'skkd[rocket]'")
def test_main_job_with_sktime_has_the_minirocket_row(capsys, monkeypatch):
    tables = _few_subjects(monkeypatch)
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "Fitting 6 models" in out and demo.ROCKET_SKIPPED not in out
    assert f"MiniRocket: {demo.ROCKET_KERNELS} features" in flat
    assert "MiniRocket's raw windows: each channel by the mean and std" in flat
    row = tables[0].set_index("model").loc[demo.ROCKET]
    assert row["inputs"] == "EDA+TEMP raw" and 0 <= row["balanced_accuracy_mean"] <= 1
    assert row["n_params"] == f"{2 * demo.ROCKET_KERNELS + 1:,}"  # biases + LR weights
    assert tables[0].attrs["interpretation"][2].startswith("MiniRocket on the raw EDA+TEMP")
    assert max(len(line) for line in out.splitlines()) <= 100


def test_job_table_holds_the_raw_windows_of_the_feature_rows():
    """``_job_table(raw=True)``: features, then each window's EDA and TEMP samples, scaled."""
    from skkd.datasets import load_stress_predict_features

    X, y, groups, t, _ = demo._job_table(raw=True)
    features, _, groups_f, t_f, _ = demo._job_table(raw=False)
    raw_cols = [c for c in X.columns if c.startswith(demo.RAW_PREFIX)]
    assert len(raw_cols) == 480
    assert (raw_cols[0], raw_cols[-1]) == ("raw_eda__000", "raw_temp__239")
    pd.testing.assert_frame_equal(X.drop(columns=raw_cols), features)
    np.testing.assert_array_equal(groups, groups_f)
    data = load_stress_predict_features(raw=True)
    windows = np.concatenate([data.raw["eda"], data.raw["temp"]], axis=1)
    expect = demo._calibrated_windows(windows, groups, t, demo.CALIBRATION)
    np.testing.assert_array_equal(X[raw_cols].to_numpy().reshape(-1, 2, 240), expect)
    # the MiniRocket row reads them back as windows
    np.testing.assert_array_equal(demo._as_windows(X.iloc[:3], raw_cols, 2), expect[:3])


def test_calibrated_windows_read_only_each_subjects_first_windows():
    rng = np.random.default_rng(0)
    groups = np.repeat(["a", "b"], 15)
    time = np.tile(np.arange(15.0)[::-1], 2)        # given in reverse time order
    windows = rng.normal(5, 2, (30, 2, 40)).astype(np.float32)
    windows.setflags(write=False)
    out = demo._calibrated_windows(windows, groups, time, 4)
    assert out.dtype == np.float32 and out.shape == windows.shape
    first = np.flatnonzero(time < 4)                  # each subject's first 4 windows in time
    calib = out[first[:4]].astype(np.float64)
    np.testing.assert_allclose(calib.mean(axis=(0, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(calib.std(axis=(0, 2)), 1, atol=1e-5)
    later = windows.copy()
    later[time >= 4] *= 3                             # later windows change nothing
    np.testing.assert_array_equal(demo._calibrated_windows(later, groups, time, 4)[first],
                                  out[first])
    constant = np.ones((30, 2, 40), np.float32)       # a flat channel is centred, not divided
    np.testing.assert_array_equal(demo._calibrated_windows(constant, groups, time, 4), 0)


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
    X = demo._job_table(raw=ROCKET_INSTALLED)[0][keep].reset_index(drop=True)
    y, groups = data.y[keep], data.groups[keep]
    held = groups == "S02"
    y_perm = y.copy()
    y_perm[held] = np.random.default_rng(0).permutation(y[held])
    assert (y_perm != y).any()
    preds = []
    with sklearn.config_context(enable_metadata_routing=True), demo._torch_threads(1):
        models = demo._models(list(X.columns), max_epochs=2, verbose=0)
        assert (demo.ROCKET in models) == ROCKET_INSTALLED
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
