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

Goals (issue 17, ratios side by side in one run, 2 cores): ``3x3`` at least
20x densratio looped and at most 10 s with 2 threads; ``1x1`` at least 50x;
scores equal to densratio within 1e-6. The table says which are met.

**Where the time goes** (printed after the table): CPU seconds per stage,
extrapolated to all points from a sample of ``--profile-points`` points, for
the route before issue 17 (one eigendecomposition of ``H`` per point, width
and direction, the kernel blocks copied out of the tables, densratio's PE for
every lambda) and the route now (a Cholesky factorisation per lambda on
blocks of 16 points read through strided views of the kernel tables, one fit
at the chosen width and ridge). Stages: ``kernel`` (exp of the distance
tables), ``kernel blocks`` (copying the blocks out, before only), ``normal
equations`` (``H``, ``h``), ``factorisation`` (``eigh`` before, ``potrf``
now), ``inverse`` (``B^-1`` from the factor by LAPACK's ``potri``; now only), ``leave-one-out``
(densratio's closed form given the factorisation) and ``fit`` (weights and
PE of the chosen fit).

Usage::

    python benchmarks/rulsif_speed.py            # densratio on 400 / 120 points, profile on 512
    python benchmarks/rulsif_speed.py --quick    # densratio on 60 / 20 points, profile on 256

Writes ``results/rulsif_speed.json``, ``results/rulsif_speed.csv`` and
``results/rulsif_speed_profile.csv``.
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


GOALS = {"1x1": dict(speedup=50.0, seconds=None), "3x3": dict(speedup=20.0, seconds=10.0)}
PARITY = 1e-6


def kernel_tables(x: np.ndarray, factors) -> tuple[np.ndarray, np.ndarray]:
    """Kernel tables (one per width) of the z-scored series, as ``rulsif_change_scores`` builds them."""
    from skkd.opportune._hankel import hankel_lag_table

    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    table = hankel_lag_table(z[None], K, N)[0]
    med = median_heuristic(x, k=K, n=N)
    widths = med * np.asarray(factors)
    return np.exp(table[None] * (-0.5 / widths**2)[:, None, None]), widths


def profile_routes(x: np.ndarray, cfg: dict, n_points: int) -> dict[str, dict[str, float]]:
    """CPU seconds per stage for ``n_points`` points, before (eigendecomposition route) and now."""
    from skkd.opportune._hankel import block_views
    from skkd.opportune._rulsif import (
        BLOCK,
        FIT_BLOCK,
        loo_search,
        normal_equations,
        one_thread_each,
        pe_divergence,
        profile_stages,
        select_and_fit,
        theta_from_normal,
    )

    lambdas = np.asarray(cfg["ridge"], dtype=float)
    out = {}
    with one_thread_each():
        c0 = time.thread_time()
        tables, _ = kernel_tables(x, cfg["factors"])
        kernel_s = time.thread_time() - c0
        views = [block_views(t, 0, n_points, N) for t in tables]
        # before: kernel blocks copied out, eigh-based leave-one-out with PE for every lambda (clip)
        with profile_stages() as before:
            for rr, tt, tr in views:
                c0 = time.thread_time()
                rr, tt, tr = (np.ascontiguousarray(v) for v in (rr, tt, tr))
                before["kernel blocks"] = before.get("kernel blocks", 0.0) + time.thread_time() - c0
                for px, py in ((rr, tr), (tt, np.ascontiguousarray(tr.transpose(0, 2, 1)))):
                    if len(tables) * lambdas.size > 1:
                        loo_search(px, py, ALPHA, lambdas)
                    else:
                        A, h = normal_equations(px, py, ALPHA)
                        c0 = time.thread_time()
                        A[:, np.arange(A.shape[1]), np.arange(A.shape[1])] += lambdas[0]
                        pe_divergence(px, py, theta_from_normal(A, h, "clip"), ALPHA)
                        before["fit"] = before.get("fit", 0.0) + time.thread_time() - c0
        # now: blocks of points through strided views, one fit at the chosen width and ridge
        block = BLOCK if len(tables) * lambdas.size > 1 else FIT_BLOCK
        with profile_stages() as now:
            for b0 in range(0, n_points, block):
                part = slice(b0, min(n_points, b0 + block))
                for backward in (False, True):
                    pairs = [(tt[part], tr[part].transpose(0, 2, 1)) if backward else (rr[part], tr[part])
                             for rr, tt, tr in views]
                    select_and_fit(pairs, ALPHA, lambdas, "clip", x_symmetric=True)
    for name, sec in (("before", before), ("now", now)):
        out[name] = {"kernel": kernel_s * n_points / (len(x[0]) - 2 * N - K + 2), **sec}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer densratio and profile points")
    parser.add_argument("--profile-points", type=int, default=None,
                        help="points in the stage profile (default 512, 256 with --quick)")
    parser.add_argument("--out", default="results", help="results folder (default: ./results)")
    args = parser.parse_args(argv)
    if args.profile_points is not None and args.profile_points < 1:
        parser.error(f"--profile-points must be a positive integer, got {args.profile_points}")
    out = results_folder(args.out, parser=parser)  # fail now, not after the run
    load_start = os.getloadavg()[0]
    x = make_series()
    H = hankel_samples(x, K)
    med = median_heuristic(x, k=K, n=N)
    subset = {"1x1": 60 if args.quick else 400, "3x3": 20 if args.quick else 120}
    n_prof = args.profile_points or (256 if args.quick else 512)
    rows, profile_rows = [], []
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
        goal = GOALS[name]
        speedup2 = ref_all / timings[2]
        met = speedup2 >= goal["speedup"] and float(diff.max()) <= PARITY
        if goal["seconds"] is not None:
            met = met and timings[2] <= goal["seconds"]
        rows.append(dict(
            setting=name, time_points=P, rulsif_fits=2 * P,
            skkd_s_1thread=timings[1], skkd_s_2threads=timings[2],
            densratio_points_timed=int(points.size), densratio_s_timed=ref_s, densratio_s_extrapolated=ref_all,
            speedup_1thread=ref_all / timings[1], speedup_2threads=speedup2,
            max_abs_score_diff=float(diff.max()), max_rel_score_diff=float((diff / np.abs(ref).clip(1e-12)).max()),
            goal=f">= {goal['speedup']:g}x" + (f", <= {goal['seconds']:g} s" if goal["seconds"] else "")
            + f", diff <= {PARITY:g}",
            goal_met=bool(met),
        ))
        prof = profile_routes(x, cfg, min(n_prof, P))
        for route, sec in prof.items():
            for stage, seconds in sec.items():
                profile_rows.append(dict(setting=name, route=route, stage=stage,
                                         cpu_s_all_points=seconds * P / min(n_prof, P)))
    load_end = os.getloadavg()[0]
    df = pd.DataFrame(rows)
    df.to_csv(out / "rulsif_speed.csv", index=False)
    prof_df = pd.DataFrame(profile_rows)
    prof_df.to_csv(out / "rulsif_speed_profile.csv", index=False)
    meta = dict(series=f"{HOURS:g} h, {CHANNELS} channels, {FS} Hz", k=K, n=N, alpha=ALPHA, cpus=os.cpu_count(),
                load_average_start=load_start, load_average_end=load_end, profile_points=n_prof,
                note="densratio timed on the listed number of evenly spaced points and extrapolated linearly; "
                     "profile: thread CPU seconds on profile_points points, extrapolated to all points")
    (out / "rulsif_speed.json").write_text(json.dumps(dict(meta=meta, rows=rows, profile=profile_rows), indent=2))
    pd.set_option("display.width", 250)
    busy = "" if max(load_start, load_end) < (os.cpu_count() or 1) else "  ** busy machine: ratios only **"
    print(f"RuLSIF change scores, {meta['series']}, k={K}, n={N}, alpha={ALPHA}, {os.cpu_count()} CPUs, "
          f"load average {load_start:.1f} -> {load_end:.1f}{busy}")
    show = df.rename(columns={"densratio_s_extrapolated": "densratio_s (extrap.)"})
    print(show.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("densratio seconds are measured on 'densratio_points_timed' points and extrapolated to all points.")
    print(f"\nWhere the time goes: CPU s per stage, 1 thread, measured on {n_prof} points and extrapolated "
          "to all points")
    table = prof_df.pivot_table(index=["setting", "stage"], columns="route", values="cpu_s_all_points",
                                aggfunc="sum", fill_value=0.0)[["before", "now"]]
    totals = table.groupby(level=0).sum()
    order = ["kernel", "kernel blocks", "normal equations", "factorisation", "inverse", "leave-one-out", "fit"]
    lines = []
    for setting in table.index.get_level_values(0).unique():
        part = table.loc[setting].reindex([o for o in order if o in table.loc[setting].index])
        for stage, row in part.iterrows():
            lines.append(dict(setting=setting, stage=stage, before_s=row["before"], now_s=row["now"]))
        tot = totals.loc[setting]
        lines.append(dict(setting=setting, stage="total", before_s=tot["before"], now_s=tot["now"],
                          ratio=tot["before"] / tot["now"]))
    print(pd.DataFrame(lines).to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep=""))


if __name__ == "__main__":
    main()
