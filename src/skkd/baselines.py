"""Classical and per-group baselines: random forest, SVM, personalized and demographic models.

``make_rf_baseline``/``make_svm_baseline`` are the classical rows of every
benchmark table (feature tables in, labels out). :class:`PerGroupClassifier`
fits one model per group — per subject (*personalized*, evaluated with
:class:`skkd.model_selection.WithinGroupSplit`: earlier windows train, later
windows test) or per demographic group (age band, gender, STAI level… under a
subject-independent split) — and falls back to the *aggregate* model, the plain
estimator fitted on every row, for groups it cannot model.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions, validate_params
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.utils._validation import POSITIVE_INT, POSITIVE_REAL

__all__ = [
    "PerGroupClassifier",
    "make_minirocket_baseline",
    "make_rf_baseline",
    "make_svm_baseline",
]


@validate_params(
    {"n_estimators": [POSITIVE_INT], "random_state": ["random_state"], "n_jobs": [Integral, None]},
    prefer_skip_nested_validation=True,
)
def make_rf_baseline(
    n_estimators: int = 300, *, random_state: int | None = 0, n_jobs: int | None = None
) -> Pipeline:
    """Median imputation and a class-balanced random forest on a feature table.

    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> make_rf_baseline(n_estimators=20).fit(X, y).score(X, y) > 0.9
    True
    """
    forest = RandomForestClassifier(
        n_estimators=n_estimators,
        min_samples_leaf=2,
        class_weight="balanced",
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return make_pipeline(SimpleImputer(strategy="median"), forest)


@validate_params(
    {"C": [POSITIVE_REAL], "random_state": ["random_state"]}, prefer_skip_nested_validation=True
)
def make_svm_baseline(C: float = 1.0, *, random_state: int | None = 0) -> Pipeline:
    """Median imputation, standardisation and a class-balanced RBF SVM with probabilities.

    Probabilities come from Platt scaling fitted on internal cross-validation
    (``CalibratedClassifierCV(ensemble=False)``, what ``SVC(probability=True)`` did).

    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> make_svm_baseline().fit(X, y).predict_proba(X).shape
    (60, 2)
    """
    svm = CalibratedClassifierCV(
        SVC(C=C, kernel="rbf", class_weight="balanced", random_state=random_state),
        method="sigmoid",
        ensemble=False,
    )
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), svm)


@validate_params(
    {
        "num_kernels": [POSITIVE_INT],  # MiniRocketFeatures needs at least 84 (checked at fit)
        "classifier": [StrOptions({"ridge", "logistic"})],
        "backend": [StrOptions({"auto", "sktime", "aeon"})],
        "n_jobs": [Integral],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_minirocket_baseline(
    num_kernels: int = 10_000,
    *,
    classifier: str = "ridge",
    backend: str = "auto",
    n_jobs: int = 1,
    random_state: int | None = 0,
) -> Pipeline:
    """MiniRocket on raw windows ``(n, c, T)``, then a class-balanced linear classifier.

    The time-series classifier users pick instead of hand-crafted features
    (Dempster, Schmidt & Webb, KDD 2021):
    :class:`~skkd.features.MiniRocketFeatures` (sktime's or aeon's transform,
    ``pip install 'skkd[rocket]'``), then ``classifier="ridge"`` —
    ``StandardScaler(with_mean=False)`` and ``RidgeClassifierCV`` over
    ``alphas=logspace(-3, 3, 10)``, the paper's choice — or
    ``classifier="logistic"`` — standardisation and ``LogisticRegression(C=0.1)``
    (which gives ``predict_proba``) — both with ``class_weight="balanced"``.
    Stack modalities of the same rate as channels first, e.g.
    ``np.concatenate([X["eda"], X["temp"]], axis=1)``.

    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(40, 2, 120)); y = np.arange(40) % 2
    >>> make_minirocket_baseline(num_kernels=168).fit(X, y).predict(X[:3])  # doctest: +SKIP
    array([0, 1, 0])
    """
    from sklearn.linear_model import LogisticRegression, RidgeClassifierCV

    from skkd.features._rocket import MiniRocketFeatures

    rocket = MiniRocketFeatures(num_kernels, backend=backend, n_jobs=n_jobs,
                                random_state=random_state)
    if classifier == "ridge":
        head = [StandardScaler(with_mean=False),
                RidgeClassifierCV(alphas=np.logspace(-3, 3, 10), class_weight="balanced")]
    else:  # "logistic"
        head = [StandardScaler(),
                LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000)]
    return make_pipeline(rocket, *head)


def _group_masks(values: np.ndarray):
    """Yield (group value, row mask) for each distinct value, NaN included as one group."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    for i, g in enumerate(uniques):
        yield g, codes == i


class PerGroupClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """One classifier per group, with the aggregate model as fallback.

    Parameters
    ----------
    estimator : classifier, default=None
        Cloned for every group and for the aggregate model; ``None`` means
        :func:`make_rf_baseline`.
    by : str, int or None, default=None
        Where the group values come from: ``None`` — the ``groups`` argument of
        ``fit``/``predict``/``predict_proba`` (routable with sklearn metadata
        routing: ``set_fit_request(groups=True)``); a column name of a
        DataFrame ``X`` or a column index of an array ``X`` — the column travels
        with the rows through cross-validation.
    drop_by : bool, default=True
        Remove the ``by`` column from the features the models see.
    fallback : {"aggregate", "error"}, default="aggregate"
        For a group unseen in ``fit``, or one with fewer than ``min_samples``
        windows or a single class: use the aggregate model (``"aggregate"``,
        with one warning at fit naming the groups) or raise ``ValueError``.
    min_samples : int, default=10
        Fewest training windows for a group to get its own model.

    Attributes
    ----------
    classes_ : ndarray
    estimators_ : dict
        Group value -> fitted clone of ``estimator``.
    aggregate_ : estimator or None
        The estimator fitted on every row (``None`` when ``fallback="error"``).
    fallback_groups_ : list
        Training groups that use the aggregate model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"hr": rng.normal(size=80), "gender": np.repeat(["f", "m"], 40)})
    >>> y = (X["hr"] > 0).astype(int)
    >>> clf = PerGroupClassifier(by="gender", min_samples=5).fit(X, y)
    >>> sorted(clf.estimators_)
    ['f', 'm']
    >>> clf.predict(X.iloc[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit", "predict"])],
        "by": [None, str, Integral],
        "drop_by": ["boolean"],
        "fallback": [StrOptions({"aggregate", "error"})],
        "min_samples": [POSITIVE_INT],
    }

    def __init__(self, estimator=None, *, by=None, drop_by: bool = True,
                 fallback: str = "aggregate", min_samples: int = 10):
        self.estimator = estimator
        self.by = by
        self.drop_by = drop_by
        self.fallback = fallback
        self.min_samples = min_samples

    # -- helpers -----------------------------------------------------------
    def _split_groups(self, X, groups):
        """Return (features, group values as an object array)."""
        if self.by is None:
            if groups is None:
                raise ValueError(
                    "groups is required when by=None: pass groups=... (one value per "
                    "window) or name the group column with by=."
                )
            groups = np.asarray(groups)
            if groups.ndim != 1 or len(groups) != len(X):
                raise ValueError(
                    f"groups must be 1-D with one value per row of X ({len(X)}), got "
                    f"shape {groups.shape}."
                )
            return X, groups
        if groups is not None:
            raise ValueError("Pass either by= (a column of X) or groups=, not both.")
        if isinstance(X, pd.DataFrame):
            if self.by not in X.columns:
                raise ValueError(
                    f"by={self.by!r} is not a column of X; columns: {list(X.columns)}."
                )
            values = X[self.by].to_numpy()
            features = X.drop(columns=[self.by]) if self.drop_by else X
            return features, values
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-D (windows, features), got shape {arr.shape}.")
        if not isinstance(self.by, (int, np.integer)) or not -arr.shape[1] <= self.by < arr.shape[1]:
            raise ValueError(
                f"by={self.by!r} must be a column index of X (shape {arr.shape}) when X "
                "is an array."
            )
        values = arr[:, self.by]
        features = np.delete(arr, self.by, axis=1) if self.drop_by else arr
        return features, values

    def _check_input(self, X, y=None, *, reset):
        """Validate ``X`` (arrays through sklearn, DataFrames kept with their dtypes)."""
        if isinstance(X, pd.DataFrame):
            if X.shape[0] == 0:
                raise ValueError("X has 0 rows; at least one window is required.")
            if reset:
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
                self.n_features_in_ = X.shape[1]
            elif list(X.columns) != list(self.feature_names_in_):
                raise ValueError(
                    "X columns differ from those seen in fit: expected "
                    f"{list(self.feature_names_in_)}, got {list(X.columns)}."
                )
            if y is None:
                return X, None
            y = np.asarray(y)
            if len(y) != len(X):
                raise ValueError(f"y has {len(y)} labels for {len(X)} rows of X.")
            return X, y
        if y is None:
            return validate_data(self, X, reset=reset, ensure_all_finite="allow-nan"), None
        return validate_data(self, X, y, reset=reset, ensure_all_finite="allow-nan")

    @staticmethod
    def _rows(X, mask):
        return X[mask] if not isinstance(X, pd.DataFrame) else X.loc[mask]

    # -- API -----------------------------------------------------------------
    # the wrapped estimator's parameters are validated when its clones are fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None):
        """Fit the aggregate model and one model per eligible group."""
        X_arr, y = self._check_input(X, y, reset=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        features, values = self._split_groups(X_arr, groups)
        base = make_rf_baseline() if self.estimator is None else self.estimator
        self.aggregate_ = clone(base).fit(features, y) if self.fallback == "aggregate" else None

        self.estimators_: dict[Hashable, object] = {}
        self.fallback_groups_: list = []
        for g, mask in _group_masks(values):
            y_g = y[mask]
            if mask.sum() < self.min_samples or len(np.unique(y_g)) < 2:
                if self.fallback == "error":
                    raise ValueError(
                        f"group {g!r} has {mask.sum()} windows and "
                        f"{len(np.unique(y_g))} class(es); at least min_samples="
                        f"{self.min_samples} windows and two classes are needed "
                        "(or use fallback='aggregate')."
                    )
                self.fallback_groups_.append(g)
                continue
            self.estimators_[g] = clone(base).fit(self._rows(features, mask), y_g)
        if self.fallback_groups_:
            shown = self.fallback_groups_[:10]
            more = "" if len(self.fallback_groups_) <= 10 else f" and {len(self.fallback_groups_) - 10} more"
            warnings.warn(
                f"PerGroupClassifier: groups {shown}{more} have fewer than "
                f"min_samples={self.min_samples} windows or a single class; they use "
                "the aggregate model.",
                UserWarning,
                stacklevel=3,  # past _fit_context: the caller of fit
            )
        return self

    def _model_for(self, g):
        model = self.estimators_.get(g)
        if model is not None:
            return model
        if self.aggregate_ is None:
            raise ValueError(
                f"group {g!r} was not seen in fit and fallback='error'; seen groups: "
                f"{sorted(map(str, self.estimators_))[:20]}."
            )
        return self.aggregate_

    def _per_group(self, X, groups, method):
        check_is_fitted(self, "estimators_")
        X_arr, _ = self._check_input(X, reset=False)
        features, values = self._split_groups(X_arr, groups)
        out = None
        for g, mask in _group_masks(values):
            model = self._model_for(g)
            part = getattr(model, method)(self._rows(features, mask))
            if method == "predict_proba":
                full = np.zeros((mask.sum(), len(self.classes_)))
                cols = np.searchsorted(self.classes_, model.classes_)
                full[:, cols] = part
                part = full
            if out is None:
                shape = (len(values),) + np.shape(part)[1:]
                out = np.empty(shape, dtype=np.result_type(part, self.classes_) if method == "predict" else float)
            out[mask] = part
        return out

    def predict(self, X, groups=None):
        """Predict each row with its group's model (or the aggregate fallback)."""
        return self._per_group(X, groups, "predict")

    def predict_proba(self, X, groups=None):
        """Class probabilities, columns ordered as ``classes_``."""
        return self._per_group(X, groups, "predict_proba")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = make_rf_baseline() if self.estimator is None else self.estimator
        tags.input_tags.allow_nan = get_tags(base).input_tags.allow_nan
        return tags
