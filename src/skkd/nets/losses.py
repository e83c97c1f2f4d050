"""Knowledge-distillation losses, one small function or module each.

The student's objective is a weighted sum (:class:`DistillationLoss`) of

* :func:`cross_entropy` on the true labels,
* :func:`soft_target_loss`, Hinton's ``T² · KL(softmax(t/T) ‖ softmax(s/T))``,
* :class:`FeatureMatchingLoss`, ``Σ_m w_m · MSE(P_m f_student, f_m)`` with a
  learned projection ``P_m`` per teacher modality (StressID),

and EmotionKD's adaptive feedback refines the teacher with
:func:`teacher_feedback_loss`. With ``unlabeled=True`` (or
:class:`SemiSupervisedDistillationLoss`), windows labelled ``-1`` skip the CE
term only.
Self-supervised teacher pre-training uses :class:`DINOLoss`
(:func:`dino_loss` with a running centre).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "DINOLoss",
    "DistillationLoss",
    "SemiSupervisedDistillationLoss",
    "dino_loss",
    "dino_teacher_probabilities",
    "FeatureMatchingLoss",
    "cross_entropy",
    "decoupled_kd_loss",
    "dist_loss",
    "soft_target_loss",
    "teacher_feedback_loss",
]


def cross_entropy(
    logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean cross-entropy of ``logits`` ``(n, k)`` against integer labels ``y``.

    ``weight`` (one per class, e.g. ``n / (k · n_c)`` for ``class_weight=
    "balanced"``) weighs each window by its class; the mean is then taken
    over the windows' weights, as in :func:`torch.nn.functional.cross_entropy`.

    >>> import torch
    >>> round(float(cross_entropy(torch.zeros(2, 2), torch.tensor([0, 1]))), 4)
    0.6931
    """
    if weight is not None:
        weight = weight.to(device=logits.device, dtype=logits.dtype)
    return F.cross_entropy(logits, y.long(), weight=weight)


def soft_target_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Hinton's soft-target loss ``T² · KL(softmax(t/T) ‖ softmax(s/T))``.

    Averaged over the batch. ``teacher_logits`` may be log-probabilities (the
    log of any classifier's ``predict_proba``): softmax ignores the constant.

    >>> import torch
    >>> t = torch.tensor([[2.0, 0.0]])
    >>> float(soft_target_loss(t, t, temperature=3.0))
    0.0
    """
    T = float(temperature)
    log_p_student = F.log_softmax(student_logits / T, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / T, dim=-1)
    kl = F.kl_div(log_p_student, log_p_teacher, reduction="batchmean", log_target=True)
    return kl * T * T


def decoupled_kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    target: torch.Tensor,
    temperature: float = 1.0,
    *,
    tckd_weight: float = 1.0,
    nckd_weight: float = 8.0,
) -> torch.Tensor:
    """Decoupled KD (Zhao et al., CVPR 2022): target-class and non-target-class KL.

    ``T² · (α · KL(b_t ‖ b_s) + β · KL(p̃_t ‖ p̃_s))`` where ``b`` is the binary
    distribution (target class, all others) and ``p̃`` the distribution over
    the non-target classes only. Hinton's loss is this sum with ``β`` scaled
    by ``1 − p_t(target)``; decoupling lets the "dark knowledge" among wrong
    classes weigh more (``β > α``). With two classes the non-target term is
    0 and DKD is ``α`` times Hinton's loss. ``target`` are class indices (the
    label, or the teacher's argmax for an unlabeled window).

    >>> import torch
    >>> t = torch.tensor([[3.0, 1.0, 0.0]])
    >>> float(decoupled_kd_loss(t, t, torch.tensor([0])))
    0.0
    """
    T = float(temperature)
    n_classes = student_logits.shape[-1]
    gt = F.one_hot(target.long(), n_classes).to(student_logits.dtype)
    p_s = F.softmax(student_logits / T, dim=-1)
    p_t = F.softmax(teacher_logits / T, dim=-1)
    eps = torch.finfo(p_s.dtype).tiny
    b_s = torch.stack([(p_s * gt).sum(-1), (p_s * (1 - gt)).sum(-1)], dim=-1).clamp_min(eps)
    b_t = torch.stack([(p_t * gt).sum(-1), (p_t * (1 - gt)).sum(-1)], dim=-1).clamp_min(eps)
    tckd = (b_t * (b_t.log() - b_s.log())).sum(-1).mean()
    if n_classes <= 2:
        return float(tckd_weight) * tckd * T * T
    mask = gt.bool()
    log_ps_nt = F.log_softmax((student_logits / T).masked_fill(mask, -1e9), dim=-1)
    log_pt_nt = F.log_softmax((teacher_logits / T).masked_fill(mask, -1e9), dim=-1)
    p_t_nt = log_pt_nt.exp().masked_fill(mask, 0.0)
    nckd = (p_t_nt * (log_pt_nt - log_ps_nt).masked_fill(mask, 0.0)).sum(-1).mean()
    return (float(tckd_weight) * tckd + float(nckd_weight) * nckd) * T * T


def _pearson_rows(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    a = a - a.mean(dim=-1, keepdim=True)
    b = b - b.mean(dim=-1, keepdim=True)
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + eps)


def dist_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float = 1.0,
    *,
    inter_weight: float = 1.0,
    intra_weight: float = 1.0,
) -> torch.Tensor:
    """DIST (Huang et al., NeurIPS 2022): match relations, not exact probabilities.

    ``T² · (β · mean_i (1 − ρ(p_s[i, :], p_t[i, :])) + γ · mean_c (1 −
    ρ(p_s[:, c], p_t[:, c])))`` with ``ρ`` the Pearson correlation: the
    inter-class term asks each window's class ranking to agree with the
    teacher's, the intra-class term asks each class's ranking of the windows
    in a batch to agree. Unlike KL it tolerates a teacher whose probabilities
    are on another scale (a calibrated linear model teaching a network).

    >>> import torch
    >>> t = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.5]])
    >>> round(float(dist_loss(2 * t, t)), 4) < 0.05
    True
    """
    T = float(temperature)
    p_s = F.softmax(student_logits / T, dim=-1)
    p_t = F.softmax(teacher_logits / T, dim=-1)
    inter = (1 - _pearson_rows(p_s, p_t)).mean()
    intra = (1 - _pearson_rows(p_s.T, p_t.T)).mean() if len(p_s) > 1 else p_s.sum() * 0.0
    return (float(inter_weight) * inter + float(intra_weight) * intra) * T * T


def teacher_feedback_loss(
    teacher_logits: torch.Tensor,
    y: torch.Tensor,
    student_logits: torch.Tensor,
    *,
    weight: float = 0.1,
    temperature: float = 1.0,
) -> torch.Tensor:
    """EmotionKD's feedback objective for refining the teacher.

    ``CE(teacher, y) + weight · T² · KL(softmax(s/T) ‖ softmax(t/T))``: the
    teacher keeps fitting the labels while moving towards what the student can
    express, so its next soft targets are easier to imitate. The student's
    logits are treated as constants.

    >>> import torch
    >>> t = torch.tensor([[1.0, -1.0]])
    >>> y = torch.tensor([0])
    >>> bool(teacher_feedback_loss(t, y, t, weight=1.0) == cross_entropy(t, y))
    True
    """
    ce = cross_entropy(teacher_logits, y)
    kl = soft_target_loss(teacher_logits, student_logits.detach(), temperature)
    return ce + float(weight) * kl


class FeatureMatchingLoss(nn.Module):
    """Weighted MSE between projected student features and teacher features.

    ``Σ_m w_m · MSE(P_m f_student, f_m)`` where ``P_m`` is a learned linear map
    from the student's embedding to the teacher's embedding ``m`` (one teacher
    modality, or ``"fused"`` for the teacher's fused representation).

    Parameters
    ----------
    student_dim : int
        Size of the student's embedding.
    teacher_dims : mapping of str to int
        Size of each teacher embedding, by name.
    weights : mapping of str to float
        Weight ``w_m`` of each teacher embedding (same keys as ``teacher_dims``).

    Examples
    --------
    >>> import torch
    >>> loss = FeatureMatchingLoss(4, {"eeg": 3}, {"eeg": 0.5})
    >>> loss(torch.zeros(2, 4), {"eeg": torch.zeros(2, 3)}).shape
    torch.Size([])
    """

    def __init__(
        self,
        student_dim: int,
        teacher_dims: Mapping[str, int],
        weights: Mapping[str, float],
    ):
        super().__init__()
        if set(teacher_dims) != set(weights):
            raise ValueError(
                "FeatureMatchingLoss: `weights` must have one entry per teacher "
                f"embedding {sorted(teacher_dims)}, got {sorted(weights)}."
            )
        self.names = list(teacher_dims)
        self.weights = {k: float(weights[k]) for k in self.names}
        self.projections = nn.ModuleDict(
            {k: nn.Linear(int(student_dim), int(d)) for k, d in teacher_dims.items()}
        )

    def forward(
        self, student_features: torch.Tensor, teacher_features: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        total = student_features.new_zeros(())
        for name in self.names:
            projected = self.projections[name](student_features)
            target = teacher_features[name].to(projected.dtype)
            total = total + self.weights[name] * F.mse_loss(projected, target)
        return total


#: label of an unlabeled window inside the student's net (encoded labels are >= 0)
UNLABELED = -1

#: the soft-target terms DistillationLoss can use, by name
LOGIT_LOSSES = ("hinton", "dkd", "dist")


class DistillationLoss(nn.Module):
    """The student's objective: CE, soft targets and feature matching, weighted.

    ``(1 - alpha) · CE(s, y) + alpha · T² · KL(t ‖ s) + Σ_m w_m · MSE(P_m f, f_m)``.

    Called as ``loss(logits, y, embedding=..., teacher_logits=...,
    teacher_features={name: tensor})`` — by the students' skorch net, which
    reads the teacher's outputs from the training batch by name. Without
    ``teacher_logits`` (scoring new data) it is the cross-entropy alone.

    Parameters
    ----------
    alpha : float
        Weight of the soft-target term in ``[0, 1]``; ``0`` trains on labels only.
    temperature : float
        Softmax temperature ``T > 0``.
    student_dim : int, optional
        Size of the student's embedding (needed with feature matching).
    feature_dims, feature_weights : mapping of str to int / float, optional
        Teacher embedding sizes and weights; empty for no feature matching.
    class_weights : sequence of float, optional
        One weight per class for the CE term (``class_weight="balanced"`` in
        the estimators); soft targets and feature matching are not weighted.
    logit_loss : {"hinton", "dkd", "dist"}, default="hinton"
        The soft-target term: :func:`soft_target_loss`,
        :func:`decoupled_kd_loss` (its target class is the label, or the
        teacher's argmax for an unlabeled window) or :func:`dist_loss`.
    unlabeled : bool, default=False
        Windows labelled :data:`UNLABELED` (``-1``) skip the CE term, which
        is averaged over the labelled windows of the batch (0 when there are
        none); soft targets and feature matching use every window, which is
        how unlabeled (or synthetic) windows teach the student.

    Examples
    --------
    >>> import torch
    >>> loss = DistillationLoss(alpha=0.5, temperature=2.0)
    >>> logits, y = torch.zeros(2, 2), torch.tensor([0, 1])
    >>> round(float(loss(logits, y)), 4)  # no teacher outputs: cross-entropy
    0.6931
    >>> round(float(loss(logits, y, teacher_logits=torch.zeros(2, 2))), 4)
    0.3466
    """

    def __init__(
        self,
        alpha: float = 0.5,
        temperature: float = 1.0,
        student_dim: int | None = None,
        feature_dims: Mapping[str, int] | None = None,
        feature_weights: Mapping[str, float] | None = None,
        class_weights: Sequence[float] | None = None,
        logit_loss: str = "hinton",
        unlabeled: bool = False,
    ):
        super().__init__()
        if logit_loss not in LOGIT_LOSSES:
            raise ValueError(
                f"logit_loss must be one of {sorted(LOGIT_LOSSES)}, got {logit_loss!r}."
            )
        self.logit_loss = logit_loss
        self.class_weights = (
            None if class_weights is None
            else torch.as_tensor(list(class_weights), dtype=torch.float32)
        )
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.unlabeled = bool(unlabeled)
        feature_dims = dict(feature_dims or {})
        self.feature_names: Sequence[str] = list(feature_dims)
        self.features = (
            FeatureMatchingLoss(student_dim, feature_dims, feature_weights or {})
            if feature_dims
            else None
        )

    def forward(
        self,
        logits: torch.Tensor,
        y_true: torch.Tensor,
        *,
        embedding: torch.Tensor | None = None,
        teacher_logits: torch.Tensor | None = None,
        teacher_features: Mapping[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        ce = self.label_term(logits, y_true)
        if teacher_logits is None:
            return ce
        loss = (1.0 - self.alpha) * ce
        if self.alpha > 0:
            loss = loss + self.alpha * self.logit_term(logits, teacher_logits, y_true)
        if self.features is not None:
            if embedding is None or teacher_features is None:
                raise ValueError(
                    "DistillationLoss with feature matching needs `embedding` and "
                    f"`teacher_features` ({self.feature_names})."
                )
            loss = loss + self.features(embedding, teacher_features)
        return loss

    def label_term(self, logits: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """The cross-entropy on the labels (on the labelled windows if ``unlabeled``)."""
        if not self.unlabeled:
            return cross_entropy(logits, y_true, self.class_weights)
        labeled = y_true != UNLABELED
        # a batch without labels contributes a zero that stays in the graph, so that
        # backward() works even when no other term is active
        if not bool(labeled.any()):
            return logits.sum() * 0.0
        return cross_entropy(logits[labeled], y_true[labeled], self.class_weights)

    def logit_term(self, logits, teacher_logits, y_true) -> torch.Tensor:
        """The soft-target term chosen by ``logit_loss`` (unweighted by ``alpha``)."""
        if self.logit_loss == "dist":
            return dist_loss(logits, teacher_logits, self.temperature)
        if self.logit_loss == "dkd":
            target = torch.where(y_true >= 0, y_true.long(), teacher_logits.argmax(dim=-1))
            return decoupled_kd_loss(logits, teacher_logits, target, self.temperature)
        return soft_target_loss(logits, teacher_logits, self.temperature)


class SemiSupervisedDistillationLoss(DistillationLoss):
    """:class:`DistillationLoss` with ``unlabeled=True``: ``-1`` windows skip the CE term.

    Examples
    --------
    >>> import torch
    >>> loss = SemiSupervisedDistillationLoss(alpha=0.0)
    >>> logits = torch.tensor([[0.0, 0.0], [5.0, -5.0]])
    >>> round(float(loss(logits, torch.tensor([0, -1]), teacher_logits=torch.zeros(2, 2))), 4)
    0.6931
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("unlabeled", True)
        super().__init__(*args, **kwargs)


# -- DINO self-distillation -------------------------------------------------------------------
def dino_teacher_probabilities(
    teacher_logits: torch.Tensor, center: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Centred and sharpened teacher distribution ``softmax((t − c) / τ_t)``.

    Centring (subtracting a running mean ``c`` of the teacher's outputs)
    keeps one dimension from dominating; a low temperature ``τ_t`` sharpens.
    Together they prevent collapse (Caron et al., 2021).

    >>> import torch
    >>> p = dino_teacher_probabilities(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2), 1.0)
    >>> round(float(p[0, 0]), 4)
    0.7311
    """
    return F.softmax((teacher_logits - center) / float(temperature), dim=-1)


def dino_loss(
    student_outputs: Sequence[torch.Tensor],
    teacher_outputs: Sequence[torch.Tensor],
    center: torch.Tensor,
    *,
    student_temperature: float = 0.1,
    teacher_temperature: float = 0.04,
) -> torch.Tensor:
    """DINO's cross-entropy between teacher and student views.

    ``mean over pairs (i, j), i ≠ j, of  −Σ_k p_t^i[k] · log softmax(s^j / τ_s)[k]``
    where ``p_t^i`` is :func:`dino_teacher_probabilities` of global view
    ``i`` (the teacher sees the global views only) and ``s^j`` the student's
    output on view ``j`` (global views first, then local ones); each term
    is averaged over the batch. The teacher gets no gradient.

    Parameters
    ----------
    student_outputs : sequence of (n, K) tensors, one per view
    teacher_outputs : sequence of (n, K) tensors, one per global view
    center : (1, K) tensor
    student_temperature, teacher_temperature : float

    Examples
    --------
    >>> import torch
    >>> s = [torch.zeros(1, 2), torch.zeros(1, 2)]
    >>> round(float(dino_loss(s, s, torch.zeros(1, 2))), 4)  # log 2
    0.6931
    """
    probs = [dino_teacher_probabilities(t.detach(), center, teacher_temperature)
             for t in teacher_outputs]
    log_student = [F.log_softmax(s / float(student_temperature), dim=-1) for s in student_outputs]
    total, n_terms = None, 0
    for i, p in enumerate(probs):
        for j, log_q in enumerate(log_student):
            if i == j:
                continue
            term = -(p * log_q).sum(dim=-1).mean()
            total = term if total is None else total + term
            n_terms += 1
    if total is None:
        raise ValueError("dino_loss needs at least two views (a teacher view and another).")
    return total / n_terms


class DINOLoss(nn.Module):
    """:func:`dino_loss` with the running centre of the teacher's outputs.

    After each call in training mode, the centre moves towards the batch
    mean of the teacher outputs: ``c ← m·c + (1 − m)·mean(t)``.

    Parameters
    ----------
    out_dim : int
        Size ``K`` of the projection head's output.
    teacher_temperature, student_temperature : float, default=0.04, 0.1
    center_momentum : float, default=0.9

    Examples
    --------
    >>> import torch
    >>> loss = DINOLoss(2, center_momentum=0.5)
    >>> t = [torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 0.0]])]
    >>> _ = loss(t, t)
    >>> loss.center
    tensor([[0.5000, 0.0000]])
    """

    def __init__(self, out_dim: int, teacher_temperature: float = 0.04,
                 student_temperature: float = 0.1, center_momentum: float = 0.9):
        super().__init__()
        self.teacher_temperature = float(teacher_temperature)
        self.student_temperature = float(student_temperature)
        self.center_momentum = float(center_momentum)
        self.register_buffer("center", torch.zeros(1, int(out_dim)))

    def forward(self, student_outputs, teacher_outputs) -> torch.Tensor:
        loss = dino_loss(student_outputs, teacher_outputs, self.center,
                         student_temperature=self.student_temperature,
                         teacher_temperature=self.teacher_temperature)
        if self.training:
            self.update_center(teacher_outputs)
        return loss

    @torch.no_grad()
    def update_center(self, teacher_outputs: Sequence[torch.Tensor]) -> None:
        """``c ← m·c + (1 − m)·mean`` of the teacher outputs over views and windows."""
        batch_mean = torch.cat([t.detach() for t in teacher_outputs]).mean(dim=0, keepdim=True)
        m = self.center_momentum
        self.center.mul_(m).add_((1.0 - m) * batch_mean)
