"""Speed of skkd's signal transformers against their reference libraries.

Every row is measured side by side in one run, on the same data, after a
warm-up call of each side (numba compilation and worker start-up excluded,
except in the cold-start row, which times a fresh interpreter):

- GAFImager vs pyts.image.GramianAngularField (64 x 64 GASF of 60-s EDA windows);
- LogMelExtractor vs a per-clip librosa loop (power_to_db(melspectrogram)) on
  EmoDB clips, warm, then cold start (new process: import + one batch);
- EDA and BVP feature extraction on Stress-Predict windows, n_jobs=1 vs 2;
- per-window CPU latency of a fitted student (a 1-D CNN, and a CNN+BiLSTM, on
  60-s EDA windows of the shipped Stress-Predict sample) through the
  estimator's ``predict_proba`` vs its TorchScript and ONNX Runtime exports
  (``skkd.export``), one window per call, one thread each.

Run ``python benchmarks/speed.py`` (``--quick`` for a smoke run on small
subsets). Ratios only mean something within one run on one machine; the
librosa loop is single-threaded, so the log-mel row is given with one torch
thread too.
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


def _emodb(n: int) -> tuple[np.ndarray, int]:
    from skkd.datasets import load_emodb

    data = load_emodb()
    clips = data.X["audio"]
    reps = -(-n // len(clips))
    return np.concatenate([clips] * reps)[:n], data.fs["audio"]


def logmel_rows(n: int, repeat: int) -> list[dict]:
    import librosa

    from skkd.features import LogMelExtractor

    clips, sr = _emodb(n)

    def reference():
        return [librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr)) for x in clips]

    import torch

    ours = LogMelExtractor(sr=sr)
    reference(), ours.fit_transform(clips[:4])  # warm-up
    t_ref = _best(reference, repeat)
    rows = []
    threads = torch.get_num_threads()
    for n_threads in sorted({1, threads}):
        torch.set_num_threads(n_threads)
        t_ours = _best(lambda: ours.fit_transform(clips), repeat)
        rows.append(dict(task=f"log-mel, {len(clips)} EmoDB clips (warm)",
                         reference="librosa loop", t_ref=t_ref, ours="LogMelExtractor",
                         t_ours=t_ours, note=f"torch threads: {n_threads}"))
    torch.set_num_threads(threads)
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
    parser.add_argument("--only", choices=["export"], default=None,
                        help="run one section only (export: student latency, no data folder)")
    args = parser.parse_args(argv)
    quick = args.quick
    rows = []
    if args.only is None:
        rows.append(gaf_row(n=200 if quick else 3000, repeat=1 if quick else 3))
        rows.extend(logmel_rows(n=32 if quick else 500, repeat=1 if quick else 3))
        rows.extend(extraction_rows(n_eda=40 if quick else 600, n_bvp=40 if quick else 400))
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
