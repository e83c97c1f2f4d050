"""What every window selector shares: outlier-detector and imbalanced-learn sampler API."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skkd._modalities import Modalities
from skkd.opportune._signals import n_windows_of

__all__ = ["BaseSelector"]


class BaseSelector(OutlierMixin, BaseEstimator):
    """Base class of the window selectors (not for direct use).

    A selector marks windows as opportune (1) or not (0). ``fit(X)`` learns what
    it needs (a threshold, a classifier); ``predict(X)`` returns the 0/1 marks;
    ``fit_resample(X, y)`` fits and returns the opportune windows with their
    labels, so a selector can be an intermediate step of an
    :class:`imblearn.pipeline.Pipeline` (it then acts on training folds only).
    ``X`` is an array of windows or a :class:`~skkd.Modalities` dict, which is
    sliced in every modality.

    An empty selection raises ``ValueError``: nothing is silently returned
    empty, and a pipeline under ``cross_validate`` reports the fold as failed.
    ``fit`` records the shape of a window (``window_shape_``: ``(channels,
    samples)``, ``(samples,)`` for 2-D ``X``, or one shape a modality for a
    dict), and ``predict``/``score_samples`` refuse windows of another shape
    with a ``ValueError`` naming both: a score or a position learnt on 60-s
    windows means something else on 30-s windows.

    Subclasses implement ``_fit_mask(X, y) -> bool array`` (fit, then the mask
    of the training windows) and ``_predict_mask(X) -> bool array``, and
    declare ``_parameter_constraints`` plus, in ``_check_params``, what those
    cannot say. The fit methods check both first; methods that read the
    parameters after fit call ``_check_fitted``, which checks them again
    (``set_params`` may have changed them).
    """

    #: whether X's values are read (False for the content-blind baselines)
    _reads_values = True

    _parameter_constraints: dict = {}

    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them); nothing here."""

    def _check_fitted(self) -> None:
        """Raise ``NotFittedError`` before fit, then validate the parameters as fit does."""
        check_is_fitted(self)
        self._validate_params()
        self._check_params()

    def _check_X(self, X, *, reset: bool):
        """Validate X; arrays go through sklearn's ``validate_data``.

        Never writes into ``X`` (it may be read-only).
        """
        if sp.issparse(X):
            raise TypeError(f"{type(self).__name__} does not support sparse input; pass dense windows.")
        if isinstance(X, Mapping):
            n_windows_of(X)
            X = X if isinstance(X, Modalities) else Modalities(X)
            shapes = {key: tuple(np.shape(value)[1:]) for key, value in X.items()}
            if reset:
                self.window_shape_ = shapes
                if hasattr(self, "n_features_in_"):  # left by an earlier fit on an array
                    del self.n_features_in_
            else:
                self._check_window_shape(shapes)
            return X
        kwargs = dict(allow_nd=True, dtype="numeric", ensure_all_finite=self._reads_values)
        if reset:
            arr = validate_data(self, X, reset=True, **kwargs)
            self.window_shape_ = tuple(arr.shape[1:])
            return arr
        arr = check_array(X, input_name="X", **kwargs)
        self._check_window_shape(tuple(arr.shape[1:]))
        validate_data(self, X, reset=False, skip_check_array=True)  # feature names
        return arr

    def _check_window_shape(self, shape) -> None:
        """Raise ``ValueError`` naming both shapes when X's windows differ from fit's."""
        fitted = getattr(self, "window_shape_", None)
        if fitted is None or shape == fitted:
            return
        name = type(self).__name__
        if isinstance(fitted, dict) != isinstance(shape, dict):
            got, was = ("a dict of modalities", "an array") if isinstance(shape, dict) else ("an array", "a dict")
            raise ValueError(
                f"X is {got} of windows, but {name} was fitted on {was} (window shape {fitted}); "
                "pass X as in fit."
            )
        if isinstance(shape, dict):
            bad = [key for key in shape if key in fitted and shape[key] != fitted[key]]
            if not bad:
                return
            detail = "; ".join(f"X[{key!r}] has windows of shape {shape[key]}, fitted on {fitted[key]}" for key in bad)
            raise ValueError(
                f"{detail}. {name} needs windows of the shape it was fitted on (same channels and length)."
            )
        sklearn_phrase = ""
        if shape[:1] != fitted[:1]:  # sklearn's wording for a different n_features
            sklearn_phrase = f"X has {shape[0]} features, but {name} is expecting {fitted[0]} features as input. "
        raise ValueError(
            f"{sklearn_phrase}X has windows of shape {shape}, but {name} was fitted on windows of shape "
            f"{fitted}; pass windows with the same channels and length as in fit."
        )

    # prefer_skip_nested_validation=False: EstimatorSelector's estimator is validated when fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the selector on windows ``X`` (``y`` is used only by estimator-based selectors)."""
        self._check_params()
        self._fit_mask(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        """1 for an opportune window, 0 otherwise, shape ``(n_windows,)``."""
        self._check_fitted()
        return self._predict_mask(X).astype(np.int64)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the 0/1 marks of the training windows."""
        self._check_params()
        return self._fit_mask(X, y).astype(np.int64)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y):
        """Fit on ``(X, y)`` and return the opportune windows and their labels.

        Raises ``ValueError`` when no window is opportune.
        """
        if y is None:
            raise ValueError("fit_resample needs y (one label per window).")
        n = n_windows_of(X)
        if len(y) != n:
            raise ValueError(f"y has {len(y)} labels for {n} windows.")
        if isinstance(X, Mapping) and not isinstance(X, Modalities):
            X = Modalities(X)
        self._check_params()
        mask = self._fit_mask(X, y)
        keep = np.flatnonzero(mask)
        X_kept = X[keep] if isinstance(X, Mapping) else _safe_indexing(X, keep)
        return X_kept, _safe_indexing(y, keep)

    @staticmethod
    def _nonempty(mask: np.ndarray, what: str) -> np.ndarray:
        if not mask.any():
            raise ValueError(
                f"{what} selected no window out of {mask.size}; relax the threshold (or quantile/fraction) "
                "or pass more windows."
            )
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = not self._reads_values
        tags.target_tags.required = False
        return tags
