"""skkd.export: TorchScript and ONNX files give the estimator's probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skkd.datasets import load_stress_predict_sample, make_affective_dataset
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.export import ExportedModel, export_onnx, export_torchscript, exported_inputs

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

FAST = dict(max_epochs=2, lr=1e-2, batch_size=16, device="cpu", random_state=0)
EXPORTERS = {"torchscript": export_torchscript, "onnx": export_onnx}
ATOL = 1e-5


@pytest.fixture(scope="module")
def tabular_student():
    """MLP student on 3 of 6 columns, string labels, a logistic-regression teacher."""
    X, y = make_classification(90, 6, n_informative=4, random_state=0)
    y = np.array(["calm", "stress"])[y]
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs=[4, 0, 2], module__width=8,
        teacher_targets="in_sample", **FAST,
    ).fit(X[:60], y[:60])
    return student, X[:5], X[60:]


@pytest.fixture(scope="module")
def signals():
    data = make_affective_dataset(n_subjects=3, n_windows=10, window_s=20,
                                  modalities=("eda", "temp", "ecg"), random_state=0)
    teacher = TeacherClassifier(module__width=4, **FAST).fit(data.X[:20], data.y[:20])
    return data, teacher


def _signal_student(signals, **module):
    data, teacher = signals
    student = DistilledStudentClassifier(
        FrozenEstimator(teacher), student_inputs=["temp", "eda"], module__width=8,
        **module, **FAST,
    ).fit(data.X[:20], data.y[:20])
    return student, data.X[:4], data.X[20:]


@pytest.fixture(scope="module")
def cnn_student(signals):
    return _signal_student(signals)


@pytest.fixture(scope="module")
def recurrent_student(signals):
    return _signal_student(signals, module__recurrent=True)


@pytest.fixture(scope="module")
def dict_teacher(signals):
    data, teacher = signals
    return teacher, data.X[:4], data.X[20:]


CASES = ["tabular_student", "cnn_student", "recurrent_student", "dict_teacher"]


@pytest.mark.parametrize("fmt", list(EXPORTERS))
@pytest.mark.parametrize("case", CASES)
def test_exported_probabilities_equal_the_estimators(case, fmt, request, tmp_path):
    estimator, X_example, X_new = request.getfixturevalue(case)
    path = EXPORTERS[fmt](estimator, tmp_path / f"model.{fmt}", X_example)
    model = ExportedModel(path)
    assert model.format == fmt
    inputs = exported_inputs(estimator, X_new)  # another batch size than the example
    assert len(X_new) != len(X_example) and list(inputs) == model.input_names
    proba = model.predict_proba(inputs)
    expected = estimator.predict_proba(X_new)
    assert proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(model.classes_, estimator.classes_)
    np.testing.assert_array_equal(model.predict(inputs), estimator.predict(X_new))


def test_input_names_follow_the_students_inputs(tabular_student, cnn_student):
    student, _, X_new = tabular_student
    inputs = exported_inputs(student, X_new)
    assert list(inputs) == ["x"] and inputs["x"].dtype == np.float32
    np.testing.assert_array_equal(inputs["x"], X_new[:, [4, 0, 2]].astype(np.float32))
    # the student's own columns work as well as the full table
    np.testing.assert_array_equal(exported_inputs(student, X_new[:, [4, 0, 2]])["x"], inputs["x"])
    student, _, X_new = cnn_student
    inputs = exported_inputs(student, X_new.select(["eda", "temp"]))  # no privileged keys
    assert list(inputs) == ["temp", "eda"]
    assert inputs["eda"].shape == X_new["eda"].shape


def test_single_array_input_and_batch_of_one(tabular_student, tmp_path):
    student, X_example, X_new = tabular_student
    model = ExportedModel(export_onnx(student, tmp_path / "m.onnx", X_example[:1]))
    row = X_new[:1, [4, 0, 2]]
    np.testing.assert_allclose(model.predict_proba(row), student.predict_proba(X_new[:1]),
                               rtol=0, atol=ATOL)
    np.testing.assert_allclose(model.predict_proba(X_new[:, [4, 0, 2]]),
                               student.predict_proba(X_new), rtol=0, atol=ATOL)


def test_onnx_file_declares_a_dynamic_batch_axis(cnn_student, tmp_path):
    import onnx

    student, X_example, _ = cnn_student
    proto = onnx.load(str(export_onnx(student, tmp_path / "m.onnx", X_example)))
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in [*proto.graph.input, *proto.graph.output]}
    assert dims["temp"][0] == dims["eda"][0] == dims["proba"][0] == "batch"
    assert dims["eda"][1:] == list(X_example["eda"].shape[1:])
    assert dims["proba"][1] == 2


def test_dynamo_exporter_gives_the_same_probabilities(tabular_student, tmp_path):
    pytest.importorskip("onnxscript")
    student, X_example, X_new = tabular_student
    model = ExportedModel(export_onnx(student, tmp_path / "m.onnx", X_example, dynamo=True))
    np.testing.assert_allclose(model.predict_proba(exported_inputs(student, X_new)),
                               student.predict_proba(X_new), rtol=0, atol=ATOL)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["cnn_student", "recurrent_student"])
def test_dynamo_exporter_on_signal_students(case, request, tmp_path):
    pytest.importorskip("onnxscript")
    student, X_example, X_new = request.getfixturevalue(case)
    model = ExportedModel(export_onnx(student, tmp_path / "m.onnx", X_example, dynamo=True))
    np.testing.assert_allclose(model.predict_proba(exported_inputs(student, X_new)),
                               student.predict_proba(X_new), rtol=0, atol=ATOL)


def test_student_on_real_wrist_data(tmp_path):
    """A CNN student on the shipped Stress-Predict sample (EDA only), taught on EDA+TEMP."""
    data = load_stress_predict_sample()
    data.X, data.y, data.groups = data.X[::4], data.y[::4], data.groups[::4]  # 82 windows
    train = np.isin(data.groups, ["S02", "S10"])
    student = DistilledStudentClassifier(
        TeacherClassifier(module__width=8, **FAST), student_inputs=["eda"],
        module__width=8, teacher_targets="in_sample", **FAST,
    ).fit(data.X[train], data.y[train], groups=data.groups[train])
    test = data.X[~train].select(["eda"])  # a subject the student never saw
    for export in EXPORTERS.values():
        model = ExportedModel(export(student, tmp_path / export.__name__, data.X[:8]))
        proba = model.predict_proba(exported_inputs(student, test))
        np.testing.assert_allclose(proba, student.predict_proba(test), rtol=0, atol=ATOL)
        assert model.input_names == ["eda"] and proba.shape == (test.n_windows, 2)


# -- errors -------------------------------------------------------------------------
@pytest.mark.parametrize("export", list(EXPORTERS.values()))
def test_argument_errors(export, tabular_student, cnn_student, tmp_path):
    student, X_example, _ = tabular_student
    with pytest.raises(NotFittedError):
        export(TeacherClassifier(), tmp_path / "m", X_example)
    with pytest.raises(TypeError, match="DistilledStudentClassifier or TeacherClassifier"):
        export(LogisticRegression().fit(X_example[:, :2], [0, 1, 0, 1, 1]), tmp_path / "m",
               X_example)
    with pytest.raises(ValueError, match="does not exist"):
        export(student, tmp_path / "missing" / "m", X_example)
    with pytest.raises(ValueError, match="is a folder"):
        export(student, tmp_path, X_example)
    with pytest.raises(TypeError, match="'path' parameter of export_"):
        export(student, 3, X_example)
    with pytest.raises(ValueError, match="X does not fit.*features"):
        export(student, tmp_path / "m", X_example[:, :5])
    cnn, X_signals, _ = cnn_student
    with pytest.raises(ValueError, match="X does not fit.*lacks the student's modalities"):
        export(cnn, tmp_path / "m", X_signals.select(["eda"]))
    with pytest.raises(TypeError, match="X does not fit.*dict of modalities"):
        export(cnn, tmp_path / "m", X_signals["eda"])
    assert not any(tmp_path.iterdir())  # nothing written on a bad call


def test_export_refuses_a_file_that_disagrees_with_the_estimator(tabular_student, tmp_path,
                                                                 monkeypatch):
    student, X_example, _ = tabular_student
    true_proba = student.predict_proba
    monkeypatch.setattr(student, "predict_proba", lambda X: true_proba(X)[:, ::-1])
    for export in EXPORTERS.values():
        with pytest.raises(RuntimeError, match="differ from the estimator's"):
            export(student, tmp_path / "m", X_example)
        assert not (tmp_path / "m").exists()


def test_onnx_options_are_checked(tabular_student, tmp_path):
    student, X_example, _ = tabular_student
    with pytest.raises(TypeError, match="opset_version"):
        export_onnx(student, tmp_path / "m", X_example, opset_version="17")
    with pytest.raises(TypeError, match="dynamo"):
        export_onnx(student, tmp_path / "m", X_example, dynamo="yes")
    path = export_onnx(student, tmp_path / "m.onnx", X_example, opset_version=17)
    import onnx

    assert {o.domain: o.version for o in onnx.load(str(path)).opset_import}[""] == 17


@pytest.mark.parametrize("export", list(EXPORTERS.values()))
@pytest.mark.parametrize("kwargs", [
    {"path": None}, {"path": 3}, {"X_example": 3}, {"X_example": None},
    {"check": "yes"}, {"check": float("nan")}, {"overwrite": 1}, {"overwrite": float("nan")},
])
def test_export_parameters_are_validated(export, kwargs, tabular_student, tmp_path):
    student, X_example, _ = tabular_student
    args = {"estimator": student, "path": tmp_path / "m", "X_example": X_example, **kwargs}
    name = next(iter(kwargs))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {export.__name__}"):
        export(**args)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("opset_version", [float("nan"), float("inf"), 17.0, "17", 0, True])
def test_onnx_opset_version_refuses_non_positive_ints(opset_version, tabular_student, tmp_path):
    student, X_example, _ = tabular_student
    with pytest.raises(InvalidParameterError, match="'opset_version' parameter of export_onnx"):
        export_onnx(student, tmp_path / "m", X_example, opset_version=opset_version)
    with pytest.raises(InvalidParameterError, match="'dynamo' parameter of export_onnx"):
        export_onnx(student, tmp_path / "m", X_example, dynamo=float("nan"))


@pytest.mark.parametrize("X", [3, None, float("nan")])
def test_exported_inputs_validates_X(X, tabular_student):
    with pytest.raises(InvalidParameterError, match="'X' parameter of exported_inputs"):
        exported_inputs(tabular_student[0], X)


@pytest.mark.parametrize("path", [None, 3, float("nan"), ["m.pt"]])
def test_exported_model_validates_path(path):
    with pytest.raises(InvalidParameterError, match="'path' parameter of ExportedModel"):
        ExportedModel(path)


def test_exported_model_errors(cnn_student, tmp_path):
    student, X_example, X_new = cnn_student
    model = ExportedModel(export_torchscript(student, tmp_path / "m.pt", X_example))
    inputs = exported_inputs(student, X_new)
    with pytest.raises(ValueError, match=r"inputs lack \['eda'\]"):
        model.predict_proba({"temp": inputs["temp"]})
    with pytest.raises(TypeError, match="must be a dict with keys"):
        model.predict_proba(inputs["eda"])
    with pytest.raises(ValueError, match="share the window axis"):
        model.predict_proba({"temp": inputs["temp"], "eda": inputs["eda"][:3]})
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ValueError, match="neither a TorchScript nor an ONNX file"):
        ExportedModel(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="is not a file"):
        ExportedModel(tmp_path / "absent.onnx")
    with pytest.raises(TypeError, match="'path' parameter of ExportedModel"):
        ExportedModel(None)


def test_speed_benchmark_export_section_runs():
    """Smoke run of the latency rows of benchmarks/speed.py (timings are not checked)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"
    spec = importlib.util.spec_from_file_location("skkd_bench_speed", path)
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    rows = speed.export_rows(calls=2, max_epochs=1)
    assert [r["ours"] for r in rows] == ["TorchScript", "ONNX Runtime"] * 2
    assert all(r["t_ref"] > 0 and r["t_ours"] > 0 for r in rows)
