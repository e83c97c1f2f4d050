"""SpeechFeatures against librosa on real EmoDB speech.

SpeechFeatures recomputes librosa's features without librosa (no numba on its
path); librosa stays the reference here. Its chroma_stft pays numba's
compilation of ``piptrack`` once (or loads it from numba's cache), so the
reference frames are computed once per session.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import librosa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.features import SpeechFeatures
from skkd.features._speech import (
    _localmax,
    _parabolic_shift,
    chroma_filterbank,
    estimate_tuning,
)

SMALL = dict(sr=8000, n_fft=64, hop_length=16, n_mels=16, n_mfcc=8)


@pytest.fixture(scope="session")
def emodb_clips(data_home):
    from skkd.datasets import load_emodb

    data = load_emodb(data_home=data_home)
    return data.X["audio"][::107], data.fs["audio"]  # 5 clips


@pytest.fixture(scope="session")
def librosa_frames(emodb_clips):
    """librosa's features of the clips (the only place the tests pay numba)."""
    clips, sr = emodb_clips
    return np.stack([_librosa_frames(x, sr) for x in clips])


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


def test_frames_equal_librosa_on_emodb(emodb_clips, librosa_frames):
    """Every block within 1e-4 relative (1e-5 of the block's scale for values near 0).

    Over all 535 EmoDB clips the worst was 1.5e-6 (chroma); ZCR and roll-off
    were identical, and so was every clip's tuning estimate.
    """
    clips, sr = emodb_clips
    sf = SpeechFeatures(sr=sr, output="frames", batch_size=2).fit(clips)
    ours = sf.transform(clips)
    expected = librosa_frames
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


def test_tuning_and_filterbanks_equal_librosa(emodb_clips):
    """Given librosa's own power spectra, the tuning estimate is librosa's exactly."""
    clips, sr = emodb_clips
    power = np.stack([np.abs(librosa.stft(x)) ** 2 for x in clips])  # as chroma_stft
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [librosa.estimate_tuning(S=S, sr=sr, bins_per_octave=12) for S in power]
    ours = estimate_tuning(np.ascontiguousarray(power.transpose(0, 2, 1)), sr=sr, n_fft=2048)
    np.testing.assert_array_equal(ours, expected)
    for sr_, n_fft, n_chroma, tuning in [(sr, 2048, 12, 0.0), (sr, 2048, 12, -0.31),
                                         (16000, 512, 24, 0.2), (8000, 64, 12, 0.5)]:
        np.testing.assert_array_equal(
            chroma_filterbank(sr_, n_fft, n_chroma=n_chroma, tuning=tuning),
            librosa.filters.chroma(sr=sr_, n_fft=n_fft, n_chroma=n_chroma, tuning=tuning),
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_peak_helpers_equal_librosa(dtype):
    from librosa.core.pitch import _parabolic_interpolation

    rng = np.random.default_rng(0)
    ties = rng.integers(0, 3, size=(40, 25)).astype(dtype)  # plateaus and equal neighbours
    np.testing.assert_array_equal(_localmax(ties), librosa.util.localmax(ties, axis=-1))
    x = rng.random((40, 25)).astype(dtype)
    for y in (x, ties):
        np.testing.assert_array_equal(_parabolic_shift(y), _parabolic_interpolation(y, axis=-1))


def test_batches_do_not_change_results(emodb_clips):
    clips, sr = emodb_clips
    runs = [SpeechFeatures(sr=sr, output="frames", batch_size=b).fit_transform(clips)
            for b in (1, 3, 8)]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


def test_default_path_imports_neither_librosa_nor_numba(emodb_clips, tmp_path):
    """No numba compilation on the default path: numba is never imported.

    A fresh interpreter runs SpeechFeatures (tuning estimated) and
    LogMelExtractor at their defaults on 10 EmoDB clips and reports which of
    librosa and numba are in ``sys.modules``.
    """
    path = tmp_path / "clips.npy"
    np.save(path, np.resize(emodb_clips[0], (10, emodb_clips[0].shape[1])))
    code = (
        "import sys, numpy as np\n"
        "from skkd.features import LogMelExtractor, SpeechFeatures\n"
        f"X = np.load({str(path)!r})\n"
        f"SpeechFeatures(sr={emodb_clips[1]}).fit_transform(X)\n"
        f"LogMelExtractor(sr={emodb_clips[1]}).fit_transform(X)\n"
        "print(sorted(m for m in ('librosa', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_silence_gives_zero_tuning_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = SpeechFeatures(output="frames").fit_transform(np.zeros((2, 4000), np.float32))
    assert np.isfinite(out).all() and (out[:, 40:52] == 0).all()
    assert estimate_tuning(np.zeros((1, 5, 1025), np.float32), sr=22050, n_fft=2048)[0] == 0


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
