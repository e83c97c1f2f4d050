"""Build skkd's built-in Stress-Predict sample from the full data set.

Stores EDA and TEMP (float32), the per-second labels, the button-press tags and
the questionnaire sums of three subjects in ``skkd/datasets/data/``, beside the
data set's MIT licence. Run from the repository root::

    python tools/make_sample.py [--data-home ../shared/data]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from skkd.datasets._e4 import read_empatica_e4
from skkd.datasets._home import get_data_home
from skkd.datasets._sample import LICENSE_FILE, SAMPLE_FILE, SAMPLE_SIGNALS, SAMPLE_SUBJECTS
from skkd.datasets._stress_predict import (
    FOLDER,
    LABELS_FILE,
    QUESTIONNAIRE_COLUMNS,
    QUESTIONNAIRES_FILE,
    read_questionnaires,
    read_stress_labels,
)

OUT = Path(__file__).resolve().parents[1] / "skkd" / "datasets" / "data"


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


if __name__ == "__main__":
    main()
