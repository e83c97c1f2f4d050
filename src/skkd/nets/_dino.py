"""Pieces of DINO self-distillation: projection head, EMA, augmentations by input rank.

DINO (Caron et al., 2021) trains a *student* network to match, on every
augmented view of a window, the sharpened and centred output of a *teacher*
whose weights are an exponential moving average (EMA) of the student's, seen
on two "global" (mild) views. No labels are used. This module holds the small
parts; the loss is :class:`skkd.nets.losses.DINOLoss` and the training loop is
:class:`skkd.estimators.DINOPretrainer`.

Augmentations act on a batch tensor, draw their randomness from a
:class:`torch.Generator` (reproducible on CPU) and keep shape and dtype:

* ``"signal"`` ``(n, c, T)``: random time crop resampled back to ``T``, then
  amplitude scaling and jitter (:func:`augment_signal`);
* ``"spectrogram"`` ``(n, 1, F, T)`` (log-mels): time crop, then time and
  frequency masking, SpecAugment-style (:func:`augment_spectrogram`);
* ``"image"`` ``(n, c, H, W)`` or clips ``(n, c, D, H, W)``: random resized
  crop and horizontal flip (:func:`augment_image`);
* ``"tabular"`` ``(n, d)``: gaussian noise and feature dropout
  (:func:`augment_tabular`).

``"auto"`` picks by rank (:func:`augmentation_kind`); a dict of modalities
gets one augmentation per key (:func:`make_views`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "AUGMENTATIONS",
    "DINOHead",
    "augment_image",
    "augment_signal",
    "augment_spectrogram",
    "augment_tabular",
    "augmentation_kind",
    "ema_update_",
    "make_views",
    "resolve_augmentation",
]

#: scale range of the crops (fraction of the time axis, or of the image area)
GLOBAL_SCALE = (0.5, 1.0)
LOCAL_SCALE = (0.2, 0.5)


class DINOHead(nn.Module):
    """DINO projection head: MLP, L2 normalisation, weight-normalised prototypes.

    ``embedding → (Linear-BN-GELU) × 2 → Linear(bottleneck) → x/‖x‖ →
    cosine with ``out_dim`` unit-norm prototype vectors``. Its output is the
    "logits" over ``out_dim`` pseudo-classes that the DINO loss compares.

    Batch norm in the MLP (DINO's ``use_bn_in_head`` option) is on by
    default: the pooled ReLU embeddings of a small CNN point in nearly the
    same direction for every window, and without it pre-training on EmoDB
    collapsed to a uniform output (loss → log ``out_dim``) and a worse linear
    probe than the random network; with it the loss fell steadily and the
    linear-probe UAR rose from 0.37 (random network) to 0.56 (one EmoDB
    split, speakers 03 and 08 held out, 15 epochs).

    Parameters
    ----------
    in_dim : int
        Size of the encoder's embedding.
    out_dim : int
        Number of prototypes (pseudo-classes).
    hidden_dim, bottleneck_dim : int, default=128, 64
    batch_norm : bool, default=True

    Examples
    --------
    >>> import torch
    >>> DINOHead(8, 32)(torch.randn(3, 8)).shape
    torch.Size([3, 32])
    """

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int = 128, bottleneck_dim: int = 64,
                 batch_norm: bool = True):
        super().__init__()
        hidden = int(hidden_dim)

        def norm():
            return nn.BatchNorm1d(hidden) if batch_norm else nn.Identity()

        self.mlp = nn.Sequential(
            nn.Linear(int(in_dim), hidden), norm(), nn.GELU(),
            nn.Linear(hidden, hidden), norm(), nn.GELU(),
            nn.Linear(hidden, int(bottleneck_dim)),
        )
        self.prototypes = nn.Parameter(torch.empty(int(out_dim), int(bottleneck_dim)))
        nn.init.normal_(self.prototypes, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = F.normalize(self.mlp(x), dim=-1)
        return F.linear(z, F.normalize(self.prototypes, dim=-1))


@torch.no_grad()
def ema_update_(teacher: nn.Module, student: nn.Module, momentum: float) -> None:
    """In place: every teacher parameter ``t ← m·t + (1 − m)·s``.

    Buffers (batch-norm statistics, standardisation) are left alone.

    >>> import torch
    >>> t, s = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = t.weight.fill_(1.0), s.weight.fill_(0.0)
    >>> ema_update_(t, s, 0.9)
    >>> round(float(t.weight), 4)
    0.9
    """
    m = float(momentum)
    for p_t, p_s in zip(teacher.parameters(), student.parameters()):
        p_t.mul_(m).add_((1.0 - m) * p_s.detach())


# -- augmentations -------------------------------------------------------------------------
def _uniform(generator, n, low, high) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _affine_crop(x: torch.Tensor, sx, sy, tx, ty) -> torch.Tensor:
    """Resample each ``(c, H, W)`` image of ``x`` on its own crop (normalised coords)."""
    n = x.shape[0]
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = sx, tx
    theta[:, 1, 1], theta[:, 1, 2] = sy, ty
    theta = theta.to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _time_crop(x: torch.Tensor, generator, scale) -> torch.Tensor:
    """Random crop of the last axis of ``x`` (any rank ≥ 3), stretched back to full length."""
    shape = x.shape
    n = shape[0]
    frac = _uniform(generator, n, *scale)
    shift = (2 * torch.rand(n, generator=generator) - 1) * (1 - frac)
    flat = x.reshape(n, -1, 1, shape[-1])  # rows of the last axis, one "image" row each
    if len(shape) > 3:
        flat = x.reshape(n, -1, shape[-2], shape[-1])
    out = _affine_crop(flat, frac, torch.ones(n), shift, torch.zeros(n))
    return out.reshape(shape)


def augment_signal(x: torch.Tensor, generator: torch.Generator, global_view: bool = True
                   ) -> torch.Tensor:
    """Signals ``(n, c, T)``: time crop resampled to ``T``, scaling, jitter.

    Global views crop 50–100 % of the window, local views 20–50 %. Every
    channel of a window is then multiplied by ``1 + 0.1·ε`` and gets gaussian
    noise of 5 % (global) or 10 % (local) of its standard deviation.

    >>> import torch
    >>> x = torch.randn(4, 2, 50)
    >>> augment_signal(x, torch.Generator().manual_seed(0)).shape
    torch.Size([4, 2, 50])
    """
    out = _time_crop(x, generator, GLOBAL_SCALE if global_view else LOCAL_SCALE)
    n, c = x.shape[:2]
    scale = 1 + 0.1 * torch.randn(n, c, 1, generator=generator)
    noise = torch.randn(x.shape, generator=generator)
    sigma = 0.05 if global_view else 0.1
    std = out.std(dim=-1, keepdim=True)
    out = out * scale.to(out) + sigma * std * noise.to(out)
    return out


def _band_mask(generator, n, length, max_width) -> torch.Tensor:
    """``(n, length)`` booleans, one random band of width ``< max_width`` per row."""
    width = (torch.rand(n, generator=generator) * max_width).long()
    start = (torch.rand(n, generator=generator) * (length - width + 1)).long()
    pos = torch.arange(length)[None]
    return (pos >= start[:, None]) & (pos < (start + width)[:, None])


def augment_spectrogram(x: torch.Tensor, generator: torch.Generator, global_view: bool = True
                        ) -> torch.Tensor:
    """Spectrograms ``(n, c, F, T)``: time crop, then one time and one frequency mask.

    SpecAugment-style masks (Park et al., 2019) up to 20 % of the frames and
    15 % of the bands (twice that in local views), filled with each window's
    mean (log-mel dB have no neutral zero).

    >>> import torch
    >>> x = torch.randn(3, 1, 16, 40)
    >>> augment_spectrogram(x, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 1, 16, 40])
    """
    out = _time_crop(x, generator, GLOBAL_SCALE if global_view else LOCAL_SCALE)
    n, _, n_freq, n_time = x.shape
    factor = 1.0 if global_view else 2.0
    t_mask = _band_mask(generator, n, n_time, 0.2 * factor * n_time)[:, None, None, :]
    f_mask = _band_mask(generator, n, n_freq, 0.15 * factor * n_freq)[:, None, :, None]
    mask = (t_mask | f_mask).to(out.device)
    fill = out.mean(dim=(1, 2, 3), keepdim=True)
    return torch.where(mask, fill.expand_as(out), out)


def augment_image(x: torch.Tensor, generator: torch.Generator, global_view: bool = True
                  ) -> torch.Tensor:
    """Images ``(n, c, H, W)`` or clips ``(n, c, D, H, W)``: random resized crop and flip.

    The crop covers 50–100 % of the area (global) or 20–50 % (local), with an
    aspect ratio in [3/4, 4/3], resized back to ``H × W``; half the windows
    are flipped left–right. A clip uses one crop for all its frames.

    >>> import torch
    >>> x = torch.randn(2, 3, 12, 12)
    >>> augment_image(x, torch.Generator().manual_seed(0)).shape
    torch.Size([2, 3, 12, 12])
    """
    shape = x.shape
    n = shape[0]
    flat = x.reshape(n, -1, shape[-2], shape[-1])
    area = _uniform(generator, n, *(GLOBAL_SCALE if global_view else LOCAL_SCALE))
    log_ratio = _uniform(generator, n, torch.log(torch.tensor(3 / 4)), torch.log(torch.tensor(4 / 3)))
    ratio = torch.exp(log_ratio)
    sx = torch.clamp(torch.sqrt(area * ratio), max=1.0)
    sy = torch.clamp(torch.sqrt(area / ratio), max=1.0)
    tx = (2 * torch.rand(n, generator=generator) - 1) * (1 - sx)
    ty = (2 * torch.rand(n, generator=generator) - 1) * (1 - sy)
    flip = torch.rand(n, generator=generator) < 0.5
    sx = torch.where(flip, -sx, sx)
    return _affine_crop(flat, sx, sy, tx, ty).reshape(shape)


def augment_tabular(x: torch.Tensor, generator: torch.Generator, global_view: bool = True
                    ) -> torch.Tensor:
    """Feature vectors ``(n, d)``: gaussian noise and feature dropout.

    Noise of 10 % (global) or 20 % (local) of each feature's batch standard
    deviation; each feature is dropped with probability 0.1 (global) or 0.3
    (local) and replaced by its batch mean (raw units have no neutral zero).

    >>> import torch
    >>> x = torch.randn(5, 4)
    >>> augment_tabular(x, torch.Generator().manual_seed(0)).shape
    torch.Size([5, 4])
    """
    sigma, p_drop = (0.1, 0.1) if global_view else (0.2, 0.3)
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, keepdim=True) if x.shape[0] > 1 else torch.ones_like(mean)
    noise = torch.randn(x.shape, generator=generator).to(x)
    drop = (torch.rand(x.shape, generator=generator) < p_drop).to(x.device)
    out = x + sigma * std * noise
    return torch.where(drop, mean.expand_as(out), out)


def _no_augmentation(x: torch.Tensor, generator: torch.Generator, global_view: bool = True
                     ) -> torch.Tensor:
    return x


#: augmentation functions by kind
AUGMENTATIONS: dict[str, Callable] = {
    "signal": augment_signal,
    "spectrogram": augment_spectrogram,
    "image": augment_image,
    "tabular": augment_tabular,
    "none": _no_augmentation,
}


def augmentation_kind(shape: Sequence[int]) -> str:
    """The ``"auto"`` augmentation for windows of ``shape`` (windows first).

    rank 2 → ``"tabular"``; rank 3 → ``"signal"``; rank 4 with one channel →
    ``"spectrogram"`` (log-mels from :class:`skkd.features.LogMelExtractor`);
    other rank 4 and rank 5 → ``"image"``. Pass ``augment="image"`` for
    single-channel images that are not spectrograms (e.g. GAF images).

    >>> augmentation_kind((10, 1, 64, 87)), augmentation_kind((10, 3, 32))
    ('spectrogram', 'signal')
    """
    rank = len(shape)
    if rank == 2:
        return "tabular"
    if rank == 3:
        return "signal"
    if rank == 4:
        return "spectrogram" if shape[1] == 1 else "image"
    if rank == 5:
        return "image"
    raise ValueError(f"no augmentation for windows of shape {tuple(shape)} (rank 2 to 5 expected).")


def resolve_augmentation(augment, X, *, name: str = "augment"):
    """Map ``augment`` to a callable (array ``X``) or a dict of callables (dict ``X``).

    ``augment`` is ``"auto"``, a kind in :data:`AUGMENTATIONS`, a callable
    ``f(x, generator, global_view) -> x``, or for a dict ``X`` a dict giving
    one of those per modality (missing keys get ``"auto"``).

    >>> import numpy as np
    >>> resolve_augmentation("auto", np.zeros((4, 3))).__name__
    'augment_tabular'
    """
    def one(value, shape, label):
        if callable(value):
            return value
        if isinstance(value, str):
            if value == "auto":
                return AUGMENTATIONS[augmentation_kind(shape)]
            if value in AUGMENTATIONS:
                return AUGMENTATIONS[value]
        raise ValueError(
            f"{label} must be 'auto', one of {sorted(AUGMENTATIONS)} or a callable "
            f"f(x, generator, global_view); got {value!r}."
        )

    if isinstance(X, Mapping):
        if isinstance(augment, Mapping):
            unknown = [k for k in augment if k not in X]
            if unknown:
                raise ValueError(f"{name} names modalities {unknown} that X lacks; X has {list(X)}.")
            return {k: one(augment.get(k, "auto"), v.shape, f"{name}[{k!r}]") for k, v in X.items()}
        return {k: one(augment, v.shape, name) for k, v in X.items()}
    if isinstance(augment, Mapping):
        raise TypeError(f"{name} is a dict but X is a single array; pass one augmentation.")
    return one(augment, X.shape, name)


def make_views(x, augmenter, generator: torch.Generator, n_global: int = 2, n_local: int = 0
               ) -> list:
    """``n_global`` global then ``n_local`` local augmented views of a batch.

    ``x`` is a tensor (``augmenter`` a callable) or a dict of tensors
    (``augmenter`` a dict of callables, each key augmented on its own).

    >>> import torch
    >>> views = make_views(torch.randn(4, 3), augment_tabular, torch.Generator().manual_seed(0), 2, 1)
    >>> len(views), views[2].shape
    (3, torch.Size([4, 3]))
    """
    views = []
    for i in range(n_global + n_local):
        global_view = i < n_global
        if isinstance(x, Mapping):
            views.append({k: augmenter[k](v, generator, global_view) for k, v in x.items()})
        else:
            views.append(augmenter(x, generator, global_view))
    return views
