"""EmoDB, the Berlin Database of Emotional Speech, as 2-s audio windows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import wavfile
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from skkd._modalities import Modalities
from skkd.datasets._home import get_data_home, require_dir

__all__ = ["load_emodb"]

FOLDER = "emodb"
SAMPLE_RATE = 22050
N_SAMPLES = 2 * SAMPLE_RATE

#: 6th character of the file name -> emotion (German initial in brackets)
EMOTIONS = {
    "W": "anger",  # Wut / Ärger
    "L": "boredom",  # Langeweile
    "N": "neutral",
    "F": "happiness",  # Freude
    "A": "fear",  # Angst
    "T": "sadness",  # Trauer
    "E": "disgust",  # Ekel
}

#: speaker id -> (sex, age), as documented by the database's authors
SPEAKERS = {
    "03": ("m", 31), "08": ("f", 34), "09": ("f", 21), "10": ("m", 32),
    "11": ("m", 26), "12": ("m", 30), "13": ("f", 32), "14": ("f", 35),
    "15": ("m", 25), "16": ("f", 31),
}

FILE_PATTERN = re.compile(
    r"(?P<speaker>\d\d)(?P<text>[ab]\d\d)(?P<emotion>[A-Z])(?P<version>[a-z])\.wav"
)

CITATION = (
    "Burkhardt F., Paeschke A., Rolfes M., Sendlmeier W., Weiss B. (2005). A "
    "Database of German Emotional Speech. Interspeech 2005 (copy packaged by "
    "audEERING, CC0-1.0)."
)

DESCR = """\
EmoDB - Berlin Database of Emotional Speech
===========================================

10 professional actors (5 female, 5 male) speak 10 German sentences in 7
emotions (anger, boredom, neutral, happiness, fear, sadness, disgust). These
copies are mono 16-bit WAV at 22,050 Hz cut or zero-padded to exactly 2.0 s;
X["audio"] holds them as float32 in [-1, 1) (int16 / 32768), one row an
utterance. y is the emotion name from the 6th character of the file name;
groups is the speaker id; meta has speaker, sex, age, text, emotion, version, file.

Evaluate by speaker (groups): a speaker in both train and test overstates accuracy.

{citation}
"""


def _parse_name(path: Path) -> dict:
    match = FILE_PATTERN.fullmatch(path.name)
    if match is None:
        raise ValueError(
            f"{path}: file name does not follow EmoDB's 'SSTTTEV.wav' pattern "
            "(speaker, text, emotion letter, version), e.g. '03a01Fa.wav'."
        )
    parts = match.groupdict()
    if parts["emotion"] not in EMOTIONS:
        raise ValueError(
            f"{path}: unknown emotion letter {parts['emotion']!r}; expected one of "
            f"{sorted(EMOTIONS)}."
        )
    if parts["speaker"] not in SPEAKERS:
        raise ValueError(
            f"{path}: unknown speaker {parts['speaker']!r}; EmoDB speakers are "
            f"{sorted(SPEAKERS)}."
        )
    return parts


def _read_wav(path: Path) -> np.ndarray:
    try:
        rate, data = wavfile.read(path)
    except (ValueError, EOFError, OSError) as exc:
        raise ValueError(f"{path}: not a readable WAV file ({exc}).") from None
    if rate != SAMPLE_RATE or data.dtype != np.int16 or data.shape != (N_SAMPLES,):
        raise ValueError(
            f"{path}: expected mono 16-bit audio at {SAMPLE_RATE} Hz with "
            f"{N_SAMPLES} samples (2.0 s), got {rate} Hz, dtype {data.dtype}, "
            f"shape {data.shape}."
        )
    return data.astype(np.float32) / np.float32(32768.0)


@validate_params({"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True)
def load_emodb(data_home: str | os.PathLike | None = None) -> Bunch:
    """Load EmoDB: 535 utterances of 2 s at 22,050 Hz, 7 emotions, 10 speakers.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder holding ``emodb/wav``; see :func:`get_data_home`.

    Returns
    -------
    Bunch
        ``X`` (:class:`~skkd.Modalities` with ``"audio"`` ``(n, 44100)``
        float32), ``y`` (emotion names), ``groups`` (speaker ids, e.g. ``"03"``),
        ``meta`` (speaker, sex, age, text, emotion, version, file),
        ``fs={"audio": 22050}``, ``target_names``, ``DESCR``.

    Examples
    --------
    >>> data = load_emodb()  # doctest: +SKIP
    >>> data.X["audio"].shape, data.fs  # doctest: +SKIP
    ((535, 44100), {'audio': 22050})
    """
    folder = require_dir(get_data_home(data_home) / FOLDER / "wav", "the EmoDB WAV folder")
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .wav files; expected EmoDB's 535 utterances.")
    rows = [_parse_name(f) | {"file": f.name} for f in files]
    audio = np.stack([_read_wav(f) for f in files])
    meta = pd.DataFrame(rows)
    meta["emotion"] = meta["emotion"].map(EMOTIONS)
    meta["sex"] = meta["speaker"].map(lambda s: SPEAKERS[s][0])
    meta["age"] = meta["speaker"].map(lambda s: SPEAKERS[s][1])
    meta = meta[["speaker", "sex", "age", "text", "emotion", "version", "file"]]
    return Bunch(
        X=Modalities(audio=audio),
        y=meta["emotion"].to_numpy(dtype=object),
        groups=meta["speaker"].to_numpy(dtype=object),
        meta=meta,
        fs={"audio": SAMPLE_RATE},
        target_names=np.array(sorted(EMOTIONS.values()), dtype=object),
        DESCR=DESCR.format(citation=CITATION),
    )
