"""Decoupled KD and DIST against their definitions (Zhao et al. 2022; Huang et al. 2022)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.nets.losses import (
    DistillationLoss,
    SemiSupervisedDistillationLoss,
    decoupled_kd_loss,
    dist_loss,
    soft_target_loss,
)

logit_rows = st.lists(st.floats(-5, 5), min_size=3, max_size=6)


@settings(max_examples=40, deadline=None)
@given(student=logit_rows, teacher=logit_rows, target=st.integers(0, 2), T=st.floats(0.5, 4))
def test_hinton_is_dkd_with_nckd_scaled_by_non_target_mass(student, teacher, target, T):
    """KL = TCKD + (1 − p_t[target]) · NCKD: the decomposition DKD decouples."""
    k = min(len(student), len(teacher))
    s = torch.tensor([student[:k]], dtype=torch.float64)
    t = torch.tensor([teacher[:k]], dtype=torch.float64)
    y = torch.tensor([target])
    p_nt = 1.0 - float(torch.softmax(t / T, dim=-1)[0, target])
    hinton = soft_target_loss(s, t, T)
    dkd = decoupled_kd_loss(s, t, y, T, tckd_weight=1.0, nckd_weight=p_nt)
    assert float(dkd) == pytest.approx(float(hinton), rel=1e-6, abs=1e-9)


def test_dkd_is_hinton_for_two_classes():
    s, t = torch.randn(16, 2), torch.randn(16, 2)
    y = torch.randint(0, 2, (16,))
    assert torch.allclose(decoupled_kd_loss(s, t, y, 2.0), soft_target_loss(s, t, 2.0))


def test_dist_matches_pearson_by_hand():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    soft = lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True)  # noqa: E731
    ps, pt = soft(s), soft(t)
    inter = np.mean([1 - np.corrcoef(ps[i], pt[i])[0, 1] for i in range(6)])
    intra = np.mean([1 - np.corrcoef(ps[:, c], pt[:, c])[0, 1] for c in range(3)])
    got = dist_loss(torch.tensor(s), torch.tensor(t), 1.0, inter_weight=1.0, intra_weight=2.0)
    assert float(got) == pytest.approx(inter + 2 * intra, rel=1e-6)
    assert float(dist_loss(torch.tensor(t), torch.tensor(t))) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("name", ["hinton", "dkd", "dist"])
@pytest.mark.parametrize("loss_cls", [DistillationLoss, SemiSupervisedDistillationLoss])
def test_distillation_loss_selects_the_logit_term_and_backpropagates(name, loss_cls):
    logits = torch.randn(8, 3, requires_grad=True)
    teacher = torch.randn(8, 3)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    if loss_cls is SemiSupervisedDistillationLoss:
        y = torch.where(torch.arange(8) % 2 == 0, y, torch.tensor(-1))
    loss = loss_cls(alpha=1.0, temperature=2.0, logit_loss=name)
    value = loss(logits, y, teacher_logits=teacher)
    value.backward()
    assert torch.isfinite(value) and logits.grad.abs().sum() > 0


def test_unknown_logit_loss_is_refused():
    with pytest.raises(ValueError, match="logit_loss"):
        DistillationLoss(logit_loss="kl")


def test_student_logit_loss_parameter():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from skkd.estimators import DistilledStudentClassifier

    X, y = make_classification(120, 6, n_classes=3, n_informative=4, random_state=0)
    kw = dict(student_inputs=[0, 1, 2], max_epochs=3, random_state=0)
    probas = {
        name: DistilledStudentClassifier(LogisticRegression(), logit_loss=name, **kw)
        .fit(X, y).predict_proba(X)
        for name in ("hinton", "dkd", "dist")
    }
    default = DistilledStudentClassifier(LogisticRegression(), **kw).fit(X, y)
    np.testing.assert_array_equal(default.predict_proba(X), probas["hinton"])
    assert not np.allclose(probas["hinton"], probas["dist"])
    assert not np.allclose(probas["hinton"], probas["dkd"])
    with pytest.raises(ValueError, match="logit_loss"):
        DistilledStudentClassifier(LogisticRegression(), logit_loss="kl").fit(X, y)
