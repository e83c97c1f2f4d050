"""LogMelExtractor against librosa on real EmoDB speech.

The float32 default is held to a bound in dB against librosa run in float64
(on ``x.astype(float64)``); ``dtype="float64"`` to librosa's own result for
float32 audio within 1e-4 relative.
"""

from __future__ import annotations

import subprocess
import sys

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skkd.features import LogMelExtractor
from skkd.features._logmel import mel_filterbank


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
def test_float64_equals_librosa_on_emodb(emodb_clips, params):
    clips, sr = emodb_clips
    params = {"sr": sr, **params}
    ours = LogMelExtractor(**params, dtype="float64", batch_size=3).fit_transform(clips)
    ref_kw = {k: params[k] for k in ("n_mels", "n_fft", "hop_length", "win_length", "fmin", "fmax")
              if k in params}
    expected = np.stack([
        _librosa(x, sr, params.get("ref", 1.0), params.get("top_db", 80.0), **ref_kw)
        for x in clips
    ])
    assert ours.shape == (len(clips), 1) + expected.shape[1:] and ours.dtype == np.float32
    # 1e-4 relative; the 1e-4 dB floor covers values that cross 0 dB
    np.testing.assert_allclose(ours[:, 0], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ref": "max"},
        {"n_mels": 64, "n_fft": 1024, "hop_length": 256, "fmin": 50.0, "fmax": 8000.0},
        {"n_mels": 40, "n_fft": 512, "hop_length": 160, "win_length": 400, "top_db": 60.0},
        {"top_db": None},
    ],
)
def test_float32_default_within_1e3_db_of_librosa_float64(emodb_clips, params):
    """The default (float32) against librosa in float64: <= 1e-3 dB where it counts.

    Bins within ``top_db`` of each clip's peak (in the float64 reference):
    <= 1e-3 dB absolute. Bins further down are clipped to ``peak - top_db`` on
    both sides, so the same 1e-3 dB holds for them; with ``top_db=None`` they
    are not clipped and float32 has no fixed bound there (its relative error
    grows as the power falls), so they are only required to stay below the
    80-dB line too. Over all 535 EmoDB clips the worst in-range bin was
    7.7e-4 dB at the defaults and 9.3e-4 dB with n_fft=1024.
    """
    clips, sr = emodb_clips
    assert LogMelExtractor().dtype == "float32"
    ours = LogMelExtractor(sr=sr, **params).fit_transform(clips)[:, 0]
    kw = {k: params[k] for k in ("n_mels", "n_fft", "hop_length", "win_length", "fmin", "fmax")
          if k in params}
    top_db = params.get("top_db", 80.0)
    expected = np.stack([
        _librosa(x.astype(np.float64), sr, params.get("ref", 1.0), top_db, **kw) for x in clips
    ])
    diff = np.abs(ours - expected)
    line = expected.max(axis=(1, 2), keepdims=True) - (80.0 if top_db is None else top_db)
    within = expected > line
    assert within.mean() > 0.5  # the bound is about most of the image
    assert diff[within].max() <= 1e-3
    if top_db is None:
        assert (ours <= line + 1e-3)[~within].all()
    else:
        assert diff.max() <= 1e-3


def test_mel_filterbank_equals_librosa():
    for kw in [
        dict(sr=22050, n_fft=2048, n_mels=128),
        dict(sr=16000, n_fft=400, n_mels=80, fmin=20.0),
        dict(sr=22050, n_fft=1024, n_mels=64, fmin=50.0, fmax=8000.0),
        dict(sr=8000, n_fft=64, n_mels=8),
    ]:
        np.testing.assert_array_equal(mel_filterbank(**kw), librosa.filters.mel(**kw))
    with pytest.warns(UserWarning, match="Empty filters"):
        mel_filterbank(8000, 64, n_mels=64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batches_do_not_change_results(emodb_clips, dtype):
    clips, sr = emodb_clips
    a = LogMelExtractor(sr=sr, dtype=dtype, batch_size=1).fit_transform(clips)
    b = LogMelExtractor(sr=sr, dtype=dtype, batch_size=3).fit_transform(clips)
    c = LogMelExtractor(sr=sr, dtype=dtype, batch_size=64).fit_transform(clips)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_threads_do_not_change_results_and_are_restored(emodb_clips):
    import torch

    clips, sr = emodb_clips
    lm = LogMelExtractor(sr=sr, batch_size=2).fit(clips)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = lm.transform(clips)
        torch.set_num_threads(2)
        two = lm.transform(clips)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


def test_precision_is_a_deprecated_alias_of_dtype(emodb_clips):
    clips, sr = emodb_clips
    with pytest.warns(FutureWarning, match="renamed dtype"):
        old = LogMelExtractor(sr=sr, precision="float64").fit(clips[:2])
    np.testing.assert_array_equal(
        old.transform(clips[:2]),
        LogMelExtractor(sr=sr, dtype="float64").fit_transform(clips[:2]),
    )
    with pytest.raises(ValueError, match="'dtype' parameter of LogMelExtractor must be"):
        LogMelExtractor(dtype="float16").fit(clips[:2])


def test_default_path_imports_neither_librosa_nor_numba():
    """No numba compilation is possible on the default path: numba is never imported.

    A fresh interpreter runs fit_transform and reports which of librosa and
    numba are in ``sys.modules`` (librosa's import alone loads or compiles
    its eagerly-typed gufuncs).
    """
    code = (
        "import sys, numpy as np\n"
        "from skkd.features import LogMelExtractor\n"
        "X = np.random.default_rng(0).normal(size=(2, 8000)).astype(np.float32)\n"
        "LogMelExtractor(n_mels=32).fit_transform(X)\n"
        "print(sorted(m for m in ('librosa', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        LogMelExtractor().fit(np.full((2, 1000), np.nan))
    with pytest.raises(ValueError, match="'ref' parameter of LogMelExtractor must be"):
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
    if kind == "huge":  # float32 power overflows; float64 shifts the dB values by 600
        with pytest.raises(ValueError, match="overflowed float32.*dtype='float64'"):
            lm.fit_transform(X)
        lm.set_params(dtype="float64")
    out = lm.fit_transform(X)
    assert out.shape == (2, 1, 16, 1 + T // 64) and np.isfinite(out).all()
    if kind == "huge":
        np.testing.assert_allclose(out, lm.fit_transform(X / 1e30) + 600, atol=1e-2)
