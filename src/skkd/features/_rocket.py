"""MiniRocket features of raw multichannel windows, through sktime or aeon (optional)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.utils._validation import POSITIVE_INT, refuse_bool_parameters

__all__ = ["MiniRocketFeatures", "minirocket_backend"]

#: (backend, module, class) tried in this order by ``backend="auto"``
_BACKENDS = (
    ("sktime", "sktime.transformations.rocket", "MiniRocketMultivariate"),
    ("sktime", "sktime.transformations.panel.rocket", "MiniRocketMultivariate"),  # sktime < 1.0
    ("aeon", "aeon.transformations.collection.convolution_based", "MiniRocket"),
)
#: MiniRocket needs windows of at least this many samples
MIN_LENGTH = 9
BACKEND_OPTIONS = StrOptions({"auto", "sktime", "aeon"})


@validate_params({"backend": [BACKEND_OPTIONS]}, prefer_skip_nested_validation=True)
def minirocket_backend(backend: str = "auto"):
    """``(name, class)`` of the MiniRocket of ``backend`` ("sktime", "aeon" or "auto").

    ``"auto"`` returns the first installed, sktime first. Raises ``ImportError``
    naming the extra to install when none is available.
    """
    errors = []
    for name, module, cls in _BACKENDS:
        if backend not in ("auto", name):
            continue
        try:
            return name, getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            errors.append(f"{module}.{cls}: {type(exc).__name__}: {exc}")
    raise ImportError(
        "MiniRocket needs sktime (with numba) or aeon: pip install 'skkd[rocket]'. "
        + "Tried " + "; ".join(errors)
    )


class MiniRocketFeatures(TransformerMixin, BaseEstimator):
    """MiniRocket (Dempster, Schmidt & Webb, KDD 2021) on raw windows ``(n, c, T)``.

    A thin scikit-learn wrapper of the multivariate MiniRocket transform of
    sktime (``MiniRocketMultivariate``) or aeon (``MiniRocket``), installed
    with ``pip install 'skkd[rocket]'``: ``fit`` draws the kernels' channel
    combinations and learns their biases from the training windows (no
    labels); ``transform`` returns ``(n, ~num_kernels)`` proportions of
    positive values, as a float64 array. The input is never modified.

    Parameters
    ----------
    num_kernels : int, default=10000
        Number of features (rounded down to a multiple of 84 by MiniRocket).
    max_dilations_per_kernel : int, default=32
    backend : {"auto", "sktime", "aeon"}, default="auto"
        ``"auto"`` uses sktime if installed, else aeon.
    n_jobs : int, default=1
        Threads of the numba kernels.
    random_state : int or None, default=0

    Attributes
    ----------
    transformer_ : object
        The fitted sktime/aeon transformer.
    backend_ : str
        ``"sktime"`` or ``"aeon"``.
    n_channels_, n_timepoints_ : int
        Shape of the windows seen in ``fit``.
    n_features_in_ : int
        ``n_channels_ * n_timepoints_``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(20, 2, 120))
    >>> MiniRocketFeatures(num_kernels=168).fit_transform(X).shape  # doctest: +SKIP
    (20, 168)
    """

    _parameter_constraints: dict = {
        "num_kernels": [Interval(Integral, 84, None, closed="left")],
        "max_dilations_per_kernel": [POSITIVE_INT],
        "backend": [BACKEND_OPTIONS],
        "n_jobs": [POSITIVE_INT],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        num_kernels: int = 10_000,
        max_dilations_per_kernel: int = 32,
        *,
        backend: str = "auto",
        n_jobs: int = 1,
        random_state: int | None = 0,
    ):
        self.num_kernels = num_kernels
        self.max_dilations_per_kernel = max_dilations_per_kernel
        self.backend = backend
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _windows(self, X, *, reset: bool) -> np.ndarray:
        name = type(self).__name__
        if isinstance(X, Mapping) or issparse(X):
            raise TypeError(
                f"{name} takes one array of windows (n, c, T), got {type(X).__name__}; stack "
                "modalities of equal length first, e.g. np.concatenate([X['eda'], X['temp']], axis=1)."
            )
        shape = np.shape(X)
        if len(shape) == 2:
            X = np.asarray(X)[:, None, :]
        elif len(shape) != 3:
            raise ValueError(f"{name} expects windows (n, T) or (n, c, T), got shape {shape}.")
        arr = np.asarray(X)
        n, c, T = arr.shape
        if T < MIN_LENGTH:
            raise ValueError(f"{name} needs windows of at least {MIN_LENGTH} samples, got {T}.")
        if not reset and (c, T) != (self.n_channels_, self.n_timepoints_):
            raise ValueError(
                f"{name}: X has windows of shape {(c, T)}; {(self.n_channels_, self.n_timepoints_)} "
                "were seen in fit."
            )
        flat = validate_data(self, arr.reshape(n, c * T), reset=reset, dtype=np.float64)
        return flat.reshape(n, c, T)

    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn MiniRocket's biases from the windows ``X`` (labels are not read)."""
        self._check_params()
        X = self._windows(X, reset=True)  # bad input is named even without the extra
        name, cls = minirocket_backend(self.backend)
        self.n_channels_, self.n_timepoints_ = X.shape[1:]
        kwargs = dict(
            # aeon >= 1.0 calls it n_kernels
            **{"n_kernels" if name == "aeon" else "num_kernels": self.num_kernels},
            max_dilations_per_kernel=self.max_dilations_per_kernel,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        self.transformer_ = cls(**kwargs).fit(np.array(X, dtype=np.float64))
        self.backend_ = name
        return self

    def transform(self, X) -> np.ndarray:
        """MiniRocket features of every window, ``(n, n_features)`` float64."""
        check_is_fitted(self, "transformer_")
        X = self._windows(X, reset=False)
        out = self.transformer_.transform(np.array(X, dtype=np.float64))
        return np.asarray(out, dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags
