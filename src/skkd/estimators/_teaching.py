"""The teacher of one student fit, resolved once: unwrapped, fitted, asked for targets.

Soft targets are stored as log-probabilities (``log predict_proba``): softmax
of them at any temperature equals the tempered teacher distribution up to the
logit constant, and any scikit-learn classifier with ``predict_proba`` can
provide them. Embeddings come from a :class:`TeacherClassifier` (alone, at the
end of a Pipeline, or frozen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    RandomizedSearchCV,
    StratifiedKFold,
    check_cv,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.validation import has_fit_parameter

from skkd.estimators._seeding import seed_unset_random_states
from skkd.estimators._teacher import TeacherClassifier

__all__ = [
    "ResolvedTeacher",
    "TeacherTargets",
    "cross_fit_teacher_outputs",
    "groups_fit_params",
    "take_rows",
    "teacher_outputs",
]

#: floor of the teacher probabilities before the log (RF can output exact zeros)
PROBA_FLOOR = 1e-4


def take_rows(X, idx):
    """Rows ``idx`` of an array, DataFrame or dict of modalities."""
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    return X[idx]


def groups_fit_params(estimator, groups) -> dict:
    """The keyword arguments of ``estimator.fit`` that give it ``groups``.

    With scikit-learn's metadata routing on
    (``sklearn.set_config(enable_metadata_routing=True)``), ``groups`` go
    where ``estimator`` requests them (``set_fit_request(groups=True)``; a
    Pipeline routes them to its steps that do); an estimator that takes
    ``groups`` but has not said whether it wants them raises scikit-learn's
    ``UnsetMetadataPassedError``. Without routing, an estimator whose ``fit``
    has a ``groups`` parameter gets them, as do such steps of a Pipeline and
    the splitter of a ``GridSearchCV``/``RandomizedSearchCV``.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> groups_fit_params(LogisticRegression(), np.arange(3))
    {}
    """
    if groups is None:
        return {}
    if get_config().get("enable_metadata_routing", False):
        router = MetadataRouter(owner="DistilledStudentClassifier").add(
            teacher=estimator, method_mapping=MethodMapping().add(caller="fit", callee="fit"))
        return dict(router.route_params(caller="fit", params={"groups": groups}).teacher.fit)
    if isinstance(estimator, Pipeline):
        params = {}
        for name, step in estimator.steps:
            if step is None or isinstance(step, str):  # None / "passthrough"
                continue
            params.update({f"{name}__{k}": v for k, v in groups_fit_params(step, groups).items()})
        return params
    if isinstance(estimator, (GridSearchCV, RandomizedSearchCV)):
        return {"groups": groups}
    return {"groups": groups} if has_fit_parameter(estimator, "groups") else {}


def fit_with_groups(estimator, X, y, groups=None):
    """``estimator.fit(X, y)``, handing it ``groups`` where it takes them (see above)."""
    return estimator.fit(X, y, **groups_fit_params(estimator, groups))


def _aligned_log_proba(teacher, X, classes: np.ndarray) -> np.ndarray:
    proba = np.asarray(teacher.predict_proba(X), dtype=np.float64)
    out = np.zeros((proba.shape[0], len(classes)))
    position = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(teacher.classes_):
        if c not in position:
            raise ValueError(f"teacher predicts class {c!r} unknown to the student.")
        out[:, position[c]] = proba[:, j]
    out = np.clip(out, PROBA_FLOOR, None)
    out /= out.sum(axis=1, keepdims=True)
    return np.log(out).astype(np.float32)


def neural_part(teacher):
    """``(transform, TeacherClassifier)`` inside ``teacher``, or ``(None, None)``.

    ``transform`` maps the raw ``X`` to the network's input (the preceding
    Pipeline steps), or is ``None``.
    """
    if isinstance(teacher, FrozenEstimator):
        teacher = teacher.estimator
    if isinstance(teacher, TeacherClassifier):
        return None, teacher
    if isinstance(teacher, Pipeline) and isinstance(teacher.steps[-1][1], TeacherClassifier):
        return teacher[:-1].transform, teacher.steps[-1][1]
    return None, None


def teacher_outputs(teacher, X, classes, feature_names: Sequence[str] = ()):
    """Soft targets ``(n, k)`` (log-probabilities) and embeddings of a fitted teacher.

    ``feature_names`` lists ``"fused"`` (the penultimate representation)
    and/or modality names (per-modality encoder outputs).
    """
    log_proba = _aligned_log_proba(teacher, X, np.asarray(classes))
    features = {}
    if feature_names:
        transform, net = neural_part(teacher)
        if net is None:
            raise ValueError(
                "feature_weights needs a neural teacher (TeacherClassifier, or a Pipeline "
                f"ending in one) to provide embeddings; got {type(teacher).__name__}."
            )
        Xt = transform(X) if transform is not None else X
        if "fused" in feature_names:
            features["fused"] = net.embed(Xt).astype(np.float32)
        per_modality = [n for n in feature_names if n != "fused"]
        if per_modality:
            embeddings = net.embed(Xt, per_modality=True)
            for name in per_modality:
                features[name] = embeddings[name].astype(np.float32)
    return log_proba, features


def cross_fit_teacher_outputs(
    teacher, X, y, *, groups=None, cv=5, classes, feature_names=(), random_state=None,
    labeled=None,
):
    """Out-of-fold teacher outputs: each window is scored by a teacher not fitted on it.

    Folds are :class:`~sklearn.model_selection.GroupKFold` by subject when
    ``groups`` are given, else shuffled :class:`StratifiedKFold`; ``cv`` may
    also be a splitter. Every window, unlabeled ones included, is scored.
    With ``labeled`` (a boolean mask) each fold teacher is fitted on the
    labelled rows of its training folds only. Returns ``(log_proba,
    features, folds)`` where ``folds`` lists ``(fitted_teacher, train_idx,
    test_idx)``, ``train_idx`` the rows the fold teacher was fitted on.
    """
    y = np.asarray(y)
    n = len(y)
    if isinstance(cv, int):
        if groups is not None:
            n_groups = len(np.unique(groups))
            if n_groups < 2:
                raise ValueError(
                    "teacher_targets='cross_fit' with groups needs at least 2 groups; "
                    "use teacher_targets='in_sample'."
                )
            splitter = GroupKFold(n_splits=min(cv, n_groups))
        else:
            min_count = np.unique(y, return_counts=True)[1].min()
            splitter = StratifiedKFold(
                n_splits=max(2, min(cv, int(min_count))), shuffle=True,
                random_state=random_state,
            )
    else:
        splitter = check_cv(cv, y, classifier=True)
    log_proba = None
    features: dict[str, np.ndarray] = {}
    folds = []
    for train_idx, test_idx in splitter.split(np.zeros(n), y, groups):
        if labeled is not None:
            train_idx = train_idx[np.asarray(labeled)[train_idx]]
            if not len(train_idx):
                raise ValueError(
                    "a cross-fitting fold has no labelled training windows; use fewer "
                    "teacher_cv folds or teacher_targets='in_sample'."
                )
        fold_groups = None if groups is None else np.asarray(groups)[train_idx]
        est = fit_with_groups(clone(teacher), take_rows(X, train_idx), y[train_idx],
                              fold_groups)
        lp, feats = teacher_outputs(est, take_rows(X, test_idx), classes, feature_names)
        if log_proba is None:
            log_proba = np.zeros((n, lp.shape[1]), dtype=np.float32)
        log_proba[test_idx] = lp
        for name, f in feats.items():
            if name not in features:
                features[name] = np.zeros((n, f.shape[1]), dtype=np.float32)
            features[name][test_idx] = f
        folds.append((est, train_idx, test_idx))
    return log_proba, features, folds


def _feature_scaling(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    return mean, np.where(std > 1e-6, std, 1.0)


@dataclass
class Provider:
    """A fitted teacher (a fold's, or the one on all rows) and the rows it teaches.

    It was fitted on ``fit_rows`` and gives soft targets (``gives_logits``)
    and/or the embeddings ``feature_names`` of ``target_rows``.
    """

    teacher: object
    fit_rows: np.ndarray
    target_rows: np.ndarray
    gives_logits: bool
    feature_names: tuple


@dataclass
class TeacherTargets:
    """What the student learns from: soft targets and scaled embeddings of every window."""

    log_proba: np.ndarray
    features: dict[str, np.ndarray]
    scaling: dict[str, tuple[np.ndarray, np.ndarray]]
    providers: list[Provider] = field(default_factory=list)

    def scale(self, features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """z-score embeddings with the training windows' statistics (float32)."""
        return {k: ((v - self.scaling[k][0]) / self.scaling[k][1]).astype(np.float32)
                for k, v in features.items()}


class ResolvedTeacher:
    """A student's teacher, unwrapped once: plain, a Pipeline ending in a network, or frozen.

    Parameters
    ----------
    teacher : classifier with ``predict_proba``
        The student's ``teacher`` parameter (unfitted, or a ``FrozenEstimator``).
    seed : int or None
        Seeds the clones' unset ``random_state`` and the cross-fitting folds.
    """

    def __init__(self, teacher, seed: int | None):
        self.teacher = teacher
        self.seed = seed
        self.frozen = isinstance(teacher, FrozenEstimator)
        network = neural_part(teacher)[1]
        self.neural = network is not None
        #: a pre-training TeacherClassifier reads ``y == -1`` as unlabeled
        self.pretrains = self.neural and network.pretrain is not None

    def _clone(self):
        return seed_unset_random_states(clone(self.teacher), self.seed)

    @contextmanager
    def _tabular_hint(self, X):
        """Turn a tabular teacher's failure on a dict ``X`` into an error naming it."""
        try:
            yield
        except (TypeError, ValueError) as exc:
            inner = self.teacher.estimator if self.frozen else self.teacher
            if not isinstance(X, Mapping) or isinstance(inner, (TeacherClassifier, Pipeline)):
                raise
            raise ValueError(
                f"teacher {type(inner).__name__} failed on X, a dict of modalities: it needs "
                "tabular input. Use a TeacherClassifier, or a Pipeline starting with "
                f"skkd.compose.ModalityTransformer that turns modalities into features ({exc})"
            ) from exc

    def fit(self, X, y, groups=None, *, rows=None):
        """Fit a clone on ``X`` (only ``rows``, a boolean mask, if given); the frozen one as is."""
        if self.frozen:
            self.fitted_ = self.teacher
            return self.fitted_
        if rows is not None and not np.all(rows):
            idx = np.flatnonzero(rows)
            X, y = take_rows(X, idx), np.asarray(y)[idx]
            groups = None if groups is None else np.asarray(groups)[idx]
        with self._tabular_hint(X):
            self.fitted_ = fit_with_groups(self._clone(), X, y, groups)
        return self.fitted_

    def check_feature_names(self, names: Sequence[str]) -> None:
        """Refuse ``feature_weights`` keys the fitted teacher has no embedding for."""
        if not names:
            return
        network = neural_part(self.fitted_)[1]
        if network is None:
            raise ValueError(
                "feature_weights needs a neural teacher (TeacherClassifier, or a Pipeline "
                f"ending in one); got {type(self.teacher).__name__}."
            )
        available = {k for k, v in network.embedding_dims().items() if v is not None} | {"fused"}
        unknown = [k for k in names if k not in available]
        if unknown:
            raise ValueError(
                f"feature_weights keys {unknown} are not teacher embeddings; available: "
                f"{sorted(available)} ('fused' is the teacher's penultimate layer)."
            )

    def outputs(self, X, classes, feature_names: Sequence[str] = ()):
        """Soft targets and raw embeddings of ``X`` from the teacher fitted on all rows."""
        with self._tabular_hint(X):
            return teacher_outputs(self.fitted_, X, classes, feature_names)

    def targets(self, X, y, groups, classes, *, feature_names, cross_fit: bool, cv,
                rows=None) -> TeacherTargets:
        """Soft targets (in-sample or cross-fitted) and z-scored embeddings of ``X``.

        Embeddings always come from the teacher fitted on all rows: fold
        teachers embed into different spaces.
        """
        feature_names = tuple(feature_names)
        self.check_feature_names(feature_names)
        log_proba, raw = self.outputs(X, classes, feature_names)
        scaling = {k: _feature_scaling(v) for k, v in raw.items()}
        all_rows = np.arange(len(y))
        providers = [Provider(self.fitted_, all_rows, all_rows, True, feature_names)]
        if cross_fit and not self.frozen:
            log_proba, _, folds = cross_fit_teacher_outputs(
                self._clone(), X, y, groups=groups, cv=cv, classes=classes,
                random_state=self.seed, labeled=rows,
            )
            providers = [Provider(est, tr, te, True, ()) for est, tr, te in folds]
            if feature_names:
                providers.append(Provider(self.fitted_, all_rows, all_rows, False,
                                          feature_names))
        targets = TeacherTargets(log_proba, {}, scaling, providers)
        targets.features = targets.scale(raw)
        return targets
