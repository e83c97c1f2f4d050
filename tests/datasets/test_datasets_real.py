"""Real-data loaders on ../shared/data, the built-in sample, and their bad-input paths."""

from __future__ import annotations

import io
import warnings
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.io import wavfile

from skkd import Modalities
from skkd.datasets import (
    describe_datasets,
    get_data_home,
    load_emodb,
    load_multi_source_stress,
    load_stress_predict,
    load_stress_predict_sample,
)
from skkd.datasets._stress_predict import LABELS_FILE, QUESTIONNAIRES_FILE

# --------------------------------------------------------------------------- #
# fixtures: each real data set is read once per module


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("skkd-cache")


@pytest.fixture(scope="module")
def stress(data_home):
    return load_stress_predict(data_home)


@pytest.fixture(scope="module")
def eda_temp(data_home, cache_dir):
    return load_stress_predict(data_home, signals=("eda", "temp"), memory=str(cache_dir))


@pytest.fixture(scope="module")
def stress_labels(data_home) -> pd.DataFrame:
    return pd.read_csv(data_home / "stress-predict" / LABELS_FILE)


@pytest.fixture(scope="module")
def emodb(data_home):
    return load_emodb(data_home)


@pytest.fixture(scope="module")
def multi(data_home):
    return load_multi_source_stress(data_home)


# --------------------------------------------------------------------------- #
# Stress-Predict


def test_stress_predict_shapes_and_acceptance_counts(stress):
    X, y = stress.X, stress.y
    assert isinstance(X, Modalities)
    n = len(y)
    assert X["eda"].shape == (n, 1, 240) and X["temp"].shape == (n, 1, 240)
    assert X["bvp"].shape == (n, 1, 3840) and X["acc"].shape == (n, 3, 1920)
    assert all(a.dtype == np.float32 for a in X.values())
    assert stress.fs == {"eda": 4, "temp": 4, "bvp": 64, "acc": 32}
    subjects = sorted(set(stress.groups))
    assert subjects == [f"S{i:02d}" for i in range(2, 36)]  # all 34 labelled subjects
    assert set(np.unique(y)) == {0, 1}
    assert list(stress.target_names) == ["baseline", "stress"]
    for subject in subjects:  # both classes within every subject
        assert set(y[stress.groups == subject]) == {0, 1}
    assert len(stress.meta) == n and (stress.meta["subject"] == stress.groups).all()


def test_stress_windows_hold_the_raw_samples(stress, data_home):
    subject = "S07"
    rows = np.flatnonzero(stress.groups == subject)[[0, 40, -1]]
    folder = data_home / "stress-predict" / "Raw_data" / subject
    for name, file, fs in (("eda", "EDA.csv", 4), ("bvp", "BVP.csv", 64), ("acc", "ACC.csv", 32)):
        raw = np.loadtxt(folder / file, delimiter=",", ndmin=2)
        start, samples = raw[0, 0], raw[2:].astype(np.float32)
        for row in rows:
            i = int(round((stress.meta["t_start"].iloc[row] - start) * fs))
            np.testing.assert_array_equal(stress.X[name][row], samples[i:i + 60 * fs].T)


def test_stress_labels_are_window_majorities(stress, stress_labels):
    labels = stress_labels.rename(columns={"Time(sec)": "t"})
    meta = stress.meta
    for row in np.random.default_rng(0).choice(len(meta), 25, replace=False):
        m = meta.iloc[row]
        part = labels[(labels["Participant"] == int(m["subject"][1:]))
                      & (labels["t"] >= m["t_start"]) & (labels["t"] < m["t_end"])]
        assert len(part) == 60  # windows lie inside the labelled span
        assert m["stress_fraction"] == pytest.approx(part["Label"].mean())
        assert stress.y[row] == int(part["Label"].mean() > 0.5)


def test_stress_coverage_accounts_for_every_labelled_second(stress, stress_labels):
    cov = stress.coverage.set_index("subject")
    assert len(cov) == 35 and cov.loc["S01", "note"] == "no labels"
    assert cov.loc["S01", "n_windows"] == 0
    per_subject = stress_labels.groupby("Participant").size()
    for participant, count in per_subject.items():
        row = cov.loc[f"S{participant:02d}"]
        assert row["n_labelled_s"] == count
        assert row["n_windows"] == (stress.groups == f"S{participant:02d}").sum()
        # the uncovered tail is shorter than one hop plus the recording mismatch
        assert 0 <= row["labelled_s_not_windowed"] < 30 + 5
    assert cov["n_windows_unlabelled"].sum() == 0
    assert f"{cov['labelled_s_not_windowed'].sum()} s in all" in stress.DESCR


def test_stress_tags_and_transitions(stress, data_home):
    cov = stress.coverage.set_index("subject")
    # four presses carry clocks hours away from their recording (S17 x2, S18, S30)
    assert cov["n_tags_outside_recording"].sum() == 4
    assert cov.loc["S17", "n_tags_outside_recording"] == 2
    raw = np.loadtxt(data_home / "stress-predict" / "Raw_data" / "S02" / "tags_S02.csv")
    np.testing.assert_array_equal(stress.tags["S02"], raw)
    assert len(stress.tags) == 35
    for subject in sorted(set(stress.groups)):
        # three tasks -> six label changes
        assert len(stress.transitions[subject]) == 6
    np.testing.assert_array_equal(stress.transitions["S02"], stress.tags["S02"][:6])
    assert (stress.meta["n_transitions"] > 0).any() and (stress.meta["n_tags"] > 0).any()


def test_stress_questionnaires_match_the_sheet_totals(stress, data_home):
    sheets = pd.read_excel(data_home / "stress-predict" / QUESTIONNAIRES_FILE,
                           sheet_name=None, header=None)
    scores = stress.questionnaires
    assert scores.shape == (35, 4) and not scores.isna().any().any()
    for sheet, prefix in (("STAI Score", "stai"), ("PSS Score", "pss")):
        total = sheets[sheet].iloc[-1]
        assert total.iloc[0] == "Total"
        np.testing.assert_array_equal(scores[f"{prefix}_before"], total.iloc[1::2].astype(float))
        np.testing.assert_array_equal(scores[f"{prefix}_after"], total.iloc[2::2].astype(float))
    s02 = stress.meta[stress.meta["subject"] == "S02"].iloc[0]
    assert (s02["stai_before"], s02["pss_before"]) == (94.0, 25.0)


def test_stress_memory_cache_and_signal_subset(data_home, cache_dir, eda_temp):
    assert len(list(cache_dir.rglob("output.pkl"))) == 35  # one cached read a subject
    again = load_stress_predict(data_home, signals=("eda", "temp"), memory=str(cache_dir))
    np.testing.assert_array_equal(again.X["eda"], eda_temp.X["eda"])
    pd.testing.assert_frame_equal(again.meta, eda_temp.meta)
    hr = load_stress_predict(data_home, window_s=30, step_s=30, signals=("hr",))
    assert hr.X["hr"].shape[1:] == (1, 30) and hr.fs == {"hr": 1}
    assert len(set(hr.groups)) == 34


# --------------------------------------------------------------------------- #
# the built-in sample


def test_sample_loads_without_data_and_matches_the_full_loader(eda_temp, monkeypatch, tmp_path):
    monkeypatch.setenv("SKKD_DATA", str(tmp_path / "absent"))
    sample = load_stress_predict_sample()
    assert sorted(sample.X) == ["eda", "temp"]
    assert sorted(set(sample.groups)) == ["S02", "S10", "S20"]
    assert set(sample.y) == {0, 1}
    assert sample.X["eda"].dtype == np.float32
    assert "MIT" in sample.DESCR
    full = eda_temp
    rows = np.isin(full.groups, ["S02", "S10", "S20"])
    for name in ("eda", "temp"):
        np.testing.assert_array_equal(sample.X[name], full.X[name][rows])
    np.testing.assert_array_equal(sample.y, full.y[rows])
    pd.testing.assert_frame_equal(sample.meta, full.meta[rows].reset_index(drop=True))
    short = load_stress_predict_sample(window_s=30, step_s=10)
    assert short.X["eda"].shape[1:] == (1, 120) and len(short.y) > len(sample.y)


def test_sample_files_ship_with_their_licence():
    data = resources.files("skkd.datasets") / "data"
    names = {p.name for p in data.iterdir()}
    assert {"stress_predict_sample.npz", "stress_predict_LICENSE.txt"} <= names
    assert (data / "stress_predict_sample.npz").stat().st_size < 1_000_000
    assert "MIT License" in (data / "stress_predict_LICENSE.txt").read_text()


def test_sample_rejects_fractional_windows():
    with pytest.raises(ValueError, match="'window_s' parameter .* must be a positive whole number"):
        load_stress_predict_sample(window_s=59.5)
    with pytest.raises(ValueError, match="step_s"):
        load_stress_predict_sample(step_s=0)


# --------------------------------------------------------------------------- #
# EmoDB


def test_emodb_counts(emodb):
    assert emodb.X["audio"].shape == (535, 44100) and emodb.X["audio"].dtype == np.float32
    assert emodb.fs == {"audio": 22050}
    assert len(set(emodb.groups)) == 10
    counts = pd.Series(emodb.y).value_counts().to_dict()
    assert counts == {"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71,
                      "fear": 69, "sadness": 62, "disgust": 46}
    meta = emodb.meta.drop_duplicates("speaker").set_index("speaker")
    assert tuple(meta.loc["03", ["sex", "age"]]) == ("m", 31)
    assert tuple(meta.loc["09", ["sex", "age"]]) == ("f", 21)
    assert (meta["sex"] == "f").sum() == 5


def test_emodb_audio_matches_soundfile(emodb, data_home):
    soundfile = pytest.importorskip("soundfile")
    row = 123
    path = data_home / "emodb" / "wav" / emodb.meta["file"][row]
    ref, rate = soundfile.read(path, dtype="float32")
    assert rate == 22050
    np.testing.assert_array_equal(emodb.X["audio"][row], ref)
    assert emodb.meta["emotion"][row] == emodb.y[row]


# --------------------------------------------------------------------------- #
# multi-source stress


def test_multi_source_counts(multi):
    assert multi.X.shape == (251490, 10)
    assert list(multi.X.columns) == list(multi.feature_names)
    assert len(set(multi.groups)) == 99
    assert set(np.unique(multi.y)) == {0, 1}
    per_study = multi.meta.groupby("study")["subject"].nunique().to_dict()
    assert per_study == {"Non-EEG": 20, "SWELL": 9, "UBFC-Phys": 56, "WESAD": 14}
    first = multi.meta[multi.meta["subject"] == "N1"]["second"]
    np.testing.assert_array_equal(first, np.arange(len(first)))


# --------------------------------------------------------------------------- #
# data_home resolution and the summary table


def test_data_home_resolution(monkeypatch, tmp_path):
    home = tmp_path / "elsewhere"
    write_zip(home / "multi-source-stress", small_multi())
    monkeypatch.setenv("SKKD_DATA", str(home))
    assert get_data_home() == home
    assert load_multi_source_stress().X.shape == (6, 10)  # $SKKD_DATA is used
    monkeypatch.delenv("SKKD_DATA")
    repo = tmp_path / "repo"
    repo.mkdir()
    write_zip(tmp_path / "shared" / "data" / "multi-source-stress", small_multi().iloc[:4])
    monkeypatch.chdir(repo)
    assert get_data_home() == Path("..") / "shared" / "data"
    assert load_multi_source_stress().X.shape == (4, 10)  # ../shared/data from the cwd
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="shared/data/emodb"):
        load_emodb()
    with pytest.raises(TypeError, match="data_home"):
        get_data_home(3)


def test_describe_datasets(data_home, stress, emodb, multi, monkeypatch):
    # reuse the module's loads: the loaders themselves are tested above
    import skkd.datasets._describe as describe

    for name, data in (("load_stress_predict", stress), ("load_emodb", emodb),
                       ("load_multi_source_stress", multi)):
        monkeypatch.setattr(describe, name, lambda *args, _data=data, **kw: _data)
    table = describe_datasets(data_home)
    assert list(table["name"]) == [
        "stress_predict_sample", "stress_predict", "emodb", "multi_source_stress"
    ]
    rows = table.set_index("name")
    assert rows.loc["stress_predict", "n_windows"] == len(stress.y)
    assert rows.loc["stress_predict", "n_subjects"] == 34
    assert rows.loc["emodb", "n_classes"] == 7 and rows.loc["emodb", "n_subjects"] == 10
    assert rows.loc["multi_source_stress", "n_subjects"] == 99
    assert "bvp 64 Hz" in rows.loc["stress_predict", "modalities"]
    only_sample = describe_datasets(data_home / "nothing-here")
    assert list(only_sample["name"]) == ["stress_predict_sample"]


# --------------------------------------------------------------------------- #
# bad inputs, on small folders written here

E4_START = 1_600_000_000


def write_e4(folder: Path, n_seconds: int, start: int = E4_START, tags=()) -> None:
    folder.mkdir(parents=True)
    t = np.arange(n_seconds * 4) / 4
    eda = "\n".join(f"{v:.3f}" for v in np.sin(t))
    (folder / "EDA.csv").write_text(f"{start}\n4\n{eda}\n")
    (folder / "TEMP.csv").write_text(f"{start}\n4\n" + "\n".join("33.1" for _ in t) + "\n")
    (folder / f"tags_{folder.name}.csv").write_text("".join(f"{v}\n" for v in tags))


def write_labels(path: Path, rows: list[tuple[int, int, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["Participant,HR,respr,Time(sec),Label"]
    lines += [f"{p},70,12,{t},{label}" for p, t, label in rows]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def small_stress(tmp_path) -> Path:
    """Two subjects, 200 s each; S02's labels have a 5-s hole, S01 has none."""
    root = tmp_path / "stress-predict"
    write_e4(root / "Raw_data" / "S01", 200)
    write_e4(root / "Raw_data" / "S02", 200, tags=(E4_START + 50, E4_START - 40_000))
    rows = [(2, E4_START + s, int(60 <= s < 120)) for s in range(200) if not 150 <= s < 155]
    write_labels(root / LABELS_FILE, rows)
    return tmp_path


def test_small_stress_predict_counts_what_it_leaves_out(small_stress):
    with pytest.warns(UserWarning, match="questionnaire"):
        data = load_stress_predict(small_stress, window_s=20, step_s=10, signals=("eda", "temp"))
    cov = data.coverage.set_index("subject")
    # windows start every 10 s from 0; 19 fit in 200 s; [140, 160) and [150, 170)
    # touch the unlabelled [150, 155) and are not made
    assert cov.loc["S02", "n_windows"] == 19 - 2
    assert cov.loc["S02", "n_windows_unlabelled"] == 2
    # so the labelled seconds [155, 160) end up in no window, and are counted
    assert cov.loc["S02", "labelled_s_not_windowed"] == 5
    assert cov.loc["S02", "n_tags_outside_recording"] == 1
    assert cov.loc["S01", "note"] == "no labels"
    np.testing.assert_array_equal(data.tags["S02"], [E4_START + 50])
    np.testing.assert_array_equal(data.transitions["S02"], [E4_START + 60, E4_START + 120])
    assert data.meta[["stai_before", "pss_after"]].isna().all().all()
    assert set(data.y) == {0, 1}
    assert "S01" in data.DESCR and "Windows skipped for unlabelled seconds:\n2" in data.DESCR


def test_unreadable_questionnaires_warn(small_stress):
    path = small_stress / "stress-predict" / QUESTIONNAIRES_FILE
    path.write_bytes(b"not an excel file")
    with pytest.warns(UserWarning, match="could not read questionnaire"):
        data = load_stress_predict(small_stress, window_s=20, step_s=10, signals=("eda",))
    assert data.meta["stai_before"].isna().all()
    with pd.ExcelWriter(path) as writer:  # a real workbook, but not the expected layout
        pd.DataFrame({"score": [1, 2]}).to_excel(writer, sheet_name="STAI Score")
    with pytest.warns(UserWarning, match="subject ids"):
        load_stress_predict(small_stress, window_s=20, step_s=10, signals=("eda",))


@pytest.mark.parametrize(
    "content, error, message",
    [
        (None, FileNotFoundError, "per-second label file"),
        ("", ValueError, "empty"),
        ("Participant,Time,Label\n2,1,0\n", ValueError, r"missing column\(s\) \['Time\(sec\)'\]"),
        ("Participant,HR,respr,Time(sec),Label\n", ValueError, "no rows"),
        ("Participant,HR,respr,Time(sec),Label\n2,70,12,1600000000,yes\n", ValueError, "line 2"),
        ("Participant,HR,respr,Time(sec),Label\n2,70,12,1600000000,2\n", ValueError, "0 or 1"),
        ("Participant,HR,respr,Time(sec),Label\n2,70,12,1600000000.5,0\n", ValueError, "whole"),
        ("Participant,HR,respr,Time(sec),Label\n2,70,12,1600000000,0\n2,70,12,1600000000,1\n",
         ValueError, "repeated"),
        ("Participant,HR,respr,Time(sec),Label\n9,70,12,1600000000,0\n", ValueError, r"\['S09'\]"),
    ],
)
def test_bad_stress_label_files(small_stress, content, error, message):
    path = small_stress / "stress-predict" / LABELS_FILE
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=message):
            load_stress_predict(small_stress, signals=("eda",))


@pytest.mark.filterwarnings("ignore:.*questionnaire scores are left NaN")
def test_bad_stress_folders_and_arguments(small_stress, tmp_path):
    with pytest.raises(FileNotFoundError, match="Stress-Predict folder"):
        load_stress_predict(tmp_path / "void")
    with pytest.raises(ValueError, match=r"'signals' parameter .* non-empty subset.*'ecg'\)"):
        load_stress_predict(small_stress, signals=("eda", "ecg"))
    with pytest.raises(ValueError, match="'window_s' parameter .* must be a positive whole"):
        load_stress_predict(small_stress, window_s=0.5)
    with pytest.raises(FileNotFoundError, match="BVP.csv"):
        load_stress_predict(small_stress, signals=("eda", "bvp"))
    eda = small_stress / "stress-predict" / "Raw_data" / "S02" / "EDA.csv"
    eda.write_text("1600000000\n4\n0.1,\n")
    with pytest.raises(ValueError, match="EDA.csv"):
        load_stress_predict(small_stress, signals=("eda",))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="no Stress-Predict window"):
        load_stress_predict(small_stress, window_s=1000, signals=("temp",))
    empty = tmp_path / "empty" / "stress-predict" / "Raw_data"
    empty.mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no subject folders"):
        load_stress_predict(tmp_path / "empty")


def write_wav(folder: Path, name: str, rate: int = 22050, n: int = 44100, dtype=np.int16) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    wavfile.write(folder / name, rate, np.zeros(n, dtype=dtype))


def test_small_emodb_and_its_errors(tmp_path):
    wav = tmp_path / "emodb" / "wav"
    with pytest.raises(FileNotFoundError, match="EmoDB WAV folder"):
        load_emodb(tmp_path)
    wav.mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no .wav files"):
        load_emodb(tmp_path)
    write_wav(wav, "03a01Fa.wav")
    write_wav(wav, "16b10Tc.wav")
    data = load_emodb(tmp_path)
    assert list(data.y) == ["happiness", "sadness"] and list(data.groups) == ["03", "16"]
    assert list(data.meta["sex"]) == ["m", "f"]
    for name, kwargs, message in [
        ("03a01Xa.wav", {}, "unknown emotion letter"),
        ("99a01Fa.wav", {}, "unknown speaker"),
        ("hello.wav", {}, "SSTTTEV"),
        ("03a02Fa.wav", {"rate": 16000}, "16000 Hz"),
        ("03a02Fa.wav", {"n": 100}, r"shape \(100,\)"),
        ("03a02Fa.wav", {"dtype": np.float32}, "float32"),
    ]:
        write_wav(wav, name, **kwargs)
        with pytest.raises(ValueError, match=message):
            load_emodb(tmp_path)
        (wav / name).unlink()
    (wav / "03a02Fa.wav").write_bytes(b"RIFF....garbage")
    with pytest.raises(ValueError, match="not a readable WAV"):
        load_emodb(tmp_path)


def write_zip(folder: Path, frame: pd.DataFrame | str, member: str = "StressData.csv") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = frame if isinstance(frame, str) else frame.to_csv(index=False)
    with zipfile.ZipFile(folder / "StressData.zip", "w") as archive:
        archive.writestr(member, text)


def small_multi() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cols = ["hrrange", "hrvar", "hrstd", "hrmin", "edarange", "edastd", "edavar",
            "hrkurt", "edamin", "hrmax"]
    frame = pd.DataFrame(rng.random((6, 10)), columns=cols)
    frame["Subject"] = ["N1", "N1", "S2", "U3", "W4", "W4"]
    frame["metric"] = [0, 1, 0, 1, 1, 0]
    return frame


def test_small_multi_source_and_its_errors(tmp_path):
    folder = tmp_path / "multi-source-stress"
    with pytest.raises(FileNotFoundError, match="multi-source stress folder"):
        load_multi_source_stress(tmp_path)
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match="StressData.zip"):
        load_multi_source_stress(tmp_path)
    write_zip(folder, small_multi())
    data = load_multi_source_stress(tmp_path)
    assert list(data.meta["study"]) == [
        "Non-EEG", "Non-EEG", "SWELL", "UBFC-Phys", "WESAD", "WESAD"
    ]
    assert list(data.meta["second"]) == [0, 1, 0, 0, 0, 1]
    good = small_multi()
    cases = [
        (good.drop(columns="edamin"), "lacks column"),
        (good.assign(hrmin=["a", 1, 1, 1, 1, 1]), "line 2"),
        (good.assign(hrmax=[np.nan, 1, 1, 1, 1, 1]), "line 2"),
        (good.assign(metric=[0, 1, 2, 0, 0, 0]), "0 or 1"),
        (good.assign(Subject=["X1"] * 6), "known study prefix"),
        (good.iloc[:0], "no rows"),
        ("", "empty"),
        ("a,b\n1,2,3,4\n", "malformed|lacks"),
    ]
    for frame, message in cases:
        write_zip(folder, frame)
        with pytest.raises(ValueError, match=message):
            load_multi_source_stress(tmp_path)
    write_zip(folder, good, member="Other.csv")
    with pytest.raises(ValueError, match="expected StressData.csv"):
        load_multi_source_stress(tmp_path)
    (folder / "StressData.zip").write_bytes(io.BytesIO(b"not a zip").getvalue())
    with pytest.raises(ValueError, match="not a valid zip"):
        load_multi_source_stress(tmp_path)
