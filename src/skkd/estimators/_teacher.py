"""TeacherClassifier: a neural classifier on every input a lab can record."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import _fit_context, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd.estimators._base import NeuralClassifierBase
from skkd.estimators._inputs import check_class_labels, check_inputs, unlabeled_mask
from skkd.estimators._pretrain import DINOPretrainer
from skkd.estimators._seeding import SeededContext, seed_from
from skkd.estimators._skorch_nets import ClassifierNet
from skkd.nets import build_module
from skkd.nets._outputs import as_logits_and_embedding
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
        (adds a BiLSTM to 1-D CNNs), ``module__embedding_dim`` (a projection
        of each encoder's output, e.g. StressID's 256-d features on narrow
        convolutions), ``module__target_length`` (how far conv blocks pool
        each axis) and ``module__standardize``. A user module
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
    pretrain : None, "dino" or DINOPretrainer, default=None
        Self-supervised pre-training before the supervised fit. With it set,
        windows whose label is ``-1`` (scikit-learn's convention; the string
        ``"-1"`` too) are **unlabeled**: :meth:`fit` pre-trains the network
        on all windows with DINO (:class:`DINOPretrainer`; ``"dino"`` uses its
        defaults with this estimator's ``device`` and ``random_state``), then
        fine-tunes the same network (same encoder weights, new head) on the
        labelled windows only. ``classes_`` never contains ``-1``. With
        ``None`` (the default), ``-1`` is an ordinary class label.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in the cross-entropy, as in scikit-learn
        (``"balanced"``: ``n / (n_classes · n_c)`` from the labelled training
        windows). With ``"balanced"`` the argmax of the probabilities is the
        balanced decision rule that every row of a fair comparison uses.
    **kwargs
        ``module__*``, ``optimizer__*``, ``iterator_train__*``,
        ``iterator_valid__*``, ``callbacks__*`` parameters forwarded to skorch;
        any other name raises ``TypeError``.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    net_ : skorch.NeuralNetClassifier
        The trained net.
    n_params_ : int
        Number of network parameters.
    pretrain_history_ : list of float or None
        Mean DINO loss of every pre-training epoch (``None`` without
        ``pretrain``).
    n_unlabeled_ : int
        Windows marked unlabeled (always 0 without ``pretrain``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(60, 6, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.embed(X[:3]).shape
    ((3,), (3, 64))

    Semi-supervised: hide most labels (``-1``) and pre-train on every window.

    >>> y_semi = np.where(np.arange(60) % 4 == 0, y, -1)
    >>> from skkd.estimators import DINOPretrainer
    >>> clf = TeacherClassifier(max_epochs=5, random_state=0, pretrain=DINOPretrainer(
    ...     max_epochs=2, out_dim=16)).fit(X, y_semi)
    >>> clf.classes_.tolist(), len(clf.pretrain_history_), clf.n_unlabeled_
    ([0, 1], 2, 45)
    """

    _parameter_constraints: dict = {
        **NeuralClassifierBase._parameter_constraints,
        "pretrain": [None, StrOptions({"dino"}), DINOPretrainer],
    }

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
        pretrain=None,
        class_weight=None,
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
        self.pretrain = pretrain
        self.class_weight = class_weight
        self._set_kwargs(kwargs)

    @property
    def _builds_module_itself(self) -> bool:
        # with pre-training the module instance is built (and trained) before skorch
        return self.pretrain is not None

    def _build_module(self, X, n_classes):
        if self.pretrain is not None and self.module != "auto" and not isinstance(
                self.module, torch.nn.Module):
            # skorch would instantiate a class; pre-training needs the instance first
            return self.module(**self._module_options())
        if self.module == "auto":
            return build_module(X, n_classes, **self._module_options())
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        return self.module  # a class: skorch instantiates it with module__*

    @_fit_context(prefer_skip_nested_validation=False)
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
        self._check_params()
        seed = seed_from(self.random_state)
        pretrainer = self._pretrainer(seed)
        X, y = check_inputs(self, X, y, reset=True)
        if groups is not None and len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries but y has {len(y)}.")
        unlabeled = unlabeled_mask(y) if pretrainer is not None else np.zeros(len(y), bool)
        labeled = np.flatnonzero(~unlabeled)
        if not len(labeled):
            raise ValueError(
                "all windows are unlabeled (y == -1): fine-tuning after pre-training needs "
                "labelled windows."
            )
        check_class_labels(y[labeled])
        self.n_unlabeled_ = int(unlabeled.sum())
        y_labeled = y[labeled]
        self._label_encoder = LabelEncoder().fit(y_labeled)
        self.classes_ = self._label_encoder.classes_
        y_enc = self._label_encoder.transform(y_labeled).astype(np.int64)
        X_labeled = X[labeled] if self.n_unlabeled_ else X
        groups_labeled = None if groups is None else np.asarray(groups)[labeled]
        device = resolve_device(self.device)
        valid = None
        train_X, train_y = X_labeled, y_enc
        if self.early_stopping:
            tr, va = self._validation_split(len(y_enc), y_enc, groups_labeled, seed)
            train_X, train_y = X_labeled[tr], y_enc[tr]
            valid = (X_labeled[va], y_enc[va])
        self.pretrain_history_ = None
        with SeededContext(seed, device):
            if pretrainer is None:
                module = self._build_module(train_X, len(self.classes_))
            else:
                # standardisation statistics and pre-training from every window
                module = self._build_module(X, len(self.classes_))
                pretrainer.pretrain(module, X)
                self.pretrain_history_ = list(pretrainer.history_)
            weights = self._class_weight_kwargs(y_labeled).get("class_weights")
            criterion_kwargs = {} if weights is None else {
                "weight": torch.as_tensor(weights, dtype=torch.float32)}
            self.net_ = self._make_net(ClassifierNet, module, torch.nn.CrossEntropyLoss,
                                       criterion_kwargs, valid, [], device)
            with self._thread_limit(module, train_X):
                self.net_.fit(train_X, train_y)
        return self

    def _pretrainer(self, seed: int | None):
        """A fresh :class:`DINOPretrainer` for this fit (seeded by ``seed``), or ``None``."""
        if self.pretrain is None:
            return None
        if isinstance(self.pretrain, str):  # "dino"
            return DINOPretrainer(device=self.device, random_state=seed)
        pretrainer = clone(self.pretrain)
        if pretrainer.random_state is None and seed is not None:
            pretrainer.set_params(random_state=seed)
        return pretrainer

    def prepare_input(self, X):
        """Validate ``X`` and return what :attr:`prediction_module_` takes.

        A float32 array, or a dict of float32 arrays (one per modality); with
        :attr:`prediction_module_` it runs the network outside skkd (export,
        serving, inspection).

        Examples
        --------
        >>> import numpy as np, torch
        >>> X = np.random.RandomState(0).randn(20, 3)
        >>> clf = TeacherClassifier(max_epochs=2, random_state=0).fit(X, np.arange(20) % 2)
        >>> logits = clf.prediction_module_(torch.as_tensor(clf.prepare_input(X)))[0]
        >>> tuple(logits.shape)
        (20, 2)
        """
        check_is_fitted(self)
        return check_inputs(self, X, reset=False)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return self._net_proba(self.prepare_input(X))

    def decision_function_logits(self, X) -> np.ndarray:
        """Raw logits ``(n, n_classes)`` (before softmax)."""
        outs = self._net_outputs(self.prepare_input(X))
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
        X = self.prepare_input(X)
        if per_modality:
            if not hasattr(self.net_.module_, "modality_embeddings"):
                raise ValueError(
                    "embed(per_modality=True) needs a multimodal network (dict X with "
                    "module='auto'); this teacher has a single encoder."
                )
            outs = self._net_outputs(X, lambda net, xb: net.module_.modality_embeddings(**xb))
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
