"""The private skorch nets the estimators build: losses are customised in ``get_loss``.

:class:`ClassifierNet` trains a network that returns ``(logits, embedding)``
with the criterion on its logits (the teacher: plain cross-entropy).
:class:`DistillationNet` trains a student: its training input is a dict of the
student's own inputs plus the teacher's outputs (:data:`TEACHER_LOGITS`,
:data:`TEACHER_FEATURE_PREFIX` ``+ name``), one row per window so they are
batched with it. ``infer`` gives the network its own inputs only, and
``get_loss`` hands the teacher's outputs to
:class:`~skkd.nets.losses.DistillationLoss` as named tensors. The teacher is
never part of the module, so it is never optimised here.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_tensor

from skkd.nets._outputs import as_logits_and_embedding

__all__ = [
    "ARRAY_KEY",
    "TEACHER_FEATURE_PREFIX",
    "TEACHER_LOGITS",
    "ClassifierNet",
    "DistillationNet",
    "softmax_probabilities",
]

#: key of the teacher's (log-)probabilities in a student's training input
TEACHER_LOGITS = "teacher__logits"
#: prefix of the teacher's embeddings in a student's training input
TEACHER_FEATURE_PREFIX = "teacher__feature__"
#: key holding a plain array input when the student is not multimodal
ARRAY_KEY = "x"


def softmax_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """skorch's ``predict_nonlinearity``: logits → class probabilities."""
    return torch.softmax(logits, dim=-1)


def is_teacher_key(key: str) -> bool:
    """Whether an input key carries a teacher output rather than a student input."""
    return key == TEACHER_LOGITS or key.startswith(TEACHER_FEATURE_PREFIX)


class ClassifierNet(NeuralNetClassifier):
    """A skorch classifier for networks returning ``(logits, embedding)``.

    The criterion sees the logits only (``torch.nn.CrossEntropyLoss`` for a
    teacher); predictions are ``softmax(logits)``.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        logits = as_logits_and_embedding(y_pred)[0]
        return super().get_loss(logits, y_true, X=X, training=training)


class DistillationNet(ClassifierNet):
    """A student's skorch net: teacher outputs ride in the batch, read by name in ``get_loss``.

    Parameters
    ----------
    module : nn.Module
        The student network.
    array_input : bool, default=False
        The network takes one tensor (the input's :data:`ARRAY_KEY`) rather
        than keyword arguments per modality.
    *args, **kwargs
        As :class:`skorch.NeuralNetClassifier`; ``criterion`` is a
        :class:`~skkd.nets.losses.DistillationLoss`.
    """

    def __init__(self, module, *args, array_input: bool = False, **kwargs):
        self.array_input = array_input
        super().__init__(module, *args, **kwargs)

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        own = {k: v for k, v in x.items() if not is_teacher_key(k)}
        if self.array_input:
            return self.module_(own[ARRAY_KEY], **fit_params)
        return self.module_(**own, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        logits, embedding = as_logits_and_embedding(y_pred)
        y_true = to_tensor(y_true, device=self.device)
        return self.criterion_(logits, y_true, embedding=embedding, **self.teacher_outputs(X))

    def teacher_outputs(self, X) -> dict:
        """``{"teacher_logits", "teacher_features"}`` found in batch ``X`` (empty without)."""
        if not isinstance(X, Mapping) or TEACHER_LOGITS not in X:
            return {}
        features = {k[len(TEACHER_FEATURE_PREFIX):]: to_tensor(v, device=self.device)
                    for k, v in X.items() if k.startswith(TEACHER_FEATURE_PREFIX)}
        return {"teacher_logits": to_tensor(X[TEACHER_LOGITS], device=self.device),
                "teacher_features": features}
