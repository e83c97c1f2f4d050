"""Empatica E4 CSV reader: round trips, real exports, and every malformed-file path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skkd.datasets import E4Recording, E4Signal, read_empatica_e4

START = 1_600_000_000.0


def write(folder: Path, name: str, text: str, newline: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def e4_text(values: np.ndarray, fs: float, start: float = START) -> str:
    values = np.atleast_2d(np.asarray(values, dtype=float).T).T
    c = values.shape[1]
    head = ", ".join([f"{start:.6f}"] * c) + "\n" + ", ".join([f"{fs:.6f}"] * c) + "\n"
    return head + "".join(",".join(f"{v:g}" for v in row) + "\n" for row in values)


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(0)
    truth = {
        "eda": (rng.random(40).round(6), 4.0),
        "temp": ((30 + rng.random(40)).round(2), 4.0),
        "bvp": (rng.normal(size=640).round(2), 64.0),
        "acc": (rng.integers(-64, 64, size=(320, 3)).astype(float), 32.0),
        "hr": ((60 + rng.random(10) * 40).round(2), 1.0),
    }
    files = {n: f"{n.upper()}.csv" for n in truth}
    for name, (values, fs) in truth.items():
        # the real exports mix LF and CRLF files
        write(tmp_path, files[name], e4_text(values, fs), "\r\n" if name == "bvp" else "\n")
    write(tmp_path, "IBI.csv", f"{START:.6f}, IBI\n1.5,0.75\n2.25,0.75\n3.0,0.75\n")
    write(tmp_path, "tags_S99.csv", f"{START + 2:.0f}\n{START + 7:.0f}\n", "\r\n")
    return tmp_path, truth


def test_round_trip(export):
    folder, truth = export
    rec = read_empatica_e4(folder)
    assert isinstance(rec, E4Recording)
    assert set(rec.signals) == set(truth)
    for name, (values, fs) in truth.items():
        sig = rec[name]
        assert isinstance(sig, E4Signal)
        np.testing.assert_array_equal(sig.data, values.reshape(len(values), -1))
        assert sig.fs == fs and sig.start == START
        assert sig.stop == pytest.approx(START + len(values) / fs)
        np.testing.assert_allclose(sig.times()[:2], [START, START + 1 / fs])
    assert rec["acc"].columns == ("x", "y", "z")
    np.testing.assert_allclose(rec.ibi["time"], START + np.array([1.5, 2.25, 3.0]))
    np.testing.assert_allclose(rec.ibi["interval_s"], 0.75)
    np.testing.assert_array_equal(rec.tags, [START + 2, START + 7])
    assert "eda" in rec and "ecg" not in rec
    with pytest.raises(KeyError, match="available"):
        rec["ecg"]


def test_signals_subset_and_optional_files(export):
    folder, _ = export
    (folder / "IBI.csv").unlink()
    (folder / "tags_S99.csv").unlink()
    rec = read_empatica_e4(folder, signals=("eda", "acc"))
    assert list(rec.signals) == ["eda", "acc"]
    assert rec.ibi is None and rec.tags is None
    assert list(read_empatica_e4(folder, signals="temp").signals) == ["temp"]


def test_empty_tags_file_means_no_presses(export):
    folder, _ = export
    write(folder, "tags_S99.csv", "")
    tags = read_empatica_e4(folder, signals=["eda"]).tags
    assert tags is not None and tags.shape == (0,)


def test_header_only_file_is_refused(tmp_path):
    path = write(tmp_path, "EDA.csv", f"{START}\n4.0\n")
    with pytest.raises(ValueError, match="header but no samples") as info:
        read_empatica_e4(tmp_path)
    assert str(path) in str(info.value)


def test_trailing_blank_lines_are_not_samples(tmp_path):
    write(tmp_path, "EDA.csv", f"{START}\n4.0\n0.1\n0.2\n\n\n")
    assert read_empatica_e4(tmp_path)["eda"].data.shape == (2, 1)


def test_missing_folder_and_files(tmp_path, export):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_empatica_e4(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no E4 signal file"):
        read_empatica_e4(empty)
    folder, _ = export
    (folder / "BVP.csv").unlink()
    with pytest.raises(FileNotFoundError, match="BVP.csv"):
        read_empatica_e4(folder, signals=("eda", "bvp"))
    with pytest.raises(ValueError, match=r"'signals' parameter .* E4 signal names .*'ecg'\)"):
        read_empatica_e4(folder, signals=("eda", "ecg"))


ACC_HEAD = f"{START}, {START}, {START}\n32, 32, 32\n"
BAD_FILES = {
    "empty file": ("EDA.csv", "", "empty"),
    "one header row": ("EDA.csv", f"{START}\n", "header"),
    "text header": ("EDA.csv", "start\n4.0\n0.1\n", "header row 1 is not numeric"),
    "wrong header width": ("ACC.csv", f"{START}, {START}\n32, 32\n1,2\n", "header row 1 has 2"),
    "inconsistent header": ("ACC.csv", f"{START}, {START}, {START + 1}\n32, 32, 32\n1,2,3\n",
                            "repeat one"),
    "zero rate": ("EDA.csv", f"{START}\n0\n0.1\n", "sampling rate in Hz, positive"),
    "truncated row": ("ACC.csv", ACC_HEAD + "1,2,3\n4,5\n6,7,8\n", "line 4 is truncated"),
    "non-numeric value": ("EDA.csv", f"{START}\n4.0\n0.1\noops\n0.3\n", "'oops' on line 4"),
    "too many values": ("EDA.csv", f"{START}\n4.0\n0.1\n0.2,0.3\n", "malformed"),
    "blank line inside": ("EDA.csv", f"{START}\n4.0\n0.1\n\n0.3\n", "line 4"),
    "narrow samples": ("ACC.csv", ACC_HEAD + "1,2\n3,4\n", "2 value"),
    "infinite value": ("EDA.csv", f"{START}\n4.0\n0.1\ninf\n", "infinite"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_malformed_signal_files(tmp_path, case):
    name, text, message = BAD_FILES[case]
    path = write(tmp_path, name, text)
    with pytest.raises(ValueError, match=message) as info:
        read_empatica_e4(tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("nonsense\n1,0.7\n", "row 1 must be"),
        (f"{START}, IBI\n1.0,-0.5\n", "must be positive"),
        (f"{START}, IBI\n1.0,abc\n", "'abc'"),
        ("", "empty"),
    ],
)
def test_malformed_ibi(tmp_path, text, message):
    write(tmp_path, "EDA.csv", f"{START}\n4.0\n0.1\n")
    write(tmp_path, "IBI.csv", text)
    with pytest.raises(ValueError, match=message):
        read_empatica_e4(tmp_path)


def test_malformed_tags(tmp_path):
    write(tmp_path, "EDA.csv", f"{START}\n4.0\n0.1\n")
    write(tmp_path, "tags.csv", "1600000001\nbutton\n")
    with pytest.raises(ValueError, match="'button' on line 2"):
        read_empatica_e4(tmp_path)
    write(tmp_path, "tags_S01.csv", "1600000001\n")
    with pytest.raises(ValueError, match="several tags files"):
        read_empatica_e4(tmp_path)


def test_real_export_matches_numpy_reader(data_home):
    folder = data_home / "stress-predict" / "Raw_data" / "S02"
    rec = read_empatica_e4(folder)
    expected_fs = {"eda": 4, "temp": 4, "bvp": 64, "acc": 32, "hr": 1}
    for name, file in [("eda", "EDA.csv"), ("bvp", "BVP.csv"), ("acc", "ACC.csv")]:
        reference = np.loadtxt(folder / file, delimiter=",", ndmin=2)
        np.testing.assert_array_equal(rec[name].data, reference[2:])
        assert rec[name].start == reference[0, 0]
        assert rec[name].fs == expected_fs[name]
    assert {n: s.fs for n, s in rec.signals.items()} == expected_fs
    tags = np.loadtxt(folder / "tags_S02.csv")
    np.testing.assert_array_equal(rec.tags, tags)
    ibi = pd.read_csv(folder / "IBI.csv", header=None, skiprows=1)
    np.testing.assert_allclose(rec.ibi["interval_s"], ibi[1])
    # every signal covers about an hour from the same session start
    assert all(abs(s.start - rec["eda"].start) <= 10 for s in rec.signals.values())
    assert 3000 < rec["eda"].duration < 4000
