"""The main job: a small knowledge-distillation table on real wrist signals.

Runs after a plain install on the Stress-Predict sample shipped inside the
package (three subjects, EDA and skin temperature): the teacher sees both
signals, the student only EDA. With ``data_home`` it runs on all 34 labelled
Stress-Predict subjects, teacher on every wrist channel (EDA, TEMP, BVP, ACC),
student on EDA + TEMP. Features are window statistics z-scored within each
subject from its own unlabeled windows; evaluation is leave-one-subject-out.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import LeaveOneGroupOut, cross_validate

from skkd._modalities import Modalities
from skkd.baselines import make_rf_baseline
from skkd.compose import ModalityTransformer
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
from skkd.features import SubjectStandardScaler, WindowStatistics

__all__ = ["run_demo"]


def _subject_features(X: Modalities, groups: np.ndarray) -> Modalities:
    """Per-modality window statistics, z-scored within each subject (label-free)."""
    stats = ModalityTransformer({key: WindowStatistics() for key in X}, output="frame")
    table = stats.fit_transform(X)
    z = SubjectStandardScaler().fit_transform(table, groups=groups)
    z = pd.DataFrame(np.asarray(z, dtype=np.float32), columns=table.columns)
    return Modalities({
        key: z[[c for c in z.columns if c.startswith(f"{key}__")]].to_numpy() for key in X
    })


def _latency_ms(estimator, X_one, repeats: int = 20) -> float:
    estimator.predict_proba(X_one)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        estimator.predict_proba(X_one)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def run_demo(data_home=None, *, quick: bool = True, random_state: int = 0,
             verbose: int = 0) -> pd.DataFrame:
    """Leave-one-subject-out table: RF baselines, teacher, student with and without KD.

    Returns one row per model with macro-F1 and balanced accuracy (mean and
    std over held-out subjects), parameter count and single-window latency.

    >>> table = run_demo(quick=True)            # doctest: +SKIP
    >>> list(table.columns)[:3]                 # doctest: +SKIP
    ['model', 'inputs', 'macro_f1_mean']
    """
    from skkd.datasets import load_stress_predict, load_stress_predict_sample

    if data_home is None:
        data = load_stress_predict_sample()
        student_keys = ["eda"]
    else:
        data = load_stress_predict(data_home, signals=("eda", "temp", "bvp", "acc"))
        student_keys = ["eda", "temp"]
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    X = _subject_features(data.X, groups)
    teacher_keys = list(X)

    net = dict(max_epochs=30 if quick else 60, lr=1e-3, batch_size=64, device="cpu",
               random_state=random_state, verbose=verbose, module__width=32,
               module__dropout=0.2, optimizer__weight_decay=1e-2)
    teacher = TeacherClassifier(**net)
    student = dict(student_inputs=student_keys, **net)
    flat = lambda keys: (lambda M: np.hstack([M[k] for k in keys]))  # noqa: E731
    models = [
        ("RF", student_keys, make_rf_baseline(n_estimators=200, random_state=random_state),
         flat(student_keys)),
        ("RF", teacher_keys, make_rf_baseline(n_estimators=200, random_state=random_state),
         flat(teacher_keys)),
        ("teacher MLP", teacher_keys, teacher, None),
        ("student MLP, no KD (alpha=0)", student_keys,
         DistilledStudentClassifier(teacher, alpha=0.0, **student), None),
        ("student MLP, KD soft targets + feature matching", student_keys,
         DistilledStudentClassifier(teacher, alpha=0.3, temperature=4.0, feature_weights=0.5,
                                    teacher_targets="in_sample", **student), None),
    ]
    rows = []
    for name, keys, model, to_table in models:
        t0 = time.perf_counter()
        Xm = to_table(X) if to_table is not None else X
        params = {} if to_table is not None else {"groups": groups}
        res = cross_validate(model, Xm, y, groups=groups, cv=LeaveOneGroupOut(),
                             scoring=["f1_macro", "balanced_accuracy"], params=params)
        fitted = clone(model).fit(Xm, y, **params)
        one = Xm[:1] if to_table is not None else X.select(keys)[:1]
        n_params = getattr(fitted, "n_params_", None)
        rows.append({
            "model": name,
            "inputs": "+".join(keys),
            "macro_f1_mean": res["test_f1_macro"].mean(),
            "macro_f1_std": res["test_f1_macro"].std(),
            "balanced_accuracy_mean": res["test_balanced_accuracy"].mean(),
            "balanced_accuracy_std": res["test_balanced_accuracy"].std(),
            "n_params": n_params if n_params is not None else "-",
            "latency_ms": _latency_ms(fitted, one),
            "wall_s": time.perf_counter() - t0,
        })
    table = pd.DataFrame(rows)
    table.attrs["title"] = (
        f"{len(np.unique(groups))} Stress-Predict subjects, {len(y)} windows of 60 s "
        "(window statistics z-scored per subject); LOSO by subject"
    )
    return table
