"""RuLSIFOpportuneSelector: keep the windows in which the signals change most."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from skkd.opportune._base import BaseSelector
from skkd.opportune._change_scores import RULSIF_CONSTRAINTS, change_scores_batch, check_rulsif_params
from skkd.utils._validation import refuse_bools
from skkd.opportune._signals import stack_windows

__all__ = ["RuLSIFOpportuneSelector"]


class RuLSIFOpportuneSelector(BaseSelector):
    """Select windows by their RuLSIF change score (Liu et al. 2013).

    Each window is scored from its own samples: the symmetric alpha-relative
    Pearson divergence between ``n`` Hankel subsequences (length ``k``) and the
    next ``n`` is computed at every time point inside the window, and the
    window's score is their ``aggregate`` (max by default). Windows need not be
    consecutive or non-overlapping, so any windowing (e.g. Stress-Predict's 60 s
    windows with a 30 s hop) works. ``fit`` learns the threshold: the
    ``quantile`` of the training scores, or a fixed ``threshold``.

    A window's score is at least -1 by construction (``nonneg='refit'``):
    scores far below zero, which clipped RuLSIF weights and a wide kernel gave
    for clear changes in earlier versions, cannot occur; see
    :func:`~skkd.opportune.rulsif_change_scores`.

    Parameters
    ----------
    alpha : float in [0, 1), default=0.1
        Relative density-ratio mixture weight.
    k : int, default=10
        Subsequence length (samples).
    n : int, default=50
        Subsequences in the reference and in the test set. A window needs at
        least ``2n + k - 1`` samples (109 with the defaults: 27 s at 4 Hz).
    sigma : 'median', float or sequence of float, default='median'
        Kernel width: half the window's median heuristic (see
        ``sigma_factors``), fixed, or a grid for leave-one-out
        cross-validation.
    sigma_factors : sequence of float, optional
        With ``sigma='median'``: the width is ``median * sigma_factors``,
        cross-validated when there are several. Default ``(0.5,)``
        (``(1.0,)`` is the plain median heuristic).
    ridge : float or sequence of float, default=0.1
        Ridge (a sequence is cross-validated with sigma).
    quantile : float in [0, 1), default=0.75
        Training-score quantile used as threshold (the top 25% are opportune).
    threshold : float, optional
        Fixed score threshold; when given, ``quantile`` is ignored.
    aggregate : {'max', 'mean'}, default='max'
        How the change scores inside a window become the window's score.
    channels : int, sequence of int or dict, optional
        Channels to score (array input), or ``{modality: indices}``.
    modalities : sequence of str, optional
        Keys of a :class:`~skkd.Modalities` input to score (default: all).
        They are resampled to the shortest window length
        (``scipy.signal.resample_poly``) and their channels concatenated.
    n_centers : int, default=100
        Kernel centres (at most ``n``).
    standardize : bool, default=True
        z-score each channel within each window.
    nonneg : {'refit', 'clip'}, default='refit'
        How RuLSIF keeps its kernel weights non-negative: ``'refit'`` refits
        without the centres whose weight came out negative (scores >= -1);
        ``'clip'`` clips them as densratio does (scores can fall far below 0).
    chunk_size : int, default=512
        Time points per batched solve (memory bound).
    n_jobs : int, optional
        Threads for scoring.
    random_state : int, RandomState, Generator or None
        Seeds the kernel centres when ``n > n_centers``.

    Attributes
    ----------
    threshold_ : float
        Score at or above which a window is opportune.
    train_scores_ : ndarray of shape (n_windows,)
        Scores of the training windows.
    n_features_in_ : int
        Channels of an array input (absent for dict input).
    window_shape_ : tuple or dict
        Shape of one training window (``(channels, samples)``, ``(samples,)``
        for 2-D ``X``, or ``{modality: shape}``); ``predict`` and
        ``score_samples`` refuse windows of another shape.

    Raises
    ------
    ValueError
        NaN/inf, constant windows (no change can be measured), windows
        shorter than ``2n + k - 1`` samples, fewer than two training windows
        with ``quantile``, an empty selection in ``fit_resample``, or windows
        at predict time whose shape differs from the training windows'.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 2, 120))
    >>> X[:4, :, 60:] += 3.0                       # a level shift in 4 windows
    >>> sel = RuLSIFOpportuneSelector(k=5, n=20, quantile=0.5).fit(X)
    >>> sel.predict(X)
    array([1, 1, 1, 1, 0, 0, 0, 0])
    >>> X_kept, y_kept = sel.fit_resample(X, np.arange(8))
    >>> y_kept
    array([0, 1, 2, 3])
    """

    _parameter_constraints: dict = {
        **RULSIF_CONSTRAINTS,
        "quantile": [Interval(Real, 0, 1, closed="left")],
        "threshold": [None, Interval(Real, None, None, closed="neither")],
        "aggregate": [StrOptions({"max", "mean"})],
        "channels": [None, Integral, "array-like", Mapping],
        "modalities": [None, "array-like"],
    }

    def __init__(
        self,
        *,
        alpha=0.1,
        k=10,
        n=50,
        sigma="median",
        sigma_factors=None,
        ridge=0.1,
        quantile=0.75,
        threshold=None,
        aggregate="max",
        channels=None,
        modalities=None,
        n_centers=100,
        standardize=True,
        nonneg="refit",
        chunk_size=512,
        n_jobs=None,
        random_state=None,
    ):
        self.alpha = alpha
        self.k = k
        self.n = n
        self.sigma = sigma
        self.sigma_factors = sigma_factors
        self.ridge = ridge
        self.quantile = quantile
        self.threshold = threshold
        self.aggregate = aggregate
        self.channels = channels
        self.modalities = modalities
        self.n_centers = n_centers
        self.standardize = standardize
        self.nonneg = nonneg
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_params(self) -> None:
        refuse_bools(self, quantile=self.quantile)
        self._rulsif_params()

    def _rulsif_params(self) -> dict:
        """The RuLSIF parameters checked and in the form ``change_scores_batch`` takes."""
        names = ("k", "n", "alpha", "sigma", "sigma_factors", "ridge", "n_centers", "nonneg", "chunk_size")
        return check_rulsif_params(self, **{name: getattr(self, name) for name in names})

    def _scores(self, X, *, reset: bool) -> np.ndarray:
        """Window scores (the callers, fit and ``_check_fitted``, have run the constraints)."""
        params = self._rulsif_params()
        X = self._check_X(X, reset=reset)
        windows = stack_windows(X, modalities=self.modalities, channels=self.channels)
        if not np.isfinite(windows).all():
            raise ValueError("X contains NaN or infinite values; impute or drop those windows first.")
        need = 2 * params["n"] + params["k"] - 1
        if windows.shape[2] < need:
            two_d = "" if isinstance(X, Mapping) or np.ndim(X) != 2 else f" (n_features={windows.shape[2]} of 2-D X)"
            raise ValueError(
                f"X windows have {windows.shape[2]} samples{two_d}; k={self.k}, n={self.n} "
                f"need at least 2n + k - 1 = {need}. Use longer windows or smaller k/n."
            )
        scores, _, _ = change_scores_batch(
            windows,
            symmetric=True,
            standardize=bool(self.standardize),
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            name="X",
            **params,
        )
        return scores.max(axis=1) if self.aggregate == "max" else scores.mean(axis=1)

    def _fit_mask(self, X, y=None) -> np.ndarray:
        scores = self._scores(X, reset=True)
        if self.threshold is None:
            if scores.size < 2:
                raise ValueError(
                    f"quantile thresholds need at least 2 training windows, got n_samples={scores.size}; "
                    "pass more windows or a fixed threshold."
                )
            self.threshold_ = float(np.quantile(scores, self.quantile))
        else:
            self.threshold_ = float(self.threshold)
        self.train_scores_ = scores
        return self._nonempty(scores >= self.threshold_, type(self).__name__)

    def score_samples(self, X) -> np.ndarray:
        """Change score of each window (higher = more change), shape ``(n_windows,)``."""
        self._check_fitted()
        return self._scores(X, reset=False)

    def decision_function(self, X) -> np.ndarray:
        """``score_samples(X) - threshold_``: non-negative for opportune windows."""
        return self.score_samples(X) - self.threshold_

    def _predict_mask(self, X) -> np.ndarray:
        return self.score_samples(X) >= self.threshold_

    def _check_X(self, X, *, reset):
        X = super()._check_X(X, reset=reset)
        if isinstance(X, Mapping) and self.channels is not None and not isinstance(self.channels, Mapping):
            raise ValueError("With a dict of modalities, channels must be a dict {modality: indices}.")
        return X
