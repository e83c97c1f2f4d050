"""Smoke test of benchmarks/semi_supervised_kd.py and its label hiding.

The ``--quick`` synthetic (GAF) run goes in a subprocess; the EmoDB quick
run needs the real data and speech features, so it is marked slow.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCHMARKS / "semi_supervised_kd.py"


def _module():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("semi_supervised_kd", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _check(path: Path, n_fractions: int) -> pd.DataFrame:
    table = pd.read_csv(path)
    assert len(table) == 5 * n_fractions
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
    table = _check(tmp_path / "semi_supervised_kd_quick.csv", 2)
    methods = " ".join(table["method"])
    for row in ("supervised only", "DINO-pre-trained", "no KD", "<- DINO teacher"):
        assert row in methods
    assert set(table["label_fraction"]) == {0.5, 1.0}
    students = table[table["inputs"] == "eda"]
    teachers = table[table["inputs"] == "all"]
    assert len(students) == 6 and len(teachers) == 4
    assert students["n_params"].astype(int).max() < teachers["n_params"].astype(int).min()


@pytest.mark.slow
def test_quick_emodb_run(data_home, tmp_path):
    _run("--dataset", "emodb", "--out", str(tmp_path), timeout=1800)
    table = _check(tmp_path / "semi_supervised_kd_quick.csv", 3)
    assert table["dataset"].str.startswith("EmoDB").all()
    assert table["protocol"].eq("LOSO by speaker").all()
