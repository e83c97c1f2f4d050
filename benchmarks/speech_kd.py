"""Speech-emotion distillation on EmoDB: a CNN+BiLSTM teacher teaches small students.

Run (from the repository root, in the README environment)::

    .venv/bin/python benchmarks/speech_kd.py --quick   # 3 speakers, few epochs: < 1 min
    .venv/bin/python benchmarks/speech_kd.py           # full: 10 speakers, ~15 min on a busy 2-core box

``--out DIR`` for ``speech_kd.csv``/``.json`` and the figures (default
``results/speech_kd/``); ``--seed``; ``--threads`` (torch CPU threads).

Data
    :func:`skkd.datasets.load_emodb`: 535 utterances (2.0 s at 22,050 Hz) of
    10 speakers, 7 emotions.
Features (computed once for all utterances, then sliced per fold)
    Teacher: :class:`skkd.features.SpeechFeatures` frames, 184 features
    (40 MFCC, 12 chroma, 128 log-mel, ZCR, spectral centroid / roll-off /
    bandwidth) × 87 frames. Students: 64-band log-mel frames
    (:class:`skkd.features.LogMelExtractor`, float32 FFT) or the mean and
    standard deviation over frames of the 40 MFCCs (80 numbers).
Normalisation
    Every feature is z-scored **within each speaker**, over all of that
    speaker's utterances (and frames), with
    :class:`skkd.features.SubjectStandardScaler`. This uses no labels; the
    held-out speaker is normalised with its own unlabeled utterances, as a
    deployed system would after hearing a few utterances of a new speaker
    (``--no-speaker-norm`` turns it off). The networks then standardise their
    inputs again with statistics of the training rows only.
Rows
    Teacher: 1-D CNN + BiLSTM (``module="auto"``, ``module__recurrent=True``)
    on the SpeechFeatures frames, late-fused with an MLP on their utterance
    statistics (mean and std of each of the 184 features); a second, cheaper
    teacher is that MLP alone. Students: a 1-D CNN on log-mel frames and an
    MLP on MFCC statistics, each trained without KD (``alpha=0``) and with
    the teacher's soft targets (Hinton KD, ``alpha=0.5, T=4``; the teacher of
    the fold is fitted once, frozen, and gives in-sample targets); the MFCC
    student is also distilled from the statistics teacher. Classical
    references on the MFCC statistics: class-balanced RBF SVM
    (:func:`skkd.baselines.make_svm_baseline`) and random forest
    (:func:`skkd.baselines.make_rf_baseline`), plus the SVM without speaker
    normalisation (the earlier measured reference). Training settings are
    fixed in this file (40 epochs, AdamW, lr 1e-3, weight decay 1e-2,
    dropout 0.3, batch 32); nothing is selected per held-out speaker.
Protocol
    Leave-one-speaker-out (10 folds). Per held-out speaker: UAR (unweighted
    average recall = balanced accuracy), accuracy and macro-F1; the table
    gives mean ± std over speakers, the network's parameters (support-vector
    coefficients / tree nodes for the classical models), the CPU latency of
    one utterance from raw audio (features + normalisation with the speaker's
    stored statistics + model, one thread) and the wall time of the LOSO loop.
Figures
    ``confusion_matrix.png``: pooled LOSO predictions (row-normalised) of the
    teacher and the two KD students; ``training_curves.png``: training loss
    per epoch of the teacher and three students in the last fold.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import LeaveOneGroupOut

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
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
from skkd.baselines import make_rf_baseline, make_svm_baseline  # noqa: E402
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier  # noqa: E402
from skkd.features import LogMelExtractor, SpeechFeatures, SubjectStandardScaler  # noqa: E402

DATASET = "EmoDB (7 emotions)"
PROTOCOL = "LOSO by speaker"
N_MFCC = 40
QUICK_SPEAKERS = ("03", "08", "09")


# -- features ------------------------------------------------------------------------------
def speaker_standardize(frames: np.ndarray, groups) -> np.ndarray:
    """Z-score every channel of ``(n, c, T)`` frames within each speaker (over utterances and frames).

    Uses :class:`skkd.features.SubjectStandardScaler` on the ``(n * T, c)``
    frame table, so a speaker's statistics come from its own (unlabeled)
    frames only.

    >>> frames = np.arange(12.0).reshape(2, 2, 3)
    >>> out = speaker_standardize(frames, ["a", "a"])
    >>> out.shape, float(abs(out[:, 0].mean())) < 1e-6, float(out[:, 1].std())
    ((2, 2, 3), True, 1.0)
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n, c, T), got {frames.shape}.")
    groups = np.asarray(groups)
    if groups.shape != (len(frames),):
        raise ValueError(
            f"groups must have one entry per utterance ({len(frames)}), got shape {groups.shape}."
        )
    n, c, t = frames.shape
    table = frames.transpose(0, 2, 1).reshape(n * t, c)
    scaled = SubjectStandardScaler().fit_transform(table, groups=np.repeat(groups, t))
    return np.ascontiguousarray(scaled.reshape(n, t, c).transpose(0, 2, 1), dtype=np.float32)


def utterance_statistics(frames: np.ndarray) -> np.ndarray:
    """Mean and standard deviation over frames, columns as ``SpeechFeatures(output="stats")``.

    ``(n, c, T)`` -> ``(n, 2c)`` ordered ``f0_mean, f0_std, f1_mean, ...``.

    >>> utterance_statistics(np.array([[[1.0, 3.0], [0.0, 0.0]]])).tolist()
    [[2.0, 1.0, 0.0, 0.0]]
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"frames must have shape (n, c, T), got {frames.shape}.")
    stats = np.stack([frames.mean(axis=2), frames.std(axis=2)], axis=2)
    return stats.reshape(len(frames), -1)


def extract_features(audio: np.ndarray, fs: int) -> tuple[dict, dict]:
    """SpeechFeatures frames and 64-band log-mel frames of every clip, and the fitted extractors."""
    speech = SpeechFeatures(sr=fs, output="frames", n_mfcc=N_MFCC).fit(audio)
    logmel = LogMelExtractor(sr=fs, n_mels=64, precision="float32").fit(audio)
    frames = speech.transform(audio)
    mel = logmel.transform(audio)[:, 0]
    return {"frames": frames, "logmel": mel}, {"frames": speech, "logmel": logmel}


def prepare_inputs(raw: dict, groups, speaker_norm: bool = True) -> tuple[Modalities, np.ndarray]:
    """Networks' inputs and the SVM/RF feature table.

    Keys: ``frames`` (SpeechFeatures frames), ``speech_stats`` (their
    utterance statistics), ``logmel`` (log-mel frames) and ``mfcc_stats``
    (statistics of the 40 MFCCs, also returned as the classical models'
    table). With ``speaker_norm`` frames are z-scored per channel and
    statistics per column within each speaker (from its own utterances).
    """
    groups = np.asarray(groups)
    stats = utterance_statistics(raw["frames"]).astype(np.float64)
    frames, mel = raw["frames"], raw["logmel"]
    if speaker_norm:
        stats = SubjectStandardScaler().fit_transform(stats, groups=groups)
        frames = speaker_standardize(frames, groups)
        mel = speaker_standardize(mel, groups)
    stats = stats.astype(np.float32)
    mfcc = np.ascontiguousarray(stats[:, : 2 * N_MFCC])
    return Modalities(frames=frames.astype(np.float32), speech_stats=stats,
                      logmel=mel.astype(np.float32), mfcc_stats=mfcc), mfcc


# -- models --------------------------------------------------------------------------------
def net_params(quick: bool, seed: int) -> dict:
    """Shared training settings of every network (AdamW, weight decay, fixed epochs)."""
    return dict(max_epochs=8 if quick else 40, lr=3e-3 if quick else 1e-3, batch_size=32,
                device="cpu",
                random_state=seed, optimizer__weight_decay=1e-2)


def teacher_params(kind: str, quick: bool) -> dict:
    """``"fused"``: a CNN + BiLSTM encoder of the SpeechFeatures frames and an MLP encoder of
    their utterance statistics, late fusion; ``"stats"``: the MLP alone."""
    options = dict(module__width=16 if quick else 64, module__depth=2, module__dropout=0.3)
    if kind == "fused":
        options.update(module__kernel_size=5, module__recurrent=True)
    return options


def student_params(kind: str, quick: bool) -> dict:
    """Student networks: a 1-D CNN on log-mel frames, an MLP on MFCC statistics."""
    if kind == "logmel":
        return dict(module__width=16 if quick else 32, module__depth=2, module__dropout=0.3,
                    module__kernel_size=5)
    return dict(module__width=16 if quick else 64, module__depth=2, module__dropout=0.3)


#: teacher name -> (its inputs, module options)
TEACHER = "teacher CNN+BiLSTM (frames) + MLP (stats)"
STATS_TEACHER = "teacher MLP (SpeechFeatures stats)"
TEACHERS = {
    TEACHER: (["frames", "speech_stats"], "fused"),
    STATS_TEACHER: (["speech_stats"], "stats"),
}
#: student name -> (student input, its teacher, KD keyword arguments)
KD = dict(alpha=0.5, temperature=4.0)
STUDENTS = {
    "student CNN (log-mel), no KD": ("logmel", TEACHER, dict(alpha=0.0)),
    "student CNN (log-mel), KD": ("logmel", TEACHER, KD),
    "student MLP (MFCC stats), no KD": ("mfcc_stats", TEACHER, dict(alpha=0.0)),
    "student MLP (MFCC stats), KD": ("mfcc_stats", TEACHER, KD),
    "student MLP (MFCC stats), KD from stats teacher": ("mfcc_stats", STATS_TEACHER, KD),
}
CLASSICAL = {
    "SVM (MFCC stats)": "svm",
    "RF (MFCC stats)": "rf",
    "SVM (MFCC stats, no speaker norm)": "svm_raw",
}


def classical_model(kind: str, quick: bool, seed: int):
    if kind.startswith("svm"):
        return make_svm_baseline(random_state=seed)
    return make_rf_baseline(100 if quick else 300, random_state=seed, n_jobs=1)


# -- the experiment ------------------------------------------------------------------------
def load(quick: bool) -> dict:
    from skkd.datasets import load_emodb

    data = load_emodb()
    groups = np.asarray(data.groups)
    keep = np.isin(groups, QUICK_SPEAKERS) if quick else np.ones(len(groups), bool)
    return dict(audio=np.asarray(data.X["audio"])[keep], y=np.asarray(data.y)[keep],
                groups=groups[keep], fs=int(data.fs["audio"]))


def run(quick: bool, seed: int, speaker_norm: bool = True, out: Path | None = None) -> list[dict]:
    d = load(quick)
    audio, y, groups = d["audio"], d["y"], d["groups"]
    t0 = time.perf_counter()
    raw, extractors = extract_features(audio, d["fs"])
    X, mfcc_table = prepare_inputs(raw, groups, speaker_norm)
    raw_table = utterance_statistics(raw["frames"][:, :N_MFCC]).astype(np.float32)
    feature_s = time.perf_counter() - t0
    print(f"[{DATASET}] {len(y)} utterances, {len(np.unique(groups))} speakers; features "
          f"{ {k: v.shape[1:] for k, v in X.items()} } in {feature_s:.0f} s", flush=True)

    names = [*TEACHERS, *STUDENTS, *CLASSICAL]
    preds = {name: np.empty(len(y), dtype=y.dtype) for name in names}
    wall = dict.fromkeys(names, 0.0)
    fitted: dict = {}
    net = net_params(quick, seed)
    for fold, (train, test) in enumerate(LeaveOneGroupOut().split(audio, y, groups)):
        for name, (keys, kind) in TEACHERS.items():
            t = time.perf_counter()
            teacher = TeacherClassifier(**net, **teacher_params(kind, quick))
            teacher.fit(X[train].select(keys), y[train])
            preds[name][test] = teacher.predict(X[test].select(keys))
            wall[name] += time.perf_counter() - t
            fitted[name] = teacher
        for name, (inp, teacher_name, kd) in STUDENTS.items():
            keys = TEACHERS[teacher_name][0]
            t = time.perf_counter()
            student = DistilledStudentClassifier(
                FrozenEstimator(fitted[teacher_name]), student_inputs=[inp],
                teacher_targets="in_sample", **net, **student_params(inp, quick), **kd)
            student.fit(X[train].select([*keys, inp]), y[train], groups=groups[train])
            preds[name][test] = student.predict(X[test].select([inp]))
            wall[name] += time.perf_counter() - t
            fitted[name] = student
        for name, kind in CLASSICAL.items():
            table = raw_table if kind == "svm_raw" else mfcc_table
            t = time.perf_counter()
            model = classical_model(kind, quick, seed).fit(table[train], y[train])
            preds[name][test] = model.predict(table[test])
            wall[name] += time.perf_counter() - t
            fitted[name] = model
        uar = {n: balanced_accuracy_score(y[test], preds[n][test]) for n in names}
        print(f"  fold {fold + 1}: speaker {groups[test][0]}, UAR "
              + ", ".join(f"{_short(n)} {v:.2f}" for n, v in uar.items()), flush=True)

    latency = utterance_latencies(fitted, extractors, X, raw, audio, groups, speaker_norm)
    rows = []
    for name in names:
        f1s, uars = per_subject_scores(y, preds[name], groups)
        accs = [accuracy_score(y[groups == g], preds[name][groups == g])
                for g in dict.fromkeys(groups.tolist())]
        inputs = ("SpeechFeatures frames + stats" if name == TEACHER else
                  "SpeechFeatures stats" if name == STATS_TEACHER else
                  "log-mel frames" if "log-mel" in name else "MFCC statistics")
        rows.append(score_row(
            DATASET, name, f1s, uars, protocol=PROTOCOL, n_params=n_params(fitted[name]),
            latency=latency[name], wall=wall[name], inputs=inputs,
            accuracy_mean=float(np.mean(accs)), accuracy_std=float(np.std(accs)),
            uar_pooled=float(_pooled_uar(y, preds[name])),
            speaker_norm=speaker_norm and "no speaker norm" not in name))
    if out is not None:
        save_figures(out, y, preds, fitted, quick)
    return rows


def _pooled_uar(y, pred) -> float:
    """UAR of all LOSO predictions pooled (the other common way to report EmoDB)."""
    return balanced_accuracy_score(y, pred)


def _short(name: str) -> str:
    """A compact method name for the per-fold progress line."""
    for long, short in (("teacher CNN+BiLSTM (frames) + MLP (stats)", "T"),
                        ("teacher MLP (SpeechFeatures stats)", "T-stats"),
                        ("student CNN (log-mel)", "S-mel"), ("student MLP (MFCC stats)", "S-mfcc"),
                        (", no KD", "-noKD"), (", KD from stats teacher", "-KD(T-stats)"),
                        (", KD", "-KD"), (" (MFCC stats, no speaker norm)", "-raw"),
                        (" (MFCC stats)", "")):
        name = name.replace(long, short)
    return name


def utterance_latencies(fitted, extractors, X, raw, audio, groups, speaker_norm) -> dict:
    """Median CPU time [ms] to classify one raw utterance, features included.

    Speaker normalisation at run time subtracts and divides by the speaker's
    stored statistics (computed beforehand from its unlabeled utterances).
    """
    clip = audio[:1]
    mine = groups == groups[0]

    def channel_stats(frames):
        return frames[mine].mean(axis=(0, 2))[None, :, None], frames[mine].std(axis=(0, 2))[None, :, None]

    frame_mu, frame_sd = channel_stats(raw["frames"])
    mel_mu, mel_sd = channel_stats(raw["logmel"])
    stats = utterance_statistics(raw["frames"][mine])
    stat_mu, stat_sd = stats.mean(axis=0), np.where(stats.std(axis=0) > 0, stats.std(axis=0), 1.0)
    if not speaker_norm:  # identity scaling
        frame_mu, mel_mu, stat_mu = 0 * frame_mu, 0 * mel_mu, 0 * stat_mu
        frame_sd, mel_sd, stat_sd = frame_mu + 1, mel_mu + 1, stat_mu + 1

    def speech_inputs():
        frames = extractors["frames"].transform(clip)
        stats = (utterance_statistics(frames) - stat_mu) / stat_sd
        return Modalities(frames=((frames - frame_mu) / frame_sd).astype(np.float32),
                          speech_stats=stats.astype(np.float32))

    def mel_input():
        mel = (extractors["logmel"].transform(clip)[:, 0] - mel_mu) / mel_sd
        return Modalities(logmel=mel.astype(np.float32))

    def mfcc_input(norm=True):
        s = utterance_statistics(extractors["frames"].transform(clip)[:, :N_MFCC])
        if norm:
            s = (s - stat_mu[: 2 * N_MFCC]) / stat_sd[: 2 * N_MFCC]
        return s.astype(np.float32)

    def call(est, make, select=None):
        def predict():
            inp = make()
            return est.predict_proba(inp.select(select) if select else inp)
        return predict

    calls = {name: call(fitted[name], speech_inputs, keys)
             for name, (keys, _) in TEACHERS.items()}
    for name, (inp, _, _) in STUDENTS.items():
        calls[name] = call(fitted[name], mel_input if inp == "logmel"
                           else lambda: Modalities(mfcc_stats=mfcc_input()))
    for name, kind in CLASSICAL.items():
        norm = kind != "svm_raw"
        calls[name] = call(fitted[name], lambda norm=norm: mfcc_input(norm))
    with _torch_threads(1):
        return {name: latency_ms(predict, repeats=10) for name, predict in calls.items()}


class _torch_threads:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.before = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)


def save_figures(out: Path, y, preds, fitted, quick: bool) -> list[Path]:
    """Confusion matrices (teacher, KD student) and training curves of the last fold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skkd.plotting import plot_confusion_matrix, plot_training_curves

    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if quick else ""
    labels = sorted(np.unique(y))
    shown = [TEACHER, "student MLP (MFCC stats), KD", "student CNN (log-mel), KD"]
    fig, axes = plt.subplots(1, len(shown), figsize=(6.2 * len(shown), 5.5))
    for ax, name in zip(axes, shown):
        plot_confusion_matrix(y, preds[name], labels=labels, normalize="true", ax=ax,
                              colorbar=False, title=f"{name}\n(LOSO, row-normalised)")
    fig.tight_layout()
    cm_path = out / f"confusion_matrix{suffix}.png"
    fig.savefig(cm_path, dpi=110)
    plt.close(fig)

    shown = [TEACHER, "student MLP (MFCC stats), no KD", "student MLP (MFCC stats), KD",
             "student CNN (log-mel), KD"]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 4), squeeze=False)
    for ax, name in zip(axes[0], shown):
        plot_training_curves(fitted[name], keys=["train_loss"], ax=ax)
        ax.set_title(f"{name}\n(last LOSO fold; KD loss = mix of CE and T²·KL)", fontsize=9)
    fig.tight_layout()
    curve_path = out / f"training_curves{suffix}.png"
    fig.savefig(curve_path, dpi=110)
    plt.close(fig)
    return [cm_path, curve_path]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"speakers {', '.join(QUICK_SPEAKERS)} only, small nets, 6 epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-speaker-norm", action="store_true",
                        help="no per-speaker z-scoring of the features")
    parser.add_argument("--out", default=None, help="results folder (default: results/speech_kd/)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    # speakers lack some emotions (e.g. 03 has no disgust): sklearn warns about it per fold
    warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
    warnings.filterwarnings("ignore", "Number of classes in training fold")
    warnings.filterwarnings("ignore", "The least populated class in y")
    out = results_folder(args.out, default=RESULTS_DIR / "speech_kd", parser=parser)
    speaker_norm = not args.no_speaker_norm
    rows = run(args.quick, args.seed, speaker_norm, out)
    print()
    print(format_table(rows, f"speech-emotion KD, {DATASET}, {PROTOCOL} (bal. acc. = UAR)"))
    frame = {r["method"]: f"{r['accuracy_mean']:.3f} ± {r['accuracy_std']:.3f}" for r in rows}
    print("\naccuracy (mean ± std over speakers):")
    for name, acc in frame.items():
        print(f"  {name}: {acc}")
    name = "speech_kd_quick" if args.quick else "speech_kd"
    if not speaker_norm:
        name += "_no_speaker_norm"
    csv_path, json_path = write_results(rows, name, out, quick=args.quick, seed=args.seed,
                                        speaker_norm=speaker_norm)
    print(f"wrote {csv_path} and {json_path}")
    return rows


if __name__ == "__main__":
    main()
