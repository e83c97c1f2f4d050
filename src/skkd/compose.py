"""Route the modalities of a multimodal dict to transformers.

:class:`ModalityTransformer` is to :class:`skkd.Modalities` what
:class:`sklearn.compose.ColumnTransformer` is to a DataFrame's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd._modalities import Modalities
from skkd.utils import check_modalities
from skkd.utils._validation import invalid_parameter

__all__ = ["ModalityTransformer"]

_SPECIAL = ("drop", "passthrough")


def _naming_modality(key: str, call):
    """Run ``call()``; a ValueError/TypeError it raises names the modality it came from."""
    try:
        return call()
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"modality {key!r}: {exc}") from exc


def _fit_transform_one(transformer, X, key: str):
    def call():
        if hasattr(transformer, "fit_transform"):
            return transformer, transformer.fit_transform(X)
        fitted = transformer.fit(X)
        return fitted, fitted.transform(X)

    return _naming_modality(key, call)


def _transform_one(transformer, X, key: str):
    return _naming_modality(key, lambda: transformer.transform(X))


class ModalityTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Apply one transformer per modality of a multimodal dict.

    Parameters
    ----------
    transformers : dict of str to transformer, "passthrough" or "drop"
        Modality name -> what to do with it: a transformer (cloned and fitted
        on ``X[name]``), ``"passthrough"`` (kept as is) or ``"drop"``.
        Nested parameters are reachable as ``{name}__{param}``
        (``eda__fs``), so ``GridSearchCV`` can tune them.
    remainder : {"drop", "passthrough"}, default="drop"
        What to do with modalities of ``X`` that ``transformers`` does not name.
    output : {"frame", "dict"}, default="frame"
        ``"frame"``: one DataFrame with columns ``{modality}__{feature}``
        (every output must be 2-D; passthrough arrays are flattened per
        window). ``"dict"``: a :class:`~skkd.Modalities` of the outputs, for
        multi-input networks.
    n_jobs : int, default=None
        Modalities fitted and transformed in parallel with joblib.

    Attributes
    ----------
    transformers_ : dict
        Fitted transformers (and "passthrough"), by modality, in output order.
    dropped_ : list of str
        Modalities that are dropped (named "drop" or left to a dropping remainder);
        they may be absent from ``X`` at transform time.
    feature_names_out_ : ndarray of str
        Output columns (``output="frame"`` only).

    Notes
    -----
    At transform time a dropped modality that is absent from ``X`` is simply
    skipped, so a pipeline fitted on lab recordings (with ``{"eeg": "drop"}``)
    predicts on wearable-only data. A modality that was used in ``fit`` but is
    absent from ``X`` raises ``ValueError`` with ``output="frame"`` (the
    columns downstream depend on it) and is left out of the result with
    ``output="dict"`` (multi-input models look modalities up by name).

    Examples
    --------
    >>> import numpy as np
    >>> from skkd import Modalities
    >>> from skkd.features import TEMPFeatures
    >>> X = Modalities(temp=33 + np.random.default_rng(0).normal(size=(5, 1, 240)),
    ...                eeg=np.zeros((5, 4, 100)))
    >>> mt = ModalityTransformer({"temp": TEMPFeatures(fs=4), "eeg": "drop"})
    >>> mt.fit_transform(X).columns[:2].tolist()
    ['temp__temp_mean', 'temp__temp_std']
    >>> mt.transform(X.drop(["eeg"])).shape
    (5, 7)
    """

    _parameter_constraints: dict = {
        "transformers": [Mapping],  # its keys and values: _check_params
        "remainder": [StrOptions(set(_SPECIAL))],
        "output": [StrOptions({"frame", "dict"})],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        transformers: Mapping[str, object],
        *,
        remainder: str = "drop",
        output: str = "frame",
        n_jobs: int | None = None,
    ):
        self.transformers = transformers
        self.remainder = remainder
        self.output = output
        self.n_jobs = n_jobs

    # -- parameters (nested like ColumnTransformer's) ------------------------
    def get_params(self, deep: bool = True) -> dict:
        """Parameters, with each modality's transformer and its ``{name}__{param}``."""
        params = super().get_params(deep=False)
        if not deep or not isinstance(self.transformers, Mapping):
            return params
        for name, transformer in self.transformers.items():
            params[name] = transformer
            if hasattr(transformer, "get_params") and not isinstance(transformer, type):
                for key, value in transformer.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params) -> "ModalityTransformer":
        """Set parameters: own ones, a modality's transformer, or ``{name}__{param}``."""
        if "transformers" in params:
            self.transformers = params.pop("transformers")
        names = set(self.transformers) if isinstance(self.transformers, Mapping) else set()
        replace = {k: params.pop(k) for k in list(params) if k in names}
        if replace:
            self.transformers = {**self.transformers, **replace}
        nested: dict[str, dict] = {}
        for key in list(params):
            head, sep, tail = key.partition("__")
            if sep and head in names:
                nested.setdefault(head, {})[tail] = params.pop(key)
        for name, sub in nested.items():
            transformer = self.transformers[name]
            if transformer in _SPECIAL:
                raise ValueError(
                    f"ModalityTransformer: modality {name!r} is {transformer!r}; it has "
                    f"no parameters {sorted(sub)}."
                )
            transformer.set_params(**sub)
        return super().set_params(**params)

    def _check_params(self) -> None:
        """The keys and values of ``transformers`` (run after ``_parameter_constraints``)."""
        own = sorted(super().get_params(deep=False))
        for name, transformer in self.transformers.items():
            if not isinstance(name, str) or "__" in name or name in own:
                raise invalid_parameter(
                    self, "transformers", f"keyed by modality names: str without '__', not one of {own}",
                    name,
                )
            if isinstance(transformer, str):
                ok = transformer in _SPECIAL
            else:
                ok = hasattr(transformer, "fit") and hasattr(transformer, "transform")
            if not ok:
                raise invalid_parameter(
                    self, "transformers", "a dict of transformers (with fit and transform), "
                    f"'passthrough' or 'drop'; modality {name!r} maps to neither", transformer,
                )

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit each modality's transformer on its windows.

        Parameters
        ----------
        X : dict or :class:`~skkd.Modalities`
            Modality name -> windows (first axis aligned).
        y : ignored
            Transformers are fitted unsupervised.

        Returns
        -------
        self
        """
        self.fit_transform(X, y)
        return self

    # the modality transformers' parameters are validated when their clones are fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit, then return the transformed modalities (see :meth:`transform`)."""
        self._check_params()
        X = self._check_X(X)
        used = [k for k, t in self.transformers.items() if t != "drop"]
        missing = [k for k in used if k not in X]
        if missing:
            raise ValueError(
                f"ModalityTransformer: X lacks modalities {missing} named in transformers; "
                f"it has {sorted(X.keys())}. Map a modality to 'drop' to do without it."
            )
        plan = {k: self.transformers[k] for k in used}
        if self.remainder == "passthrough":
            plan.update({k: "passthrough" for k in X if k not in self.transformers})
        self.dropped_ = [k for k in self.transformers if self.transformers[k] == "drop"]
        if self.remainder == "drop":
            self.dropped_ += [k for k in X if k not in self.transformers]
        estimators = {k: clone(t) for k, t in plan.items() if t != "passthrough"}
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_transform_one)(est, X[k], k) for k, est in estimators.items()
        )
        self.transformers_ = {}
        outputs = {}
        fitted_by_key = dict(zip(estimators, fitted))
        for k, t in plan.items():
            if t == "passthrough":
                self.transformers_[k] = "passthrough"
                outputs[k] = X[k]
            else:
                self.transformers_[k], outputs[k] = fitted_by_key[k]
        self.n_windows_fit_ = X.n_windows
        if self.output == "frame":
            self.feature_names_out_ = np.asarray(
                [n for k in outputs for n in self._names(k, outputs[k])], dtype=object
            )
        return self._assemble(outputs, len(X))

    # -- transforming --------------------------------------------------------
    def transform(self, X):
        """Transform each fitted modality of ``X``.

        Parameters
        ----------
        X : dict or :class:`~skkd.Modalities`
            Needs every modality used in ``fit`` (with ``output="frame"``);
            dropped and unknown modalities are ignored.

        Returns
        -------
        DataFrame of shape (n_windows, n_features_out) or Modalities
        """
        check_is_fitted(self, "transformers_")
        X = self._check_X(X)
        missing = [k for k in self.transformers_ if k not in X]
        if missing and self.output == "frame":
            raise ValueError(
                f"ModalityTransformer: X lacks modalities {missing} that were used in fit; "
                f"it has {sorted(X.keys())}. Refit with {{{missing[0]!r}: 'drop'}} to "
                "predict without it."
            )
        todo = {k: t for k, t in self.transformers_.items() if k in X}
        est = {k: t for k, t in todo.items() if t != "passthrough"}
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_transform_one)(t, X[k], k) for k, t in est.items()
        )
        by_key = dict(zip(est, results))
        outputs = {k: X[k] if t == "passthrough" else by_key[k] for k, t in todo.items()}
        return self._assemble(outputs, len(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names ``{modality}__{feature}`` (``output="frame"``)."""
        check_is_fitted(self, "transformers_")
        if self.output != "frame":
            raise AttributeError(
                "ModalityTransformer: feature names exist for output='frame' only."
            )
        return self.feature_names_out_.copy()

    def set_output(self, *, transform=None) -> "ModalityTransformer":
        """Forward ``set_output`` to the modality transformers that support it.

        The container this transformer returns is set by ``output``.
        """
        if transform is None:
            return self
        for t in (self.transformers or {}).values():
            if hasattr(t, "set_output") and t not in _SPECIAL:
                t.set_output(transform=transform)
        for t in getattr(self, "transformers_", {}).values():
            if hasattr(t, "set_output") and t not in _SPECIAL:
                t.set_output(transform=transform)
        return self

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _check_X(X) -> Modalities:
        if not isinstance(X, Mapping):
            raise TypeError(
                "ModalityTransformer: X must be a dict of modalities (skkd.Modalities), "
                f"got {type(X).__name__}."
            )
        return check_modalities(X)

    @staticmethod
    def _as_2d(key: str, value) -> np.ndarray:
        arr = np.asarray(value)
        return arr.reshape(len(arr), -1)

    def _names(self, key: str, value) -> list[str]:
        t = self.transformers_[key]
        if t == "passthrough":
            return [f"{key}__{i}" for i in range(self._as_2d(key, value).shape[1])]
        if np.ndim(value) != 2:
            raise ValueError(
                f"ModalityTransformer: output='frame' needs 2-D outputs, but modality "
                f"{key!r} gives shape {np.shape(value)}; use output='dict'."
            )
        if isinstance(value, pd.DataFrame):
            inner = list(value.columns)
        elif hasattr(t, "get_feature_names_out"):
            inner = list(t.get_feature_names_out())
        else:
            inner = list(range(np.shape(value)[1]))
        return [f"{key}__{n}" for n in inner]

    def _assemble(self, outputs: dict, n: int):
        if self.output == "dict":
            return Modalities(outputs)
        blocks = [self._as_2d(k, v) for k, v in outputs.items()]
        if not blocks:
            return pd.DataFrame(index=range(n))
        data = np.concatenate(blocks, axis=1)
        if data.shape[1] != len(self.feature_names_out_):
            raise ValueError(
                f"ModalityTransformer: transformed modalities give {data.shape[1]} columns, "
                f"{len(self.feature_names_out_)} were fitted."
            )
        return pd.DataFrame(data, columns=self.feature_names_out_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.dict = True
        tags.input_tags.allow_nan = True
        return tags
