"""DINOPretrainer: self-supervised pre-training of an encoder on unlabeled windows."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _num_samples, check_is_fitted
from torch import nn

from skkd.estimators._inputs import check_inputs
from skkd.utils._validation import POSITIVE_INT, POSITIVE_REAL, UNIT_INTERVAL
from skkd.estimators._seeding import SeededContext, seed_from
from skkd.nets import DINOHead, DINOLoss, build_module, ema_update_, make_views
from skkd.nets._dino import resolve_augmentation
from skkd.nets._outputs import as_logits_and_embedding, module_forward
from skkd.utils import resolve_device

__all__ = ["DINOPretrainer"]


def _embedding(module: nn.Module, x) -> torch.Tensor:
    return as_logits_and_embedding(module_forward(module, x))[1]


def _teacher_mode(module: nn.Module) -> None:
    """Batch norm on batch statistics (train mode), dropout off."""
    module.train()
    for layer in module.modules():
        if isinstance(layer, nn.modules.dropout._DropoutNd):
            layer.eval()


def _n_windows(X) -> int:
    """Windows in ``X`` before validation (sparse input is refused by the validation)."""
    if sp.issparse(X):  # a DOK matrix is also a dict
        return X.shape[0]
    if isinstance(X, Mapping):
        return len(next(iter(X.values()))) if len(X) else 0
    return _num_samples(X)


def _to_tensor(X, idx, device):
    if isinstance(X, Mapping):
        return {k: torch.as_tensor(v[idx], device=device) for k, v in X.items()}
    return torch.as_tensor(X[idx], device=device)


class DINOPretrainer(TransformerMixin, BaseEstimator):
    """DINO self-distillation (Caron et al., 2021) of an encoder, without labels.

    A *student* (the encoder plus a :class:`~skkd.nets.DINOHead`) learns to
    predict, from every augmented view of a window, the output of a
    *teacher* on two global views. The teacher is an exponential moving
    average of the student (``t ← m·t + (1 − m)·s`` after every step, ``m =
    ema_momentum``); its outputs are centred by a running mean
    (``center_momentum``) and sharpened (``teacher_temperature``) before the
    cross-entropy with the student's (``student_temperature``)
    (:class:`skkd.nets.DINOLoss`). Views come from augmentations suited to
    the input (:mod:`skkd.nets._dino`): time crops + scaling + jitter for
    signals ``(n, c, T)``, time crops + SpecAugment masks for single-channel
    spectrograms ``(n, 1, F, T)``, random resized crops + flips for images,
    noise + feature dropout for feature vectors, one per key for a dict.

    Used by ``TeacherClassifier(pretrain=...)`` to pre-train its network on
    all windows before fine-tuning on the labelled ones; :meth:`fit` alone
    pre-trains the ``module="auto"`` network of ``X`` (default options) and
    :meth:`transform` returns its embeddings. The teacher's weights are kept
    at the end (DINO's teacher is the better encoder). AdamW
    (``weight_decay=0.04``), gradient norm clipped at 3, fixed EMA momentum.

    Parameters
    ----------
    max_epochs : int, default=50
    lr : float, default=1e-3
    batch_size : int, default=64
        Batches of fewer than 2 windows are skipped (batch norm).
    out_dim : int, default=256
        Size of the projection head's output (number of prototypes).
    teacher_temperature, student_temperature : float, default=0.04, 0.1
    center_momentum : float, default=0.9
    ema_momentum : float, default=0.996
        On small data sets (a few hundred windows, a few hundred steps) a
        lower value (0.99) lets the teacher move away from its random start.
    n_local_crops : int, default=2
        Local (strong) views per window besides the two global views.
    augment : "auto", str, callable or dict, default="auto"
        ``"auto"`` picks by input rank; or one of ``"signal"``,
        ``"spectrogram"``, ``"image"``, ``"tabular"``, ``"none"``; or a
        callable ``f(x, generator, global_view) -> x`` on a batch tensor; or,
        for a dict ``X``, a dict of those by modality.
    device : str, default="auto"
    random_state : int, RandomState or None
        Seeds the network, the batches and the augmentations; fixed → bit-
        identical refits on the CPU.
    verbose : int, default=0
        ``1`` prints the loss of every epoch.

    Attributes
    ----------
    module_ : nn.Module
        The pre-trained network (``(logits, embedding)``; the classification
        head is untouched).
    head_ : DINOHead
        The teacher's projection head.
    history_ : list of float
        Mean DINO loss of every epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skkd import Modalities
    >>> X = Modalities(eda=np.random.RandomState(0).randn(40, 2, 32))
    >>> pre = DINOPretrainer(max_epochs=2, batch_size=20, out_dim=16, random_state=0).fit(X)
    >>> len(pre.history_), pre.transform(X).shape
    (2, (40, 64))
    """

    _parameter_constraints: dict = {
        "max_epochs": [POSITIVE_INT],
        "lr": [POSITIVE_REAL],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "out_dim": [Interval(Integral, 2, None, closed="left")],
        "teacher_temperature": [POSITIVE_REAL],
        "student_temperature": [POSITIVE_REAL],
        "center_momentum": [UNIT_INTERVAL],
        "ema_momentum": [UNIT_INTERVAL],
        "n_local_crops": [Interval(Integral, 0, None, closed="left")],
        "augment": [str, callable, Mapping],  # names checked against X in fit
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        max_epochs: int = 50,
        lr: float = 1e-3,
        batch_size: int = 64,
        out_dim: int = 256,
        teacher_temperature: float = 0.04,
        student_temperature: float = 0.1,
        center_momentum: float = 0.9,
        ema_momentum: float = 0.996,
        n_local_crops: int = 2,
        augment="auto",
        device: str = "auto",
        random_state=None,
        verbose: int = 0,
    ):
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.out_dim = out_dim
        self.teacher_temperature = teacher_temperature
        self.student_temperature = student_temperature
        self.center_momentum = center_momentum
        self.ema_momentum = ema_momentum
        self.n_local_crops = n_local_crops
        self.augment = augment
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Pre-train the ``module="auto"`` network of ``X`` (labels, if any, are ignored).

        Parameters
        ----------
        X : array (n, d), DataFrame or dict of modalities ``(n, c, T)``, ``(n, c, H, W)``...
        y : ignored

        Returns
        -------
        self
        """
        X = check_inputs(self, X, np.zeros(_n_windows(X)), reset=True)[0]  # labels: a dummy
        seed = seed_from(self.random_state)
        with SeededContext(seed, resolve_device(self.device)):
            module = build_module(X, 2)
        return self._fit_module(module, X, seed)

    @_fit_context(prefer_skip_nested_validation=True)
    def pretrain(self, module: nn.Module, X):
        """Pre-train a network of your own, in place, on the unlabelled windows ``X``.

        Use it to pre-train a network once and fine-tune copies of it (for example
        one per label budget); :meth:`fit` does the same with the ``"auto"`` network.

        Parameters
        ----------
        module : torch.nn.Module
            A network that maps ``X`` to ``(logits, embedding)`` or to its
            embedding, as ``TeacherClassifier`` modules do.
        X : array (n, d), DataFrame or dict of modalities

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from skkd.estimators import DINOPretrainer
        >>> from skkd.nets import build_module
        >>> X = np.random.RandomState(0).randn(32, 6).astype("float32")
        >>> network = build_module(X, 2)
        >>> pre = DINOPretrainer(max_epochs=2, random_state=0).pretrain(network, X)
        >>> pre.transform(X).shape[0]
        32
        """
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
        X = check_inputs(self, X, np.zeros(_n_windows(X)), reset=True)[0]  # labels: a dummy
        return self._fit_module(module, X, seed_from(self.random_state))

    def _fit_module(self, module: nn.Module, X, seed: int | None):
        """Pre-train ``module`` (in place) on validated float32 ``X``; sets the attributes."""
        augmenter = resolve_augmentation(self.augment, X)
        device = resolve_device(self.device)
        n = len(next(iter(X.values()))) if isinstance(X, Mapping) else len(X)
        if n < 2:
            raise ValueError(
                f"DINO pre-training needs at least 2 windows; got n_samples={n}.")
        rng = np.random.RandomState(seed)
        generator = torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        with SeededContext(seed, device):
            student = module.to(device)
            student.train()
            probe = _to_tensor(X, np.arange(min(2, n)), device)
            with torch.no_grad():
                emb_dim = _embedding(student, probe).shape[1]
            student_head = DINOHead(emb_dim, self.out_dim).to(device)
            teacher = copy.deepcopy(student)
            teacher_head = copy.deepcopy(student_head)
            for p in [*teacher.parameters(), *teacher_head.parameters()]:
                p.requires_grad_(False)
            _teacher_mode(teacher)
            _teacher_mode(teacher_head)
            criterion = DINOLoss(self.out_dim, self.teacher_temperature,
                                 self.student_temperature, self.center_momentum).to(device)
            params = [*student.parameters(), *student_head.parameters()]
            optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=0.04)
            self.history_ = []
            for epoch in range(self.max_epochs):
                order = rng.permutation(n)
                losses = []
                for start in range(0, n, self.batch_size):
                    idx = np.sort(order[start:start + self.batch_size])
                    if len(idx) < 2:
                        continue
                    views = make_views(_to_tensor(X, idx, device), augmenter, generator,
                                       n_global=2, n_local=self.n_local_crops)
                    with torch.no_grad():
                        targets = [teacher_head(_embedding(teacher, v)) for v in views[:2]]
                    outputs = [student_head(_embedding(student, v)) for v in views]
                    loss = criterion(outputs, targets)
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(params, 3.0)
                    optimizer.step()
                    ema_update_(teacher, student, self.ema_momentum)
                    ema_update_(teacher_head, student_head, self.ema_momentum)
                    losses.append(float(loss.detach()))
                self.history_.append(float(np.mean(losses)))
                if self.verbose:
                    print(f"DINO epoch {epoch + 1:3d}  loss {self.history_[-1]:.4f}")
            # keep the teacher: copy its weights (and batch-norm statistics) into the module,
            # except parameters DINO never trained (the classification head)
            state = teacher.state_dict()
            for name, p in student.named_parameters():
                if p.grad is None:
                    state[name] = p.detach()
            module.load_state_dict(state)
            module.eval()
        self.module_ = module
        self.head_ = teacher_head.eval()
        self.center_ = criterion.center.detach().cpu().clone()
        return self

    def transform(self, X) -> np.ndarray:
        """Embeddings ``(n, d)`` of the pre-trained network."""
        check_is_fitted(self, "module_")
        X = check_inputs(self, X, reset=False)
        device = next(self.module_.parameters()).device
        n = len(next(iter(X.values()))) if isinstance(X, Mapping) else len(X)
        self.module_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, n, 256):
                idx = np.arange(start, min(n, start + 256))
                out.append(_embedding(self.module_, _to_tensor(X, idx, device)).cpu().numpy())
        return np.concatenate(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.required = False
        tags.non_deterministic = False
        tags.transformer_tags.preserves_dtype = ["float32"]  # the network computes in float32
        return tags
