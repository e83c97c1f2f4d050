"""The command line: subcommands, errors, and the main job on the built-in sample."""

from __future__ import annotations

import json
import re
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


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_help_says_what_skkd_is_in_plain_text(capsys):
    out = _help(["--help"], capsys)
    assert "knowledge distillation for affective computing" in out
    assert "teacher" in out and "student" in out and "scikit-learn" in out
    for command in ("demo", "datasets", "benchmark", "summarize"):
        assert f"    {command} " in out
    for markup in ("``", ":class:", ":func:", ".. ", "-----"):
        assert markup not in out, markup
    assert _widest(out) <= 100


def test_benchmark_help_lists_every_benchmark_in_one_line(capsys):
    from skkd.__main__ import _available_benchmarks

    out = _help(["benchmark", "--help"], capsys)
    names = _available_benchmarks()
    assert "kd_estimators" in names
    lines = out.splitlines()
    for name in names:
        line = next(line for line in lines if line.startswith(f"  {name} "))
        assert len(line.split(maxsplit=1)[1]) > 20, line  # a description follows the name
    assert re.search(r"^  kd_estimators +Knowledge distillation benchmark", out, re.M)
    assert _widest(out) <= 100


def test_demo_options_have_help_text(capsys):
    out = _help(["demo", "--help"], capsys)
    assert "--verbose LEVEL" in out and "training progress" in out
    assert "seed of the models" in out


def test_datasets_table_fits_100_columns(capsys, monkeypatch, tmp_path):
    import skkd.datasets

    wide = pd.DataFrame([{
        "name": "a_data_set_with_a_long_name", "loader": "load_something",
        "n_windows": 251490, "n_subjects": 99, "n_classes": 7,
        "class_counts": ", ".join(f"class number {i}: {1000 * i}" for i in range(7)),
        "window": "1 s row (sliding-window statistics)",
        "modalities": ", ".join(f"signal{i} 64 Hz x3" for i in range(12)),
        "source": "A. Author, B. Author (2024). " + "A very long title. " * 12
                  + "https://doi.org/10.1000/xyz",
    }])
    wide = pd.concat([wide, wide.assign(name="another")], ignore_index=True)
    monkeypatch.setattr(skkd.datasets, "describe_datasets", lambda home: wide)
    assert main(["datasets", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert _widest(out) <= 100
    assert "a_data_set_with_a_long_name: skkd.datasets.load_something()" in out
    assert "https://doi.org/10.1000/xyz" in out and "class number 6: 6000" in out


def _write_results(folder, quick: bool):
    """Results exactly as the benchmarks write them (benchmarks/_common.write_results)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_common", Path(__file__).resolve().parents[1] / "benchmarks" / "_common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    rows = [common.score_row("stress_predict", "teacher MLP", [0.5, 0.7], [0.5, 0.6],
                             n_params=1200, latency=0.3, wall=10.0),
            common.score_row("stress_predict", "student, KD", [0.4, 0.6], [0.5, 0.5],
                             n_params=300, latency=0.1, wall=5.0)]
    name = "kd_estimators_quick" if quick else "kd_estimators"
    return common.write_results(rows, name, folder, quick=quick, seed=0)


def test_summarize_reads_what_the_benchmarks_write(tmp_path, capsys):
    csv_path, json_path = _write_results(tmp_path, quick=True)
    assert main(["summarize", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "not a results table" not in captured.err
    out = captured.out
    assert out.count("teacher MLP") == 1  # CSV and JSON hold one table: shown once
    assert "kd_estimators_quick.csv (and .json)" in out
    assert "0.600 ± 0.100" in out  # macro-F1 mean ± std over subjects
    assert "run: quick=True, seed=0" in out
    assert "indicative only" in out
    # one file, the JSON, as the user typed it
    assert main(["summarize", str(json_path)]) == 0
    out = capsys.readouterr().out
    assert "kd_estimators_quick.json" in out and "student, KD" in out and "indicative only" in out


def test_summarize_full_runs_have_no_caveat(tmp_path, capsys):
    _write_results(tmp_path, quick=False)
    (tmp_path / "speed.json").write_text(json.dumps(
        {"meta": {"k": 10}, "rows": [{"setting": "1 h", "seconds": 2.5}]}))
    (tmp_path / "notes.json").write_text(json.dumps({"comment": "no table here"}))
    assert main(["summarize", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "indicative only" not in captured.out
    assert "speed.json" in captured.out and "run: k=10" in captured.out
    assert "notes.json: not a results table (expected a list of rows" in captured.err


def test_quick_benchmark_runs_print_the_caveat(tmp_path, capsys, monkeypatch):
    import skkd.__main__ as cli

    (tmp_path / "toy.py").write_text('"""A toy benchmark."""\nprint("toy table")\n')
    monkeypatch.setattr(cli, "BENCHMARKS_DIR", tmp_path)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert main(["benchmark", "toy", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-2:] == ["toy table", cli.QUICK_CAVEAT]
    assert len(cli.QUICK_CAVEAT) <= 100
    assert main(["benchmark", "toy"]) == 0
    assert "indicative" not in capsys.readouterr().out
    assert "  toy  A toy benchmark." in _help(["benchmark", "--help"], capsys)


@pytest.mark.slow
def test_main_job_prints_the_demo_table():
    """The README's main job: ``python -m skkd`` on the built-in 34-subject features (~1 min)."""
    out = subprocess.run([sys.executable, "-m", "skkd"], capture_output=True, text=True,
                         check=True, timeout=900).stdout
    flat = " ".join(out.split())  # header lines wrap at 100 columns
    assert "GroupKFold(n_splits=5" in flat and "3695 windows, 34 subjects" in flat
    assert "Seeds : 0, 1, 2, 3, 4 (" in flat
    assert "student MLP, KD" in out and "chance" in out and "Distillation changed" in out
    assert "indicative only" not in out and "Total wall time:" in out
    # the MiniRocket row, or the one line that says it was skipped and how to install it
    from skkd._demo import ROCKET, ROCKET_SKIPPED

    assert (ROCKET in out) != (ROCKET_SKIPPED in out)
