"""class_weight on the neural estimators: the balanced decision rule (DESIGN §7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.utils.class_weight import compute_class_weight

from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.nets.losses import DistillationLoss, cross_entropy


def _imbalanced(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)  # 15 % positives
    X = rng.standard_normal((n, 4)).astype(np.float32)
    X[:, 0] += 1.2 * y
    X[:, 3] += 0.8 * y
    return X, y


def test_weighted_cross_entropy_matches_torch():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1])
    w = torch.tensor([0.25, 3.0])
    expected = torch.nn.functional.cross_entropy(logits, y, weight=w)
    assert torch.allclose(cross_entropy(logits, y, w), expected)
    loss = DistillationLoss(alpha=0.0, class_weights=[0.25, 3.0])
    assert torch.allclose(loss(logits, y), expected)


def test_balanced_weights_raise_minority_recall():
    X, y = _imbalanced()
    plain = TeacherClassifier(max_epochs=15, random_state=0).fit(X, y)
    balanced = TeacherClassifier(max_epochs=15, random_state=0, class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    assert balanced_accuracy_score(y, balanced.predict(X)) > balanced_accuracy_score(
        y, plain.predict(X))


def test_student_class_weight_and_default_unchanged():
    X, y = _imbalanced(seed=1)
    kw = dict(student_inputs=[0, 1], max_epochs=10, random_state=0)
    default = DistilledStudentClassifier(LogisticRegression(), **kw).fit(X, y)
    explicit_none = DistilledStudentClassifier(LogisticRegression(), class_weight=None,
                                               **kw).fit(X, y)
    np.testing.assert_array_equal(default.predict_proba(X), explicit_none.predict_proba(X))
    weights = {0: 1.0, 1: float(compute_class_weight("balanced", classes=np.array([0, 1]),
                                                     y=y)[1] / compute_class_weight(
        "balanced", classes=np.array([0, 1]), y=y)[0])}
    balanced = DistilledStudentClassifier(LogisticRegression(), class_weight="balanced",
                                          alpha=0.0, **kw).fit(X, y)
    as_dict = DistilledStudentClassifier(LogisticRegression(), class_weight=weights,
                                         alpha=0.0, **kw).fit(X, y)
    # a dict with the same ratio gives the same argmax decisions
    assert (balanced.predict(X) == as_dict.predict(X)).mean() > 0.95
    assert (balanced.predict(X) == 1).sum() > (default.predict(X) == 1).sum()


@pytest.mark.parametrize("bad", ["balance", 3, {0: float("nan"), 1: 1.0}])
def test_bad_class_weight_is_refused(bad):
    X, y = _imbalanced(n=60)
    with pytest.raises(ValueError, match="class_weight"):
        TeacherClassifier(max_epochs=1, class_weight=bad).fit(X, y)
