"""Input checks shared by transformers and estimators.

Every error names the argument and says what was expected (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, InvalidParameterError

from skkd._modalities import Modalities

# Intervals for ``_parameter_constraints`` / ``validate_params``; an open end at
# None refuses inf as well as NaN.
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
POSITIVE_REAL = Interval(Real, 0, None, closed="neither")
NON_NEGATIVE_REAL = Interval(Real, 0, None, closed="left")
UNIT_INTERVAL = Interval(Real, 0, 1, closed="both")
#: any finite number (NaN and ±inf refused)
FINITE_REAL = Interval(Real, None, None, closed="neither")


def invalid_parameter(owner, name: str, expected: str, value) -> InvalidParameterError:
    """The error scikit-learn's constraints raise, for checks they cannot express.

    ``owner`` is the estimator (its class names the error) or a function name.

    >>> str(invalid_parameter("holm", "pvalues", "in [0, 1]", -1.0))
    "The 'pvalues' parameter of holm must be in [0, 1]. Got -1.0 instead."
    """
    where = owner if isinstance(owner, str) else type(owner).__name__
    return InvalidParameterError(
        f"The {name!r} parameter of {where} must be {expected}. Got {value!r} instead."
    )


def refuse_bools(owner, **params) -> None:
    """Refuse ``True``/``False`` for numeric parameters.

    ``bool`` is an ``Integral``, so an ``Interval`` constraint takes ``True`` as 1.

    >>> refuse_bools("f", k=3)
    >>> refuse_bools("f", k=True)
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'k' parameter of f must be a number, not a bool. Got True instead.
    """
    for name, value in params.items():
        if isinstance(value, (bool, np.bool_)):
            raise invalid_parameter(owner, name, "a number, not a bool", value)


def refuse_bool_parameters(estimator) -> None:
    """:func:`refuse_bools` for every parameter whose constraints do not name ``"boolean"``.

    >>> from skkd.features import TEMPFeatures
    >>> refuse_bool_parameters(TEMPFeatures(fs=True))
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'fs' parameter of TEMPFeatures must be a number, not a bool. Got True instead.
    """
    refuse_bools(estimator, **{
        name: getattr(estimator, name)
        for name, constraints in estimator._parameter_constraints.items()
        if constraints != "no_validation" and "boolean" not in constraints
    })


def check_signal_windows(
    X,
    *,
    name: str = "X",
    min_length: int = 1,
    allow_nan: bool = False,
    ranks: Iterable[int] = (2, 3),
    dtype=np.float64,
) -> np.ndarray:
    """Validate windows of a signal and return them as a float array.

    ``X`` is ``(n, T)`` or ``(n, c, T)`` (the allowed ``ranks``). Raises
    ``TypeError`` for non-numeric input and ``ValueError`` naming ``name`` for a
    wrong rank, no windows, windows shorter than ``min_length`` samples or
    NaN/inf values (unless ``allow_nan``).

    >>> check_signal_windows(np.zeros((3, 8))).shape
    (3, 8)
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name}: sparse input is not supported; pass a dense array of windows."
        )
    if isinstance(X, Mapping):
        raise TypeError(
            f"{name} must be an array of windows, got a dict of modalities; route "
            "its keys with skkd.compose.ModalityTransformer."
        )
    try:
        raw = np.asarray(X)
        complex_input = np.iscomplexobj(raw)
        arr = raw.astype(dtype, copy=False) if not complex_input else raw
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array of windows: {exc}") from exc
    if complex_input:
        raise ValueError(f"{name}: Complex data not supported; pass real-valued windows.")
    ranks = tuple(ranks)
    if arr.ndim not in ranks:
        raise ValueError(
            f"{name} must have rank {' or '.join(map(str, ranks))} "
            f"(windows first), got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no windows (shape {arr.shape}).")
    if arr.shape[-1] < min_length:
        raise ValueError(
            f"{name} windows have {arr.shape[-1]} samples; at least {min_length} "
            "are needed."
        )
    if not allow_nan and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def check_modalities(X, *, required: Iterable[str] = (), name: str = "X") -> Modalities:
    """Return ``X`` as :class:`~skkd.Modalities`, checking required keys.

    >>> X = check_modalities({"eda": np.zeros((2, 4))}, required=["eda"])
    >>> type(X).__name__
    'Modalities'
    """
    if not isinstance(X, Mapping):
        raise TypeError(
            f"{name} must be a dict of modalities (skkd.Modalities), got "
            f"{type(X).__name__}."
        )
    X = X if isinstance(X, Modalities) else Modalities(X)
    missing = [k for k in required if k not in X]
    if missing:
        raise ValueError(
            f"{name} lacks modalities {missing}; it has {sorted(X.keys())}."
        )
    return X
