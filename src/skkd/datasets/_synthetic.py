"""Synthetic multimodal affective data with a known generative model.

Two generators share one model of people and their physiology:
:func:`make_affective_dataset` returns labelled windows of up to eight
modalities (the lab's *privileged* signals and the wearable's), and
:func:`make_affective_sessions` returns continuous wrist recordings with known
change points. Both are bit-reproducible for a fixed ``random_state``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd._modalities import Modalities
from skkd.utils._validation import refuse_bools
from skkd.datasets._synthetic_signals import (
    band_noise,
    exp_smooth,
    instantaneous_heart_rate,
    render_faces,
    simulate_bvp,
    simulate_ecg,
    simulate_eda,
    simulate_eeg,
    simulate_rsp,
    simulate_speech,
    simulate_temp,
)
from skkd.utils._validation import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    POSITIVE_REAL,
    UNIT_INTERVAL,
    invalid_parameter,
)

__all__ = [
    "DEFAULT_FS",
    "DEFAULT_INFORMATIVENESS",
    "DEFAULT_MODALITIES",
    "MODALITIES",
    "make_affective_dataset",
    "make_affective_sessions",
]

GENERATIVE_MODEL = """
Generative model
----------------
*Latent state.* Each subject's windows are split into ``n_sessions``
consecutive sessions, and each session into *episodes* of about two minutes
(``max(1, round(120 / window_s))`` windows). Each episode is assigned one of
the four quadrants of Russell's circumplex (LVLA, LVHA, HVLA, HVHA; each
subject visits them in shuffled, balanced order). Per window, valence ``v``
and arousal ``a`` are the quadrant centre (+-0.5) plus an episode offset
(sd 0.15) plus an AR(1) fluctuation (sd 0.2), clipped to [-1, 1]. Stress is
the "tense" diagonal of the circumplex, ``stress = (2 + a - v) / 4`` in
[0, 1]; a window is stressed when ``a > v``.

*Subjects.* Each subject has an age (18-65), a gender (alternating, so
balanced), individual baselines (heart rate, HRV, skin conductance level, SCR
size, skin temperature, breathing rate and depth, EEG band powers, individual
alpha frequency and frontal asymmetry, voice pitch and speaking rate, face
geometry and a resting expression) and a responsiveness ``r`` (log-normal,
sd 0.35) that scales every reaction to the latent state, jittered per
modality. Age and gender shift physiology: heart rate +4 bpm for women and
-0.15 bpm per year; HRV, skin conductance level and alpha power fall with
age; skin temperature +0.4 C and breathing +1 /min for women; voice pitch
about 115 Hz (men) or 205 Hz (women) with formants 15 % higher for women.
Sessions add offsets (sensor contact, room temperature, electrode
impedance). Because baselines differ more between people than states do
within a person, per-subject normalisation or personalised models pay off.

*Informativeness.* Modality ``m`` sees its own noisy view of the state,
``d = w_m * state + sqrt(1 - w_m**2) * 0.55 * noise`` (drawn independently
for valence and arousal, per window and modality), where ``w_m`` is
``informativeness[m]`` in [0, 1]: 1 = the signal follows the state exactly,
0 = the signal is independent of the state (and of the labels). Defaults:
eeg 0.9, video 0.9, ecg 0.8, rsp 0.7 (privileged, lab), audio 0.6, and
eda 0.5, bvp 0.45, temp 0.3 (wrist).

*Signals* (``g`` = the subject's responsiveness for the modality, ``d_a``,
``d_v`` its views of arousal and valence, ``d_s = (d_a - d_v) / 2``):

- ``ecg`` (128 Hz, mV): NeuroKit2 ``ecg_simulate(method="simple")`` beats read
  through a time warp: heart rate ``HR0 + 14 g d_a`` bpm, HRV (respiratory
  sinus arrhythmia + slow fluctuations) ``hrv0 exp(-0.9 g d_s)``; baseline
  wander and noise.
- ``bvp`` (64 Hz, a.u.): NeuroKit2 ``ppg_simulate`` pulses at the same kind of
  heart rate, amplitude ``exp(-0.35 g d_a)`` (vasoconstriction), wrist
  motion artefacts.
- ``eda`` (4 Hz, uS): skin conductance level ``SCL0 exp(0.3 g d_a)``
  (smoothed, tau 10 s) plus NeuroKit2 ``eda_simulate`` SCRs whose rate is
  ``exp(0.6 g d_a)`` times 4 /min and size ``SCR0 exp(0.7 g d_a)``.
- ``temp`` (4 Hz, C): ``T0 - 0.6 g d_a`` (peripheral vasoconstriction),
  smoothed (tau 45 s), slow drift, sensor noise.
- ``rsp`` (32 Hz, a.u.): NeuroKit2 ``rsp_simulate("breathmetrics")`` breaths at
  ``RR0 + 4 g d_a`` /min, depth ``exp(0.25 g d_v)``, rate irregularity rising
  with ``d_s``.
- ``eeg`` (128 Hz, uV, channels F3, F4, Cz, Pz): 1/f background plus theta
  (6 Hz, ``exp(0.35 g d_s)``), alpha (individual peak, ``exp(-0.6 g d_a)``,
  frontal asymmetry: F3 alpha ``exp(-0.35 g d_v)``, F4 ``exp(+0.35 g d_v)``)
  and beta (20 Hz, ``exp(0.5 g d_a)``) peaks.
- ``audio`` (8 kHz): a speech-like waveform, a Rosenberg glottal pulse train
  through vowel formant resonators with syllable envelopes, phrases and
  pauses; pitch ``F0 exp(0.18 g d_a)``, speaking rate ``exp(0.2 g d_a)``,
  loudness ``exp(0.6 g d_a)``, brighter voice with arousal, livelier
  intonation (pitch range ``exp(0.6 g d_v)``) with valence.
- ``video`` (2 frames/s, 16 x 16 grey levels): a rendered face whose mouth
  corners rise with valence (``2 g d_v`` px + a personal resting bias),
  inner brows lower with negative valence, mouth opens, brows rise and eyes
  blink more with arousal; per-frame jitter and pixel noise.

*Self-reports* (``label_noise``). ``y`` follows the latent state unless
``label_noise`` > 0: then each episode's label is, with that probability,
a report that disagrees with the physiological state (a binary label is
flipped, a quadrant is moved to one of the other three at random) for all
windows of the episode, as when a participant misjudges or misreports how a
stimulus made them feel, or does not react to a stress task. The signals do
not change; ``y_state`` keeps the labels the state implies.

Physiological windows are cut from one continuous recording per subject, so
consecutive windows join up (NeuroKit2 waveforms are simulated briefly once
per subject and modality, looped, and time-warped to the rates above); audio,
video and EEG are drawn per window. Generation of the default call
(20 subjects x 40 windows of 30 s, six modalities, ~70 MB) takes about a
second of CPU; audio costs about 60 ms of CPU per 30-s window.
"""

if __doc__ is not None:  # the model is part of the module's documentation
    __doc__ += GENERATIVE_MODEL

MODALITIES = ("eda", "bvp", "temp", "ecg", "rsp", "eeg", "audio", "video")
"""Every modality :func:`make_affective_dataset` can generate."""

DEFAULT_MODALITIES = ("eda", "bvp", "temp", "ecg", "rsp", "eeg")

DEFAULT_FS: dict[str, float] = {
    "eda": 4, "bvp": 64, "temp": 4, "ecg": 128, "rsp": 32, "eeg": 128,
    "audio": 8000, "video": 2,
}
"""Default sampling rates (Hz; frames per second for video)."""

_MIN_FS = {
    "eda": 1, "bvp": 16, "temp": 0.5, "ecg": 64, "rsp": 4, "eeg": 64,
    "audio": 4000, "video": 0.1,
}

DEFAULT_INFORMATIVENESS: dict[str, float] = {
    "eeg": 0.9, "video": 0.9, "ecg": 0.8, "rsp": 0.7, "audio": 0.6,
    "eda": 0.5, "bvp": 0.45, "temp": 0.3,
}
"""How much each modality reveals of the latent state by default (0 to 1)."""

EEG_CHANNELS = ("F3", "F4", "Cz", "Pz")

TARGETS: dict[str, tuple[str, ...]] = {
    "stress": ("no stress", "stress"),
    "arousal": ("low arousal", "high arousal"),
    "valence": ("negative valence", "positive valence"),
    "quadrant": ("LVLA", "LVHA", "HVLA", "HVHA"),
}

SESSION_CHANNELS = ("eda", "temp", "hr", "bvp", "rsp", "ecg")
_SESSION_MIN_FS = {"eda": 1, "temp": 0.5, "hr": 0.5, "bvp": 16, "rsp": 4, "ecg": 64}
_SESSION_STATES = ("rest", "stress")

_LATENT_SD = 0.55  # spread of valence/arousal across windows
_EPISODE_S = 120.0
_STREAMS = {"traits": 0, "latent": 1, "heart": 2, "hr": 3, "reports": 4,
            **{m: 10 + i for i, m in enumerate(MODALITIES)}}
_GENDER_KEY = 2**31


# ----------------------------------------------------------------- validation
# Types and ranges are the ``validate_params`` constraints of the generators;
# these check what constraints cannot say: names from a fixed set, dict values
# and rules across parameters.

_RANDOM_STATE = [None, NON_NEGATIVE_INT, np.random.RandomState, np.random.Generator]


def _names(owner: str, name: str, value: str | Iterable[str],
           valid: tuple[str, ...]) -> tuple[str, ...]:
    """``value`` (one name or several) as a tuple of distinct names among ``valid``."""
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or any(n not in valid for n in names) or len(set(names)) != len(names):
        raise invalid_parameter(
            owner, name, f"a name or a non-empty sequence of distinct names among "
            f"{list(valid)}", value)
    return names


def _modality_dict(owner: str, name: str, value: Mapping, expected, ok) -> None:
    """Refuse a dict ``value`` with an unknown modality or a value ``ok(key, v)`` refuses
    (``expected(key)`` says what ``value[key]`` must be)."""
    for key, v in value.items():
        if key not in MODALITIES:
            raise invalid_parameter(
                owner, name, f"a dict whose keys are among {list(MODALITIES)}", value)
        if isinstance(v, bool) or not isinstance(v, Real) or not ok(key, v):
            raise invalid_parameter(
                owner, name, f"a dict with {name}[{key!r}] {expected(key)}", value)


def _root_entropy(random_state: Any) -> int:
    """An integer root seed from ``random_state`` (None, int, RandomState, Generator)."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    return int(random_state)


def _stream(root: int, subject: int, name: str) -> np.random.Generator:
    """An independent generator per (subject, purpose): adding a modality or a
    subject leaves every other stream unchanged."""
    return np.random.default_rng(
        np.random.SeedSequence(root, spawn_key=(subject, _STREAMS[name]))
    )


# ------------------------------------------------------------------- subjects


def _subject_ids(n_subjects: int) -> list[str]:
    width = max(2, len(str(n_subjects)))
    return [f"S{i + 1:0{width}d}" for i in range(n_subjects)]


def _draw_subject(root: int, index: int, gender_offset: int) -> dict[str, Any]:
    """Demographics, baselines and responsiveness of one subject."""
    rng = _stream(root, index, "traits")
    female = (index + gender_offset) % 2 == 0
    age = int(rng.integers(18, 66))
    years = age - 40.0
    n = rng.normal
    return {
        "female": female,
        "age": age,
        "responsiveness": float(np.exp(n(0.0, 0.35))),
        "heart_rate": 72.0 + 4.0 * female - 0.15 * years + n(0.0, 8.0),
        "hrv": 0.06 * np.exp(-0.015 * years + n(0.0, 0.2)),
        "ecg_amplitude": float(np.exp(n(0.0, 0.2))),
        "bvp_amplitude": 40.0 * np.exp(n(0.0, 0.3)),
        "scl": 5.0 * np.exp(-0.012 * years + n(0.0, 0.5)) * (0.85 if female else 1.0),
        "scr": 0.4 * np.exp(-0.01 * years + n(0.0, 0.4)),
        "skin_temp": 33.0 + 0.4 * female + n(0.0, 0.5),
        "breathing_rate": 15.0 + 1.0 * female + n(0.0, 2.0),
        "breathing_depth": float(np.exp(n(0.0, 0.2))),
        "eeg_theta": 6.0 * np.exp(n(0.0, 0.2)),
        "eeg_alpha": 12.0 * np.exp(-0.01 * years + n(0.0, 0.25)),
        "eeg_beta": 3.0 * np.exp(n(0.0, 0.2)),
        "eeg_background": 8.0 * np.exp(n(0.0, 0.2)),
        "alpha_peak": 10.3 - 0.02 * years + n(0.0, 0.5),
        "eeg_asymmetry": n(0.0, 0.15),
        "f0": (205.0 if female else 115.0) * np.exp(n(0.0, 0.1)),
        "formant_scale": (1.15 if female else 1.0) * np.exp(n(0.0, 0.03)),
        "syllable_rate": 4.5 * np.exp(n(0.0, 0.1)),
        "loudness": float(np.exp(n(0.0, 0.2))),
        "face_centre": (8.0 + n(0.0, 0.5), 8.0 + n(0.0, 0.5)),
        "face_radius": 6.8 + n(0.0, 0.3),
        "skin": rng.uniform(0.6, 0.9),
        "background": rng.uniform(0.1, 0.35),
        "resting_smile": n(0.0, 0.4),
        "blink_rate": 0.3 * np.exp(n(0.0, 0.3)),
    }


def _physiology(traits: dict, g: float, arousal, valence) -> dict[str, np.ndarray]:
    """Physical parameters of the wrist/chest signals for a given state view."""
    arousal = np.asarray(arousal, dtype=float)
    valence = np.asarray(valence, dtype=float)
    stress = 0.5 * (arousal - valence)
    return {
        "heart_rate": np.clip(traits["heart_rate"] + 14.0 * g * arousal, 45.0, 160.0),
        "hrv": traits["hrv"] * np.exp(-0.9 * g * stress),
        "bvp_amplitude": traits["bvp_amplitude"] * np.exp(-0.35 * g * arousal),
        "scl": traits["scl"] * np.exp(0.3 * g * arousal),
        "scr_amplitude": traits["scr"] * np.exp(0.7 * g * arousal),
        "scr_rate": np.exp(0.6 * g * arousal),
        "skin_temp": traits["skin_temp"] - 0.6 * g * arousal,
        "breathing_rate": np.clip(traits["breathing_rate"] + 4.0 * g * arousal, 6.0, 35.0),
        "breathing_depth": traits["breathing_depth"] * np.exp(0.25 * g * valence),
        "breathing_irregularity": 0.05 + 0.15 / (1.0 + np.exp(-3.0 * g * stress)),
    }


# --------------------------------------------------------------- latent state


def _draw_latent(rng: np.random.Generator, n_windows: int, n_sessions: int,
                 window_s: float) -> dict[str, np.ndarray]:
    """Sessions, episodes, quadrants and valence/arousal of one subject's windows."""
    per_episode = max(1, int(round(_EPISODE_S / window_s)))
    session = np.concatenate([
        np.full(len(part), i) for i, part in
        enumerate(np.array_split(np.arange(n_windows), n_sessions))
    ])
    position = np.concatenate([np.arange(np.sum(session == i)) for i in range(n_sessions)])
    starts = (position % per_episode == 0)
    episode = np.cumsum(starts) - 1
    n_episodes = int(episode[-1]) + 1
    quadrant = np.concatenate(
        [rng.permutation(4) for _ in range(-(-n_episodes // 4))]
    )[:n_episodes]
    centre_v = np.where(quadrant >= 2, 0.5, -0.5) + rng.normal(0.0, 0.15, n_episodes)
    centre_a = np.where(quadrant % 2 == 1, 0.5, -0.5) + rng.normal(0.0, 0.15, n_episodes)
    fluct = rng.normal(0.0, 0.2 * np.sqrt(1 - 0.6**2), (2, n_windows))
    for t in range(1, n_windows):
        fluct[:, t] += 0.6 * fluct[:, t - 1]
    valence = np.clip(centre_v[episode] + fluct[0], -1.0, 1.0)
    arousal = np.clip(centre_a[episode] + fluct[1], -1.0, 1.0)
    return {
        "session": session, "episode": episode, "t_start": position * window_s,
        "valence": valence, "arousal": arousal,
    }


def _views(rng: np.random.Generator, arousal: np.ndarray, valence: np.ndarray,
           weight: float) -> tuple[np.ndarray, np.ndarray]:
    """A modality's noisy views of arousal and valence (informativeness ``weight``)."""
    noise = np.sqrt(1.0 - weight**2) * _LATENT_SD * rng.standard_normal((2, arousal.size))
    return weight * arousal + noise[0], weight * valence + noise[1]


# ------------------------------------------------------------ window modalities


def _per_sample(values: np.ndarray, n_samples: int, fs: float, tau_s: float = 0.0):
    """Repeat per-window values over each window's samples, optionally smoothed."""
    return exp_smooth(np.repeat(values, n_samples), fs, tau_s)


def _gen_ecg(tr, g, d_a, d_v, session, T, fs, rng):
    phys = _physiology(tr, g, d_a, d_v)
    offset = rng.normal(0.0, 2.0, session.max() + 1)[session]
    hr = _per_sample(phys["heart_rate"] + offset, T, fs, tau_s=3.0)
    hr = instantaneous_heart_rate(hr, _per_sample(phys["hrv"], T, fs, 3.0), fs, rng)
    return simulate_ecg(hr, fs, rng, amplitude=tr["ecg_amplitude"])


def _gen_bvp(tr, g, d_a, d_v, session, T, fs, rng):
    phys = _physiology(tr, g, d_a, d_v)
    offset = rng.normal(0.0, 2.0, session.max() + 1)[session]
    contact = np.exp(rng.normal(0.0, 0.2, session.max() + 1))[session]
    hr = _per_sample(phys["heart_rate"] + offset, T, fs, tau_s=3.0)
    hr = instantaneous_heart_rate(hr, _per_sample(phys["hrv"], T, fs, 3.0), fs, rng)
    amplitude = _per_sample(phys["bvp_amplitude"] * contact, T, fs, 3.0)
    return simulate_bvp(hr, amplitude, fs, rng)


def _gen_eda(tr, g, d_a, d_v, session, T, fs, rng):
    phys = _physiology(tr, g, d_a, d_v)
    contact = np.exp(rng.normal(0.0, 0.15, session.max() + 1))[session]
    return simulate_eda(
        _per_sample(phys["scl"] * contact, T, fs, tau_s=10.0),
        _per_sample(phys["scr_amplitude"] * contact, T, fs),
        _per_sample(phys["scr_rate"], T, fs),
        fs, rng,
    )


def _gen_temp(tr, g, d_a, d_v, session, T, fs, rng):
    phys = _physiology(tr, g, d_a, d_v)
    room = rng.normal(0.0, 0.3, session.max() + 1)[session]
    return simulate_temp(_per_sample(phys["skin_temp"] + room, T, fs, tau_s=45.0), fs, rng)


def _gen_rsp(tr, g, d_a, d_v, session, T, fs, rng):
    phys = _physiology(tr, g, d_a, d_v)
    belt = np.exp(rng.normal(0.0, 0.15, session.max() + 1))[session]
    return simulate_rsp(
        _per_sample(phys["breathing_rate"], T, fs, tau_s=3.0),
        _per_sample(phys["breathing_depth"] * belt, T, fs, tau_s=3.0),
        _per_sample(phys["breathing_irregularity"], T, fs),
        fs, rng,
    )


_EEG_WEIGHTS = {  # per channel F3, F4, Cz, Pz
    "theta": np.array([1.1, 1.1, 1.2, 0.8]),
    "alpha": np.array([0.7, 0.7, 0.9, 1.3]),
    "beta": np.array([1.0, 1.0, 1.1, 0.9]),
}


def _gen_eeg(tr, g, d_a, d_v, session, T, fs, rng):
    d_s = 0.5 * (d_a - d_v)
    n = d_a.size
    impedance = np.exp(rng.normal(0.0, 0.1, (session.max() + 1, len(EEG_CHANNELS))))[session]
    asym = 0.35 * g * d_v + tr["eeg_asymmetry"]
    side = np.array([-1.0, 1.0, 0.0, 0.0])  # F3 (left) alpha falls with valence
    theta = tr["eeg_theta"] * _EEG_WEIGHTS["theta"] * np.exp(0.35 * g * d_s)[:, None]
    alpha = (tr["eeg_alpha"] * _EEG_WEIGHTS["alpha"] * np.exp(-0.6 * g * d_a)[:, None]
             * np.exp(asym[:, None] * side))
    beta = tr["eeg_beta"] * _EEG_WEIGHTS["beta"] * np.exp(0.5 * g * d_a)[:, None]
    background = tr["eeg_background"] * impedance
    ones = np.ones((n, 1))
    return simulate_eeg(theta * ones, alpha, beta * ones, background, tr["alpha_peak"],
                        T, fs, rng)


def _gen_audio(tr, g, d_a, d_v, session, T, fs, rng):
    return simulate_speech(
        f0=tr["f0"] * np.exp(0.18 * g * d_a),
        syllable_rate=tr["syllable_rate"] * np.exp(0.2 * g * d_a),
        loudness=tr["loudness"] * np.exp(0.6 * g * d_a),
        pitch_range=0.15 * np.exp(0.6 * g * d_v),
        open_quotient=np.clip(0.6 - 0.1 * g * d_a, 0.35, 0.8),
        formant_scale=tr["formant_scale"], n_samples=T, fs=fs, rng=rng,
    )


def _gen_video(tr, g, d_a, d_v, session, T, fs, rng):
    n = d_a.size

    def jitter():
        return rng.normal(0.0, 0.2, (n, T))

    blink_prob = np.clip(tr["blink_rate"] * np.exp(0.5 * g * d_a) / fs, 0.0, 0.9)
    blink = (rng.uniform(size=(n, T)) < blink_prob[:, None]).astype(float)
    faces = render_faces(
        mouth_curvature=tr["resting_smile"] + 2.0 * g * d_v[:, None] + jitter(),
        mouth_open=np.clip(0.5 + 0.6 * g * d_a[:, None] + jitter(), 0.0, 2.5),
        brow_raise=0.6 * g * d_a[:, None] + jitter(),
        brow_tilt=-0.8 * g * d_v[:, None] + jitter(),
        blink=blink, size=16, centre=tr["face_centre"], radius=tr["face_radius"],
        skin=tr["skin"], background=tr["background"], rng=rng,
    )
    return faces[:, None]


_CONTINUOUS = {"ecg": _gen_ecg, "bvp": _gen_bvp, "eda": _gen_eda, "temp": _gen_temp,
               "rsp": _gen_rsp}
_PER_WINDOW = {"eeg": _gen_eeg, "audio": _gen_audio, "video": _gen_video}


def _window_shape(modality: str, T: int) -> tuple[int, ...]:
    if modality == "eeg":
        return (len(EEG_CHANNELS), T)
    if modality == "audio":
        return (T,)
    if modality == "video":
        return (1, T, 16, 16)
    return (1, T)


def _labels(target: str, valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    high_v, high_a = valence > 0, arousal > 0
    if target == "stress":
        y = arousal > valence
    elif target == "arousal":
        y = high_a
    elif target == "valence":
        y = high_v
    else:
        y = 2 * high_v.astype(int) + high_a
    return np.asarray(y, dtype=np.int64)


@validate_params(
    {
        "n_subjects": [POSITIVE_INT],
        "n_windows": [POSITIVE_INT],
        "window_s": [POSITIVE_REAL],
        "modalities": [str, Iterable],
        "target": [StrOptions(set(TARGETS))],
        "informativeness": [None, UNIT_INTERVAL, Mapping],
        "n_sessions": [POSITIVE_INT],
        "fs": [None, Mapping],
        "label_noise": [Interval(Real, 0, 1, closed="left")],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
def make_affective_dataset(
    n_subjects: int = 20,
    n_windows: int = 40,
    *,
    window_s: float = 30.0,
    modalities: str | Iterable[str] = DEFAULT_MODALITIES,
    target: str = "stress",
    informativeness: float | Mapping[str, float] | None = None,
    n_sessions: int = 2,
    fs: Mapping[str, float] | None = None,
    label_noise: float = 0.0,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> Bunch:
    """Labelled multimodal windows from a known affective generative model.

    Latent valence and arousal drive eight simulated modalities; subjects
    differ in baselines, age, gender and responsiveness; each modality reveals
    the state to a documented degree (``informativeness``). The full model is
    in the module docstring and in the returned ``DESCR``.

    Parameters
    ----------
    n_subjects : int, default=20
        Number of subjects (``groups``).
    n_windows : int, default=40
        Windows per subject, consecutive in time within each session.
    window_s : float, default=30.0
        Window length in seconds; a modality at ``fs`` Hz gets
        ``round(window_s * fs)`` samples per window.
    modalities : str or sequence of str, default=("eda", "bvp", "temp", "ecg", "rsp", "eeg")
        Among ``"eda"``, ``"bvp"``, ``"temp"`` (wrist), ``"ecg"``, ``"rsp"``,
        ``"eeg"``, ``"video"`` (privileged, lab) and ``"audio"``. The default
        leaves out audio and video, which are large (8000 audio samples per
        second of window) and slower to make; ask for them explicitly.
    target : {"stress", "arousal", "valence", "quadrant"}, default="stress"
        What ``y`` holds: stress (1 when arousal > valence), high arousal,
        positive valence (all binary), or the circumplex quadrant
        ``2 * (valence > 0) + (arousal > 0)`` (0 LVLA, 1 LVHA, 2 HVLA, 3 HVHA).
    informativeness : float or dict, default=None
        Per-modality weight in [0, 1] of the latent state in that modality's
        signal (0: independent of the state). A dict overrides some defaults
        (``DEFAULT_INFORMATIVENESS``: eeg/video 0.9, ecg 0.8, rsp 0.7, audio 0.6,
        eda 0.5, bvp 0.45, temp 0.3); a number sets every modality.
    n_sessions : int, default=2
        Recording sessions per subject (windows split evenly, in order).
    fs : dict, default=None
        Sampling-rate overrides (Hz), e.g. ``{"audio": 16000}``; defaults
        ``DEFAULT_FS``: eda 4, temp 4, bvp 64, ecg 128, rsp 32, eeg 128,
        audio 8000, video 2 frames/s.
    label_noise : float in [0, 1), default=0.0
        Probability that an episode's self-reported label disagrees with the
        physiological state (binary labels flipped, quadrants moved to another
        quadrant), for all windows of the episode. ``0`` keeps ``y`` equal to
        the state's labels (``y_state``); the signals never depend on it.
    random_state : int, RandomState, Generator or None, default=None
        Seed. An int gives bit-identical output on every call; streams are
        per subject and per modality, so adding a modality or a subject does
        not change the others.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X`` (:class:`skkd.Modalities`: physiological ``(n, c, T)``, ``"eeg"``
        with 4 channels F3, F4, Cz, Pz, ``"audio"`` ``(n, T)``, ``"video"``
        ``(n, 1, frames, 16, 16)``, all float32), ``y`` (int, the reported
        labels), ``y_state`` (the labels the latent state implies, equal to
        ``y`` when ``label_noise=0``), ``groups``
        (subject ids ``"S01"``...), ``meta`` (DataFrame: subject, session,
        episode, t_start [s from session start], valence, arousal [-1, 1],
        stress [0, 1], age, gender), ``fs`` (dict), ``channel_names`` (dict),
        ``informativeness`` (dict used), ``target``, ``target_names`` and
        ``DESCR``. ``n = n_subjects * n_windows``.

    Examples
    --------
    >>> from skkd.datasets import make_affective_dataset
    >>> data = make_affective_dataset(n_subjects=2, n_windows=4, window_s=10,
    ...                               modalities=("eda", "ecg"), random_state=0)
    >>> data.X
    Modalities(n_windows=8, eda=(1, 40), ecg=(1, 1280))
    >>> data.fs
    {'eda': 4, 'ecg': 128}
    >>> data.target_names.tolist()
    ['no stress', 'stress']
    """
    owner = "make_affective_dataset"
    refuse_bools(owner, n_subjects=n_subjects, n_windows=n_windows, window_s=window_s,
                informativeness=informativeness, n_sessions=n_sessions,
                label_noise=label_noise, random_state=random_state)
    n_subjects, n_windows, n_sessions = int(n_subjects), int(n_windows), int(n_sessions)
    window_s, label_noise = float(window_s), float(label_noise)
    modalities = _names(owner, "modalities", modalities, MODALITIES)
    weights = dict(DEFAULT_INFORMATIVENESS)
    if isinstance(informativeness, Mapping):
        _modality_dict(owner, "informativeness", informativeness,
                       lambda m: "a number in [0, 1]", lambda m, w: 0 <= w <= 1)
        weights.update({m: float(w) for m, w in informativeness.items()})
    elif informativeness is not None:
        weights = dict.fromkeys(MODALITIES, float(informativeness))
    if n_sessions > n_windows:
        raise invalid_parameter(owner, "n_sessions", f"at most n_windows={n_windows} "
                                "(every session needs a window)", n_sessions)
    rates = dict(DEFAULT_FS)
    if fs is not None:
        _modality_dict(owner, "fs", fs, lambda m: f"a number of Hz >= {_MIN_FS[m]}",
                       lambda m, r: _MIN_FS[m] <= r < np.inf)
        rates.update(fs)
    for m in modalities:
        minimum = 1 if m == "video" else 2
        if round(window_s * rates[m]) < minimum:
            raise invalid_parameter(
                owner, "window_s", f"long enough for {minimum} samples of {m!r} at "
                f"{rates[m]} Hz (or raise fs[{m!r}])", window_s)
    rates = {m: rates[m] for m in modalities}
    root = _root_entropy(random_state)

    lengths = {m: int(round(window_s * rates[m])) for m in modalities}
    n_total = n_subjects * n_windows
    X = {m: np.empty((n_total, *_window_shape(m, lengths[m])), dtype=np.float32)
         for m in modalities}
    gender_offset = int(np.random.default_rng(
        np.random.SeedSequence(root, spawn_key=(_GENDER_KEY,))).integers(2))
    ids = _subject_ids(n_subjects)
    frames = []
    for s in range(n_subjects):
        traits = _draw_subject(root, s, gender_offset)
        latent = _draw_latent(_stream(root, s, "latent"), n_windows, n_sessions, window_s)
        rows = slice(s * n_windows, (s + 1) * n_windows)
        for m in modalities:
            rng = _stream(root, s, m)
            g = traits["responsiveness"] * np.exp(rng.normal(0.0, 0.25))
            d_a, d_v = _views(rng, latent["arousal"], latent["valence"], weights[m])
            args = (traits, g, d_a, d_v, latent["session"], lengths[m], rates[m], rng)
            if m in _CONTINUOUS:
                X[m][rows] = _CONTINUOUS[m](*args).reshape(n_windows, 1, lengths[m])
            else:
                X[m][rows] = _PER_WINDOW[m](*args)
        frames.append(pd.DataFrame({
            "subject": ids[s],
            "session": latent["session"],
            "episode": latent["episode"],
            "t_start": latent["t_start"],
            "valence": latent["valence"],
            "arousal": latent["arousal"],
            "stress": (2.0 + latent["arousal"] - latent["valence"]) / 4.0,
            "age": traits["age"],
            "gender": "female" if traits["female"] else "male",
        }))
    meta = pd.concat(frames, ignore_index=True)
    y_state = _labels(target, meta["valence"].to_numpy(), meta["arousal"].to_numpy())
    y = y_state
    if label_noise > 0:
        episode = meta["episode"].to_numpy()  # numbered within each subject
        y = np.concatenate([
            _reported_labels(_stream(root, s, "reports"), y_state[rows], episode[rows],
                             label_noise, len(TARGETS[target]))
            for s, rows in enumerate(np.split(np.arange(n_total), n_subjects))
        ])
    channel_names = {m: list(EEG_CHANNELS) if m == "eeg" else [m] for m in modalities}
    return Bunch(
        X=Modalities(X),
        y=y,
        y_state=y_state,
        groups=meta["subject"].to_numpy(dtype=object),
        meta=meta,
        fs=rates,
        channel_names=channel_names,
        informativeness={m: weights[m] for m in modalities},
        target=target,
        target_names=np.array(TARGETS[target]),
        DESCR=_dataset_descr(n_subjects, n_windows, window_s, rates, target),
    )


def _reported_labels(rng: np.random.Generator, y_state: np.ndarray, episode: np.ndarray,
                     label_noise: float, n_classes: int) -> np.ndarray:
    """One subject's self-reports: each episode disagrees with the state with
    probability ``label_noise`` (moved to one of the other classes)."""
    n_episodes = int(episode.max()) + 1
    wrong = rng.uniform(size=n_episodes) < label_noise
    shift = rng.integers(1, n_classes, size=n_episodes)
    return np.where(wrong[episode], (y_state + shift[episode]) % n_classes, y_state)


def _dataset_descr(n_subjects, n_windows, window_s, rates, target) -> str:
    mods = ", ".join(f"{m} ({r} Hz)" for m, r in rates.items())
    head = (
        "Synthetic multimodal affective windows (skkd.datasets.make_affective_dataset)\n"
        "==========================================================================\n\n"
        f"{n_subjects} subjects x {n_windows} windows of {window_s:g} s; modalities: "
        f"{mods}; target: {target} ({', '.join(TARGETS[target])}).\n"
    )
    return head + GENERATIVE_MODEL


# ------------------------------------------------------------------ sessions


@validate_params(
    {
        "n_subjects": [POSITIVE_INT],
        "duration_s": [POSITIVE_REAL],
        "n_episodes": [POSITIVE_INT],
        "fs": [POSITIVE_REAL],
        "channels": [str, Iterable],
        "random_state": _RANDOM_STATE,
    },
    prefer_skip_nested_validation=True,
)
def make_affective_sessions(
    n_subjects: int = 5,
    duration_s: float = 600.0,
    n_episodes: int = 6,
    *,
    fs: float = 4,
    channels: str | Iterable[str] = ("eda", "temp", "hr"),
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
) -> Bunch:
    """Continuous wearable recordings with known change points.

    Each subject's recording alternates ``rest`` and ``stress`` episodes
    (starting at rest) of random lengths (each at least half the mean
    length). Rest has low arousal and mildly positive valence, stress high
    arousal and negative valence, with per-episode intensity and slow
    fluctuations; the signals follow with their physiological inertia (heart
    rate within seconds, skin conductance within ~10 s, skin temperature
    within ~45 s). Subjects, physiology and responsiveness follow the model
    of :func:`make_affective_dataset` (every channel fully informative).

    Parameters
    ----------
    n_subjects : int, default=5
        Number of recordings.
    duration_s : float, default=600.0
        Length of each recording in seconds (``round(duration_s * fs)`` samples).
    n_episodes : int, default=6
        Episodes per recording (``n_episodes - 1`` change points).
    fs : float, default=4
        Common sampling rate of every channel (Hz).
    channels : str or sequence of str, default=("eda", "temp", "hr")
        Among ``"eda"`` (µS), ``"temp"`` (°C), ``"hr"`` (instantaneous heart
        rate, bpm, as a wristband reports it), ``"bvp"`` (needs ``fs >= 16``),
        ``"rsp"`` (``fs >= 4``) and ``"ecg"`` (``fs >= 64``). Channels of one
        subject share one heart.
    random_state : int, RandomState, Generator or None, default=None
        Seed; an int gives bit-identical output.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``signals`` (list of float64 arrays ``(n_channels, T)``, one per
        subject), ``channel_names``, ``change_points`` (list of int arrays: the
        sample index where each episode after the first starts), ``states``
        (list of int arrays ``(T,)``: 0 rest, 1 stress), ``state_names``,
        ``subjects`` (ids ``"S01"``...), ``meta`` (subject, age, gender),
        ``fs`` and ``DESCR``.

    Examples
    --------
    >>> from skkd.datasets import make_affective_sessions
    >>> data = make_affective_sessions(n_subjects=2, duration_s=300, n_episodes=3,
    ...                                random_state=0)
    >>> data.signals[0].shape, data.channel_names
    ((3, 1200), ['eda', 'temp', 'hr'])
    >>> len(data.change_points[0])
    2
    """
    owner = "make_affective_sessions"
    refuse_bools(owner, n_subjects=n_subjects, duration_s=duration_s, n_episodes=n_episodes,
                fs=fs, random_state=random_state)
    n_subjects, n_episodes = int(n_subjects), int(n_episodes)
    duration_s, fs = float(duration_s), float(fs)
    channels = _names(owner, "channels", channels, SESSION_CHANNELS)
    for ch in channels:
        if fs < _SESSION_MIN_FS[ch]:
            raise invalid_parameter(owner, "fs", f"at least {_SESSION_MIN_FS[ch]} Hz for "
                                    f"channel {ch!r}", fs)
    n_samples = int(round(duration_s * fs))
    if n_samples < 2 * n_episodes:
        raise invalid_parameter(
            owner, "n_episodes", f"at most {n_samples // 2} (each episode needs 2 of "
            f"the duration_s * fs = {n_samples} samples)", n_episodes)
    root = _root_entropy(random_state)
    gender_offset = int(np.random.default_rng(
        np.random.SeedSequence(root, spawn_key=(_GENDER_KEY,))).integers(2))
    ids = _subject_ids(n_subjects)
    signals, change_points, states, rows = [], [], [], []
    for s in range(n_subjects):
        traits = _draw_subject(root, s, gender_offset)
        rng = _stream(root, s, "latent")
        share = 0.5 + 0.5 * n_episodes * rng.dirichlet(np.full(n_episodes, 4.0))
        bounds = np.round(np.cumsum(share) / n_episodes * n_samples).astype(np.int64)
        starts = np.concatenate([[0], bounds[:-1]])
        lengths = np.diff(np.concatenate([starts, [n_samples]]))
        episode_state = np.arange(n_episodes) % 2
        intensity = rng.uniform(0.7, 1.0, n_episodes)
        arousal_level = np.where(episode_state == 1, 0.7, -0.5) * intensity
        valence_level = np.where(episode_state == 1, -0.5, 0.3) * intensity
        wander = 0.08 * band_noise((2, n_samples), fs, 0.01, rng)
        arousal = np.repeat(arousal_level, lengths) + wander[0]
        valence = np.repeat(valence_level, lengths) + wander[1]
        state = np.repeat(episode_state, lengths).astype(np.int64)
        signals.append(_session_channels(traits, arousal, valence, channels, fs, root, s))
        change_points.append(starts[1:].copy())
        states.append(state)
        rows.append({"subject": ids[s], "age": traits["age"],
                     "gender": "female" if traits["female"] else "male"})
    return Bunch(
        signals=signals,
        channel_names=list(channels),
        change_points=change_points,
        states=states,
        state_names=list(_SESSION_STATES),
        subjects=ids,
        meta=pd.DataFrame(rows),
        fs=fs if fs != int(fs) else int(fs),
        DESCR=_sessions_descr(n_subjects, duration_s, n_episodes, fs, channels),
    )


def _session_channels(traits, arousal, valence, channels, fs, root, s) -> np.ndarray:
    g = traits["responsiveness"]
    phys = _physiology(traits, g, arousal, valence)
    out = []
    heart = None
    if {"hr", "bvp", "ecg"} & set(channels):
        rng = _stream(root, s, "heart")
        hr = exp_smooth(phys["heart_rate"], fs, 3.0)
        heart = instantaneous_heart_rate(hr, exp_smooth(phys["hrv"], fs, 3.0), fs, rng)
    for ch in channels:
        rng = _stream(root, s, ch)
        if ch == "eda":
            x = simulate_eda(exp_smooth(phys["scl"], fs, 10.0), phys["scr_amplitude"],
                             phys["scr_rate"], fs, rng)
        elif ch == "temp":
            x = simulate_temp(exp_smooth(phys["skin_temp"], fs, 45.0), fs, rng)
        elif ch == "hr":
            x = heart + 0.5 * rng.standard_normal(heart.size)
        elif ch == "bvp":
            x = simulate_bvp(heart, exp_smooth(phys["bvp_amplitude"], fs, 3.0), fs, rng)
        elif ch == "ecg":
            x = simulate_ecg(heart, fs, rng, amplitude=traits["ecg_amplitude"])
        else:  # rsp
            x = simulate_rsp(exp_smooth(phys["breathing_rate"], fs, 3.0),
                             exp_smooth(phys["breathing_depth"], fs, 3.0),
                             phys["breathing_irregularity"], fs, rng)
        out.append(x)
    return np.vstack(out).astype(np.float64)


def _sessions_descr(n_subjects, duration_s, n_episodes, fs, channels) -> str:
    return (
        "Synthetic wearable sessions with change points (skkd.datasets.make_affective_sessions)\n"
        "=====================================================================================\n\n"
        f"{n_subjects} recordings of {duration_s:g} s at {fs:g} Hz, channels "
        f"{', '.join(channels)}; {n_episodes} episodes alternating rest (state 0, "
        "arousal -0.5, valence +0.3) and stress (state 1, arousal +0.7, valence "
        "-0.5), times an episode intensity in [0.7, 1], plus slow fluctuations "
        "(sd 0.08). Episode lengths are random, each at least half the mean; "
        "change_points are the sample indices where episodes 2..n start. Every "
        "channel follows the state fully (informativeness 1) with the inertia "
        "of its physiology.\n" + GENERATIVE_MODEL
    )
