"""Waveform synthesis for the synthetic affective datasets.

Each function turns *physical* parameters (a heart rate in bpm, a skin
conductance level in µS, band amplitudes in µV, a pitch in Hz...) into a
waveform. They know nothing of valence, arousal or subjects: the mapping from
the latent affective state to these parameters lives in
:mod:`skkd.datasets._synthetic`.

Cardiac, respiratory and electrodermal waveforms come from NeuroKit2's
simulators (:func:`neurokit2.ecg_simulate`, :func:`neurokit2.ppg_simulate`,
:func:`neurokit2.rsp_simulate`, :func:`neurokit2.eda_simulate`). Those take a
*constant* rate, so each is simulated once per recording, briefly, at a
nominal rate (60 beats at 60 bpm, 30 breaths at 15 /min, 20 SCRs at 4 /min),
cut between two upward crossings of its mean so it loops seamlessly, and read
back through a time warp whose speed follows the requested instantaneous
rate: a stretch at 90 bpm reads 1.5 s of the 60-bpm source per second. One
short simulator call per recording instead of one per window keeps
generation fast whatever the recording length, and the rate can change
smoothly within a recording. NeuroKit2 has no EEG simulator without
MNE, nor speech or face simulators, so those are built here from filtered noise,
a glottal pulse train through formant resonators, and rendered strokes.

All randomness comes from the ``numpy.random.Generator`` passed in; seeds for
NeuroKit2 are drawn from it, so a seeded generator gives bit-identical output.
"""

from __future__ import annotations

import numpy as np
import neurokit2 as nk
from scipy import fft as sp_fft
from scipy import signal as sps

__all__ = [
    "band_noise",
    "exp_smooth",
    "instantaneous_heart_rate",
    "simulate_bvp",
    "simulate_ecg",
    "simulate_eda",
    "simulate_eeg",
    "simulate_rsp",
    "simulate_speech",
    "simulate_temp",
    "render_faces",
]

_SEED_HIGH = 2**31 - 1


def _nk_seed(rng: np.random.Generator) -> np.random.Generator:
    """A generator for a NeuroKit2 simulator, seeded from ``rng``.

    A ``Generator`` (rather than an int, which NeuroKit2 turns into a legacy
    ``RandomState``) lets NeuroKit2 spawn its child streams cheaply.
    """
    return np.random.default_rng(int(rng.integers(_SEED_HIGH)))


def _unit_band(n: int, fs: float, low_hz: float, high_hz: float) -> tuple[np.ndarray, float]:
    """Mask of the rfft bins in ``[low_hz, high_hz]`` and the rms it gives white noise."""
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    keep = (freqs <= high_hz) & (freqs >= low_hz)
    # bins counted over the full (two-sided) spectrum
    two_sided = 2 * keep.sum() - keep[0] - (keep[-1] if n % 2 == 0 else 0)
    return keep, float(np.sqrt(two_sided / n))


def band_noise(
    shape: int | tuple[int, ...],
    fs: float,
    high_hz: float,
    rng: np.random.Generator,
    low_hz: float = 0.0,
) -> np.ndarray:
    """Gaussian noise band-limited to ``[low_hz, high_hz]``, unit variance.

    The band is cut from the spectrum of white noise along the last axis and
    the result scaled by its theoretical standard deviation, so every row has
    variance 1 in expectation (zeros when no frequency bin falls in the band).
    Noise much slower than ``fs`` is made at ``8 * high_hz`` and interpolated.

    >>> x = band_noise((3, 4000), 100.0, 5.0, np.random.default_rng(0))
    >>> x.shape, bool(abs(x.std() - 1) < 0.1)
    ((3, 4000), True)
    """
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    n = shape[-1]
    if 8.0 * high_hz < fs / 4.0 and n > 64:
        fs_low = 8.0 * high_hz
        n_low = int(np.ceil(n * fs_low / fs)) + 2
        coarse = band_noise(shape[:-1] + (n_low,), fs_low, high_hz, rng, low_hz)
        where = np.arange(n) * (fs_low / fs)
        flat = coarse.reshape(-1, n_low)
        fine = np.stack([np.interp(where, np.arange(n_low), row) for row in flat])
        return fine.reshape(shape)
    keep, rms = _unit_band(n, fs, low_hz, high_hz)
    if rms == 0:
        return np.zeros(shape)
    white = rng.standard_normal(shape)
    spectrum = np.fft.rfft(white, axis=-1)
    spectrum[..., ~keep] = 0.0
    return np.fft.irfft(spectrum, n=n, axis=-1) / rms


def exp_smooth(x: np.ndarray, fs: float, tau_s: float) -> np.ndarray:
    """First-order low-pass (time constant ``tau_s`` seconds) along the last axis.

    Starts at rest on the first sample, so a constant input is returned unchanged.

    >>> exp_smooth(np.r_[np.zeros(4), np.ones(4)], fs=1.0, tau_s=1.0).round(2)
    array([0.  , 0.  , 0.  , 0.  , 0.63, 0.86, 0.95, 0.98])
    """
    x = np.asarray(x, dtype=float)
    if tau_s <= 0:
        return x.copy()
    alpha = 1.0 - np.exp(-1.0 / (tau_s * fs))
    b, a = [alpha], [1.0, alpha - 1.0]
    zi = sps.lfilter_zi(b, a) * x[..., :1]
    return sps.lfilter(b, a, x, axis=-1, zi=zi)[0]


def _loop(source: np.ndarray) -> np.ndarray:
    """Cut ``source`` between its first and last upward crossings of the mean.

    The cut joins up seamlessly when repeated (the join is one ordinary
    upstroke), so a short simulation can be read for as long as needed.
    """
    above = source > source.mean()
    ups = np.flatnonzero(~above[:-1] & above[1:]) + 1
    if ups.size < 2:
        return source
    return source[ups[0]:ups[-1]]


def _warped_read(
    rate: np.ndarray, source: np.ndarray, fs_source: float, fs: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Read a looped constant-rate ``source`` through a time warp of speed ``rate``.

    ``rate`` (per output sample) is how many seconds of source to advance per
    second of output (1 = the nominal rate); reading starts at a random phase.
    """
    step = rate * (fs_source / fs)
    positions = np.empty_like(step, dtype=float)
    positions[0] = rng.uniform(0.0, source.size)
    np.cumsum(step[:-1], out=positions[1:])
    positions[1:] += positions[0]
    return np.interp(positions, np.arange(source.size), source, period=source.size)


def _source_rate(fs: float) -> int:
    """Integer sampling rate for a NeuroKit2 source (they need whole sample counts)."""
    return int(np.ceil(fs))


def instantaneous_heart_rate(
    heart_rate: np.ndarray,
    hrv: np.ndarray,
    fs: float,
    rng: np.random.Generator,
    rsa_hz: float = 0.25,
) -> np.ndarray:
    """Beat-to-beat heart rate (bpm) around a mean ``heart_rate`` curve.

    Heart-rate variability is a respiratory sinus arrhythmia at ``rsa_hz`` plus
    slow (< 0.15 Hz) fluctuations, both of relative size ``hrv`` (e.g. 0.05 =
    5 % of the rate); the product stays within 45-200 bpm.

    >>> hr = instantaneous_heart_rate(np.full(400, 70.0), np.full(400, 0.05), 4.0,
    ...                               np.random.default_rng(0))
    >>> bool(60 < hr.min() and hr.max() < 80)
    True
    """
    n = heart_rate.size
    t = np.arange(n) / fs
    rsa = np.sin(2 * np.pi * rsa_hz * t + rng.uniform(0, 2 * np.pi))
    slow = band_noise(n, fs, 0.15, rng, low_hz=0.02)
    rate = heart_rate * (1.0 + hrv * (0.7 * rsa + 0.7 * slow))
    return np.clip(rate, 45.0, 200.0)


def simulate_ecg(
    heart_rate: np.ndarray, fs: float, rng: np.random.Generator, amplitude: float = 1.0
) -> np.ndarray:
    """A one-lead ECG (mV) following an instantaneous ``heart_rate`` (bpm) curve.

    The beat shape is NeuroKit2's fast ``method="simple"`` ECG (60 beats,
    looped); baseline wander and white noise are added.

    >>> hr = np.full(1280, 75.0)
    >>> simulate_ecg(hr, 128.0, np.random.default_rng(0)).shape
    (1280,)
    """
    fs_src = _source_rate(fs)
    source = nk.ecg_simulate(duration=61, sampling_rate=fs_src, heart_rate=60,
                             method="simple", noise=0, random_state=_nk_seed(rng))
    source = _loop(source / np.max(source))
    ecg = _warped_read(heart_rate / 60.0, source, fs_src, fs, rng)
    wander = 0.05 * band_noise(ecg.size, fs, 0.3, rng)
    noise = 0.01 * rng.standard_normal(ecg.size)
    return amplitude * ecg + wander + noise


def simulate_bvp(
    heart_rate: np.ndarray,
    amplitude: np.ndarray,
    fs: float,
    rng: np.random.Generator,
    motion: float = 0.15,
) -> np.ndarray:
    """Wrist blood-volume pulse (arbitrary units) following ``heart_rate`` (bpm).

    The pulse shape is :func:`neurokit2.ppg_simulate`'s (60 pulses, looped),
    scaled to unit standard deviation and multiplied by ``amplitude`` (per
    sample); ``motion`` sets the relative size of band-limited (0.1-3 Hz)
    motion artefacts.

    >>> hr, amp = np.full(640, 75.0), np.full(640, 40.0)
    >>> simulate_bvp(hr, amp, 64.0, np.random.default_rng(0)).shape
    (640,)
    """
    fs_src = _source_rate(fs)
    source = nk.ppg_simulate(
        duration=61, sampling_rate=fs_src, heart_rate=60, frequency_modulation=0.0,
        ibi_randomness=0.0, drift=0.0, motion_amplitude=0.0, powerline_amplitude=0.0,
        burst_number=0, random_state=_nk_seed(rng),
    )
    source = _loop((source - source.mean()) / source.std())
    bvp = _warped_read(heart_rate / 60.0, source, fs_src, fs, rng)
    artefact = motion * band_noise(bvp.size, fs, 3.0, rng, low_hz=0.1)
    return amplitude * (bvp + artefact)


def simulate_rsp(
    breathing_rate: np.ndarray,
    depth: np.ndarray,
    irregularity: np.ndarray,
    fs: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Respiration belt signal (arbitrary units) at ``breathing_rate`` (breaths/min).

    The breath shape is :func:`neurokit2.rsp_simulate`'s ``"breathmetrics"``
    model (30 breaths at 15 /min, looped), warped to the requested rate;
    ``irregularity`` (relative, per sample) adds slow random rate changes and
    ``depth`` scales the tidal amplitude.

    >>> rate, ones = np.full(960, 15.0), np.ones(960)
    >>> simulate_rsp(rate, ones, 0.1 * ones, 32.0, np.random.default_rng(0)).shape
    (960,)
    """
    fs_src = _source_rate(fs)
    source = nk.rsp_simulate(duration=122, sampling_rate=fs_src, respiratory_rate=15,
                             method="breathmetrics", noise=0, random_state=_nk_seed(rng))
    source = _loop((source - source.mean()) / source.std())
    wobble = irregularity * band_noise(breathing_rate.size, fs, 0.05, rng)
    rate = np.clip(breathing_rate * (1.0 + wobble), 4.0, 60.0) / 15.0
    rsp = _warped_read(rate, source, fs_src, fs, rng)
    return depth * rsp + 0.02 * rng.standard_normal(rsp.size)


def simulate_eda(
    tonic_level: np.ndarray,
    scr_amplitude: np.ndarray,
    scr_rate: np.ndarray,
    fs: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Electrodermal activity (µS): a tonic level plus skin conductance responses.

    SCR shapes come from :func:`neurokit2.eda_simulate` (Bach's canonical SCR;
    20 responses at 4 per minute, looped); ``scr_rate`` (relative, per sample)
    speeds the sequence up or down and ``scr_amplitude`` (µS) scales it.

    >>> ones = np.ones(240)
    >>> eda = simulate_eda(5 * ones, 0.4 * ones, ones, 4.0, np.random.default_rng(0))
    >>> bool(eda.min() > 4.9)
    True
    """
    fs_src = _source_rate(fs)
    source = nk.eda_simulate(duration=300, sampling_rate=fs_src, scr_number=20,
                             drift=0.0, noise=0.0, random_state=_nk_seed(rng))
    source = _loop(source - source.min())
    jitter = np.exp(0.3 * band_noise(scr_rate.size, fs, 0.02, rng))
    phasic = _warped_read(scr_rate * jitter, source, fs_src, fs, rng)
    eda = tonic_level + scr_amplitude * phasic
    return np.maximum(eda + 0.005 * rng.standard_normal(eda.size), 0.01)


def simulate_temp(level: np.ndarray, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Skin temperature (°C): a ``level`` curve plus slow drift and sensor noise.

    >>> temp = simulate_temp(np.full(240, 33.0), 4.0, np.random.default_rng(0))
    >>> bool(abs(temp.mean() - 33.0) < 0.5)
    True
    """
    drift = 0.08 * band_noise(level.size, fs, 0.01, rng)
    return level + drift + 0.01 * rng.standard_normal(level.size)


# ----------------------------------------------------------------------------- EEG

_EEG_PEAKS = ((6.0, 1.0), (None, 1.0), (20.0, 4.0))  # (centre Hz, sd Hz): theta, alpha, beta


def simulate_eeg(
    theta: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    background: np.ndarray,
    alpha_peak_hz: float,
    n_samples: int,
    fs: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Band-limited EEG-like windows (µV), shape ``(n, c, n_samples)``.

    Each channel is Gaussian noise synthesised in the frequency domain with a
    1/f background (rms ``background``) plus Gaussian spectral peaks for theta
    (6 Hz), alpha (at ``alpha_peak_hz``) and beta (20 Hz) whose rms amplitudes
    are the ``(n, c)`` arrays ``theta``, ``alpha``, ``beta``; the components'
    powers add.

    >>> rng = np.random.default_rng(0)
    >>> a = np.ones((2, 3))
    >>> simulate_eeg(a, 4 * a, a, a, 10.0, 256, 128.0, rng).shape
    (2, 3, 256)
    """
    freqs = np.fft.rfftfreq(n_samples, d=1.0 / fs)
    shapes = [1.0 / np.sqrt(np.maximum(freqs, 0.5)) * (freqs > 0.5)]
    for centre, width in _EEG_PEAKS:
        centre = alpha_peak_hz if centre is None else centre
        shapes.append(np.exp(-0.5 * ((freqs - centre) / width) ** 2) * (freqs > 0))
    shapes = np.array(shapes)
    # power per bin such that white noise shaped by sqrt(power) has unit variance
    two_sided = 2.0 * np.sum(shapes**2, axis=1, keepdims=True) - shapes[:, :1] ** 2
    unit_power = shapes**2 / np.maximum(two_sided, 1e-300) * n_samples
    amplitudes = np.stack([background, theta, alpha, beta], axis=-1)
    power = (amplitudes**2) @ unit_power  # (n, c, n_freqs)
    # rfft of unit white noise: complex Gaussian bins of variance n_samples
    shape = power.shape
    spectrum = np.empty(shape, dtype=np.complex64)
    spectrum.real = rng.standard_normal(shape, dtype=np.float32)
    spectrum.imag = rng.standard_normal(shape, dtype=np.float32)
    spectrum *= np.sqrt(power * (n_samples / 2.0)).astype(np.float32)
    return sp_fft.irfft(spectrum, n=n_samples, axis=-1)


# --------------------------------------------------------------------------- speech

# first three formants (Hz) of /a i u e o/ for an adult male voice
_VOWEL_FORMANTS = np.array(
    [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240],
     [530, 1840, 2480], [570, 840, 2410]], dtype=float
)
_FORMANT_BANDWIDTHS = np.array([80.0, 100.0, 140.0])
_SPEECH_CHUNK = 1_000_000  # samples per vectorised batch (memory bound)


def _formant_sos(formants: np.ndarray, fs: float) -> np.ndarray:
    """Cascade of two-pole resonators (unit gain at DC) as second-order sections."""
    sections = []
    for freq, bw in zip(formants, _FORMANT_BANDWIDTHS):
        if freq >= 0.45 * fs:
            continue
        r = np.exp(-np.pi * bw / fs)
        a1, a2 = -2.0 * r * np.cos(2 * np.pi * freq / fs), r * r
        sections.append([1.0 + a1 + a2, 0.0, 0.0, 1.0, a1, a2])
    return np.asarray(sections)


def _rosenberg_pulse(phase: np.ndarray, open_quotient: np.ndarray) -> np.ndarray:
    """Rosenberg glottal flow for a phase in [0, 1): opening, closing, closed."""
    opening = 0.7 * open_quotient
    closing = 0.3 * open_quotient
    rise = 0.5 * (1.0 - np.cos(np.pi * phase / opening))
    fall = np.cos(0.5 * np.pi * (phase - opening) / closing)
    return np.where(phase < opening, rise, np.where(phase < open_quotient, fall, 0.0))


def simulate_speech(
    f0: np.ndarray,
    syllable_rate: np.ndarray,
    loudness: np.ndarray,
    pitch_range: np.ndarray,
    open_quotient: np.ndarray,
    formant_scale: float,
    n_samples: int,
    fs: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Speech-like waveforms, shape ``(n, n_samples)``, one window per row.

    A Rosenberg glottal pulse train at pitch ``f0`` (Hz, per window; phrase
    declination and syllable accents of relative size ``pitch_range``, 1 %
    jitter) is differentiated (lip radiation) and sent through the formant
    resonators of a vowel drawn per syllable (/a i u e o/, formants times
    ``formant_scale``: about 1.15 for a female vocal tract). Syllables come at
    ``syllable_rate`` per second with a sin² envelope and a short fricative
    burst at onset, grouped in phrases of 4-8 syllables separated by a pause;
    ``loudness`` scales the rms and a smaller ``open_quotient`` gives a
    brighter, more pressed voice.

    >>> one = np.ones(2)
    >>> simulate_speech(120 * one, 4 * one, one, 0.1 * one, 0.6 * one, 1.0, 8000,
    ...                 8000.0, np.random.default_rng(0)).shape
    (2, 8000)
    """
    n = f0.size
    out = np.empty((n, n_samples), dtype=np.float32)
    vowel_filters = [
        _formant_sos(formants * formant_scale, fs) for formants in _VOWEL_FORMANTS
    ]
    rows = max(1, _SPEECH_CHUNK // n_samples)
    for start in range(0, n, rows):
        sl = slice(start, min(n, start + rows))
        k = sl.stop - sl.start
        clock = syllable_rate[sl, None] * np.exp(0.15 * band_noise((k, n_samples), fs, 0.5, rng))
        syllable = np.cumsum(clock, axis=1) / fs + rng.uniform(0, 1, (k, 1))
        index = np.floor(syllable).astype(np.int64)
        within = syllable - index
        phrase_len = rng.integers(5, 10, size=(k, 1))
        in_phrase = index % phrase_len
        voiced = in_phrase < phrase_len - 1  # the last slot of a phrase is a pause
        n_syll = int(index.max()) + 1
        accents = rng.uniform(-1, 1, (k, n_syll))
        vowels = rng.integers(0, len(_VOWEL_FORMANTS), (k, n_syll))
        contour = 0.5 - (in_phrase + within) / phrase_len
        contour = contour + 0.5 * np.take_along_axis(accents, index, axis=1)
        pitch = f0[sl, None] * (1.0 + pitch_range[sl, None] * contour)
        pitch *= 1.0 + 0.01 * band_noise((k, n_samples), fs, 20.0, rng)
        glottal_phase = np.cumsum(pitch, axis=1) / fs
        flow = _rosenberg_pulse(glottal_phase % 1.0, open_quotient[sl, None])
        source = np.diff(flow, axis=1, prepend=flow[:, :1])
        source += 0.02 * rng.standard_normal((k, n_samples))  # aspiration
        vowel_of_sample = np.take_along_axis(vowels, index, axis=1)
        voice = np.zeros((k, n_samples))
        for v, sos in enumerate(vowel_filters):
            mask = vowel_of_sample == v
            if mask.any():
                voice[mask] = sps.sosfilt(sos, source, axis=1)[mask]
        envelope = np.sin(np.pi * within) ** 2 * voiced
        burst = (within < 0.12) * np.exp(-within / 0.04) * voiced
        fricative = np.diff(rng.standard_normal((k, n_samples + 1)), axis=1)
        speech = voice * envelope
        speech /= np.sqrt(np.mean(speech**2, axis=1, keepdims=True)) + 1e-12
        speech += 0.3 * burst * fricative
        speech = 0.1 * loudness[sl, None] * speech
        speech += 0.002 * rng.standard_normal((k, n_samples))
        out[sl] = speech
    return out


# ---------------------------------------------------------------------------- faces


def _stroke(rows: np.ndarray, centre: np.ndarray, width: float) -> np.ndarray:
    """Gaussian profile across a line at height ``centre`` (broadcast)."""
    return np.exp(-0.5 * ((rows - centre) / width) ** 2)


def render_faces(
    mouth_curvature: np.ndarray,
    mouth_open: np.ndarray,
    brow_raise: np.ndarray,
    brow_tilt: np.ndarray,
    blink: np.ndarray,
    size: int,
    centre: tuple[float, float],
    radius: float,
    skin: float,
    background: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Render tiny grey-level faces, one per element of the parameter arrays.

    Parameters are arrays of one shape (e.g. ``(n, frames)``), in pixels for a
    16-pixel face: ``mouth_curvature`` > 0 lifts the mouth corners (smile),
    < 0 lowers them; ``mouth_open`` separates the lips; ``brow_raise`` lifts
    the brows; ``brow_tilt`` > 0 lowers their inner ends (a frown); ``blink``
    in [0, 1] closes the eyes. ``centre`` (row, col), ``radius``, ``skin`` and
    ``background`` describe the person and the camera. Returns the images,
    shape ``(*parameters.shape, size, size)``, values in [0, 1].

    >>> z = np.zeros((2, 3))
    >>> render_faces(z, z, z, z, z, 16, (8, 8), 7, .8, .2,
    ...              np.random.default_rng(0)).shape
    (2, 3, 16, 16)
    """
    scale = size / 16.0
    r = np.arange(size, dtype=float)[:, None]
    c = np.arange(size, dtype=float)[None, :]
    cy, cx = centre
    head = 1.0 / (1.0 + np.exp(((r - cy) ** 2 + (c - cx) ** 2) ** 0.5 - radius))
    base = background + (skin - background) * head

    def p(a):  # parameter array -> broadcastable against (size, size)
        return np.asarray(a, dtype=float)[..., None, None]

    dark = np.zeros(np.shape(mouth_curvature) + (size, size))
    eye_row, eye_dx = cy - 1.5 * scale, 2.5 * scale
    for side in (-1.0, 1.0):
        ex = cx + side * eye_dx
        across = np.exp(-0.5 * ((c - ex) / (0.7 * scale)) ** 2)
        height = 0.5 * scale * (1.0 - 0.8 * p(blink)) + 0.15 * scale
        dark += 0.8 * across * _stroke(r, eye_row, height)
        # brow: a short line above the eye, its inner end lowered by brow_tilt
        inner = side * (ex - c) / (1.5 * scale)  # +1 at the inner end
        brow_row = eye_row - scale * (2.0 + p(brow_raise) - 0.5 * p(brow_tilt) * inner)
        along = np.exp(-0.5 * ((c - ex) / (1.3 * scale)) ** 6)
        dark += 0.7 * along * _stroke(r, brow_row, 0.5 * scale)
    # mouth: two lips, corners lifted by curvature, separated by mouth_open
    u = (c - cx) / (3.0 * scale)
    along = np.exp(-0.5 * u**8)
    mouth_row = cy + 3.0 * scale - p(mouth_curvature) * scale * u**2
    half_gap = 0.5 * np.maximum(p(mouth_open), 0.0) * scale * (1.0 - 0.6 * u**2)
    lip = 0.45 * scale
    lips = _stroke(r, mouth_row - half_gap, lip) + _stroke(r, mouth_row + half_gap, lip)
    dark += 0.8 * along * lips
    image = base * (1.0 - np.clip(dark, 0.0, 0.9) * head)
    image += 0.02 * rng.standard_normal(image.shape)
    return np.clip(image, 0.0, 1.0)
