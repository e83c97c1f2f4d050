"""Gramian Angular Field images of signal windows (batched, pyts-exact)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
from scipy.sparse import issparse
from pyts.utils import segmentation
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.utils import check_signal_windows

__all__ = ["GAFImager"]


class GAFImager(TransformerMixin, BaseEstimator):
    """Encode windows as Gramian Angular Field images, one per channel.

    Each channel is shortened to ``image_size`` points by piecewise aggregate
    approximation (PAA), min-max scaled to ``sample_range`` per window, read as
    angles ``phi = arccos(x)``, and turned into the image
    ``cos(phi_i + phi_j)`` (summation, GASF) or ``sin(phi_i - phi_j)``
    (difference, GADF) -- exactly :class:`pyts.image.GramianAngularField`
    (tests compare to it within 1e-5), computed in batches of ``batch_size``
    series in ``dtype`` so that memory beyond the output stays bounded.

    Parameters
    ----------
    image_size : int or float, default=32
        Side of the images. A float in (0, 1] is a fraction of the window
        length (rounded up), as in pyts.
    method : {"summation", "difference"}, default="summation"
        GASF or GADF.
    sample_range : tuple (min, max), default=(-1, 1)
        Range of the per-window min-max scaling; ``-1 <= min < max <= 1``.
    dtype : numpy dtype, default=np.float32
        Dtype of the images.
    batch_size : int, default=1024
        Series (window x channel) converted at a time.

    Attributes
    ----------
    n_features_in_ : int
        Window length (samples) seen in ``fit`` for ``(n, T)`` input.
    n_channels_ : int
        Channels seen in ``fit`` (1 for ``(n, T)`` input).
    image_size_ : int
        Resolved image side.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.sin(np.linspace(0, 6, 120)).reshape(1, 1, -1).repeat(2, axis=1)
    >>> GAFImager(image_size=16).fit_transform(X).shape
    (1, 2, 16, 16)
    """

    def __init__(
        self,
        image_size: int | float = 32,
        method: str = "summation",
        sample_range: tuple[float, float] = (-1, 1),
        dtype=np.float32,
        batch_size: int = 1024,
    ):
        self.image_size = image_size
        self.method = method
        self.sample_range = sample_range
        self.dtype = dtype
        self.batch_size = batch_size

    # -- validation ---------------------------------------------------------
    def _check_params(self) -> None:
        if self.method not in ("summation", "difference"):
            raise ValueError(
                f"GAFImager: method must be 'summation' or 'difference', got {self.method!r}."
            )
        rng = self.sample_range
        if (
            not isinstance(rng, (tuple, list))
            or len(rng) != 2
            or not all(isinstance(v, numbers.Real) for v in rng)
            or not -1 <= rng[0] < rng[1] <= 1
        ):
            raise ValueError(
                "GAFImager: sample_range must be a tuple (min, max) with "
                f"-1 <= min < max <= 1, got {rng!r}."
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, numbers.Integral) or self.batch_size < 1:
            raise ValueError(f"GAFImager: batch_size must be a positive int, got {self.batch_size!r}.")
        try:
            np.dtype(self.dtype)
        except TypeError as exc:
            raise TypeError(f"GAFImager: dtype must be a numpy dtype, got {self.dtype!r}.") from exc
        if not np.issubdtype(np.dtype(self.dtype), np.floating):
            raise ValueError(f"GAFImager: dtype must be a floating dtype, got {self.dtype!r}.")

    def _resolve_size(self, n_timestamps: int) -> int:
        size = self.image_size
        if isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise TypeError(f"GAFImager: image_size must be an int or a float, got {size!r}.")
        if isinstance(size, numbers.Integral):
            if size < 1:
                raise ValueError(f"GAFImager: image_size must be >= 1, got {size}.")
            if size > n_timestamps:
                raise ValueError(
                    f"GAFImager: image_size={size} exceeds the window length "
                    f"(n_features = {n_timestamps} samples per window)."
                )
            return int(size)
        if not 0 < size <= 1:
            raise ValueError(
                f"GAFImager: a float image_size is a fraction in (0, 1], got {size}."
            )
        return math.ceil(size * n_timestamps)

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        if isinstance(X, Mapping) and not issparse(X):
            raise TypeError(
                "GAFImager takes the windows of one signal, got a dict of modalities; "
                "route its keys with skkd.compose.ModalityTransformer."
            )
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        if len(X.shape) == 3:
            if np.iscomplexobj(X):
                raise ValueError("GAFImager: Complex data not supported.")
            X = check_signal_windows(X, name="X", ranks=(3,))
            if reset:
                self.n_channels_ = X.shape[1]
            elif X.shape[1] != self.n_channels_:
                raise ValueError(
                    f"GAFImager was fitted on {self.n_channels_} channel(s), got {X.shape[1]}."
                )
            return X
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if reset:
            self.n_channels_ = 1
        elif self.n_channels_ != 1:
            raise ValueError(
                f"GAFImager was fitted on {self.n_channels_} channels, got (n, T) windows."
            )
        return X[:, None, :]

    # -- API ----------------------------------------------------------------
    def fit(self, X, y=None):
        """Check parameters and the input's shape (no learning).

        Parameters
        ----------
        X : array-like of shape (n_windows, T) or (n_windows, n_channels, T)
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = self._validate(X, reset=True)
        self.image_size_ = self._resolve_size(X.shape[-1])
        return self

    def transform(self, X) -> np.ndarray:
        """Images of every window and channel.

        Parameters
        ----------
        X : array-like of shape (n_windows, T) or (n_windows, n_channels, T)
            Finite values; windows at least ``image_size`` samples long.

        Returns
        -------
        ndarray of shape (n_windows, n_channels, image_size, image_size)
        """
        check_is_fitted(self, "image_size_")
        self._check_params()
        X = self._validate(X, reset=False)
        n, c, T = X.shape
        s = self._resolve_size(T)
        dtype = np.dtype(self.dtype)
        series = X.reshape(n * c, T)
        out = np.empty((n * c, s, s), dtype=dtype)
        for lo in range(0, n * c, self.batch_size):
            hi = min(lo + self.batch_size, n * c)
            cos, sin = self._angles(series[lo:hi], s)
            # GASF = cos cos' - sin sin', GADF = sin cos' - cos sin': one
            # batched (s, 2) @ (2, s) product per series, written in place
            left = np.stack([cos, sin] if self.method == "summation" else [sin, cos], axis=2)
            right = np.stack([cos, -sin], axis=1)
            np.matmul(left.astype(dtype), right.astype(dtype), out=out[lo:hi])
        return out.reshape(n, c, s, s)

    def _angles(self, X: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
        """PAA, per-series min-max scaling, then (cos, sin) of the angles."""
        T = X.shape[1]
        window_size = -(-T // s)
        if window_size > 1:
            start, end, _ = segmentation(T, window_size, False, s)
            X = np.add.reduceat(X, start, axis=1) / (end - start)
        lo, hi = self.sample_range
        data_min, data_max = X.min(axis=1), X.max(axis=1)
        data_range = data_max - data_min
        data_range[data_range < 10 * np.finfo(np.float64).eps] = 1.0
        scale = (hi - lo) / data_range
        offset = lo - data_min * scale
        cos = X * scale[:, None] + offset[:, None]
        sin = np.sqrt(np.clip(1 - cos**2, 0, 1))
        return cos, sin

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags
