"""Smoke test of benchmarks/semi_supervised_kd.py and its label hiding.

The ``--quick`` synthetic (GAF) run goes in a subprocess; the EmoDB quick
run needs the real data and speech features, so it is marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _bench import BENCHMARKS, load_script

SCRIPT = BENCHMARKS / "semi_supervised_kd.py"


def _module():
    return load_script("semi_supervised_kd")


def _run(*args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _check(path: Path, n_fractions: int) -> pd.DataFrame:
    table = pd.read_csv(path)
    assert len(table) == 7 * n_fractions  # six rows and chance per budget
    for col in ("macro_f1_mean", "balanced_accuracy_mean"):
        assert table[col].between(0, 1).all()
    assert (table["n_subjects"] >= 3).all()
    with open(path.with_suffix(".json"), encoding="utf-8") as fh:
        assert len(json.load(fh)["results"]) == len(table)
    return table


def test_hide_labels_is_stratified_seeded_and_keeps_every_class():
    bench = _module()
    y = np.array([0] * 40 + [1] * 20 + [2] * 3)
    hidden = bench.hide_labels(y, 0.25, seed=0)
    kept = hidden[hidden != -1]
    assert np.bincount(kept).tolist() == [10, 5, 1]
    np.testing.assert_array_equal(hidden, bench.hide_labels(y, 0.25, seed=0))
    assert not np.array_equal(hidden, bench.hide_labels(y, 0.25, seed=1))
    np.testing.assert_array_equal(bench.hide_labels(y, 1.0, seed=0), y)
    # labels kept keep their value
    assert (hidden[hidden != -1] == y[hidden != -1]).all()
    words = bench.hide_labels(np.array(["a"] * 8 + ["b"] * 8), 0.5, seed=0)
    assert sorted(set(words)) == ["-1", "a", "b"]
    assert bench.epochs_for(48, 32, 300) == 150


def test_quick_gaf_run(tmp_path):
    out = _run("--dataset", "gaf", "--fractions", "0.5", "1.0", "--out", str(tmp_path))
    assert "DINO loss" in out
    assert "Predicted classes per held-out group" in out
    assert "Holm-corrected" in out and "class_weight='balanced'" in out
    table = _check(tmp_path / "semi_supervised_kd_quick.csv", 2)
    methods = " ".join(table["method"])
    for row in ("supervised only", "DINO-pre-trained", "no KD", "<- DINO teacher",
                "old settings", "chance"):
        assert row in methods
    assert set(table["label_fraction"]) == {0.5, 1.0}
    assert table["reference"].eq("student, no KD (labelled rows)").all()
    students = table[table["inputs"] == "eda"]
    teachers = table[table["inputs"] == "all"]
    assert len(students) == 8 and len(teachers) == 4
    assert students["n_params"].astype(int).max() < teachers["n_params"].astype(int).min()
    assert students["classes_predicted"].between(1, 2).all()
    assert (tmp_path / "semi_supervised_kd_gaf_50_quick_scores.csv").is_file()


def test_rows_fixed_settings_and_one_decision_rule():
    bench = _module()
    spec = dict(student_inputs=("eda",), augment="image", teacher_width=8, student_width=8,
                dino_batch_size=32)
    models = bench.make_models(spec, 0.25, quick=True)
    assert list(models) == list(bench.ROWS) and bench.REFERENCE in models
    assert models[bench.REFERENCE](3).random_state == 3
    assert bench.KD == dict(alpha=0.5, temperature=2.0)  # the estimator's defaults
    assert bench.settings(False)["student_steps"] == 480
    assert bench.settings(False)["old_student_steps"] == 120
    with pytest.raises(ValueError, match="row must be one of"):
        bench.SemiSupervisedRow("nope", 0.5, spec).fit(None, np.zeros(4))


class _HoldOut:
    """One split: ``group`` held out (a splitter for compare)."""

    def __init__(self, group):
        self.group = group

    def split(self, X, y=None, groups=None):
        groups = np.asarray(groups)
        yield np.flatnonzero(groups != self.group), np.flatnonzero(groups == self.group)

    def get_n_splits(self, X=None, y=None, groups=None):
        return 1


def test_held_out_labels_do_not_reach_the_predictions():
    """Permuting the held-out subject's labels leaves its predictions bit-identical."""
    import torch

    from skkd.model_selection import compare

    torch.set_num_threads(1)
    bench = _module()
    d = bench.load("gaf", quick=True, seed=0)
    X, y, groups = d["X"], d["y"], d["groups"]
    held = groups == groups[-1]
    permuted = y.copy()
    permuted[held] = 1 - y[held]  # every held-out label changed
    assert not np.array_equal(permuted, y)
    models = bench.make_models(d["spec"], 0.5, quick=True)
    kwargs = dict(cv=_HoldOut(groups[-1]), seeds=(0,), chance=None, verbose=0,
                  reference=bench.REFERENCE)
    bench.clear_cache()
    a = compare(models, X, y, groups, **kwargs).predictions
    bench.clear_cache()  # nothing fitted in the first run is reused
    b = compare(models, X, permuted, groups, **kwargs).predictions
    bench.clear_cache()
    assert set(a["model"]) == set(bench.ROWS)
    for name in bench.ROWS:
        pa = a.query("model == @name")["y_pred"].to_numpy()
        pb = b.query("model == @name")["y_pred"].to_numpy()
        assert len(pa) == held.sum()
        np.testing.assert_array_equal(pa, pb, err_msg=name)


def test_shared_teachers_equal_refitted_ones():
    """The cache shares a fold's teachers between rows; refitting gives the same student."""
    import torch

    torch.set_num_threads(1)
    bench = _module()
    d = bench.load("gaf", quick=True, seed=0)
    X, y = d["X"], d["y"]
    bench.clear_cache()
    bench.SemiSupervisedRow("teacher_dino", 0.5, d["spec"], quick=True).fit(X, y)
    shared = bench.SemiSupervisedRow("student_dino", 0.5, d["spec"], quick=True).fit(X, y)
    bench.clear_cache()
    alone = bench.SemiSupervisedRow("student_dino", 0.5, d["spec"], quick=True).fit(X, y)
    bench.clear_cache()
    np.testing.assert_array_equal(shared.predict_proba(X), alone.predict_proba(X))


def test_collapse_fix_on_real_emodb_speakers(data_home):
    """Issue 15: with 120 steps the width-8 KD student collapses; with 480 it does not.

    Speakers 03, 08, 09 train (25 % of their labels), speaker 10 is held out,
    full (not quick) settings, seeds 0-4 (one seed is too noisy to pin: a
    different CPU's rounding moves a single seed's gap by 0.05). The old
    student fits its own unlabelled training windows poorly (it agrees with
    its teacher on about half of them and predicts few emotions); the fixed
    one follows its teacher, predicts nearly every emotion on the held-out
    speaker and its macro-F1 is close to its UAR. Seen (means over the seeds):
    agreement 0.83 vs 0.56, 6.2 vs 4.4 emotions predicted, UAR - macro-F1
    0.075 vs 0.115.
    """
    import torch
    from sklearn.metrics import balanced_accuracy_score, f1_score

    from skkd import Modalities
    from skkd.datasets import load_emodb
    from skkd.features import SpeechFeatures

    torch.set_num_threads(1)
    bench = _module()
    data = load_emodb(data_home)
    groups = np.asarray(data.groups)
    keep = np.isin(groups, ["03", "08", "09", "10"])
    y, groups = np.asarray(data.y)[keep], groups[keep]
    frames = SpeechFeatures(output="frames", n_mfcc=20, n_mels=32, hop_length=1024,
                            tuning=0.0).fit_transform(np.asarray(data.X["audio"])[keep])
    X = Modalities(speech=np.asarray(frames, dtype=np.float32))
    train, test = groups != "10", groups == "10"
    spec = dict(student_inputs=("speech",), augment="signal", teacher_width=32,
                student_width=8, dino_batch_size=64)
    labels = np.unique(y)
    found = {row: [] for row in ("student_dino", "student_dino_old")}
    for seed in range(5):
        unlabelled = bench.hide_labels(y[train], 0.25, seed).astype(str) == "-1"
        bench.clear_cache()
        for row in found:
            model = bench.SemiSupervisedRow(row, 0.25, spec, quick=False, random_state=seed)
            model.fit(X[train], y[train])
            own = model.predict(X[train][unlabelled])
            teacher = model.estimator_.teacher_.predict(X[train][unlabelled])
            pred = model.predict(X[test])
            found[row].append((
                np.mean(own == teacher), len(set(pred)),
                balanced_accuracy_score(y[test], pred)
                - f1_score(y[test], pred, average="macro", labels=labels)))
    bench.clear_cache()
    new, old = (dict(zip(("agree", "classes", "gap"), np.mean(found[row], axis=0)))
                for row in ("student_dino", "student_dino_old"))
    assert new["agree"] >= 0.7, found
    assert old["agree"] <= new["agree"] - 0.15, found
    assert new["classes"] >= 6 > old["classes"], found
    assert new["gap"] <= 0.1 < old["gap"], found


@pytest.mark.slow
def test_quick_emodb_run(data_home, tmp_path):
    _run("--dataset", "emodb", "--out", str(tmp_path), timeout=1800)
    table = _check(tmp_path / "semi_supervised_kd_quick.csv", 3)
    assert table["dataset"].str.startswith("EmoDB").all()
    assert table["protocol"].eq("LOSO by speaker").all()
    assert table["n_seeds"].eq(1).all()
