"""Smoke tests of benchmarks/speed.py (timings are never checked).

The default run checks the table and the helpers that time and measure;
``-m slow`` runs every section of ``--quick`` (minutes: pyts compiles its
numba kernels, the cold-start rows start new interpreters, the main job runs).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def speed():
    sys.path.insert(0, str(BENCHMARKS))  # speed.py imports _common and rulsif_speed
    spec = importlib.util.spec_from_file_location("skkd_bench_speed", BENCHMARKS / "speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_has_every_column(speed):
    rows = [
        speed._row("GAF", "pyts", 1.0, "GAFImager()", 0.25, mem_ref="tm 1", mem_ours="tm 2",
                   goal=">= 20x", note="n"),
        speed._row("main job", None, None, "new process", 30.0, mem_ours="100 proc",
                   goal="<= 60 s"),
    ]
    table = speed.format_rows(rows).splitlines()
    assert len(table) == 4 and table[0].startswith("| task")
    assert "| 4x " in table[2] and "tm 2" in table[2] and ">= 20x" in table[2]
    assert "| -  " in table[3] and "100 proc" in table[3]  # no reference: no ratio


def test_child_runner_times_and_measures(speed):
    wall, mem, words = speed._python("import sys; print('a', sys.argv[1])", "b")
    assert wall > 0 and words == ["a", "b"]
    if sys.platform.startswith("linux"):
        assert mem.endswith(" proc") and float(mem.split()[0]) > 0
    with pytest.raises(RuntimeError, match="failed"):
        speed._python("raise SystemExit(3)")


def test_peak_memory_sees_a_large_allocation(speed):
    import numpy as np

    mem = speed._peak_mb(lambda: np.ones(4_000_000))  # 32 MB
    assert mem.startswith("tm ") and int(mem.split(",")[0].split()[1]) >= 30


def test_thread_free_environment(speed, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert "OMP_NUM_THREADS" not in speed._env(None)
    assert speed._env(1)["MKL_NUM_THREADS"] == "1"


def test_unknown_section_is_named(speed):
    with pytest.raises(ValueError, match="sections must be among"):
        speed.run(["gpu"])


@pytest.mark.slow
@pytest.mark.parametrize("section", ["rulsif", "gaf", "audio", "physio", "train", "predict",
                                     "cold", "export"])
def test_quick_section_runs(speed, section):
    rows = speed.run([section], quick=True)
    assert rows and all(r["t_ours"] > 0 and (r["t_ref"] is None or r["t_ref"] > 0)
                        for r in rows)
    assert speed.format_rows(rows).count("\n") == len(rows) + 1
