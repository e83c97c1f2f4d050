"""load_e4_folder: many subjects' E4 exports + a CSV of labelled intervals.

Synthetic folders are written in the exact E4 CSV format (row 1 start, row 2
rate, then samples; ACC with three columns); the real tests read two
Stress-Predict subjects' folders (symlinked into a temporary folder) with an
intervals CSV derived from the data set's per-second labels.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skkd.datasets import load_e4_folder

START = 1_600_000_000.0  # 2020-09-13T12:26:40Z
REPO = Path(__file__).resolve().parents[2]
STRESS_PREDICT = REPO / ".." / "shared" / "data" / "stress-predict"
RATES = {"eda": 4, "temp": 4, "bvp": 64, "acc": 32}
FILES = {"eda": "EDA.csv", "temp": "TEMP.csv", "bvp": "BVP.csv", "acc": "ACC.csv"}


def e4_text(values: np.ndarray, fs: float, start: float) -> str:
    values = np.asarray(values, dtype=float)
    values = values[:, None] if values.ndim == 1 else values
    c = values.shape[1]
    head = ", ".join([f"{start:.6f}"] * c) + "\n" + ", ".join([f"{fs:.6f}"] * c) + "\n"
    return head + "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in values)


def write_subject(folder: Path, seconds: int, start: float = START,
                  signals=("eda", "temp", "bvp", "acc"), rates=None) -> None:
    """One E4 export: each sample holds its own time in seconds since ``start``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in signals:
        fs = (rates or RATES)[name]
        t = np.arange(seconds * fs) / fs
        values = np.stack([t, -t, 2 * t], axis=1) if name == "acc" else t
        (folder / FILES[name]).write_text(e4_text(values, fs, start))
    (folder / f"tags_{folder.name}.csv").write_text(f"{start + 10:.0f}\n")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """Three subjects of 10 min (P01, P02, P03; P03 starts 5 s after the others' grid)."""
    root = tmp_path / "export"
    write_subject(root / "P01", 600)
    write_subject(root / "P02", 600, start=START + 1000)
    write_subject(root / "P03", 300, start=START + 5000)
    (root / "Readme.txt").write_text("files beside the sub-folders are ignored")
    (root / ".hidden").mkdir()  # so are hidden folders
    return root


RELATIVE = (
    "subject,start,end,label\n"
    "P01,0,300,calm\n"
    "P01,300,600,stress\n"
    "P02,60,360,calm\n"
    "P03,0,200,stress\n"
)


def write_labels(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_windows_labels_and_coverage(export, tmp_path):
    data = load_e4_folder(export, write_labels(tmp_path, RELATIVE))
    assert sorted(data.X) == ["acc", "bvp", "eda", "temp"]
    assert data.X["eda"].shape[1:] == (1, 240) and data.X["bvp"].shape[1:] == (1, 3840)
    assert data.X["acc"].shape[1:] == (3, 1920)
    assert all(a.dtype == np.float32 for a in data.X.values())
    assert data.fs == RATES
    cov = data.coverage.set_index("subject")
    # P01: 19 windows on [0, 600): 9 calm, 9 stress, the one at 270 s crosses 300 s
    # P02: [60, 360) holds 9; 30 s and 330 s cross it; 0 s and 360..540 s overlap nothing
    # P03: 9 windows on [0, 300): [0, 200) holds 5 (0..120 s); 150 and 180 s cross 200 s
    assert cov["n_windows"].tolist() == [18, 9, 5]
    assert cov["n_windows_across"].tolist() == [1, 2, 2]
    assert cov["n_windows_unlabelled"].tolist() == [0, 8, 2]
    assert cov["n_intervals"].tolist() == [2, 1, 1]
    assert cov["labelled_s"].tolist() == [600.0, 300.0, 200.0]
    assert (cov["note"] == "").all()
    assert data.X.n_windows == len(data.y) == len(data.groups) == len(data.meta) == 32
    assert data.target_names.tolist() == ["calm", "stress"]
    assert pd.Series(data.y).value_counts().to_dict() == {"calm": 18, "stress": 14}
    p01 = data.meta["subject"] == "P01"
    assert data.meta.loc[p01, "t_start_rel"].tolist() == [30.0 * k for k in range(19) if k != 9]
    assert data.meta.loc[p01, "t_start"].iloc[0] == START
    # every sample holds its own time: each window starts at its t_start_rel, in each signal
    rel = data.meta["t_start_rel"].to_numpy()
    for name, fs in RATES.items():
        np.testing.assert_allclose(data.X[name][:, 0, 0], rel, atol=1e-3)
        np.testing.assert_allclose(data.X[name][:, 0, -1], rel + 60 - 1 / fs, atol=1e-3)
    np.testing.assert_allclose(data.X["acc"][:, 1, 0], -rel, atol=1e-3)
    # labels follow the intervals: P01 windows before 300 s are calm
    y01 = data.y[p01.to_numpy()]
    assert (y01[rel[p01.to_numpy()] < 300] == "calm").all()
    assert (y01[rel[p01.to_numpy()] >= 300] == "stress").all()
    assert data.tags["P01"].tolist() == [START + 10]
    assert data.intervals["start"].tolist()[:2] == [START, START + 300]
    assert data.intervals["line"].tolist() == [2, 3, 4, 5]
    assert "32 windows from 3 subject(s) (calm: 18, stress: 14)" in data.DESCR


def _same(a, b):
    assert a.X.keys() == b.X.keys()
    for k in a.X:
        np.testing.assert_array_equal(a.X[k], b.X[k])
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.groups, b.groups)


def test_relative_unix_and_iso_times_agree(export, tmp_path):
    relative = load_e4_folder(export, write_labels(tmp_path, RELATIVE), signals=["eda"])
    rows = pd.read_csv(tmp_path / "labels.csv")
    offsets = rows["subject"].map({"P01": START, "P02": START + 1000, "P03": START + 5000})
    unix = rows.assign(start=rows["start"] + offsets, end=rows["end"] + offsets)
    unix.to_csv(tmp_path / "unix.csv", index=False)
    _same(relative, load_e4_folder(export, tmp_path / "unix.csv", signals=["eda"]))

    def iso(seconds, fmt):
        return [pd.Timestamp(s, unit="s", tz="UTC").tz_convert(fmt[0]).strftime(fmt[1])
                for s in seconds]

    for tz, fmt, timezone in [
        ("UTC", "%Y-%m-%dT%H:%M:%SZ", "UTC"),                  # Z suffix
        ("Asia/Kolkata", "%Y-%m-%dT%H:%M:%S%z", "UTC"),         # explicit offset
        ("Europe/Dublin", "%Y-%m-%d %H:%M:%S", "Europe/Dublin"),  # naive + timezone=
    ]:
        table = unix.assign(start=iso(unix["start"], (tz, fmt)), end=iso(unix["end"], (tz, fmt)))
        table.to_csv(tmp_path / "iso.csv", index=False)
        data = load_e4_folder(export, tmp_path / "iso.csv", signals=["eda"], timezone=timezone)
        _same(relative, data)
    # a DataFrame works like the CSV (numbers, Timestamps)
    _same(relative, load_e4_folder(export, rows, signals=["eda"]))
    stamps = unix.assign(start=pd.to_datetime(unix["start"], unit="s", utc=True),
                         end=pd.to_datetime(unix["end"], unit="s", utc=True))
    _same(relative, load_e4_folder(export, stamps, signals=["eda"]))


def test_numeric_labels_stay_numbers(export, tmp_path):
    labels = write_labels(tmp_path, RELATIVE.replace("calm", "0").replace("stress", "1"))
    data = load_e4_folder(export, labels, signals=["eda"])
    assert data.y.dtype == np.int64 and data.target_names.tolist() == [0, 1]


def test_no_labels_keeps_every_window(export):
    data = load_e4_folder(export, signals=("eda", "temp"), window_s=30, step_s=None)
    assert data.y is None and data.target_names is None and data.intervals is None
    assert data.coverage["n_windows"].tolist() == [20, 20, 10]
    assert "label" not in data.meta and "y`` is None" in data.DESCR


def test_subjects_selects_folders_and_ignores_their_label_rows(export, tmp_path):
    data = load_e4_folder(export, write_labels(tmp_path, RELATIVE), subjects=["P02"],
                          signals=["temp"])
    assert set(data.groups) == {"P02"} and len(data.coverage) == 1
    assert data.intervals["subject"].tolist() == ["P02"]
    with pytest.raises(FileNotFoundError, match=r"no sub-folder for subject\(s\) \['P09'\]"):
        load_e4_folder(export, subjects=["P01", "P09"])


def test_memory_caches_the_reading(export, tmp_path):
    labels = write_labels(tmp_path, RELATIVE)
    first = load_e4_folder(export, labels, signals=["eda"], memory=tmp_path / "cache")
    _same(first, load_e4_folder(export, labels, signals=["eda"], memory=tmp_path / "cache"))
    assert any((tmp_path / "cache").rglob("output.pkl"))


def test_subjects_without_a_window_are_named_in_one_warning(export, tmp_path):
    text = ("subject,start,end,label\n"
            "P01,0,300,calm\n"
            "P02,20,70,calm\n"        # no whole 60-s window fits on the 30-s grid
            "P03,400,900,calm\n")     # P03 records 300 s: outside the recording
    with pytest.warns(UserWarning, match=r"2 of 3 subject\(s\) give no window") as record:
        data = load_e4_folder(export, write_labels(tmp_path, text), signals=["eda"])
    message = str(record[0].message)
    assert "P02 (no labelled interval holds a whole window)" in message
    assert "P03 (labels outside the recording)" in message and "P01" not in message
    assert set(data.groups) == {"P01"}
    cov = data.coverage.set_index("subject")
    assert cov.loc["P03", "labelled_s_outside_recording"] == 500.0
    # a subject with a folder but no label row
    with pytest.warns(UserWarning, match=r"P02 \(no labelled interval\), P03 \(no labelled"):
        load_e4_folder(export, write_labels(tmp_path, "subject,start,end,label\nP01,0,300,a\n"),
                       signals=["eda"])


def test_no_window_at_all_is_an_error(export, tmp_path):
    labels = write_labels(tmp_path, "subject,start,end,label\nP01,0,30,a\n")
    with pytest.raises(ValueError, match="no window of 60 s could be made from .*every subject"):
        load_e4_folder(export, labels, signals=["eda"])
    with pytest.raises(ValueError, match="recording shorter than one 900 s window"):
        load_e4_folder(export, signals=["eda"], window_s=900)


# --------------------------------------------------------------------------- bad folders
def test_missing_folder_or_file_in_its_place(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such folder exists\. Pass the folder "
                       "that holds one sub-folder per subject"):
        load_e4_folder(tmp_path / "absent")
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(FileNotFoundError, match="it is a file, not a folder"):
        load_e4_folder(tmp_path / "file.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty: no sub-folder found"):
        load_e4_folder(tmp_path / "empty")
    with pytest.raises(TypeError, match="'path' parameter of load_e4_folder"):
        load_e4_folder(3)


def test_sub_folder_without_e4_files_is_named(export):
    (export / "notes").mkdir()
    (export / "notes" / "todo.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"notes: subject sub-folder 'notes' holds no "
                       r"E4 signal file.*pass subjects="):
        load_e4_folder(export)


def test_missing_signal_file_and_malformed_file_name_the_subject(export):
    (export / "P02" / "BVP.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"subject P02: .*P02/BVP\.csv"):
        load_e4_folder(export)
    (export / "P03" / "EDA.csv").write_text(f"{START}\n4.0\n0.1\nabc\n")
    with pytest.raises(ValueError, match=r"subject P03: .*P03/EDA\.csv: non-numeric value "
                       r"'abc' on line 4"):
        load_e4_folder(export, signals=["eda"])


def test_rates_must_agree_between_subjects(export):
    write_subject(export / "P04", 120, signals=["eda"], rates={"eda": 8})
    with pytest.raises(ValueError, match=r"subject P04: .*P04/EDA\.csv gives a sampling rate "
                       r"of 8 Hz \(row 2\), but subject P01's is 4 Hz"):
        load_e4_folder(export, signals=["eda"])


@pytest.mark.parametrize("kwargs, match", [
    ({"window_s": 0}, "'window_s' parameter of load_e4_folder.*Got 0 instead"),
    ({"step_s": -1}, "'step_s' parameter of load_e4_folder.*Got -1 instead"),
    ({"window_s": 10.1}, r"window_s \* fs must be a positive whole number"),
    ({"signals": ["eda", "ppg"]}, r"'signals' parameter .* non-empty subset.*'ppg'\]"),
    ({"timezone": "Mars/Olympus"}, "'timezone' parameter .* time zone name .*'Mars/Olympus'"),
])
def test_bad_arguments(export, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_e4_folder(export, **kwargs)


# --------------------------------------------------------------------------- bad labels
@pytest.mark.parametrize("text, match", [
    ("", r"labels\.csv: the labels file is empty"),
    ("subject,start,end,label\n", r"labels\.csv: the labels table has a header but no rows"),
    ("subject,begin,end,label\nP01,0,60,a\n",
     r"labels\.csv: missing column\(s\) \['start'\]; expected columns "
     r"\['subject', 'start', 'end', 'label'\] \(found \['subject', 'begin', 'end', 'label'\]\)"),
    ("subject,start,end,label\nP01,0,60,a\nP01,60,,b\n",
     r"labels\.csv, line 3: column end is empty"),
    ("subject,start,end,label\nP01,0,60,a\nP01,90,90,b\n",
     r"labels\.csv, line 3: end \('90'\) must be after start \('90'\)"),
    ("subject,start,end,label\nP01,0,60,a\nP07,0,60,b\n",
     r"labels\.csv, line 3: subject 'P07' has no sub-folder \(unknown subjects: \['P07'\]"),
    ("subject,start,end,label\nP01,0,120,a\nP02,0,60,a\nP01,100,200,b\n",
     r"labels\.csv: intervals of subject 'P01' overlap: line 2 \[0, 120\) and line 4 "
     r"\[100, 200\)"),
    ("subject,start,end,label\nP01,0,60,a\nP01,10:00,10:05,b\n",
     r"labels\.csv, line 3, column start: '10:00' is neither a number of seconds nor an ISO"),
    ("subject,start,end,label\nP01,0,60,a\nP01,1600000100,1600000200,b\n",
     r"labels\.csv, line 3, column start: the labels mix seconds since the recording start"),
    ("subject,start,end,label\nP01,1600000000000,1600000060000,a\n",
     r"line 2, column start: '1600000000000' is after the year 2100 as unix seconds "
     r"\(it looks like milliseconds"),
    ("subject,start,end,label\nP01,-5,60,a\n",
     r"line 2, column start: '-5' is not a time"),
])
def test_bad_labels_name_the_file_and_line(export, tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_e4_folder(export, write_labels(tmp_path, text))


def test_other_label_problems(export, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the labels CSV .* at .*absent\.csv"):
        load_e4_folder(export, tmp_path / "absent.csv")
    with pytest.raises(TypeError, match="'labels' parameter of load_e4_folder"):
        load_e4_folder(export, labels=[("P01", 0, 60, "a")])
    mixed = pd.DataFrame({"subject": ["P01", "P01"], "start": [0, 60], "end": [60, 120],
                          "label": ["a", 1]})
    with pytest.raises(TypeError, match="column label mixes numbers and text"):
        load_e4_folder(export, mixed)
    frame = pd.DataFrame({"Subject": ["P01"], "START": [0], "end": [np.nan], "label": ["a"]})
    with pytest.raises(ValueError, match=r"labels \(DataFrame\), row 0: column end is empty"):
        load_e4_folder(export, frame)
    # adjacent intervals may touch; extra columns are ignored
    ok = write_labels(tmp_path, "subject,start,end,label,note\nP01,0,300,a,x\nP01,300,600,b,y\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # P02 and P03 have no labels
        assert len(load_e4_folder(export, ok, signals=["eda"]).y) == 18


# --------------------------------------------------------------------------- real data
def _intervals_from_per_second(path: Path) -> pd.DataFrame:
    """Runs of equal consecutive per-second labels -> one interval each (unix s)."""
    per_second = pd.read_csv(path).sort_values(["Participant", "Time(sec)"])
    new_run = ((per_second["Participant"].diff() != 0) | (per_second["Time(sec)"].diff() != 1)
               | (per_second["Label"].diff() != 0))
    runs = per_second.assign(run=new_run.cumsum()).groupby("run").agg(
        subject=("Participant", "first"), start=("Time(sec)", "min"),
        end=("Time(sec)", "max"), label=("Label", "first"))
    return runs.assign(subject=runs["subject"].map(lambda p: f"S{p:02d}"),
                       end=runs["end"] + 1,
                       label=runs["label"].map({0: "baseline", 1: "stress"}))


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    raw = STRESS_PREDICT / "Raw_data"
    if not raw.is_dir():
        pytest.skip(f"{raw} is absent")
    root = tmp_path_factory.mktemp("own_e4")
    folder = root / "recordings"
    folder.mkdir()
    for subject in ["S02", "S10"]:
        (folder / subject).symlink_to((raw / subject).resolve(), target_is_directory=True)
    per_second = STRESS_PREDICT / "Processed_data" / "Improved_All_Combined_hr_rsp_binary.csv"
    intervals = _intervals_from_per_second(per_second)
    intervals[intervals["subject"].isin(["S02", "S10"])].to_csv(root / "labels.csv", index=False)
    return folder, root / "labels.csv", per_second


def test_real_stress_predict_subjects(real):
    folder, labels, per_second = real
    data = load_e4_folder(folder, labels)
    assert data.X.n_windows == 191 and sorted(set(data.groups)) == ["S02", "S10"]
    assert data.coverage["n_intervals"].tolist() == [7, 7]
    assert data.coverage["n_windows_across"].tolist() == [13, 13]
    assert pd.Series(data.y).value_counts().to_dict() == {"baseline": 131, "stress": 60}
    # every second of every window carries the window's label in the data set's own file
    table = pd.read_csv(per_second)
    table = table.assign(subject=table["Participant"].map(lambda p: f"S{p:02d}"))
    lookup = table.set_index(["subject", "Time(sec)"])["Label"]
    for subject, t0, label in zip(data.groups, data.meta["t_start"], data.y):
        seconds = np.ceil(t0) + np.arange(59)  # whole seconds inside [t0, t0 + 60)
        values = lookup.loc[[(subject, int(s)) for s in seconds]].to_numpy()
        assert (values == (label == "stress")).all()


def test_real_windows_equal_the_stress_predict_loader(real):
    """On the same grid, pure windows equal load_stress_predict's, label for label."""
    from skkd.datasets import load_stress_predict

    folder, labels, _ = real
    mine = load_e4_folder(folder, labels, signals=("eda", "temp"), window_s=60, step_s=3)
    ref = load_stress_predict(STRESS_PREDICT.parent, signals=("eda", "temp"), window_s=60,
                              step_s=3)
    key = ["subject", "t_start"]
    both = mine.meta.reset_index().merge(ref.meta.reset_index(), on=key,
                                         suffixes=("_mine", "_ref"))
    assert len(both) > 1000
    i, j = both["index_mine"].to_numpy(), both["index_ref"].to_numpy()
    for name in ("eda", "temp"):
        np.testing.assert_array_equal(mine.X[name][i], ref.X[name][j])
    assert set(ref.meta["stress_fraction"].to_numpy()[j]) <= {0.0, 1.0}  # pure windows only
    np.testing.assert_array_equal(mine.y[i] == "stress", ref.y[j] == 1)
