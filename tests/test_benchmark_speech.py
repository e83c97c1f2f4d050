"""Tests of benchmarks/speech_kd.py: its helpers, and a --quick run on three EmoDB speakers."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
COLUMNS = {"dataset", "method", "protocol", "macro_f1_mean", "macro_f1_std",
           "balanced_accuracy_mean", "balanced_accuracy_std", "n_params", "latency_ms", "wall_s",
           "accuracy_mean", "accuracy_std", "inputs"}


def _speech_kd():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("speech_kd", BENCHMARKS / "speech_kd.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def speech_kd():
    return _speech_kd()


# -- helpers -----------------------------------------------------------------------------------
def test_speaker_standardize_matches_numpy_per_speaker(speech_kd):
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(7, 3, 5)) * [[[1.0], [10.0], [0.1]]] + 4.0
    groups = np.array(["a", "a", "b", "b", "b", "c", "c"])
    out = speech_kd.speaker_standardize(frames, groups)
    assert out.shape == frames.shape and out.dtype == np.float32
    for g in np.unique(groups):
        block = frames[groups == g]
        mean = block.mean(axis=(0, 2), keepdims=True)
        std = block.std(axis=(0, 2), keepdims=True)
        np.testing.assert_allclose(out[groups == g], (block - mean) / std, rtol=1e-5, atol=1e-5)


def test_speaker_standardize_uses_only_each_speakers_frames(speech_kd):
    rng = np.random.default_rng(1)
    frames = rng.normal(size=(6, 2, 4))
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    changed = frames.copy()
    changed[groups == "b"] *= 100.0  # another speaker's level must not leak into "a"
    np.testing.assert_array_equal(speech_kd.speaker_standardize(frames, groups)[:3],
                                  speech_kd.speaker_standardize(changed, groups)[:3])


def test_speaker_standardize_rejects_bad_input(speech_kd):
    with pytest.raises(ValueError, match="frames"):
        speech_kd.speaker_standardize(np.zeros((4, 5)), ["a"] * 4)
    with pytest.raises(ValueError, match="groups"):
        speech_kd.speaker_standardize(np.zeros((4, 2, 5)), ["a"] * 3)


def test_utterance_statistics_equal_speech_features_stats(speech_kd):
    from skkd.features import SpeechFeatures

    t = np.arange(11025) / 22050
    clips = np.stack([np.sin(2 * np.pi * f * t) * (0.1 + 0.2 * t) for f in (180.0, 330.0)])
    frames = SpeechFeatures(output="frames", tuning=0.0).fit_transform(clips)
    stats = SpeechFeatures(output="stats", tuning=0.0).fit_transform(clips)
    np.testing.assert_allclose(speech_kd.utterance_statistics(frames), stats, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="frames"):
        speech_kd.utterance_statistics(np.zeros((2, 3)))


def test_prepare_inputs_shapes_and_normalisation(speech_kd):
    rng = np.random.default_rng(2)
    groups = np.repeat(["s1", "s2"], 5)
    raw = {"frames": rng.normal(3.0, 2.0, size=(10, 50, 9)),
           "logmel": rng.normal(-40.0, 5.0, size=(10, 8, 9))}
    X, table = speech_kd.prepare_inputs(raw, groups)
    assert X["frames"].shape == (10, 50, 9) and X["logmel"].shape == (10, 8, 9)
    assert table.shape == (10, 2 * speech_kd.N_MFCC)
    np.testing.assert_array_equal(X["mfcc_stats"], table)
    for g in ("s1", "s2"):  # each speaker's statistics are z-scored on its own
        np.testing.assert_allclose(table[groups == g].mean(axis=0), 0.0, atol=1e-5)
    X_raw, table_raw = speech_kd.prepare_inputs(raw, groups, speaker_norm=False)
    np.testing.assert_allclose(X_raw["logmel"], raw["logmel"], rtol=1e-6)
    np.testing.assert_allclose(
        table_raw, speech_kd.utterance_statistics(raw["frames"][:, :speech_kd.N_MFCC]), rtol=1e-6)


# -- the quick run -----------------------------------------------------------------------------
def test_speech_kd_quick_run(data_home, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "speech_kd.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LOSO by speaker" in proc.stdout
    table = pd.read_csv(tmp_path / "speech_kd_quick.csv")
    assert COLUMNS <= set(table.columns)
    methods = " | ".join(table["method"])
    for expected in ("teacher CNN+BiLSTM", "no KD", ", KD", "SVM (MFCC stats)", "RF (MFCC stats)"):
        assert expected in methods
    for col in ("macro_f1_mean", "balanced_accuracy_mean", "accuracy_mean", "uar_pooled"):
        assert table[col].between(0, 1).all(), table[["method", col]]
    assert (table["n_subjects"] == 3).all()
    assert (table["latency_ms"] > 0).all()
    students = table[table["method"].str.startswith("student")]
    assert (students["n_params"].astype(int) <= 50_000).all()
    with open(tmp_path / "speech_kd_quick.json", encoding="utf-8") as fh:
        assert len(json.load(fh)["results"]) == len(table)
    for png in ("confusion_matrix_quick.png", "training_curves_quick.png"):
        assert (tmp_path / png).stat().st_size > 1000
