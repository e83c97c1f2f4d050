"""Build skkd's built-in Stress-Predict files from the full data set.

Writes, in ``src/skkd/datasets/data/`` beside the data set's MIT licence:

- ``stress_predict_sample.npz``: EDA and TEMP (float32), the per-second
  labels, the button-press tags and the questionnaire sums of three subjects
  (``load_stress_predict_sample``);
- ``stress_predict_features.npz``: window statistics of EDA, TEMP, BVP and ACC
  (float32) of every 60 s window (hop 30 s) of all 34 labelled subjects, with
  their labels, subjects and times (``load_stress_predict_features``).

Run from the repository root::

    python tools/make_sample.py [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from skkd.datasets._e4 import read_empatica_e4
from skkd.datasets._features_sample import (
    FEATURE_SIGNALS,
    FEATURES_FILE,
    RAW_FILE,
    STEP_S,
    WINDOW_S,
    _write_raw_file,
    stress_predict_window_features,
)
from skkd.datasets._home import get_data_home
from skkd.datasets._sample import LICENSE_FILE, SAMPLE_FILE, SAMPLE_SIGNALS, SAMPLE_SUBJECTS
from skkd.datasets._stress_predict import (
    FOLDER,
    load_stress_predict,
    LABELS_FILE,
    QUESTIONNAIRE_COLUMNS,
    QUESTIONNAIRES_FILE,
    read_questionnaires,
    read_stress_labels,
)

OUT = Path(__file__).resolve().parents[1] / "src" / "skkd" / "datasets" / "data"


def write_features(data_home) -> Path:
    """Window statistics of all labelled subjects -> ``stress_predict_features.npz``."""
    data = load_stress_predict(data_home, window_s=WINDOW_S, step_s=STEP_S,
                               signals=FEATURE_SIGNALS)
    table = stress_predict_window_features(data.X)
    arrays = {
        "X": table.to_numpy(np.float32),
        "columns": np.asarray(table.columns, dtype=str),
        "y": np.asarray(data.y, dtype=np.int8),
        "groups": np.asarray(data.groups, dtype=str),
        "t_start": data.meta["t_start"].to_numpy(np.float64),
        "t_end": data.meta["t_end"].to_numpy(np.float64),
        "stress_fraction": data.meta["stress_fraction"].to_numpy(np.float32),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / FEATURES_FILE, **arrays)
    _write_raw_file(data, OUT / RAW_FILE)  # the raw windows of the same rows (MiniRocket)
    return OUT / FEATURES_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    root = get_data_home(args.data_home) / FOLDER
    labels = read_stress_labels(root / LABELS_FILE)
    scores = read_questionnaires(root / QUESTIONNAIRES_FILE)
    arrays: dict[str, np.ndarray] = {"subjects": np.array(SAMPLE_SUBJECTS)}
    for subject in SAMPLE_SUBJECTS:
        rec = read_empatica_e4(root / "Raw_data" / subject, SAMPLE_SIGNALS)
        for name in SAMPLE_SIGNALS:
            signal = rec[name]
            arrays[f"{subject}/{name}"] = signal.data[:, 0].astype(np.float32)
            arrays[f"{subject}/{name}_start"] = np.float64(signal.start)
            arrays[f"{subject}/{name}_fs"] = np.float64(signal.fs)
        t0, dense = labels[subject]
        arrays[f"{subject}/label_t0"] = np.int64(t0)
        arrays[f"{subject}/labels"] = dense
        arrays[f"{subject}/tags"] = rec.tags
    arrays["questionnaires"] = (
        scores.reindex(index=list(SAMPLE_SUBJECTS), columns=list(QUESTIONNAIRE_COLUMNS))
        .to_numpy(np.float64)
    )
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / SAMPLE_FILE, **arrays)
    shutil.copyfile(root / "LICENSE", OUT / LICENSE_FILE)
    print(f"wrote {OUT / SAMPLE_FILE} ({(OUT / SAMPLE_FILE).stat().st_size} bytes)")
    features = write_features(args.data_home)
    print(f"wrote {features} ({features.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
