"""StressID feature tables: the real files on ../shared/data and tiny ones in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skkd.datasets import load_stressid_features
from skkd.datasets._stressid import FILES, MODALITIES, SPEECH_TASKS, STRESS_TASKS, TASKS

# --------------------------------------------------------------------------- #
# the published tables


@pytest.fixture(scope="module")
def physio(data_home):
    return load_stressid_features(data_home, modalities=("ecg", "resp", "eda"))


def test_physiology_counts(physio):
    X, y = physio.X, physio.y
    assert X.shape == (773, 46 + 62 + 24)
    assert not X.isna().any().any()
    assert np.bincount(y).tolist() == [384, 389]  # the card's "about 389 / 384"
    assert len(set(physio.groups)) == 65
    assert list(physio.modality_columns) == ["ecg", "resp", "eda"]
    assert physio.modality_columns["eda"][0] == "eda__max_eda"
    assert list(X.columns) == list(physio.feature_names)
    assert all(c.split("__", 1)[0] in MODALITIES for c in X.columns)
    assert set(physio.meta["task"]) == set(TASKS)
    assert (physio.meta["stress_task"] == (y == 1)).all()
    assert (physio.meta["subject"] + "_" + physio.meta["task"] == physio.meta["id"]).all()
    assert (physio.groups == physio.meta["subject"].to_numpy()).all()
    # r5s8_Counting3 lacks EDA, so the complete physiology rows leave it out
    assert "r5s8_Counting3" not in set(physio.meta["id"])
    assert physio.constant_features == ["ecg__ULF", "resp__VLF_rsp"]
    assert "task-proxy" in physio.DESCR and "Chaptoukaev" in physio.DESCR


def test_values_match_the_csv(physio, data_home):
    raw = pd.read_csv(data_home / "stressid-features" / "ecg_features.csv", index_col=0)
    row = physio.meta.index[physio.meta["id"] == "2ea4_Baseline"][0]
    assert physio.X.loc[row, "ecg__meanHR"] == raw.loc["2ea4_Baseline", "meanHR"]
    audio = load_stressid_features(data_home, modalities=("audio",))
    raw = pd.read_csv(data_home / "stressid-features" / "HCfeatures.csv", header=None, index_col=0)
    row = audio.meta.index[audio.meta["id"] == "chdf_Counting2"][0]
    np.testing.assert_array_equal(
        audio.X.loc[row].to_numpy(), raw.loc["chdf_Counting2.wav"].to_numpy()
    )
    assert audio.X.shape == (378, 140) and audio.X.columns[0] == "audio__hc_000"


def test_all_modalities_default_keeps_complete_speech_rows(data_home):
    data = load_stressid_features(data_home)
    assert data.X.shape == (370, 46 + 62 + 24 + 84 + 140)
    assert not data.X.isna().any().any()
    assert set(data.meta["task"]) == set(SPEECH_TASKS)
    assert len(set(data.groups)) == 53
    assert data.meta[[f"has_{m}" for m in MODALITIES]].all().all()


def test_video_where_present(data_home):
    data = load_stressid_features(
        data_home, modalities=("ecg", "resp", "eda", "video"), complete=("ecg", "resp", "eda")
    )
    assert data.X.shape == (773, 46 + 62 + 24 + 84)
    video = data.X[data.modality_columns["video"]]
    missing = video.isna().all(axis=1)
    assert (missing == ~data.meta["has_video"]).all()
    assert missing.sum() == 174
    assert video.isna().any(axis=1).sum() == 174  # a row has all or none of its video
    assert data.meta.loc[data.meta["task"] == "Baseline", "has_video"].sum() == 0
    assert not data.X[data.modality_columns["eda"]].isna().any().any()


def test_outer_join_and_task_target(data_home):
    data = load_stressid_features(data_home, target="task", complete=False)
    assert len(data.X) == 777  # 774 physiology rows + 3 video-only rows
    assert list(data.target_names) == sorted(TASKS)
    assert set(data.y) == set(TASKS)
    speech = load_stressid_features(data_home, target="task", modalities=("eda", "audio"))
    assert sorted(set(speech.y)) == sorted(SPEECH_TASKS) == list(speech.target_names)
    assert len(speech.y) == 377


def test_data_home_from_environment(data_home, monkeypatch):
    monkeypatch.setenv("SKKD_DATA", str(data_home))
    assert load_stressid_features(modalities=["eda"]).X.shape == (773, 24)


# --------------------------------------------------------------------------- #
# tiny tables in the published formats

SUBJECTS = ("aa11", "bb22", "cc33")


def _frame(modality: str, ids, n_features: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.normal(size=(len(ids), n_features)),
        index=list(ids),
        columns=[f"{modality}_f{i}" for i in range(n_features)],
    )


def _write(folder: Path, modality: str, frame: pd.DataFrame) -> None:
    path = folder / FILES[modality][0]
    if modality == "audio":  # no header row, index SUBJECT_TASK.wav
        frame = frame.copy()
        frame.index = [f"{i}.wav" for i in frame.index]
        frame.to_csv(path, header=False)
    elif modality == "video":  # header row whose index column is named "id"
        frame.rename_axis("id").to_csv(path)
    else:  # header row with an empty first field
        frame.to_csv(path)


@pytest.fixture
def tiny(tmp_path) -> Path:
    folder = tmp_path / "stressid-features"
    folder.mkdir()
    every = [f"{s}_{t}" for s in SUBJECTS for t in TASKS]
    for m in ("ecg", "resp"):
        _write(folder, m, _frame(m, every))
    _write(folder, "eda", _frame("eda", [i for i in every if i != "cc33_Math"]))
    video = [i for i in every if not i.endswith("Baseline") and not i.startswith("bb22")]
    _write(folder, "video", _frame("video", video))
    _write(folder, "audio", _frame("audio", [i for i in every if i.split("_")[1] in SPEECH_TASKS]))
    return tmp_path


def test_tiny_tables_join(tiny):
    data = load_stressid_features(tiny)
    # speech tasks of aa11 and cc33 (bb22 has no video), cc33_Math lacks EDA
    assert len(data.X) == 2 * 7 - 1
    assert list(data.X.columns[:3]) == ["ecg__ecg_f0", "ecg__ecg_f1", "ecg__ecg_f2"]
    assert data.X.columns[-1] == "audio__hc_002"
    assert set(data.y) == {0, 1}
    assert (data.y == data.meta["task"].isin(STRESS_TASKS)).all()
    assert "video 14" in data.DESCR  # 3 Baselines + bb22's 11 other rows lack video
    loose = load_stressid_features(tiny, complete=False)
    assert len(loose.X) == 36
    assert loose.X.loc[loose.meta["id"] == "cc33_Math", "eda__eda_f0"].isna().all()
    kept = load_stressid_features(tiny, modalities=("eda", "video"), complete=["eda"])
    assert len(kept.X) == 35
    assert kept.X["video__video_f0"].isna().sum() == 3 + 12 - 1


def test_missing_folder_and_files(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match="StressID feature folder"):
        load_stressid_features(tmp_path / "void")
    (tiny / "stressid-features" / FILES["video"][0]).unlink()
    with pytest.raises(FileNotFoundError, match="video feature table"):
        load_stressid_features(tiny)
    assert load_stressid_features(tiny, modalities=("ecg", "eda")).X.shape[1] == 6


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"target": "stress"}, InvalidParameterError, "target"),
        ({"modalities": ("eda", "eeg")}, ValueError, r"Unknown modalities \['eeg'\]"),
        ({"modalities": ()}, ValueError, "non-empty"),
        ({"modalities": ("eda", "eda")}, ValueError, "twice"),
        ({"modalities": 3}, InvalidParameterError, "modalities"),
        ({"complete": 1.5}, InvalidParameterError, "complete"),
        ({"modalities": ("eda",), "complete": ("video",)}, ValueError, "not among the loaded"),
        ({"data_home": 3}, InvalidParameterError, "data_home"),
    ],
)
def test_bad_arguments(tiny, kwargs, error, match):
    kwargs = {"data_home": tiny} | kwargs
    with pytest.raises(error, match=match):
        load_stressid_features(**kwargs)


def test_a_single_modality_name_is_accepted(tiny):
    assert load_stressid_features(tiny, modalities="eda").X.shape == (35, 3)


def _corrupt(tiny: Path, modality: str, edit) -> None:
    path = tiny / "stressid-features" / FILES[modality][0]
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


@pytest.mark.parametrize(
    "modality, edit, match",
    [
        ("eda", lambda ls: ls + [ls[1]], "duplicated SUBJECT_TASK"),
        ("eda", lambda ls: [ls[0], "nonsense,1,2,3"] + ls[2:], "not SUBJECT_TASK"),
        ("eda", lambda ls: [ls[0], "aa11_Lunch,1,2,3"] + ls[2:], "not SUBJECT_TASK"),
        ("eda", lambda ls: [ls[0], "aa11_Baseline,1,abc,3"] + ls[2:], "non-numeric value 'abc'"),
        ("ecg", lambda ls: [ls[0], "aa11_Baseline,1,inf,3"] + ls[2:], r"NaN or infinite .*ecg_f1"),
        ("resp", lambda ls: [ls[0], "aa11_Baseline,1,,3"] + ls[2:], r"NaN or infinite .*resp_f1"),
        ("audio", lambda ls: ["aa11_Reading.wav,1,nan,3"] + ls[1:], r"NaN or infinite .*hc_001"),
        ("audio", lambda ls: ["aa11_Reading,1,2,3"] + ls[1:] + ["aa11_Reading.wav,1,2,3"],
         "duplicated SUBJECT_TASK"),
        ("ecg", lambda ls: [",a,a,b"] + ls[1:], "duplicated column names"),
        ("video", lambda ls: [ls[0]], "no rows"),
        ("video", lambda ls: [], "empty"),
        ("video", lambda ls: ["id"] + [line.split(",")[0] for line in ls[1:]],
         "no feature columns"),
    ],
)
def test_malformed_tables(tiny, modality, edit, match):
    _corrupt(tiny, modality, edit)
    with pytest.raises(ValueError, match=match):
        load_stressid_features(tiny)


def test_identical_rows_warn_and_are_kept(tiny):
    def copy_row(lines):
        twin = lines[2].split(",")[0] + "," + lines[1].split(",", 1)[1]
        return [lines[0], lines[1], twin, *lines[3:]]

    _corrupt(tiny, "ecg", copy_row)
    with pytest.warns(UserWarning, match="identical features"):
        data = load_stressid_features(tiny, modalities=("ecg",))
    assert len(data.X) == 36


def test_no_common_row(tiny):
    folder = tiny / "stressid-features"
    _write(folder, "video", _frame("video", ["zz99_Math"]))
    with pytest.raises(ValueError, match="No subject x task row"):
        load_stressid_features(tiny, modalities=("eda", "video"))


def test_tables_are_not_in_the_package():
    import skkd

    package = Path(skkd.__file__).parent
    names = {f for f, _ in FILES.values()}
    assert not [p for p in package.rglob("*.csv") if p.name in names]
