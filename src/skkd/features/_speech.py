"""Classic speech-emotion features: MFCC, chroma, mel, ZCR and spectral shape.

Every feature is librosa's, recomputed in torch and numpy: librosa's
implementations of the chroma tuning estimate and of the zero-crossing rate
are numba-compiled (and importing librosa compiles or loads its eagerly typed
gufuncs), which made the first call take from seconds to over a minute. This
module imports neither librosa nor numba; the tests compare with librosa.
"""

from __future__ import annotations

import functools
from numbers import Real

import numpy as np
import scipy.fft
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.features._logmel import (
    MelFilterbank,
    _n_frames,
    as_mono_audio,
    fft_frequencies,
    map_batches,
    mel_filterbank,
    power_to_db,
    stft,
)
from skkd.utils._validation import (
    FINITE_REAL,
    POSITIVE_INT,
    invalid_parameter,
    refuse_bool_parameters,
)

__all__ = ["SpeechFeatures", "chroma_filterbank", "estimate_tuning"]

_STATS = {
    "mean": np.mean,
    "std": np.std,
    "min": np.min,
    "max": np.max,
    "median": np.median,
}


def _is_stats(self) -> bool:
    return self.output == "stats"


class SpeechFeatures(TransformerMixin, BaseEstimator):
    """Frame-wise speech features, as sequences or per-utterance statistics.

    The feature set of the classic speech-emotion recipe, every frame:
    ``n_mfcc`` MFCCs, ``n_chroma`` chroma bins, ``n_mels`` log-mel bands (dB),
    zero-crossing rate, spectral centroid, roll-off and bandwidth -- each equal
    to its librosa function with the same ``n_fft``/``hop_length``
    (``librosa.feature.mfcc``, ``chroma_stft``, ``power_to_db(melspectrogram)``,
    ``zero_crossing_rate``, ``spectral_centroid``, ``spectral_rolloff``,
    ``spectral_bandwidth``; tests compare on real speech within 1e-4
    relative). One batched STFT (torch, float64 FFT stored as complex64, as
    librosa computes it for float32 audio) feeds all spectral features. The
    chroma tuning is estimated per clip as ``chroma_stft`` does
    (:func:`estimate_tuning`, librosa's ``piptrack`` + ``pitch_tuning`` in
    numpy); pass a fixed ``tuning`` to skip it. Nothing here imports librosa
    or numba, so the first call costs no compilation.

    Conventions, all librosa's: frames are centred (``n_fft // 2`` zeros on
    each side for the spectra; the zero-crossing rate pads by repeating the
    edge samples and counts a crossing between samples ``j - 1`` and ``j``
    in every frame holding both, ``|x| <= 1e-10`` counting as 0 and 0 as
    positive); the roll-off is the centre frequency of the first bin whose
    cumulative magnitude reaches ``roll_percent`` of the frame's total (a
    frame whose sum lands within float32 rounding of that line can pick the
    neighbouring bin); silent frames give 0 for the centroid, bandwidth and
    roll-off and an all-zero chroma.

    Parameters
    ----------
    sr : int, default=22050
        Sampling rate of the clips (Hz).
    output : {"stats", "frames"}, default="stats"
        ``"frames"``: ``(n, n_features, frames)`` sequences for a CNN/BiLSTM;
        ``"stats"``: ``(n, n_features * len(stats))`` for classical models.
    stats : tuple of str, default=("mean", "std")
        Per-utterance statistics over frames, among "mean", "std", "min",
        "max", "median".
    n_mfcc, n_chroma, n_mels : int, default=40, 12, 128
    n_fft, hop_length : int, default=2048, 512
    roll_percent : float, default=0.85
        Energy fraction below the roll-off frequency.
    tuning : float or None, default=None
        Chroma tuning offset in fractions of a bin; ``None`` estimates it per
        clip as ``librosa.feature.chroma_stft`` does.
    batch_size : int, default=8
        Clips per STFT; small batches stay in the CPU's cache (the result
        does not depend on it). Batches run in parallel on
        ``torch.get_num_threads()`` threads (see
        :func:`skkd.features._logmel.map_batches`).

    Attributes
    ----------
    n_features_in_ : int
        Clip length (samples) seen in ``fit``.
    frame_feature_names_ : ndarray of str
        Names of the per-frame features (axis 1 of the "frames" output).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(2 * np.pi * 220 * np.arange(11025) / 22050)[None, :]
    >>> SpeechFeatures(output="frames", tuning=0.0).fit_transform(x).shape
    (1, 184, 22)
    >>> SpeechFeatures(tuning=0.0).fit(x).get_feature_names_out()[[0, -1]].tolist()
    ['mfcc_0_mean', 'spectral_bandwidth_std']
    """

    _parameter_constraints: dict = {
        "sr": [POSITIVE_INT],
        "output": [StrOptions({"stats", "frames"})],
        "stats": [tuple, list],
        "n_mfcc": [POSITIVE_INT],
        "n_chroma": [POSITIVE_INT],
        "n_mels": [POSITIVE_INT],
        "n_fft": [POSITIVE_INT],
        "hop_length": [POSITIVE_INT],
        "roll_percent": [Interval(Real, 0, 1, closed="neither")],
        "tuning": [FINITE_REAL, None],
        "batch_size": [POSITIVE_INT],
    }

    def __init__(
        self,
        sr: int = 22050,
        *,
        output: str = "stats",
        stats: tuple[str, ...] = ("mean", "std"),
        n_mfcc: int = 40,
        n_chroma: int = 12,
        n_mels: int = 128,
        n_fft: int = 2048,
        hop_length: int = 512,
        roll_percent: float = 0.85,
        tuning: float | None = None,
        batch_size: int = 8,
    ):
        self.sr = sr
        self.output = output
        self.stats = stats
        self.n_mfcc = n_mfcc
        self.n_chroma = n_chroma
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.roll_percent = roll_percent
        self.tuning = tuning
        self.batch_size = batch_size

    # -- validation ----------------------------------------------------------
    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say (run after them)."""
        refuse_bool_parameters(self)
        if self.n_mfcc > self.n_mels:
            raise invalid_parameter(
                self, "n_mfcc", f"at most n_mels={self.n_mels}", self.n_mfcc
            )
        if not self.stats or any(not isinstance(s, str) or s not in _STATS for s in self.stats):
            raise invalid_parameter(
                self, "stats", f"a non-empty tuple among {sorted(_STATS)}", self.stats
            )

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        # float32 clips, as librosa sees audio read from files (int PCM scaled)
        X = as_mono_audio(X, type(self).__name__)
        return validate_data(self, X, reset=reset, dtype=np.float32)

    # -- API -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the clips and build the mel and chroma filterbanks.

        Parameters
        ----------
        X : array-like of shape (n_clips, T) or (n_clips, 1, T)
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        self._validate(X, reset=True)
        self.mel_basis_ = mel_filterbank(self.sr, self.n_fft, n_mels=self.n_mels)
        self.frame_feature_names_ = np.asarray(
            [f"mfcc_{i}" for i in range(self.n_mfcc)]
            + [f"chroma_{i}" for i in range(self.n_chroma)]
            + [f"mel_{i}" for i in range(self.n_mels)]
            + ["zcr", "spectral_centroid", "spectral_rolloff", "spectral_bandwidth"],
            dtype=object,
        )
        return self

    def transform(self, X) -> np.ndarray:
        """Features of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, T) or (n_clips, 1, T)
            Finite mono audio at ``sr`` Hz: float, or integer PCM (int16 as
            ``scipy.io.wavfile`` reads it), scaled to [-1, 1) as librosa reads it.

        Returns
        -------
        ndarray
            ``(n_clips, n_frame_features, frames)`` for ``output="frames"``,
            ``(n_clips, n_frame_features * len(stats))`` for ``output="stats"``
            (columns as in :meth:`get_feature_names_out`).
        """
        check_is_fitted(self, "mel_basis_")
        self._validate_params()
        self._check_params()
        X = self._validate(X, reset=False)
        n_frames = _n_frames(X.shape[1], self.n_fft, self.hop_length, center=True)
        frames = np.empty((len(X), len(self.frame_feature_names_), n_frames))
        mel_bank = MelFilterbank(self.mel_basis_, dtype=torch.float32)

        def batch(lo: int, hi: int) -> None:
            with np.errstate(all="ignore"):  # overflow is reported below
                frames[lo:hi] = self._frames(X[lo:hi], mel_bank)

        map_batches(batch, len(X), self.batch_size)
        if not np.isfinite(frames).all():
            raise ValueError(
                "SpeechFeatures: features overflowed; audio amplitudes must be moderate "
                f"(max |x| here is {float(np.abs(X).max()):.3g}; scale clips to [-1, 1])."
            )
        if self.output == "frames":
            return frames.astype(np.float32)
        return np.concatenate([_STATS[s](frames, axis=2) for s in self.stats], axis=1).reshape(
            len(X), len(self.stats), -1
        ).transpose(0, 2, 1).reshape(len(X), -1)

    @available_if(_is_stats)
    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Column names ``{feature}_{stat}`` (``output="stats"`` only)."""
        check_is_fitted(self, "mel_basis_")
        return np.asarray(
            [f"{f}_{s}" for f in self.frame_feature_names_ for s in self.stats], dtype=object
        )

    # -- computation ---------------------------------------------------------
    # Arrays are (clips, frames, bins) here, contiguous along the bins, and
    # are transposed to (clips, features, frames) at the end.
    def _frames(self, x: np.ndarray, mel_bank: MelFilterbank) -> np.ndarray:
        """Features of a batch, ``(n, n_frame_features, frames)`` (run in inference mode)."""
        # float32 spectra from a float64 FFT, as librosa computes them for float32 audio
        S = stft(torch.from_numpy(x), n_fft=self.n_fft, hop_length=self.hop_length)
        magnitude = S.transpose(1, 2).abs()  # (n, frames, bins)
        power = magnitude.square()
        mel_db = power_to_db(mel_bank(power)).numpy()
        power, magnitude = power.numpy(), magnitude.numpy()
        mfcc = scipy.fft.dct(mel_db, axis=-1, type=2, norm="ortho")[..., : self.n_mfcc]
        freq = fft_frequencies(self.sr, self.n_fft)
        chroma = self._chroma(power)
        zcr = self._zcr(x)[:, : power.shape[1], None]
        shape = _spectral_shape(magnitude, freq, self.roll_percent)
        frames = np.concatenate([mfcc, chroma, mel_db, zcr, shape], axis=-1, dtype=np.float64)
        return frames.transpose(0, 2, 1)

    def _chroma(self, power: np.ndarray) -> np.ndarray:
        """``librosa.feature.chroma_stft(S=power)`` per clip (tuning estimated per clip)."""
        if self.tuning is None:
            tunings = estimate_tuning(power, sr=self.sr, n_fft=self.n_fft,
                                      bins_per_octave=self.n_chroma)
        else:
            tunings = np.full(len(power), float(self.tuning))
        fb = np.stack([
            chroma_filterbank(self.sr, self.n_fft, n_chroma=self.n_chroma, tuning=t)
            for t in tunings
        ])
        raw = np.empty(power.shape[:2] + (self.n_chroma,), dtype=np.float32)
        # float32, as librosa's einsum; clip by clip, so that a clip's result ignores its batch
        for i in range(len(power)):
            torch.matmul(torch.from_numpy(power[i]), torch.from_numpy(fb[i]).T,
                         out=torch.from_numpy(raw[i]))
        peak = np.abs(raw).max(axis=-1, keepdims=True).astype(np.float64)
        peak[peak < np.finfo(raw.dtype).tiny] = 1.0
        return (raw / peak).astype(np.float32)

    def _zcr(self, x: np.ndarray) -> np.ndarray:
        """``librosa.feature.zero_crossing_rate`` (edge padding, threshold 1e-10)."""
        half = self.n_fft // 2
        xp = np.pad(x, [(0, 0), (half, half)], mode="edge")
        sign = np.signbit(np.where(np.abs(xp) <= 1e-10, 0.0, xp))
        change = (sign[:, 1:] != sign[:, :-1]).astype(np.float64)
        # crossings between samples j-1 and j, counted in the frames holding both
        csum = np.concatenate([np.zeros((len(x), 1)), np.cumsum(change, axis=1)], axis=1)
        starts = np.arange(0, xp.shape[1] - self.n_fft + 1, self.hop_length)
        counts = csum[:, starts + self.n_fft - 1] - csum[:, starts]
        return counts / self.n_fft

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


def _spectral_shape(S: np.ndarray, freq: np.ndarray, roll_percent: float) -> np.ndarray:
    """Centroid, roll-off and bandwidth of magnitude spectra ``(n, frames, bins)``.

    As ``librosa.feature.spectral_centroid``/``spectral_rolloff``/
    ``spectral_bandwidth`` (p=2, normalised), in their dtypes: the L1
    normalisation is float64 stored as float32, the sums float64; silent
    frames give 0. Returns ``(n, frames, 3)``.
    """
    total = S.sum(axis=-1, keepdims=True, dtype=np.float64)
    total[total < np.finfo(S.dtype).tiny] = 1.0
    norm = (S / total).astype(S.dtype)
    centroid = np.einsum("ntf,f->nt", norm, freq)  # no BLAS call: no thread start-up
    bandwidth = np.sqrt(np.einsum("ntf,ntf->nt", norm, (freq - centroid[..., None]) ** 2))
    cum = np.cumsum(S, axis=-1)
    above = cum >= roll_percent * cum[..., -1:]
    rolloff = freq[np.argmax(above, axis=-1)]
    return np.stack([centroid, rolloff, bandwidth], axis=-1)


def _hz_to_octs(frequencies: np.ndarray, tuning: float, bins_per_octave: int) -> np.ndarray:
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    return np.log2(np.asanyarray(frequencies) / (float(a440) / 16))


@functools.lru_cache(maxsize=256)
def _chroma_filterbank(sr: float, n_fft: int, n_chroma: int, tuning: float) -> np.ndarray:
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * _hz_to_octs(frequencies, tuning, n_chroma)
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    D = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    n_chroma2 = np.round(float(n_chroma) / 2)
    D = np.remainder(D + n_chroma2 + 10 * n_chroma, n_chroma) - n_chroma2
    wts = np.exp(-0.5 * (2 * D / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    # unit L2 norm per FFT bin (librosa.util.normalize(norm=2, axis=0))
    length = np.sum(np.abs(wts) ** 2, axis=0, keepdims=True) ** (1.0 / 2)
    length[length < np.finfo(wts.dtype).tiny] = 1.0
    wts = wts / length
    # Gaussian octave weighting centred on octave 5 (ctroct=5, octwidth=2)
    wts *= np.tile(np.exp(-0.5 * (((frqbins / n_chroma - 5.0) / 2) ** 2)), (n_chroma, 1))
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)  # start at C
    out = np.ascontiguousarray(wts[:, : int(1 + n_fft / 2)], dtype=np.float32)
    out.flags.writeable = False
    return out


def chroma_filterbank(sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0) -> np.ndarray:
    """Chroma filterbank ``(n_chroma, 1 + n_fft // 2)``, float32, read-only.

    The same array as ``librosa.filters.chroma(sr=sr, n_fft=n_fft,
    n_chroma=n_chroma, tuning=tuning)`` (its defaults: Gaussian octave
    weighting at octave 5 +- 2, unit L2 norm per bin, starting at C), in numpy.

    >>> chroma_filterbank(22050, 2048).shape
    (12, 1025)
    """
    return _chroma_filterbank(float(sr), int(n_fft), int(n_chroma), float(tuning))


def _localmax(x: np.ndarray) -> np.ndarray:
    """``librosa.util.localmax`` along the last axis.

    ``x[i] > x[i - 1]`` and ``x[i] >= x[i + 1]``; the first element is never
    a maximum, the last one is when it exceeds its left neighbour.
    """
    out = np.zeros(x.shape, dtype=bool)
    out[..., 1:-1] = (x[..., 1:-1] > x[..., :-2]) & (x[..., 1:-1] >= x[..., 2:])
    out[..., -1] = x[..., -1] > x[..., -2]
    return out


def _parabolic_shift(x: np.ndarray) -> np.ndarray:
    """librosa's parabolic peak interpolation along the last axis (``piptrack``).

    Written with the arithmetic librosa's numba stencil does: the sum of the
    neighbours in the input's precision, the rest in float64, the result
    stored in the input's dtype; 0 at both ends and where the vertex lies
    more than one bin away.
    """
    left, mid, right = x[..., :-2], x[..., 1:-1], x[..., 2:]
    a = (right + left).astype(np.float64) - 2 * mid.astype(np.float64)
    b = (right - left).astype(np.float64) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a)
    shift = np.zeros_like(x)
    shift[..., 1:-1] = inner
    return shift


def estimate_tuning(
    power: np.ndarray, *, sr: float, n_fft: int, bins_per_octave: int = 12,
    fmin: float = 150.0, fmax: float = 4000.0, threshold: float = 0.1, resolution: float = 0.01,
) -> np.ndarray:
    """Tuning of each clip in fractions of a bin, as ``librosa.estimate_tuning(S=...)``.

    ``power`` is ``(n, frames, bins)`` (power spectra, as ``chroma_stft``
    passes them). librosa's ``piptrack`` (peaks above ``threshold`` of each
    frame's maximum between ``fmin`` and ``fmax``, refined by parabolic
    interpolation) and ``pitch_tuning`` (the mode of the pitches' deviations
    from the equal-tempered scale, in a histogram of ``resolution`` bins),
    for all clips at once. Clips with no pitch give 0 (librosa warns).

    An A4 a quarter of a semitone sharp (chroma_stft's power spectra, as
    here, put it at 0.22; librosa's ``estimate_tuning(y=...)`` uses
    magnitudes and says 0.24):

    >>> sr = 22050
    >>> x = np.sin(2 * np.pi * 440 * 2 ** (0.25 / 12) * np.arange(sr) / sr).astype(np.float32)
    >>> P = stft(torch.from_numpy(x[None]), n_fft=2048, hop_length=512).transpose(1, 2).abs() ** 2
    >>> estimate_tuning(P.numpy(), sr=sr, n_fft=2048).round(2).tolist()
    [0.22]
    """
    S = np.abs(power)
    n, n_bins = len(S), S.shape[-1]
    out = np.zeros(n)
    if n_bins < 2:
        return out
    fmin = np.maximum(fmin, 0)
    fmax = np.minimum(fmax, float(sr) / 2)
    freqs = fft_frequencies(sr, n_fft)
    ref_value = threshold * S.max(axis=-1, keepdims=True)
    freq_mask = (fmin <= freqs) & (freqs < fmax)
    clip, frame, k = np.nonzero(freq_mask & _localmax(S * (S > ref_value)))
    # librosa's np.gradient and parabolic shift, evaluated at the peaks only
    # (a peak is never the first bin; the last bin has no right neighbour)
    last = k == n_bins - 1
    s_mid = S[clip, frame, k]
    s_left = S[clip, frame, k - 1]
    s_right = S[clip, frame, np.where(last, k, k + 1)]
    avg = np.where(last, s_mid - s_left, (s_right - s_left) / 2.0)
    shift = _parabolic_shift(np.stack([s_left, s_mid, s_right], axis=-1))[:, 1]
    shift[last] = 0
    pitches = ((k + shift) * float(sr) / n_fft).astype(S.dtype)
    mags = s_mid + 0.5 * avg * shift
    edges = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    bounds = np.searchsorted(clip, np.arange(n + 1))
    for i in range(n):
        pitch, mag = pitches[bounds[i] : bounds[i + 1]], mags[bounds[i] : bounds[i + 1]]
        keep = pitch > 0
        if not keep.any():
            continue
        pitch = pitch[(mag >= np.median(mag[keep])) & keep]
        pitch = pitch[pitch > 0]
        if not pitch.any():
            continue
        residual = np.mod(bins_per_octave * _hz_to_octs(pitch, 0.0, 12), 1.0)
        residual[residual >= 0.5] -= 1.0
        counts, _ = np.histogram(residual, edges)
        out[i] = edges[np.argmax(counts)]
    return out
