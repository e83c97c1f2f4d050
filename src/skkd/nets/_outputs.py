"""What a network returns: ``(logits, embedding)``, or logits alone."""

from __future__ import annotations

from collections.abc import Mapping

import torch

__all__ = ["as_logits_and_embedding", "module_forward"]


def as_logits_and_embedding(output) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits, embedding)`` from a module output (a lone tensor is both).

    >>> import torch
    >>> logits, embedding = as_logits_and_embedding(torch.zeros(2, 3))
    >>> logits is embedding
    True
    """
    if isinstance(output, (tuple, list)):
        return output[0], output[1] if len(output) > 1 else output[0]
    return output, output


def module_forward(module: torch.nn.Module, X_batch):
    """Call ``module`` on a batch: ``module(**X)`` for a dict, else ``module(X)``."""
    if isinstance(X_batch, Mapping):
        return module(**X_batch)
    return module(X_batch)
