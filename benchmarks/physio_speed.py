"""Speed of physiological features on all Stress-Predict windows: recording level vs per window.

All 3,695 Stress-Predict windows (60 s, hop 30 s; EDA 4 Hz, BVP 64 Hz, TEMP
4 Hz, ACC 32 Hz) get EDA + BVP + TEMP + ACC features three ways, in one run:

* **reference** - a plain per-window neurokit2 loop: ``nk.eda_process`` and
  ``nk.ppg_clean`` + ``nk.ppg_peaks`` on every window (features from their
  outputs), TEMP and ACC statistics window by window;
* **per window, batched** - ``EDAFeatures``, ``BVPFeatures``, ``TEMPFeatures``,
  ``ACCFeatures`` (``n_jobs=1``) on the loader's windows: filters batched over
  windows, values equal to the reference (checked here);
* **recording level, cold** - a fresh Python process that reads the raw E4
  files and runs :func:`skkd.features.recording_features` once per subject on
  the continuous recordings, at the loader's window start times
  (``meta["t_start"]``). Its time includes the interpreter start, imports,
  the loader (labels, window placement) and reading the CSVs.

The reference loop runs on an evenly spaced subset of windows (all of them
with ``--full``) and its time is extrapolated linearly (every window is
independent). The recording-level values differ from per-window ones by
design (edges, thresholds relative to the recording; see
``recording_features``); the table gives how much, per feature group.

Usage::

    python benchmarks/physio_speed.py            # reference on 600 windows
    python benchmarks/physio_speed.py --quick    # reference on 150 windows
    python benchmarks/physio_speed.py --full     # reference on all windows

Writes ``results/physio_speed.json``. Timings only mean something as ratios
within one run; say whether the machine was busy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import results_folder  # noqa: E402

SIGNALS = ("eda", "bvp", "temp", "acc")

#: the cold recording-level run: a fresh interpreter, raw files to feature table.
#: argv: output pickle [, number of subjects (0: all)]; prints one JSON line.
COLD = r"""
import time, warnings, json, sys
t0 = time.perf_counter()
import numpy as np, pandas as pd
from dataclasses import replace
from skkd.datasets import get_data_home, load_stress_predict, read_empatica_e4
from skkd.features import FeatureExtractionWarning, recording_features
t_import = time.perf_counter()
data = load_stress_predict()       # the loader's windows: labels and window placement
t_load = time.perf_counter()
raw = get_data_home() / "stress-predict" / "Raw_data"
tables, t_read, t_feat, c_feat = [], 0.0, 0.0, 0.0
limit = int(sys.argv[2]) if len(sys.argv) > 2 and int(sys.argv[2]) > 0 else None
for subject, rows in list(data.meta.groupby("subject", sort=False))[:limit]:
    a = time.perf_counter()
    rec = read_empatica_e4(raw / subject, ("eda", "bvp", "temp", "acc"))
    # float32, as the loader stores its windows
    sig = {n: replace(s, data=s.data.astype(np.float32)) for n, s in rec.signals.items()}
    b, cb = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        F, _ = recording_features(sig, window_s=60, t_start=rows["t_start"].to_numpy())
    t_feat += time.perf_counter() - b
    c_feat += time.process_time() - cb
    t_read += b - a
    tables.append(F)
table = pd.concat(tables, ignore_index=True)
table.to_pickle(sys.argv[1])
print(json.dumps(dict(n_windows=len(table), import_s=t_import - t0, load_s=t_load - t_import,
                     read_s=t_read, features_s=t_feat, features_cpu_s=c_feat,
                     in_process_s=time.perf_counter() - t0, cpu_s=time.process_time())))
"""


def _nk_window_row(eda, bvp, temp, acc):
    """One window's features through neurokit2 (EDA, BVP) and plain per-window code."""
    import neurokit2 as nk

    from skkd.features import ACCFeatures, EDAFeatures, TEMPFeatures
    from skkd.features._cardiac import CARDIAC_FEATURES, cardiac_features

    try:
        out = _nk_eda_row(eda)
    except Exception:  # noqa: BLE001 - neurokit2 fails on this window: NaN, as EDAFeatures
        out = [np.nan] * len(EDAFeatures.feature_names)
    try:
        _, pinfo = nk.ppg_peaks(nk.ppg_clean(bvp, sampling_rate=64), sampling_rate=64)
        vals, _ = cardiac_features(pinfo["PPG_Peaks"], 64.0)
        out += [vals[f] for f in CARDIAC_FEATURES]
    except Exception:  # noqa: BLE001
        out += [np.nan] * len(CARDIAC_FEATURES)
    out += list(TEMPFeatures(fs=4)._window_features(temp)[0])
    out += list(ACCFeatures(fs=32)._window_features(acc)[0])
    return out


def _nk_eda_row(eda):
    import neurokit2 as nk

    from skkd.features._base import stats
    from skkd.features._eda import EDAFeatures

    signals, info = nk.eda_process(eda, sampling_rate=4)
    clean, tonic, phasic = (signals[c].to_numpy() for c in ("EDA_Clean", "EDA_Tonic",
                                                            "EDA_Phasic"))
    row = stats(clean, "eda", ("mean", "std", "min", "max", "range", "slope"), 4.0)
    row.update(stats(tonic, "scl", ("mean", "std", "slope"), 4.0))
    row["scr_std"] = float(np.std(phasic))
    n = len(info["SCR_Peaks"])
    row.update(scr_peaks_n=float(n), scr_peaks_per_min=n / (len(eda) / 4 / 60))
    for key, src, agg in (("scr_amplitude_mean", "SCR_Amplitude", np.mean),
                          ("scr_amplitude_max", "SCR_Amplitude", np.max),
                          ("scr_risetime_mean", "SCR_RiseTime", np.mean),
                          ("scr_recoverytime_mean", "SCR_RecoveryTime", np.mean)):
        v = np.asarray(info[src], float)
        v = v[np.isfinite(v)]
        row[key] = float(agg(v)) if v.size else np.nan
    return [row[f] for f in EDAFeatures.feature_names]


def reference_loop(X, idx) -> tuple[np.ndarray, float, float]:
    """The per-window neurokit2 loop on windows ``idx``: (features, seconds, CPU seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in idx:
            rows.append(_nk_window_row(*(np.asarray(X[s][i], np.float64)[0] if s != "acc"
                                         else np.asarray(X[s][i], np.float64)
                                         for s in SIGNALS)))
    return (np.array(rows, dtype=np.float64), time.perf_counter() - t0,
            time.process_time() - c0)


def per_window_batched(X) -> tuple[np.ndarray, float, float]:
    from skkd.features import (ACCFeatures, BVPFeatures, EDAFeatures,
                               FeatureExtractionWarning, TEMPFeatures)

    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureExtractionWarning)
        blocks = [EDAFeatures(fs=4, verbose=0).fit_transform(X["eda"]),
                  BVPFeatures(fs=64, verbose=0).fit_transform(X["bvp"]),
                  TEMPFeatures(fs=4, verbose=0).fit_transform(X["temp"]),
                  ACCFeatures(fs=32, verbose=0).fit_transform(X["acc"])]
    return np.concatenate(blocks, axis=1), time.perf_counter() - t0, time.process_time() - c0


def cold_recording_run(out_pickle: Path) -> tuple[dict, float]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", COLD, str(out_pickle)], check=True,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, bool]:
    """Largest |a - b| / max(1, |b|) where both are numbers, and whether NaNs coincide."""
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    ok = ~np.isnan(a) & ~np.isnan(b)
    d = np.abs(a[ok] - b[ok]) / np.maximum(1.0, np.abs(b[ok]))
    return (float(d.max()) if d.size else 0.0), same_nan


def physio_speed(n_reference: int | None, out_dir=None) -> dict:
    import pandas as pd

    from skkd.datasets import load_stress_predict

    tmp = Path(results_folder(out_dir)) / "physio_speed_recording.pkl"
    cold, cold_wall = cold_recording_run(tmp)         # first, while nothing is cached here
    recording = pd.read_pickle(tmp)
    tmp.unlink()
    t0 = time.perf_counter()
    data = load_stress_predict(signals=SIGNALS)
    t_load = time.perf_counter() - t0
    X, n = data.X, data.X.n_windows
    batched, t_batched, c_batched = per_window_batched(X)
    idx = (np.arange(n) if n_reference is None or n_reference >= n
           else np.unique(np.linspace(0, n - 1, n_reference).round().astype(int)))
    ref, t_ref_sub, c_ref_sub = reference_loop(X, idx)
    t_ref = t_ref_sub * n / len(idx)
    c_ref = c_ref_sub * n / len(idx)
    parity, same_nan = max_rel_diff(batched[idx], ref)
    columns = list(recording.columns)
    rec = recording.to_numpy()
    groups = {}
    for prefix in ("eda__eda_", "eda__scl_", "eda__scr_std", "eda__scr_peaks_n", "bvp__hr_mean",
                   "bvp__n_beats", "temp__", "acc__vm_", "acc__counts_per_min"):
        cols = [j for j, c in enumerate(columns) if c.startswith(prefix)]
        a, b = rec[:, cols], batched[:, cols]
        ok = ~np.isnan(a) & ~np.isnan(b)
        rel = np.abs(a - b)[ok] / np.maximum(1e-12, np.abs(b[ok]))
        groups[prefix] = dict(median_rel=float(np.median(rel)) if rel.size else 0.0,
                              share_equal_1e9=float(np.mean(rel <= 1e-9)) if rel.size else 1.0)
    load = os.getloadavg()
    result = dict(
        n_windows=int(n), n_reference_windows=int(len(idx)),
        reference_s=t_ref, reference_measured_s=t_ref_sub,
        per_window_batched_s=t_batched, loader_all_signals_s=t_load,
        reference_cpu_s=c_ref, per_window_batched_cpu_s=c_batched,
        recording_cold_wall_s=cold_wall, recording_cold_parts=cold,
        speedup_recording_cold_vs_reference=t_ref / cold_wall,
        speedup_recording_features_vs_reference=t_ref / cold["features_s"],
        speedup_batched_vs_reference=t_ref / t_batched,
        parity_batched_vs_neurokit_max_rel=parity, parity_nan_pattern_equal=same_nan,
        recording_vs_per_window=groups, loadavg_1_5_15=load, cpu_count=os.cpu_count(),
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reference on 150 windows")
    parser.add_argument("--full", action="store_true", help="reference on every window")
    parser.add_argument("--out", default=None, help="results folder")
    args = parser.parse_args(argv)
    n_ref = None if args.full else (150 if args.quick else 600)
    r = physio_speed(n_ref, args.out)
    folder = Path(results_folder(args.out))
    (folder / "physio_speed.json").write_text(json.dumps(r, indent=2))
    parts = r["recording_cold_parts"]
    print(f"{r['n_windows']} Stress-Predict windows, EDA + BVP + TEMP + ACC features "
          f"(load average {r['loadavg_1_5_15'][0]:.1f} on {r['cpu_count']} cores)")
    print(f"  per-window neurokit2 loop : {r['reference_s']:8.1f} s "
          f"(measured on {r['n_reference_windows']} windows, extrapolated)")
    print(f"  per window, batched       : {r['per_window_batched_s']:8.1f} s "
          f"({r['speedup_batched_vs_reference']:.0f}x), max rel. diff to neurokit2 "
          f"{r['parity_batched_vs_neurokit_max_rel']:.1e}, NaNs equal: "
          f"{r['parity_nan_pattern_equal']}")
    print(f"  recording level, cold     : {r['recording_cold_wall_s']:8.1f} s "
          f"({r['speedup_recording_cold_vs_reference']:.1f}x) = import {parts['import_s']:.1f}"
          f" + loader {parts['load_s']:.1f} + CSV {parts['read_s']:.1f} + features "
          f"{parts['features_s']:.1f} s ({r['speedup_recording_features_vs_reference']:.0f}x)")
    print(f"  CPU seconds (robust to a busy machine): neurokit2 loop {r['reference_cpu_s']:.1f},"
          f" batched {r['per_window_batched_cpu_s']:.1f}, recording-level features "
          f"{parts['features_cpu_s']:.1f}, whole cold child {parts['cpu_s']:.1f}")
    print("  recording vs per window (median rel. diff, share equal to 1e-9):")
    for k, v in r["recording_vs_per_window"].items():
        print(f"    {k:22s} {v['median_rel']:.2e}  {v['share_equal_1e9']:.2f}")


if __name__ == "__main__":
    main()
