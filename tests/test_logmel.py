"""LogMelExtractor against librosa on real EmoDB speech."""

from __future__ import annotations

import subprocess
import sys

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkd.features import LogMelExtractor


@parametrize_with_checks([LogMelExtractor(sr=8000, n_fft=64, hop_length=16, n_mels=8)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def emodb_clips(data_home):
    from skkd.datasets import load_emodb

    data = load_emodb(data_home=data_home)
    return data.X["audio"][::67], data.fs["audio"]  # 8 clips, several speakers


def _librosa(x, sr, ref, top_db, **kw):
    S = librosa.feature.melspectrogram(y=x, sr=sr, **kw)
    return librosa.power_to_db(S, ref=np.max if ref == "max" else ref, top_db=top_db)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ref": "max"},
        {"top_db": None},
        {"ref": 1e-3, "top_db": 60.0},
        {"n_mels": 64, "n_fft": 1024, "hop_length": 256, "fmin": 50.0, "fmax": 8000.0},
        {"n_mels": 40, "n_fft": 512, "hop_length": 160, "win_length": 400},
    ],
)
def test_equals_librosa_on_emodb(emodb_clips, params):
    clips, sr = emodb_clips
    params = {"sr": sr, **params}
    ours = LogMelExtractor(**params, batch_size=3).fit_transform(clips)
    ref_kw = {k: params[k] for k in ("n_mels", "n_fft", "hop_length", "win_length", "fmin", "fmax")
              if k in params}
    expected = np.stack([
        _librosa(x, sr, params.get("ref", 1.0), params.get("top_db", 80.0), **ref_kw)
        for x in clips
    ])
    assert ours.shape == (len(clips), 1) + expected.shape[1:] and ours.dtype == np.float32
    # 1e-4 relative; the 1e-4 dB floor covers values that cross 0 dB
    np.testing.assert_allclose(ours[:, 0], expected, rtol=1e-4, atol=1e-4)


def test_batches_do_not_change_results(emodb_clips):
    clips, sr = emodb_clips
    a = LogMelExtractor(sr=sr, batch_size=1).fit_transform(clips)
    b = LogMelExtractor(sr=sr, batch_size=64).fit_transform(clips)
    np.testing.assert_array_equal(a, b)


def test_no_numba_compilation_at_start_up():
    code = (
        "import numpy as np, numba.core.registry as r\n"
        "from skkd.features import LogMelExtractor\n"
        "LogMelExtractor(n_mels=32).fit_transform(np.random.default_rng(0).normal(size=(2, 8000)))\n"
        "from numba.core.dispatcher import Dispatcher\n"
        "import gc\n"
        "compiled = [d for d in gc.get_objects() if isinstance(d, Dispatcher) and d.overloads]\n"
        "print(len(compiled))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0"


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        LogMelExtractor().fit(np.full((2, 1000), np.nan))
    with pytest.raises(ValueError, match="ref must be"):
        LogMelExtractor(ref="min").fit(np.zeros((2, 1000)))
    with pytest.raises(ValueError, match="shorter than n_fft"):
        LogMelExtractor(center=False).fit(np.zeros((2, 1000)))
    with pytest.raises(TypeError, match="ModalityTransformer"):
        LogMelExtractor().fit({"audio": np.zeros((2, 1000))})


@settings(max_examples=20, deadline=None)
@given(
    kind=st.sampled_from(["silence", "constant", "huge", "tiny", "short", "long", "noise"]),
    seed=st.integers(0, 1000),
)
def test_awkward_clips(kind, seed):
    rng = np.random.default_rng(seed)
    T = {"short": 5, "long": 100_000}.get(kind, 4000)
    X = rng.normal(size=(2, T)).astype(np.float32)
    if kind == "silence":
        X[:] = 0
    elif kind == "constant":
        X[:] = 0.5
    elif kind == "huge":
        X *= 1e30
    elif kind == "tiny":
        X *= 1e-30
    lm = LogMelExtractor(sr=8000, n_fft=256, hop_length=64, n_mels=16)
    out = lm.fit_transform(X)
    assert out.shape == (2, 1, 16, 1 + T // 64) and np.isfinite(out).all()
    if kind == "huge":  # scaling the audio by 1e30 shifts the dB values by 600
        np.testing.assert_allclose(out, lm.fit_transform(X / 1e30) + 600, atol=1e-2)
    if kind == "huge":
        with pytest.raises(ValueError, match="overflowed"):
            lm.set_params(precision="float32").fit_transform(X)
