"""Smoke test of ``benchmarks/privileged_stressid.py`` and the protocol its table leans on."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        "privileged_stressid", BENCHMARKS / "privileged_stressid.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_the_protocol_and_every_row(bench, data_home, tmp_path, capsys):
    bench.main(["--quick", "--table", "eda", "--data-home", str(data_home),
                "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert "indicative only" in text and "GroupKFold" in text and "chance" in text
    for row in (bench.NO_KD, "RF on eda", "teacher: LR, physiology",
                "KD from LR teacher (Hinton, cross-fitted)", "+ MUNGE windows"):
        assert row in text
    assert (tmp_path / "privileged_stressid_eda_quick_summary.csv").is_file()


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
