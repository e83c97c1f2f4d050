"""Gramian Angular Field images of signal windows (batched, pyts-exact).

pyts is the reference (tests compare to it) but is not imported here: its
import compiles numba kernels, which would cost seconds on a cold start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.utils._validation import POSITIVE_INT, invalid_parameter, refuse_bool_parameters
from skkd.utils import check_signal_windows

__all__ = ["GAFImager"]


def _paa(X: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Means of ``X[:, bounds[j]:bounds[j + 1]]``, summed in pyts's order (bit-equal to it).

    pyts sums each segment left to right from 0; here the k-th sample of every
    segment is added at once (one vectorised add per offset), which gives the
    same floating-point sums. Returns a new array.
    """
    start, width = bounds[:-1], np.diff(bounds)
    m, T = X.shape
    if (width == width[0]).all():  # equal segments: strided views, no gather
        segments = X.reshape(m, len(start), int(width[0]))
        total = segments[:, :, 0].copy()
        for k in range(1, int(width[0])):
            total += segments[:, :, k]
    else:
        total = X[:, start]
        for k in range(1, int(width.max())):
            has = width > k
            total[:, has] += X[:, start[has] + k]
    total /= width
    return total


def _threads(n_jobs: int | None) -> int:
    """Threads for ``n_jobs``, as joblib counts them (None: 1 outside a ``parallel_config``)."""
    from joblib import effective_n_jobs

    return max(1, int(effective_n_jobs(n_jobs)))


class GAFImager(TransformerMixin, BaseEstimator):
    """Encode windows as Gramian Angular Field images, one per channel.

    Each channel is shortened to ``image_size`` points by piecewise aggregate
    approximation (PAA), min-max scaled to ``sample_range`` per window, read as
    angles ``phi = arccos(x)``, and turned into the image
    ``cos(phi_i + phi_j)`` (summation, GASF) or ``sin(phi_i - phi_j)``
    (difference, GADF) -- exactly :class:`pyts.image.GramianAngularField`.

    The angles are computed in float64 as pyts computes them; the image is
    the rank-two product ``GASF = c c' - s s'`` (``GADF = s c' - c s'``, with
    ``c = cos(phi)``, ``s = sin(phi)``) written straight into the output in
    ``dtype``, ``batch_size`` series at a time (optionally on ``n_jobs``
    threads). The work is bounded by writing the images to memory: 4,000
    64 x 64 float32 images (65 MB) take about 1.7 times an ``np.empty`` +
    ``fill`` of the same array, one thread each (``benchmarks/speed.py``). Parity with pyts (float64): within 1e-5 in
    float32 (typically 1.5e-7: the float32 rounding of the factors) and 1e-7
    in float64 (tests check both).

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
    batch_size : int, default=256
        Series (window x channel) converted at a time: memory beyond the
        output stays bounded by a few arrays of ``batch_size x image_size``.
        Does not change the result.
    n_jobs : int or None, default=None
        Threads converting batches at once (numpy releases the GIL), counted
        as joblib counts them: None is 1 unless inside a
        :func:`joblib.parallel_config` context, -1 is every CPU. Threads
        write the output in parallel: on an idle machine two threads take
        about 0.6 times as long for large inputs; on a loaded one they can be
        slower, hence the single-threaded default. Does not change the result.

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

    _parameter_constraints: dict = {
        "image_size": [POSITIVE_INT, Interval(RealNotInt, 0, 1, closed="right")],
        "method": [StrOptions({"summation", "difference"})],
        "sample_range": [tuple, list],
        "dtype": [type, str, np.dtype],
        "batch_size": [POSITIVE_INT],
        "n_jobs": [POSITIVE_INT, Options(Integral, {-1}), None],
    }

    def __init__(
        self,
        image_size: int | float = 32,
        method: str = "summation",
        sample_range: tuple[float, float] = (-1, 1),
        dtype=np.float32,
        batch_size: int = 256,
        n_jobs: int | None = None,
    ):
        self.image_size = image_size
        self.method = method
        self.sample_range = sample_range
        self.dtype = dtype
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    # -- validation ---------------------------------------------------------
    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)
        rng = self.sample_range
        if not (len(rng) == 2 and all(isinstance(v, Real) for v in rng)
                and -1 <= rng[0] < rng[1] <= 1):
            raise invalid_parameter(
                self, "sample_range", "a tuple (min, max) with -1 <= min < max <= 1", rng
            )
        try:
            floating = np.issubdtype(np.dtype(self.dtype), np.floating)
        except (TypeError, ValueError):
            floating = False
        if not floating:
            raise invalid_parameter(self, "dtype", "a floating numpy dtype", self.dtype)

    def _resolve_size(self, n_timestamps: int) -> int:
        size = self.image_size
        if isinstance(size, Integral):
            if size > n_timestamps:
                raise ValueError(
                    f"GAFImager: image_size={size} exceeds the window length "
                    f"(n_features = {n_timestamps} samples per window)."
                )
            return int(size)
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
    @_fit_context(prefer_skip_nested_validation=True)
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
        self._validate_params()
        self._check_params()
        X = self._validate(X, reset=False)
        n, c, T = X.shape
        s = self._resolve_size(T)
        series = X.reshape(n * c, T)
        out = np.empty((n * c, s, s), dtype=np.dtype(self.dtype))
        # PAA segments as pyts cuts them (pyts.utils.segmentation)
        bounds = np.linspace(0, T, s + 1).astype(np.int64)
        batches = [(lo, min(lo + self.batch_size, n * c)) for lo in range(0, n * c, self.batch_size)]

        def batch(bound: tuple[int, int]) -> None:
            lo, hi = bound
            self._images(series[lo:hi], bounds, out[lo:hi])

        workers = min(_threads(self.n_jobs), len(batches))
        if workers <= 1:
            for bound in batches:
                batch(bound)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(batch, batches))  # re-raises a worker's exception
        return out.reshape(n, c, s, s)

    def _images(self, X: np.ndarray, bounds: np.ndarray, out: np.ndarray) -> None:
        """PAA, per-series min-max scaling, (cos, sin) of the angles, then the images into ``out``."""
        # pyts skips PAA when each segment is one sample; X is not written to
        paa = X if X.shape[1] == len(bounds) - 1 else _paa(X, bounds)
        lo, hi = self.sample_range
        data_min, data_max = paa.min(axis=1), paa.max(axis=1)
        data_range = data_max - data_min
        data_range[data_range < 10 * np.finfo(np.float64).eps] = 1.0
        scale = (hi - lo) / data_range
        offset = lo - data_min * scale
        cos = paa * scale[:, None]  # a new array, then in place
        cos += offset[:, None]
        sin = np.square(cos)
        np.subtract(1.0, sin, out=sin)
        np.clip(sin, 0.0, 1.0, out=sin)
        np.sqrt(sin, out=sin)
        # GASF = cos cos' - sin sin', GADF = sin cos' - cos sin': one
        # (s, 2) @ (2, s) product per series, written in place in out's dtype
        m, s = cos.shape
        right = np.empty((m, 2, s), dtype=out.dtype)
        right[:, 0] = cos
        np.negative(sin, out=right[:, 1], casting="same_kind")
        left = np.empty((m, s, 2), dtype=out.dtype)
        if self.method == "summation":
            left[:, :, 0] = right[:, 0]
            np.negative(right[:, 1], out=left[:, :, 1])
        else:
            np.negative(right[:, 1], out=left[:, :, 0])
            left[:, :, 1] = right[:, 0]
        np.matmul(left, right, out=out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags
