"""Classic speech-emotion features: MFCC, chroma, mel, ZCR and spectral shape."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.fft
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skkd.features._logmel import as_mono_audio, power_to_db, stft

__all__ = ["SpeechFeatures"]

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
    ``spectral_bandwidth``; tests compare). One batched STFT (torch) feeds all
    spectral features; only the chroma tuning estimate runs per clip, through
    :func:`librosa.estimate_tuning` (numba-compiled on first use, a few seconds
    once per process; pass a fixed ``tuning`` to skip it).

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
    batch_size : int, default=64
        Clips per STFT.

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
        batch_size: int = 64,
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
        name = type(self).__name__
        for attr in ("sr", "n_mfcc", "n_chroma", "n_mels", "n_fft", "hop_length", "batch_size"):
            v = getattr(self, attr)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name}: {attr} must be a positive int, got {v!r}.")
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"{name}: n_mfcc ({self.n_mfcc}) cannot exceed n_mels ({self.n_mels}).")
        if self.output not in ("stats", "frames"):
            raise ValueError(f"{name}: output must be 'stats' or 'frames', got {self.output!r}.")
        if (
            isinstance(self.stats, str)
            or not isinstance(self.stats, (tuple, list))
            or not self.stats
            or any(s not in _STATS for s in self.stats)
        ):
            raise ValueError(
                f"{name}: stats must be a non-empty tuple among {sorted(_STATS)}, got {self.stats!r}."
            )
        if not (isinstance(self.roll_percent, numbers.Real) and 0 < self.roll_percent < 1):
            raise ValueError(f"{name}: roll_percent must be in (0, 1), got {self.roll_percent!r}.")
        if self.tuning is not None and not isinstance(self.tuning, numbers.Real):
            raise ValueError(f"{name}: tuning must be None or a number, got {self.tuning!r}.")

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        # float32 clips, as librosa sees audio read from files (int PCM scaled)
        X = as_mono_audio(X, type(self).__name__)
        return validate_data(self, X, reset=reset, dtype=np.float32)

    # -- API -----------------------------------------------------------------
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
        import librosa

        self._check_params()
        self._validate(X, reset=True)
        self.mel_basis_ = librosa.filters.mel(sr=self.sr, n_fft=self.n_fft, n_mels=self.n_mels)
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
        self._check_params()
        X = self._validate(X, reset=False)
        with np.errstate(all="ignore"):  # overflow is reported below
            frames = np.concatenate(
                [self._frames(X[lo : lo + self.batch_size])
                 for lo in range(0, len(X), self.batch_size)]
            )
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
    def _frames(self, x: np.ndarray) -> np.ndarray:
        import librosa

        with torch.inference_mode():
            # float32 spectrograms, as librosa computes them for float32 audio
            S = stft(torch.from_numpy(x), n_fft=self.n_fft, hop_length=self.hop_length)
            magnitude = S.abs()
            power = magnitude.square()
            # float64 product: a clip's features do not depend on its batch
            mel = torch.matmul(torch.from_numpy(self.mel_basis_).double(), power.double())
            mel_db = power_to_db(mel).numpy()
            power, magnitude = power.numpy(), magnitude.numpy()
        mfcc = scipy.fft.dct(mel_db, axis=1, type=2, norm="ortho")[:, : self.n_mfcc]
        freq = librosa.fft_frequencies(sr=self.sr, n_fft=self.n_fft)
        chroma = self._chroma(power)
        zcr = self._zcr(x)[:, None, : power.shape[2]]
        shape = _spectral_shape(magnitude, freq, self.roll_percent)
        return np.concatenate([mfcc, chroma, mel_db, zcr, shape], axis=1)

    def _chroma(self, power: np.ndarray) -> np.ndarray:
        import librosa

        out = np.empty((len(power), self.n_chroma, power.shape[2]))
        for i, S in enumerate(power):
            if self.tuning is None:
                with warnings.catch_warnings():
                    # silent clips: librosa warns, then uses 0 (as chroma_stft does)
                    warnings.filterwarnings("ignore", "Trying to estimate tuning")
                    tuning = librosa.estimate_tuning(
                        S=S, sr=self.sr, bins_per_octave=self.n_chroma
                    )
            else:
                tuning = float(self.tuning)
            fb = librosa.filters.chroma(
                sr=self.sr, n_fft=self.n_fft, tuning=tuning, n_chroma=self.n_chroma
            )
            raw = fb @ S
            peak = raw.max(axis=0, keepdims=True)
            tiny = np.finfo(raw.dtype).tiny
            out[i] = raw / np.where(peak < tiny, 1.0, peak)
        return out

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
    """Centroid, roll-off and bandwidth of magnitude spectrograms ``(n, bins, frames)``.

    As ``librosa.feature.spectral_centroid``/``spectral_rolloff``/
    ``spectral_bandwidth`` (p=2, normalised), silent frames giving 0.
    """
    total = S.sum(axis=1, keepdims=True)
    norm = S / np.where(total < np.finfo(S.dtype).tiny, 1.0, total)
    centroid = np.einsum("nft,f->nt", norm, freq)
    cum = np.cumsum(S, axis=1)
    above = cum >= roll_percent * cum[:, -1:, :]
    rolloff = freq[np.argmax(above, axis=1)]
    deviation = (freq[None, :, None] - centroid[:, None, :]) ** 2
    bandwidth = np.sqrt(np.sum(norm * deviation, axis=1))
    return np.stack([centroid, rolloff, bandwidth], axis=1)
