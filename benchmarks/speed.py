"""Speed of skkd against its reference libraries: every row of issue 17, one run.

Each row times skkd and its reference side by side in the same run, on the
same data, and gives the ratio (``speed-up`` = reference seconds / skkd
seconds; above 1 is faster) and each side's peak memory. Warm rows call each
side once first (numba compilation, worker start-up excluded); cold rows time
a fresh interpreter (import + first call). Rows, in order (``--only``
section names in brackets):

- [rulsif] RuLSIF change scores of one hour of a 4-channel 4 Hz series
  (``benchmarks/rulsif_speed.py``'s series and densratio loop), fixed
  sigma/ridge and 3 x 3 leave-one-out search at every point, vs
  ``densratio`` looped per point (timed on evenly spaced points and
  extrapolated linearly; scores compared there);
- [gaf] ``GAFImager`` 64 x 64 GASF of 4,000 windows x 256 samples (a seeded
  random walk) vs ``pyts.image.GramianAngularField``, and against the
  memory-bandwidth bound of writing the images: ``np.empty`` + ``fill`` of
  the same float32 array (fresh pages, as the transform's output);
- [audio] ``LogMelExtractor`` at its defaults (float32) on 500 EmoDB clips
  vs a per-clip librosa loop (also 1 torch thread, float64, cold start);
  ``SpeechFeatures`` cold (new process, 10 clips) vs the same features
  through librosa in a new process;
- [physio] EDA + BVP + TEMP + ACC features of all 3,695 Stress-Predict
  60-s windows through ``skkd.features`` in a new process (cold) vs a plain
  per-window neurokit2 loop in a new process (:func:`physio_rows`);
- [train] a small tabular student (700 windows x 24 features, 60 epochs,
  ``alpha=0``) vs ``MLPClassifier((64, 32))``, at default settings, with one
  torch thread, and inside ``cross_validate(n_jobs=2)`` (new processes);
- [predict] the student's ``predict_proba`` on 200,000 tabular windows, at
  default settings vs ``OMP_NUM_THREADS=1`` (new processes: the thread
  settings are real);
- [cold] the main job ``python -m skkd``, cold, in a new process (goal 60 s);
- [export] per-window latency of a fitted student through
  ``predict_proba`` vs its TorchScript and ONNX Runtime exports.

Peak memory: rows run in this process report the rise of the resident set's
high-water mark over the call (``VmHWM`` after resetting it through
``/proc/self/clear_refs``, Linux; marked ``+``); rows run in a new process
report that process's peak resident set (``VmHWM`` as it exits, including
what its imports take, not its worker processes; marked ``proc``). In-process
rows also give tracemalloc's peak (``tm``: numpy's and Python's allocations;
torch's own allocator is invisible to it).

Run ``python benchmarks/speed.py`` (``--quick``: every row on small data,
a smoke run; ``--only SECTION`` for one section). Ratios only mean something
within one run; absolute seconds only on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import latency_ms  # noqa: E402

SECTIONS = ("rulsif", "gaf", "audio", "physio", "train", "predict", "cold", "export")


def _row(task, reference, t_ref, ours, t_ours, *, mem_ref=None, mem_ours=None, goal="",
         note="") -> dict:
    """One table row; ``t_ref=None`` for a row measured against a goal only."""
    return dict(task=task, reference=reference, t_ref=t_ref, ours=ours, t_ours=t_ours,
                mem_ref=mem_ref, mem_ours=mem_ours, goal=goal, note=note)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return float(line.split()[1]) / 1024
    raise KeyError(key)


def _peak_mb(fn, trace: bool = True) -> str | None:
    """Peak memory of ``fn()`` in MB: ``"tm 65, rss +66"``.

    ``tm``: tracemalloc's peak of the allocations made during the call
    (numpy's and Python's; torch's own allocator is not traced). ``rss``:
    the rise of the resident set's high-water mark over the call (``VmHWM``
    after a reset through ``/proc/self/clear_refs``; Linux only; memory the
    allocator already held does not count). ``trace=False``: rss only (a
    call that is also timed, as tracemalloc slows Python's allocations).
    """
    import tracemalloc

    rss = None
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_mb("VmRSS")
    except (OSError, KeyError):
        before = None
    traced = None
    if trace:
        tracemalloc.start()
    try:
        result = fn()
        if trace:
            traced = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        if trace:
            tracemalloc.stop()
    if before is not None:
        rss = max(_status_mb("VmHWM") - before, 0.0)
    del result
    parts = ([] if traced is None else [f"tm {traced:.0f}"]) + (
        [] if rss is None else [f"rss +{rss:.0f}"])
    return ", ".join(parts) or None


#: run first in every new process: on exit, write its peak RSS (VmHWM, MB) to $SKKD_BENCH_HWM
_HWM_PRELUDE = """
import atexit as _atexit
def _skkd_bench_hwm():
    import os
    path = os.environ.get("SKKD_BENCH_HWM")
    try:
        with open("/proc/self/status") as f:
            kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
        with open(path, "w") as f:
            f.write(str(int(kb) / 1024))
    except (OSError, StopIteration, TypeError):
        pass
_atexit.register(_skkd_bench_hwm)
del _atexit
"""


def _python(code: str, *args, env: dict | None = None) -> tuple[float, str | None, list[str]]:
    """Run ``python -c code args`` in a new process: (wall s, peak RSS, stdout's last line split).

    The peak is the new process's own resident-set high-water mark
    (``VmHWM``, read as it exits; its worker processes are not included), as
    ``"123 proc"``; None where ``/proc`` is missing. (``ru_maxrss`` of a
    child is no use here: Linux carries the parent's RSS into a child that
    was forked or vforked before ``exec``.) Raises ``RuntimeError`` with the
    end of stderr when the process fails.
    """
    env = dict(os.environ if env is None else env)
    hwm = os.path.join(_tmpdir(), "hwm")
    env["SKKD_BENCH_HWM"] = hwm
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _HWM_PRELUDE + code, *map(str, args)],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code[:60]!r}... failed ({done.returncode}):\n"
                           f"{done.stderr[-3000:]}")
    try:
        with open(hwm) as f:
            mem = f"{float(f.read()):.0f} proc"
    except (OSError, ValueError):
        mem = None
    lines = done.stdout.strip().splitlines()
    return wall, mem, (lines[-1].split() if lines else [])


def _tmpdir() -> str:
    return tempfile.mkdtemp(prefix="skkd-bench-")


# -- RuLSIF ----------------------------------------------------------------
def rulsif_rows(quick: bool) -> list[dict]:
    """skkd's RuLSIF change scores vs densratio looped per point (``rulsif_speed.py``'s setup).

    skkd scores every point of the series (one hour; quick: ten minutes) with
    ``n_jobs=-1``; densratio runs on evenly spaced points and its time is
    extrapolated linearly to all points (each call is independent). A run
    shorter than 2 s is timed 3 times and the fastest counts.
    """
    import rulsif_speed as rs

    from skkd.opportune import median_heuristic, rulsif_change_scores

    x = rs.make_series()
    if quick:
        x = x[:, : 10 * 60 * rs.FS]
    H = rs.hankel_samples(x, rs.K)
    med = median_heuristic(x, k=rs.K, n=rs.N)
    subset = {"1x1": 16 if quick else 400, "3x3": 6 if quick else 120}
    goals = {"1x1": ">= 50x", "3x3": ">= 20x, <= 10 s, scores <= 1e-6"}
    rows = []
    for name, cfg in rs.SETTINGS.items():
        sigmas = [med * f for f in cfg["factors"]]

        def ours():
            return rulsif_change_scores(
                x, k=rs.K, n=rs.N, alpha=rs.ALPHA, sigma=sigmas if len(sigmas) > 1 else sigmas[0],
                ridge=cfg["ridge"], nonneg="clip", n_jobs=-1)

        box = {}

        def run():
            t0 = time.perf_counter()
            box["cs"] = ours()
            box["t"] = time.perf_counter() - t0

        mem = _peak_mb(run, trace=False)
        cs, t_ours = box["cs"], box["t"]
        if t_ours < 2.0:  # sub-second runs vary by ±25 %: the fastest of 3, as timeit does
            for _ in range(2):
                run()
                t_ours = min(t_ours, box["t"])
        P = cs.score.size
        points = np.linspace(0, P - 1, subset[name]).round().astype(int)
        ref, t_sub = rs.densratio_scores(H, points, sigmas, cfg["ridge"])
        t_ref = t_sub * P / points.size
        diff = float(np.abs(cs.score[points] - ref).max())
        rows.append(_row(
            f"RuLSIF {name} sigma/ridge, {x.shape[1] / rs.FS / 3600:.2g} h x {x.shape[0]} ch "
            f"at {rs.FS} Hz ({P} points)", "densratio loop (extrap.)", t_ref,
            "rulsif_change_scores(n_jobs=-1)", t_ours, mem_ours=mem, goal=goals[name],
            note=f"densratio timed on {points.size} points; max |score diff| {diff:.1e}"))
    return rows


# -- GAF -----------------------------------------------------------------------
def gaf_rows(n: int, repeat: int, size: int = 64, T: int = 256) -> list[dict]:
    """GAFImager vs pyts and vs the memory-bandwidth bound of writing the images.

    ``n`` windows of ``T`` samples (a seeded random walk), ``size x size``
    GASF in float32 (the default). The bound is ``np.empty`` + ``fill`` of
    an array of the output's shape and dtype: fresh pages, written once,
    which the transform cannot do faster; a copy of a (warm) array of the
    same bytes reads them too.
    """
    from pyts.image import GramianAngularField  # compiles numba kernels when imported

    from skkd.features import GAFImager

    X = np.cumsum(np.random.default_rng(0).normal(size=(n, T)), axis=1)
    shape = (n, size, size)
    ref = GramianAngularField(image_size=size)
    ours, ours2 = GAFImager(image_size=size).fit(X), GAFImager(image_size=size, n_jobs=2).fit(X)
    for est in (ref, ours, ours2):  # warm-up (numba compiles on the first call)
        est.fit_transform(X[:8])
    src = np.ones(shape, dtype=np.float32)

    def fill():
        out = np.empty(shape, dtype=np.float32)
        out.fill(1.0)
        return out

    fns = {"pyts": lambda: ref.fit_transform(X), "ours": lambda: ours.transform(X),
           "ours2": lambda: ours2.transform(X), "fill": fill, "copy": src.copy}
    # round robin, best of `repeat`: on a loaded machine a busy spell then hits every side;
    # CPU seconds (process_time) of the one-thread sides are less sensitive to the load
    wall = {key: [] for key in fns}
    cpu = {key: [] for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    timed = {key: (min(wall[key]), _peak_mb(fn)) for key, fn in fns.items()}
    cpu = {key: min(v) for key, v in cpu.items()}
    err = float(np.abs(ours.transform(X)[:, 0] - ref.fit_transform(X)).max())
    task = f"GAF {size}x{size}, {n} windows x {T}"
    mb = np.prod(shape) * 4 / 1e6
    return [
        _row(task, "pyts", timed["pyts"][0], "GAFImager()", timed["ours"][0],
             mem_ref=timed["pyts"][1], mem_ours=timed["ours"][1], goal=">= 20x",
             note=f"float32, one thread; max |diff| vs pyts {err:.1e}; CPU s: pyts "
                  f"{cpu['pyts']:.3g}, ours {cpu['ours']:.3g} ({cpu['pyts'] / cpu['ours']:.3g}x)"),
        _row(task, "pyts", timed["pyts"][0], "GAFImager(n_jobs=2)", timed["ours2"][0],
             mem_ref=timed["pyts"][1], mem_ours=timed["ours2"][1], note="two threads"),
        _row(task, "np.empty+fill (write bound)", timed["fill"][0], "GAFImager()",
             timed["ours"][0], mem_ref=timed["fill"][1], mem_ours=timed["ours"][1],
             goal=">= 0.33x (within 3x)",
             note=f"{mb:.0f} MB written; a copy of as many bytes: {timed['copy'][0]:.3g} s; "
                  f"CPU s: fill {cpu['fill']:.3g}, ours {cpu['ours']:.3g} "
                  f"({cpu['fill'] / cpu['ours']:.3g}x)"),
    ]


# -- audio -----------------------------------------------------------------------
def _emodb(n: int) -> tuple[np.ndarray, int]:
    from skkd.datasets import load_emodb

    data = load_emodb()
    clips = data.X["audio"]
    reps = -(-n // len(clips))
    return np.concatenate([clips] * reps)[:n], data.fs["audio"]


def logmel_rows(n: int, repeat: int) -> list[dict]:
    """LogMelExtractor (defaults: float32, batches over torch's threads) vs a librosa loop.

    Warm: each side runs once first. The parity note compares the default
    with the loop's own output on bins within ``top_db`` of each clip's peak
    (tests hold it to 1e-3 dB against librosa in float64 on EmoDB).
    """
    import librosa
    import torch

    from skkd.features import LogMelExtractor

    clips, sr = _emodb(n)

    def reference():
        return [librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr)) for x in clips]

    ours = LogMelExtractor(sr=sr).fit(clips[:4])
    ours64 = LogMelExtractor(sr=sr, dtype="float64").fit(clips[:4])
    ref_out = np.stack(reference())  # also the warm-up
    ours.transform(clips[:8]), ours64.transform(clips[:8])
    t_ref = _best(reference, repeat)
    mem_ref = _peak_mb(reference)
    within = ref_out > ref_out.max(axis=(1, 2), keepdims=True) - 80.0
    diff = float(np.abs(ours.transform(clips)[:, 0] - ref_out)[within].max())
    rows = []
    threads = torch.get_num_threads()
    task = f"log-mel, {len(clips)} EmoDB clips (warm)"
    for label, est, n_threads in (
        ("LogMelExtractor()", ours, threads),
        ("LogMelExtractor(), 1 torch thread", ours, 1),
        ("LogMelExtractor(dtype=float64)", ours64, threads),
    ):
        torch.set_num_threads(n_threads)
        try:
            t_ours = _best(lambda: est.transform(clips), repeat)
            mem = _peak_mb(lambda: est.transform(clips))
        finally:
            torch.set_num_threads(threads)
        note = f"torch threads {n_threads}"
        if est is ours and n_threads == threads:
            note += f"; max |dB diff| vs the loop within top_db {diff:.1e}"
        rows.append(_row(task, "librosa loop", t_ref, label, t_ours, mem_ref=mem_ref,
                         mem_ours=mem, goal=">= 5x" if est is ours and n_threads == threads
                         else "", note=note))
    if torch.cuda.is_available():  # the same default on the GPU (clips copied per batch)
        for batch_size in (4, 64):
            gpu = LogMelExtractor(sr=sr, device="cuda", batch_size=batch_size).fit(clips[:4])
            gpu.transform(clips[:8])
            t_gpu = _best(lambda: gpu.transform(clips), repeat)
            gdiff = float(np.abs(gpu.transform(clips)[:, 0] - ref_out)[within].max())
            rows.append(_row(task, "librosa loop", t_ref,
                             f"LogMelExtractor(device=cuda, batch_size={batch_size})", t_gpu,
                             note=f"{torch.cuda.get_device_name()}; max |dB diff| {gdiff:.1e}"))
    # cold start: a fresh interpreter imports, reads the clips, transforms 16 of them
    np.save(path := os.path.join(_tmpdir(), "clips.npy"), clips[:16])
    ref_code = ("import sys, numpy as np, librosa; X = np.load(sys.argv[1])\n"
                "[librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=int(sys.argv[2]))) "
                "for x in X]")
    our_code = ("import sys, numpy as np; from skkd.features import LogMelExtractor\n"
                "LogMelExtractor(sr=int(sys.argv[2])).fit_transform(np.load(sys.argv[1]))")
    t_ref, mem_ref, _ = _python(ref_code, path, sr)
    t_ours, mem_ours, _ = _python(our_code, path, sr)
    rows.append(_row("log-mel cold start (new process, 16 clips)", "librosa loop", t_ref,
                     "LogMelExtractor()", t_ours, mem_ref=mem_ref, mem_ours=mem_ours,
                     note="import + first call"))
    return rows


_COLD_SPEECH_OURS = """
import sys, time
t0 = time.perf_counter()
import numpy as np
from skkd.features import SpeechFeatures
X = np.load(sys.argv[1]); sr = int(sys.argv[2])
t1 = time.perf_counter()
SpeechFeatures(sr=sr).fit_transform(X)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, int("numba" in sys.modules), int("librosa" in sys.modules))
"""

_COLD_SPEECH_LIBROSA = """
import sys, time
t0 = time.perf_counter()
import numpy as np, librosa
X = np.load(sys.argv[1]); sr = int(sys.argv[2])
t1 = time.perf_counter()
for x in X:
    np.concatenate([
        librosa.feature.mfcc(y=x, sr=sr, n_mfcc=40),
        librosa.feature.chroma_stft(y=x, sr=sr),
        librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr)),
        librosa.feature.zero_crossing_rate(x),
        librosa.feature.spectral_centroid(y=x, sr=sr),
        librosa.feature.spectral_rolloff(y=x, sr=sr),
        librosa.feature.spectral_bandwidth(y=x, sr=sr),
    ])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, int("numba" in sys.modules), int("librosa" in sys.modules))
"""


def speech_cold_rows(fresh_numba_cache: bool) -> list[dict]:
    """SpeechFeatures' first call in a new process (10 EmoDB clips) vs librosa's.

    Each side runs in a fresh interpreter that imports what it needs and
    computes the default features once; times are wall seconds of the whole
    process (the note splits import / first call). With
    ``fresh_numba_cache`` librosa also runs with an empty ``NUMBA_CACHE_DIR``
    (a fresh install). Values: ``tests/test_features_speech.py`` holds
    SpeechFeatures to librosa's.
    """
    clips, sr = _emodb(10)
    path = os.path.join(_tmpdir(), "speech10.npy")
    np.save(path, clips)

    def cold(code: str, env: dict | None = None) -> tuple[float, str | None, str]:
        total, mem, words = _python(code, path, sr, env=env)
        imp, first, numba = words[:3]
        return total, mem, (f"import {float(imp):.1f} s + first call {float(first):.1f} s"
                            f"{', numba imported' if numba == '1' else ', no numba'}")

    t_ours, mem_ours, note_ours = cold(_COLD_SPEECH_OURS)
    runs = [("librosa, numba cache as installed", None)]
    if fresh_numba_cache:
        runs.append(("librosa, empty numba cache",
                     dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="skkd-numba-"))))
    rows = []
    for label, env in runs:
        t_ref, mem_ref, note_ref = cold(_COLD_SPEECH_LIBROSA, env)
        rows.append(_row("SpeechFeatures cold (new process, 10 EmoDB clips)", label, t_ref,
                         "SpeechFeatures()", t_ours, mem_ref=mem_ref, mem_ours=mem_ours,
                         goal="<= 5 s", note=f"ours: {note_ours}; librosa: {note_ref}"))
    return rows


# -- physiological features ----------------------------------------------------
_PHYSIO_OURS = """
import sys, time, warnings
t0 = time.perf_counter()
import numpy as np
from skkd.features import (ACCFeatures, BVPFeatures, EDAFeatures, FeatureExtractionWarning,
                           TEMPFeatures)
folder = sys.argv[1]
t1 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FeatureExtractionWarning)
    for name, cls, fs in (("eda", EDAFeatures, 4), ("bvp", BVPFeatures, 64),
                          ("temp", TEMPFeatures, 4), ("acc", ACCFeatures, 32)):
        X = np.load(f"{folder}/{name}.npy")
        cls(fs=fs, verbose=0, n_jobs=-1).fit_transform(X)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(X))
"""

_PHYSIO_NEUROKIT = """
import sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import neurokit2 as nk
folder, n = sys.argv[1], int(sys.argv[2])
X = {name: np.load(f"{folder}/{name}.npy") for name in ("eda", "bvp", "temp", "acc")}
pick = np.linspace(0, len(X["eda"]) - 1, n).round().astype(int)
t1 = time.perf_counter()
failed = 0
warnings.simplefilter("ignore")
for i in pick:
    try:
        nk.eda_process(X["eda"][i, 0], sampling_rate=4, method_phasic="highpass")
    except Exception:
        failed += 1
    try:
        clean = nk.ppg_clean(X["bvp"][i, 0], sampling_rate=64)
        peaks = nk.ppg_peaks(clean, sampling_rate=64)[1]["PPG_Peaks"]
        nk.hrv_time(peaks, sampling_rate=64)
    except Exception:
        failed += 1
    temp = X["temp"][i, 0]
    temp.mean(), temp.std(), np.polyfit(np.arange(len(temp)) / 4, temp, 1)
    mag = np.sqrt((X["acc"][i] ** 2).sum(axis=0))
    mag.mean(), mag.std(), np.abs(np.diff(mag)).mean()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(pick), failed)
"""


def physio_rows(quick: bool) -> list[dict]:
    """EDA + BVP + TEMP + ACC features of Stress-Predict windows: skkd vs a neurokit2 loop.

    Reference: a new process that loops over windows with neurokit2
    (``eda_process`` with the same highpass decomposition; ``ppg_clean`` +
    ``ppg_peaks`` + ``hrv_time``) and numpy (TEMP level/slope, ACC
    magnitude), on evenly spaced windows (full: 300, quick: 10), its loop time
    extrapolated linearly to the windows of each skkd row. Two skkd rows:

    - **recording level** (the goal row): a new process runs
      ``benchmarks/physio_speed.py``'s cold script: it imports skkd, places
      the windows with ``load_stress_predict()`` (``meta["t_start"]``),
      reads each subject's raw E4 CSVs and runs
      ``skkd.features.recording_features`` once per subject on the continuous
      recordings - all 35 subjects, 3,695 windows (quick: 3 subjects). Its
      time is the child's whole wall time: interpreter start, imports,
      loader, CSV reading and features (split in the note);
    - **per window**: a new process imports ``skkd.features`` and runs
      ``EDAFeatures``, ``BVPFeatures``, ``TEMPFeatures`` and ``ACCFeatures``
      (``n_jobs=-1``) on the loader's windows (quick: 60), handed over as
      ``.npy`` files; the time includes the import, not the interpreter start.

    Values: the per-window extractors equal neurokit2 window by window, and
    recording-level values equal neurokit2 run on each whole recording and
    sliced (``tests/test_recording_features.py``; ``physio_speed.py`` prints
    the largest difference on all windows).
    """
    import json

    import physio_speed

    from skkd.datasets import load_stress_predict

    folder = _tmpdir()
    table_path = os.path.join(folder, "recording.pkl")
    wall_rec, mem_rec, words = _python(physio_speed.COLD, table_path, 3 if quick else 0)
    parts = json.loads(" ".join(words))
    data = load_stress_predict(signals=("eda", "bvp", "temp", "acc"))
    n = 60 if quick else data.X.n_windows
    pick = np.linspace(0, data.X.n_windows - 1, n).round().astype(int)
    for name in ("eda", "bvp", "temp", "acc"):
        np.save(os.path.join(folder, f"{name}.npy"), data.X[name][pick])
    _, mem_ours, (imp, t_ours, n_ours) = _python(_PHYSIO_OURS, folder)
    n_ref = 10 if quick else 300
    _, mem_ref, (ref_imp, t_loop, n_loop, failed) = _python(_PHYSIO_NEUROKIT, folder, n_ref)
    n_rec = int(parts["n_windows"])
    t_ref_rec = float(ref_imp) + float(t_loop) * n_rec / int(n_loop)
    t_ref = float(ref_imp) + float(t_loop) * n / int(n_loop)
    t_ours = float(imp) + float(t_ours)
    loop = f"loop timed on {n_loop} windows ({failed} neurokit2 calls failed)"
    return [
        _row(f"EDA+BVP+TEMP+ACC features, {n_rec} Stress-Predict 60-s windows, recording "
             "level (cold, from the raw files)", "neurokit2 loop (extrap.)", t_ref_rec,
             "recording_features", wall_rec, mem_ref=mem_ref, mem_ours=mem_rec,
             goal="<= 60 s (3,695 windows)",
             note=f"whole child: import {parts['import_s']:.1f} + loader {parts['load_s']:.1f}"
                  f" + CSV {parts['read_s']:.1f} + features {parts['features_s']:.1f} s; "
                  f"{loop}; {os.cpu_count()} CPUs"),
        _row(f"EDA+BVP+TEMP+ACC features, {n} Stress-Predict 60-s windows, per window (cold)",
             "neurokit2 loop (extrap.)", t_ref, "skkd.features, n_jobs=-1", t_ours,
             mem_ref=mem_ref, mem_ours=mem_ours, goal="<= 60 s (3,695 windows)",
             note=f"import {float(imp):.1f} s; {loop}; {os.cpu_count()} CPUs"),
    ]


# -- training and inference ------------------------------------------------------
#: variables that limit a process's threads; a "default" child runs without them
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _env(threads: int | None) -> dict:
    """This process's environment without thread limits, or with all of them at ``threads``."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if threads is not None:
        env.update({k: str(threads) for k in THREAD_VARS})
    return env


_CHILD_COMMON = """
import sys, time, warnings
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return float(line.split()[1]) / 1024


def timed(fn):
    # (seconds, rise of the RSS high-water mark in MB or nan)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS")
    except OSError:
        before = None
    t0 = time.perf_counter()
    fn()
    t = time.perf_counter() - t0
    return t, (status("VmHWM") - before if before is not None else float("nan"))


def best_of(fn, repeat=3):
    # the fastest of `repeat` runs (timeit's rule: the others only add noise); memory of the first
    runs = [timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[0][1]


def student(epochs):
    from sklearn.linear_model import LogisticRegression
    from skkd.estimators import DistilledStudentClassifier
    return DistilledStudentClassifier(LogisticRegression(), alpha=0, max_epochs=epochs,
                                      random_state=0)


class OneThread(ClassifierMixin, BaseEstimator):
    # fits its estimator with torch held at one intra-op thread (in whichever worker)
    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        import torch
        torch.set_num_threads(1)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        return self.estimator_.predict(X)


X, y = make_classification(n_samples=int(sys.argv[2]), n_features=24, n_informative=12,
                           random_state=0)
X = X.astype(np.float32)
epochs = int(sys.argv[3])
"""

_TRAIN_CHILD = _CHILD_COMMON + """
from sklearn.neural_network import MLPClassifier
from sklearn.model_selection import cross_validate
import torch
mlp = MLPClassifier((64, 32), random_state=0)
out = []
if sys.argv[1] == "fit":
    student(1).fit(X, y)  # warm-up: torch's first calls
    mlp_t = best_of(lambda: clone(mlp).fit(X, y))
    default_t = best_of(lambda: student(epochs).fit(X, y))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    one_t = best_of(lambda: student(epochs).fit(X, y))
else:  # cross_validate(n_jobs=2), workers warmed up first
    cv = lambda est: cross_validate(est, X, y, cv=5, n_jobs=2)
    cv(student(1))
    mlp_t = best_of(lambda: cv(mlp))
    default_t = best_of(lambda: cv(student(epochs)))
    one_t = best_of(lambda: cv(OneThread(student(epochs))))
    threads = torch.get_num_threads()
print(*mlp_t, *default_t, *one_t, threads)
"""

_PREDICT_CHILD = _CHILD_COMMON + """
import torch
model = student(epochs).fit(X, y)
big = np.random.default_rng(0).normal(size=(int(sys.argv[4]), X.shape[1])).astype(np.float32)
model.predict_proba(big[:1000])  # warm-up
t, mem = min(timed(lambda: model.predict_proba(big)) for _ in range(2))
print(t, mem, torch.get_num_threads())
"""


def _mb(value: str) -> str | None:
    return None if value == "nan" else f"rss +{max(float(value), 0.0):.0f}"


def train_rows(quick: bool) -> list[dict]:
    """Fit time of a small tabular student vs MLPClassifier((64, 32)), in new processes.

    700 windows x 24 features (``make_classification``, seeded), the student
    ``DistilledStudentClassifier(LogisticRegression(), alpha=0,
    max_epochs=60)`` at its defaults otherwise (quick: 200 windows, 3
    epochs). One process fits the MLP, the student with torch's default
    threads, then the student with one torch thread; another runs the same in
    5-fold ``cross_validate(n_jobs=2)`` (one torch thread per worker forced
    by a wrapper for the last). Both start with no thread variables set.
    Each time is the fastest of 3 runs: single runs of these sub-second fits
    vary by ±20 % on a 2-core machine.
    """
    n, epochs = (200, 3) if quick else (700, 60)
    rows = []
    for mode, label in (("fit", "fit"), ("cv", "5-fold cross_validate(n_jobs=2)")):
        _, _, words = _python(_TRAIN_CHILD, mode, n, epochs, env=_env(None))
        t_mlp, m_mlp, t_def, m_def, t_one, m_one = map(float, words[:6])
        threads = words[6]
        task = f"tabular student {label}, {n}x24, {epochs} epochs, alpha=0"
        rows.append(_row(task, "MLPClassifier((64, 32))", t_mlp, "student, default threads",
                         t_def, mem_ref=_mb(words[1]), mem_ours=_mb(words[3]),
                         goal=">= 0.5x (within 2x)", note=f"torch threads {threads}"))
        rows.append(_row(task, "student, 1 torch thread", t_one, "student, default threads",
                         t_def, mem_ref=_mb(words[5]), mem_ours=_mb(words[3]),
                         goal=">= 1x"))
    return rows


def predict_rows(quick: bool) -> list[dict]:
    """The student's predict_proba on 200,000 tabular windows (quick: 20,000), in new processes.

    Default: no thread variables set; reference: ``OMP_NUM_THREADS=1`` (and
    the other thread variables at 1). The student is fitted for 2 epochs in
    each process (the work of prediction does not depend on it).
    """
    n_big = 20_000 if quick else 200_000
    out = {}
    for key, threads in (("one", 1), ("default", None)):
        _, mem, words = _python(_PREDICT_CHILD, "predict", 700, 2, n_big, env=_env(threads))
        out[key] = (float(words[0]), _mb(words[1]), words[2], mem)
    return [_row(f"student predict_proba, {n_big} tabular windows", "OMP_NUM_THREADS=1",
                 out["one"][0], "default threads", out["default"][0], mem_ref=out["one"][1],
                 mem_ours=out["default"][1], goal="<= 2 s (200,000)",
                 note=f"torch threads {out['one'][2]} vs {out['default'][2]}; process peaks "
                      f"{out['one'][3]} vs {out['default'][3]}")]


def cold_rows(quick: bool) -> list[dict]:
    """The main job, ``python -m skkd`` (quick: ``--quick``), timed cold in a new process."""
    args = ["--quick"] if quick else []
    code = "import runpy; runpy.run_module('skkd', run_name='__main__', alter_sys=True)"
    t, mem, _ = _python(code, *args, env=_env(None))
    return [_row(f"main job: python -m skkd{''.join(' ' + a for a in args)} (cold)", None, None,
                 "new process", t, mem_ours=mem, goal="<= 60 s")]


# -- exported students -------------------------------------------------------------
def export_rows(calls: int, max_epochs: int) -> list[dict]:
    """Single-window latency: estimator.predict_proba vs its TorchScript and ONNX files.

    Times are the median of ``calls`` one-window calls, reported per 1000
    windows; torch and ONNX Runtime both run one thread.
    """
    import tempfile
    from pathlib import Path

    import onnxruntime as ort
    import torch

    from skkd.datasets import load_stress_predict_sample
    from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
    from skkd.export import ExportedModel, export_onnx, export_torchscript, exported_inputs

    data = load_stress_predict_sample()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    folder = Path(tempfile.mkdtemp(prefix="skkd-bench-export-"))
    rows = []
    try:
        for name, recurrent in (("CNN", False), ("CNN+BiLSTM", True)):
            student = DistilledStudentClassifier(
                TeacherClassifier(max_epochs=max_epochs, module__width=16, device="cpu",
                                  random_state=0),
                student_inputs=["eda"], module__width=16, module__recurrent=recurrent,
                teacher_targets="in_sample", max_epochs=max_epochs, device="cpu",
                random_state=0,
            ).fit(data.X, data.y, groups=data.groups)
            one = data.X.select(["eda"])[:1]  # one 60-s window at 4 Hz
            inputs = exported_inputs(student, one)
            script = ExportedModel(export_torchscript(student, folder / f"{name}.pt", data.X[:8]))
            session = ort.InferenceSession(
                str(export_onnx(student, folder / f"{name}.onnx", data.X[:8])),
                options, providers=["CPUExecutionProvider"])
            t_ref = latency_ms(lambda: student.predict_proba(one), repeats=calls) / 1e3
            for runtime, fn in (
                ("TorchScript", lambda: script.predict_proba(inputs)),
                ("ONNX Runtime", lambda: session.run(None, inputs)),
            ):
                t = latency_ms(fn, repeats=calls) / 1e3
                rows.append(_row(
                    f"{name} student, 1 EDA window/call (x1000 calls)", "predict_proba",
                    1000 * t_ref, runtime, 1000 * t,
                    note=f"{1e3 * t_ref:.2f} vs {1e3 * t:.2f} ms/window, "
                         f"{student.n_params_} params"))
    finally:
        torch.set_num_threads(threads)
    return rows


def format_rows(rows: list[dict]) -> str:
    """The rows as a Markdown table (seconds, ratio, peak memory in MB, goal, note)."""
    header = ("task", "reference", "ref s", "skkd", "skkd s", "speed-up", "ref MB", "skkd MB",
              "goal", "note")

    def cell(v):
        return "-" if v is None else f"{v:.3g}"

    lines = [header] + [
        (r["task"], r["reference"] or "-", cell(r["t_ref"]), r["ours"], cell(r["t_ours"]),
         "-" if r["t_ref"] is None else f"{r['t_ref'] / r['t_ours']:.3g}x",
         r["mem_ref"] or "-", r["mem_ours"] or "-", r["goal"] or "-", r["note"] or "")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def run(sections=SECTIONS, quick: bool = False, progress: bool = False) -> list[dict]:
    """Measure the rows of ``sections`` (names in :data:`SECTIONS`); quick: small data."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"sections must be among {SECTIONS}, got {sorted(unknown)}.")
    rows = []
    for name in SECTIONS:
        if name not in sections:
            continue
        t0 = time.perf_counter()
        if name == "rulsif":
            rows += rulsif_rows(quick)
        elif name == "gaf":
            rows += gaf_rows(n=400 if quick else 4000, repeat=3 if quick else 15)
        elif name == "audio":
            rows += logmel_rows(n=32 if quick else 500, repeat=1 if quick else 2)
            rows += speech_cold_rows(fresh_numba_cache=not quick)
        elif name == "physio":
            rows += physio_rows(quick)
        elif name == "train":
            rows += train_rows(quick)
        elif name == "predict":
            rows += predict_rows(quick)
        elif name == "cold":
            rows += cold_rows(quick)
        elif name == "export":
            rows += export_rows(calls=50 if quick else 1000, max_epochs=2 if quick else 10)
        print(f"[speed] {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        if progress:  # the rows so far, in case a long run is cut short
            print(format_rows(rows), file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every row on small data (smoke run)")
    parser.add_argument("--only", choices=SECTIONS, action="append", default=None,
                        help="run this section only (repeatable)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rows = run(args.only or SECTIONS, quick=args.quick, progress=True)
    try:
        load = "load average %.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        load = "load average unknown"
    print(f"\nskkd speed ({'quick' if args.quick else 'full'} run, {os.cpu_count()} CPUs, "
          f"{load} at the end, python {sys.version.split()[0]}, "
          f"{time.perf_counter() - t0:.0f} s in all)\n")
    print(format_rows(rows))
    print("\nspeed-up = ref s / skkd s (above 1: skkd faster). Peak MB: 'tm N' tracemalloc's "
          "peak over the call (numpy + Python, not torch's allocator); 'rss +N' the rise of the "
          "RSS high-water mark (VmHWM) over the call; 'N proc' the peak RSS (VmHWM) of the new "
          "process the row ran in, imports included.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(quick=args.quick, cpus=os.cpu_count(), load=load, rows=rows), f,
                      indent=2)
    return rows


if __name__ == "__main__":
    main()
