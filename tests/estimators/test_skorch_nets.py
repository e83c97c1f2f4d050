"""The private skorch nets: the student never sees the teacher's outputs; the loss gets them by name."""

from __future__ import annotations

import numpy as np
import torch

from skkd.estimators._skorch_nets import (
    ARRAY_KEY,
    TEACHER_FEATURE_PREFIX,
    TEACHER_LOGITS,
    ClassifierNet,
    DistillationNet,
    softmax_probabilities,
)
from skkd.nets import DistillationLoss, build_module


class _Spy(torch.nn.Module):
    """A multimodal student that records the keyword arguments it is called with."""

    def __init__(self):
        super().__init__()
        self.inner = build_module({"eda": np.zeros((2, 1, 20), np.float32)}, 2, width=4)
        self.seen = set()

    def forward(self, **inputs):
        self.seen.update(inputs)
        return self.inner(**inputs)


class _RecordingLoss(DistillationLoss):
    def forward(self, logits, y_true, **named):
        self.named = {k: v for k, v in named.items() if v is not None}
        return super().forward(logits, y_true, **named)


def _net(module, **kwargs):
    return DistillationNet(module, criterion=_RecordingLoss, max_epochs=1, batch_size=4,
                           train_split=None, verbose=0,
                           predict_nonlinearity=softmax_probabilities, **kwargs)


def test_teacher_keys_reach_the_loss_by_name_not_the_student():
    rng = np.random.RandomState(0)
    X = {"eda": rng.randn(8, 1, 20).astype(np.float32),
         TEACHER_LOGITS: rng.randn(8, 2).astype(np.float32),
         TEACHER_FEATURE_PREFIX + "fused": rng.randn(8, 5).astype(np.float32)}
    spy = _Spy()
    net = _net(spy, criterion__alpha=0.5, criterion__student_dim=4,
               criterion__feature_dims={"fused": 5}, criterion__feature_weights={"fused": 1.0})
    net.fit(X, np.arange(8) % 2)
    assert spy.seen == {"eda"}
    named = net.criterion_.named
    assert set(named) == {"embedding", "teacher_logits", "teacher_features"}
    assert set(named["teacher_features"]) == {"fused"}
    # prediction needs only the student's inputs
    assert net.predict_proba({"eda": X["eda"]}).shape == (8, 2)


def test_array_student_gets_one_tensor():
    X = {ARRAY_KEY: np.zeros((6, 3), np.float32), TEACHER_LOGITS: np.zeros((6, 2), np.float32)}
    net = _net(build_module(X[ARRAY_KEY], 2, width=4), array_input=True).fit(X, np.arange(6) % 2)
    proba = net.predict_proba({ARRAY_KEY: X[ARRAY_KEY]})
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_without_teacher_outputs_the_loss_is_cross_entropy():
    X = {ARRAY_KEY: np.random.RandomState(1).randn(6, 3).astype(np.float32)}
    y = np.arange(6) % 2
    net = _net(build_module(X[ARRAY_KEY], 2, width=4), array_input=True).fit(X, y)
    logits = net.forward(X)[0]
    expected = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y))
    torch.testing.assert_close(net.get_loss(net.forward(X), y, X=X), expected)


def test_classifier_net_trains_on_the_logits_of_a_pair():
    X = np.random.RandomState(2).randn(10, 3).astype(np.float32)
    y = np.arange(10) % 2
    net = ClassifierNet(build_module(X, 2, width=4), criterion=torch.nn.CrossEntropyLoss,
                        max_epochs=2, batch_size=5, train_split=None, verbose=0).fit(X, y)
    assert net.predict_proba(X).shape == (10, 2)


def test_teacher_agreement_reports_how_well_the_student_learnt_its_targets():
    from sklearn.linear_model import LogisticRegression

    from skkd.estimators import DistilledStudentClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(200, 6)
    y = (X[:, 0] + 0.3 * rng.randn(200) > 0).astype(int)
    make = lambda epochs: DistilledStudentClassifier(  # noqa: E731
        LogisticRegression(), student_inputs=[0, 1], teacher_targets="in_sample",
        max_epochs=epochs, random_state=0).fit(X, y)
    short, long = make(1), make(60)
    assert 0.0 <= short.teacher_agreement_ <= 1.0
    assert long.teacher_agreement_ > 0.9
    assert long.teacher_agreement_ >= short.teacher_agreement_
