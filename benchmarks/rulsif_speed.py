"""Speed of skkd's batched RuLSIF change scores vs densratio 0.4 looped per time point.

One hour of a 4-channel series at 4 Hz (14,400 samples; a seeded random walk
with level shifts, z-scored per channel), k=10, n=50, alpha=0.1, symmetric
scores (forward + backward fit per point: 2 x 14,292 RuLSIF fits). Two
settings with the same sigma x lambda grid for both libraries:

* ``1x1``: sigma = the series' median heuristic, lambda = 0.1 (no search);
* ``3x3``: sigma in median x {0.5, 1, 2}, lambda in {0.01, 0.1, 1}, chosen by
  densratio's leave-one-out score at every point and in each direction.

skkd scores every point. densratio (``densratio(..., method="RuLSIF")`` on the
same Hankel samples, centres = all n reference samples as densratio draws them)
runs on an evenly spaced subset of points; its time is extrapolated linearly to
all points (each call is independent of the others, so the extrapolation is
exact up to timing noise) and the table says so. Scores are compared on the
subset. Same process, same run.

Usage::

    python benchmarks/rulsif_speed.py            # densratio on 400 / 120 points
    python benchmarks/rulsif_speed.py --quick    # densratio on 60 / 20 points

Writes ``results/rulsif_speed.json`` and ``results/rulsif_speed.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from skkd.opportune import median_heuristic, rulsif_change_scores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import results_folder  # noqa: E402

FS, HOURS, CHANNELS = 4, 1.0, 4
K, N, ALPHA = 10, 50, 0.1
SETTINGS = {
    "1x1": dict(factors=(1.0,), ridge=(0.1,)),
    "3x3": dict(factors=(0.5, 1.0, 2.0), ridge=(0.01, 0.1, 1.0)),
}


def make_series(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    T = int(HOURS * 3600 * FS)
    x = np.cumsum(rng.normal(scale=0.05, size=(CHANNELS, T)), axis=1) + rng.normal(size=(CHANNELS, T))
    for start in rng.choice(np.arange(600, T - 600), size=12, replace=False):
        x[:, start:] += rng.normal(scale=2.0, size=(CHANNELS, 1))
    return x


def hankel_samples(x: np.ndarray, k: int) -> np.ndarray:
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    return np.lib.stride_tricks.sliding_window_view(z, k, axis=1).transpose(1, 2, 0).reshape(-1, k * x.shape[0])


def densratio_scores(H: np.ndarray, points: np.ndarray, sigmas, ridges) -> tuple[np.ndarray, float]:
    from densratio import densratio

    out = np.empty(points.size)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # densratio's KL term takes log(0) for clipped weights
        for i, t in enumerate(points):
            ref, test = H[t : t + N], H[t + N : t + 2 * N]
            kw = dict(method="RuLSIF", alpha=ALPHA, sigma_range=list(sigmas), lambda_range=list(ridges), verbose=False)
            out[i] = densratio(ref, test, **kw).alpha_PE + densratio(test, ref, **kw).alpha_PE
    return out, time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer densratio points")
    parser.add_argument("--out", default="results", help="results folder (default: ./results)")
    args = parser.parse_args(argv)
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    x = make_series()
    H = hankel_samples(x, K)
    med = median_heuristic(x, k=K, n=N)
    subset = {"1x1": 60 if args.quick else 400, "3x3": 20 if args.quick else 120}
    rows = []
    for name, cfg in SETTINGS.items():
        sigmas = [med * f for f in cfg["factors"]]
        timings = {}
        for n_jobs in (1, 2):
            t0 = time.perf_counter()
            # densratio's estimator: clipped weights at the plain median heuristic
            cs = rulsif_change_scores(x, k=K, n=N, alpha=ALPHA, sigma=sigmas if len(sigmas) > 1
                                      else sigmas[0], ridge=cfg["ridge"], nonneg="clip",
                                      n_jobs=n_jobs)
            timings[n_jobs] = time.perf_counter() - t0
        P = cs.score.size
        points = np.linspace(0, P - 1, subset[name]).round().astype(int)
        ref, ref_s = densratio_scores(H, points, sigmas, cfg["ridge"])
        ref_all = ref_s * P / points.size
        diff = np.abs(cs.score[points] - ref)
        rows.append(dict(
            setting=name, time_points=P, rulsif_fits=2 * P,
            skkd_s_1thread=timings[1], skkd_s_2threads=timings[2],
            densratio_points_timed=int(points.size), densratio_s_timed=ref_s, densratio_s_extrapolated=ref_all,
            speedup_1thread=ref_all / timings[1], speedup_2threads=ref_all / timings[2],
            max_abs_score_diff=float(diff.max()), max_rel_score_diff=float((diff / np.abs(ref).clip(1e-12)).max()),
        ))
    df = pd.DataFrame(rows)
    df.to_csv(out / "rulsif_speed.csv", index=False)
    meta = dict(series=f"{HOURS:g} h, {CHANNELS} channels, {FS} Hz", k=K, n=N, alpha=ALPHA, cpus=os.cpu_count(),
                note="densratio timed on the listed number of evenly spaced points and extrapolated linearly")
    (out / "rulsif_speed.json").write_text(json.dumps(dict(meta=meta, rows=rows), indent=2))
    pd.set_option("display.width", 200)
    print(f"RuLSIF change scores, {meta['series']}, k={K}, n={N}, alpha={ALPHA}, {os.cpu_count()} CPUs")
    show = df.rename(columns={"densratio_s_extrapolated": "densratio_s (extrap.)"})
    print(show.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("densratio seconds are measured on 'densratio_points_timed' points and extrapolated to all points.")


if __name__ == "__main__":
    main()
