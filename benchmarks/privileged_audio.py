"""Privileged-modality KD (StressID): a video + physiology teacher, an audio-only student.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/privileged_audio.py --quick              # smoke run, 1-3 min
    .venv/bin/python benchmarks/privileged_audio.py                      # full: LOSO, 5 seeds
    .venv/bin/python benchmarks/privileged_audio.py --folds 5 --max-epochs 10  # reduced

``--protocol loso|split|both`` (default loso; ``--folds K`` turns the LOSO
protocol into GroupKFold(K) by subject); ``--seeds N`` (default 5);
``--out DIR`` for ``privileged_audio.csv``/``.json`` and
``privileged_audio.png`` (default ``results/privileged_audio/``);
``--feature-weights video=0.25,ecg=0.25,...`` overrides the per-modality
weights ``w_m``; ``--max-epochs`` the epoch budget; ``--n-jobs``.

Data
    ``make_affective_dataset`` with video, ECG, EDA, RSP and audio (target:
    stress, i.e. arousal > valence), 10 subjects × 48 windows of 10 s. ECG,
    EDA and RSP become Gramian Angular Summation Field images
    (:class:`skkd.features.GAFImager`), audio a log-mel spectrogram
    (:class:`skkd.features.LogMelExtractor`), video stays a
    ``(1, frames, 16, 16)`` clip. Both transforms work window by window (no
    statistics fitted on data, no per-subject normalisation), so they are
    computed once for all windows without reading anything across subjects.
Teacher (StressID)
    One encoder per privileged modality — a 3-D CNN for video, 2-D CNNs for
    the three GAF images, 16 channels — each ending in a 256-d feature,
    concatenated and fused (256-d) before one linear head; dropout 0.5,
    AdamW lr 1e-3, weight decay 0.1, batch 64, at most 20 epochs. These
    settings were chosen in an earlier version of this script by the
    cross-entropy on the validation subjects of one split of this simulated
    data (never on test subjects) and are now fixed. The student is a 2-D CNN
    of 16 channels (``module="auto"``) on the log-mel image.
Rows
    Audio-only student without KD (``alpha=0``, **the reference row**); with
    Hinton soft targets (``alpha=0.7, T=3``), **cross-fitted**
    (``teacher_targets="cross_fit"``, ``teacher_cv=3`` folds grouped by
    training subject; 2 in ``--quick``); with StressID feature matching
    ``CE + Σ_m w_m · MSE(P_m f_student, f_m)`` to each teacher modality's
    256-d feature (``alpha=0``, ``feature_weights``, default ``w_m = 0.25``:
    no soft target enters its loss, and features always come from the teacher
    fitted on all training subjects); one labelled extra row with in-sample
    soft targets (what this script reported before issue 13); the teacher
    itself. Each KD row fits its own teacher in every fold.
Model selection (inner, training subjects only)
    Every network keeps the weights of its epoch with the lowest
    cross-entropy on **validation subjects drawn from the fold's training
    subjects** (20 %, :func:`inner_validation`, seeded by the seed;
    :class:`BestOnValidation`, patience 5) and is trained on the others.
    Test subjects never choose anything.
Decision rule
    ``class_weight="balanced"`` on every row (the teacher and every student).
Protocols (:func:`skkd.model_selection.compare`)
    (1) leave-one-subject-out (``--folds K``: GroupKFold(K) by subject); (2)
    ``--protocol split``: one subject-disjoint split, 20 % of subjects held
    out for testing (``GroupShuffleSplit``), of the rest 20 % validate — the
    StressID 60/20/20 split. Macro-F1 and balanced accuracy of each held-out
    subject (global label set), averaged over seeds 0..4, mean ± std over
    subjects; a chance row; two-sided Wilcoxon signed-rank tests over
    subjects against the no-KD student, Holm-corrected (with 2 test subjects
    the split cannot reach significance). Parameters of the network used at
    prediction and the CPU latency of one raw window (its images + network,
    one thread) come from one more fit (seed 0, last subject held out).
Cost (2 shared cores)
    ``--quick`` 1-3 min; ``--folds 5 --seeds 1 --max-epochs 10 --n-jobs 2``
    8 min (measured on a busy machine); the full LOSO run (10 folds × 5
    seeds × 7 teacher and 4 student fits of up to 20 epochs) a few hours:
    reduce with ``--folds``, ``--seeds`` and ``--max-epochs``, or use
    ``--n-jobs`` on a bigger machine.
``--quick``
    4 subjects × 24 windows of 5 s, 16×16 images, width 8, 2 epochs, seed 0:
    a smoke run, indicative of nothing.
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
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GroupShuffleSplit
from skorch.callbacks import Callback

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS_DIR,
    compare_rows,
    latency_ms,
    results_folder,
    subject_cv,
    write_results,
)

from skkd.compose import ModalityTransformer  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.features import GAFImager, LogMelExtractor  # noqa: E402
from skkd.model_selection import compare  # noqa: E402
from skkd.nets import ConvEncoder, FusionClassifier, ProjectedEncoder, Standardize  # noqa: E402

TEACHER_KEYS = ("video", "ecg", "eda", "rsp")
STUDENT_KEY = "audio"
FEATURE_DIM = 256  # StressID: every modality encoder ends in a 256-d feature
DEFAULT_FEATURE_WEIGHTS = {key: 0.25 for key in TEACHER_KEYS}
TEACHER_NAME = "teacher (video + ECG + EDA + RSP)"
NO_KD = "audio only, no KD"
SEEDS = 5
TEACHER_CV = 3
DECISION = "class_weight='balanced' on every row"


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
    """name -> keyword arguments of DistilledStudentClassifier (cross-fitted unless noted)."""
    fw = dict(DEFAULT_FEATURE_WEIGHTS if feature_weights is None else feature_weights)
    return {
        "audio only, no KD": dict(alpha=0.0),
        "audio, KD soft targets (T=3)": dict(alpha=0.7, temperature=3.0),
        "audio, KD per-modality features": dict(alpha=0.0, feature_weights=fw),
        "extra: audio, KD soft targets, in-sample targets": dict(
            alpha=0.7, temperature=3.0, teacher_targets="in_sample"),
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
                device="cpu", random_state=seed, optimizer__weight_decay=cfg["weight_decay"],
                class_weight="balanced")


class ValidatedModel(ClassifierMixin, BaseEstimator):
    """The teacher or one student of this benchmark; validation subjects pick its epoch.

    :meth:`fit` draws 20 % of the training subjects (at least one) as
    validation subjects (:func:`inner_validation`, seeded by
    ``random_state``), trains on the others and keeps each network's epoch of
    lowest validation cross-entropy (:class:`BestOnValidation`). ``kd=None``
    is the StressID teacher (:func:`build_teacher_module`) on the teacher
    modalities; a dict makes a :class:`~skkd.estimators.DistilledStudentClassifier`
    on the audio log-mel image with those keyword arguments, taught by such a
    teacher (``alpha=0`` and no ``feature_weights``: a prior-only dummy
    teacher, nothing distilled). ``X`` is a :class:`~skkd.Modalities` of all
    images; ``groups`` (the subject of each row) are required.
    """

    def __init__(self, kd=None, cfg=None, teacher_targets="cross_fit", teacher_cv=TEACHER_CV,
                 random_state=0):
        self.kd = kd
        self.cfg = cfg
        self.teacher_targets = teacher_targets
        self.teacher_cv = teacher_cv
        self.random_state = random_state

    def _keys(self) -> list[str]:
        return list(TEACHER_KEYS) if self.kd is None else [STUDENT_KEY]

    def fit(self, X, y, groups=None):
        if groups is None:
            raise ValueError("ValidatedModel.fit needs groups (the subject of each row).")
        cfg = self.cfg or settings(quick=False)
        y, groups = np.asarray(y), np.asarray(groups)
        seed = int(self.random_state)
        fit_rows, valid_rows = inner_validation(np.arange(len(y)), groups, seed=seed)
        self.classes_ = np.unique(y[fit_rows])
        teacher_X = X.select(list(TEACHER_KEYS))
        stop = BestOnValidation(teacher_X[valid_rows], y[valid_rows], self.classes_,
                                cfg["patience"])
        module = build_teacher_module(teacher_X[fit_rows], len(self.classes_),
                                      width=cfg["width"], dropout=cfg["teacher_dropout"],
                                      seed=seed)
        teacher = TeacherClassifier(module, callbacks=[("best_on_valid", stop)],
                                    **net_params(cfg, seed))
        if self.kd is None:
            self.model_ = teacher.fit(teacher_X[fit_rows], y[fit_rows], groups=groups[fit_rows])
        else:
            kd = dict(self.kd)
            distils = float(kd.get("alpha", 0.5)) > 0 or bool(kd.get("feature_weights"))
            stop = BestOnValidation(X.select([STUDENT_KEY])[valid_rows], y[valid_rows],
                                    self.classes_, cfg["patience"])
            self.model_ = DistilledStudentClassifier(
                teacher if distils else DummyClassifier(strategy="prior"),
                student_inputs=[STUDENT_KEY], teacher_targets=self.teacher_targets,
                teacher_cv=self.teacher_cv, callbacks=[("best_on_valid", stop)],
                module__width=cfg["width"], **net_params(cfg, seed), **kd,
            ).fit(X[fit_rows], y[fit_rows], groups=groups[fit_rows])
        self.best_epoch_ = int(dict(self.model_.net_.callbacks_)["best_on_valid"].best_epoch_)
        self.n_params_ = int(self.model_.n_params_)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X.select(self._keys()))

    def predict(self, X):
        return self.model_.predict(X.select(self._keys()))


def models_for(cfg: dict, specs: Mapping[str, dict], quick: bool = False) -> dict:
    """The rows: name -> :class:`ValidatedModel` (compare sets ``random_state`` to the seed)."""
    cv = 2 if quick else TEACHER_CV
    models = {}
    for name, kw in specs.items():
        kw = dict(kw)
        targets = kw.pop("teacher_targets", "cross_fit")
        if float(kw.get("alpha", 0.5)) == 0:
            targets = "in_sample"  # no soft target enters the loss: cross-fitting changes nothing
        models[name] = ValidatedModel(kd=kw, cfg=cfg, teacher_targets=targets, teacher_cv=cv)
    models[TEACHER_NAME] = ValidatedModel(kd=None, cfg=cfg)
    return models


def protocol_cv(protocol: str, folds: int = 0):
    """The splitter of a protocol: ``"loso"`` (``folds`` > 1: GroupKFold) or ``"split"``."""
    if protocol == "loso":
        return subject_cv(folds)
    if protocol == "split":
        return GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    raise ValueError(f"protocol must be 'loso' or 'split', got {protocol!r}.")


def run_protocol(d: dict, protocol: str, cfg: dict, specs: Mapping[str, dict], args) -> list[dict]:
    """Rows of one protocol through compare: every method, scored per test subject."""
    F, y, groups = d["F"], d["y"], d["groups"]
    cv = protocol_cv(protocol, args.folds)
    label = ("LOSO by subject" if protocol == "loso" and not args.folds else
             f"GroupKFold({args.folds}) by subject" if protocol == "loso" else
             "subject split, 20 % of subjects tested (of the rest 20 % validate)")
    models = models_for(cfg, specs, args.quick)
    seeds = tuple(range(1 if args.quick and args.seeds == SEEDS else args.seeds))
    t0 = time.perf_counter()
    result = compare(
        models, F, y, groups, cv=cv, seeds=seeds, scoring=("balanced_accuracy", "macro_f1"),
        reference=NO_KD, n_jobs=args.n_jobs, verbose=1 if sys.stderr.isatty() else 0,
        dataset=d["name"], normalisation="none (images computed window by window)",
        notes=(f"decision rule: {DECISION}; each network's epoch chosen on validation subjects "
               "drawn from the training subjects; KD alpha=0.7, T=3 cross-fitted "
               f"(teacher_cv={2 if args.quick else TEACHER_CV}) unless the row says in-sample; "
               f"at most {cfg['max_epochs']} epochs; settings fixed in "
               "benchmarks/privileged_audio.py" + ("; --quick: a smoke run" if args.quick else "")),
    )
    print(f"\n== privileged-audio KD, {label} (wall {time.perf_counter() - t0:.0f} s) ==\n"
          f"{result.to_string()}\n", flush=True)
    sizes = {}
    train = groups != groups[-1]
    for name, model in models.items():  # one more fit: size and raw-window latency
        fitted = model.set_params(random_state=0).fit(F[train], y[train], groups=groups[train])
        keys = TEACHER_KEYS if fitted.kd is None else (STUDENT_KEY,)
        sizes[name] = {"n_params": fitted.n_params_,
                       "latency_ms": latency_ms(_predict_one(fitted.model_, d, keys), repeats=10)}
    rows = compare_rows(result, d["name"], label, sizes)
    for row in rows:
        name = row["method"]
        row["inputs"] = ("-" if name == "chance" else " + ".join(TEACHER_KEYS)
                         if name == TEACHER_NAME else STUDENT_KEY)
        row["loss"] = ("-" if name == "chance" else "CE" if name == TEACHER_NAME
                       else describe_loss(specs[name]))
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
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 4 subjects, 2 epochs, seed 0, teacher_cv=2")
    parser.add_argument("--protocol", choices=["loso", "split", "both"], default="loso",
                        help="loso (default; --folds K: GroupKFold(K)), split (StressID "
                             "60/20/20 by subject) or both")
    parser.add_argument("--folds", type=int, default=0,
                        help="0 (default): leave-one-subject-out; K >= 2: GroupKFold(K) by subject")
    parser.add_argument("--seeds", type=int, default=SEEDS,
                        help="seeds 0..N-1 of every row (default 5; --quick: 1)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epoch budget of every network (default 20; --quick: 2)")
    parser.add_argument("--target", choices=["stress", "arousal", "valence"], default="stress")
    parser.add_argument("--feature-weights", default=None,
                        help="w_m per teacher modality, e.g. video=0.25,ecg=0.25,eda=0.25,rsp=0.25")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated data set")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits (joblib)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="results folder (default: results/privileged_audio/)")
    parser.add_argument("--no-plot", action="store_true", help="skip the bar chart")
    args = parser.parse_args(argv)
    # fail now, not after the run
    out = results_folder(args.out, default=RESULTS_DIR / "privileged_audio", parser=parser)
    try:
        subject_cv(args.folds)
        specs = student_specs(parse_feature_weights(args.feature_weights))
    except ValueError as exc:
        parser.error(str(exc))
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}.")
    torch.set_num_threads(args.threads)
    cfg = settings(args.quick)
    if args.max_epochs is not None:
        if args.max_epochs < 1:
            parser.error(f"--max-epochs must be >= 1, got {args.max_epochs}.")
        cfg["max_epochs"] = args.max_epochs
    t0 = time.perf_counter()
    d = load(args.quick, args.seed, args.target)
    shapes = ", ".join(f"{k} {v.shape[1:]}" for k, v in d["F"].items())
    print(f"[{d['name']}] {len(d['y'])} windows, {len(np.unique(d['groups']))} subjects, "
          f"class counts {np.unique(d['y'], return_counts=True)[1].tolist()}; inputs {shapes} "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    protocols = ["loso", "split"] if args.protocol == "both" else [args.protocol]
    rows = []
    for protocol in protocols:
        rows += run_protocol(d, protocol, cfg, specs, args)
    name = "privileged_audio_quick" if args.quick else "privileged_audio"
    csv_path, json_path = write_results(rows, name, out, quick=args.quick, seed=args.seed,
                                        seeds=args.seeds, folds=args.folds or "LOSO",
                                        target=args.target, protocols=protocols,
                                        decision_rule=DECISION, **cfg)
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
