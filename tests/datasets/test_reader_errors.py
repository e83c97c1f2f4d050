"""Bad files and bad audio get an error naming the file or argument (issue 12)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from skkd.__main__ import main
from skkd.datasets import load_stress_predict, read_empatica_e4
from skkd.datasets._stress_predict import LABELS_FILE
from skkd.features import LogMelExtractor, SpeechFeatures

START = 1_600_000_000


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def e4_text(values, fs: float, start: float = START, columns: int = 1) -> str:
    head = ", ".join([f"{start:.6f}"] * columns) + "\n" + ", ".join([f"{fs:.6f}"] * columns)
    rows = "".join(",".join([f"{v:g}"] * columns) + "\n" for v in values)
    return head + "\n" + rows


# --------------------------------------------------------------------------- #
# E4 headers and files


BAD_HEADERS = {
    "header only": (f"{START}\n4.0\n", "header but no samples"),
    "rows 1 and 2 swapped": (f"4.0\n{START}\n0.1\n", "rows 1 and 2 swapped"),
    "rate is a unix time": (f"{START}\n{START}\n0.1\n", r"row 2 must be the sampling rate.*swapped"),
    "rate too high": (f"{START}\n20000\n0.1\n", "at most 10000"),
    "start in milliseconds": (f"{START * 1000}\n4.0\n0.1\n", "milliseconds"),
    "negative start": (f"-{START}\n4.0\n0.1\n", "unix seconds"),
    "zero start": ("0\n4.0\n0.1\n", "unix seconds"),
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
def test_implausible_e4_header_is_refused(tmp_path, case):
    text, message = BAD_HEADERS[case]
    path = write(tmp_path / "EDA.csv", text)
    with pytest.raises(ValueError, match=message) as info:
        read_empatica_e4(tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("name, columns", [("EDA.csv", 1), ("ACC.csv", 3)])
def test_concatenated_e4_file_is_refused(tmp_path, name, columns):
    once = e4_text([0.1, 0.2, 0.3], 4.0, columns=columns)
    path = write(tmp_path / name, once * 10)  # header rows become "samples"
    with pytest.raises(ValueError, match="line 6 .*joined together") as info:
        read_empatica_e4(tmp_path)
    assert str(path) in str(info.value)


def test_non_utf8_byte_names_the_path(tmp_path):
    path = write(tmp_path / "EDA.csv", f"{START}\n4.0\n0.1\n".encode() + b"0.\xff2\n")
    with pytest.raises(ValueError, match=r"line 4 is not UTF-8") as info:
        read_empatica_e4(tmp_path)
    assert not isinstance(info.value, UnicodeDecodeError)
    assert str(path) in str(info.value)


def test_ibi_start_must_be_unix_seconds(tmp_path):
    write(tmp_path / "EDA.csv", f"{START}\n4.0\n0.1\n")
    path = write(tmp_path / "IBI.csv", f"{START * 1000}, IBI\n1.0,0.8\n")
    with pytest.raises(ValueError, match="milliseconds") as info:
        read_empatica_e4(tmp_path)
    assert str(path) in str(info.value)


def test_zip_or_missing_e4_folder(tmp_path):
    folder = tmp_path / "S02"
    write(folder / "EDA.csv", f"{START}\n4.0\n0.1\n")
    archive = tmp_path / "S02.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "EDA.csv", "S02/EDA.csv")
    with pytest.raises(FileNotFoundError, match="zip archive.*unzip it first") as info:
        read_empatica_e4(archive)
    assert str(archive) in str(info.value)
    (folder / "EDA.csv").unlink()
    folder.rmdir()
    with pytest.raises(FileNotFoundError, match="S02.zip does: unzip it first"):
        read_empatica_e4(folder)
    with pytest.raises(FileNotFoundError, match="E4 export folder") as info:
        read_empatica_e4(tmp_path / "absent")
    message = str(info.value)
    assert str(tmp_path / "absent") in message and "EDA.csv" in message
    assert "data_home" not in message and "SKKD_DATA" not in message


def test_e4_samples_are_a_writeable_array_of_their_own(tmp_path):
    write(tmp_path / "EDA.csv", f"{START}\n4.0\n0.1\n0.2\n")
    data = read_empatica_e4(tmp_path)["eda"].data
    data -= data.mean()  # pandas 3 hands out read-only arrays; ours is not
    np.testing.assert_allclose(data[:, 0], [-0.05, 0.05])


# --------------------------------------------------------------------------- #
# Stress-Predict: a subject is never dropped or broken silently


def small_stress(home: Path, starts: dict[str, int], n_seconds: int = 200) -> Path:
    """Subjects labelled for ``n_seconds`` from START; EDA starts at ``starts[subject]``."""
    raw = home / "stress-predict" / "Raw_data"
    lines = ["Participant,HR,respr,Time(sec),Label"]
    for subject, start in starts.items():
        values = np.round(np.sin(np.arange(n_seconds * 4) / 4), 3)
        write(raw / subject / "EDA.csv", e4_text(values, 4.0, start))
        lines += [f"{int(subject[1:])},70,12,{START + s},{int(60 <= s < 120)}"
                  for s in range(n_seconds)]
    write(home / "stress-predict" / LABELS_FILE, "\n".join(lines) + "\n")
    return home


quiet_questionnaires = pytest.mark.filterwarnings(
    "ignore:.*questionnaire scores are left NaN:UserWarning"
)


@quiet_questionnaires
def test_dropped_subject_warns_with_reason_and_windows_lost(tmp_path):
    # S03's clock is a day off: its recording does not overlap its labels
    home = small_stress(tmp_path, {"S02": START, "S03": START + 86_400})
    with pytest.warns(UserWarning, match=r"subject S03 is left out: .*shorter than one "
                      r"window.* up to 19 window\(s\) of 20 s are lost") as record:
        data = load_stress_predict(home, window_s=20, step_s=10, signals=("eda",))
    assert not any("S02" in str(w.message) for w in record)
    assert set(data.groups) == {"S02"}
    assert data.coverage.set_index("subject").loc["S03", "n_windows"] == 0


@quiet_questionnaires
def test_wrong_rate_in_one_subject_names_subject_and_file(tmp_path):
    home = small_stress(tmp_path, {"S02": START, "S03": START})
    eda = home / "stress-predict" / "Raw_data" / "S03" / "EDA.csv"
    write(eda, e4_text(np.zeros(1600), 8.0))
    with pytest.raises(ValueError, match="subject S03.*8 Hz.*EDA at 4 Hz") as info:
        load_stress_predict(home, window_s=20, step_s=10, signals=("eda",))
    assert str(eda) in str(info.value)


@quiet_questionnaires
def test_broken_file_names_subject_and_file(tmp_path):
    home = small_stress(tmp_path, {"S02": START, "S03": START})
    eda = write(home / "stress-predict" / "Raw_data" / "S03" / "EDA.csv", f"{START}\n4\n")
    with pytest.raises(ValueError, match="subject S03: .*no samples") as info:
        load_stress_predict(home, window_s=20, step_s=10, signals=("eda",))
    assert str(eda) in str(info.value)


# --------------------------------------------------------------------------- #
# The command line names a data folder that is not there


def test_datasets_with_a_missing_or_empty_data_home_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SKKD_DATA", raising=False)
    absent = tmp_path / "nonexistent"
    assert main(["datasets", "--data-home", str(absent)]) == 2
    err = capsys.readouterr().err
    assert f"--data-home {absent}: no such folder" in err
    assert main(["datasets", "--data-home", str(tmp_path)]) == 2
    assert f"{tmp_path}: no data set folder" in capsys.readouterr().err
    monkeypatch.setenv("SKKD_DATA", str(absent))
    assert main(["datasets"]) == 2
    assert f"$SKKD_DATA {absent}: no such folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- #
# Audio: integer PCM scaled like float audio, stereo refused


@pytest.fixture(scope="module")
def pcm16() -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(4000) / 8000
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal((2, t.size))
    return np.round(x * 32768).astype(np.int16)


def test_logmel_scales_integer_pcm_like_librosa(pcm16):
    import librosa

    lm = LogMelExtractor(sr=8000, n_fft=256, hop_length=64, n_mels=16, top_db=None)
    as_float = np.stack([librosa.util.buf_to_float(c.tobytes(), n_bytes=2) for c in pcm16])
    expected = lm.fit_transform(as_float)
    ro = pcm16.copy()
    ro.flags.writeable = False  # never written to
    np.testing.assert_allclose(lm.fit_transform(ro), expected, atol=1e-3)
    np.testing.assert_allclose(lm.transform(ro[:, None, :]), expected, atol=1e-3)
    as_int32 = pcm16.astype(np.int32) << 16
    np.testing.assert_allclose(lm.transform(as_int32), expected, atol=1e-3)
    as_uint8 = ((pcm16.astype(np.int32) >> 8) + 128).astype(np.uint8)
    coarse = lm.transform((as_uint8.astype(np.float64) - 128) / 128)
    np.testing.assert_allclose(lm.transform(as_uint8), coarse, atol=1e-3)
    # the same speech level as float, not 90 dB louder
    assert abs(float(lm.transform(pcm16).max() - expected.max())) < 1e-3


def test_speech_features_scale_integer_pcm(pcm16):
    sf = SpeechFeatures(sr=8000, n_fft=256, hop_length=64, n_mels=16, n_mfcc=8, tuning=0.0)
    expected = sf.fit_transform(pcm16 / 32768.0)
    np.testing.assert_allclose(sf.fit_transform(pcm16), expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("estimator", [LogMelExtractor(), SpeechFeatures()],
                         ids=["LogMelExtractor", "SpeechFeatures"])
@pytest.mark.parametrize("shape", [(2, 2, 4000), (2, 4000, 2)])
def test_stereo_audio_is_refused(estimator, shape):
    with pytest.raises(ValueError, match=r"X must be mono audio of shape \(n_clips, T\) "
                       r"or \(n_clips, 1, T\), got shape"):
        estimator.fit(np.zeros(shape, np.float32))
