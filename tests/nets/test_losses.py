"""KD losses against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from skkd.nets.losses import (
    DistillationLoss,
    FeatureMatchingLoss,
    cross_entropy,
    soft_target_loss,
    teacher_feedback_loss,
)

LN3 = math.log(3.0)


def test_cross_entropy_hand_value():
    # softmax([0, ln 3]) = [1/4, 3/4]; -log(3/4) for class 1, -log(1/4) for class 0
    logits = torch.tensor([[0.0, LN3], [0.0, LN3]])
    loss = cross_entropy(logits, torch.tensor([1, 0]))
    expected = (-math.log(0.75) - math.log(0.25)) / 2
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_soft_target_loss_temperature_one():
    # teacher [3/4, 1/4], student uniform: KL = 3/4 ln(3/2) + 1/4 ln(1/2)
    teacher = torch.tensor([[LN3, 0.0]])
    student = torch.zeros(1, 2)
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert float(soft_target_loss(student, teacher, 1.0)) == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(0.130812, abs=1e-6)


def test_soft_target_loss_scales_by_t_squared():
    # at T = 2 the teacher is softmax([ln3 / 2, 0]) = [sqrt3, 1] / (sqrt3 + 1)
    teacher = torch.tensor([[LN3, 0.0]])
    student = torch.zeros(1, 2)
    p = math.sqrt(3) / (math.sqrt(3) + 1)
    kl = p * math.log(2 * p) + (1 - p) * math.log(2 * (1 - p))
    assert float(soft_target_loss(student, teacher, 2.0)) == pytest.approx(4 * kl, rel=1e-5)
    assert 4 * kl == pytest.approx(0.145363, abs=1e-5)


def test_soft_target_loss_is_batch_mean_and_accepts_log_probabilities():
    teacher_logits = torch.tensor([[LN3, 0.0], [0.0, 0.0]])
    log_proba = torch.log_softmax(teacher_logits, dim=1)
    student = torch.zeros(2, 2)
    a = soft_target_loss(student, teacher_logits, 1.0)
    b = soft_target_loss(student, log_proba, 1.0)
    assert float(a) == pytest.approx(float(b), rel=1e-6)
    # second row has zero divergence: the batch mean halves the first row's value
    assert float(a) == pytest.approx(0.130812 / 2, abs=1e-6)


def test_soft_target_gradient_reaches_student_only():
    student = torch.zeros(1, 2, requires_grad=True)
    teacher = torch.tensor([[LN3, 0.0]], requires_grad=True)
    soft_target_loss(student, teacher.detach(), 1.0).backward()
    # d KL / d s = softmax(s) - p_teacher = [1/2 - 3/4, 1/2 - 1/4]
    assert student.grad[0].tolist() == pytest.approx([-0.25, 0.25], abs=1e-6)


def _identity_projection(loss: FeatureMatchingLoss, name: str):
    with torch.no_grad():
        loss.projections[name].weight.copy_(torch.eye(2))
        loss.projections[name].bias.zero_()


def test_feature_matching_weighted_mse():
    loss = FeatureMatchingLoss(2, {"eeg": 2, "ecg": 2}, {"eeg": 0.5, "ecg": 2.0})
    _identity_projection(loss, "eeg")
    _identity_projection(loss, "ecg")
    student = torch.tensor([[1.0, 2.0]])
    teacher = {"eeg": torch.tensor([[0.0, 0.0]]), "ecg": torch.tensor([[1.0, 0.0]])}
    # eeg: mean((1, 4)) = 2.5; ecg: mean((0, 4)) = 2
    assert float(loss(student, teacher).detach()) == pytest.approx(0.5 * 2.5 + 2.0 * 2.0)


def test_feature_matching_projection_is_learned():
    loss = FeatureMatchingLoss(3, {"fused": 2}, {"fused": 1.0})
    student = torch.randn(4, 3)
    loss(student, {"fused": torch.ones(4, 2)}).backward()
    assert loss.projections["fused"].weight.grad is not None


def test_feature_matching_rejects_mismatched_weights():
    with pytest.raises(ValueError, match="weights"):
        FeatureMatchingLoss(2, {"eeg": 2}, {"ecg": 1.0})


def test_teacher_feedback_loss_hand_value():
    teacher = torch.tensor([[LN3, 0.0]])
    student = torch.zeros(1, 2)
    y = torch.tensor([0])
    # CE(teacher, 0) = -log 3/4; KL(student ‖ teacher) = 1/2 ln(2/3) + 1/2 ln 2
    kl = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    value = teacher_feedback_loss(teacher, y, student, weight=0.1, temperature=1.0)
    assert float(value) == pytest.approx(-math.log(0.75) + 0.1 * kl, rel=1e-6)


def test_distillation_loss_weighted_sum():
    logits = torch.zeros(1, 2)
    embedding = torch.tensor([[1.0, 2.0]])
    teacher_logits = torch.tensor([[LN3, 0.0]])
    teacher_feature = torch.zeros(1, 2)
    loss = DistillationLoss(
        alpha=0.25, temperature=1.0, student_dim=2,
        feature_dims={"fused": 2}, feature_weights={"fused": 0.5},
    )
    _identity_projection(loss.features, "fused")
    value = loss(logits, torch.tensor([0]), embedding=embedding, teacher_logits=teacher_logits,
                 teacher_features={"fused": teacher_feature}).detach()
    ce = math.log(2.0)
    kl = 0.130812
    mse = 2.5
    assert float(value) == pytest.approx(0.75 * ce + 0.25 * kl + 0.5 * mse, abs=1e-5)


def test_distillation_loss_without_teacher_outputs_is_cross_entropy():
    loss = DistillationLoss(alpha=0.9, temperature=3.0)
    logits = torch.tensor([[0.0, LN3]])
    y = torch.tensor([1])
    assert float(loss(logits, y, embedding=logits)) == pytest.approx(-math.log(0.75), rel=1e-6)
    assert float(loss(logits, y)) == pytest.approx(-math.log(0.75), rel=1e-6)


def test_alpha_zero_ignores_teacher():
    loss = DistillationLoss(alpha=0.0)
    logits = torch.zeros(1, 2)
    a = loss(logits, torch.tensor([1]), teacher_logits=torch.tensor([[5.0, -5.0]]))
    assert float(a) == pytest.approx(math.log(2.0), rel=1e-6)
