"""Wrist-accelerometer window features: movement intensity, activity counts, jerk."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from scipy.signal import butter, sosfiltfilt
from scipy.sparse import issparse
from sklearn.utils.validation import validate_data

from skkd.features._base import WindowFeatureExtractor
from skkd.utils._validation import POSITIVE_REAL, invalid_parameter

__all__ = ["ACCFeatures"]

#: activity-count band (Hz), truncation (g) and dead band (g) of the count
#: pipeline of Brønd, Andersen & Arvidsson (2017)
COUNT_BAND = (0.29, 1.63)
COUNT_TRUNCATION_G = 2.13
COUNT_DEADBAND_G = 0.068


@lru_cache(maxsize=16)
def _count_filter(fs: float):
    """4th-order Butterworth band-pass over ``COUNT_BAND`` as second-order sections."""
    return butter(4, COUNT_BAND, btype="bandpass", fs=fs, output="sos")


class ACCFeatures(WindowFeatureExtractor):
    """Movement intensity, activity counts and jerk of 3-axis accelerometer windows.

    Maps windows ``(n, 3, T)`` (x, y, z axes) to ``(n, 10)``. Acceleration is
    first divided by ``one_g`` so that every feature is in units of g
    (g/s for jerk):

    ``vm_mean``, ``vm_std``
        Mean and standard deviation of the vector magnitude
        ``VM = sqrt(x² + y² + z²)`` (about 1 g at rest, whatever the
        orientation).
    ``enmo_mean``, ``enmo_p95``
        Mean and 95th percentile of the Euclidean norm minus one,
        ``ENMO = max(VM - 1 g, 0)`` (van Hees et al., 2013). For reference,
        Hildebrand et al. (2014) put moderate activity at a wrist ENMO of
        about 0.1 g (100 mg) averaged over an epoch.
    ``mad``
        Mean amplitude deviation, the mean of ``|VM - mean(VM)|``
        (Vähä-Ypyä et al., 2015): intensity free of calibration offsets.
    ``counts_per_min``, ``moving_fraction``
        Activity counts following the pipeline of Brønd, Andersen & Arvidsson
        (2017): each axis is band-pass filtered to 0.29–1.63 Hz (here a
        4th-order zero-phase Butterworth filter instead of ActiGraph's
        proprietary coefficients), truncated at 2.13 g, values below the
        0.068 g dead band are zeroed, the rest rectified and integrated over
        1-s epochs; an epoch's count is the vector magnitude of its three axis
        counts (in g·s). ``counts_per_min`` is the mean epoch count times 60;
        ``moving_fraction`` the share of epochs with a non-zero count. The
        values are **not** ActiGraph count units: compare them within skkd,
        not with published ActiGraph cut points.
    ``jerk_mean``, ``jerk_std``, ``jerk_p95``
        Statistics of the magnitude of the jerk, the time derivative of the
        acceleration vector (finite differences, g/s).

    Parameters
    ----------
    fs : float, default=32
        Sampling rate in Hz (32 for the Empatica E4); must exceed 3.26 Hz for
        the count band.
    one_g : float, default=64
        The value of 1 g in the input's units: 64 for the Empatica E4 export
        (1/64 g), 1 for input in g, 9.80665 for m/s².
    n_jobs : int, default=None
        Windows processed in parallel with joblib (``-1``: all cores).
    verbose : int, default=1
        0 is silent; 1 shows a tqdm progress bar from 200 windows on; 2 always.

    Attributes
    ----------
    n_features_in_ : int
        Values per window seen in ``fit``: 3 × the window length in samples.

    Notes
    -----
    Windows shorter than 5 s, or holding NaN, give NaN features with one
    :class:`~skkd.features.FeatureExtractionWarning` per call; inf is refused.

    References
    ----------
    van Hees et al. (2013), PLoS ONE 8(4): e61691. Hildebrand et al. (2014),
    Med Sci Sports Exerc 46(9): 1816–1824. Vähä-Ypyä et al. (2015), Clin
    Physiol Funct Imaging 35(1): 64–70. Brønd, Andersen & Arvidsson (2017),
    Med Sci Sports Exerc 49(11): 2351–2360.

    Examples
    --------
    A wrist at rest (1 g on the z axis, E4 units), then the same wrist
    oscillating by ±0.5 g at 1 Hz along z:

    >>> import numpy as np
    >>> t = np.arange(60 * 32) / 32
    >>> rest = np.stack([0 * t, 0 * t, 64 + 0 * t])
    >>> moving = rest + np.stack([0 * t, 0 * t, 32 * np.sin(2 * np.pi * t)])
    >>> acc = ACCFeatures(fs=32, verbose=0)
    >>> F = acc.fit_transform(np.stack([rest, moving])).round(3)
    >>> dict(zip(acc.get_feature_names_out()[[2, 7]], F[:, [2, 7]].T.tolist()))
    {'enmo_mean': [0.0, 0.159], 'jerk_mean': [0.0, 1.999]}
    """

    feature_names = (
        "vm_mean",
        "vm_std",
        "enmo_mean",
        "enmo_p95",
        "mad",
        "counts_per_min",
        "moving_fraction",
        "jerk_mean",
        "jerk_std",
        "jerk_p95",
    )

    _parameter_constraints: dict = {
        **WindowFeatureExtractor._parameter_constraints,
        "one_g": [POSITIVE_REAL],
    }

    def __init__(
        self,
        fs: float = 32,
        *,
        one_g: float = 64.0,
        n_jobs: int | None = None,
        verbose: int = 1,
    ):
        self.fs = fs
        self.one_g = one_g
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self) -> None:
        super()._check_params()
        if self.fs <= 2 * COUNT_BAND[1]:
            raise invalid_parameter(
                self, "fs", f"above {2 * COUNT_BAND[1]:.2f} Hz (twice the upper edge of the "
                "activity-count band)", self.fs,
            )

    def _min_length(self) -> int:
        return max(int(np.ceil(5 * self.fs)), 10)

    # --- windows of three channels --------------------------------------
    def _validate_windows(self, X, *, reset: bool) -> np.ndarray:
        name = type(self).__name__
        if isinstance(X, Mapping) and not issparse(X):
            raise TypeError(
                f"{name} takes the windows of one signal, got a dict of modalities; "
                "route its keys with skkd.compose.ModalityTransformer."
            )
        if issparse(X):
            raise TypeError(f"{name} does not accept sparse input; pass dense windows (n, 3, T).")
        shape = tuple(np.shape(X))
        if len(shape) != 3 or shape[1] != 3:
            raise ValueError(
                f"{name} expects three axes (x, y, z): windows of shape (n, 3, T), got an "
                f"array of shape {shape}."
            )
        arr = np.asarray(X)
        n, c, T = arr.shape
        flat = validate_data(
            self, arr.reshape(n, c * T), reset=reset, dtype=np.float64,
            ensure_all_finite="allow-nan",
        )
        return flat.reshape(n, c, T)

    def _safe_window(self, x: np.ndarray, min_length: int, prepared=None):
        if x.shape[-1] < min_length:
            names = self.feature_names
            reason = f"window shorter than {min_length} samples"
            return np.full(len(names), np.nan), dict.fromkeys(names, reason)
        return super()._safe_window(x, 0, prepared)

    def _prepare_chunk(self, windows):
        # the count band-pass of the whole chunk in one vectorised call
        a = windows / float(self.one_g)
        return list(sosfiltfilt(_count_filter(float(self.fs)), a, axis=-1))

    def _window_features(self, x, prepared=None):
        fs = float(self.fs)
        a = x / float(self.one_g)  # (3, T) in g; a new array, the input is never written
        vm = np.sqrt(np.sum(a * a, axis=0))
        enmo = np.maximum(vm - 1.0, 0.0)
        out = {
            "vm_mean": vm.mean(),
            "vm_std": vm.std(),
            "enmo_mean": enmo.mean(),
            "enmo_p95": np.percentile(enmo, 95),
            "mad": np.mean(np.abs(vm - vm.mean())),
        }
        counts = _epoch_counts(a, fs, filtered=prepared)
        reasons = {}
        if counts.size:
            out["counts_per_min"] = 60.0 * counts.mean()
            out["moving_fraction"] = float(np.mean(counts > 0))
        else:
            out["counts_per_min"] = out["moving_fraction"] = np.nan
            reasons = dict.fromkeys(("counts_per_min", "moving_fraction"), "window shorter than 1 s")
        jerk = np.sqrt(np.sum(np.diff(a, axis=1) ** 2, axis=0)) * fs
        out.update(jerk_mean=jerk.mean(), jerk_std=jerk.std(), jerk_p95=np.percentile(jerk, 95))
        return np.array([out[f] for f in self.feature_names], dtype=np.float64), reasons

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _epoch_counts(a: np.ndarray, fs: float, filtered: np.ndarray | None = None) -> np.ndarray:
    """Activity count (g·s) of every whole 1-s epoch of ``a`` (3, T) in g.

    ``filtered`` is ``a`` already band-passed to the count band (else done here).
    """
    if filtered is None:
        filtered = sosfiltfilt(_count_filter(fs), a, axis=-1)
    mag = np.minimum(np.abs(filtered), COUNT_TRUNCATION_G)
    mag[mag < COUNT_DEADBAND_G] = 0.0
    per_epoch = int(round(fs))
    n_epochs = a.shape[-1] // per_epoch
    if n_epochs == 0:
        return np.empty(0)
    axis_counts = mag[:, : n_epochs * per_epoch].reshape(3, n_epochs, per_epoch).sum(axis=-1) / fs
    return np.sqrt(np.sum(axis_counts**2, axis=0))
