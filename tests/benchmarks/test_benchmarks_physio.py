"""Smoke tests of the physiological benchmark scripts and their shared helpers.

The ``--quick`` runs on the synthetic data set run in a subprocess (their own
torch thread settings, no state leaking into this session); the Stress-Predict
quick runs need the real data and several minutes, so they are marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score
from _bench import BENCHMARKS, load_script

COLUMNS = {"dataset", "method", "protocol", "macro_f1_mean", "macro_f1_std",
           "balanced_accuracy_mean", "balanced_accuracy_std", "n_params", "latency_ms", "wall_s"}


def _module(name: str):
    return load_script(name)


def _run(script: str, *args: str, timeout: int = 900) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", *args],
        capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _check_results(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path)
    assert COLUMNS <= set(table.columns)
    for col in ("macro_f1_mean", "balanced_accuracy_mean"):
        assert table[col].between(0, 1).all(), table[["method", col]]
    assert (table["macro_f1_std"] >= 0).all()
    with open(path.with_suffix(".json"), encoding="utf-8") as fh:
        assert len(json.load(fh)["results"]) == len(table)
    return table


# -- shared helpers ----------------------------------------------------------------------------
def test_per_subject_scores_match_sklearn():
    common = _module("_common")
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    p = np.array([0, 1, 0, 0, 1, 1, 0, 1])
    g = np.array(["a"] * 4 + ["b"] * 4)
    f1, bacc = common.per_subject_scores(y, p, g)
    assert f1[1] == pytest.approx(f1_score(y[4:], p[4:], average="macro"))
    assert bacc[0] == pytest.approx(balanced_accuracy_score(y[:4], p[:4]))
    row = common.score_row("d", "m", f1, bacc)
    assert row["macro_f1_mean"] == pytest.approx(f1.mean())
    assert row["protocol"] == "LOSO by subject"


def test_window_statistics_values_and_errors():
    common = _module("_common")
    X = {"acc": np.stack([np.linspace(0, 1, 9), np.full(9, 2.0)])[None].repeat(2, axis=0)}
    F = common.window_statistics(X)
    assert F.shape == (2, 10)
    assert F.loc[0, "acc__ch0_slope"] == pytest.approx(0.5)
    assert F.loc[0, "acc__ch1_std"] == 0.0
    with pytest.raises(ValueError, match="acc"):
        common.window_statistics({"acc": np.zeros((2, 1, 1, 4))})


def test_write_results_is_read_by_plotting(tmp_path):
    from skkd.plotting import read_results

    common = _module("_common")
    rows = [common.score_row("d", "teacher", [0.8, 0.6], [0.7, 0.7], n_params="10", wall=1.0)]
    csv_path, json_path = common.write_results(rows, "toy", tmp_path, quick=True)
    assert read_results(csv_path)["macro_f1_mean"].iloc[0] == pytest.approx(0.7)
    assert read_results(json_path)["method"].tolist() == ["teacher"]
    assert "teacher" in common.format_table(rows)


def test_opportune_labels_use_the_training_threshold():
    okd = _module("opportune_kd")
    scores = np.arange(8, dtype=float)
    groups = np.array(["a"] * 4 + ["b"] * 4)
    splits = [(np.arange(4, 8), np.arange(4)), (np.arange(4), np.arange(4, 8))]
    # subject a is judged by b's 75 % quantile (6.25), b by a's (2.25)
    assert okd.fold_labels(scores, splits).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert okd.training_threshold(scores[groups == "a"]) == pytest.approx(2.25)


# -- quick runs ------------------------------------------------------------------------------
def test_opportune_kd_quick_synthetic(tmp_path):
    out = _run("opportune_kd.py", "--dataset", "synthetic", "--out", str(tmp_path))
    assert "stage 1" in out and "stage 2" in out
    table = _check_results(tmp_path / "opportune_kd_quick.csv")
    methods = " ".join(table["method"])
    for expected in ("teacher", "KD student", "no KD", "RF", "SVM", "fixed-time", "random",
                     "personalized", "aggregate", "demographic", "marks, out of fold",
                     "transductive", "chance"):
        assert expected in methods
    within = table["protocol"].str.contains("within-subject")
    assert table.loc[within, "method"].str.match("personalized|aggregate|chance").all()
    assert table.loc[~within, "protocol"].str.startswith("LeaveOneGroupOut() by subject").all()
    assert "Holm" in out and "first 10 windows" in out


def test_cross_modal_quick_synthetic(tmp_path):
    out = _run("cross_modal.py", "--dataset", "synthetic", "--out", str(tmp_path))
    assert "teacher (EEG + GSR)" in out and "Holm-corrected" in out
    assert "first 10 windows" in out
    table = _check_results(tmp_path / "cross_modal_quick.csv")
    methods = table["method"].tolist()
    assert any("adaptive feedback" in m for m in methods)
    assert any("no KD" in m for m in methods) and "chance" in methods
    assert (table["reference"] == "GSR-only student, no KD (alpha=0)").all()
    students = table[table["inputs"] == "GSR only"]
    assert len(students) >= 5


def test_cross_modal_models_never_read_held_out_labels():
    """Permuting the held-out subject's labels leaves its predictions bit-identical."""
    import warnings

    import torch
    from sklearn.model_selection import PredefinedSplit

    from skkd import Modalities
    from skkd.model_selection import compare

    cm = _module("cross_modal")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    groups = np.repeat(list("abc"), 16)
    y = np.tile(np.r_[np.zeros(8, int), np.ones(8, int)], 3)
    X = Modalities(eeg=(rng.normal(size=(48, 4)) + y[:, None]).astype(np.float32),
                   eda=(rng.normal(size=(48, 3)) + 0.5 * y[:, None]).astype(np.float32))
    models = cm.models_for("EEG", quick=True)
    for name, model in models.items():
        weights = {k: v for k, v in model.get_params(deep=True).items()
                   if k.endswith("class_weight")}
        assert weights and set(weights.values()) == {"balanced"}, name
        if getattr(model, "alpha", 0) > 0:
            assert model.teacher_targets == ("in_sample" if "in-sample" in name
                                             else "cross_fit"), name
    held = groups == "c"
    permuted = y.copy()
    permuted[held] = y[held][::-1]
    kwargs = dict(cv=PredefinedSplit(np.where(held, 0, -1)), seeds=(0,), chance=None, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The groups parameter is ignored")
        a = compare(models, X, y, groups, **kwargs).predictions
        b = compare(models, X, permuted, groups, **kwargs).predictions
    for name in models:
        np.testing.assert_array_equal(a.loc[a["model"] == name, "y_pred"].to_numpy(),
                                      b.loc[b["model"] == name, "y_pred"].to_numpy(),
                                      err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("script", ["opportune_kd.py", "cross_modal.py"])
def test_quick_stress_predict(script, data_home, tmp_path):
    _run(script, "--dataset", "stress_predict", "--out", str(tmp_path), timeout=1800)
    name = script.replace(".py", "_quick.csv")
    table = _check_results(tmp_path / name)
    assert table["dataset"].str.startswith("Stress-Predict").all()
