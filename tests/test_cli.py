"""The command line: subcommands, errors, and the main job on the built-in sample."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from skkd.__main__ import main


def test_datasets_lists_the_builtin_sample(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SKKD_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/data here: only the sample
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "stress_predict_sample" in out


def test_summarize_prints_every_results_table(tmp_path, capsys):
    pd.DataFrame({"method": ["a", "b"], "macro_f1_mean": [0.5, 0.6]}).to_csv(
        tmp_path / "kd.csv", index=False)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.json").write_text(json.dumps([{"method": "c", "f1": 0.7}]))
    assert main(["summarize", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "kd.csv" in out and "0.6" in out and "sub/other.json" in out


def test_summarize_and_benchmark_errors(tmp_path, capsys):
    assert main(["summarize", str(tmp_path / "absent")]) == 2
    assert main(["summarize", str(tmp_path)]) == 2
    assert main(["benchmark", "no_such_benchmark"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "no CSV or JSON" in err and "unknown benchmark" in err


@pytest.mark.slow
def test_main_job_prints_the_demo_table():
    """The README's main job: ``python -m skkd`` on the built-in sample (about 1-2 min)."""
    out = subprocess.run([sys.executable, "-m", "skkd"], capture_output=True, text=True,
                         check=True, timeout=900).stdout
    assert "LOSO by subject" in out
    assert "student MLP, KD soft targets + feature matching" in out
