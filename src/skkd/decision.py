"""One decision rule for every row of a table: prior correction of any probabilistic classifier.

A classifier trained on imbalanced labels predicts the majority class too
often: its probabilities carry the training prior, ``p(c | x) ∝ p(x | c) π_c``.
Dividing by the prior, ``argmax_c p(c | x) / π_c``, picks the class of highest
likelihood ``p(x | c)`` — the Bayes rule for *balanced* accuracy, the decision
that class weights (``class_weight="balanced"``) approximate at training time.
:class:`PriorCorrectedClassifier` applies it after the fact to any classifier
with ``predict_proba`` (forest, SVM with Platt scaling, network, dummy), so
that every row of a comparison can use the same rule, baselines included.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["PriorCorrectedClassifier"]


class PriorCorrectedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Divide a classifier's probabilities by the training class priors: ``argmax p(c|x)/π_c``.

    ``fit`` fits a clone of ``estimator`` and records ``class_prior_``, the
    frequencies π of the classes in the training labels (unweighted).
    ``predict`` returns ``argmax_c p(c | x) / π_c``; ``predict_proba`` returns
    the corrected scores renormalised to sum to one per row,
    ``q_c = (p_c / π_c) / Σ_k p_k / π_k`` — the posterior the model would give
    under equal priors, so its argmax is ``predict``. With balanced training
    labels nothing changes.

    Use it on a model whose probabilities reflect the training prior (fitted
    without class weights or resampling); a model trained with
    ``class_weight="balanced"`` is corrected already, and dividing again
    would over-correct.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Fitted as a clone in ``fit``. For an SVC, use ``probability=True`` or
        wrap it in :class:`~sklearn.calibration.CalibratedClassifierCV`.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone.
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
        Training frequency of each class of ``classes_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When the fitted estimator has them.

    Examples
    --------
    About six negatives for one positive: the corrected rule predicts the
    minority class more often, and its balanced accuracy is higher.

    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import balanced_accuracy_score
    >>> X, y = make_classification(n_samples=600, weights=[0.9], flip_y=0.1,
    ...                            random_state=0)
    >>> plain = LogisticRegression().fit(X[:300], y[:300])
    >>> corrected = PriorCorrectedClassifier(LogisticRegression()).fit(X[:300], y[:300])
    >>> corrected.class_prior_.round(2).tolist()
    [0.86, 0.14]
    >>> int((plain.predict(X[300:]) == 1).sum()), int((corrected.predict(X[300:]) == 1).sum())
    (17, 67)
    >>> bool(balanced_accuracy_score(y[300:], corrected.predict(X[300:]))
    ...      > balanced_accuracy_score(y[300:], plain.predict(X[300:])))
    True
    >>> np.allclose(corrected.predict_proba(X[:3]).sum(axis=1), 1)
    True
    """

    # ``groups`` in fit's signature is passed on, not consumed: no set_fit_request(groups=)
    __metadata_request__fit = {"groups": UNUSED}

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit", "predict_proba"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    # the wrapped estimator's parameters are validated when its clone is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None, **fit_params):
        """Fit a clone of ``estimator`` and record the training class priors.

        Parameters
        ----------
        X : array-like, DataFrame or dict of windows
            Whatever ``estimator`` accepts.
        y : array-like of shape (n_samples,)
        groups : array-like of shape (n_samples,), default=None
            Subject of each row. With metadata routing enabled, routed like any
            other metadata (to an estimator that requests it); without, passed
            to ``estimator.fit`` when its signature names ``groups`` (e.g. a
            teacher or a per-group model) and left out otherwise.
        **fit_params : dict
            Passed to ``estimator.fit`` (through metadata routing when it is
            enabled).

        Returns
        -------
        self
        """
        y_arr = column_or_1d(y, warn=True)
        check_classification_targets(y_arr)
        if _routing_enabled():
            if groups is not None:
                fit_params["groups"] = groups
            fit_params = process_routing(self, "fit", **fit_params).estimator.fit
        elif groups is not None and "groups" in inspect.signature(self.estimator.fit).parameters:
            fit_params["groups"] = groups
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.classes_ = self.estimator_.classes_
        counts = np.array([np.sum(y_arr == c) for c in self.classes_], dtype=np.float64)
        if (counts == 0).any() or counts.sum() != len(y_arr):
            raise ValueError(
                "PriorCorrectedClassifier: the estimator's classes_ "
                f"{self.classes_.tolist()} do not match the training labels."
            )
        self.class_prior_ = counts / counts.sum()
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _corrected(self, X, params) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        if _routing_enabled():
            params = process_routing(self, "predict_proba", **params).estimator.predict_proba
        else:
            _raise_for_params(params, self, "predict_proba")
        proba = np.asarray(self.estimator_.predict_proba(X, **params), dtype=np.float64)
        return proba / self.class_prior_

    def predict_proba(self, X, **params) -> np.ndarray:
        """Prior-corrected probabilities, renormalised per row.

        Parameters
        ----------
        X : array-like
        **params : dict
            Routed to ``estimator.predict_proba`` (metadata routing only).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        q = self._corrected(X, params)
        total = q.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = q / total
        return np.where(total > 0, out, 1.0 / len(self.classes_))

    def predict_log_proba(self, X, **params) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X, **params))

    def predict(self, X, **params) -> np.ndarray:
        """``classes_[argmax_c p(c | x) / π_c]``.

        Parameters
        ----------
        X : array-like
        **params : dict
            Routed to ``estimator.predict_proba`` (metadata routing only).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        q = self._corrected(X, params)
        return self.classes_[np.argmax(q, axis=1)]

    def get_metadata_routing(self):
        """Route ``fit`` metadata to ``estimator.fit`` and predict metadata to ``predict_proba``."""
        mapping = (
            MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="predict", callee="predict_proba")
            .add(caller="predict_proba", callee="predict_proba")
            .add(caller="predict_log_proba", callee="predict_proba")
        )
        return MetadataRouter(owner=self.__class__.__name__).add(estimator=self.estimator, method_mapping=mapping)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.two_d_array = inner.input_tags.two_d_array
        tags.input_tags.dict = getattr(inner.input_tags, "dict", False)
        if inner.classifier_tags is not None:
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        tags.non_deterministic = inner.non_deterministic
        return tags
