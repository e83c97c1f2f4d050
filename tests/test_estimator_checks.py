"""scikit-learn compliance of the distillation estimators on tabular input."""

from __future__ import annotations

import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkd.estimators import DistilledStudentClassifier, TeacherClassifier


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny networks: one thread avoids oversubscription on shared CI cores
    torch.set_num_threads(1)
    yield


def _estimators():
    fast = dict(max_epochs=15, lr=1e-2, batch_size=32, device="cpu", random_state=0)
    return [
        TeacherClassifier(**fast),
        DistilledStudentClassifier(
            RandomForestClassifier(n_estimators=5, random_state=0),
            teacher_cv=2,
            **fast,
        ),
    ]


# Each expected failure with its reason (as skorch, which has the same **kwargs API).
EXPECTED_FAILURES: dict[str, str] = {
    "check_do_not_raise_errors_in_init_or_set_params": (
        "__init__ takes **kwargs for skorch-style module__*/optimizer__* parameters; "
        "the check passes a parameter literally named 'kwargs', which __init__ rejects "
        "(TypeError, as for any misspelled keyword) because it has none of those prefixes"
    ),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
