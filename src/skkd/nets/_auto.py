"""Build a network from the shape of the input (``module="auto"``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from torch import nn

from skkd.nets._conv import ConvEncoder
from skkd.nets._fusion import EncoderClassifier, FusionClassifier
from skkd.nets._layers import ProjectedEncoder, Standardize
from skkd.nets._mlp import MLPEncoder

__all__ = ["build_encoder", "build_module"]


def build_encoder(
    X: np.ndarray,
    *,
    width: int = 64,
    depth: int = 2,
    dropout: float = 0.1,
    kernel_size: int = 7,
    recurrent: bool = False,
    embedding_dim: int | None = None,
    target_length: int = 16,
    name: str = "X",
) -> nn.Module:
    """Pick an encoder by rank of ``X`` (windows first).

    rank 2 ``(n, d)`` → :class:`MLPEncoder`; rank 3 ``(n, c, T)`` → 1-D
    :class:`ConvEncoder` (``recurrent=True`` adds a BiLSTM); rank 4 → 2-D CNN;
    rank 5 → 3-D CNN. With ``embedding_dim`` a ``Linear → ReLU`` projection
    (:class:`ProjectedEncoder`) follows, so the embedding can be wider than the
    ``width`` conv channels. ``target_length`` is how far the conv blocks pool
    each axis (smaller = cheaper; see :class:`ConvEncoder`).

    >>> import numpy as np
    >>> type(build_encoder(np.zeros((4, 2, 50)))).__name__
    'ConvEncoder'
    >>> build_encoder(np.zeros((4, 1, 8, 8)), width=8, embedding_dim=32).out_features
    32
    """
    if not (isinstance(target_length, (int, np.integer)) and not isinstance(target_length, bool)
            and target_length >= 1):
        raise ValueError(f"target_length must be a positive int, got {target_length!r}.")
    encoder = _encoder_by_rank(X, width=width, depth=depth, dropout=dropout,
                               kernel_size=kernel_size, recurrent=recurrent,
                               target_length=int(target_length), name=name)
    if embedding_dim is None:
        return encoder
    if not (isinstance(embedding_dim, (int, np.integer)) and not isinstance(embedding_dim, bool)
            and embedding_dim >= 1):
        raise ValueError(f"embedding_dim must be None or a positive int, got {embedding_dim!r}.")
    return ProjectedEncoder(encoder, int(embedding_dim))


def _encoder_by_rank(X, *, width, depth, dropout, kernel_size, recurrent, target_length,
                     name) -> nn.Module:
    shape = tuple(np.shape(X))
    rank = len(shape)
    if rank == 2:
        return MLPEncoder(shape[1], width=width, depth=depth, dropout=dropout)
    if rank in (3, 4, 5):
        return ConvEncoder(
            shape[1],
            shape[2:],
            width=width,
            depth=depth + 1,
            kernel_size=kernel_size,
            dropout=dropout,
            recurrent=recurrent and rank == 3,
            target_length=target_length,
        )
    raise ValueError(
        f"{name} must have rank 2 (n, features), 3 (n, c, T), 4 (n, c, H, W) or "
        f"5 (n, c, D, H, W) for module='auto', got shape {shape}."
    )


def build_module(
    X,
    n_classes: int,
    *,
    width: int = 64,
    depth: int = 2,
    dropout: float = 0.1,
    kernel_size: int = 7,
    recurrent: bool = False,
    embedding_dim: int | None = None,
    target_length: int = 16,
    standardize: bool = True,
) -> nn.Module:
    """Network for ``X``: an :class:`EncoderClassifier` or a :class:`FusionClassifier`.

    An array gets one encoder (see :func:`build_encoder`); a dict of modalities
    gets one encoder per modality, late fusion and one head. With
    ``standardize=True`` a :class:`Standardize` layer fitted on ``X`` comes
    first. Every returned module outputs ``(logits, embedding)``.
    ``embedding_dim`` projects each encoder's output (each modality's, for a
    dict) to that size; the fused embedding of a dict keeps ``width``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> net = build_module({"eda": np.ones((8, 1, 40)), "hr": np.ones((8, 3))}, 2, width=8)
    >>> logits, emb = net(eda=torch.ones(2, 1, 40), hr=torch.ones(2, 3))
    >>> logits.shape, emb.shape
    (torch.Size([2, 2]), torch.Size([2, 8]))
    """
    options = dict(width=width, depth=depth, dropout=dropout, kernel_size=kernel_size,
                   recurrent=recurrent, embedding_dim=embedding_dim,
                   target_length=target_length)
    if isinstance(X, Mapping):
        encoders = {k: build_encoder(v, name=f"X[{k!r}]", **options) for k, v in X.items()}
        preprocess = (
            {k: Standardize.from_data(v) for k, v in X.items()} if standardize else None
        )
        return FusionClassifier(
            encoders, n_classes, width=width, dropout=dropout, preprocess=preprocess
        )
    encoder = build_encoder(X, **options)
    preprocess = Standardize.from_data(X) if standardize else None
    return EncoderClassifier(encoder, n_classes, preprocess=preprocess)
