"""TeacherClassifier: a neural classifier on every input a lab can record."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from skkd.estimators._inputs import check_inputs
from skkd.estimators._net_builder import NeuralClassifierBase, _SeededContext, seed_from
from skkd.nets import DistillationLoss, build_module
from skkd.nets._wrapper import as_logits_and_embedding
from skkd.utils import resolve_device

__all__ = ["TeacherClassifier"]


class TeacherClassifier(NeuralClassifierBase):
    """A neural classifier (skorch/PyTorch) that can teach a student.

    Builds a :class:`skorch.NeuralNetClassifier` in :meth:`fit` (``net_``),
    trained with cross-entropy on logits. Labels may be strings; predictions
    are returned in the original labels. Inputs are cast to float32.

    Parameters
    ----------
    module : "auto", nn.Module class or instance, default="auto"
        ``"auto"`` builds a network from ``X`` (:func:`skkd.nets.build_module`):
        rank 2 → MLP, ``(n, c, T)`` → 1-D CNN, rank 4 → 2-D CNN, rank 5 → 3-D
        CNN, a dict of modalities → one encoder per modality with late fusion.
        Its options are ``module__width``, ``module__depth``,
        ``module__dropout``, ``module__kernel_size``, ``module__recurrent``
        (adds a BiLSTM to 1-D CNNs) and ``module__standardize``. A user module
        gets its ``module__*`` parameters from skorch and must return logits
        or ``(logits, embedding)``; for a dict ``X`` it is called as
        ``module(**X)``.
    max_epochs : int, default=30
    lr : float, default=1e-3
    batch_size : int, default=64
    optimizer : torch optimizer class, default=torch.optim.AdamW
        Its options go in ``optimizer__*`` keyword parameters.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training windows — whole
        subjects when ``groups`` are passed to :meth:`fit`, stratified windows
        otherwise — and stop after ``n_iter_no_change`` epochs without a lower
        validation loss, keeping the best weights.
    validation_fraction : float, default=0.2
    n_iter_no_change : int, default=5
    callbacks : list of skorch callbacks, optional
        Copied at every fit.
    device : str, default="auto"
        ``"auto"`` → cuda, then mps, then cpu.
    random_state : int, RandomState or None
        Seeds weight initialisation, shuffling, dropout and the validation
        split; a fixed value makes refits bit-identical on the CPU.
    verbose : int, default=0
        ``1`` prints skorch's epoch table.
    **kwargs
        ``module__*``, ``optimizer__*``, ``iterator_train__*``,
        ``iterator_valid__*`` parameters forwarded to skorch.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    net_ : skorch.NeuralNetClassifier
        The trained net.
    n_params_ : int
        Number of network parameters.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(60, 6, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.embed(X[:3]).shape
    ((3,), (3, 64))
    """

    def __init__(
        self,
        module="auto",
        *,
        max_epochs: int = 30,
        lr: float = 1e-3,
        batch_size: int = 64,
        optimizer=torch.optim.AdamW,
        early_stopping: bool = False,
        validation_fraction: float = 0.2,
        n_iter_no_change: int = 5,
        callbacks=None,
        device: str = "auto",
        random_state=None,
        verbose: int = 0,
        **kwargs,
    ):
        self.module = module
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self._set_kwargs(kwargs)

    def _build_module(self, X, n_classes):
        if self.module == "auto":
            return build_module(X, n_classes, **self._module_options())
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        return self.module  # a class: skorch instantiates it with module__*

    def fit(self, X, y, groups=None):
        """Train the network on windows ``X`` with labels ``y``.

        Parameters
        ----------
        X : array (n, d), DataFrame or dict of modalities
        y : array-like of shape (n,)
        groups : array-like of shape (n,), optional
            Subject of each window; used by ``early_stopping`` to hold out
            whole subjects.

        Returns
        -------
        self
        """
        self._check_common_params()
        X, y = check_inputs(self, X, y, reset=True)
        check_classification_targets(y)
        if groups is not None and len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries but y has {len(y)}.")
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        y_enc = self._label_encoder.transform(y).astype(np.int64)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        valid = None
        train_X, train_y = X, y_enc
        if self.early_stopping:
            tr, va = self._validation_split(len(y_enc), y_enc, groups, seed)
            train_X, train_y = X[tr], y_enc[tr]
            valid = (X[va], y_enc[va])
        with _SeededContext(seed, device):
            module = self._build_module(train_X, len(self.classes_))
            self.net_ = self._make_net(
                module, DistillationLoss, {"alpha": 0.0}, valid, [], device
            )
            self.net_.fit(train_X, train_y)
        return self

    def _transform_input(self, X):
        check_is_fitted(self)
        return check_inputs(self, X, reset=False)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        X = self._transform_input(X)
        return self.net_.predict_proba(X).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """Predicted labels (original label values)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def decision_function_logits(self, X) -> np.ndarray:
        """Raw logits ``(n, n_classes)`` (before softmax)."""
        outs = self._net_outputs(self._transform_input(X))
        return np.concatenate([as_logits_and_embedding(o)[0].cpu().numpy() for o in outs])

    def embed(self, X, *, per_modality: bool = False):
        """The penultimate representation of each window.

        Parameters
        ----------
        X : array, DataFrame or dict of modalities
        per_modality : bool, default=False
            Return ``{modality: (n, d_m)}``, each encoder's output, instead of
            the fused embedding (needs a multimodal network with
            ``modality_embeddings``, as built by ``module="auto"``).

        Returns
        -------
        ndarray of shape (n, d), or dict of such arrays
        """
        X = self._transform_input(X)
        if per_modality:
            if not hasattr(self.net_.module_, "modality_embeddings"):
                raise ValueError(
                    "embed(per_modality=True) needs a multimodal network (dict X with "
                    "module='auto'); this teacher has a single encoder."
                )
            outs = self._net_outputs(X, lambda m, xb: m.modality_embeddings(**xb))
            return {k: np.concatenate([o[k].cpu().numpy() for o in outs]) for k in outs[0]}
        outs = self._net_outputs(X)
        return np.concatenate([as_logits_and_embedding(o)[1].cpu().numpy() for o in outs])

    def embedding_dims(self) -> dict:
        """Sizes of the fused embedding (``"fused"``) and of each modality's."""
        check_is_fitted(self)
        module = self.net_.module_
        dims = dict(getattr(module, "modality_dims", {}))
        dims["fused"] = getattr(module, "embedding_dim", None)
        return dims
