"""Splitters and the evaluation tool: subject-independent comparison tables.

:func:`compare` is the one way skkd evaluates models against each other: every
model is fitted on the training subjects of each fold, over several seeds, and
scored on each held-out subject; the result holds the tidy per-subject scores,
the predictions, a summary (mean ± std over subjects), a chance row and paired
Wilcoxon tests against a reference row, Holm-corrected. :class:`WithinGroupSplit`
is the *personalized* protocol (earlier windows of a subject train, later ones
test).
"""

from __future__ import annotations

import inspect
import numbers
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import BaseCrossValidator, GroupKFold, LeaveOneGroupOut
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, _routing_enabled
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed

from skkd.utils._validation import invalid_parameter

__all__ = ["ComparisonResult", "WithinGroupSplit", "compare", "holm"]

#: number of random draws of the chance row (``DummyClassifier`` random_state d·n_folds + f)
N_CHANCE_DRAWS = 20
CHANCE = "chance"


class WithinGroupSplit(BaseCrossValidator):
    """Train on each subject's earlier windows, test on its later ones.

    The protocol of the *personalized* baseline: every group (subject) is cut in
    time, the first ``train_fraction`` of its windows go to training and the rest
    to testing, with ``gap`` windows left out between them so that overlapping
    windows (e.g. 60 s windows every 30 s, ``gap=1``) never share samples across
    the cut. Rows must be in time order within each group (the loaders return
    them so). One split.

    Examples
    --------
    >>> import numpy as np
    >>> groups = np.array(["a"] * 4 + ["b"] * 4)
    >>> train, test = next(WithinGroupSplit(gap=0).split(np.zeros(8), groups=groups))
    >>> train.tolist(), test.tolist()
    ([0, 1, 4, 5], [2, 3, 6, 7])
    """

    def __init__(self, train_fraction: float = 0.5, gap: int = 1):
        self.train_fraction = train_fraction
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return 1

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if not 0 < self.train_fraction < 1:
            raise ValueError(
                f"train_fraction must be in (0, 1), got {self.train_fraction!r}."
            )
        if not isinstance(self.gap, (int, np.integer)) or self.gap < 0:
            raise ValueError(f"gap must be a non-negative int, got {self.gap!r}.")
        if groups is None:
            raise ValueError("groups is required: one subject id per window.")
        groups = np.asarray(groups)
        if len(groups) != len(X):
            raise ValueError(f"groups has {len(groups)} values for {len(X)} windows.")
        train, test = [], []
        for g in dict.fromkeys(groups.tolist()):
            idx = np.flatnonzero(groups == g)
            n_train = int(np.floor(self.train_fraction * len(idx)))
            if n_train < 1 or len(idx) - n_train - self.gap < 1:
                raise ValueError(
                    f"group {g!r} has {len(idx)} windows: too few for train_fraction="
                    f"{self.train_fraction} and gap={self.gap}."
                )
            train.append(idx[:n_train])
            test.append(idx[n_train + self.gap:])
        yield np.concatenate(train), np.concatenate(test)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover - split is overridden
        for _, test in self.split(X, y, groups):
            yield test


# -- scores ------------------------------------------------------------------------


def _codes(values, labels: np.ndarray) -> np.ndarray:
    """Index of each value in the sorted ``labels``; -1 for a value not in it."""
    values = np.asarray(values)
    idx = np.clip(np.searchsorted(labels, values), 0, len(labels) - 1)
    return np.where(labels[idx] == values, idx, -1)


def _confusion(y_true, y_pred, labels) -> tuple[np.ndarray, np.ndarray]:
    """Confusion matrix over ``labels`` and the support of each true class.

    A prediction outside ``labels`` is a miss of its true class (no false positive).
    """
    labels = np.asarray(labels)
    k = len(labels)
    t, p = _codes(y_true, labels), _codes(y_pred, labels)
    if (t < 0).any():
        raise ValueError("compare: y_true holds a label outside the global label set.")
    ok = p >= 0
    cm = np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k)
    return cm, np.bincount(t, minlength=k)


def _balanced_accuracy(y_true, y_pred, labels) -> float:
    """Mean recall over the classes present in ``y_true`` (absent ones are undefined)."""
    cm, support = _confusion(y_true, y_pred, labels)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def _macro_f1(y_true, y_pred, labels) -> float:
    """Mean F1 over ``labels``, leaving out classes absent from both labels and predictions."""
    cm, support = _confusion(y_true, y_pred, labels)
    tp = np.diag(cm)
    denom = 2 * tp + (cm.sum(axis=0) - tp) + (support - tp)
    defined = denom > 0
    return float(np.mean(2 * tp[defined] / denom[defined]))


def _accuracy(y_true, y_pred, labels) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


#: column titles of the printed table
SHORT_NAMES = {"balanced_accuracy": "bal. acc.", "uar": "UAR", "macro_f1": "macro-F1",
               "accuracy": "accuracy"}

#: per-subject scores by name; each takes ``(y_true, y_pred, labels)``
SCORES: dict[str, Callable] = {
    "balanced_accuracy": _balanced_accuracy,
    "uar": _balanced_accuracy,
    "macro_f1": _macro_f1,
    "accuracy": _accuracy,
}


def _check_scoring(scoring) -> dict[str, Callable]:
    if isinstance(scoring, str):
        scoring = (scoring,)
    if isinstance(scoring, Mapping):
        items = list(scoring.items())
    else:
        items = []
        for name in scoring:
            if name not in SCORES:
                raise ValueError(
                    f"compare: unknown score {name!r}; use one of {sorted(SCORES)} or pass "
                    "a dict name -> callable(y_true, y_pred, labels)."
                )
            items.append((name, SCORES[name]))
    if not items or not all(isinstance(k, str) and callable(f) for k, f in items):
        raise ValueError(
            "compare: scoring must be a score name, a sequence of names or a non-empty dict "
            f"name -> callable(y_true, y_pred, labels); got {scoring!r}."
        )
    return dict(items)


# -- Holm ----------------------------------------------------------------------------


@validate_params({"pvalues": ["array-like"]}, prefer_skip_nested_validation=True)
def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons.

    The *i*-th smallest of *m* p-values is multiplied by ``m - i + 1``; the
    adjusted values are made non-decreasing in that order and capped at 1.
    NaN p-values (a test that could not be run) stay NaN and do not count in
    *m*. Reject a hypothesis at level α when its adjusted p-value is ≤ α: this
    controls the family-wise error rate without assuming independence.

    Parameters
    ----------
    pvalues : array-like of shape (m,)
        Values in [0, 1], or NaN for a test that could not be run.

    Returns
    -------
    ndarray of shape (m,)
        Adjusted p-values, in the input order.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    try:
        p = np.asarray(pvalues, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_parameter("holm", "pvalues", "numbers", pvalues) from None
    if p.ndim != 1:
        raise invalid_parameter("holm", "pvalues", "1-D", pvalues)
    bad = (p < 0) | (p > 1)  # NaN compares False: allowed
    if bad.any():
        raise invalid_parameter("holm", "pvalues", "in [0, 1] (or NaN)", float(p[bad][0]))
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _paired_wilcoxon(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of ``a - b`` (zero differences dropped)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[~np.isnan(d)]
    if d.size == 0:
        return np.nan, np.nan
    if np.all(d == 0):
        return 0.0, 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = wilcoxon(d, zero_method="wilcox", alternative="two-sided")
    return float(res.statistic), float(res.pvalue)


# -- models and seeds ----------------------------------------------------------------


def _seeded(model, seed: int, name: str):
    """An unfitted estimator for ``seed``: a factory's output, or a clone with seeds set."""
    if isinstance(model, type):
        raise TypeError(
            f"compare: model {name!r} is a class ({model.__name__}); pass an instance or a "
            "function seed -> estimator."
        )
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        est = clone(model)
        params = est.get_params(deep=True)
        keys = [
            k for k in params
            if k.rsplit("__", 1)[-1] == "random_state" and not _under_frozen(params, k)
        ]
        if keys:
            est.set_params(**{k: seed for k in keys})
        return est
    if callable(model):
        est = model(seed)
        if not hasattr(est, "fit"):
            raise TypeError(
                f"compare: the factory of model {name!r} returned {type(est).__name__}, "
                "not an estimator."
            )
        return est
    raise TypeError(
        f"compare: model {name!r} must be an estimator or a function seed -> estimator, "
        f"got {type(model).__name__}."
    )


def _under_frozen(params: dict, key: str) -> bool:
    parts = key.split("__")
    return any(
        isinstance(params.get("__".join(parts[:i])), FrozenEstimator) for i in range(1, len(parts))
    )


def _scalers(estimator) -> list:
    from skkd.features._subject import SubjectStandardScaler

    found = [estimator] if isinstance(estimator, SubjectStandardScaler) else []
    if hasattr(estimator, "get_params"):
        found += [v for v in estimator.get_params(deep=True).values()
                  if isinstance(v, SubjectStandardScaler)]
    return found


def _normalisation(estimator) -> str:
    """How ``estimator`` normalises per subject, from the SubjectStandardScaler(s) it holds."""
    from skkd.features._subject import describe_calibration

    found = dict.fromkeys(describe_calibration(s.calibration) for s in _scalers(estimator))
    return "; ".join(found) if found else "none"


# -- metadata -----------------------------------------------------------------------


def _route(estimator, params: dict) -> tuple[dict, dict]:
    """Metadata for ``estimator.fit`` and ``estimator.predict`` (full-length values)."""
    if _routing_enabled():
        router = MetadataRouter(owner="compare").add(
            estimator=estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit")
            .add(caller="predict", callee="predict"),
        )
        fit = router.route_params(caller="fit", params=params).estimator.fit
        predict = router.route_params(caller="predict", params=params).estimator.predict
        return dict(fit), dict(predict)
    # without routing: like cross_validate, extra params go to fit; groups go to
    # fit/predict only when they name it in their signature
    fit = {k: v for k, v in params.items() if k != "groups"}
    predict = {}
    if _accepts(estimator.fit, "groups"):
        fit["groups"] = params["groups"]
    if hasattr(estimator, "predict") and _accepts(estimator.predict, "groups"):
        predict["groups"] = params["groups"]
    return fit, predict


def _accepts(method, name: str) -> bool:
    try:
        parameter = inspect.signature(method).parameters.get(name)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _take(params: dict, idx: np.ndarray, n: int) -> dict:
    """Rows ``idx`` of every per-row value of ``params``; other values unchanged."""
    out = {}
    for key, value in params.items():
        if value is not None and hasattr(value, "__len__") and not isinstance(value, str) \
                and len(value) == n:
            out[key] = _safe_indexing(value, idx)
        else:
            out[key] = value
    return out


def _fit_predict(estimator, X, y, train, test, fit_params, predict_params):
    """Fit on the training rows, predict the test rows. ``y[test]`` is never read."""
    t0 = time.perf_counter()
    estimator.fit(_safe_indexing(X, train), y[train], **fit_params)
    t1 = time.perf_counter()
    y_pred = np.asarray(estimator.predict(_safe_indexing(X, test), **predict_params))
    return y_pred, t1 - t0, time.perf_counter() - t1


# -- the result ---------------------------------------------------------------------


@dataclass(repr=False)
class ComparisonResult:
    """What :func:`compare` returns: tidy scores, predictions, summary, tests and a header.

    Attributes
    ----------
    scores : DataFrame
        One row per model × seed × held-out subject: ``model, seed, fold,
        subject, n_windows``, one column per score, ``fit_time`` (seconds, the
        fold's fit). The chance row's draws are its seeds.
    predictions : DataFrame
        One row per model × seed × test window (chance row excluded): ``model,
        seed, fold, subject, row`` (position in ``X``), ``y_true, y_pred``.
    summary : DataFrame
        Indexed by model (the chance row last): for each score ``S``,
        ``S_mean`` and ``S_std`` over subjects (each subject's score averaged
        over seeds first; std with ddof=0), ``S_seed_std`` (std over seeds of
        the mean over subjects), ``S_diff`` (mean paired difference to the
        reference), ``S_p`` and ``S_p_holm``; then ``n_subjects``,
        ``n_seeds``, ``normalisation``, ``fit_time`` (mean per fold).
    tests : DataFrame
        One row per model (not the reference, not chance) × score:
        ``model, score, reference, n_subjects, mean_diff, statistic, p_value,
        p_holm`` — two-sided Wilcoxon signed-rank over subjects, Holm-adjusted
        across the models of each score.
    reference : str or None
    header : dict
        ``dataset, protocol, normalisation, seeds, chance, tests`` (and
        ``notes``): the lines printed above the table.
    labels : ndarray
        The global label set every per-subject score uses.
    """

    scores: pd.DataFrame
    predictions: pd.DataFrame
    summary: pd.DataFrame
    tests: pd.DataFrame
    reference: str | None
    header: dict = field(default_factory=dict)
    labels: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def score_names(self) -> list[str]:
        """The scores, in the order given to :func:`compare`."""
        return [c[: -len("_mean")] for c in self.summary.columns if c.endswith("_mean")]

    def table(self, digits: int = 3) -> pd.DataFrame:
        """The summary as printed: ``mean ± std`` and Holm-adjusted p per score."""
        rows = {}
        for model, row in self.summary.iterrows():
            shown = str(model)
            if "transductive" in str(row["normalisation"]) and "transductive" not in shown:
                shown += " [transductive]"
            if model == self.reference:
                shown += " (ref)"
            cells = {}
            for s in self.score_names:
                label = SHORT_NAMES.get(s, s)
                cells[label] = f"{row[f'{s}_mean']:.{digits}f} ± {row[f'{s}_std']:.{digits}f}"
                p = row[f"{s}_p_holm"]
                cells[f"p {label}"] = "-" if pd.isna(p) else f"{p:.{digits}f}"
            if self.summary.loc[self.summary.index != CHANCE, "normalisation"].nunique() > 1:
                cells["normalisation"] = row["normalisation"]
            rows[shown] = cells
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "model"
        return frame

    def to_string(self, digits: int = 3) -> str:
        """The header lines (data set, protocol, normalisation, seeds, ...) and the table."""
        width = max(len(k) for k in self.header) if self.header else 0
        lines = [f"{k.capitalize():<{width}} : {v}" for k, v in self.header.items()]
        return "\n".join([*lines, "", self.table(digits).to_string()])

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return self.to_string()


# -- compare ------------------------------------------------------------------------


@validate_params(
    {
        "models": "no_validation",  # a non-empty dict, checked below
        "X": "no_validation",
        "y": ["array-like"],
        "groups": "no_validation",  # required, checked below
        "cv": [None, Interval(numbers.Integral, 2, None, closed="left"), HasMethods(["split"])],
        "seeds": [numbers.Integral, "array-like"],
        "scoring": "no_validation",  # names or callables, checked below
        "reference": [str, None],
        "chance": [StrOptions({"stratified", "uniform", "most_frequent", "prior"}), None],
        "params": [Mapping, None],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
        "dataset": [str, None],
        "normalisation": [str, None],
        "notes": [str, None],
        "group_name": [str],
    },
    prefer_skip_nested_validation=False,  # the models validate their own parameters
)
def compare(
    models,
    X,
    y,
    groups,
    *,
    cv=None,
    seeds: Sequence[int] = (0,),
    scoring=("balanced_accuracy", "macro_f1"),
    reference: str | None = None,
    chance: str | None = "stratified",
    params: Mapping | None = None,
    n_jobs: int | None = None,
    verbose: int = 1,
    dataset: str | None = None,
    normalisation: str | None = None,
    notes: str | None = None,
    group_name: str = "subject",
) -> ComparisonResult:
    """Compare models by subject: per-subject scores, seeds, chance, paired Holm-corrected tests.

    For every model, seed and fold of ``cv`` (leave-one-subject-out by
    default), a fresh estimator is fitted on the training rows — with the
    training labels only; the held-out labels reach no fit — and predicts the
    test rows. Each held-out subject is scored on its own windows with the
    **global** label set (the classes of ``y``): a class absent from both a
    subject's labels and its predictions is left out of that subject's macro
    average, a class predicted but absent counts as an error, and balanced
    accuracy is the mean recall over the classes the subject shows. Fits run
    through :mod:`joblib` (``n_jobs``; inside ``joblib.parallel_backend("dask")``
    they run on a dask cluster).

    Parameters
    ----------
    models : dict of str -> estimator or callable
        The rows of the table. An estimator is cloned for each seed and every
        ``random_state`` parameter in it (nested ``*__random_state`` ones
        included, except under a ``FrozenEstimator``) is set to the seed; a
        callable ``seed -> estimator`` builds the seed's estimator itself (for
        networks and anything seeded another way). Either way the estimator
        is cloned for every fold.
    X : array-like, DataFrame or :class:`~skkd.Modalities`
        Indexed with ``sklearn.utils._safe_indexing`` (rows).
    y : array-like of shape (n_samples,)
    groups : array-like of shape (n_samples,)
        Subject of each row: it defines the splits and the per-subject scores.
    cv : splitter, int or None, default=None
        ``None``: :class:`~sklearn.model_selection.LeaveOneGroupOut`; an int:
        ``GroupKFold(cv)``; else any splitter taking ``groups``.
    seeds : sequence of int, default=(0,)
        Use ≥ 5 for neural models. Scores are averaged over seeds per subject
        before the mean and std over subjects.
    scoring : str, sequence of str or dict, default=("balanced_accuracy", "macro_f1")
        Names from ``"balanced_accuracy"`` (alias ``"uar"``), ``"macro_f1"``,
        ``"accuracy"``, or a dict name -> ``callable(y_true, y_pred, labels)``.
        The tests use every score.
    reference : str, default=None
        Name of the row every other row is tested against; ``None``: the first
        model.
    chance : {"stratified", "uniform", "most_frequent", "prior"} or None, default="stratified"
        Adds a ``"chance"`` row: ``DummyClassifier(strategy=chance)`` fitted on
        each fold's training labels, averaged over 20 draws (draw *d*, fold *f*:
        ``random_state = d * n_folds + f``); its seeds are the draws. Random
        guessing has expected balanced accuracy ``1 / n_classes`` (the header
        states that analytic value too). The row is not tested. ``None``: no
        chance row.
    params : dict, default=None
        Extra per-row metadata (e.g. ``{"time": meta["t_start"]}``), indexed
        by fold like ``groups``. With metadata routing enabled
        (``sklearn.set_config(enable_metadata_routing=True)``), ``params`` and
        ``groups`` are routed to ``fit`` and ``predict`` of each model as
        requested (``set_fit_request``/``set_transform_request``/...), so a
        :class:`~skkd.features.SubjectStandardScaler` in a pipeline gets the
        training subjects at fit time and the test subjects at predict time;
        as in ``cross_validate``, a model whose ``fit`` names ``groups``
        (e.g. :class:`~skkd.estimators.TeacherClassifier`) must then say
        whether it wants them (``set_fit_request(groups=True)`` or ``False``).
        Without routing, ``params`` go to ``fit`` (as in ``cross_validate``)
        and ``groups`` to ``fit``/``predict`` of a model whose signature names
        ``groups``. Only the test rows' metadata reach ``predict``; labels
        never do.
    n_jobs : int, default=None
        Fits in parallel (joblib); ``None`` is 1 unless a joblib backend
        context says otherwise.
    verbose : int, default=1
        0: silent; 1: a progress bar (stderr); 2: also one line per model ×
        seed × fold.
    dataset, normalisation, notes : str, default=None
        Printed in the header. ``normalisation=None`` describes each model's
        :class:`~skkd.features.SubjectStandardScaler` calibration (a model
        using ``calibration="all"`` is marked transductive in the table).
    group_name : str, default="subject"
        What a group is, for the header ("speaker", ...).

    Returns
    -------
    ComparisonResult
        ``scores`` (tidy), ``predictions``, ``summary``, ``tests``, ``header``;
        ``print(result)`` shows the header and the table.

    Examples
    --------
    Six subjects whose features carry the label, a forest and a prior-only model:

    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat([f"S{i}" for i in range(6)], 30)
    >>> y = np.tile(np.r_[np.zeros(20, int), np.ones(10, int)], 6)
    >>> X = rng.normal(size=(180, 4)) + y[:, None]
    >>> result = compare({"forest": RandomForestClassifier(n_estimators=20),
    ...                   "prior": DummyClassifier(strategy="prior")},
    ...                  X, y, groups, seeds=(0, 1), reference="forest",
    ...                  dataset="toy", verbose=0)
    >>> result.scores.shape   # (2 models × 2 seeds + 20 chance draws) × 6 subjects
    (144, 8)
    >>> print(result)  # doctest: +NORMALIZE_WHITESPACE
    Dataset       : toy (180 windows, 6 subjects, 2 classes)
    Protocol      : LeaveOneGroupOut() by subject (6 folds); scores per held-out subject, mean ± std over subjects
    Normalisation : none
    Seeds         : 0, 1 (each subject's scores averaged over seeds)
    Chance        : DummyClassifier(strategy='stratified'), 20 draws; analytic balanced accuracy 1/2 = 0.500
    Tests         : two-sided Wilcoxon signed-rank over subjects vs 'forest', Holm-corrected over 1 row(s) per score
    <BLANKLINE>
                      bal. acc. p bal. acc.       macro-F1 p macro-F1
    model
    forest (ref)  0.754 ± 0.054           -  0.762 ± 0.058          -
    prior         0.500 ± 0.000       0.031  0.400 ± 0.000      0.031
    chance        0.501 ± 0.026           -  0.496 ± 0.026          -
    >>> result.tests[["model", "score", "p_value", "p_holm"]].round(3)
       model              score  p_value  p_holm
    0  prior  balanced_accuracy    0.031   0.031
    1  prior           macro_f1    0.031   0.031
    """
    if not isinstance(models, Mapping) or not models:
        raise TypeError("compare: models must be a non-empty dict name -> estimator or factory.")
    entries = {str(k): v for k, v in models.items()}
    names = list(entries)
    if len(names) != len(models):
        raise ValueError(f"compare: model names must be unique as text, got {list(models)}.")
    if chance is not None and CHANCE in names:
        raise ValueError(f"compare: {CHANCE!r} names the chance row; rename that model.")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"compare: y must be 1-D, got shape {y.shape}.")
    n = len(y)
    if groups is None:
        raise ValueError("compare: groups is required (the subject of each row).")
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ValueError(f"compare: groups must be 1-D with {n} values, got shape {groups.shape}.")
    if len(X) != n:
        raise ValueError(f"compare: X has {len(X)} rows, y has {n}.")
    labels = np.unique(y)
    scores_fn = _check_scoring(scoring)
    seeds = [seeds] if isinstance(seeds, numbers.Integral) else list(seeds)
    if not seeds or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                            for s in seeds):
        raise ValueError(f"compare: seeds must be a non-empty sequence of ints, got {seeds!r}.")
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"compare: seeds must be distinct, got {seeds}.")
    if reference is None:
        reference = names[0]
    elif reference not in names:
        raise ValueError(f"compare: reference {reference!r} is not one of the models {names}.")
    if cv is None:
        cv = LeaveOneGroupOut()
    elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        cv = GroupKFold(n_splits=int(cv))
    if not hasattr(cv, "split"):
        raise TypeError(f"compare: cv must be a splitter, an int or None, got {cv!r}.")
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]
    if not splits:
        raise ValueError("compare: cv gave no split.")
    meta = dict(params or {})
    if "groups" in meta:
        raise ValueError("compare: pass groups as the groups argument, not in params.")
    meta["groups"] = groups

    # one estimator per model and seed; routed metadata per model
    tasks, info, routed_keys, norms = [], [], set(), {}
    for name in names:
        for seed in seeds:
            est = _seeded(entries[name], seed, name)
            norms.setdefault(name, _normalisation(est))
            fit_meta, predict_meta = _route(est, meta)
            routed_keys |= set(fit_meta) | set(predict_meta)
            for fold, (train, test) in enumerate(splits):
                tasks.append((clone(est), X, y, train, test,
                              _take(fit_meta, train, n), _take(predict_meta, test, n)))
                info.append((name, seed, fold))
    unused = set(params or {}) - routed_keys
    if unused and _routing_enabled():
        raise TypeError(
            f"compare: params {sorted(unused)} are not requested by any model (set their "
            "requests with set_fit_request/set_transform_request/...)."
        )

    results = _run(tasks, info, splits, groups, n_jobs, verbose)

    score_rows, pred_parts = [], []
    for (name, seed, fold), (y_pred, fit_time, _) in zip(info, results):
        test = splits[fold][1]
        score_rows += _subject_scores(name, seed, fold, test, y, y_pred, groups, labels,
                                      scores_fn, fit_time)
        pred_parts.append(pd.DataFrame({
            "model": name, "seed": seed, "fold": fold, "subject": groups[test], "row": test,
            "y_true": y[test], "y_pred": y_pred}))
    if chance is not None:
        blank = np.zeros((n, 1))
        for draw in range(N_CHANCE_DRAWS):
            for fold, (train, test) in enumerate(splits):
                dummy = DummyClassifier(strategy=chance,
                                        random_state=draw * len(splits) + fold)
                y_pred, fit_time, _ = _fit_predict(dummy, blank, y, train, test, {}, {})
                score_rows += _subject_scores(CHANCE, draw, fold, test, y, y_pred, groups,
                                              labels, scores_fn, fit_time)
        norms[CHANCE] = "-"
    scores = pd.DataFrame(score_rows)
    predictions = pd.concat(pred_parts, ignore_index=True)
    summary, tests = _summarise(scores, [*names, *([CHANCE] if chance else [])], reference,
                                list(scores_fn), norms, seeds)

    n_groups = len(np.unique(groups))
    overlap = any(np.intersect1d(groups[tr], groups[te]).size for tr, te in splits)
    protocol = (f"{cv!r} by {group_name} ({len(splits)} fold{'s' * (len(splits) > 1)}); "
                f"scores per held-out {group_name}, mean ± std over {group_name}s")
    if overlap:
        protocol += f" [NOT {group_name}-independent: test {group_name}s are also in training]"
    distinct = dict.fromkeys(v for k, v in norms.items() if k != CHANCE)
    header = {
        "dataset": f"{dataset + ' ' if dataset else ''}({n} windows, {n_groups} "
                   f"{group_name}s, {len(labels)} classes)",
        "protocol": protocol,
        "normalisation": normalisation if normalisation is not None else (
            next(iter(distinct)) if len(distinct) == 1 else "per model (see column)"),
        "seeds": f"{', '.join(map(str, seeds))} (each {group_name}'s scores averaged over seeds)",
    }
    if chance is not None:
        header["chance"] = (f"DummyClassifier(strategy={chance!r}), {N_CHANCE_DRAWS} draws; "
                            f"analytic balanced accuracy 1/{len(labels)} = {1 / len(labels):.3f}")
    n_tested = len(names) - 1
    header["tests"] = (
        f"two-sided Wilcoxon signed-rank over {group_name}s vs {reference!r}, Holm-corrected "
        f"over {n_tested} row(s) per score" if n_tested else "none (one model)")
    if notes:
        header["notes"] = notes
    return ComparisonResult(scores=scores, predictions=predictions, summary=summary,
                            tests=tests, reference=reference, header=header, labels=labels)


def _run(tasks, info, splits, groups, n_jobs, verbose):
    """Run the fits (unordered through joblib when it can), return results in task order."""
    from tqdm.auto import tqdm

    results = [None] * len(tasks)
    indexed = [delayed(_indexed)(i, *args) for i, args in enumerate(tasks)]
    bar = tqdm(total=len(tasks), desc="compare", unit="fit", disable=verbose < 1,
               file=sys.stderr, leave=False)
    try:
        try:
            stream = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(indexed)
        except ValueError:  # a backend that cannot stream results (multiprocessing)
            stream = Parallel(n_jobs=n_jobs)(indexed)
        for i, out in stream:
            results[i] = out
            bar.update()
            if verbose >= 2:
                name, seed, fold = info[i]
                subjects = ", ".join(map(str, dict.fromkeys(groups[splits[fold][1]].tolist())))
                bar.write(f"[compare] {name} seed={seed} fold {fold + 1}/{len(splits)} "
                          f"({subjects}): fit {out[1]:.1f} s", file=sys.stderr)
    finally:
        bar.close()
    return results


def _indexed(i, *args):
    return i, _fit_predict(*args)


def _subject_scores(name, seed, fold, test, y, y_pred, groups, labels, scores_fn, fit_time):
    rows = []
    g_test = groups[test]
    for g in dict.fromkeys(g_test.tolist()):
        m = g_test == g
        row = {"model": name, "seed": seed, "fold": fold, "subject": g,
               "n_windows": int(m.sum())}
        for s, fn in scores_fn.items():
            row[s] = float(fn(y[test][m], y_pred[m], labels))
        row["fit_time"] = fit_time
        rows.append(row)
    return rows


def _summarise(scores, names, reference, metrics, norms, seeds):
    per_subject = scores.groupby(["model", "subject"], sort=False)[metrics].mean()
    per_seed = scores.groupby(["model", "seed"], sort=False)[metrics].mean()
    ref = per_subject.loc[reference]
    rows, tests = {}, []
    for name in names:
        sub = per_subject.loc[name]
        row = {}
        for s in metrics:
            row[f"{s}_mean"] = float(sub[s].mean())
            row[f"{s}_std"] = float(sub[s].std(ddof=0))
            row[f"{s}_seed_std"] = float(per_seed.loc[name][s].std(ddof=0))
            common = sub.index.intersection(ref.index)
            row[f"{s}_diff"] = float((sub.loc[common, s] - ref.loc[common, s]).mean())
            row[f"{s}_p"] = np.nan
            row[f"{s}_p_holm"] = np.nan
            if name not in (reference, CHANCE):
                stat, p = _paired_wilcoxon(sub.loc[common, s].to_numpy(),
                                           ref.loc[common, s].to_numpy())
                tests.append({"model": name, "score": s, "reference": reference,
                              "n_subjects": len(common), "mean_diff": row[f"{s}_diff"],
                              "statistic": stat, "p_value": p})
                row[f"{s}_p"] = p
        model_rows = scores[scores["model"] == name]
        row["n_subjects"] = int(sub.shape[0])
        row["n_seeds"] = int(model_rows["seed"].nunique())
        row["normalisation"] = norms.get(name, "-")
        row["fit_time"] = float(model_rows.groupby(["seed", "fold"])["fit_time"].first().mean())
        rows[name] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "model"
    tests = pd.DataFrame(tests, columns=["model", "score", "reference", "n_subjects",
                                         "mean_diff", "statistic", "p_value"])
    tests["p_holm"] = np.nan
    for s in metrics:
        m = tests["score"] == s
        tests.loc[m, "p_holm"] = holm(tests.loc[m, "p_value"].to_numpy(dtype=float))
        for _, t in tests[m].iterrows():
            summary.loc[t["model"], f"{s}_p_holm"] = t["p_holm"]
    return summary, tests
