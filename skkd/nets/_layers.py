"""Input standardization fitted on training windows, stored in the module."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["Standardize"]


class Standardize(nn.Module):
    """Subtract a mean and divide by a standard deviation stored as buffers.

    Statistics are per feature for rank-2 input ``(n, d)`` and per channel for
    signals ``(n, c, ...)``; :meth:`from_data` computes them from training
    windows, so raw signals in very different units (µS, °C, g) train alike.

    Examples
    --------
    >>> import numpy as np, torch
    >>> layer = Standardize.from_data(np.array([[0.0], [2.0]]))
    >>> layer(torch.tensor([[2.0]]))
    tensor([[1.]])
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    @classmethod
    def from_data(cls, X: np.ndarray) -> "Standardize":
        """Statistics from windows ``X`` (``(n, d)`` or ``(n, c, ...)``)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        axes = (0,) if X.ndim == 2 else (0, *range(2, X.ndim))
        mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        std = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)
        shape = (1, -1) + (1,) * (X.ndim - 2)
        return cls(
            torch.tensor(mean, dtype=torch.float32).reshape(shape),
            torch.tensor(std, dtype=torch.float32).reshape(shape),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
