"""DistilledStudentClassifier: inputs, teacher handling, targets, feedback, composition."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skkd import Modalities
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.estimators._teaching import cross_fit_teacher_outputs
from skkd.estimators._skorch_nets import TEACHER_LOGITS

FAST = dict(max_epochs=6, lr=1e-2, batch_size=32, device="cpu", random_state=0)
TEACHER = dict(max_epochs=6, lr=1e-2, batch_size=32, device="cpu", module__width=8)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="module")
def tabular():
    X, y = make_classification(120, 6, n_informative=4, random_state=0)
    return X, y, np.repeat(np.arange(6), 20)


@pytest.fixture(scope="module")
def privileged():
    """'eeg' carries the label clearly, 'eda' weakly."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 96)
    X = Modalities(
        eda=(rng.randn(96, 1, 24) + 0.7 * y[:, None, None]).astype(np.float32),
        eeg=(rng.randn(96, 2, 24) + 1.5 * y[:, None, None]).astype(np.float32),
    )
    return X, y, np.repeat(np.arange(6), 16)


def test_student_on_modality_subset_predicts_without_privileged_keys(privileged):
    X, y, groups = privileged
    student = DistilledStudentClassifier(
        TeacherClassifier(**TEACHER), student_inputs=["eda"], module__width=8, **FAST
    ).fit(X, y, groups=groups)
    assert student.student_inputs_ == ["eda"]
    wearable = X.select(["eda"])
    np.testing.assert_array_equal(student.predict_proba(wearable), student.predict_proba(X))
    assert set(student.predict(wearable)) <= set(y)
    assert student.n_params_ < student.teacher_.n_params_
    assert student.embed(wearable).shape == (96, 8)
    with pytest.raises(ValueError, match="eda"):
        student.predict(X.select(["eeg"]))


def test_dataframe_student_inputs_by_prefix(tabular):
    X, y, _ = tabular
    frame = pd.DataFrame(X, columns=["eda__a", "eda__b", "bvp__a", "bvp__b", "ecg__a", "ecg__b"])
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs=["eda", "bvp__a"], **FAST
    ).fit(frame, y)
    assert student.student_inputs_ == ["eda__a", "eda__b", "bvp__a"]
    np.testing.assert_array_equal(
        student.predict(frame[["eda__a", "eda__b", "bvp__a"]]), student.predict(frame)
    )
    with pytest.raises(ValueError, match="student_inputs"):
        DistilledStudentClassifier(LogisticRegression(), student_inputs=["acc"], **FAST).fit(frame, y)


def test_array_student_inputs_by_index(tabular):
    X, y, _ = tabular
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs=[0, 2], **FAST).fit(X, y)
    assert student.student_inputs_ == [0, 2]
    np.testing.assert_array_equal(student.predict_proba(X), student.predict_proba(X[:, [0, 2]]))
    with pytest.raises(ValueError, match="features"):
        student.predict(X[:, :4])
    mask = np.array([True, False, True, False, False, False])
    by_mask = DistilledStudentClassifier(LogisticRegression(), student_inputs=mask, **FAST).fit(X, y)
    np.testing.assert_array_equal(by_mask.predict_proba(X), student.predict_proba(X))
    with pytest.raises(ValueError, match="out of range"):
        DistilledStudentClassifier(LogisticRegression(), student_inputs=[9], **FAST).fit(X, y)


def test_string_labels_and_reproducibility(tabular):
    X, y, groups = tabular
    labels = np.array(["low", "high"])[y]
    make = lambda: DistilledStudentClassifier(  # noqa: E731
        DecisionTreeClassifier(max_depth=3), student_inputs=[0, 1, 2], **FAST)
    a = make().fit(X, labels, groups=groups)
    b = make().fit(X, labels, groups=groups)
    assert list(a.classes_) == ["high", "low"]
    assert set(a.predict(X)) <= {"high", "low"}
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_cross_fitted_targets_are_out_of_fold_by_subject(tabular):
    X, y, groups = tabular
    log_proba, _, folds = cross_fit_teacher_outputs(
        DecisionTreeClassifier(random_state=0), X, y, groups=groups, cv=3, classes=np.array([0, 1]))
    assert len(folds) == 3
    covered = np.concatenate([te for _, _, te in folds])
    assert sorted(covered) == list(range(len(y)))
    for est, train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        np.testing.assert_allclose(
            np.exp(log_proba[test]).sum(axis=1), 1, rtol=1e-5)
    # an unpruned tree memorises its training rows: in-sample targets would be
    # perfect, cross-fitted ones are not
    acc = (log_proba.argmax(axis=1) == y).mean()
    assert acc < 1.0


def test_in_sample_versus_cross_fit_targets_differ(tabular):
    X, y, groups = tabular
    seen = {}
    for mode in ("in_sample", "cross_fit"):
        student = DistilledStudentClassifier(
            DecisionTreeClassifier(random_state=0), student_inputs=[0], teacher_targets=mode,
            alpha=1.0, **{**FAST, "max_epochs": 1})
        student.fit(X, y, groups=groups)
        seen[mode] = student
        # the teacher fitted on all rows is kept either way (it memorises them)
        assert student.teacher_.score(X, y) == 1.0
    # same seed, same student: only the soft targets differ
    assert not np.array_equal(seen["in_sample"].predict_proba(X), seen["cross_fit"].predict_proba(X))


def test_frozen_teacher_is_used_unchanged(privileged):
    X, y, groups = privileged
    teacher = TeacherClassifier(random_state=0, **TEACHER).fit(X, y)
    before = teacher.predict_proba(X)
    frozen = FrozenEstimator(teacher)
    student = DistilledStudentClassifier(
        frozen, student_inputs="eda", feature_weights=1.0, module__width=8, **FAST
    ).fit(X, y, groups=groups)
    assert student.teacher_ is frozen
    np.testing.assert_array_equal(teacher.predict_proba(X), before)


def test_teacher_is_not_optimised_by_the_student(privileged):
    X, y, groups = privileged
    student = DistilledStudentClassifier(
        TeacherClassifier(random_state=0, **TEACHER), student_inputs=["eda"],
        feature_weights={"eeg": 1.0, "eda": 0.5}, teacher_targets="in_sample",
        module__width=8, **FAST).fit(X, y, groups=groups)
    teacher_params = {id(p) for p in student.teacher_.net_.module_.parameters()}
    optimised = {id(p) for g in student.net_.optimizer_.param_groups for p in g["params"]}
    assert not teacher_params & optimised
    # the projections of feature matching are learned with the student
    projections = student.net_.criterion_.features.projections
    assert {id(p) for p in projections.parameters()} <= optimised
    assert sorted(projections) == ["eda", "eeg"]
    assert not student.teacher_.net_.module_.training


def test_feedback_refines_copies_and_reteaches(privileged):
    X, y, groups = privileged
    teacher = TeacherClassifier(random_state=0, **TEACHER)
    student = DistilledStudentClassifier(
        teacher, student_inputs=["eda"], feedback=True, feedback_every=2, feedback_steps=3,
        feedback_lr=1e-2, module__width=8, teacher_cv=3, **FAST).fit(X, y, groups=groups)
    callback = dict(student.net_.callbacks_)["teacher_feedback"]
    assert callback.n_feedback_ == 2  # after epochs 2 and 4 of 6
    assert callback.teachers is None  # references dropped: nothing big is pickled
    pickle.loads(pickle.dumps(student))
    # the training targets were rewritten by the refined teachers
    no_feedback = DistilledStudentClassifier(
        teacher, student_inputs=["eda"], module__width=8, teacher_cv=3, **FAST
    ).fit(X, y, groups=groups)
    assert not np.array_equal(student.predict_proba(X), no_feedback.predict_proba(X))
    np.testing.assert_array_equal(student.teacher_.predict_proba(X),
                                  no_feedback.teacher_.predict_proba(X))


def test_feedback_updates_the_targets_in_the_training_input(privileged):
    X, y, groups = privileged
    student = DistilledStudentClassifier(
        TeacherClassifier(random_state=0, **TEACHER), student_inputs=["eda"], feedback=True,
        feedback_every=1, feedback_steps=5, feedback_lr=5e-2, teacher_targets="in_sample",
        module__width=8, **{**FAST, "max_epochs": 2})
    captured = {}
    original_fit = None

    def spy(net_input, y_train):
        captured["before"] = np.array(net_input[TEACHER_LOGITS])
        out = original_fit(net_input, y_train)
        captured["after"] = np.array(net_input[TEACHER_LOGITS])
        return out

    make_net = student._make_net

    def make_spy_net(*args, **kwargs):
        nonlocal original_fit
        net = make_net(*args, **kwargs)
        original_fit = net.fit
        net.fit = spy
        return net

    student._make_net = make_spy_net
    student.fit(X, y, groups=groups)
    assert not np.allclose(captured["before"], captured["after"])


@pytest.mark.parametrize(
    "params, match",
    [({"alpha": 1.5}, "alpha"), ({"temperature": 0}, "temperature"),
     ({"teacher_targets": "oob"}, "teacher_targets"), ({"teacher_cv": 1}, "teacher_cv"),
     ({"feature_weights": {"ecg": -1.0}}, "feature_weights"),
     ({"feature_weights": "yes"}, "feature_weights"), ({"feedback": "on"}, "feedback"),
     ({"feedback_every": 0}, "feedback_every"), ({"teacher": object()}, "teacher")],
)
def test_parameter_errors_name_the_parameter(tabular, params, match):
    X, y, _ = tabular
    student = DistilledStudentClassifier(LogisticRegression(), **FAST).set_params(**params)
    with pytest.raises((ValueError, TypeError), match=match):
        student.fit(X, y)


def test_feature_matching_and_feedback_need_a_neural_teacher(tabular, privileged):
    X, y, _ = tabular
    with pytest.raises(ValueError, match="neural teacher"):
        DistilledStudentClassifier(LogisticRegression(), feature_weights=1.0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="neural teacher"):
        DistilledStudentClassifier(LogisticRegression(), feedback=True, **FAST).fit(X, y)
    Xd, yd, _ = privileged
    with pytest.raises(ValueError, match="ecg"):
        DistilledStudentClassifier(TeacherClassifier(**TEACHER), student_inputs="eda",
                                   feature_weights={"ecg": 1.0}, teacher_targets="in_sample",
                                   **FAST).fit(Xd, yd)


def test_teacher_pipeline_gives_embeddings(tabular):
    X, y, groups = tabular
    teacher = make_pipeline(StandardScaler(), TeacherClassifier(**TEACHER))
    student = DistilledStudentClassifier(
        teacher, student_inputs=[0, 1], feature_weights=0.5, teacher_cv=2, **FAST
    ).fit(X, y, groups=groups)
    assert student.net_.criterion_.feature_names == ["fused"]


def test_student_in_pipeline_grid_search_and_cross_validate(tabular):
    X, y, groups = tabular
    pipe = make_pipeline(
        StandardScaler(),
        DistilledStudentClassifier(LogisticRegression(), student_inputs=[0, 1, 2], teacher_cv=2,
                                   **{**FAST, "max_epochs": 3}),
    )
    search = GridSearchCV(
        pipe,
        {"distilledstudentclassifier__temperature": [1.0, 4.0],
         "distilledstudentclassifier__alpha": [0.0, 0.5]},
        cv=GroupKFold(5), scoring="balanced_accuracy",
    )
    search.fit(X, y, groups=groups)
    assert len(search.cv_results_["params"]) == 4
    res = cross_validate(pipe, X, y, groups=groups, cv=GroupKFold(3))
    assert res["test_score"].shape == (3,)


class _RecordingStudent(DistilledStudentClassifier):
    def fit(self, X, y, groups=None):
        self.seen_groups_ = None if groups is None else np.asarray(groups)
        return super().fit(X, y, groups=groups)


def test_groups_are_routed_with_metadata_routing(tabular):
    X, y, groups = tabular
    with sklearn.config_context(enable_metadata_routing=True):
        student = _RecordingStudent(LogisticRegression(), student_inputs=[0, 1], teacher_cv=2,
                                    **{**FAST, "max_epochs": 2}).set_fit_request(groups=True)
        search = GridSearchCV(student, {"alpha": [0.0, 0.5]}, cv=GroupKFold(3))
        search.fit(X, y, groups=groups)
    assert search.best_estimator_.seen_groups_ is not None
    np.testing.assert_array_equal(search.best_estimator_.seen_groups_, groups)


def test_student_persistence_round_trip(privileged, tmp_path):
    import joblib

    X, y, groups = privileged
    student = DistilledStudentClassifier(
        TeacherClassifier(random_state=0, **TEACHER), student_inputs=["eda"], feature_weights=1.0,
        teacher_targets="in_sample", module__width=8, **FAST).fit(X, y, groups=groups)
    joblib.dump(student, tmp_path / "s.joblib")
    loaded = joblib.load(tmp_path / "s.joblib")
    wearable = X.select(["eda"])
    np.testing.assert_array_equal(loaded.predict_proba(wearable), student.predict_proba(wearable))


class _TinyStudent(torch.nn.Module):
    def __init__(self, n_in=2, hidden=4):
        super().__init__()
        self.body = torch.nn.Linear(n_in, hidden)
        self.head = torch.nn.Linear(hidden, 2)

    def forward(self, x):
        h = torch.tanh(self.body(x))
        return self.head(h), h


def test_user_student_module_class(tabular):
    X, y, _ = tabular
    student = DistilledStudentClassifier(
        LogisticRegression(), student_inputs=[0, 1], module=_TinyStudent, module__hidden=3,
        teacher_targets="in_sample", **FAST).fit(X, y)
    assert student.prediction_module_.body.out_features == 3
    assert student.n_params_ == 2 * 3 + 3 + 3 * 2 + 2
    assert student.embed(X).shape == (120, 3)
