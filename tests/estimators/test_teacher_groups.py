"""Subject groups reach the teacher wherever it takes them (issue 14).

Without metadata routing a teacher (or Pipeline step, or search) whose ``fit``
has a ``groups`` parameter gets them; with scikit-learn's metadata routing on,
exactly the teachers that request them do, and one that has not said is told
so with scikit-learn's own error.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from skkd.baselines import PerGroupClassifier
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier

FAST = dict(max_epochs=2, batch_size=32, random_state=0, teacher_targets="in_sample")
SEEN: list = []


class _GroupsSpy(LogisticRegression):
    """A logistic regression that records the groups its ``fit`` gets."""

    def fit(self, X, y, groups=None, sample_weight=None):
        SEEN.append(None if groups is None else np.asarray(groups).copy())
        return super().fit(X, y, sample_weight=sample_weight)


class _GroupsStep(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None, groups=None):
        SEEN.append(None if groups is None else np.asarray(groups).copy())
        return self

    def transform(self, X):
        return X


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = (X[:, 0] > 0).astype(int)
    return X, y, np.repeat(np.arange(6), 10)


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()
    yield


def test_a_teacher_whose_fit_takes_groups_gets_them(data):
    X, y, groups = data
    DistilledStudentClassifier(_GroupsSpy(), student_inputs=[0], **FAST).fit(X, y, groups=groups)
    np.testing.assert_array_equal(SEEN[0], groups)


def test_pipeline_steps_that_take_groups_get_them(data):
    X, y, groups = data
    teacher = make_pipeline(_GroupsStep(), _GroupsSpy())
    DistilledStudentClassifier(teacher, student_inputs=[0], **FAST).fit(X, y, groups=groups)
    assert len(SEEN) == 2 and all(np.array_equal(s, groups) for s in SEEN)


def test_cross_fitted_fold_teachers_get_their_folds_groups(data):
    X, y, groups = data
    DistilledStudentClassifier(_GroupsSpy(), student_inputs=[0], teacher_cv=3,
                               **{**FAST, "teacher_targets": "cross_fit"}).fit(X, y, groups=groups)
    assert len(SEEN) == 4  # the teacher on all rows, then 3 fold teachers
    for fold in SEEN[1:]:
        assert len(np.unique(fold)) == 4 and set(fold) < set(groups)


def test_per_group_teacher_is_never_silently_ungrouped(data):
    # it gets the groups at fit; its predictions need them too, so it cannot
    # teach without them and says so (it used to be fitted without groups)
    X, y, groups = data
    student = DistilledStudentClassifier(PerGroupClassifier(LogisticRegression()),
                                         student_inputs=[0], **FAST)
    with pytest.raises(ValueError, match="groups"):
        student.fit(X, y, groups=groups)


def test_a_grid_search_teacher_splits_by_subject(data):
    X, y, groups = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=GroupKFold(3))
    student = DistilledStudentClassifier(search, student_inputs=[0], **FAST)
    student.fit(X, y, groups=groups)  # GroupKFold without groups would raise
    assert student.teacher_.best_params_["C"] in (0.1, 1.0)


def test_without_groups_nothing_is_passed(data):
    X, y, _ = data
    DistilledStudentClassifier(_GroupsSpy(), student_inputs=[0], **FAST).fit(X, y)
    assert SEEN == [None]


def test_routing_gives_groups_to_teachers_that_request_them(data):
    X, y, groups = data
    with sklearn.config_context(enable_metadata_routing=True):
        # skkd's networks request groups by default (they only group held-out windows)
        teacher = TeacherClassifier(max_epochs=1, early_stopping=True, random_state=0)
        student = DistilledStudentClassifier(teacher, student_inputs=[0], **FAST)
        student.fit(X, y, groups=groups)
        # early stopping held out whole subjects: it could only with the groups
        assert student.teacher_.net_ is not None
        # a teacher that cannot take groups is simply fitted without them
        DistilledStudentClassifier(LogisticRegression(), student_inputs=[0],
                                   **FAST).fit(X, y, groups=groups)
        # one that takes them and asked gets them
        DistilledStudentClassifier(_GroupsSpy().set_fit_request(groups=True),
                                   student_inputs=[0], **FAST).fit(X, y, groups=groups)
        np.testing.assert_array_equal(SEEN[-1], groups)


def test_routing_lets_a_network_decline_groups(data):
    X, y, groups = data
    with sklearn.config_context(enable_metadata_routing=True):
        teacher = TeacherClassifier(max_epochs=1, random_state=0).set_fit_request(groups=False)
        DistilledStudentClassifier(teacher, student_inputs=[0], **FAST).fit(X, y, groups=groups)


def test_routing_refuses_a_teacher_that_has_not_said(data):
    X, y, groups = data
    with sklearn.config_context(enable_metadata_routing=True):
        student = DistilledStudentClassifier(_GroupsSpy(), student_inputs=[0], **FAST)
        with pytest.raises(UnsetMetadataPassedError, match="groups"):
            student.fit(X, y, groups=groups)
