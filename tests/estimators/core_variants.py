"""Fixed-seed fits of the teacher and of each student variant.

``tests/estimators/data/core_reference.npz`` holds their ``predict_proba``
recorded from the code before the distillation core was redesigned (issue
14); ``test_core_reference.py`` checks the current code reproduces them.
Regenerate only on purpose: ``python tests/estimators/core_variants.py``.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skkd.estimators import DINOPretrainer, DistilledStudentClassifier, TeacherClassifier

REFERENCE = Path(__file__).resolve().parent / "data" / "core_reference.npz"


def _tabular(n: int = 120, d: int = 8, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 5] + 0.3 * rng.randn(n) > 0).astype(int)
    groups = np.repeat(np.arange(6), n // 6)
    return X, y, groups


def _multimodal(n: int = 96, seed: int = 1):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    eeg = rng.randn(n, 2, 32).astype(np.float32) + y[:, None, None] * 0.4
    gsr = rng.randn(n, 1, 16).astype(np.float32) + (y == 1)[:, None, None] * 0.6
    groups = np.repeat(np.arange(4), n // 4)
    return {"eeg": eeg, "gsr": gsr}, y, groups


def _teacher(**kw):
    kw.setdefault("max_epochs", 4)
    return TeacherClassifier(batch_size=32, random_state=0, **kw)


def _student(teacher, inputs, **kw):
    kw.setdefault("max_epochs", 4)
    # the defaults when the reference was recorded (they changed in issue 15)
    kw.setdefault("alpha", 0.5)
    kw.setdefault("temperature", 2.0)
    return DistilledStudentClassifier(teacher, student_inputs=inputs, batch_size=32,
                                      random_state=0, **kw)


def variants():
    """``{name: (estimator, X, y, groups, X_predict)}`` for every variant pinned."""
    X, y, g = _tabular()
    M, ym, gm = _multimodal()
    y_semi = y.copy()
    y_semi[::3] = -1
    lr = LogisticRegression(C=0.5)
    return {
        "teacher_array": (_teacher(), X, y, None, X),
        "teacher_balanced_es": (_teacher(class_weight="balanced", early_stopping=True,
                                         max_epochs=6), X, y, g, X),
        "teacher_multimodal": (_teacher(), M, ym, None, M),
        "student_soft_cross_fit": (_student(lr, [0, 1, 2]), X, y, g, X[:, :3]),
        "student_soft_in_sample": (_student(lr, [0, 1, 2], teacher_targets="in_sample",
                                            alpha=0.9, temperature=1.0), X, y, None, X),
        "student_label_only": (_student(lr, [0, 1, 2], alpha=0.0), X, y, None, X),
        "student_dkd": (_student(lr, [0, 1, 2], logit_loss="dkd"), X, y, g, X),
        "student_dist": (_student(lr, [0, 1, 2], logit_loss="dist"), X, y, g, X),
        "student_balanced_es": (_student(lr, [0, 1, 2], class_weight="balanced",
                                         early_stopping=True, max_epochs=6), X, y, g, X),
        "student_mixup": (_student(lr, [0, 1, 2], augment="mixup"), X, y, g, X),
        "student_munge": (_student(lr, [0, 1, 2], augment="munge", augment_ratio=1.0),
                          X, y, None, X),
        "student_fused_features": (_student(_teacher(), [0, 1, 2], feature_weights=0.5),
                                   X, y, g, X),
        "student_modality_features": (_student(_teacher(), ["gsr"],
                                               feature_weights={"eeg": 1.0, "gsr": 0.5}),
                                      M, ym, gm, {"gsr": M["gsr"]}),
        "student_feedback": (_student(_teacher(), [0, 1, 2], feedback=True, feedback_every=2,
                                      feedback_steps=3, feature_weights=0.3), X, y, g, X),
        "student_frozen_teacher": (_student(FrozenEstimator(lr.fit(X, y)), [0, 1, 2]),
                                   X, y, None, X),
        "student_semi_supervised": (_student(
            _teacher(pretrain=DINOPretrainer(max_epochs=2, random_state=0)), [0, 1, 2]),
            X, y_semi, g, X),
        "student_semi_lr": (_student(lr, [0, 1, 2], semi_supervised=True), X, y_semi, g, X),
    }


def predict_all() -> dict[str, np.ndarray]:
    """Fit every variant (one torch thread) and return its ``predict_proba``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = {}
        for name, (est, X, y, groups, X_pred) in variants().items():
            est.fit(X, y) if groups is None else est.fit(X, y, groups=groups)
            out[name] = est.predict_proba(X_pred)
        return out
    finally:
        torch.set_num_threads(threads)


def _cpu_model() -> str:
    """Vendor, family and model of the CPU (Linux), which choose its float kernels."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown cpu"
    fields = {}
    for line in lines:
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return " ".join(fields.get(k, "?") for k in ("vendor_id", "cpu family", "model"))


def platform_tag() -> str:
    """What bit-identity depends on: torch build, CPU kernels, machine, CPU model.

    Two CPUs with the same instruction set (AVX512, say) but different models
    round float32 matrix products differently in the last bit (seen: AMD family
    25 model 17 against the machine that recorded the reference).
    """
    return f"torch {torch.__version__} | {torch.backends.cpu.get_cpu_capability()} | " \
           f"{platform.machine()} | {_cpu_model()}"


if __name__ == "__main__":  # pragma: no cover - run on purpose only
    if REFERENCE.exists():
        sys.exit(f"{REFERENCE} exists; delete it by hand to record again.")
    arrays = predict_all()
    np.savez(REFERENCE, platform=np.array(platform_tag()), **arrays)
    print(f"recorded {len(arrays)} variants to {REFERENCE} on {platform_tag()}")
