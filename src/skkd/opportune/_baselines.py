"""Baseline selectors with the RuLSIFOpportuneSelector API: fixed interval, random, classifier."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval

from skkd.opportune._base import BaseSelector
from skkd.utils._validation import refuse_bools
from skkd.opportune._signals import n_windows_of
from skkd.utils._validation import NON_NEGATIVE_INT, POSITIVE_INT, invalid_parameter

__all__ = ["EstimatorSelector", "FixedIntervalSelector", "RandomSelector"]


class FixedIntervalSelector(BaseSelector):
    """Keep every ``every``-th window, starting at position ``offset``.

    Content-blind: like prompting on a fixed clock. With consecutive windows of
    one recording (e.g. Stress-Predict's 60 s windows with a 30 s hop,
    ``every=10`` is one prompt every 5 minutes). Positions count from the start
    of the ``X`` passed in.

    Parameters
    ----------
    every : int, default=4
        Keep one window out of ``every``.
    offset : int, default=0
        Position of the first kept window (``0 <= offset < every``).

    Examples
    --------
    >>> FixedIntervalSelector(every=3).fit_predict(np.zeros((7, 1, 10)))
    array([1, 0, 0, 1, 0, 0, 1])
    """

    _reads_values = False

    _parameter_constraints: dict = {"every": [POSITIVE_INT], "offset": [NON_NEGATIVE_INT]}

    def __init__(self, *, every=4, offset=0):
        self.every = every
        self.offset = offset

    def _check_params(self) -> None:
        refuse_bools(self, every=self.every, offset=self.offset)
        if self.offset >= self.every:
            raise invalid_parameter(self, "offset", f"an int in [0, every={self.every})", self.offset)

    def _positions_mask(self, X) -> np.ndarray:
        n = n_windows_of(X)
        return self._nonempty(np.arange(n) % self.every == self.offset, type(self).__name__)

    def _fit_mask(self, X, y=None) -> np.ndarray:
        X = self._check_X(X, reset=True)
        self.is_fitted_ = True
        return self._positions_mask(X)

    def _predict_mask(self, X) -> np.ndarray:
        return self._positions_mask(self._check_X(X, reset=False))

    def score_samples(self, X) -> np.ndarray:
        """1.0 at the kept positions, 0.0 elsewhere."""
        self._check_fitted()
        return self._predict_mask(X).astype(float)


class RandomSelector(BaseSelector):
    """Keep a random ``fraction`` of the windows (at least one).

    Exactly ``max(1, round(fraction * n_windows))`` windows are drawn without
    replacement; with an integer ``random_state`` the same ``X`` size always
    gives the same selection.

    Parameters
    ----------
    fraction : float in (0, 1], default=0.25
    random_state : int, RandomState or None

    Examples
    --------
    >>> RandomSelector(fraction=0.5, random_state=0).fit_predict(np.zeros((4, 1, 10))).sum()
    np.int64(2)
    """

    _reads_values = False

    _parameter_constraints: dict = {
        "fraction": [Interval(Real, 0, 1, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, fraction=0.25, random_state=None):
        self.fraction = fraction
        self.random_state = random_state

    def _check_params(self) -> None:
        refuse_bools(self, fraction=self.fraction)

    def score_samples(self, X) -> np.ndarray:
        """Random scores; the top ``fraction`` of them are the kept windows."""
        self._check_fitted()
        return self._random_scores(self._check_X(X, reset=False))

    def _random_scores(self, X) -> np.ndarray:
        return check_random_state(self.random_state).random_sample(n_windows_of(X))

    def _mask(self, X) -> np.ndarray:
        scores = self._random_scores(X)
        n_keep = max(1, int(round(self.fraction * scores.size)))
        mask = np.zeros(scores.size, dtype=bool)
        mask[np.argsort(-scores, kind="stable")[:n_keep]] = True
        return mask

    def _fit_mask(self, X, y=None) -> np.ndarray:
        X = self._check_X(X, reset=True)
        self.is_fitted_ = True
        return self._mask(X)

    def _predict_mask(self, X) -> np.ndarray:
        return self._mask(self._check_X(X, reset=False))


class EstimatorSelector(BaseSelector):
    """Keep the windows a classifier labels ``opportune_label``.

    ``fit(X, y)`` fits a clone of ``estimator`` on ``(X, y)``; wrap an already
    fitted model (e.g. a distilled student) in
    :class:`sklearn.frozen.FrozenEstimator` to use it as is.

    Parameters
    ----------
    estimator : classifier
        Any estimator with ``predict`` (``predict_proba`` or
        ``decision_function`` give ``score_samples``).
    opportune_label : label, default=1
        The predicted class that marks an opportune window.

    Attributes
    ----------
    estimator_ : classifier
        The fitted (or frozen) estimator.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.r_[np.zeros((5, 2)), np.ones((5, 2))]; y = np.r_[[0] * 5, [1] * 5]
    >>> EstimatorSelector(LogisticRegression()).fit(X, y).predict(X)
    array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "opportune_label": "no_validation",  # any label; fit checks it is among the classes
    }

    def __init__(self, estimator, *, opportune_label=1):
        self.estimator = estimator
        self.opportune_label = opportune_label

    def _fit_mask(self, X, y=None) -> np.ndarray:
        if y is None:
            raise ValueError(
                "EstimatorSelector requires y to be passed, but the target y is None (it fits its "
                "estimator on (X, y); wrap a fitted one in sklearn.frozen.FrozenEstimator)."
            )
        # X is validated by the estimator itself, which knows what input it takes
        self.estimator_ = clone(self.estimator).fit(X, y)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        classes = getattr(self.estimator_, "classes_", None)
        if classes is not None and self.opportune_label not in list(classes):
            raise ValueError(
                f"opportune_label={self.opportune_label!r} is not among the estimator's classes {list(classes)}."
            )
        return self._nonempty(self._mask(X), type(self).__name__)

    def _mask(self, X) -> np.ndarray:
        return np.asarray(self.estimator_.predict(X)) == self.opportune_label

    def _predict_mask(self, X) -> np.ndarray:
        return self._mask(X)

    def score_samples(self, X) -> np.ndarray:
        """Probability (or decision value) of ``opportune_label``; needs ``predict_proba`` or a binary
        ``decision_function``."""
        self._check_fitted()
        est = self.estimator_
        classes = list(getattr(est, "classes_", []))
        if hasattr(est, "predict_proba") and classes:
            return np.asarray(est.predict_proba(X))[:, classes.index(self.opportune_label)]
        if hasattr(est, "decision_function") and len(classes) == 2:
            d = np.asarray(est.decision_function(X))
            return d if classes.index(self.opportune_label) == 1 else -d
        raise AttributeError("the estimator has neither predict_proba nor a binary decision_function.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = self.estimator.__sklearn_tags__().input_tags
        tags.target_tags.required = True
        return tags
