"""RuLSIF change points vs fixed-interval and random baselines, against real task transitions.

Ground truth
    * Stress-Predict: the E4 button presses (tags) that mark the start and end of
      each stress task, unix seconds, kept when inside the recording.
    * ``skkd.datasets.make_affective_sessions``: the known episode starts.

Protocol (same for every method, per subject)
    Signals are brought to 1 Hz (EDA and TEMP by ``scipy.signal.resample_poly``;
    BVP as its per-second RMS amplitude, since a 64 Hz pulse wave has no
    meaning at 1 Hz). RuLSIF scores every second (k=10 s subsequences, n=50 per
    set, alpha=0.1, median-heuristic sigma, ridge 0.1, channels z-scored); its
    detections are the K highest score peaks at least 60 s apart, where K is
    the subject's number of true change points (the "known number of change
    points" setting, also given to the baselines). Fixed: K evenly spaced
    times. Random: K uniform times, averaged over 20 seeded draws. A detection
    is a hit when it is within +-60 s of a true change point, matched one to one
    (closest pairs first). Precision = hits / K, recall = hits / true points.

Window selection (the selector classes themselves)
    ``load_stress_predict`` windows (60 s, hop 30 s, EDA+TEMP+BVP) are split by
    subject with ``GroupKFold(5)``; ``RuLSIFOpportuneSelector(quantile=0.75)``
    learns its threshold on the training subjects and marks the held-out
    subjects' windows; ``RandomSelector(fraction=0.25)`` and
    ``FixedIntervalSelector(every=4)`` keep the same share. A kept window is a
    hit when it contains a tag; a tag is found when a kept window contains it.

Usage::

    python benchmarks/change_points.py            # all subjects (a few minutes)
    python benchmarks/change_points.py --quick    # 6 subjects, 4 synthetic sessions

Writes ``results/change_points.csv`` (per subject) and ``results/change_points.json``
(overall: micro precision/recall/F1 and the mean per-subject F1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import resample_poly

from sklearn.model_selection import GroupKFold

from skkd.datasets import get_data_home, load_stress_predict, make_affective_sessions, read_empatica_e4
from skkd.opportune import FixedIntervalSelector, RandomSelector, RuLSIFOpportuneSelector, rulsif_change_scores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import results_folder  # noqa: E402

TOLERANCE_S = 60.0
MIN_SEPARATION_S = 60.0
N_RANDOM_DRAWS = 20
RULSIF = dict(k=10, n=50, alpha=0.1, sigma="median", ridge=0.1)
SIGNAL_SETS = {"eda": ["eda"], "temp": ["temp"], "bvp": ["bvp"], "eda+temp+bvp": ["eda", "temp", "bvp"]}


def to_one_hertz(name: str, samples: np.ndarray, fs: float) -> np.ndarray:
    """One value a second: resampled EDA/TEMP, per-second RMS amplitude of BVP."""
    x = np.asarray(samples, dtype=float).ravel()
    fs = int(round(fs))
    if name == "bvp":
        n_sec = x.size // fs
        return np.sqrt((x[: n_sec * fs].reshape(n_sec, fs) ** 2).mean(axis=1))
    return resample_poly(x, 1, fs) if fs != 1 else x


def peak_times(score: np.ndarray, times: np.ndarray, n_peaks: int, min_sep: float) -> np.ndarray:
    """Times of the ``n_peaks`` highest scores at least ``min_sep`` apart (greedy)."""
    chosen: list[float] = []
    for i in np.argsort(-score, kind="stable"):
        if all(abs(times[i] - c) >= min_sep for c in chosen):
            chosen.append(float(times[i]))
            if len(chosen) == n_peaks:
                break
    return np.sort(np.asarray(chosen))


def match(detected: np.ndarray, truth: np.ndarray, tol: float) -> int:
    """Number of one-to-one matches within ``tol`` (closest pairs first)."""
    if detected.size == 0 or truth.size == 0:
        return 0
    dist = np.abs(detected[:, None] - truth[None, :])
    pairs = np.argwhere(dist <= tol)
    order = np.argsort(dist[pairs[:, 0], pairs[:, 1]], kind="stable")
    used_d, used_t, hits = set(), set(), 0
    for i, j in pairs[order]:
        if i not in used_d and j not in used_t:
            used_d.add(i)
            used_t.add(j)
            hits += 1
    return hits


def evaluate_subject(
    subject: str, channels: dict[str, np.ndarray], truth_s: np.ndarray, seed: int, signal_sets: dict[str, list[str]]
) -> list[dict]:
    """Rows (one per method and signal set) for one subject; times in s from the start."""
    T = min(v.size for v in channels.values())
    duration = float(T)
    K = int(truth_s.size)
    rows = []

    def row(method, signals, detected, hits):
        p = hits / max(len(detected), 1)
        r = hits / K
        f1 = 0.0 if p + r == 0 else 2 * p * r / (p + r)
        return dict(subject=subject, method=method, signals=signals, n_true=K, n_detected=len(detected),
                    hits=hits, precision=p, recall=r, f1=f1)

    for set_name, names in signal_sets.items():
        if not all(name in channels for name in names):
            continue
        series = np.stack([channels[name][:T] for name in names])
        cs = rulsif_change_scores(series, **RULSIF)
        detected = peak_times(cs.score, cs.index.astype(float), K, MIN_SEPARATION_S)
        rows.append(row("rulsif", set_name, detected, match(detected, truth_s, TOLERANCE_S)))
    fixed = (np.arange(K) + 0.5) * duration / K
    rows.append(row("fixed", "-", fixed, match(fixed, truth_s, TOLERANCE_S)))
    rng = np.random.default_rng(seed)
    draws = [np.sort(rng.uniform(0, duration, K)) for _ in range(N_RANDOM_DRAWS)]
    hits = [match(d, truth_s, TOLERANCE_S) for d in draws]
    r = row("random", "-", draws[0], 0)
    r.update(hits=float(np.mean(hits)), precision=float(np.mean(hits)) / K, recall=float(np.mean(hits)) / K)
    f1s = [2 * (h / K) * (h / K) / (2 * h / K) if h else 0.0 for h in hits]
    r["f1"] = float(np.mean(f1s))
    rows.append(r)
    return rows


def stress_predict_rows(data_home: Path, subjects: list[str]) -> list[dict]:
    rows = []
    for i, subject in enumerate(subjects):
        rec = read_empatica_e4(data_home / "stress-predict" / "Raw_data" / subject, signals=("eda", "temp", "bvp"))
        start = max(sig.start for sig in rec.signals.values())
        channels = {}
        for name, sig in rec.signals.items():
            offset = int(round((start - sig.start) * sig.fs))
            channels[name] = to_one_hertz(name, sig.data[offset:, 0], sig.fs)
        T = min(v.size for v in channels.values())
        tags = np.asarray(rec.tags if rec.tags is not None else [], dtype=float) - start
        truth = np.sort(tags[(tags >= 0) & (tags < T)])
        if truth.size == 0:
            print(f"  {subject}: no tag inside the recording, skipped")
            continue
        rows += evaluate_subject(subject, channels, truth, seed=i, signal_sets=SIGNAL_SETS)
    return rows


def synthetic_rows(n_sessions: int, duration_s: int) -> list[dict]:
    data = make_affective_sessions(n_subjects=n_sessions, duration_s=duration_s, fs=4, random_state=0)
    rows = []
    for i, (signal, cps) in enumerate(zip(data.signals, data.change_points)):
        channels = {name: to_one_hertz(name, signal[c], data.fs) for c, name in enumerate(data.channel_names)}
        sets = {"+".join(data.channel_names): list(data.channel_names)}
        truth = np.asarray(cps, float) / data.fs
        rows += evaluate_subject(str(data.subjects[i]), channels, truth, seed=100 + i, signal_sets=sets)
    return rows


def window_selection_rows(data_home: Path, subjects: list[str] | None) -> list[dict]:
    """Selector classes on Stress-Predict windows, thresholds learnt on other subjects."""
    data = load_stress_predict(data_home, signals=("eda", "temp", "bvp"))
    groups = np.asarray(data.groups)
    rows_idx = np.arange(groups.size) if subjects is None else np.flatnonzero(np.isin(groups, subjects))
    X, groups = data.X[rows_idx], groups[rows_idx]
    meta = data.meta.iloc[rows_idx].reset_index(drop=True)
    # A window's RuLSIF score depends on that window only, so score every window once; a
    # selector fitted on a training fold learns the 0.75-quantile of those scores (checked
    # on the first fold by fitting the selector class itself, in --quick runs).
    rulsif = RuLSIFOpportuneSelector(quantile=0.75, modalities=["eda", "temp", "bvp"])
    scores = rulsif.fit(X).train_scores_
    baselines = {"random": RandomSelector(fraction=0.25, random_state=0), "fixed": FixedIntervalSelector(every=4)}
    out = []
    folds = GroupKFold(n_splits=min(5, np.unique(groups).size)).split(X, groups=groups)
    for fold, (train, test) in enumerate(folds):
        threshold = float(np.quantile(scores[train], 0.75))
        if fold == 0 and subjects is not None:
            fitted = RuLSIFOpportuneSelector(quantile=0.75, modalities=["eda", "temp", "bvp"]).fit(X[train])
            assert np.isclose(fitted.threshold_, threshold, rtol=1e-9), (fitted.threshold_, threshold)
        for name in ("rulsif", *baselines):
            if name != "rulsif":
                baselines[name].fit(X[train])
            for subject in np.unique(groups[test]):
                rows = test[groups[test] == subject]  # windows in time order within a subject
                rows = rows[np.argsort(meta.t_start.to_numpy()[rows], kind="stable")]
                if name == "rulsif":
                    kept = scores[rows] >= threshold
                else:
                    kept = baselines[name].predict(X[rows]) == 1
                tags = np.asarray(data.tags.get(subject, []), dtype=float)
                start, end = meta.t_start.to_numpy()[rows][kept], meta.t_end.to_numpy()[rows][kept]
                inside = (tags[None, :] >= start[:, None]) & (tags[None, :] < end[:, None])
                span = (tags >= meta.t_start.to_numpy()[rows].min()) & (tags < meta.t_end.to_numpy()[rows].max())
                n_true = int(span.sum())
                if n_true == 0:
                    continue
                hits_w = int(inside.any(axis=1).sum())
                found = int((inside.any(axis=0) & span).sum())
                p = hits_w / max(kept.sum(), 1)
                r = found / n_true
                out.append(dict(dataset="stress-predict windows", subject=subject, method=name,
                                signals="eda+temp+bvp" if name == "rulsif" else "-", n_true=n_true,
                                n_detected=int(kept.sum()), hits=hits_w, found=found, precision=p, recall=r,
                                f1=0.0 if p + r == 0 else 2 * p * r / (p + r)))
    return out


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby(["dataset", "method", "signals"], sort=False)
    out = g.agg(subjects=("subject", "nunique"), n_true=("n_true", "sum"), n_detected=("n_detected", "sum"),
                hits=("hits", "sum"), mean_f1=("f1", "mean")).reset_index()
    out["precision"] = out["hits"] / out["n_detected"]
    found = df.groupby(["dataset", "method", "signals"], sort=False)["found"].sum().to_numpy()
    out["recall"] = np.where(out["dataset"] == "stress-predict windows", found, out["hits"]) / out["n_true"]
    out["f1"] = 2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"])
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 subjects and 4 synthetic sessions")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default="results", help="results folder (default: ./results)")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    t0 = time.perf_counter()
    home = Path(get_data_home(args.data_home))
    raw = home / "stress-predict" / "Raw_data"
    subjects = sorted(p.name for p in raw.iterdir() if p.is_dir() and p.name.startswith("S"))
    if args.quick:
        subjects = subjects[1:7]
    rows = [dict(r, dataset="stress-predict") for r in stress_predict_rows(home, subjects)]
    rows += [dict(r, dataset="synthetic") for r in synthetic_rows(4 if args.quick else 12, 1800)]
    rows = [dict(r, found=r["hits"]) for r in rows]
    t_windows = time.perf_counter()
    rows += window_selection_rows(home, subjects if args.quick else None)
    t_windows = time.perf_counter() - t_windows
    df = pd.DataFrame(rows)
    summary = summarise(df)
    df.to_csv(out / "change_points.csv", index=False)
    payload = dict(
        protocol=dict(tolerance_s=TOLERANCE_S, min_separation_s=MIN_SEPARATION_S, random_draws=N_RANDOM_DRAWS,
                      rulsif=RULSIF, rate_hz=1, quick=args.quick),
        overall=summary.to_dict(orient="records"),
        seconds=time.perf_counter() - t0,
        window_selection_seconds=t_windows,
    )
    (out / "change_points.json").write_text(json.dumps(payload, indent=2))
    pd.set_option("display.width", 160)
    per_subject = df[df.dataset == "stress-predict"].pivot_table(index="subject", columns=["method", "signals"],
                                                                 values="f1")
    print("Per-subject F1 on Stress-Predict (tags, +-60 s, K = number of tags):")
    print(per_subject.round(2).to_string())
    print("\nOverall (micro precision/recall/F1 over subjects; mean_f1 = mean of per-subject F1):")
    cols = ["dataset", "method", "signals", "subjects", "n_true", "n_detected", "hits", "precision", "recall",
            "f1", "mean_f1"]
    print(summary[cols].round(3).to_string(index=False))
    print("(stress-predict windows: precision = kept windows containing a tag / kept windows; recall = tags "
          "inside a kept window / tags; thresholds learnt on other subjects, GroupKFold(5))")
    print(f"window selection took {t_windows:.0f} s")
    print(f"\n{time.perf_counter() - t0:.0f} s; wrote {out / 'change_points.csv'} and {out / 'change_points.json'}")


if __name__ == "__main__":
    main()
