"""Bad parameters and inputs of the neural estimators get a clear error (issue 12).

Each error names the argument and says what was expected; nothing is silently
carried into a fit or a prediction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skkd import Modalities
from skkd.estimators import DINOPretrainer, DistilledStudentClassifier, TeacherClassifier
from skkd.utils import resolve_device

FAST = dict(max_epochs=2, lr=1e-2, batch_size=32, device="cpu", random_state=0)
TEACHER = dict(max_epochs=2, lr=1e-2, batch_size=32, device="cpu", random_state=1,
               module__width=8)
INF, NAN = float("inf"), float("nan")


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="module")
def tabular():
    X, y = make_classification(60, 6, n_informative=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def signals():
    """eda windows of 240 samples (1 channel) and a privileged eeg (2 channels)."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 40)
    X = Modalities(
        eda=(rng.randn(40, 1, 240) + y[:, None, None]).astype(np.float32),
        eeg=(rng.randn(40, 2, 32) + y[:, None, None]).astype(np.float32),
    )
    return X, y


# -- 1. NaN/inf parameters ------------------------------------------------------------------
@pytest.mark.parametrize("param, value", [
    ("lr", INF), ("lr", NAN), ("validation_fraction", NAN), ("max_epochs", INF),
    ("batch_size", NAN),
])
def test_teacher_refuses_non_finite_parameters(tabular, param, value):
    X, y = tabular
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        TeacherClassifier(**{**FAST, param: value}).fit(X, y)


@pytest.mark.parametrize("param, value", [
    ("alpha", NAN), ("temperature", INF), ("temperature", NAN), ("lr", INF),
    ("feature_weights", INF), ("feature_weights", NAN), ("feature_weights", {"eeg": INF}),
    ("feature_weights", {"eeg": NAN}), ("feature_weights", {"eeg": -1.0}),
    ("feedback_weight", INF), ("feedback_lr", NAN), ("feedback_lr", INF),
])
def test_student_refuses_non_finite_parameters(tabular, param, value):
    X, y = tabular
    student = DistilledStudentClassifier(LogisticRegression(), **{**FAST, param: value})
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        student.fit(X, y)


@pytest.mark.parametrize("param, value", [
    ("lr", INF), ("teacher_temperature", NAN), ("student_temperature", INF),
    ("center_momentum", NAN), ("ema_momentum", INF),
])
def test_pretrainer_refuses_non_finite_parameters(signals, param, value):
    X, _ = signals
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        DINOPretrainer(max_epochs=1, out_dim=8, device="cpu", **{param: value}).fit(X)


def test_non_finite_parameter_of_a_pretrainer_inside_a_teacher(tabular):
    X, y = tabular
    teacher = TeacherClassifier(pretrain=DINOPretrainer(lr=INF), **FAST)
    with pytest.raises(ValueError, match="'lr' parameter of DINOPretrainer"):
        teacher.fit(X, y)


def test_parameter_constraints_are_declared():
    for cls, names in [(TeacherClassifier, ["lr", "pretrain", "device"]),
                       (DistilledStudentClassifier, ["alpha", "temperature", "teacher"]),
                       (DINOPretrainer, ["lr", "ema_momentum", "augment"])]:
        assert set(names) <= set(cls._parameter_constraints), cls


# -- 2. misspelled keyword arguments --------------------------------------------------------
def test_misspelled_keyword_is_refused_at_construction():
    with pytest.raises(TypeError, match="early_stoping.*did you mean 'early_stopping'"):
        TeacherClassifier(early_stoping=True)
    with pytest.raises(TypeError, match="alpah"):
        DistilledStudentClassifier(LogisticRegression(), alpah=0.3)
    with pytest.raises(TypeError, match="module__"):
        TeacherClassifier(modul__width=8)


def test_misspelled_keyword_is_refused_by_set_params():
    with pytest.raises(ValueError, match="early_stoping"):
        TeacherClassifier().set_params(early_stoping=True)


def test_skorch_prefixed_keywords_still_work(tabular):
    X, y = tabular
    clf = TeacherClassifier(module__width=4, optimizer__weight_decay=0.1,
                            iterator_valid__batch_size=16, callbacks__print_log__floatfmt=".2f",
                            **FAST)
    params = clone(clf).get_params()
    assert params["module__width"] == 4 and params["callbacks__print_log__floatfmt"] == ".2f"
    clf.fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.1
    assert clf.net_.iterator_valid__batch_size == 16
    print_log = dict(clf.net_.callbacks_)["print_log"]
    assert print_log.floatfmt == ".2f"
    clf.set_params(module__width=8, callbacks__print_log__floatfmt=".3f")
    assert clf.get_params()["module__width"] == 8
    search = GridSearchCV(TeacherClassifier(**FAST), {"module__width": [4, 8]}, cv=2).fit(X, y)
    assert search.best_params_["module__width"] in (4, 8)
    student = DistilledStudentClassifier(LogisticRegression(), [0, 1], module__width=4,
                                         **FAST)
    assert clone(student).get_params()["module__width"] == 4


# -- 3. an array-fitted student: which widths predict accepts -------------------------------
def test_array_fitted_student_accepts_training_or_student_width(tabular):
    X, y = tabular
    student = DistilledStudentClassifier(LogisticRegression(), [0, 1, 2], **FAST).fit(X, y)
    np.testing.assert_array_equal(student.predict_proba(X), student.predict_proba(X[:, :3]))
    for width in (2, 4, 5, 7):
        Xw = np.zeros((5, width))
        with pytest.raises(ValueError, match=f"X has {width} features.*expecting 6 features"
                                             r".*3 columns \[0, 1, 2\]"):
            student.predict(Xw)


def test_array_fitted_student_refuses_a_dataframe(tabular):
    X, y = tabular
    student = DistilledStudentClassifier(LogisticRegression(), [0, 1, 2], **FAST).fit(X, y)
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    with pytest.raises(TypeError, match="DataFrame.*fitted on an array"):
        student.predict(frame)
    with pytest.raises(TypeError, match="DataFrame.*fitted on an array"):
        student.predict_proba(frame.iloc[:, :3])


def test_dataframe_fitted_student_selects_columns_by_name(tabular):
    X, y = tabular
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    student = DistilledStudentClassifier(LogisticRegression(), ["c0", "c1", "c2"],
                                         **FAST).fit(frame, y)
    expected = student.predict_proba(frame)
    shuffled = frame[["c5", "c2", "c0", "c4", "c1", "c3"]]
    np.testing.assert_array_equal(student.predict_proba(shuffled), expected)
    np.testing.assert_array_equal(student.predict_proba(frame[["c2", "c1", "c0"]]), expected)
    with pytest.raises(TypeError, match="DataFrame"):
        student.predict(X)


# -- 4. a modality with another window shape at predict -------------------------------------
def test_student_refuses_another_window_length_or_channel_count(signals):
    X, y = signals
    student = DistilledStudentClassifier(TeacherClassifier(**TEACHER), "eda",
                                         teacher_targets="in_sample", **FAST).fit(X, y)
    longer = {"eda": np.zeros((3, 1, 480), np.float32)}
    with pytest.raises(ValueError, match=r"X\['eda'\].*\(1, 480\).*\(1, 240\)"):
        student.predict(longer)
    two_channels = {"eda": np.zeros((3, 2, 240), np.float32)}
    with pytest.raises(ValueError, match=r"X\['eda'\].*\(2, 240\).*\(1, 240\)"):
        student.predict_proba(two_channels)


def test_teacher_and_pretrainer_refuse_another_window_shape(signals):
    X, y = signals
    teacher = TeacherClassifier(**TEACHER).fit(X, y)
    bad = Modalities(eda=np.zeros((3, 1, 480), np.float32), eeg=X["eeg"][:3])
    with pytest.raises(ValueError, match=r"X\['eda'\].*\(1, 480\).*\(1, 240\)"):
        teacher.predict(bad)
    bad = Modalities(eda=X["eda"][:3], eeg=np.zeros((3, 1, 32), np.float32))
    with pytest.raises(ValueError, match=r"X\['eeg'\].*\(1, 32\).*\(2, 32\)"):
        teacher.embed(bad)
    pre = DINOPretrainer(max_epochs=1, out_dim=8, device="cpu", random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"X\['eda'\].*\(1, 480\).*\(1, 240\)"):
        pre.transform(Modalities(eda=np.zeros((3, 1, 480), np.float32), eeg=X["eeg"][:3]))


# -- 5. one class ---------------------------------------------------------------------------
def test_one_class_is_refused(tabular, signals):
    X, _ = tabular
    with pytest.raises(ValueError, match="one class"):
        TeacherClassifier(**FAST).fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="one class"):
        TeacherClassifier(**FAST).fit(X, np.array(["calm"] * len(X)))
    with pytest.raises(ValueError, match="one class"):
        DistilledStudentClassifier(LogisticRegression(), [0, 1], **FAST).fit(X, np.zeros(len(X)))
    Xd, _ = signals
    y_semi = np.where(np.arange(40) % 2 == 0, 1, -1)  # labelled windows: one class
    with pytest.raises(ValueError, match="one class"):
        TeacherClassifier(pretrain=DINOPretrainer(max_epochs=1, out_dim=8), **FAST).fit(Xd, y_semi)


# -- 6. prediction leaves torch's random state alone -----------------------------------------
def _assert_rng_untouched(*calls):
    for call in calls:
        state = torch.get_rng_state()
        call()
        assert torch.equal(torch.get_rng_state(), state), call


def test_prediction_does_not_touch_the_global_torch_rng(tabular, signals):
    X, y = tabular
    teacher = TeacherClassifier(**TEACHER).fit(X, y)
    student = DistilledStudentClassifier(TeacherClassifier(**TEACHER), [0, 1], **FAST).fit(X, y)
    Xd, yd = signals
    multi = TeacherClassifier(**TEACHER).fit(Xd, yd)
    pre = DINOPretrainer(max_epochs=1, out_dim=8, device="cpu", random_state=0).fit(Xd)
    _assert_rng_untouched(
        lambda: teacher.predict(X), lambda: teacher.predict_proba(X),
        lambda: teacher.embed(X), lambda: teacher.decision_function_logits(X),
        lambda: student.predict(X), lambda: student.predict_proba(X), lambda: student.embed(X),
        lambda: multi.embed(Xd, per_modality=True), lambda: pre.transform(Xd),
    )


# -- 7. errors that name the argument -------------------------------------------------------
def test_negative_strides_are_copied_not_crashed(tabular, signals):
    X, y = tabular
    X32 = np.asarray(X, dtype=np.float32)
    flipped = np.flip(X32, 1)
    teacher = TeacherClassifier(**TEACHER).fit(flipped, y)
    np.testing.assert_array_equal(teacher.predict_proba(flipped),
                                  teacher.predict_proba(np.ascontiguousarray(flipped)))
    np.testing.assert_array_equal(flipped, np.flip(X32, 1))  # the user's array is untouched
    student = DistilledStudentClassifier(LogisticRegression(), [0, 1, 2], **FAST).fit(X32, y)
    np.testing.assert_array_equal(student.predict_proba(np.flip(X32[:, :3], 0)),
                                  student.predict_proba(X32[::-1, :3].copy()))
    Xd, yd = signals
    multi = TeacherClassifier(**TEACHER).fit(Xd, yd)
    reversed_time = Modalities(eda=Xd["eda"][:, :, ::-1], eeg=Xd["eeg"][:, ::-1])
    np.testing.assert_array_equal(
        multi.predict_proba(reversed_time),
        multi.predict_proba(Modalities({k: v.copy() for k, v in reversed_time.items()})),
    )


def test_tabular_teacher_on_a_dict_names_the_teacher(signals):
    X, y = signals
    student = DistilledStudentClassifier(LogisticRegression(), "eda", **FAST)
    with pytest.raises(ValueError, match="teacher.*LogisticRegression.*ModalityTransformer"):
        student.fit(X, y)


def test_mixed_label_types_name_y(tabular):
    X, y = tabular
    mixed = np.array(["stress" if v else 0 for v in y], dtype=object)
    with pytest.raises(TypeError, match="y mixes"):
        TeacherClassifier(**FAST).fit(X, mixed)
    with pytest.raises(TypeError, match="y mixes"):
        DistilledStudentClassifier(LogisticRegression(), [0, 1], **FAST).fit(X, mixed)


def test_validation_fraction_must_be_below_one(tabular):
    X, y = tabular
    for clf in (TeacherClassifier(early_stopping=True, validation_fraction=1.0, **FAST),
                DistilledStudentClassifier(LogisticRegression(), early_stopping=True,
                                           validation_fraction=1.0, **FAST)):
        with pytest.raises(ValueError, match="'validation_fraction' parameter"):
            clf.fit(X, y)


def test_unavailable_device_is_named(tabular, monkeypatch):
    X, y = tabular
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda'.*CUDA is not available.*'auto'.*'cpu'"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="device='cuda:1'.*CUDA"):
        TeacherClassifier(**{**FAST, "device": "cuda:1"}).fit(X, y)
    with pytest.raises(ValueError, match="device='gpu'"):
        resolve_device("gpu")
    assert resolve_device("auto") in {"cpu", "mps"}
