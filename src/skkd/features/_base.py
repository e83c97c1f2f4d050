"""Shared machinery of the per-window feature extractors.

A window feature extractor maps windows of one signal, ``(n, T)`` or
``(n, 1, T)``, to a fixed table ``(n, k)``. Subclasses only say which features
they compute and how to compute them on one 1-D window; this module validates
input, runs the windows in parallel (joblib) with a progress bar (tqdm), turns
failures into NaN and gathers the reasons into one warning per call.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from skkd.utils._validation import NON_NEGATIVE_INT, POSITIVE_REAL, refuse_bool_parameters

__all__ = ["FeatureExtractionWarning", "WindowFeatureExtractor"]

#: windows per joblib task: large enough to amortise dispatch, small enough
#: for a smooth progress bar
_CHUNK = 32
#: verbose=1 shows a progress bar only from this many windows on
_MIN_WINDOWS_FOR_BAR = 200


class FeatureExtractionWarning(UserWarning):
    """Some features could not be computed on some windows and are NaN."""


class WindowUnavailable(Exception):
    """Raised by ``_window_features`` when no feature can be computed.

    The message is the reason reported in the warning; keep it free of
    window-specific numbers so that reasons aggregate across windows.
    """


def require_variation(x: np.ndarray) -> None:
    """Raise :class:`WindowUnavailable` for a flat (constant) window."""
    if np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        raise WindowUnavailable("flat window (constant signal)")


class WindowFeatureExtractor(TransformerMixin, BaseEstimator):
    """Base class: one signal's windows ``(n, T)`` or ``(n, 1, T)`` -> ``(n, k)``.

    Subclasses define ``feature_names`` (a tuple of str), ``_min_length()``
    (samples a window needs before any feature is attempted) and
    ``_window_features(x)`` which returns ``(values, reasons)`` for one finite
    1-D window: ``values`` a float array of ``len(feature_names)``, ``reasons``
    a dict ``{feature: reason}`` for the features left NaN. It may raise
    :class:`WindowUnavailable` (or any exception) to leave the whole window NaN.
    Optionally ``_prepare_chunk(windows)`` does batched work (vectorised
    filters) on the usable windows of a chunk and hands each window its part
    as ``_window_features(x, prepared)``.

    The extractors are stateless: ``fit`` only validates input and records
    ``n_features_in_`` (the window length). Parameters are checked against
    ``_parameter_constraints`` (subclasses extend it with their own) and then
    by ``_check_params`` (what constraints cannot say), in ``fit`` and again in
    ``transform``.
    """

    feature_names: tuple[str, ...] = ()

    _parameter_constraints: dict = {
        "fs": [POSITIVE_REAL],
        "n_jobs": [Integral, None],
        "verbose": [NON_NEGATIVE_INT],
    }

    # --- what subclasses provide -------------------------------------------
    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)

    def _min_length(self) -> int:
        return 2

    def _window_features(self, x: np.ndarray) -> tuple[np.ndarray, dict[str, str]]:
        raise NotImplementedError

    def _prepare_chunk(self, windows: np.ndarray) -> list | None:
        """Optional batched work on finite, long-enough windows ``(m, ...)``.

        Returns one object per window, handed to ``_window_features(x,
        prepared)`` (e.g. the window filtered together with the others by one
        vectorised ``sosfiltfilt``), or ``None`` to process every window alone.
        It must give per window exactly what the window alone would give.
        """
        return None

    # --- sklearn API -------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the windows and record their length (no learning).

        Parameters
        ----------
        X : array-like of shape (n_windows, T) or (n_windows, 1, T)
            Windows of one signal sampled at ``fs`` Hz. NaN/inf are allowed:
            the affected windows get NaN features.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        self._validate_windows(X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Compute the features of every window.

        Parameters
        ----------
        X : array-like of shape (n_windows, T) or (n_windows, 1, T)

        Returns
        -------
        ndarray of shape (n_windows, n_features)
            One row per window, columns as in :meth:`get_feature_names_out`.
            Features that cannot be computed on a window are NaN, and one
            :class:`FeatureExtractionWarning` says which and why.
        """
        check_is_fitted(self, "n_features_in_")
        self._validate_params()
        self._check_params()
        windows = self._validate_windows(X, reset=False)
        values, reasons = self._extract_all(windows)
        self._warn_reasons(reasons, len(windows))
        return values

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns (fixed, whatever the windows).

        ``input_features`` is accepted for API compatibility and ignored: the
        output columns do not depend on the input samples' names.
        """
        check_is_fitted(self, "n_features_in_")
        return np.asarray(self.feature_names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # --- machinery ---------------------------------------------------------
    def _validate_windows(self, X, *, reset: bool) -> np.ndarray:
        name = type(self).__name__
        if isinstance(X, Mapping) and not issparse(X):
            raise TypeError(
                f"{name} takes the windows of one signal, got a dict of modalities; "
                "route its keys with skkd.compose.ModalityTransformer."
            )
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        ndim = len(getattr(X, "shape", ()))
        if ndim == 3:
            arr = np.asarray(X)
            if arr.shape[1] != 1:
                raise ValueError(
                    f"{name} expects one channel: windows of shape (n, T) or (n, 1, T), "
                    f"got {arr.shape}."
                )
            X = arr[:, 0, :]
        elif ndim not in (2,):
            raise ValueError(
                f"{name} expects windows of shape (n, T) or (n, 1, T), got an array "
                f"of rank {ndim} (shape {getattr(X, 'shape', None)}). Reshape your data: "
                "a single window as x.reshape(1, -1)."
            )
        return validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan"
        )

    def _extract_all(self, windows: np.ndarray):
        n, k = len(windows), len(self.feature_names)
        chunks = [windows[i : i + _CHUNK] for i in range(0, n, _CHUNK)]
        n_jobs = getattr(self, "n_jobs", None)
        verbose = getattr(self, "verbose", 0)
        show = verbose >= 2 or (verbose >= 1 and n >= _MIN_WINDOWS_FOR_BAR)
        bar = tqdm(total=n, desc=type(self).__name__, unit="win", disable=not show)
        values = np.empty((n, k), dtype=np.float64)
        reasons: Counter = Counter()
        row = 0
        try:
            if effective_n_jobs(n_jobs) == 1 or len(chunks) == 1:
                results = (self._extract_chunk(c) for c in chunks)
            else:
                results = Parallel(n_jobs=n_jobs, return_as="generator")(
                    delayed(self._extract_chunk)(c) for c in chunks
                )
            for chunk_values, chunk_reasons in results:
                values[row : row + len(chunk_values)] = chunk_values
                row += len(chunk_values)
                reasons.update(chunk_reasons)
                bar.update(len(chunk_values))
        finally:
            bar.close()
        return values, reasons

    def _extract_chunk(self, chunk: np.ndarray):
        k = len(self.feature_names)
        out = np.full((len(chunk), k), np.nan)
        reasons: Counter = Counter()
        min_length = self._min_length()
        prepared = self._prepared(chunk, min_length)
        for i, x in enumerate(chunk):
            row, why = self._safe_window(x, min_length, prepared[i])
            out[i] = row
            reasons.update(why.items())
        return out, reasons

    def _prepared(self, chunk: np.ndarray, min_length: int) -> list:
        """``_prepare_chunk`` on the usable windows; ``None`` for the others."""
        usable = np.isfinite(chunk.reshape(len(chunk), -1)).all(axis=1)
        usable &= chunk.shape[-1] >= min_length
        out = [None] * len(chunk)
        if not usable.any():
            return out
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                batch = self._prepare_chunk(chunk[usable])
            except Exception:  # noqa: BLE001 - each window then fails (or not) alone
                batch = None
        if batch is not None:
            for i, item in zip(np.flatnonzero(usable), batch):
                out[i] = item
        return out

    def _safe_window(self, x: np.ndarray, min_length: int, prepared=None):
        names = self.feature_names
        whole = None
        if not np.isfinite(x).all():
            whole = "window contains NaN or infinite values"
        elif x.shape[-1] < min_length:
            whole = f"window shorter than {min_length} samples"
        if whole is not None:
            return np.full(len(names), np.nan), dict.fromkeys(names, whole)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                if prepared is None:
                    values, why = self._window_features(x)
                else:
                    values, why = self._window_features(x, prepared)
            except WindowUnavailable as exc:
                return np.full(len(names), np.nan), dict.fromkeys(names, str(exc))
            except Exception as exc:  # noqa: BLE001 - a library failure is a NaN window
                reason = f"{type(exc).__name__} in feature computation"
                return np.full(len(names), np.nan), dict.fromkeys(names, reason)
        values = np.asarray(values, dtype=np.float64).reshape(len(names))
        why = dict(why)
        bad = ~np.isfinite(values)
        for j in np.flatnonzero(bad):
            why.setdefault(names[j], "result not finite (overflow or division by zero)")
        values[bad] = np.nan
        return values, why

    # --- one continuous recording ----------------------------------------
    def transform_recording(self, x: np.ndarray, starts: np.ndarray, length: int, *,
                            per_window: bool = False) -> np.ndarray:
        """Features ``(len(starts), k)`` of the windows ``x[s:s + length]`` of one recording.

        ``x`` is ``(T, c)``. Extractors with a recording-level path (EDA, BVP,
        ACC) clean and decompose ``x`` once; the others, and
        ``per_window=True``, cut the windows and transform them. See
        :func:`skkd.features.recording_features`, which calls this.
        """
        from skkd.features._recording import features_of_recording

        self._validate_params()
        self._check_params()
        return features_of_recording(self, np.asarray(x), np.asarray(starts), int(length),
                                     per_window=per_window, min_length=self._min_length(),
                                     warn=self._warn_reasons)

    def _warn_reasons(self, reasons: Counter, n_windows: int) -> None:
        if not reasons:
            return
        by_reason: dict[str, list[tuple[str, int]]] = {}
        for (feature, reason), count in reasons.items():
            by_reason.setdefault(reason, []).append((feature, count))
        parts = []
        for reason, items in by_reason.items():
            order = {f: i for i, f in enumerate(self.feature_names)}
            items.sort(key=lambda fc: order.get(fc[0], 0))
            feats = ", ".join(f"{f!r} ({c}/{n_windows} windows)" for f, c in items)
            parts.append(f"{reason}: {feats}")
        warnings.warn(
            f"{type(self).__name__}: some features could not be computed and are NaN. "
            + "; ".join(parts),
            FeatureExtractionWarning,
            stacklevel=3,
        )


def stats(
    values: np.ndarray, prefix: str, which: Sequence[str], fs: float = 1.0
) -> dict[str, float]:
    """Summary statistics of a 1-D array, keyed ``f"{prefix}_{stat}"``.

    ``"slope"`` is the least-squares slope per second (samples at ``fs`` Hz).

    >>> stats(np.array([1.0, 2.0, 3.0]), "x", ("mean", "min", "slope"), fs=2.0)
    {'x_mean': 2.0, 'x_min': 1.0, 'x_slope': 2.0}
    """
    out = {}
    for stat in which:
        if stat == "slope":
            out[f"{prefix}_slope"] = _slope(values, fs)
        else:
            out[f"{prefix}_{stat}"] = float(_STATS[stat](values)) if len(values) else np.nan
    return out


def _slope(values: np.ndarray, fs: float) -> float:
    n = len(values)
    if n < 2:
        return np.nan
    t = (np.arange(n, dtype=np.float64) - (n - 1) / 2.0) / fs
    return float(np.dot(t, values - values.mean()) / np.dot(t, t))


_STATS = {
    "mean": np.mean,
    "std": np.std,
    "min": np.min,
    "max": np.max,
    "median": np.median,
    "range": np.ptp,
}
