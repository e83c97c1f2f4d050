"""What every window selector shares: outlier-detector and imbalanced-learn sampler API."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted, validate_data

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

    Subclasses implement ``_fit_mask(X, y) -> bool array`` (fit, then the mask
    of the training windows) and ``_predict_mask(X) -> bool array``.
    """

    #: whether X's values are read (False for the content-blind baselines)
    _reads_values = True

    def _check_X(self, X, *, reset: bool):
        """Validate X; arrays go through sklearn's ``validate_data``."""
        if sp.issparse(X):
            raise TypeError(f"{type(self).__name__} does not support sparse input; pass dense windows.")
        if isinstance(X, Mapping):
            n_windows_of(X)
            return X if isinstance(X, Modalities) else Modalities(X)
        return validate_data(
            self, X, reset=reset, allow_nd=True, dtype="numeric", ensure_all_finite=self._reads_values
        )

    def fit(self, X, y=None):
        """Fit the selector on windows ``X`` (``y`` is used only by estimator-based selectors)."""
        self._fit_mask(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        """1 for an opportune window, 0 otherwise, shape ``(n_windows,)``."""
        check_is_fitted(self)
        return self._predict_mask(X).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the 0/1 marks of the training windows."""
        return self._fit_mask(X, y).astype(np.int64)

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
