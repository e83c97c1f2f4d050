"""Speed of skkd's signal transformers against their reference libraries.

Every row is measured side by side in one run, on the same data, after a
warm-up call of each side (numba compilation and worker start-up excluded,
except in the cold-start row, which times a fresh interpreter):

- GAFImager vs pyts.image.GramianAngularField (64 x 64 GASF of 60-s EDA windows);
- LogMelExtractor at its default settings (float32, default torch threads)
  vs a per-clip librosa loop (power_to_db(melspectrogram)) on 500 EmoDB
  clips, warm, with each side's peak memory (RSS high-water mark above the
  process's footprint before the call); also with one torch thread and with
  dtype="float64"; then cold start (new process: import + one batch);
- SpeechFeatures cold start: a new process imports and computes the default
  features of 10 EmoDB clips, vs the same features through librosa
  (mfcc, chroma_stft, melspectrogram, zero-crossing rate, spectral centroid,
  roll-off, bandwidth) in a new process, with librosa's numba cache as
  installed and (full run) with an empty one, as on a fresh install;
- EDA and BVP feature extraction on Stress-Predict windows, n_jobs=1 vs 2;
- per-window CPU latency of a fitted student (a 1-D CNN, and a CNN+BiLSTM, on
  60-s EDA windows of the shipped Stress-Predict sample) through the
  estimator's ``predict_proba`` vs its TorchScript and ONNX Runtime exports
  (``skkd.export``), one window per call, one thread each.

Run ``python benchmarks/speed.py`` (``--quick`` for a smoke run on small
subsets; ``--only audio`` for the log-mel and SpeechFeatures rows). Ratios
only mean something within one run on one idle machine; the librosa loop is
single-threaded, so the log-mel row is given with one torch thread too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import latency_ms  # noqa: E402


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def gaf_row(n: int, repeat: int) -> dict:
    from pyts.image import GramianAngularField

    from skkd.datasets import load_stress_predict
    from skkd.features import GAFImager

    data = load_stress_predict(signals=("eda",))
    X = data.X["eda"][:n, 0].astype(np.float64)
    ref, ours = GramianAngularField(image_size=64), GAFImager(image_size=64)
    ref.fit_transform(X[:8]), ours.fit_transform(X[:8])  # warm-up (numba compiles)
    t_ref = _best(lambda: ref.fit_transform(X), repeat)
    t_ours = _best(lambda: ours.fit_transform(X), repeat)
    err = float(np.abs(ours.fit_transform(X)[:, 0] - ref.fit_transform(X)).max())
    return dict(task=f"GAF 64x64, {len(X)} EDA windows", reference="pyts", t_ref=t_ref,
                ours="GAFImager", t_ours=t_ours, note=f"max |diff| {err:.1e}")


def _peak_mb(fn) -> float:
    """Peak resident memory (MB) of ``fn()`` above the process's footprint before it.

    Linux: resets the RSS high-water mark (``/proc/self/clear_refs``) and
    reads ``VmHWM``; NaN where that is not possible.
    """
    def status(key: str) -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) / 1024
        raise KeyError(key)

    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS")
    except OSError:
        return float("nan")
    result = fn()
    peak = status("VmHWM")
    del result
    return peak - before


def _emodb(n: int) -> tuple[np.ndarray, int]:
    from skkd.datasets import load_emodb

    data = load_emodb()
    clips = data.X["audio"]
    reps = -(-n // len(clips))
    return np.concatenate([clips] * reps)[:n], data.fs["audio"]


def logmel_rows(n: int, repeat: int) -> list[dict]:
    import librosa
    import torch

    from skkd.features import LogMelExtractor

    clips, sr = _emodb(n)

    def reference():
        return [librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr)) for x in clips]

    ours = LogMelExtractor(sr=sr).fit(clips[:4])  # the defaults: float32, batch_size=4
    ours64 = LogMelExtractor(sr=sr, dtype="float64").fit(clips[:4])
    ref_out = np.stack(reference())
    ours.transform(clips[:8]), ours64.transform(clips[:8])  # warm-up
    t_ref = _best(reference, repeat)
    mem_ref = _peak_mb(reference)
    # parity of the default against the loop's own output, bins within top_db of each peak
    within = ref_out > ref_out.max(axis=(1, 2), keepdims=True) - 80.0
    diff = float(np.abs(ours.transform(clips)[:, 0] - ref_out)[within].max())
    rows = []
    threads = torch.get_num_threads()
    task = f"log-mel, {len(clips)} EmoDB clips (warm)"
    for label, est, n_threads in (
        ("LogMelExtractor()", ours, threads),
        ("LogMelExtractor(), 1 thread", ours, 1),
        ("LogMelExtractor(dtype=float64)", ours64, threads),
    ):
        torch.set_num_threads(n_threads)
        try:
            t_ours = _best(lambda: est.transform(clips), repeat)
            mem = _peak_mb(lambda: est.transform(clips))
        finally:
            torch.set_num_threads(threads)
        note = (f"torch threads {n_threads}; peak +{max(mem, 0):.1f} MB vs librosa "
                f"+{max(mem_ref, 0):.1f} MB")
        if est is ours and n_threads == threads:
            note += f"; max |dB diff| vs the loop within top_db {diff:.1e}"
        rows.append(dict(task=task, reference="librosa loop", t_ref=t_ref, ours=label,
                         t_ours=t_ours, note=note))
    if torch.cuda.is_available():  # the same default on the GPU (clips copied per batch)
        for batch_size in (4, 64):
            gpu = LogMelExtractor(sr=sr, device="cuda", batch_size=batch_size).fit(clips[:4])
            gpu.transform(clips[:8])
            t_gpu = _best(lambda: gpu.transform(clips), repeat)
            gdiff = float(np.abs(gpu.transform(clips)[:, 0] - ref_out)[within].max())
            rows.append(dict(task=task, reference="librosa loop", t_ref=t_ref,
                             ours=f"LogMelExtractor(device=cuda, batch_size={batch_size})",
                             t_ours=t_gpu, note=f"{torch.cuda.get_device_name()}; "
                                                f"max |dB diff| within top_db {gdiff:.1e}"))
    # cold start: a fresh interpreter imports, reads nothing else, transforms 16 clips
    np.save(path := os.path.join(_tmpdir(), "clips.npy"), clips[:16])
    ref_code = (
        "import numpy as np, librosa; X = np.load(%r)\n"
        "[librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=%d)) for x in X]"
        % (path, sr)
    )
    our_code = (
        "import numpy as np; from skkd.features import LogMelExtractor; X = np.load(%r)\n"
        "LogMelExtractor(sr=%d).fit_transform(X)" % (path, sr)
    )
    rows.append(dict(task="log-mel cold start (new process, 16 clips)",
                     reference="librosa loop", t_ref=_run_cold(ref_code),
                     ours="LogMelExtractor", t_ours=_run_cold(our_code),
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
    (a fresh install: numba compiles everything librosa's import and
    ``chroma_stft`` need).
    """
    import tempfile

    clips, sr = _emodb(10)
    path = os.path.join(_tmpdir(), "speech10.npy")
    np.save(path, clips)

    def cold(code: str, env: dict | None = None) -> tuple[float, str]:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, path, str(sr)], check=True,
                             capture_output=True, text=True, env=env)
        total = time.perf_counter() - t0
        imp, first, numba, librosa = out.stdout.split()[-4:]
        return total, (f"import {float(imp):.1f} s + first call {float(first):.1f} s"
                       f"{', numba imported' if numba == '1' else ', no numba'}")

    t_ours, note_ours = cold(_COLD_SPEECH_OURS)
    runs = [("librosa, numba cache as installed", None)]
    if fresh_numba_cache:
        runs.append(("librosa, empty numba cache",
                     dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="skkd-numba-"))))
    rows = []
    for label, env in runs:
        t_ref, note_ref = cold(_COLD_SPEECH_LIBROSA, env)
        rows.append(dict(task="SpeechFeatures cold (new process, 10 EmoDB clips)",
                         reference=label, t_ref=t_ref, ours="SpeechFeatures()", t_ours=t_ours,
                         note=f"ours: {note_ours}; librosa: {note_ref}"))
    return rows


def _tmpdir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="skkd-bench-")


def _run_cold(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def extraction_rows(n_eda: int, n_bvp: int) -> list[dict]:
    from skkd.datasets import load_stress_predict
    from skkd.features import BVPFeatures, EDAFeatures, FeatureExtractionWarning

    data = load_stress_predict(signals=("eda", "bvp"))
    rng = np.random.default_rng(0)
    rows = []
    for name, cls, fs, n in (("EDA", EDAFeatures, 4, n_eda), ("BVP", BVPFeatures, 64, n_bvp)):
        pick = np.sort(rng.choice(data.X.n_windows, size=min(n, data.X.n_windows), replace=False))
        X = data.X[name.lower()][pick]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeatureExtractionWarning)
            # warm-up: every worker starts and imports neurokit2 first
            cls(fs=fs, verbose=0, n_jobs=2).fit_transform(X[: 4 * 32])
            t1 = _best(lambda: cls(fs=fs, verbose=0, n_jobs=1).fit_transform(X), 2)
            t2 = _best(lambda: cls(fs=fs, verbose=0, n_jobs=2).fit_transform(X), 2)
        rows.append(dict(task=f"{name} features, {len(X)} Stress-Predict 60-s windows",
                         reference="n_jobs=1", t_ref=t1, ours="n_jobs=2", t_ours=t2,
                         note=f"{len(X) / t1:.0f} vs {len(X) / t2:.0f} windows/s"))
    return rows


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
                rows.append(dict(
                    task=f"{name} student, 1 EDA window/call (x1000 calls)",
                    reference="predict_proba", t_ref=1000 * t_ref, ours=runtime,
                    t_ours=1000 * t, note=f"{1e3 * t_ref:.2f} vs {1e3 * t:.2f} ms/window, "
                                          f"{student.n_params_} params"))
    finally:
        torch.set_num_threads(threads)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subsets (smoke run)")
    parser.add_argument("--only", choices=["export", "audio"], default=None,
                        help="run one section only (export: student latency, no data folder; "
                             "audio: log-mel and SpeechFeatures rows)")
    args = parser.parse_args(argv)
    quick = args.quick
    rows = []
    if args.only is None:
        rows.append(gaf_row(n=200 if quick else 3000, repeat=1 if quick else 3))
    if args.only in (None, "audio"):
        rows.extend(logmel_rows(n=32 if quick else 500, repeat=1 if quick else 3))
        rows.extend(speech_cold_rows(fresh_numba_cache=not quick))
    if args.only is None:
        rows.extend(extraction_rows(n_eda=40 if quick else 600, n_bvp=40 if quick else 400))
    if args.only in (None, "export"):
        rows.extend(export_rows(calls=50 if quick else 1000, max_epochs=2 if quick else 10))

    print(f"\nskkd speed ({'quick' if quick else 'full'} run, {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]})\n")
    header = ("task", "reference", "ref s", "skkd", "skkd s", "speed-up", "note")
    lines = [header] + [
        (r["task"], r["reference"], f"{r['t_ref']:.2f}", r["ours"], f"{r['t_ours']:.2f}",
         f"{r['t_ref'] / r['t_ours']:.1f}x", r["note"]) for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
