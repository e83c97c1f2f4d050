"""Standardise features within each subject (per-subject normalisation), calibrated."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.utils._validation import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    invalid_parameter,
    refuse_bool_parameters,
)

__all__ = ["SubjectStandardScaler"]

#: the string modes of ``calibration`` (an int K is the fourth)
CALIBRATION_MODES = ("all", "expanding", "mask")
DEFAULT_CALIBRATION = 10
CALIBRATION = [NON_NEGATIVE_INT, StrOptions(set(CALIBRATION_MODES))]


class SubjectStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Z-score each feature within each subject, with statistics from a calibration period.

    Physiological baselines differ far more between people than between a
    person's calm and stressed states; removing each subject's own mean and
    scale makes features comparable across subjects. A deployed system meets a
    new user with no labels and no future: it can record a short *calibration
    period* (the first few windows, or a rest period), then normalise every
    later window with the statistics of that period. ``calibration`` says which
    of a subject's windows its statistics come from; labels are never read.

    ================  ==========================================================
    ``calibration``   statistics of a subject come from
    ================  ==========================================================
    ``K`` (int)       its first ``K`` windows in time order (default ``K=10``);
                      every window of the subject, calibration windows
                      included, is scaled with them. ``K=0`` uses no window of
                      the subject: the pooled statistics learned in ``fit``.
    ``"expanding"``   its windows up to **and including** the window being
                      scaled (a running mean and standard deviation, for
                      streaming use: window *i* is scaled once it has been
                      recorded, with nothing recorded after it).
    ``"mask"``        its windows flagged ``True`` in the ``calibration_mask``
                      metadata (e.g. a rest period); all its windows are
                      scaled with them.
    ``"all"``         all its windows in the call, later ones included.
                      **Transductive**: a held-out subject's test windows
                      shape its own statistics (its label mix leaks into its
                      mean). Name any result that uses it "transductive".
    ================  ==========================================================

    With an int ``K`` or ``"mask"``, no output depends on a window after the
    calibration period (other than that window's own row), and with
    ``"expanding"`` no output depends on a later window: change a subject's
    later windows and the other rows' outputs stay bit-identical.

    *Time order* is the order of the ``time`` metadata (any sortable value per
    row, e.g. the loaders' ``meta["t_start"]`` or ``meta["second"]``; ties keep
    the given order) when it is given, else the order of the rows in ``X``
    (the loaders return each subject's windows in time order). Statistics are
    taken from the rows of ``X`` in the call at hand: at prediction time a new
    subject is calibrated on its own unlabeled windows.

    ``groups``, ``time`` and ``calibration_mask`` reach ``fit`` and
    ``transform`` through scikit-learn's metadata routing: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)`` and request them, e.g.
    ``set_fit_request(groups=True).set_transform_request(groups=True,
    time=True)`` (an alias such as ``set_transform_request(calibration_mask=
    "rest")`` routes ``params={"rest": ...}``). With ``groups=None`` all rows
    are taken as one subject (right for leave-one-subject-out test folds and
    for a single user's stream).

    ``cross_validate(..., params={"groups": g})`` routes the test subjects'
    groups to ``transform`` through the default scorer (``Pipeline.score``).
    A named scorer (``scoring="balanced_accuracy"``) calls ``predict``
    without metadata, so each test fold is then normalised as one subject in
    the given order: exact with
    :class:`~sklearn.model_selection.LeaveOneGroupOut`, pooled over subjects
    with ``GroupKFold``. :func:`skkd.model_selection.compare` routes the test
    rows' metadata to ``predict``.

    Parameters
    ----------
    calibration : int >= 0, {"expanding", "mask", "all"}, default=10
        Which windows of a subject give its statistics (see above).
    with_mean : bool, default=True
        Subtract each subject's mean.
    with_std : bool, default=True
        Divide by each subject's standard deviation.
    min_windows : int, default=2
        A subject (or, with ``"expanding"``, a window) whose calibration
        windows hold fewer non-NaN values of a feature is scaled in that
        feature with the pooled statistics learned in ``fit`` instead.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Pooled mean and standard deviation of the training rows (the fallback).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` in ``fit`` was a DataFrame with string column names.

    Examples
    --------
    Two subjects of four windows each; the first two windows calibrate:

    >>> import numpy as np
    >>> X = np.array([[1.0], [3.0], [5.0], [100.0], [10.0], [30.0], [50.0], [0.0]])
    >>> groups = np.array(["a"] * 4 + ["b"] * 4)
    >>> SubjectStandardScaler(calibration=2).fit_transform(X, groups=groups).ravel().tolist()
    [-1.0, 1.0, 3.0, 98.0, -1.0, 1.0, 3.0, -2.0]

    The transductive mode reads every window (subject ``a``'s outlier now
    moves all its rows):

    >>> Z = SubjectStandardScaler(calibration="all").fit_transform(X, groups=groups)
    >>> Z[:4].ravel().round(2).tolist()
    [-0.62, -0.58, -0.53, 1.73]

    A stream: each window is scaled with the windows up to it (the first one,
    alone, with the pooled statistics of ``fit``):

    >>> Z = SubjectStandardScaler(calibration="expanding").fit_transform(X, groups=groups)
    >>> Z[1:4].ravel().round(2).tolist()
    [1.0, 1.22, 1.73]
    """

    _parameter_constraints: dict = {
        "calibration": CALIBRATION,
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
        "min_windows": [POSITIVE_INT],
    }

    def __init__(self, calibration=DEFAULT_CALIBRATION, *, with_mean: bool = True,
                 with_std: bool = True, min_windows: int = 2):
        self.calibration = calibration
        self.with_mean = with_mean
        self.with_std = with_std
        self.min_windows = min_windows

    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)

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

    @_fit_context(prefer_skip_nested_validation=True)
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

    def transform(self, X, groups=None, time=None, calibration_mask=None) -> np.ndarray:
        """Standardise each subject's rows with the statistics of its calibration windows.

        Parameters
        ----------
        X : array-like of shape (n_windows, n_features)
        groups : array-like of shape (n_windows,), default=None
            Subject of each row; ``None`` treats all rows as one subject.
        time : array-like of shape (n_windows,), default=None
            Sortable time stamp of each row (e.g. ``meta["t_start"]``) that
            orders a subject's windows; ``None`` keeps the order of ``X``.
        calibration_mask : array-like of bool, shape (n_windows,), default=None
            Calibration windows (e.g. a rest period); required with
            ``calibration="mask"`` and ignored otherwise.

        Returns
        -------
        ndarray of shape (n_windows, n_features)
        """
        check_is_fitted(self, "mean_")
        self._validate_params()
        self._check_params()
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        n = len(X)
        groups = self._check_groups(groups, n)
        time = _check_row_values(time, n, "time")
        mode = self.calibration
        if mode == "mask":
            if calibration_mask is None:
                raise ValueError(
                    "SubjectStandardScaler: calibration='mask' needs calibration_mask, "
                    "one bool per row flagging the calibration windows (route it with "
                    "set_transform_request(calibration_mask=True))."
                )
            calibration_mask = _check_row_values(calibration_mask, n, "calibration_mask")
            if calibration_mask.dtype != bool:
                raise ValueError(
                    "SubjectStandardScaler: calibration_mask must hold booleans, got "
                    f"dtype {calibration_mask.dtype}."
                )
        out = np.empty_like(X)
        with np.errstate(all="ignore"):
            for g in _unique(groups):
                rows = np.flatnonzero(groups == g)
                if time is not None:
                    rows = rows[np.argsort(time[rows], kind="stable")]
                block = X[rows]
                if mode == "expanding":
                    mean, std = self._expanding_stats(block)
                else:
                    if mode == "all":
                        calib = block
                    elif mode == "mask":
                        calib = block[calibration_mask[rows]]
                    else:
                        calib = block[:mode]
                    mean, std = self._stats(calib)
                out[rows] = (block - mean) / std
        return out

    def _finish(self, own, mean, std):
        """Pooled fallback where a subject has too few values; ``with_*`` switches."""
        mean = np.where(own, mean, self.mean_)
        std = np.where(own, std, self.scale_)
        std[~(std > 10 * np.finfo(np.float64).eps)] = 1.0
        if not self.with_mean:
            mean = np.zeros_like(mean)
        if not self.with_std:
            std = np.ones_like(std)
        return mean, std

    def _stats(self, calib: np.ndarray):
        """One mean and std per feature from the calibration rows."""
        count = np.sum(~np.isnan(calib), axis=0)
        own = count >= self.min_windows
        if len(calib) == 0:
            mean, std = np.zeros(calib.shape[1]), np.ones(calib.shape[1])
        else:
            mean, std = _nan_or(np.nanmean, calib, 0.0), _nan_or(np.nanstd, calib, 1.0)
        return self._finish(own, mean, std)

    def _expanding_stats(self, block: np.ndarray):
        """Running mean and std per row: rows ``0..i`` for row ``i`` (NaN ignored).

        Sums are taken around each feature's first non-NaN value (a shift that
        only earlier-or-same rows decide) to keep the variance accurate.
        """
        valid = ~np.isnan(block)
        first = np.argmax(valid, axis=0)
        shift = np.where(valid.any(axis=0), block[first, np.arange(block.shape[1])], 0.0)
        d = np.where(valid, block - shift, 0.0)
        count = np.cumsum(valid, axis=0)
        s1, s2 = np.cumsum(d, axis=0), np.cumsum(d * d, axis=0)
        safe = np.maximum(count, 1)
        mean_d = s1 / safe
        std = np.sqrt(np.maximum(s2 / safe - mean_d**2, 0.0))
        return self._finish(count >= self.min_windows, shift + mean_d, std)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, groups=None, time=None, calibration_mask=None) -> np.ndarray:
        """``fit(X, y, groups)`` then ``transform(X, groups, time, calibration_mask)``."""
        return self.fit(X, y, groups=groups).transform(
            X, groups=groups, time=time, calibration_mask=calibration_mask)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


@validate_params({"calibration": CALIBRATION}, prefer_skip_nested_validation=True)
def describe_calibration(calibration) -> str:
    """A short text for table headers: how a :class:`SubjectStandardScaler` calibrates.

    >>> describe_calibration(10)
    'per subject, first 10 windows'
    >>> describe_calibration("all")
    'per subject, all windows (transductive)'
    """
    if isinstance(calibration, bool):
        raise invalid_parameter("describe_calibration", "calibration", "a number, not a bool",
                                calibration)
    if calibration == "all":
        return "per subject, all windows (transductive)"
    if calibration == "expanding":
        return "per subject, expanding (windows so far)"
    if calibration == "mask":
        return "per subject, flagged windows (calibration_mask)"
    if calibration == 0:
        return "pooled training statistics (K=0)"
    return f"per subject, first {int(calibration)} windows"


def _check_row_values(values, n: int, name: str):
    if values is None:
        return None
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n:
        raise ValueError(
            f"SubjectStandardScaler: {name} must be 1-D with one value per row ({n} rows), "
            f"got shape {values.shape}."
        )
    return values


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
