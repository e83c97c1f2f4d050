"""Torch modules (encoders by input rank, late fusion, heads) and KD losses.

Every classifier module returns ``(logits, embedding)``; the embedding is what
feature distillation matches. :func:`build_module` picks a network from the
input's shape (``module="auto"`` in the estimators).
"""

from skkd.nets import losses
from skkd.nets._auto import build_encoder, build_module
from skkd.nets._conv import ConvEncoder
from skkd.nets._fusion import EncoderClassifier, FusionClassifier
from skkd.nets._layers import Standardize
from skkd.nets._mlp import MLPEncoder
from skkd.nets._wrapper import DistillationInputs
from skkd.nets.losses import (
    DistillationLoss,
    FeatureMatchingLoss,
    cross_entropy,
    soft_target_loss,
    teacher_feedback_loss,
)

__all__ = [
    "ConvEncoder",
    "DistillationInputs",
    "DistillationLoss",
    "EncoderClassifier",
    "FeatureMatchingLoss",
    "FusionClassifier",
    "MLPEncoder",
    "Standardize",
    "build_encoder",
    "build_module",
    "cross_entropy",
    "losses",
    "soft_target_loss",
    "teacher_feedback_loss",
]
