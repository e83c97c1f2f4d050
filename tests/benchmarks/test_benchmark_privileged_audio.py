"""Tests of benchmarks/privileged_audio.py: its helpers and a ``--quick`` run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import log_loss
from _bench import BENCHMARKS, load_script

COLUMNS = {"dataset", "method", "protocol", "macro_f1_mean", "macro_f1_std",
           "balanced_accuracy_mean", "balanced_accuracy_std", "n_params", "latency_ms",
           "wall_s", "inputs", "loss", "n_seeds", "reference", "balanced_accuracy_p_holm"}


@pytest.fixture(scope="module")
def pa():
    return load_script("privileged_audio")


def test_docstring_examples(pa):
    import doctest

    result = doctest.testmod(pa, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


# -- subject splits ----------------------------------------------------------------------------
def test_inner_validation_holds_out_training_subjects_only(pa):
    groups = np.repeat(list("abcdef"), 4)
    train = np.flatnonzero(groups != "f")
    fit, valid = pa.inner_validation(train, groups, seed=0)
    assert set(fit) | set(valid) == set(train)
    assert not set(groups[fit]) & set(groups[valid])
    assert "f" not in set(groups[valid]) and len(set(groups[valid])) == 1
    with pytest.raises(ValueError, match="at least 2"):
        pa.inner_validation(np.arange(4), groups)


# -- small helpers -----------------------------------------------------------------------------
def test_validation_log_loss_matches_sklearn(pa):
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=20)
    codes = rng.integers(0, 3, size=20)
    assert pa.validation_log_loss(proba, codes) == pytest.approx(
        log_loss(codes, proba, labels=[0, 1, 2]))


def test_parse_feature_weights(pa):
    assert pa.parse_feature_weights(None) is None
    assert pa.parse_feature_weights("video=1,rsp=0.5") == {"video": 1.0, "rsp": 0.5}
    for bad, match in [("audio=1", "modality among"), ("video", "modality=weight"),
                       ("ecg=x", "not a number"), ("ecg=-1", ">= 0"), (",", "no modality")]:
        with pytest.raises(ValueError, match=match):
            pa.parse_feature_weights(bad)


def test_student_specs_match_the_stressid_rows(pa):
    specs = pa.student_specs()
    assert [kw.get("alpha") for kw in specs.values()] == [0.0, 0.7, 0.0, 0.7]
    assert specs["extra: audio, KD soft targets, in-sample targets"]["teacher_targets"] == \
        "in_sample"
    models = pa.models_for(pa.settings(quick=True), specs, quick=True)
    assert models["audio, KD soft targets (T=3)"].teacher_targets == "cross_fit"
    assert models["extra: audio, KD soft targets, in-sample targets"].teacher_targets == \
        "in_sample"
    assert pa.NO_KD in models and pa.TEACHER_NAME in models
    feature_row = specs["audio, KD per-modality features"]
    assert feature_row["feature_weights"] == {k: 0.25 for k in pa.TEACHER_KEYS}
    assert pa.describe_loss(feature_row).startswith("CE + sum_m w_m MSE (video 0.25")
    assert pa.describe_loss(specs["audio only, no KD"]) == "CE"


# -- networks ----------------------------------------------------------------------------------
def test_teacher_module_has_a_256_d_feature_per_modality(pa):
    X = {"video": np.random.default_rng(0).normal(size=(6, 1, 4, 8, 8)).astype(np.float32),
         "ecg": np.ones((6, 1, 12, 12), np.float32)}
    net = pa.build_teacher_module(X, 2, width=4)
    assert net.modality_dims == {"video": 256, "ecg": 256} and net.embedding_dim == 256
    logits, emb = net(**{k: torch.as_tensor(v) for k, v in X.items()})
    assert logits.shape == (6, 2) and emb.shape == (6, 256)
    parts = net.modality_embeddings(**{k: torch.as_tensor(v) for k, v in X.items()})
    assert parts["video"].shape == (6, 256)
    # the same seed gives the same weights
    again = pa.build_teacher_module(X, 2, width=4)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    with pytest.raises(ValueError, match="image"):
        pa.build_teacher_module({"eda": np.zeros((6, 1, 40))}, 2)


def test_best_on_validation_restores_the_best_epoch(pa):
    from skkd.estimators import TeacherClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    y = (X[:, 0] + 0.8 * rng.normal(size=120) > 0).astype(int)
    X_valid, y_valid = X[80:], y[80:]
    stop = pa.BestOnValidation(X_valid, y_valid, classes=[0, 1], patience=3)
    clf = TeacherClassifier(max_epochs=25, lr=3e-2, random_state=0, device="cpu",
                            callbacks=[("best_on_valid", stop)]).fit(X[:80], y[:80])
    used = dict(clf.net_.callbacks_)["best_on_valid"]
    curve = clf.net_.history[:, "valid_ce"]
    assert used.best_epoch_ == int(np.argmin(curve)) + 1
    assert len(curve) <= used.best_epoch_ + 3  # stopped after `patience` worse epochs
    kept = pa.validation_log_loss(clf.predict_proba(X_valid), y_valid)
    assert kept == pytest.approx(min(curve), rel=1e-5)


def test_best_on_validation_rejects_unseen_labels(pa):
    stop = pa.BestOnValidation(np.zeros((2, 3)), np.array([0, 2]), classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[2\]"):
        stop.initialize()


# -- the protocol -------------------------------------------------------------------------------
def test_models_never_read_held_out_labels(pa):
    """Permuting the held-out subject's labels leaves its predictions bit-identical."""
    import warnings

    from sklearn.model_selection import PredefinedSplit

    from skkd.model_selection import compare

    torch.set_num_threads(1)
    d = pa.load(quick=True, seed=0)
    F, y, groups = d["F"], d["y"], d["groups"]
    held_subject = np.unique(groups)[-1]
    held = groups == held_subject
    permuted = y.copy()
    permuted[held] = 1 - y[held]
    cfg = pa.settings(quick=True)
    specs = pa.student_specs()
    models = {name: m for name, m in pa.models_for(cfg, specs, quick=True).items()
              if name in (pa.NO_KD, "audio, KD soft targets (T=3)", pa.TEACHER_NAME)}
    kwargs = dict(cv=PredefinedSplit(np.where(held, 0, -1)), seeds=(0,), chance=None,
                  verbose=0, reference=pa.NO_KD)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The groups parameter is ignored")
        a = compare(models, F, y, groups, **kwargs).predictions
        b = compare(models, F, permuted, groups, **kwargs).predictions
    for name in models:
        np.testing.assert_array_equal(a.loc[a["model"] == name, "y_pred"].to_numpy(),
                                      b.loc[b["model"] == name, "y_pred"].to_numpy(),
                                      err_msg=name)


def test_validated_model_needs_groups(pa):
    model = pa.ValidatedModel(kd={"alpha": 0.0}, cfg=pa.settings(quick=True))
    with pytest.raises(ValueError, match="groups"):
        model.fit(None, np.zeros(4))


# -- the quick run -----------------------------------------------------------------------------
def test_privileged_audio_quick(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "privileged_audio.py"), "--quick", "--protocol", "both",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Holm-corrected" in proc.stdout
    table = pd.read_csv(tmp_path / "privileged_audio_quick.csv")
    assert COLUMNS <= set(table.columns)
    assert len(table) == 12  # (4 students + teacher + chance) x 2 protocols
    for col in ("macro_f1_mean", "balanced_accuracy_mean"):
        assert table[col].between(0, 1).all(), table[["method", col]]
    loso = table[table["protocol"] == "LOSO by subject"]
    split = table[table["protocol"].str.startswith("subject split")]
    assert len(loso) == len(split) == 6
    assert (loso["n_subjects"] == 4).all() and (split["n_subjects"] == 1).all()
    assert (table["reference"] == "audio only, no KD").all()
    teacher = table[table["method"].str.startswith("teacher")]
    assert (teacher["inputs"] == "video + ecg + eda + rsp").all()
    students = table[table["inputs"] == "audio"]
    assert len(students) == 8
    # every student has the same network; the teacher is far larger
    assert students["n_params"].nunique() == 1
    assert int(teacher["n_params"].iloc[0]) > int(students["n_params"].iloc[0])
    with open(tmp_path / "privileged_audio_quick.json", encoding="utf-8") as fh:
        info = json.load(fh)
    assert len(info["results"]) == 12 and info["info"]["quick"] is True
    assert (tmp_path / "privileged_audio_quick.png").stat().st_size > 0
    assert "audio, KD per-modality features" in proc.stdout
