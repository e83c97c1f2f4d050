"""Small layers: input standardization stored in the module, an encoder with a projection."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["ProjectedEncoder", "Standardize"]


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


class ProjectedEncoder(nn.Module):
    """An encoder followed by ``Linear → ReLU`` to ``out_features``.

    Gives a cheap encoder (few conv channels) a wide embedding, such as the
    256-d per-modality features StressID matches, without widening its
    convolutions.

    Examples
    --------
    >>> import torch
    >>> from skkd.nets import MLPEncoder
    >>> ProjectedEncoder(MLPEncoder(3, width=4), 16)(torch.zeros(2, 3)).shape
    torch.Size([2, 16])
    """

    def __init__(self, encoder: nn.Module, out_features: int):
        super().__init__()
        self.encoder = encoder
        self.projection = nn.Sequential(nn.Linear(encoder.out_features, int(out_features)), nn.ReLU())
        self.out_features = int(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.encoder(x))
