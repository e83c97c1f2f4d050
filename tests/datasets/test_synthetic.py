"""Tests of the synthetic affective data generators."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError

import skkd
from skkd.datasets import _synthetic, _synthetic_signals
from skkd.datasets._synthetic import (
    DEFAULT_FS,
    DEFAULT_INFORMATIVENESS,
    MODALITIES,
    make_affective_dataset,
    make_affective_sessions,
)

SMALL = dict(n_subjects=2, n_windows=3, window_s=4.0, random_state=0)


@pytest.fixture(scope="module")
def every_modality():
    return make_affective_dataset(modalities=MODALITIES, **SMALL)


def _expected_shape(modality, n, window_s, fs):
    T = int(round(window_s * fs))
    return {
        "eeg": (n, 4, T), "audio": (n, T), "video": (n, 1, T, 16, 16),
    }.get(modality, (n, 1, T))


# ------------------------------------------------------------------ contract


def test_shapes_dtypes_and_fs_of_every_modality(every_modality):
    data = every_modality
    assert isinstance(data.X, skkd.Modalities)
    assert list(data.X) == list(MODALITIES)
    assert data.fs == {m: DEFAULT_FS[m] for m in MODALITIES}
    for m in MODALITIES:
        arr = data.X[m]
        assert arr.shape == _expected_shape(m, 6, 4.0, DEFAULT_FS[m]), m
        assert arr.dtype == np.float32, m
        assert np.isfinite(arr).all(), m
        assert arr.std() > 0, m
    assert data.channel_names["eeg"] == ["F3", "F4", "Cz", "Pz"]
    assert data.X["video"].min() >= 0 and data.X["video"].max() <= 1
    assert data.y.shape == (6,) and data.y.dtype == np.int64
    assert isinstance(data.DESCR, str) and "Generative model" in data.DESCR


def test_default_modalities_leave_out_audio_and_video():
    data = make_affective_dataset(n_subjects=1, n_windows=2, window_s=5, random_state=0)
    assert set(data.X) == {"eda", "bvp", "temp", "ecg", "rsp", "eeg"}


def test_physiological_ranges(every_modality):
    X = every_modality.X
    assert 0 < X["eda"].min() and X["eda"].max() < 50  # µS
    assert 28 < X["temp"].min() and X["temp"].max() < 38  # °C
    assert np.abs(X["ecg"]).max() < 5  # mV


def test_fs_override_changes_lengths_and_is_reported():
    data = make_affective_dataset(
        n_subjects=1, n_windows=2, window_s=2.5, modalities=("audio", "video", "eda"),
        fs={"audio": 16000, "video": 4}, random_state=0,
    )
    assert data.fs == {"audio": 16000, "video": 4, "eda": 4}
    assert data.X["audio"].shape == (2, 40000)
    assert data.X["video"].shape == (2, 1, 10, 16, 16)
    assert data.X["eda"].shape == (2, 1, 10)


def test_consecutive_windows_join_up():
    data = make_affective_dataset(n_subjects=1, n_windows=4, n_sessions=1,
                                  modalities=("temp",), random_state=3)
    x = data.X["temp"][:, 0]
    jumps = np.abs(x[1:, 0] - x[:-1, -1])
    assert jumps.max() < 0.1  # same continuous recording, no seam


# ------------------------------------------------------------ reproducibility


def test_same_seed_is_bit_identical(every_modality):
    again = make_affective_dataset(modalities=MODALITIES, **SMALL)
    for m in MODALITIES:
        assert np.array_equal(every_modality.X[m], again.X[m]), m
    np.testing.assert_array_equal(every_modality.y, again.y)
    pd.testing.assert_frame_equal(every_modality.meta, again.meta)


def test_default_call_is_bit_identical_and_leaves_global_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = make_affective_dataset(n_subjects=3, n_windows=4, random_state=7)
    b = make_affective_dataset(n_subjects=3, n_windows=4, random_state=7)
    assert np.array_equal(np.random.get_state()[1], before)
    for m in a.X:
        assert np.array_equal(a.X[m], b.X[m]), m


def test_different_seeds_differ(every_modality):
    other = make_affective_dataset(modalities=MODALITIES, **{**SMALL, "random_state": 1})
    for m in MODALITIES:
        assert not np.array_equal(every_modality.X[m], other.X[m]), m
    assert not np.allclose(every_modality.meta["valence"], other.meta["valence"])


def test_streams_do_not_depend_on_other_modalities_or_subjects():
    few = make_affective_dataset(n_subjects=2, n_windows=3, modalities=("eda",),
                                 random_state=5)
    more = make_affective_dataset(n_subjects=3, n_windows=3, modalities=("ecg", "eda"),
                                  random_state=5)
    np.testing.assert_array_equal(few.X["eda"], more.X["eda"][:6])
    pd.testing.assert_frame_equal(few.meta, more.meta.iloc[:6])


@pytest.mark.parametrize("make", [np.random.RandomState, np.random.default_rng])
def test_random_state_accepts_generators(make):
    a = make_affective_dataset(modalities=("eda",), **{**SMALL, "random_state": make(4)})
    b = make_affective_dataset(modalities=("eda",), **{**SMALL, "random_state": make(4)})
    np.testing.assert_array_equal(a.X["eda"], b.X["eda"])


# ---------------------------------------------------------- meta and labels


def test_meta_groups_and_latent_state():
    data = make_affective_dataset(n_subjects=4, n_windows=10, window_s=20, n_sessions=2,
                                  modalities=("eda",), random_state=2)
    meta = data.meta
    assert {"subject", "session", "t_start", "valence", "arousal", "stress", "age",
            "gender"} <= set(meta.columns)
    assert len(meta) == 40
    np.testing.assert_array_equal(data.groups, meta["subject"].to_numpy())
    assert list(pd.unique(data.groups)) == ["S01", "S02", "S03", "S04"]
    assert (meta.groupby("subject").size() == 10).all()
    first = meta[meta.subject == "S01"]
    np.testing.assert_array_equal(first["session"], [0] * 5 + [1] * 5)
    np.testing.assert_allclose(first["t_start"], [0, 20, 40, 60, 80] * 2)
    assert meta["valence"].between(-1, 1).all() and meta["arousal"].between(-1, 1).all()
    np.testing.assert_allclose(meta["stress"], (2 + meta["arousal"] - meta["valence"]) / 4)
    assert meta["age"].between(18, 65).all()
    assert set(meta["gender"]) == {"female", "male"}
    assert (meta.groupby("subject")["age"].nunique() == 1).all()


@pytest.mark.parametrize(
    "target, n_classes, rule",
    [
        ("stress", 2, lambda m: m.arousal > m.valence),
        ("arousal", 2, lambda m: m.arousal > 0),
        ("valence", 2, lambda m: m.valence > 0),
        ("quadrant", 4, lambda m: 2 * (m.valence > 0) + (m.arousal > 0)),
    ],
)
def test_targets_follow_the_latent_state_and_are_balanced(target, n_classes, rule):
    data = make_affective_dataset(n_subjects=6, n_windows=40, window_s=30, target=target,
                                  modalities=("temp",), random_state=0)
    np.testing.assert_array_equal(data.y, rule(data.meta).astype(int))
    assert len(data.target_names) == n_classes and data.target == target
    share = np.bincount(data.y, minlength=n_classes) / len(data.y)
    assert share.min() > 0.6 / n_classes, share


def test_default_target_is_stress():
    data = make_affective_dataset(modalities=("eda",), **SMALL)
    assert list(data.target_names) == ["no stress", "stress"]


def test_subjects_differ_in_baseline():
    """Between-subject spread of the skin conductance dwarfs the within-subject one."""
    data = make_affective_dataset(n_subjects=8, n_windows=6, window_s=20,
                                  modalities=("eda",), random_state=0)
    level = pd.Series(data.X["eda"].mean(axis=(1, 2)), index=data.groups)
    by_subject = level.groupby(level=0)
    assert by_subject.mean().std() > by_subject.std().mean()


def test_age_and_gender_shift_physiology():
    traits = pd.DataFrame([_synthetic._draw_subject(0, i, 0) for i in range(400)])
    female, male = traits[traits.female], traits[~traits.female]
    assert len(female) == len(male) == 200
    assert female.heart_rate.mean() > male.heart_rate.mean() + 2  # +4 bpm
    assert female.f0.mean() > 1.5 * male.f0.mean()
    assert np.corrcoef(traits.age, traits.heart_rate)[0, 1] < 0
    assert np.corrcoef(traits.age, np.log(traits.scl))[0, 1] < 0
    assert traits.responsiveness.std() > 0.2


# --------------------------------------------------------- informativeness


def _per_subject_z(F, groups):
    F = np.asarray(F, dtype=float).copy()
    for g in np.unique(groups):
        rows = groups == g
        F[rows] = (F[rows] - F[rows].mean(0)) / (F[rows].std(0) + 1e-9)
    return F


def _eda_features(x, fs):
    x = x[:, 0]
    slope = np.polyfit(np.arange(x.shape[1]), x.T, 1)[0]
    return np.c_[x.mean(1), x.std(1), slope, np.ptp(x, axis=1)]


def _ecg_features(x, fs):
    """Mean and sd of R-R intervals from local maxima above half the largest."""
    x = x[:, 0]
    mid = x[:, 1:-1]
    peaks = (mid > x[:, :-2]) & (mid >= x[:, 2:]) & (mid > 0.5 * x.max(1, keepdims=True))
    rr = [np.diff(np.flatnonzero(p)) / fs for p in peaks]
    return np.array([[r.mean(), r.std()] for r in rr])


def _eeg_features(x, fs):
    freqs, psd = signal.welch(x, fs=fs, nperseg=int(2 * fs), axis=-1)
    bands = [(4, 8), (8, 13), (13, 30)]
    power = [psd[..., (freqs >= lo) & (freqs < hi)].mean(-1) for lo, hi in bands]
    return np.log(np.stack(power, -1)).reshape(len(x), -1)


FEATURES = {"eda": _eda_features, "ecg": _ecg_features, "eeg": _eeg_features}


def _scores(data):
    """Subject-independent balanced accuracy of simple per-window statistics."""
    out = {}
    for m, extract in FEATURES.items():
        F = _per_subject_z(extract(data.X[m], data.fs[m]), data.groups)
        out[m] = cross_val_score(
            LogisticRegression(solver="liblinear"), F, data.y, groups=data.groups,
            cv=GroupKFold(5), scoring="balanced_accuracy",
        ).mean()
    return out


def _informativeness_data(**kwargs):
    return make_affective_dataset(n_subjects=10, n_windows=20, window_s=20,
                                  modalities=tuple(FEATURES), random_state=0, **kwargs)


def test_privileged_modalities_reveal_more_than_the_wrist():
    arousal = _scores(_informativeness_data(target="arousal"))
    assert arousal["ecg"] > arousal["eda"] + 0.1, arousal
    assert arousal["eeg"] > arousal["eda"] + 0.1, arousal
    stress = _scores(_informativeness_data(target="stress"))
    assert stress["eeg"] > stress["eda"] + 0.1, stress
    assert stress["eeg"] > 0.7, stress


def test_zero_informativeness_gives_chance():
    scores = _scores(_informativeness_data(informativeness=0.0))
    for m, score in scores.items():
        assert abs(score - 0.5) < 0.1, (m, scores)


def test_informativeness_dict_overrides_one_modality():
    data = make_affective_dataset(
        n_subjects=10, n_windows=20, window_s=20, modalities=("eda",),
        target="arousal", informativeness={"eda": 1.0}, random_state=0,
    )
    assert data.informativeness == {"eda": 1.0}
    default = _informativeness_data(target="arousal")
    F_full = _per_subject_z(_eda_features(data.X["eda"], 4), data.groups)
    F_default = _per_subject_z(_eda_features(default.X["eda"], 4), default.groups)

    def score(F, d):
        return cross_val_score(LogisticRegression(solver="liblinear"), F, d.y,
                               groups=d.groups, cv=GroupKFold(5),
                               scoring="balanced_accuracy").mean()

    assert score(F_full, data) > score(F_default, default) + 0.1


def test_personalisation_pays_off():
    """Per-subject normalisation removes baselines that pooled scaling cannot."""
    data = make_affective_dataset(n_subjects=10, n_windows=20, window_s=20,
                                  modalities=("ecg",), target="arousal", random_state=0)
    F = _ecg_features(data.X["ecg"], data.fs["ecg"])

    def score(F):
        return cross_val_score(LogisticRegression(solver="liblinear"), F, data.y,
                               groups=data.groups, cv=GroupKFold(5),
                               scoring="balanced_accuracy").mean()

    pooled = score((F - F.mean(0)) / F.std(0))
    assert score(_per_subject_z(F, data.groups)) > pooled + 0.1


# ------------------------------------------------------------ self-reports


def test_no_label_noise_keeps_labels_and_signals_bit_identical():
    default = make_affective_dataset(n_subjects=3, n_windows=12, window_s=10,
                                     modalities=("eda", "ecg"), random_state=3)
    explicit = make_affective_dataset(n_subjects=3, n_windows=12, window_s=10,
                                      modalities=("eda", "ecg"), label_noise=0.0,
                                      random_state=3)
    np.testing.assert_array_equal(default.y, default.y_state)
    np.testing.assert_array_equal(default.y, explicit.y)
    for m in default.X:
        np.testing.assert_array_equal(default.X[m], explicit.X[m])
    pd.testing.assert_frame_equal(default.meta, explicit.meta)


@pytest.mark.parametrize("target, n_classes", [("stress", 2), ("quadrant", 4)])
def test_label_noise_moves_whole_episodes_to_other_classes(target, n_classes):
    kwargs = dict(n_subjects=20, n_windows=40, window_s=30, modalities=("temp",),
                  target=target, random_state=0)
    clean = make_affective_dataset(**kwargs)
    noisy = make_affective_dataset(label_noise=0.3, **kwargs)
    np.testing.assert_array_equal(noisy.X["temp"], clean.X["temp"])
    pd.testing.assert_frame_equal(noisy.meta, clean.meta)
    np.testing.assert_array_equal(noisy.y_state, clean.y)
    wrong = noisy.y != noisy.y_state
    assert set(np.unique(noisy.y)) <= set(range(n_classes))
    # one report per episode: every window of an episode is wrong, or none is
    per_episode = pd.Series(wrong).groupby([noisy.meta.subject, noisy.meta.episode])
    assert (per_episode.nunique() == 1).all()
    share = per_episode.first().mean()  # 200 episodes; sd of the share about 0.03
    assert 0.2 < share < 0.4, share
    again = make_affective_dataset(label_noise=0.3, **kwargs)
    np.testing.assert_array_equal(noisy.y, again.y)


def test_label_noise_streams_are_per_subject():
    few = make_affective_dataset(n_subjects=2, n_windows=16, modalities=("eda",),
                                 label_noise=0.4, random_state=5)
    more = make_affective_dataset(n_subjects=3, n_windows=16, modalities=("eda",),
                                  label_noise=0.4, random_state=5)
    np.testing.assert_array_equal(few.y, more.y[:32])


def test_default_informativeness_ranks_privileged_above_wrist():
    privileged = [DEFAULT_INFORMATIVENESS[m] for m in ("eeg", "ecg", "rsp", "video")]
    wrist = [DEFAULT_INFORMATIVENESS[m] for m in ("eda", "bvp", "temp")]
    assert min(privileged) > max(wrist)


# ------------------------------------------------------------------ sessions


@pytest.fixture(scope="module")
def sessions():
    return make_affective_sessions(n_subjects=3, duration_s=900, n_episodes=6,
                                   random_state=0)


def test_sessions_contract(sessions):
    data = sessions
    assert data.fs == 4 and data.channel_names == ["eda", "temp", "hr"]
    assert data.subjects == ["S01", "S02", "S03"]
    assert len(data.signals) == len(data.change_points) == len(data.states) == 3
    for x, cps, states in zip(data.signals, data.change_points, data.states):
        assert x.shape == (3, 3600) and x.dtype == np.float64 and np.isfinite(x).all()
        assert states.shape == (3600,) and set(np.unique(states)) == {0, 1}
        assert cps.dtype.kind == "i" and len(cps) == 5
        assert np.all(np.diff(cps) > 0) and 0 < cps[0] and cps[-1] < 3600
    assert list(data.meta.columns) == ["subject", "age", "gender"]


def test_change_points_match_states(sessions):
    for cps, states in zip(sessions.change_points, sessions.states):
        np.testing.assert_array_equal(np.flatnonzero(np.diff(states)) + 1, cps)
        assert states[0] == 0  # starts at rest, then alternates
        bounds = np.r_[0, cps, states.size]
        lengths = np.diff(bounds)
        assert lengths.min() >= 0.5 * states.size / len(lengths) - 1


def test_sessions_signals_follow_the_state(sessions):
    """EDA and heart rate rise, skin temperature falls, under stress."""
    eda, temp, hr = 0, 1, 2
    for x, states in zip(sessions.signals, sessions.states):
        stress, rest = states == 1, states == 0
        assert x[eda, stress].mean() > x[eda, rest].mean()
        assert x[hr, stress].mean() > x[hr, rest].mean()
        assert x[temp, stress].mean() < x[temp, rest].mean()


def test_sessions_are_bit_identical_and_seed_dependent(sessions):
    again = make_affective_sessions(n_subjects=3, duration_s=900, n_episodes=6,
                                    random_state=0)
    other = make_affective_sessions(n_subjects=3, duration_s=900, n_episodes=6,
                                    random_state=1)
    for a, b, c in zip(sessions.signals, again.signals, other.signals):
        assert np.array_equal(a, b) and not np.array_equal(a, c)
    for a, b in zip(sessions.change_points, again.change_points):
        np.testing.assert_array_equal(a, b)


def test_sessions_other_channels_and_fractional_fs():
    data = make_affective_sessions(n_subjects=1, duration_s=60, n_episodes=2, fs=64,
                                   channels=("bvp", "ecg", "rsp"), random_state=0)
    assert data.signals[0].shape == (3, 3840)
    data = make_affective_sessions(n_subjects=1, duration_s=100, n_episodes=2, fs=2.5,
                                   channels="eda", random_state=0)
    assert data.signals[0].shape == (1, 250) and data.fs == 2.5


# ----------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_subjects": 0}, ValueError, "n_subjects"),
        ({"n_subjects": 2.0}, TypeError, "n_subjects"),
        ({"n_subjects": True}, TypeError, "n_subjects"),
        ({"n_windows": 0}, ValueError, "n_windows"),
        ({"window_s": 0}, ValueError, "window_s"),
        ({"window_s": float("nan")}, ValueError, "window_s"),
        ({"window_s": "30"}, TypeError, "window_s"),
        ({"window_s": 0.1}, ValueError, "window_s"),
        ({"modalities": ("eda", "gsr")}, ValueError,
         r"'modalities' parameter.*among \['eda'.*Got \('eda', 'gsr'\)"),
        ({"modalities": ()}, ValueError, "modalities"),
        ({"modalities": ("eda", "eda")}, ValueError, "modalities"),
        ({"modalities": 3}, TypeError, "modalities"),
        ({"target": "joy"}, ValueError, "target"),
        ({"informativeness": {"eda": 1.5}}, ValueError, r"informativeness\['eda'\]"),
        ({"informativeness": {"gsr": 0.5}}, ValueError, "informativeness"),
        ({"informativeness": -0.1}, ValueError, "informativeness"),
        ({"informativeness": "high"}, TypeError, "informativeness"),
        ({"n_sessions": 4, "n_windows": 3}, ValueError, "n_sessions"),
        ({"fs": {"eeg": 32}}, ValueError, r"fs\['eeg'\]"),
        ({"fs": {"eeg": -1}}, ValueError, r"fs\['eeg'\]"),
        ({"fs": [4]}, TypeError, "fs"),
        ({"random_state": -1}, ValueError, "random_state"),
        ({"random_state": "0"}, TypeError, "random_state"),
        ({"label_noise": 1.0}, ValueError, "label_noise"),
        ({"label_noise": -0.1}, ValueError, "label_noise"),
        ({"label_noise": "0.2"}, TypeError, "label_noise"),
        ({"label_noise": True}, TypeError, "label_noise"),
    ],
)
def test_dataset_bad_arguments(kwargs, error, match):
    args = {"n_subjects": 1, "n_windows": 3, "modalities": ("eda",), **kwargs}
    with pytest.raises(error, match=match):
        make_affective_dataset(**args)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_subjects": 0}, ValueError, "n_subjects"),
        ({"duration_s": -5}, ValueError, "duration_s"),
        ({"n_episodes": 0}, ValueError, "n_episodes"),
        ({"n_episodes": 1.5}, TypeError, "n_episodes"),
        ({"duration_s": 2, "n_episodes": 5}, ValueError, "n_episodes"),
        ({"fs": 0}, ValueError, "fs"),
        ({"channels": ("eda", "acc")}, ValueError,
         r"'channels' parameter.*among \[.*'hr'.*Got \('eda', 'acc'\)"),
        ({"channels": ("bvp",), "fs": 4}, ValueError, "fs"),
        ({"random_state": 1.5}, TypeError, "random_state"),
    ],
)
def test_sessions_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_affective_sessions(**kwargs)


@pytest.mark.parametrize("name", ["n_subjects", "n_windows", "window_s", "informativeness",
                                  "n_sessions", "label_noise", "random_state"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1", True])
def test_dataset_numbers_refuse_nan_inf_text_and_bool(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of make_affective"):
        make_affective_dataset(**{"n_subjects": 1, "n_windows": 3, "modalities": ("eda",),
                                  name: value})


@pytest.mark.parametrize("name", ["n_subjects", "duration_s", "n_episodes", "fs",
                                  "random_state"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1", True])
def test_sessions_numbers_refuse_nan_inf_text_and_bool(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of make_affective"):
        make_affective_sessions(**{"n_subjects": 1, "duration_s": 60, "n_episodes": 2,
                                   name: value})


@pytest.mark.parametrize("kwargs, name", [
    ({"target": 1}, "target"),
    ({"modalities": 3}, "modalities"),
    ({"fs": [4]}, "fs"),
    ({"fs": {"eda": float("nan")}}, "fs"),
    ({"fs": {"eda": float("inf")}}, "fs"),
    ({"fs": {"eda": True}}, "fs"),
    ({"informativeness": {"eda": float("nan")}}, "informativeness"),
    ({"random_state": np.random.default_rng(0).bit_generator}, "random_state"),
])
def test_dataset_other_parameters_name_themselves(kwargs, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make_affective_dataset(**{"n_subjects": 1, "n_windows": 3, "modalities": ("eda",),
                                  **kwargs})


def test_valid_number_types_are_still_accepted():
    a = make_affective_dataset(n_subjects=np.int64(1), n_windows=3, window_s=np.float32(10),
                               modalities="eda", fs={"eda": np.float64(4)},
                               informativeness=np.float64(0.5), random_state=2**40)
    b = make_affective_dataset(n_subjects=1, n_windows=3, window_s=10.0, modalities=["eda"],
                               informativeness=0.5, random_state=2**40)
    np.testing.assert_array_equal(a.X["eda"], b.X["eda"])
    c = make_affective_sessions(n_subjects=1, duration_s=60, n_episodes=2,
                                channels=iter(["eda"]), random_state=np.random.RandomState(0))
    assert c.channel_names == ["eda"]


# ---------------------------------------------------------------- hypothesis


@settings(max_examples=20, deadline=None)
@given(
    n_subjects=st.integers(1, 3),
    n_windows=st.integers(1, 6),
    window_s=st.floats(1.0, 40.0),
    n_sessions=st.integers(1, 3),
    target=st.sampled_from(sorted(_synthetic.TARGETS)),
)
def test_dataset_shapes_for_any_valid_arguments(n_subjects, n_windows, window_s,
                                                n_sessions, target):
    n_sessions = min(n_sessions, n_windows)
    data = make_affective_dataset(
        n_subjects=n_subjects, n_windows=n_windows, window_s=window_s,
        n_sessions=n_sessions, modalities=("eda", "temp"), target=target,
        random_state=0,
    )
    n = n_subjects * n_windows
    T = int(round(window_s * 4))
    assert data.X["eda"].shape == data.X["temp"].shape == (n, 1, T)
    assert np.isfinite(data.X["eda"]).all()
    assert len(data.meta) == len(data.y) == len(data.groups) == n
    assert data.meta["session"].nunique() == n_sessions
    assert set(data.y) <= set(range(len(data.target_names)))


@settings(max_examples=20, deadline=None)
@given(
    duration_s=st.floats(20.0, 400.0),
    n_episodes=st.integers(1, 8),
    fs=st.sampled_from([1, 2.5, 4, 8]),
)
def test_sessions_change_points_for_any_valid_arguments(duration_s, n_episodes, fs):
    data = make_affective_sessions(n_subjects=1, duration_s=duration_s,
                                   n_episodes=n_episodes, fs=fs,
                                   channels=("eda", "temp"), random_state=0)
    T = int(round(duration_s * fs))
    cps, states = data.change_points[0], data.states[0]
    assert data.signals[0].shape == (2, T) and np.isfinite(data.signals[0]).all()
    assert len(cps) == n_episodes - 1
    np.testing.assert_array_equal(np.flatnonzero(np.diff(states)) + 1, cps)


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.integers(-5, 0), st.floats(-2, 2), st.booleans(), st.none()))
def test_n_subjects_rejects_non_positive_or_non_int(value):
    with pytest.raises((TypeError, ValueError), match="n_subjects"):
        make_affective_dataset(n_subjects=value, modalities=("eda",))


# ------------------------------------------------------------------- docs


@pytest.mark.parametrize("module", [_synthetic, _synthetic_signals])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
