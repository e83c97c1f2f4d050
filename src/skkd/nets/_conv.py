"""Convolutional encoders for 1-D signals, 2-D images and 3-D clips."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["ConvEncoder"]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_POOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
_AVG = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
# batch norm, not per-window (group/layer) norm: a window's level (e.g. skin
# conductance) is information and must survive normalisation
_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


def _pool_sizes(shape: Sequence[int], depth: int, target: int) -> list[tuple[int, ...]]:
    """Per-block pooling so that each axis shrinks to about ``target`` samples."""
    sizes = []
    current = list(shape)
    for _ in range(depth):
        block = []
        for i, length in enumerate(current):
            factor = (length / target) ** (1.0 / depth) if length > target else 1.0
            p = int(max(1, min(round(factor), length)))
            block.append(p)
            current[i] = max(1, length // p)
        sizes.append(tuple(block))
    return sizes


class ConvEncoder(nn.Module):
    """Conv blocks, then global average pooling (or a BiLSTM over time).

    Input ``(n, c, T)``, ``(n, c, H, W)`` or ``(n, c, D, H, W)``; output
    ``(n, width)``. Each of the ``depth`` blocks is ``Conv → BatchNorm → ReLU
    → MaxPool``, with pooling chosen from ``spatial_shape`` so that long
    signals (e.g. 3840 BVP samples) shrink to a few dozen steps cheaply.
    With ``recurrent=True`` (1-D only) a bidirectional LSTM reads the pooled
    sequence and its outputs are averaged over time (CNN + BiLSTM).

    Parameters
    ----------
    in_channels : int
        Channels ``c``.
    spatial_shape : sequence of int
        Shape after the channel axis (``(T,)``, ``(H, W)`` or ``(D, H, W)``).
    width : int
        Channels of every conv block and size of the embedding.
    depth : int
        Number of conv blocks.
    kernel_size : int
        Kernel length of 1-D convolutions (2-D/3-D use 3).
    dropout : float
        Dropout before the embedding.
    recurrent : bool
        Add a BiLSTM after the conv blocks (1-D input only).

    Examples
    --------
    >>> import torch
    >>> enc = ConvEncoder(2, (100,), width=8, depth=2, recurrent=True)
    >>> enc(torch.zeros(3, 2, 100)).shape
    torch.Size([3, 8])
    """

    def __init__(
        self,
        in_channels: int,
        spatial_shape: Sequence[int],
        *,
        width: int = 32,
        depth: int = 3,
        kernel_size: int = 7,
        dropout: float = 0.1,
        recurrent: bool = False,
        target_length: int = 16,
    ):
        super().__init__()
        dim = len(spatial_shape)
        if dim not in _CONV:
            raise ValueError(
                f"ConvEncoder: spatial_shape must have 1 to 3 axes, got {tuple(spatial_shape)}."
            )
        if recurrent and dim != 1:
            raise ValueError("ConvEncoder: recurrent=True needs 1-D signals (n, c, T).")
        width, depth = int(width), max(1, int(depth))
        blocks: list[nn.Module] = []
        channels = int(in_channels)
        for pool in _pool_sizes(spatial_shape, depth, target_length):
            k = int(kernel_size) if dim == 1 else 3
            k = k if k % 2 else k + 1
            blocks += [
                _CONV[dim](channels, width, k, padding=k // 2),
                _NORM[dim](width),
                nn.ReLU(),
            ]
            if int(np.prod(pool)) > 1:
                blocks.append(_POOL[dim](pool, ceil_mode=True))
            channels = width
        self.blocks = nn.Sequential(*blocks)
        self.recurrent = bool(recurrent)
        if self.recurrent:
            hidden = max(1, width // 2)
            self.lstm = nn.LSTM(width, hidden, batch_first=True, bidirectional=True)
            self.out_features = 2 * hidden
        else:
            self.pool = _AVG[dim](1)
            self.out_features = width
        self.dropout = nn.Dropout(float(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x)
        if self.recurrent:
            out, _ = self.lstm(h.transpose(1, 2))
            h = out.mean(dim=1)
        else:
            h = self.pool(h).flatten(1)
        return self.dropout(h)
