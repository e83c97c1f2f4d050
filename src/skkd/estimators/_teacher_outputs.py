"""The teacher's soft targets and embeddings, in-sample or cross-fitted.

Soft targets are stored as log-probabilities (``log predict_proba``): softmax
of them at any temperature equals the tempered teacher distribution up to the
logit constant, and any scikit-learn classifier with ``predict_proba`` can
provide them. Embeddings come from a :class:`TeacherClassifier` (alone, at the
end of a Pipeline, or frozen).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupKFold, StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline

from skkd.estimators._teacher import TeacherClassifier

__all__ = [
    "cross_fit_teacher_outputs",
    "fit_teacher",
    "handles_unlabeled",
    "neural_teacher",
    "teacher_outputs",
]

#: floor of the teacher probabilities before the log (RF can output exact zeros)
PROBA_FLOOR = 1e-4


def neural_teacher(teacher):
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


def handles_unlabeled(teacher) -> bool:
    """Whether ``teacher`` reads ``y == -1`` as unlabeled (a pre-training TeacherClassifier)."""
    net = neural_teacher(teacher)[1]
    return net is not None and getattr(net, "pretrain", None) is not None


def fit_teacher(teacher, X, y, groups=None, *, labeled=None):
    """Fit ``teacher`` (already a clone) passing ``groups`` where it is understood.

    ``labeled`` (a boolean mask) restricts the fit to those rows, for
    teachers that cannot use unlabeled windows.
    """
    if labeled is not None and not np.all(labeled):
        rows = np.flatnonzero(labeled)
        X, y = _take(X, rows), np.asarray(y)[rows]
        groups = None if groups is None else np.asarray(groups)[rows]
    if groups is not None:
        if isinstance(teacher, TeacherClassifier):
            return teacher.fit(X, y, groups=groups)
        if isinstance(teacher, Pipeline) and isinstance(teacher.steps[-1][1], TeacherClassifier):
            return teacher.fit(X, y, **{f"{teacher.steps[-1][0]}__groups": groups})
    return teacher.fit(X, y)


def _take(X, idx):
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    return X[idx]


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


def teacher_outputs(teacher, X, classes, feature_names: Sequence[str] = ()):
    """Soft targets ``(n, k)`` (log-probabilities) and embeddings of a fitted teacher.

    ``feature_names`` lists ``"fused"`` (the penultimate representation)
    and/or modality names (per-modality encoder outputs).
    """
    log_proba = _aligned_log_proba(teacher, X, np.asarray(classes))
    features = {}
    if feature_names:
        transform, net = neural_teacher(teacher)
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
        est = fit_teacher(clone(teacher), _take(X, train_idx), y[train_idx], fold_groups)
        lp, feats = teacher_outputs(est, _take(X, test_idx), classes, feature_names)
        if log_proba is None:
            log_proba = np.zeros((n, lp.shape[1]), dtype=np.float32)
        log_proba[test_idx] = lp
        for name, f in feats.items():
            if name not in features:
                features[name] = np.zeros((n, f.shape[1]), dtype=np.float32)
            features[name][test_idx] = f
        folds.append((est, train_idx, test_idx))
    return log_proba, features, folds
