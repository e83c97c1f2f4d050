"""Input handling shared by the estimators: validation, float32 casting, selection.

``X`` is a 2-D array, a DataFrame, or a dict of modalities (DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, validate_data

from skkd._modalities import Modalities
from skkd.utils import check_modalities

__all__ = [
    "check_class_labels",
    "check_inputs",
    "resolve_student_inputs",
    "select_inputs",
    "unlabeled_mask",
]

#: attribute where ``check_inputs`` keeps the window shape of each modality seen in fit
_SHAPES = "_modality_shapes"


def _check_modality_dict(X, *, name: str = "X", n_expected: int | None = None) -> Modalities:
    X = check_modalities(X, name=name)
    if not len(X.keys()):
        raise ValueError(f"{name} is an empty dict; at least one modality is needed.")
    out = {}
    for key, value in X.items():
        try:
            arr = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}[{key!r}] must be a numeric array: {exc}") from exc
        if arr.ndim < 2:
            raise ValueError(
                f"{name}[{key!r}] must have windows on axis 0 and at least one more "
                f"axis, got shape {arr.shape}."
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}[{key!r}] contains NaN or infinite values.")
        out[key] = np.ascontiguousarray(arr)  # torch refuses negative strides
    lengths = {k: v.shape[0] for k, v in out.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{name}: modalities have different numbers of windows {lengths}.")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError(f"{name} has no windows.")
    if n_expected is not None and n != n_expected:
        raise ValueError(f"{name} has {n} windows but y has {n_expected} labels.")
    return Modalities(out)


def _check_window_shapes(estimator, X: Modalities) -> None:
    """Each modality of ``X`` must keep the window shape (channels, samples...) of fit."""
    fitted = getattr(estimator, _SHAPES, {})
    for key, arr in X.items():
        if key in fitted and arr.shape[1:] != fitted[key]:
            raise ValueError(
                f"X[{key!r}] has windows of shape {arr.shape[1:]}, but "
                f"{type(estimator).__name__} was fitted on windows of shape {fitted[key]} "
                "(the window axis left out): a modality must keep its channels and "
                "samples from fit."
            )


def check_inputs(estimator, X, y=None, *, reset: bool, allow_nan: bool = False):
    """Validate ``X`` (and ``y``) and cast to float32.

    Tabular input goes through :func:`sklearn.utils.validation.validate_data`
    (recording ``n_features_in_``/``feature_names_in_`` when ``reset``); a dict
    becomes :class:`~skkd.Modalities` of float32 arrays, each modality's window
    shape recorded when ``reset`` and checked otherwise. Arrays come back
    C-contiguous (a copy where needed; the caller's array is never written).
    ``allow_nan`` lets NaN through in a table (a student's teacher-only columns
    may be missing where the teacher handles NaN; the student's own inputs are
    checked by :func:`select_inputs`).
    """
    if sp.issparse(X):
        raise TypeError(
            "X is a sparse matrix; sparse input is not supported: pass a dense array, "
            "a DataFrame or a dict of modalities."
        )
    if reset and y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    if isinstance(X, Mapping):
        if y is not None:
            y = np.asarray(y)
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D (one label per window), got shape {y.shape}.")
        X = _check_modality_dict(X, n_expected=None if y is None else len(y))
        if reset:
            setattr(estimator, _SHAPES, {k: v.shape[1:] for k, v in X.items()})
        else:
            _check_window_shapes(estimator, X)
        return X if y is None else (X, y)
    if reset:
        setattr(estimator, _SHAPES, {})
    finite = "allow-nan" if allow_nan else True
    if y is None:
        return validate_data(estimator, X, reset=reset, dtype=np.float32, order="C",
                             ensure_all_finite=finite)
    return validate_data(estimator, X, y, reset=reset, dtype=np.float32, order="C",
                         ensure_all_finite=finite)


def check_class_labels(y, *, name: str = "y") -> None:
    """Class labels: one type (``TypeError``) and at least 2 classes (``ValueError``).

    >>> check_class_labels(np.array(["calm", "stress"]))
    """
    y = np.asarray(y)
    if y.dtype == object:
        is_str = np.array([isinstance(v, str) for v in y.ravel()])
        if is_str.any() and not is_str.all():
            flat = y.ravel()
            raise TypeError(
                f"{name} mixes string and non-string labels (e.g. {flat[is_str][0]!r} and "
                f"{flat[~is_str][0]!r}); give every label one type, e.g. y.astype(str)."
            )
    check_classification_targets(y)
    classes = np.unique(y).tolist()
    if len(classes) < 2:
        raise ValueError(
            f"{name} has one class only ({classes[0]!r}); a classifier needs at least 2 "
            "classes (in every cross-validation fold too)."
        )


def resolve_student_inputs(student_inputs, X) -> tuple[str, list]:
    """Resolve ``student_inputs`` against the training ``X``.

    Returns ``(kind, selection)``: ``("dict", keys)``, ``("frame", column
    names)`` or ``("array", column indices)``. ``None`` selects everything.
    """
    if isinstance(X, Mapping):
        keys = list(X.keys())
        if student_inputs is None:
            return "dict", keys
        wanted = [student_inputs] if isinstance(student_inputs, str) else list(student_inputs)
        missing = [k for k in wanted if k not in X]
        if missing or not wanted:
            raise ValueError(
                f"student_inputs must name modalities of X {keys}; got {student_inputs!r}."
            )
        return "dict", wanted
    if isinstance(X, pd.DataFrame):
        columns = list(X.columns)
        if student_inputs is None:
            return "frame", columns
        wanted = [student_inputs] if isinstance(student_inputs, str) else list(student_inputs)
        selected = []
        for item in wanted:
            hits = [c for c in columns if c == item or (
                isinstance(c, str) and isinstance(item, str) and c.startswith(item + "__"))]
            if not hits:
                raise ValueError(
                    f"student_inputs entry {item!r} matches no column of X (as a name or "
                    f"a 'prefix__' modality prefix); columns start with {columns[:5]}."
                )
            selected += [c for c in hits if c not in selected]
        return "frame", selected
    n_features = np.shape(X)[1] if np.ndim(X) == 2 else None
    if student_inputs is None:
        return "array", list(range(n_features or 0))
    sel = np.asarray(student_inputs)
    if sel.dtype == bool:
        if n_features is None or sel.shape != (n_features,):
            raise ValueError(
                f"student_inputs as a boolean mask must have one entry per column of X "
                f"({n_features}), got shape {sel.shape}."
            )
        sel = np.flatnonzero(sel)
    if sel.ndim == 0:
        sel = sel[None]
    if sel.size == 0 or not np.issubdtype(sel.dtype, np.integer):
        raise ValueError(
            "student_inputs for an array X must be column indices (ints) or a boolean "
            f"mask; got {student_inputs!r}."
        )
    if n_features is not None and (sel.min() < -n_features or sel.max() >= n_features):
        raise ValueError(
            f"student_inputs indices {sel.tolist()} are out of range for X with "
            f"{n_features} columns."
        )
    if n_features is not None:
        sel = np.where(sel < 0, sel + n_features, sel)
    return "array", [int(i) for i in sel]


def select_inputs(estimator, X, kind: str, selection: Sequence, *, reset: bool):
    """The student's inputs from ``X``: a :class:`Modalities` or a float32 array.

    At prediction (``reset=False``), a dict needs only the student's keys
    (each with the window shape of fit) and a DataFrame only the student's
    columns, selected by name in any order. An array has no names, so its
    columns are taken by position: either all training columns (the student's
    are selected) or exactly the student's columns, in ``student_inputs_``
    order; any other width is a ``ValueError``. A DataFrame for an
    array-fitted student (or an array for a DataFrame-fitted one) is a
    ``TypeError``: positions and names cannot be matched.
    """
    if kind == "dict":
        if not isinstance(X, Mapping):
            raise TypeError(
                f"X must be a dict of modalities (the student was fitted on one), got "
                f"{type(X).__name__}."
            )
        missing = [k for k in selection if k not in X]
        if missing:
            raise ValueError(
                f"X lacks the student's modalities {missing}; it has {sorted(X.keys())}."
            )
        X = _check_modality_dict({k: X[k] for k in selection})
        if not reset:
            _check_window_shapes(estimator, X)
        return X
    if kind == "frame":
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "X must be a DataFrame with the student's columns (the student was "
                f"fitted on one), got {type(X).__name__}."
            )
        missing = [c for c in selection if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the student's columns {missing[:10]}.")
        return check_array(X[list(selection)], dtype=np.float32, order="C")
    # array
    if reset:
        chosen = check_array(X, dtype=np.float32, ensure_all_finite="allow-nan")
        return check_array(chosen[:, list(selection)], dtype=np.float32, order="C")
    if isinstance(X, pd.DataFrame):
        raise TypeError(
            "X is a DataFrame, but the student was fitted on an array, whose columns have "
            "no names to match: pass an array with the training columns in order, or fit "
            "the student on a DataFrame."
        )
    X = check_array(X, dtype=np.float32, order="C", ensure_all_finite="allow-nan")
    n_train, n_student = estimator.n_features_in_, len(selection)
    if X.shape[1] == n_train:
        return check_array(X[:, list(selection)], dtype=np.float32, order="C")
    X = check_array(X, dtype=np.float32, order="C")
    if X.shape[1] == n_student:
        return X
    raise ValueError(
        f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
        f"{n_train} features as input (all training columns), or exactly the student's "
        f"{n_student} columns {list(selection)} in that order."
    )


def unlabeled_mask(y) -> np.ndarray:
    """Boolean mask of the windows marked unlabeled: ``y == -1`` (scikit-learn's convention).

    Integer or float ``-1`` marks an unlabeled window; so does the string
    ``"-1"`` (``np.where(hidden, -1, labels)`` on string labels gives one).

    >>> unlabeled_mask(np.array(["calm", -1, "stress"], dtype=object)).tolist()
    [False, True, False]
    """
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype.kind in "US":
        return y == "-1"
    return np.array([
        (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
         and v == -1) or (isinstance(v, str) and v == "-1")
        for v in y.ravel()
    ], dtype=bool).reshape(y.shape)
