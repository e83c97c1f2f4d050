"""Torch modules (encoders by input rank, late fusion, heads) and KD losses.

Every classifier module returns ``(logits, embedding)``; the embedding is what
feature distillation matches. :func:`build_module` picks a network from the
input's shape (``module="auto"`` in the estimators). DINO self-supervised
pre-training uses :class:`DINOHead`, :func:`ema_update_`, the augmentations by
input rank (:func:`make_views`) and :class:`DINOLoss`.
"""

from skkd.nets import losses
from skkd.nets._auto import build_encoder, build_module
from skkd.nets._conv import ConvEncoder
from skkd.nets._dino import (
    DINOHead,
    augment_image,
    augment_signal,
    augment_spectrogram,
    augment_tabular,
    augmentation_kind,
    ema_update_,
    make_views,
)
from skkd.nets._fusion import EncoderClassifier, FusionClassifier
from skkd.nets._layers import ProjectedEncoder, Standardize
from skkd.nets._mlp import MLPEncoder
from skkd.nets.losses import (
    DINOLoss,
    DistillationLoss,
    FeatureMatchingLoss,
    SemiSupervisedDistillationLoss,
    cross_entropy,
    decoupled_kd_loss,
    dino_loss,
    dist_loss,
    dino_teacher_probabilities,
    soft_target_loss,
    teacher_feedback_loss,
)

__all__ = [
    "ConvEncoder",
    "DINOHead",
    "DINOLoss",
    "DistillationLoss",
    "EncoderClassifier",
    "FeatureMatchingLoss",
    "FusionClassifier",
    "MLPEncoder",
    "ProjectedEncoder",
    "SemiSupervisedDistillationLoss",
    "Standardize",
    "augment_image",
    "augment_signal",
    "augment_spectrogram",
    "augment_tabular",
    "augmentation_kind",
    "build_encoder",
    "build_module",
    "cross_entropy",
    "decoupled_kd_loss",
    "dino_loss",
    "dist_loss",
    "dino_teacher_probabilities",
    "ema_update_",
    "losses",
    "make_views",
    "soft_target_loss",
    "teacher_feedback_loss",
]
