"""Writers never overwrite or delete a file they did not create (DESIGN §6, issue 12 item 9).

Export (TorchScript, ONNX), plots and benchmark result folders: an existing
file is refused unless ``overwrite=True`` and left byte-identical, a failed
export never touches a file that was already there, and an output folder
that cannot be written is reported before any work.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skkd._writing import check_output_path, write_then_move
from skkd.estimators import TeacherClassifier
from skkd.export import ExportedModel, export_onnx, export_torchscript

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# every benchmark script that writes result files under --out
OUT_SCRIPTS = ["change_points", "cross_modal", "kd_estimators", "opportune_kd",
               "privileged_audio", "rulsif_speed", "semi_supervised_kd", "speech_kd"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USER_BYTES = b"time,eda\n0,0.31\n0.25,0.32\n"  # someone's input file


def _needs_onnx(export):
    if export is export_onnx:
        pytest.importorskip("onnx")
        pytest.importorskip("onnxruntime")


EXPORTERS = [pytest.param(export_torchscript, id="torchscript"),
             pytest.param(export_onnx, id="onnx")]


@pytest.fixture(scope="module")
def teacher():
    X, y = make_classification(40, 4, random_state=0)
    clf = TeacherClassifier(max_epochs=2, module__width=8, device="cpu", random_state=0)
    return clf.fit(X, y), X[:5]


def _user_file(folder: Path, name: str = "EDA.csv") -> Path:
    path = folder / name
    path.write_bytes(USER_BYTES)
    return path


# -- export ---------------------------------------------------------------------------------
@pytest.mark.parametrize("export", EXPORTERS)
def test_export_refuses_an_existing_file_and_leaves_it_byte_identical(export, teacher,
                                                                      tmp_path):
    _needs_onnx(export)
    clf, X = teacher
    target = _user_file(tmp_path)
    with pytest.raises(FileExistsError, match=r"EDA\.csv.*already exists.*overwrite=True"):
        export(clf, target, X)
    assert target.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["EDA.csv"]  # no temporary left


@pytest.mark.parametrize("export", EXPORTERS)
def test_export_overwrite_true_replaces_the_file(export, teacher, tmp_path):
    _needs_onnx(export)
    clf, X = teacher
    target = _user_file(tmp_path, "model.bin")
    assert export(clf, target, X, overwrite=True) == target
    assert target.read_bytes() != USER_BYTES
    np.testing.assert_allclose(ExportedModel(target).predict_proba(X), clf.predict_proba(X),
                               rtol=0, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


@pytest.mark.parametrize("export", EXPORTERS)
def test_failed_check_leaves_a_pre_existing_file_untouched(export, teacher, tmp_path,
                                                           monkeypatch):
    """Even with overwrite=True: the model only replaces the file once it passed its check."""
    _needs_onnx(export)
    clf, X = teacher
    target = _user_file(tmp_path, "model.bin")
    true_proba = clf.predict_proba
    monkeypatch.setattr(clf, "predict_proba", lambda X: true_proba(X)[:, ::-1])
    with pytest.raises(RuntimeError, match="differ from the estimator's.*nothing was written"):
        export(clf, target, X, overwrite=True)
    assert target.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


@pytest.mark.parametrize("export", EXPORTERS)
def test_failed_check_writes_nothing_new(export, teacher, tmp_path, monkeypatch):
    _needs_onnx(export)
    clf, X = teacher

    def fail(self, run, path):
        raise RuntimeError("check failed")

    monkeypatch.setattr("skkd.export._Prepared.check", fail)
    with pytest.raises(RuntimeError, match="check failed"):
        export(clf, tmp_path / "m.pt", X)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("export", EXPORTERS)
def test_export_checks_the_folder_up_front(export, teacher, tmp_path):
    _needs_onnx(export)
    clf, X = teacher
    blocker = _user_file(tmp_path, "notes.txt")
    with pytest.raises(NotADirectoryError, match=r"notes\.txt.*is a file, not a folder"):
        export(clf, blocker / "model.onnx", X)
    with pytest.raises(ValueError, match="does not exist"):
        export(clf, tmp_path / "missing" / "model.onnx", X)
    with pytest.raises(TypeError, match="'overwrite' parameter of export_"):
        export(clf, tmp_path / "model.onnx", X, overwrite="yes")
    assert blocker.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_export_signatures_default_to_no_overwrite():
    for export in (export_onnx, export_torchscript):
        assert inspect.signature(export).parameters["overwrite"].default is False


def test_write_then_move_never_replaces_a_file_that_appeared_meanwhile(tmp_path):
    target = tmp_path / "model.pt"
    with pytest.raises(FileExistsError, match="created while writing"):
        with write_then_move(check_output_path(target)) as tmp:
            tmp.write_bytes(b"ours")
            target.write_bytes(USER_BYTES)  # someone else writes there meanwhile
    assert target.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_write_then_move_removes_only_its_own_temporary_file(tmp_path):
    target = _user_file(tmp_path)
    with pytest.raises(KeyError):
        with write_then_move(target, overwrite=True) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".EDA.")
            tmp.write_bytes(b"half a file")
            raise KeyError("interrupted")
    assert target.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["EDA.csv"]


# -- plotting --------------------------------------------------------------------------------
@pytest.fixture
def plt():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _curves(**kw):
    from skkd.plotting import plot_training_curves

    return plot_training_curves([{"train_loss": 1.0}, {"train_loss": 0.5}], **kw)


def test_plot_refuses_an_existing_file_before_drawing(plt, tmp_path):
    target = _user_file(tmp_path, "curves.png")
    before = plt.get_fignums()
    with pytest.raises(FileExistsError, match=r"plot_training_curves.*curves\.png.*overwrite=True"):
        _curves(path=target)
    assert target.read_bytes() == USER_BYTES
    assert plt.get_fignums() == before  # refused before a figure was opened
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


def test_plot_overwrite_true_replaces_the_file(plt, tmp_path):
    target = _user_file(tmp_path, "curves.png")
    _curves(path=target, overwrite=True)
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]


def test_plot_path_without_suffix_gets_png_and_never_clobbers(plt, tmp_path):
    """Before: ``path="EDA"`` overwrote the file ``EDA`` with a PNG."""
    user = _user_file(tmp_path, "EDA")
    _curves(path=user)
    assert user.read_bytes() == USER_BYTES
    assert (tmp_path / "EDA.png").read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(FileExistsError, match=r"EDA\.png"):  # the rule applies to EDA.png too
        _curves(path=str(user))
    _curves(path=user, overwrite=True)
    assert user.read_bytes() == USER_BYTES


def test_plot_suffix_picks_the_format_and_unknown_suffixes_are_refused(plt, tmp_path):
    _curves(path=tmp_path / "curves.svg")
    assert b"<svg" in (tmp_path / "curves.svg").read_bytes()[:500]
    with pytest.raises(ValueError, match=r"cannot save a figure as '\.csv'.*\.png"):
        _curves(path=tmp_path / "curves.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.svg"]


def test_plot_folder_rules(plt, tmp_path):
    _curves(path=tmp_path / "new" / "deeper" / "c.png")  # missing folders are created
    assert (tmp_path / "new" / "deeper" / "c.png").is_file()
    blocker = _user_file(tmp_path, "notes.txt")
    with pytest.raises(NotADirectoryError, match=r"notes\.txt.*is a file, not a folder"):
        _curves(path=blocker / "c.png")
    with pytest.raises(ValueError, match="is a folder"):
        _curves(path=tmp_path / "new")
    with pytest.raises(TypeError, match="'overwrite' parameter of plot_training_curves"):
        _curves(path=tmp_path / "d.png", overwrite=1)
    assert blocker.read_bytes() == USER_BYTES


def test_every_plot_function_takes_overwrite():
    import skkd.plotting

    names = [n for n in skkd.plotting.__all__ if n.startswith("plot_")]
    assert len(names) == 6
    for name in names:
        params = inspect.signature(getattr(skkd.plotting, name)).parameters
        assert params["overwrite"].default is False, name
        assert params["overwrite"].kind is inspect.Parameter.KEYWORD_ONLY, name


def test_every_plot_function_refuses_an_existing_file(plt, tmp_path):
    from skkd.plotting import (
        plot_confusion_matrix,
        plot_gaf,
        plot_kd_comparison,
        plot_opportune_timeline,
    )

    x = np.sin(np.linspace(0, 6, 32))
    calls = {
        "cm": lambda **kw: plot_confusion_matrix([0, 1, 1], [0, 0, 1], **kw),
        "kd": lambda **kw: plot_kd_comparison(
            [{"method": "a", "macro_f1_mean": 0.5}, {"method": "b", "macro_f1_mean": 0.6}], **kw),
        "gaf": lambda **kw: plot_gaf(x, np.outer(x, x), fs=4, **kw),
        "timeline": lambda **kw: plot_opportune_timeline(np.arange(5.0), np.arange(5.0), **kw),
        "curves": _curves,
    }
    for name, call in calls.items():
        target = _user_file(tmp_path, f"{name}.png")
        with pytest.raises(FileExistsError, match="overwrite=True"):
            call(path=target)
        assert target.read_bytes() == USER_BYTES, name
        call(path=target, overwrite=True)
        assert target.read_bytes()[:8] == PNG_SIGNATURE, name


# -- benchmarks ------------------------------------------------------------------------------
def _bench(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"skkd_writers_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_folder_refuses_a_path_under_a_file_quickly(tmp_path):
    common = _bench("_common")
    blocker = _user_file(tmp_path, "notes.txt")
    t0 = time.perf_counter()
    with pytest.raises(NotADirectoryError, match=r"notes\.txt.*is a file, not a folder.*--out"):
        common.results_folder(blocker / "results")
    with pytest.raises(NotADirectoryError, match=r"notes\.txt"):
        common.results_folder(blocker)  # --out naming a file
    assert time.perf_counter() - t0 < 1.0
    assert blocker.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_results_folder_creates_and_probes_without_touching_files(tmp_path):
    common = _bench("_common")
    out = tmp_path / "a" / "b"
    assert common.results_folder(out) == out and out.is_dir()
    mine = _user_file(out, "kd_estimators.csv")
    assert common.results_folder(str(out)) == out
    assert sorted(p.name for p in out.iterdir()) == ["kd_estimators.csv"]  # probe removed
    assert mine.read_bytes() == USER_BYTES
    assert common.results_folder(None, default=out) == out


def test_results_folder_reports_through_argparse(tmp_path, capsys):
    import argparse

    common = _bench("_common")
    blocker = _user_file(tmp_path, "notes.txt")
    parser = argparse.ArgumentParser(prog="bench")
    with pytest.raises(SystemExit) as info:
        common.results_folder(blocker / "results", parser=parser)
    assert info.value.code == 2
    assert "notes.txt" in capsys.readouterr().err


@pytest.mark.parametrize("script", OUT_SCRIPTS)
def test_benchmark_with_an_unwritable_out_fails_before_the_run(script, tmp_path, capsys):
    """Before: the whole run, then an error when writing the results."""
    main = _bench(script).main
    blocker = _user_file(tmp_path, "notes.txt")
    t0 = time.perf_counter()
    with pytest.raises(SystemExit) as info:
        main(["--quick", "--out", str(blocker / "results")])
    assert time.perf_counter() - t0 < 2.0
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "cannot write results" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
