"""Privileged-modality KD (StressID): a video + physiology teacher, an audio-only student.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/privileged_audio.py --quick   # under a minute on 2 cores
    .venv/bin/python benchmarks/privileged_audio.py           # full: ~20 min on 2 shared cores

``--protocol loso|split|both`` (default both); ``--out DIR`` for
``privileged_audio.csv``/``.json`` and ``privileged_audio.png`` (default
``results/privileged_audio/``); ``--feature-weights video=0.25,ecg=0.25,...``
overrides the per-modality weights ``w_m``.

Data
    ``make_affective_dataset`` with video, ECG, EDA, RSP and audio (target:
    stress, i.e. arousal > valence), 10-s windows. ECG, EDA and RSP become
    Gramian Angular Summation Field images (:class:`skkd.features.GAFImager`),
    audio a log-mel spectrogram (:class:`skkd.features.LogMelExtractor`),
    video stays a ``(1, frames, 16, 16)`` clip. Both transforms work window by
    window (no statistics fitted on data), so they are computed once for all
    windows without leaking anything across subjects.
Teacher (StressID)
    One encoder per privileged modality — a 3-D CNN for video, 2-D CNNs for
    the three GAF images, 16 channels — each ending in a 256-d feature,
    concatenated and fused (256-d) before one linear head. With ~300 training
    windows it overfits fast, so it trains with dropout 0.5 and weight decay
    0.1 (AdamW, lr 1e-3): the setting with the lowest cross-entropy on the
    split's validation subjects among a few tried (dropout 0.1-0.5, weight
    decay 0.01-0.1, lr 5e-4-2e-3). The student is a 2-D CNN of 16 channels
    (``module="auto"``) on the log-mel image.
Rows
    Audio-only student (2-D CNN on the log-mel image) without KD
    (``alpha=0``); with Hinton soft targets (``alpha=0.7, T=3``); with
    StressID feature matching ``CE + Σ_m w_m · MSE(P_m f_student, f_m)`` to
    each teacher modality's 256-d feature (``alpha=0``, ``feature_weights``,
    default ``w_m = 0.25``); and the teacher itself. The teacher is fitted
    once per fold and frozen (:class:`sklearn.frozen.FrozenEstimator`); its
    in-sample outputs on the training subjects teach the students.

Protocols
    (1) leave-one-subject-out; (2) one subject-disjoint train / validation /
    test split (60 / 20 / 20 % of subjects), as in the StressID seed. Every
    network keeps the weights of its epoch with the lowest cross-entropy on
    validation subjects (:class:`BestOnValidation`, patience 5): the split's
    validation subjects, or — under LOSO — subjects drawn from each fold's
    training subjects. Test subjects never choose anything. Macro-F1 and
    balanced accuracy, mean ± std over held-out subjects; parameters of the
    network used at prediction; CPU latency of one window (its features +
    network, one thread); wall time of all folds of a row (a student's
    excludes the shared teacher, timed in the teacher row); ``epochs``: mean
    best epoch.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit, LeaveOneGroupOut
from skorch.callbacks import Callback
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    LOSO,
    RESULTS_DIR,
    format_table,
    latency_ms,
    n_params,
    per_subject_scores,
    results_folder,
    score_row,
    write_results,
)

from skkd import Modalities  # noqa: E402
from skkd.compose import ModalityTransformer  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.features import GAFImager, LogMelExtractor  # noqa: E402
from skkd.nets import ConvEncoder, FusionClassifier, ProjectedEncoder, Standardize  # noqa: E402

TEACHER_KEYS = ("video", "ecg", "eda", "rsp")
STUDENT_KEY = "audio"
FEATURE_DIM = 256  # StressID: every modality encoder ends in a 256-d feature
DEFAULT_FEATURE_WEIGHTS = {key: 0.25 for key in TEACHER_KEYS}
TEACHER_NAME = "teacher (video + ECG + EDA + RSP)"


# -- data ------------------------------------------------------------------------------------------
def settings(quick: bool) -> dict:
    """Data size and training budget of the quick and the full run."""
    if quick:
        return dict(n_subjects=4, n_windows=24, window_s=5.0, image_size=16, n_mels=16,
                    width=8, teacher_dropout=0.5, max_epochs=2, patience=1, batch_size=32,
                    lr=3e-3, weight_decay=0.1)
    # teacher regularisation (dropout 0.5, weight decay 0.1, lr 1e-3) chosen by the
    # cross-entropy on the split's validation subjects, never on test subjects
    return dict(n_subjects=10, n_windows=48, window_s=10.0, image_size=32, n_mels=32,
                width=16, teacher_dropout=0.5, max_epochs=20, patience=5, batch_size=64,
                lr=1e-3, weight_decay=0.1)


def feature_transformer(image_size: int, n_mels: int, fs_audio: int) -> ModalityTransformer:
    """GAF images of ECG, EDA and RSP, a log-mel image of audio, video as is.

    >>> mt = feature_transformer(8, 16, 8000)
    >>> sorted(mt.transformers)
    ['audio', 'ecg', 'eda', 'rsp', 'video']
    """
    gaf = GAFImager(image_size=image_size)
    return ModalityTransformer(
        {
            "video": "passthrough",
            "ecg": gaf,
            "eda": gaf,
            "rsp": gaf,
            STUDENT_KEY: LogMelExtractor(sr=int(fs_audio), n_mels=n_mels, n_fft=1024,
                                         hop_length=1024),
        },
        output="dict",
    )


def load(quick: bool, seed: int, target: str = "stress") -> dict:
    """Raw windows, their teacher/student images, labels and subjects."""
    from skkd.datasets import make_affective_dataset

    cfg = settings(quick)
    data = make_affective_dataset(
        n_subjects=cfg["n_subjects"], n_windows=cfg["n_windows"], window_s=cfg["window_s"],
        modalities=(*TEACHER_KEYS, STUDENT_KEY), target=target, random_state=seed,
    )
    # the EDA window (4 Hz) may be shorter than the image side: cap it
    size = min(cfg["image_size"], data.X["eda"].shape[-1])
    transformer = feature_transformer(size, cfg["n_mels"], data.fs[STUDENT_KEY]).fit(data.X)
    return dict(name=f"make_affective_dataset ({target})", X=data.X,
                F=transformer.transform(data.X), transformer=transformer,
                y=np.asarray(data.y), groups=np.asarray(data.groups))


# -- teacher network -------------------------------------------------------------------------------
def build_teacher_module(X: Mapping[str, np.ndarray], n_classes: int, *, width: int = 16,
                         feature_dim: int = FEATURE_DIM, dropout: float = 0.1,
                         target_length: int = 4, seed: int = 0) -> FusionClassifier:
    """StressID teacher: per modality CNN → ``feature_dim``, late fusion (``feature_dim``), head.

    Input statistics (:class:`~skkd.nets.Standardize`) come from ``X``, the
    training windows; rank-4 inputs get a 2-D CNN, rank-5 a 3-D CNN, each of
    3 blocks of ``width`` channels pooling every axis towards
    ``target_length`` (cheap on a CPU), then a linear map to ``feature_dim``.

    >>> X = {"ecg": np.zeros((4, 1, 8, 8)), "video": np.zeros((4, 1, 4, 8, 8))}
    >>> net = build_teacher_module(X, 2, width=4, feature_dim=16)
    >>> net.modality_dims, net.embedding_dim
    ({'ecg': 16, 'video': 16}, 16)
    """
    encoders, preprocess = {}, {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for key, value in X.items():
            shape = np.shape(value)
            if len(shape) not in (4, 5):
                raise ValueError(f"X[{key!r}] must be an image (n, c, H, W) or a clip "
                                 f"(n, c, D, H, W), got shape {shape}.")
            conv = ConvEncoder(shape[1], shape[2:], width=width, depth=3, dropout=dropout,
                               target_length=target_length)
            encoders[key] = ProjectedEncoder(conv, feature_dim)
            preprocess[key] = Standardize.from_data(value)
        return FusionClassifier(encoders, n_classes, width=feature_dim, dropout=dropout,
                                preprocess=preprocess)


# -- model selection on validation subjects --------------------------------------------------------
class BestOnValidation(Callback):
    """Keep the weights of the epoch with the lowest cross-entropy on validation windows.

    After each epoch the net predicts ``X_valid`` (in eval mode, without
    teacher outputs); after ``patience`` epochs without improvement training
    stops, and at the end the best weights are restored. ``y_valid`` holds
    original labels, encoded against ``classes`` (the training labels,
    sorted, as the estimators' ``classes_``).

    Attributes
    ----------
    best_epoch_ : int
        1-based epoch whose weights were kept.
    best_loss_ : float
    """

    def __init__(self, X_valid, y_valid, classes, patience: int = 5):
        self.X_valid = X_valid
        self.y_valid = y_valid
        self.classes = classes
        self.patience = patience

    def initialize(self):
        unknown = np.setdiff1d(np.asarray(self.y_valid), np.asarray(self.classes))
        if unknown.size:
            raise ValueError(f"BestOnValidation: y_valid has labels {unknown.tolist()} that are "
                             f"not among the training classes {list(self.classes)}.")
        self.best_loss_ = np.inf
        self.best_epoch_ = 0
        self._best_state = None
        self._epoch = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self._epoch += 1
        proba = net.predict_proba(self.X_valid)
        codes = np.searchsorted(np.asarray(self.classes), np.asarray(self.y_valid))
        loss = validation_log_loss(proba, codes)
        net.history.record("valid_ce", loss)
        if loss < self.best_loss_:
            self.best_loss_, self.best_epoch_ = loss, self._epoch
            self._best_state = copy.deepcopy(net.module_.state_dict())
        elif self._epoch - self.best_epoch_ >= self.patience:
            raise KeyboardInterrupt  # skorch ends fit() cleanly, as its EarlyStopping does

    def on_train_end(self, net, **kwargs):
        if self._best_state is not None:
            net.module_.load_state_dict(self._best_state)


def validation_log_loss(proba: np.ndarray, codes: np.ndarray) -> float:
    """Mean cross-entropy of class probabilities ``proba`` for class indices ``codes``.

    >>> round(validation_log_loss(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])), 4)
    0.3993
    """
    picked = np.asarray(proba, dtype=np.float64)[np.arange(len(codes)), codes]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


def split_subjects(groups, *, valid_fraction: float = 0.2, test_fraction: float = 0.2,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subject-disjoint train / validation / test window indices (at least one subject each).

    >>> g = np.repeat(["a", "b", "c", "d", "e"], 2)
    >>> tr, va, te = split_subjects(g)
    >>> len(set(g[tr]) | set(g[va]) | set(g[te])), len(tr) + len(va) + len(te)
    (5, 10)
    """
    groups = np.asarray(groups)
    subjects = np.unique(groups)
    if len(subjects) < 3:
        raise ValueError(f"groups must name at least 3 subjects for a train/validation/test "
                         f"split, got {len(subjects)}.")
    n_test = max(1, int(round(test_fraction * len(subjects))))
    n_valid = max(1, int(round(valid_fraction * len(subjects))))
    if n_test + n_valid >= len(subjects):
        raise ValueError(f"valid_fraction={valid_fraction} and test_fraction={test_fraction} "
                         f"leave no training subject among {len(subjects)}.")
    rest, test = next(GroupShuffleSplit(1, test_size=n_test, random_state=seed)
                      .split(groups, groups=groups))
    train, valid = next(GroupShuffleSplit(1, test_size=n_valid, random_state=seed + 1)
                        .split(rest, groups=groups[rest]))
    return rest[train], rest[valid], test


def inner_validation(train: np.ndarray, groups, *, valid_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split training windows ``train`` into fit and validation windows by subject.

    >>> g = np.repeat(["a", "b", "c", "d", "e"], 2)
    >>> fit, valid = inner_validation(np.arange(8), g)
    >>> len(set(g[valid])), len(fit), "e" in set(g[valid])
    (1, 6, False)
    """
    train = np.asarray(train)
    g = np.asarray(groups)[train]
    n_subjects = len(np.unique(g))
    if n_subjects < 2:
        raise ValueError("inner_validation needs at least 2 training subjects.")
    n_valid = min(n_subjects - 1, max(1, int(round(valid_fraction * n_subjects))))
    fit, valid = next(GroupShuffleSplit(1, test_size=n_valid, random_state=seed)
                      .split(train, groups=g))
    return train[fit], train[valid]


# -- the rows --------------------------------------------------------------------------------------
def student_specs(feature_weights: Mapping[str, float] | None = None) -> dict:
    """name -> keyword arguments of DistilledStudentClassifier (frozen teacher)."""
    fw = dict(DEFAULT_FEATURE_WEIGHTS if feature_weights is None else feature_weights)
    return {
        "audio only, no KD": dict(alpha=0.0),
        "audio, KD soft targets (T=3)": dict(alpha=0.7, temperature=3.0),
        "audio, KD per-modality features": dict(alpha=0.0, feature_weights=fw),
    }


def describe_loss(kw: Mapping) -> str:
    """The student's training objective in words (a table column).

    >>> describe_loss(dict(alpha=0.0, feature_weights={"ecg": 0.5}))
    'CE + sum_m w_m MSE (ecg 0.5)'
    >>> describe_loss(dict(alpha=0.7, temperature=3.0))
    '0.3 CE + 0.7 T^2 KL (T=3)'
    """
    alpha = float(kw.get("alpha", 0.5))
    text = "CE" if alpha == 0 else f"{1 - alpha:.2g} CE + {alpha:.2g} T^2 KL (T={kw['temperature']:g})"
    fw = kw.get("feature_weights")
    if fw:
        text += " + sum_m w_m MSE (" + ", ".join(f"{k} {v:g}" for k, v in fw.items()) + ")"
    return text


def net_params(cfg: dict, seed: int) -> dict:
    return dict(max_epochs=cfg["max_epochs"], lr=cfg["lr"], batch_size=cfg["batch_size"],
                device="cpu", random_state=seed, optimizer__weight_decay=cfg["weight_decay"])


def fit_fold(F: Modalities, y, groups, fit_rows, valid_rows, cfg: dict, seed: int,
             specs: Mapping[str, dict]) -> dict:
    """Fit the teacher and every student on ``fit_rows``; validation picks their epochs.

    Returns ``{name: (estimator, wall seconds, best epoch)}``.
    """
    classes = np.unique(y[fit_rows])
    teacher_X = F.select(list(TEACHER_KEYS))
    student_X = F.select([STUDENT_KEY])
    fitted = {}
    t0 = time.perf_counter()
    stop = BestOnValidation(teacher_X[valid_rows], y[valid_rows], classes, cfg["patience"])
    module = build_teacher_module(teacher_X[fit_rows], len(classes), width=cfg["width"],
                                  dropout=cfg["teacher_dropout"], seed=seed)
    teacher = TeacherClassifier(module, callbacks=[("best_on_valid", stop)],
                                **net_params(cfg, seed))
    teacher.fit(teacher_X[fit_rows], y[fit_rows], groups=groups[fit_rows])
    fitted[TEACHER_NAME] = (teacher, time.perf_counter() - t0, _best_epoch(teacher))
    for name, kw in specs.items():
        t0 = time.perf_counter()
        stop = BestOnValidation(student_X[valid_rows], y[valid_rows], classes, cfg["patience"])
        student = DistilledStudentClassifier(
            FrozenEstimator(teacher), student_inputs=[STUDENT_KEY], teacher_targets="in_sample",
            callbacks=[("best_on_valid", stop)], module__width=cfg["width"],
            **net_params(cfg, seed), **kw,
        )
        student.fit(F[fit_rows], y[fit_rows], groups=groups[fit_rows])
        fitted[name] = (student, time.perf_counter() - t0, _best_epoch(student))
    return fitted


def _best_epoch(estimator) -> int:
    return int(dict(estimator.net_.callbacks_)["best_on_valid"].best_epoch_)


def run_protocol(d: dict, protocol: str, cfg: dict, seed: int,
                 specs: Mapping[str, dict]) -> list[dict]:
    """Rows of one protocol (``"loso"`` or ``"split"``): every method, scored per test subject."""
    F, y, groups = d["F"], d["y"], d["groups"]
    if protocol == "loso":
        folds = []
        for k, (train, test) in enumerate(LeaveOneGroupOut().split(y, y, groups)):
            fit_rows, valid_rows = inner_validation(train, groups, seed=seed + k)
            folds.append((fit_rows, valid_rows, test))
        label = LOSO
    elif protocol == "split":
        fit_rows, valid_rows, test = split_subjects(groups, seed=seed)
        folds = [(fit_rows, valid_rows, test)]
        label = ("subject split {}/{}/{} train/valid/test".format(
            *(len(np.unique(groups[r])) for r in folds[0])))
    else:
        raise ValueError(f"protocol must be 'loso' or 'split', got {protocol!r}.")
    names = [*specs, TEACHER_NAME]
    tested = np.concatenate([f[2] for f in folds])
    preds = {n: np.empty(len(y), dtype=y.dtype) for n in names}
    wall, epochs, last = dict.fromkeys(names, 0.0), {n: [] for n in names}, {}
    for k, (fit_rows, valid_rows, test) in enumerate(folds):
        fitted = fit_fold(F, y, groups, fit_rows, valid_rows, cfg, seed, specs)
        for name, (est, seconds, best) in fitted.items():
            inputs = F.select(list(TEACHER_KEYS) if name == TEACHER_NAME else [STUDENT_KEY])
            preds[name][test] = est.predict(inputs[test])
            wall[name] += seconds
            epochs[name].append(best)
            last[name] = est
        print(f"  [{protocol}] fold {k + 1}/{len(folds)}: tested {sorted(set(groups[test]))}",
              flush=True)
    rows = []
    for name in names:
        f1, bacc = per_subject_scores(y[tested], preds[name][tested], groups[tested])
        keys = TEACHER_KEYS if name == TEACHER_NAME else (STUDENT_KEY,)
        loss = "CE" if name == TEACHER_NAME else describe_loss(specs[name])
        rows.append(score_row(
            d["name"], name, f1, bacc, protocol=label, n_params=n_params(last[name]),
            latency=latency_ms(_predict_one(last[name], d, keys)), wall=wall[name],
            inputs=" + ".join(keys), loss=loss, epochs=float(np.mean(epochs[name]))))
    return rows


def _predict_one(estimator, d: dict, keys: Sequence[str]):
    """One raw window → its images → class probabilities."""
    one = d["X"][:1].select(list(keys))
    transformer = d["transformer"]

    def call():
        return estimator.predict_proba(transformer.transform(one))
    return call


def parse_feature_weights(text: str | None) -> dict | None:
    """``"video=0.5,ecg=0.2"`` → ``{"video": 0.5, "ecg": 0.2}`` (teacher modalities only).

    >>> parse_feature_weights("video=0.5, ecg=0.2")
    {'video': 0.5, 'ecg': 0.2}
    """
    if text is None:
        return None
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in TEACHER_KEYS:
            raise ValueError(f"--feature-weights entries must be 'modality=weight' with a "
                             f"modality among {list(TEACHER_KEYS)}, got {item!r}.")
        try:
            weights[key] = float(value)
        except ValueError:
            raise ValueError(f"--feature-weights: {value!r} is not a number.") from None
        if weights[key] < 0:
            raise ValueError(f"--feature-weights: weight of {key!r} must be >= 0.")
    if not weights:
        raise ValueError("--feature-weights names no modality.")
    return weights


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 subjects, 3 epochs")
    parser.add_argument("--protocol", choices=["loso", "split", "both"], default="both")
    parser.add_argument("--target", choices=["stress", "arousal", "valence"], default="stress")
    parser.add_argument("--feature-weights", default=None,
                        help="w_m per teacher modality, e.g. video=0.25,ecg=0.25,eda=0.25,rsp=0.25")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="results folder (default: results/privileged_audio/)")
    parser.add_argument("--no-plot", action="store_true", help="skip the bar chart")
    args = parser.parse_args(argv)
    # fail now, not after the run
    out = results_folder(args.out, default=RESULTS_DIR / "privileged_audio", parser=parser)
    torch.set_num_threads(args.threads)
    cfg = settings(args.quick)
    specs = student_specs(parse_feature_weights(args.feature_weights))
    t0 = time.perf_counter()
    d = load(args.quick, args.seed, args.target)
    shapes = ", ".join(f"{k} {v.shape[1:]}" for k, v in d["F"].items())
    print(f"[{d['name']}] {len(d['y'])} windows, {len(np.unique(d['groups']))} subjects, "
          f"class counts {np.unique(d['y'], return_counts=True)[1].tolist()}; inputs {shapes} "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    protocols = ["loso", "split"] if args.protocol == "both" else [args.protocol]
    rows = []
    for protocol in protocols:
        rows += run_protocol(d, protocol, cfg, args.seed, specs)
    print()
    print(format_table(rows, f"privileged-audio KD (StressID), {rows[0]['dataset']}"))
    print(flush=True)
    name = "privileged_audio_quick" if args.quick else "privileged_audio"
    csv_path, json_path = write_results(rows, name, out, quick=args.quick, seed=args.seed,
                                        target=args.target, protocols=protocols, **cfg)
    print(f"wrote {csv_path} and {json_path}")
    if not args.no_plot:
        from skkd.plotting import plot_kd_comparison

        fig = plot_kd_comparison(rows, dataset_column="protocol", chance=0.5,
                                 title="audio student taught by a video + physiology teacher",
                                 path=out / f"{name}.png", overwrite=True)  # its own figure
        import matplotlib.pyplot as plt

        plt.close(fig)
        print(f"wrote {out / f'{name}.png'}")
    return rows


if __name__ == "__main__":
    main()
