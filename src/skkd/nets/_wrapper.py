"""Route the teacher's outputs around the student network."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ARRAY_KEY", "TEACHER_FEATURE_PREFIX", "TEACHER_LOGITS", "DistillationInputs"]

#: key of the teacher's (log-)probabilities in the student's input dict
TEACHER_LOGITS = "teacher__logits"
#: prefix of the teacher's embeddings in the student's input dict
TEACHER_FEATURE_PREFIX = "teacher__feature__"
#: key holding a plain array input when the student is not multimodal
ARRAY_KEY = "x"


def as_logits_and_embedding(output):
    """``(logits, embedding)`` from a module output (a lone tensor is both)."""
    if isinstance(output, (tuple, list)):
        return output[0], output[1] if len(output) > 1 else output[0]
    return output, output


class DistillationInputs(nn.Module):
    """Wrap a student network so that teacher outputs can ride along its input.

    skorch calls ``module(**X)`` for a dict ``X``. The student's training dict
    holds its own inputs plus the teacher's outputs under
    :data:`TEACHER_LOGITS` and :data:`TEACHER_FEATURE_PREFIX` ``+ name``. This
    wrapper removes those keys before calling the student and appends them to
    the output, ``(logits, embedding, teacher_logits, *teacher_features)``,
    where :class:`~skkd.nets.losses.DistillationLoss` reads them. Without
    teacher keys (prediction) it returns ``(logits, embedding)``. The teacher
    itself is never part of this module, so it is never optimised here.

    Parameters
    ----------
    student : nn.Module
        Returns ``(logits, embedding)`` (or logits only).
    feature_names : sequence of str
        Names of the teacher embeddings, in the order the loss expects.
    array_input : bool
        The student takes one tensor (under :data:`ARRAY_KEY`) rather than
        keyword arguments per modality.

    Examples
    --------
    >>> import torch
    >>> from skkd.nets import EncoderClassifier, MLPEncoder
    >>> net = DistillationInputs(EncoderClassifier(MLPEncoder(3, width=4), 2), array_input=True)
    >>> out = net(x=torch.zeros(5, 3), teacher__logits=torch.zeros(5, 2))
    >>> len(out), len(net(x=torch.zeros(5, 3)))
    (3, 2)
    """

    def __init__(
        self,
        student: nn.Module,
        feature_names: Sequence[str] = (),
        array_input: bool = False,
    ):
        super().__init__()
        self.student = student
        self.feature_names = list(feature_names)
        self.array_input = bool(array_input)

    def forward(self, **inputs: torch.Tensor):
        teacher_logits = inputs.pop(TEACHER_LOGITS, None)
        features = [
            inputs.pop(TEACHER_FEATURE_PREFIX + name, None) for name in self.feature_names
        ]
        for key in [k for k in inputs if k.startswith(TEACHER_FEATURE_PREFIX)]:
            inputs.pop(key)
        if self.array_input:
            output = self.student(inputs[ARRAY_KEY])
        else:
            output = self.student(**inputs)
        logits, embedding = as_logits_and_embedding(output)
        if teacher_logits is None:
            return logits, embedding
        return (logits, embedding, teacher_logits, *[f for f in features if f is not None])
