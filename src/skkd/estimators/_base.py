"""NeuralClassifierBase: the parameters, checks and skorch net both estimators share.

Both estimators *build* a private skorch net in ``fit`` (``net_``, see
:mod:`skkd.estimators._skorch_nets`); neither subclasses skorch (DESIGN §4).
Parameters are checked with scikit-learn's ``_parameter_constraints`` at the
start of ``fit``; extra keyword arguments must be skorch-prefixed.
"""

from __future__ import annotations

import copy
import difflib
import inspect
from collections.abc import Mapping
from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, EarlyStopping
from skorch.helper import predefined_split
from skorch.utils import to_tensor
from torch import nn

from skkd.estimators._loading import BatchIndexDataset, BatchIndexLoader
from skkd.estimators._skorch_nets import softmax_probabilities
from skkd.nets._outputs import as_logits_and_embedding
from skkd.utils import resolve_device
from skkd.utils._threads import limited_torch_threads, torch_threads_for, window_size
from skkd.utils._validation import POSITIVE_INT, POSITIVE_REAL, invalid_parameter

__all__ = ["NeuralClassifierBase"]

#: prefixes of the extra keyword parameters forwarded to skorch
KWARG_PREFIXES = (
    "module__", "optimizer__", "iterator_train__", "iterator_valid__", "callbacks__",
)
#: options of module="auto" (see skkd.nets.build_module)
AUTO_MODULE_OPTIONS = (
    "width", "depth", "dropout", "kernel_size", "recurrent", "embedding_dim", "target_length",
    "standardize",
)


#: input bytes per prediction batch (predict_proba, embed)
PREDICT_BATCH_BYTES = 4 * 2 ** 20
#: devices on which torch's optimizers offer a fused step
FUSED_DEVICES = ("cpu", "cuda")
#: parameters assumed for the thread budget of a module skorch has yet to build
ASSUMED_PARAMS = 10_000


def _fused_optimizer(optimizer, device, user_options: Mapping) -> dict:
    """``optimizer__fused=True`` where torch offers a fused step and the user chose none.

    One fused kernel per step instead of a handful of ops per parameter tensor:
    a small student's Adam step costs ~40 % less on CPU, with the same update
    up to float rounding. The user's ``optimizer__fused``/``optimizer__foreach``
    win.
    """
    if any(k in user_options for k in ("optimizer__fused", "optimizer__foreach")):
        return {}
    if torch.device(device).type not in FUSED_DEVICES:
        return {}
    if "fused" not in inspect.signature(optimizer.__init__).parameters:
        return {}
    return {"optimizer__fused": True}


def _is_subclass(value, base: type) -> bool:
    return isinstance(value, type) and issubclass(value, base)


class NeuralClassifierBase(ClassifierMixin, BaseEstimator):
    """Parameters, validation and the skorch net shared by the estimators.

    Subclasses define ``__init__`` (only storing parameters, plus ``**kwargs``
    with the prefixes ``module__``, ``optimizer__``, ``iterator_train__``,
    ``iterator_valid__``, ``callbacks__`` forwarded to skorch; any other name
    is a ``TypeError``, as for any misspelled keyword argument).
    """

    # with metadata routing on, fit asks for the subjects by default: they only ever
    # decide which windows are held out together (early stopping, cross-fitting);
    # opt out with set_fit_request(groups=False)
    __metadata_request__fit = {"groups": True}

    _parameter_constraints: dict = {
        "module": "no_validation",  # 'auto', a module class or instance: _check_params
        "max_epochs": [POSITIVE_INT],
        "lr": [POSITIVE_REAL],
        "batch_size": [POSITIVE_INT],
        "optimizer": "no_validation",  # an Optimizer class: _check_params
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [POSITIVE_INT],
        "callbacks": [None, list, tuple],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "class_weight": [None, StrOptions({"balanced"}), dict],
    }

    # -- parameters ---------------------------------------------------------
    def _set_kwargs(self, kwargs):
        unknown = [k for k in kwargs if not k.startswith(KWARG_PREFIXES)]
        if unknown:
            names = self._get_param_names()
            described = []
            for key in unknown:
                close = difflib.get_close_matches(key, names, n=1)
                described.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments "
                f"{', '.join(described)}; extra keyword arguments must start with one of "
                f"{list(KWARG_PREFIXES)}."
            )
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _extra_kwargs(self) -> dict:
        return {
            k: v
            for k, v in vars(self).items()
            if k.startswith(KWARG_PREFIXES) and not k.endswith("_")
        }

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._extra_kwargs())
        return params

    def set_params(self, **params):
        extra = {k: v for k, v in params.items() if k.startswith(KWARG_PREFIXES)}
        for key, value in extra.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in extra}
        if rest:
            super().set_params(**rest)
        return self

    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run by ``fit`` after them)."""
        if not (_is_subclass(self.module, nn.Module) or isinstance(self.module, nn.Module)
                or (isinstance(self.module, str) and self.module == "auto")):
            raise invalid_parameter(
                self, "module", "'auto' or a torch.nn.Module subclass or instance", self.module
            )
        if not _is_subclass(self.optimizer, torch.optim.Optimizer):
            raise invalid_parameter(
                self, "optimizer", "a torch.optim.Optimizer subclass", self.optimizer
            )
        if self.callbacks is not None and not all(
            isinstance(c, Callback) or (isinstance(c, tuple) and len(c) == 2)
            for c in self.callbacks
        ):
            raise invalid_parameter(
                self, "callbacks", "None or a list of skorch callbacks or (name, callback) "
                "pairs", self.callbacks,
            )
        if self.module == "auto":
            bad = [k for k in self._extra_kwargs() if k.startswith("module__")
                   and k[len("module__"):] not in AUTO_MODULE_OPTIONS]
            if bad:
                raise ValueError(
                    f"module='auto' accepts module__ options {list(AUTO_MODULE_OPTIONS)}; "
                    f"got {bad}."
                )
        resolve_device(self.device)

    def _class_weight_kwargs(self, y_labeled) -> dict:
        """``{"class_weights": [w_c]}`` for the loss (empty without ``class_weight``).

        ``y_labeled`` are the labelled training windows' original labels; the
        weights follow :func:`sklearn.utils.class_weight.compute_class_weight`
        in the order of ``classes_``.
        """
        if self.class_weight is None:
            return {}
        try:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y_labeled)
        except ValueError as exc:
            raise ValueError(f"class_weight={self.class_weight!r}: {exc}") from exc
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(
                f"class_weight must give finite, non-negative weights; got {weights.tolist()}."
            )
        return {"class_weights": [float(w) for w in weights]}

    # -- the net ------------------------------------------------------------
    def _module_options(self) -> dict:
        return {k[len("module__"):]: v for k, v in self._extra_kwargs().items()
                if k.startswith("module__")}

    #: the estimator instantiates the module itself (skorch gets no module__*)
    _builds_module_itself = False

    def _skorch_kwargs(self) -> dict:
        extra = self._extra_kwargs()
        if self.module == "auto" or self._builds_module_itself:
            extra = {k: v for k, v in extra.items() if not k.startswith("module__")}
        return extra

    def _validation_split(self, n, y, groups, seed):
        """Train/validation row indices (grouped by subject when groups are given)."""
        if groups is not None:
            groups = np.asarray(groups)
            if len(np.unique(groups)) < 2:
                raise ValueError(
                    "early_stopping with groups needs at least 2 groups to hold some out."
                )
            splitter = GroupShuffleSplit(1, test_size=self.validation_fraction, random_state=seed)
            return next(splitter.split(np.zeros(n), y, groups))
        try:
            splitter = StratifiedShuffleSplit(
                1, test_size=self.validation_fraction, random_state=seed
            )
            return next(splitter.split(np.zeros(n), y))
        except ValueError:
            splitter = ShuffleSplit(1, test_size=self.validation_fraction, random_state=seed)
            return next(splitter.split(np.zeros(n)))

    def _make_net(self, net_class, module, criterion, criterion_kwargs, valid_data,
                  extra_callbacks, device, **net_kwargs):
        """A ``net_class`` (a private skorch net) set up from this estimator's parameters."""
        callbacks = [copy.deepcopy(c) for c in (self.callbacks or [])]
        callbacks += list(extra_callbacks)
        if valid_data is not None:
            callbacks.append(
                ("early_stopping", EarlyStopping(
                    monitor="valid_loss", patience=self.n_iter_no_change, load_best=True,
                    sink=print if self.verbose else _silent,
                ))
            )
            train_split = predefined_split(BatchIndexDataset(*valid_data))
        else:
            train_split = None
        options = {"iterator_train__shuffle": True, "iterator_train": BatchIndexLoader,
                   "iterator_valid": BatchIndexLoader, "dataset": BatchIndexDataset}
        if not self.verbose and not any(k.startswith("callbacks__print_log")
                                        for k in self._extra_kwargs()):
            # skorch's epoch table costs a tabulate call per epoch
            options["callbacks__print_log"] = None
        options.update({f"criterion__{k}": v for k, v in criterion_kwargs.items()})
        options.update(_fused_optimizer(self.optimizer, device, self._extra_kwargs()))
        options.update(self._skorch_kwargs())  # the user's settings win
        return net_class(
            module,
            criterion=criterion,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=softmax_probabilities,
            device=device,
            verbose=self.verbose,
            **net_kwargs,
            **options,
        )

    # -- prediction ---------------------------------------------------------
    @property
    def prediction_module_(self) -> nn.Module:
        """The fitted :class:`torch.nn.Module` that makes the predictions.

        It maps :meth:`prepare_input`'s output (as tensors; ``module(x)`` for
        an array, ``module(**x)`` for a dict) to ``(logits, embedding)``.
        """
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _thread_limit(self, module, X):
        """Bound torch's threads while ``module`` runs on ``X`` (see :mod:`skkd.utils._threads`)."""
        n_params = (sum(p.numel() for p in module.parameters())
                    if isinstance(module, nn.Module) else ASSUMED_PARAMS)
        return limited_torch_threads(torch_threads_for(n_params, self.batch_size,
                                                       window_size(X)))

    def _net_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the logits) for the net's input ``X``, float64."""
        outs = self._net_outputs(X, lambda net, Xb: softmax_probabilities(
            as_logits_and_embedding(net.infer(Xb))[0]))
        return np.concatenate([o.cpu().numpy() for o in outs]).astype(np.float64)

    def _net_outputs(self, X, fn=None) -> list:
        """Run the fitted network on ``X`` in large batches, in eval mode, without gradients.

        ``fn(net, Xb)`` replaces the net's own forward pass (``net.infer``).
        Each batch holds up to :data:`PREDICT_BATCH_BYTES` of input (at least
        ``batch_size`` windows): far fewer Python round trips than skorch's
        training-size batches, and the same values row by row.
        """
        check_is_fitted(self, "net_")
        net = self.net_
        net.module_.eval()
        n = len(next(iter(X.values()))) if isinstance(X, Mapping) else len(X)
        arrays = X.values() if isinstance(X, Mapping) else [X]
        row_bytes = max(1, sum(np.asarray(a[:1]).nbytes for a in arrays))
        rows = max(int(self.batch_size), PREDICT_BATCH_BYTES // row_bytes)
        outputs = []
        with torch.no_grad(), self._thread_limit(net.module_, X):
            for start in range(0, n, rows):
                part = ({k: v[start:start + rows] for k, v in X.items()}
                        if isinstance(X, Mapping) else X[start:start + rows])
                Xb = to_tensor(part, device=net.device)
                outputs.append(net.infer(Xb) if fn is None else fn(net, Xb))
        return outputs

    @property
    def n_params_(self) -> int:
        """Number of parameters of the fitted network used at prediction."""
        return int(sum(p.numel() for p in self.prediction_module_.parameters()))

    def predict(self, X) -> np.ndarray:
        """Predicted labels (original label values): the most probable class."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError when unfitted
        return self.classes_[np.argmax(proba, axis=1)]


    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags


def _silent(*args, **kwargs) -> None:
    """A picklable sink that prints nothing (``verbose=0``)."""
