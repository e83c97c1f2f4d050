"""Tabular encoder: a stack of fully connected layers."""

from __future__ import annotations

from torch import nn

__all__ = ["MLPEncoder"]


class MLPEncoder(nn.Module):
    """``depth`` blocks of ``Linear → ReLU → Dropout`` mapping ``(n, d)`` to ``(n, width)``.

    Parameters
    ----------
    n_features : int
        Input size ``d``.
    width : int
        Hidden size, which is also the embedding size (``out_features``).
    depth : int
        Number of hidden layers (at least 1).
    dropout : float
        Dropout probability after each hidden layer.

    Examples
    --------
    >>> import torch
    >>> MLPEncoder(5, width=8)(torch.zeros(3, 5)).shape
    torch.Size([3, 8])
    """

    def __init__(self, n_features: int, *, width: int = 64, depth: int = 2, dropout: float = 0.1):
        super().__init__()
        layers: list[nn.Module] = []
        size = int(n_features)
        for _ in range(max(1, int(depth))):
            layers += [nn.Linear(size, int(width)), nn.ReLU(), nn.Dropout(float(dropout))]
            size = int(width)
        self.layers = nn.Sequential(*layers)
        self.out_features = size

    def forward(self, x):
        return self.layers(x.flatten(1))
