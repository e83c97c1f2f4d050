"""SpeechFeatures against librosa on real EmoDB speech (the one module paying numba's JIT)."""

from __future__ import annotations

import librosa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkd.features import SpeechFeatures

SMALL = dict(sr=8000, n_fft=64, hop_length=16, n_mels=16, n_mfcc=8)


@parametrize_with_checks([
    SpeechFeatures(**SMALL, tuning=0.0),
    SpeechFeatures(**SMALL, output="frames", stats=("mean", "max")),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def emodb_clips(data_home):
    from skkd.datasets import load_emodb

    data = load_emodb(data_home=data_home)
    return data.X["audio"][::107], data.fs["audio"]  # 5 clips


def _librosa_frames(x, sr):
    return np.concatenate([
        librosa.feature.mfcc(y=x, sr=sr, n_mfcc=40),
        librosa.feature.chroma_stft(y=x, sr=sr),
        librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr)),
        librosa.feature.zero_crossing_rate(x),
        librosa.feature.spectral_centroid(y=x, sr=sr),
        librosa.feature.spectral_rolloff(y=x, sr=sr),
        librosa.feature.spectral_bandwidth(y=x, sr=sr),
    ])


def test_frames_equal_librosa_on_emodb(emodb_clips):
    clips, sr = emodb_clips
    sf = SpeechFeatures(sr=sr, output="frames", batch_size=2).fit(clips)
    ours = sf.transform(clips)
    expected = np.stack([_librosa_frames(x, sr) for x in clips])
    assert ours.shape == expected.shape == (len(clips), 184, 87)
    names = list(sf.frame_feature_names_)
    blocks = {"mfcc": slice(0, 40), "chroma": slice(40, 52), "mel": slice(52, 180),
              "zcr": slice(180, 181), "centroid": slice(181, 182),
              "rolloff": slice(182, 183), "bandwidth": slice(183, 184)}
    assert names[0] == "mfcc_0" and names[40] == "chroma_0" and names[-1] == "spectral_bandwidth"
    for block, rows in blocks.items():
        scale = np.abs(expected[:, rows]).max()
        np.testing.assert_allclose(ours[:, rows], expected[:, rows], rtol=1e-4,
                                   atol=1e-5 * scale, err_msg=block)


def test_stats_are_per_utterance_summaries(emodb_clips):
    clips, sr = emodb_clips
    frames = SpeechFeatures(sr=sr, output="frames").fit_transform(clips[:2])
    sf = SpeechFeatures(sr=sr, stats=("mean", "std", "max")).set_output(transform="pandas")
    table = sf.fit_transform(clips[:2])
    assert isinstance(table, pd.DataFrame) and table.shape == (2, 184 * 3)
    assert list(table.columns[:3]) == ["mfcc_0_mean", "mfcc_0_std", "mfcc_0_max"]
    np.testing.assert_allclose(table["zcr_mean"], frames[:, 180].mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(table["mel_5_max"], frames[:, 57].max(axis=1), rtol=1e-6)
    with pytest.raises(AttributeError):
        SpeechFeatures(output="frames").fit(clips[:1]).get_feature_names_out()


def test_bad_input():
    with pytest.raises(ValueError, match="output"):
        SpeechFeatures(output="both").fit(np.zeros((1, 4000)))
    with pytest.raises(ValueError, match="stats"):
        SpeechFeatures(stats=("mode",)).fit(np.zeros((1, 4000)))
    with pytest.raises(ValueError, match="NaN"):
        SpeechFeatures().fit(np.full((1, 4000), np.nan))


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(["silence", "constant", "huge", "tiny", "short", "long", "noise"]),
    seed=st.integers(0, 1000),
)
def test_awkward_clips(kind, seed):
    rng = np.random.default_rng(seed)
    T = {"short": 3, "long": 60_000}.get(kind, 2000)
    X = rng.normal(size=(2, T)).astype(np.float32)
    if kind == "silence":
        X[:] = 0
    elif kind == "constant":
        X[:] = -0.25
    elif kind == "huge":
        X *= 1e30
    elif kind == "tiny":
        X *= 1e-30
    sf = SpeechFeatures(**SMALL, output="frames")
    if kind == "huge":
        with pytest.raises(ValueError, match="overflowed"):
            sf.fit_transform(X)
        return
    out = sf.fit_transform(X)
    assert out.shape == (2, 8 + 12 + 16 + 4, 1 + T // 16) and np.isfinite(out).all()
