"""Classifier heads: one encoder, or one encoder per modality with late fusion."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["EncoderClassifier", "FusionClassifier"]


class EncoderClassifier(nn.Module):
    """``preprocess → encoder → linear head``, returning ``(logits, embedding)``.

    Parameters
    ----------
    encoder : nn.Module
        Maps a batch to ``(n, encoder.out_features)``.
    n_classes : int
        Number of classes.
    preprocess : nn.Module, optional
        Applied first (e.g. :class:`~skkd.nets.Standardize`).

    Examples
    --------
    >>> import torch
    >>> from skkd.nets import MLPEncoder
    >>> logits, emb = EncoderClassifier(MLPEncoder(4, width=6), 3)(torch.zeros(2, 4))
    >>> logits.shape, emb.shape
    (torch.Size([2, 3]), torch.Size([2, 6]))
    """

    def __init__(self, encoder: nn.Module, n_classes: int, preprocess: nn.Module | None = None):
        super().__init__()
        self.preprocess = preprocess if preprocess is not None else nn.Identity()
        self.encoder = encoder
        self.head = nn.Linear(encoder.out_features, int(n_classes))
        self.embedding_dim = encoder.out_features

    def forward(self, x: torch.Tensor):
        embedding = self.encoder(self.preprocess(x))
        return self.head(embedding), embedding


class FusionClassifier(nn.Module):
    """One encoder per modality, late fusion by concatenation, one head.

    ``forward(**modalities)`` takes one keyword argument per modality (skorch
    calls ``module(**X)`` for a dict ``X``) and returns ``(logits, fused
    embedding)``; :meth:`modality_embeddings` returns each encoder's output,
    which feature distillation can match one modality at a time.

    Parameters
    ----------
    encoders : mapping of str to nn.Module
        Encoder of each modality (``out_features`` attribute required).
    n_classes : int
        Number of classes.
    width : int
        Size of the fused embedding.
    dropout : float
        Dropout on the fused embedding.
    preprocess : mapping of str to nn.Module, optional
        Per-modality preprocessing (e.g. standardization).

    Examples
    --------
    >>> import torch
    >>> from skkd.nets import MLPEncoder
    >>> net = FusionClassifier({"a": MLPEncoder(3, width=4), "b": MLPEncoder(2, width=4)}, 2, width=5)
    >>> logits, emb = net(a=torch.zeros(6, 3), b=torch.zeros(6, 2))
    >>> logits.shape, emb.shape
    (torch.Size([6, 2]), torch.Size([6, 5]))
    """

    def __init__(
        self,
        encoders: Mapping[str, nn.Module],
        n_classes: int,
        *,
        width: int = 64,
        dropout: float = 0.1,
        preprocess: Mapping[str, nn.Module] | None = None,
    ):
        super().__init__()
        if not encoders:
            raise ValueError("FusionClassifier: `encoders` must name at least one modality.")
        self.modalities = list(encoders)
        self.encoders = nn.ModuleDict(dict(encoders))
        preprocess = dict(preprocess or {})
        self.preprocess = nn.ModuleDict(
            {k: preprocess.get(k, nn.Identity()) for k in self.modalities}
        )
        total = sum(enc.out_features for enc in self.encoders.values())
        self.fuse = nn.Sequential(nn.Linear(total, int(width)), nn.ReLU(), nn.Dropout(float(dropout)))
        self.head = nn.Linear(int(width), int(n_classes))
        self.embedding_dim = int(width)
        self.modality_dims = {k: enc.out_features for k, enc in self.encoders.items()}

    def modality_embeddings(self, **modalities: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each modality's encoder output, by name."""
        missing = [k for k in self.modalities if k not in modalities]
        if missing:
            raise ValueError(
                f"FusionClassifier: input lacks modalities {missing}; the network was "
                f"built for {self.modalities}."
            )
        return {
            k: self.encoders[k](self.preprocess[k](modalities[k])) for k in self.modalities
        }

    def forward(self, **modalities: torch.Tensor):
        parts = self.modality_embeddings(**modalities)
        embedding = self.fuse(torch.cat([parts[k] for k in self.modalities], dim=1))
        return self.head(embedding), embedding
