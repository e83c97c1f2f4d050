"""Standardise features within each subject (per-subject normalisation)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["SubjectStandardScaler"]


class SubjectStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Z-score each feature within each subject, using that subject's windows only.

    Physiological baselines differ far more between people than between a
    person's calm and stressed states; removing each subject's own mean and
    scale makes features comparable across subjects. The statistics of a
    subject come from the rows of ``X`` that belong to it *in the call at
    hand*, and never from labels: at prediction time a new subject is
    normalised with its own unlabeled windows.

    ``groups`` reaches ``fit`` and ``transform`` through scikit-learn's
    metadata routing: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)`` and request it with
    ``set_fit_request(groups=True).set_transform_request(groups=True)``. With
    ``groups=None`` all rows are taken as one subject (right for
    leave-one-subject-out test folds and for a single user's stream).

    ``cross_validate(..., params={"groups": g})`` routes the test subjects'
    groups to ``transform`` through the default scorer (``Pipeline.score``).
    A named scorer (``scoring="balanced_accuracy"``) calls ``predict``
    without metadata, so each test fold is then normalised as one subject:
    exact with :class:`~sklearn.model_selection.LeaveOneGroupOut`, pooled
    over subjects with ``GroupKFold``.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each subject's mean.
    with_std : bool, default=True
        Divide by each subject's standard deviation.
    min_windows : int, default=2
        Subjects with fewer (non-NaN) windows in a feature are scaled with the
        pooled statistics learned in ``fit`` instead of their own.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Pooled mean and standard deviation of the training rows (the fallback).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` in ``fit`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> groups = np.array(["a", "a", "b", "b"])
    >>> SubjectStandardScaler().fit_transform(X, groups=groups).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True, min_windows: int = 2):
        self.with_mean = with_mean
        self.with_std = with_std
        self.min_windows = min_windows

    def _check_params(self) -> None:
        m = self.min_windows
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
            raise ValueError(
                f"SubjectStandardScaler: min_windows must be a positive int, got {m!r}."
            )

    @staticmethod
    def _check_groups(groups, n: int) -> np.ndarray:
        if groups is None:
            return np.zeros(n, dtype=np.intp)
        groups = np.asarray(groups)
        if groups.ndim != 1 or len(groups) != n:
            raise ValueError(
                f"SubjectStandardScaler: groups must be 1-D with one subject per row "
                f"({n} rows), got shape {groups.shape}."
            )
        return groups

    def fit(self, X, y=None, groups=None):
        """Learn pooled fallback statistics (labels are ignored).

        Parameters
        ----------
        X : array-like of shape (n_windows, n_features)
        y : ignored
            Accepted for pipelines; never looked at.
        groups : array-like of shape (n_windows,), default=None
            Subject of each row (checked only).

        Returns
        -------
        self
        """
        self._check_params()
        X = validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite="allow-nan")
        self._check_groups(groups, len(X))
        with np.errstate(all="ignore"):
            self.mean_ = _nan_or(np.nanmean, X, 0.0)
            scale = _nan_or(np.nanstd, X, 1.0)
        scale[~(scale > 10 * np.finfo(np.float64).eps)] = 1.0
        self.scale_ = scale
        return self

    def transform(self, X, groups=None) -> np.ndarray:
        """Standardise each subject's rows with that subject's statistics.

        Parameters
        ----------
        X : array-like of shape (n_windows, n_features)
        groups : array-like of shape (n_windows,), default=None
            Subject of each row; ``None`` treats all rows as one subject.

        Returns
        -------
        ndarray of shape (n_windows, n_features)
        """
        check_is_fitted(self, "mean_")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        groups = self._check_groups(groups, len(X))
        out = np.empty_like(X)
        with np.errstate(all="ignore"):
            for g in _unique(groups):
                rows = groups == g
                block = X[rows]
                count = np.sum(~np.isnan(block), axis=0)
                own = count >= self.min_windows
                mean = np.where(own, _nan_or(np.nanmean, block, 0.0), self.mean_)
                std = np.where(own, _nan_or(np.nanstd, block, 1.0), self.scale_)
                std[~(std > 10 * np.finfo(np.float64).eps)] = 1.0
                if not self.with_mean:
                    mean = np.zeros_like(mean)
                if not self.with_std:
                    std = np.ones_like(std)
                out[rows] = (block - mean) / std
        return out

    def fit_transform(self, X, y=None, groups=None) -> np.ndarray:
        """``fit(X, y, groups)`` then ``transform(X, groups)``."""
        return self.fit(X, y, groups=groups).transform(X, groups=groups)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _nan_or(func, X: np.ndarray, fill: float) -> np.ndarray:
    """``func(X, axis=0)`` ignoring NaN; all-NaN columns get ``fill``."""
    allnan = np.all(np.isnan(X), axis=0)
    out = np.full(X.shape[1], fill, dtype=np.float64)
    if (~allnan).any():
        out[~allnan] = func(X[:, ~allnan], axis=0)
    return out


def _unique(groups: np.ndarray):
    try:
        return np.unique(groups)
    except TypeError:  # mixed types: keep first-seen order
        return list(dict.fromkeys(groups.tolist()))
