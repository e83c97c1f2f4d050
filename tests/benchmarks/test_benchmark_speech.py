"""Tests of benchmarks/speech_kd.py: speaker calibration, the models, and a --quick run on EmoDB."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _bench import BENCHMARKS, load_script

COLUMNS = {"dataset", "method", "protocol", "macro_f1_mean", "macro_f1_std",
           "balanced_accuracy_mean", "balanced_accuracy_std", "n_params", "latency_ms", "wall_s",
           "calibration", "normalisation", "n_seeds", "uar_p_holm", "reference"}


def _speech_kd():
    return load_script("speech_kd")


@pytest.fixture(scope="module")
def speech_kd():
    return _speech_kd()


def _toy(n_per=8, speakers=("a", "b", "c"), seed=0, t=5):
    """Raw inputs of a few speakers (each with its own level), labels, speakers."""
    from skkd import Modalities

    rng = np.random.default_rng(seed)
    groups = np.repeat(np.array(speakers), n_per)
    level = {s: 3.0 * i for i, s in enumerate(speakers)}
    offset = np.array([level[g] for g in groups])
    y = np.tile(np.array(["anger", "boredom", "neutral", "sadness"]), len(groups) // 4 + 1)
    y = y[: len(groups)]
    code = np.searchsorted(np.unique(y), y)[:, None]
    frames = rng.normal(size=(len(groups), 6, t)) + offset[:, None, None] + code[:, :, None]
    stats = rng.normal(size=(len(groups), 12)) + offset[:, None] + code
    X = Modalities(frames=frames.astype(np.float32), speech_stats=stats.astype(np.float32),
                   logmel=rng.normal(size=(len(groups), 4, t)).astype(np.float32),
                   mfcc_stats=np.ascontiguousarray(stats[:, :4], dtype=np.float32))
    return X, y, groups


# -- speaker calibration -----------------------------------------------------------------------
def test_speaker_standardize_all_matches_numpy_per_speaker(speech_kd):
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(7, 3, 5)) * [[[1.0], [10.0], [0.1]]] + 4.0
    groups = np.array(["a", "a", "b", "b", "b", "c", "c"])
    out = speech_kd.speaker_standardize(frames, groups, "all")
    assert out.shape == frames.shape and out.dtype == np.float32
    for g in np.unique(groups):
        block = frames[groups == g]
        mean = block.mean(axis=(0, 2), keepdims=True)
        std = block.std(axis=(0, 2), keepdims=True)
        np.testing.assert_allclose(out[groups == g], (block - mean) / std, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_speaker_standardize_k_counts_utterances_not_frames(speech_kd, k):
    """Statistics come from ALL frames of the first K utterances of each speaker (in rank order)."""
    rng = np.random.default_rng(1)
    frames = rng.normal(size=(10, 3, 7)) * 2.0 + 5.0
    groups = np.repeat(["a", "b"], 5)
    rank = np.array([4, 0, 3, 1, 2, 0, 1, 2, 3, 4])  # speaker a is heard 1, 3, 4, 2, 0
    out = speech_kd.speaker_standardize(frames, groups, k, rank=rank)
    for g in ("a", "b"):
        rows = np.flatnonzero(groups == g)
        calib = rows[np.argsort(rank[rows])[:k]]
        mean = frames[calib].mean(axis=(0, 2), keepdims=True)
        std = frames[calib].std(axis=(0, 2), keepdims=True)
        np.testing.assert_allclose(out[rows], (frames[rows] - mean) / std, rtol=1e-4, atol=1e-4)


def test_speaker_standardize_uses_only_each_speakers_frames(speech_kd):
    rng = np.random.default_rng(1)
    frames = rng.normal(size=(6, 2, 4))
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    changed = frames.copy()
    changed[groups == "b"] *= 100.0  # another speaker's level must not leak into "a"
    for k in (2, "all"):
        np.testing.assert_array_equal(speech_kd.speaker_standardize(frames, groups, k)[:3],
                                      speech_kd.speaker_standardize(changed, groups, k)[:3])


def test_speaker_standardize_rejects_bad_input(speech_kd):
    with pytest.raises(ValueError, match="frames"):
        speech_kd.speaker_standardize(np.zeros((4, 5)), ["a"] * 4)
    with pytest.raises(ValueError, match="groups"):
        speech_kd.speaker_standardize(np.zeros((4, 2, 5)), ["a"] * 3)
    with pytest.raises(ValueError, match="calibration"):
        speech_kd.speaker_standardize(np.zeros((4, 2, 5)), ["a"] * 4, "expanding")
    with pytest.raises(ValueError, match="scaler"):
        speech_kd.speaker_standardize(np.zeros((4, 2, 5)), ["a"] * 4, 0)


def test_calibration_rank_is_per_speaker_and_seeded(speech_kd):
    groups = np.repeat(["03", "08", "09"], 6)
    r0 = speech_kd.calibration_rank(groups, "random", seed=0)
    for g in ("03", "08", "09"):
        assert sorted(r0[groups == g]) == list(range(6))
    # a speaker's order does not depend on the other rows of the call (train fold vs held out)
    alone = speech_kd.calibration_rank(groups[groups == "08"], "random", seed=0)
    np.testing.assert_array_equal(alone, r0[groups == "08"])
    assert not np.array_equal(r0, speech_kd.calibration_rank(groups, "random", seed=1))
    np.testing.assert_array_equal(speech_kd.calibration_rank(groups, "given"),
                                  np.tile(np.arange(6), 3))


@pytest.mark.parametrize("key", ["frames", "speech_stats"])
@pytest.mark.parametrize("k", [0, 3])
def test_held_out_speaker_scaling_ignores_utterances_after_the_calibration(speech_kd, key, k):
    """Changing a held-out speaker's utterances after its K-th leaves its other rows as is."""
    from sklearn.dummy import DummyClassifier

    X, y, groups = _toy()
    train, test = groups != "c", groups == "c"
    model = speech_kd.SpeakerCalibrated(DummyClassifier(), [key], calibration=k, random_state=7)
    model.fit(X[train], y[train], groups=groups[train])
    X_test = X[test]
    rank = speech_kd.calibration_rank(groups[test], "random", 7)
    later = rank >= max(k, 1)
    changed = {name: np.array(v, copy=True) for name, v in X_test.items()}
    changed[key][later] = changed[key][later] * 50.0 + 1e3
    from skkd import Modalities

    before = model.transform_inputs(X_test, groups[test])[key]
    after = model.transform_inputs(Modalities(changed), groups[test])[key]
    np.testing.assert_array_equal(before[~later], after[~later])
    assert not np.allclose(before[later], after[later])
    if k:  # ... while with all utterances (transductive) every row moves
        model.set_params(calibration="all")
        before = model.transform_inputs(X_test, groups[test])[key]
        after = model.transform_inputs(Modalities(changed), groups[test])[key]
        assert not np.allclose(before[~later], after[~later])


def test_table_inputs_are_z_scored_from_the_first_k_rows(speech_kd):
    from sklearn.dummy import DummyClassifier

    X, y, groups = _toy()
    model = speech_kd.SpeakerCalibrated(DummyClassifier(), "speech_stats", calibration=3,
                                        random_state=2).fit(X, y, groups=groups)
    out = model.transform_inputs(X, groups)
    rank = speech_kd.calibration_rank(groups, "random", 2)
    raw = np.asarray(X["speech_stats"], dtype=np.float64)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        calib = rows[np.argsort(rank[rows])[:3]]
        expected = (raw[rows] - raw[calib].mean(axis=0)) / raw[calib].std(axis=0)
        np.testing.assert_allclose(out[rows], expected, rtol=1e-4, atol=1e-4)


def test_k0_uses_the_pooled_training_statistics(speech_kd):
    from sklearn.dummy import DummyClassifier

    X, y, groups = _toy()
    train = groups != "c"
    model = speech_kd.SpeakerCalibrated(DummyClassifier(), ["frames", "speech_stats"],
                                        calibration=0).fit(X[train], y[train],
                                                           groups=groups[train])
    out = model.transform_inputs(X[~train], groups[~train])
    stats = np.asarray(X["speech_stats"][train], dtype=np.float64)
    np.testing.assert_allclose(
        out["speech_stats"],
        (X["speech_stats"][~train] - stats.mean(axis=0)) / stats.std(axis=0), rtol=1e-4,
        atol=1e-4)
    frames = np.asarray(X["frames"][train], dtype=np.float64)
    np.testing.assert_allclose(
        out["frames"], (X["frames"][~train] - frames.mean(axis=(0, 2))[None, :, None])
        / frames.std(axis=(0, 2))[None, :, None], rtol=1e-4, atol=1e-4)


# -- models and tables -------------------------------------------------------------------------
def test_every_row_name_says_its_normalisation(speech_kd):
    for k in speech_kd.CALIBRATIONS:
        rows = speech_kd.rows_for(k, main=True, calibration_table=True,
                                  main_k=speech_kd.DEFAULT_K)
        names = [speech_kd.row_name(n, k, o) for n, o in rows]
        assert speech_kd.row_name(speech_kd.NO_KD, k) in names  # the reference row
        for name in names:
            assert name.endswith("]")
            if k == "all":
                assert "transductive" in name
            elif k == 0:
                assert "pooled, K=0" in name
            else:
                assert f"first {k} utt." in name and "transductive" not in name
    main = speech_kd.rows_for(10, main=True, calibration_table=False, main_k=10)
    assert speech_kd.TEACHER in [n for n, _ in main]
    assert speech_kd.rows_for(5, main=True, calibration_table=False, main_k=10) == []


def test_one_decision_rule_and_fixed_settings(speech_kd):
    X, y, groups = _toy()
    for name in [*speech_kd.CHEAP, *speech_kd.MAIN_ONLY]:
        est = speech_kd.make_model(name, 10, quick=True)(3).estimator
        params = est.get_params(deep=True)
        weights = {k: v for k, v in params.items() if k.endswith("class_weight")}
        assert weights and set(weights.values()) == {"balanced"}, (name, weights)
        if "KD" in name and "no KD" not in name:
            assert est.alpha == 0.5 and est.temperature == 4.0
            expected = "in_sample" if "in-sample" in name else "cross_fit"
            assert est.teacher_targets == expected


def test_held_out_labels_do_not_reach_the_predictions(speech_kd):
    """Permuting the held-out speaker's labels leaves its predictions bit-identical."""
    import torch

    from skkd.model_selection import compare

    torch.set_num_threads(1)
    X, y, groups = _toy(n_per=12)
    names = ["SVM (MFCC stats)", "RF (MFCC stats)", speech_kd.NO_KD,
             "student MLP (MFCC stats), KD from stats teacher"]
    models = {n: speech_kd.make_model(n, 3, quick=True) for n in names}
    permuted = y.copy()
    held = groups == "c"
    permuted[held] = np.random.default_rng(0).permutation(y[held])
    kwargs = dict(seeds=(0,), chance=None, verbose=0, reference=speech_kd.NO_KD)
    a = compare(models, X, y, groups, **kwargs).predictions
    b = compare(models, X, permuted, groups, **kwargs).predictions
    for name in names:
        pa = a.query("model == @name and subject == 'c'")["y_pred"].to_numpy()
        pb = b.query("model == @name and subject == 'c'")["y_pred"].to_numpy()
        np.testing.assert_array_equal(pa, pb, err_msg=name)


def test_calibration_pivot_and_kd_tests(speech_kd):
    from skkd.model_selection import compare

    X, y, groups = _toy(n_per=8, speakers=tuple("abcdef"))
    names = ["SVM (MFCC stats)", "RF (MFCC stats)"]
    results = {}
    for k in (0, 10, "all"):
        rows = [(n, "random") for n in names]
        models = {speech_kd.row_name(n, k): speech_kd.make_model(n, k, quick=True) for n in names}
        results[k] = compare(models, X, y, groups, seeds=(0,), verbose=0,
                             scoring=("uar", "macro_f1"),
                             reference=speech_kd.reference_row(rows, k))
        assert results[k].reference == speech_kd.row_name("SVM (MFCC stats)", k)
    pivot = speech_kd.calibration_pivot(results, main_k=10)
    assert list(pivot.columns) == ["K=0", "K=10", "K=all"]
    assert set(pivot.index) == set(names)
    assert "p=" in pivot.loc["SVM (MFCC stats)", "K=all"]
    assert "p=" not in pivot.loc["SVM (MFCC stats)", "K=10"]
    assert speech_kd.kd_tests(results[10]).empty


# -- features ----------------------------------------------------------------------------------
def test_utterance_statistics_equal_speech_features_stats(speech_kd):
    from skkd.features import SpeechFeatures

    t = np.arange(11025) / 22050
    clips = np.stack([np.sin(2 * np.pi * f * t) * (0.1 + 0.2 * t) for f in (180.0, 330.0)])
    frames = SpeechFeatures(output="frames", tuning=0.0).fit_transform(clips)
    stats = SpeechFeatures(output="stats", tuning=0.0).fit_transform(clips)
    np.testing.assert_allclose(speech_kd.utterance_statistics(frames), stats, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="frames"):
        speech_kd.utterance_statistics(np.zeros((2, 3)))


def test_prepare_inputs_are_raw(speech_kd):
    rng = np.random.default_rng(2)
    raw = {"frames": rng.normal(3.0, 2.0, size=(10, 50, 9)),
           "logmel": rng.normal(-40.0, 5.0, size=(10, 8, 9))}
    X = speech_kd.prepare_inputs(raw)
    assert X["frames"].shape == (10, 50, 9) and X["logmel"].shape == (10, 8, 9)
    assert X["speech_stats"].shape == (10, 100)
    assert X["mfcc_stats"].shape == (10, 2 * speech_kd.N_MFCC)
    np.testing.assert_allclose(X["logmel"], raw["logmel"], rtol=1e-6)
    np.testing.assert_allclose(
        X["mfcc_stats"], speech_kd.utterance_statistics(raw["frames"][:, :speech_kd.N_MFCC]),
        rtol=1e-5)


# -- the quick run -----------------------------------------------------------------------------
def test_speech_kd_quick_run(data_home, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "speech_kd.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in ("LOSO", "Seeds", "chance", "Holm", "transductive", "speaker calibration",
                 "decision rule: class_weight='balanced'"):
        assert text in proc.stdout, text
    table = pd.read_csv(tmp_path / "speech_kd_quick.csv")
    assert COLUMNS <= set(table.columns)
    assert set(table["calibration"].astype(str)) == {"0", "5", "10", "all"}
    methods = " | ".join(table["method"])
    for expected in ("teacher CNN+BiLSTM", "no KD", ", KD", "SVM (MFCC stats)", "RF (MFCC stats)",
                     "in file order", "chance"):
        assert expected in methods
    for _, row in table[table["method"] != "chance"].iterrows():
        assert ("transductive" in row["method"]) == (str(row["calibration"]) == "all")
        assert row["reference"].startswith("student MLP (MFCC stats), no KD")
    for col in ("macro_f1_mean", "balanced_accuracy_mean"):
        assert table[col].between(0, 1).all(), table[["method", col]]
    assert (table["n_subjects"] == 3).all()
    sized = table[table["calibration"].astype(str) == "10"].dropna(subset=["latency_ms"])
    assert len(sized) >= 9 and (sized["latency_ms"] > 0).all()
    pivot = pd.read_csv(tmp_path / "speech_kd_quick_calibration_pivot.csv", index_col=0)
    assert list(pivot.columns) == ["K=0", "K=5", "K=10", "K=all"]
    scores = pd.read_csv(tmp_path / "speech_kd_quick_K10_scores.csv")
    assert {"model", "seed", "subject", "uar", "macro_f1"} <= set(scores.columns)
    with open(tmp_path / "speech_kd_quick.json", encoding="utf-8") as fh:
        assert len(json.load(fh)["results"]) == len(table)
    for png in ("confusion_matrix_quick.png", "training_curves_quick.png"):
        assert (tmp_path / png).stat().st_size > 1000
