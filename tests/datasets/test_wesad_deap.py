"""WESAD and DEAP readers on small files written in exactly the published formats.

WESAD: ``SX/SX.pkl`` = {"subject", "signal": {"chest": {...} at 700 Hz, "wrist":
{...} at 32/64/4/4 Hz}, "label": 700 Hz}, plus ``SX_readme.txt`` and
``SX_quest.csv``. DEAP: ``sNN.dat`` = {"data": trials x 40 x samples at 128 Hz
(3 s pre-trial first), "labels": trials x 4}. Both pickled with protocol 2 (what
Python 2 wrote); every signal is a ramp of its own time axis, so the first
sample of a window tells which seconds the window covers.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from skkd import Modalities
from skkd.datasets import load_deap, load_wesad

CHEST = {"ACC": 3, "ECG": 1, "EMG": 1, "EDA": 1, "Temp": 1, "Resp": 1}
WRIST = {"ACC": (32, 3), "BVP": (64, 1), "EDA": (4, 1), "TEMP": (4, 1)}
ALL_WESAD = ["chest_acc", "chest_ecg", "chest_emg", "chest_eda", "chest_temp",
             "chest_resp", "wrist_acc", "wrist_bvp", "wrist_eda", "wrist_temp"]
RATES = {k: (700 if k.startswith("chest") else {"acc": 32, "bvp": 64}.get(k[6:], 4))
         for k in ALL_WESAD}

#: (label, seconds): 10.3 s transient puts the baseline off the 0.25 s grid
S2_SEGMENTS = [(0, 10.3), (1, 70), (0, 5), (2, 45), (3, 40), (4, 25), (0, 4.7)]
S3_SEGMENTS = [(0, 5), (1, 30), (3, 30), (2, 30), (0, 5)]
README = """\
### Personal information ###
Age: 27
Height (cm): 175
Weight (kg): 80
Gender: male
Dominant hand: right

### Study pre-requisites ###
Did you drink coffee today? NO
Are you a smoker? NO

### Additional notes ###
-
"""
QUEST = """\
# Subj;S2;;;;;;;;
# ORDER;Base;TSST;Medi 1;Fun;Medi 2;sRead;fRead;;
# START;7.08;39.55;70.19;81.25;93.38;54.42;89.51;;
# END;26.32;50.3;77.1;87.47;100.15;56.07;91.15;;
;;;;;;;;;
# PANAS;1;2;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;;
# STAI;1;2;3;4;1;2;;;
# DIM;7;2;;;;;;;
# DIM;3;8;;;;;;;
# DIM;6;3;;;;;;;
# DIM;8;5;;;;;;;
# DIM;5;1;;;;;;;
# SSSQ;3;3;3;3;3;3;;;
"""


def _ramp(n: int, fs: float, channels: int) -> np.ndarray:
    """Samples whose value is their time (s); channel c adds 1000 * c."""
    t = np.arange(n) / fs
    return t[:, None] + 1000.0 * np.arange(channels)[None, :]


def wesad_record(subject: str, segments, wrist_s: float | None = None) -> dict:
    label = np.concatenate([np.full(int(round(s * 700)), lab, np.int32) for lab, s in segments])
    n = len(label)
    duration = n / 700 if wrist_s is None else wrist_s
    chest = {k: _ramp(n, 700, c) for k, c in CHEST.items()}
    wrist = {k: _ramp(int(round(duration * fs)), fs, c) for k, (fs, c) in WRIST.items()}
    return {"subject": subject, "signal": {"chest": chest, "wrist": wrist}, "label": label}


def write_wesad(root: Path, subject: str, record: dict, readme=None, quest=None) -> Path:
    folder = root / subject
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{subject}.pkl", "wb") as f:
        pickle.dump(record, f, protocol=2)
    if readme is not None:
        (folder / f"{subject}_readme.txt").write_text(readme)
    if quest is not None:
        (folder / f"{subject}_quest.csv").write_text(quest)
    return folder / f"{subject}.pkl"


@pytest.fixture(scope="module")
def wesad_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data") / "WESAD"
    write_wesad(root, "S2", wesad_record("S2", S2_SEGMENTS), README, QUEST)
    write_wesad(root, "S3", wesad_record("S3", S3_SEGMENTS))
    return root


@pytest.fixture
def one_subject(tmp_path):
    """A fresh WESAD folder and a function that writes S2 with edits applied."""
    def write(edit=None, **kwargs):
        record = wesad_record("S2", S2_SEGMENTS, **kwargs)
        if edit is not None:
            edit(record)
        return write_wesad(tmp_path, "S2", record)
    return tmp_path, write


# ------------------------------------------------------------------- WESAD
def test_wesad_windows_shapes_labels_and_alignment(wesad_root):
    data = load_wesad(wesad_root, window_s=20, step_s=10)
    assert isinstance(data.X, Modalities)
    assert list(data.X) == ALL_WESAD
    # S2: baseline [10.3, 80.3) -> 10.5 ... 50.5; stress [85.3, 130.3) -> 85.5,
    # 95.5, 105.5; amusement [130.3, 170.3) -> 130.5, 140.5. S3: base, fun, stress.
    s2 = [10.5, 20.5, 30.5, 40.5, 50.5, 85.5, 95.5, 105.5, 130.5, 140.5]
    s3 = [5, 15, 35, 45, 65, 75]
    np.testing.assert_allclose(data.meta["t_start"], s2 + s3)
    assert data.y.tolist() == [1] * 5 + [2] * 3 + [3] * 2 + [1, 1, 3, 3, 2, 2]
    assert data.groups.tolist() == ["S2"] * 10 + ["S3"] * 6
    assert data.meta["label_name"].tolist()[:6] == ["baseline"] * 5 + ["stress"]
    assert data.meta["segment"].tolist() == [0] * 5 + [1] * 3 + [2] * 2 + [0, 0, 1, 1, 2, 2]
    assert data.fs == RATES
    assert data.channels["chest_acc"] == ["x", "y", "z"]
    t0 = data.meta["t_start"].to_numpy()
    for key, fs in RATES.items():
        x = data.X[key]
        assert x.dtype == np.float32
        assert x.shape == (16, 3 if key.endswith("acc") else 1, 20 * fs)
        # the first and last sample of every window: same seconds in every signal
        np.testing.assert_allclose(x[:, 0, 0], t0, atol=1e-3)
        np.testing.assert_allclose(x[:, 0, -1], t0 + 20 - 1 / fs, atol=1e-3)
    np.testing.assert_allclose(data.X["wrist_acc"][:, 2, 0], t0 + 2000, atol=1e-2)
    descr = " ".join(data.DESCR.split())
    assert "S2" in descr and "every sample of a window carries the segment's label" in descr
    np.testing.assert_array_equal(data.target_names, ["baseline", "stress", "amusement"])


def test_wesad_readme_and_quest_metadata(wesad_root):
    data = load_wesad(wesad_root, window_s=20, step_s=10, signals="wrist_eda",
                      labels=(1, 2, 3, 4))
    meta = data.meta.set_index(["subject", "label"])
    s2 = meta.loc["S2"]
    assert set(s2["age"]) == {27} and set(s2["gender"]) == {"male"}
    assert set(s2["height_cm"]) == {175} and set(s2["dominant_hand"]) == {"right"}
    # ORDER Base, TSST, Medi 1, Fun, Medi 2 <-> DIM rows (7, 2) (3, 8) (6, 3) (8, 5) (5, 1)
    expected = {1: ("Base", 7, 2), 2: ("TSST", 3, 8), 3: ("Fun", 8, 5), 4: ("Medi 1", 6, 3)}
    for lab, (condition, valence, arousal) in expected.items():
        rows = s2.loc[[lab]]
        assert set(rows["condition"]) == {condition}
        assert set(rows["sam_valence"]) == {valence} and set(rows["sam_arousal"]) == {arousal}
    s3 = meta.loc["S3"]
    assert s3["age"].isna().all() and s3["sam_valence"].isna().all()
    assert s3["condition"].isna().all()
    assert data.subjects.loc["S2", "are_you_a_smoker"] == "NO"
    assert data.questionnaires["condition"].tolist() == [
        "Base", "TSST", "Medi 1", "Fun", "Medi 2"]
    # meditation: [170.3, 195.3) -> one 20 s window at 170.5
    assert s2.loc[[4], "t_start"].tolist() == [170.5]


def test_wesad_stress_target_subjects_and_chest_grid(wesad_root):
    data = load_wesad(wesad_root.parent, window_s=20, step_s=10, target="stress",
                      subjects=[3], signals=["chest_ecg", "chest_resp"])
    assert data.y.tolist() == [0, 0, 0, 0, 1, 1]
    assert set(data.groups) == {"S3"}
    np.testing.assert_array_equal(data.target_names, ["non-stress", "stress"])
    # chest only: the grid is 1/700 s, windows start at the segment start
    chest = load_wesad(wesad_root, window_s=20, step_s=None, subjects="S2",
                       signals=["chest_ecg"], labels=[1])
    np.testing.assert_allclose(chest.meta["t_start"], [10.3, 30.3, 50.3])
    np.testing.assert_allclose(chest.X["chest_ecg"][:, 0, 0], [10.3, 30.3, 50.3], atol=1e-3)


def test_wesad_wrist_duration_tolerance(one_subject):
    root, write = one_subject
    write(wrist_s=198.0)  # 2 s shorter than the chest: within tolerance_s=5
    data = load_wesad(root, window_s=20, labels=(4,))
    assert data.meta["t_start"].tolist() == [170.5]  # ends at 190.5 <= 198
    write(wrist_s=185.0)  # 15 s short: a wrong rate or a damaged file
    with pytest.raises(ValueError, match="must agree within 5.0 s"):
        load_wesad(root, window_s=20, labels=(4,))
    with pytest.raises(ValueError, match="no WESAD window"):  # 190.5 > 185
        load_wesad(root, window_s=20, labels=(4,), tolerance_s=20)
    chest = load_wesad(root, window_s=20, labels=(4,), signals=["chest_eda"])
    assert chest.X.n_windows == 1  # the wrist is not read when not asked for


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda r: r.pop("label"), r"missing key\(s\) \['label'\]"),
        (lambda r: r.pop("signal"), r"missing key\(s\) \['signal'\]"),
        (lambda r: r["signal"]["chest"].pop("ECG"), r"signal\['chest'\]\['ECG'\]"),
        (lambda r: r["signal"].pop("wrist"), r"signal\['wrist'\]"),
        (lambda r: r.update(subject="S9"), "holds subject 'S9'"),
        (lambda r: r["signal"]["wrist"].update(EDA=_ramp(200 * 700, 700, 1)),
         r"signal\['wrist'\]\['EDA'\] has 140000 samples .*agree within"),
        (lambda r: r["signal"]["chest"].update(EMG=np.zeros(1000)),
         r"'EMG'\] has 1000 samples but 'label' has"),
        (lambda r: r["signal"]["chest"].update(ACC=np.zeros((140000, 2))),
         r"must have shape \(n, 3\)"),
        (lambda r: r["label"].__setitem__(5, 9), r"value\(s\) \[9\] outside"),
        (lambda r: r.update(label=np.full(140000, -1)), r"outside the WESAD"),
    ],
)
def test_wesad_bad_pickles_name_the_file(one_subject, edit, match):
    root, write = one_subject
    file = write(edit)
    with pytest.raises(ValueError, match=match) as info:
        load_wesad(root, window_s=20)
    assert str(file) in str(info.value)


def test_wesad_unreadable_pickles(tmp_path):
    (tmp_path / "S2").mkdir()
    file = tmp_path / "S2" / "S2.pkl"
    file.write_bytes(b"this is not a pickle")
    with pytest.raises(ValueError, match="not a readable WESAD pickle") as info:
        load_wesad(tmp_path)
    assert str(file) in str(info.value)
    whole = pickle.dumps(wesad_record("S2", [(1, 30)]), protocol=2)
    file.write_bytes(whole[: len(whole) // 2])  # truncated download
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_wesad(tmp_path)
    file.write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(ValueError, match="expected a dict"):
        load_wesad(tmp_path)


def test_wesad_bad_folders_and_arguments(tmp_path, wesad_root):
    with pytest.raises(FileNotFoundError, match="no subject folders"):
        load_wesad(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_wesad(tmp_path / "absent")
    (tmp_path / "S5").mkdir()
    with pytest.raises(FileNotFoundError, match=r"S5\.pkl"):
        load_wesad(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"subject\(s\) \['S4'\]"):
        load_wesad(wesad_root, subjects=["S4"])
    with pytest.raises(ValueError, match=r"Unknown WESAD signal\(s\) \['wrist_ecg'\]"):
        load_wesad(wesad_root, signals=["wrist_ecg"])
    with pytest.raises(ValueError, match="labels must be"):
        load_wesad(wesad_root, labels=(1, 5))
    with pytest.raises(ValueError, match="whole number of samples"):
        load_wesad(wesad_root, window_s=10.1, signals=["wrist_eda"])
    with pytest.raises(ValueError, match="step_s"):
        load_wesad(wesad_root, window_s=10, step_s=0.3, signals=["wrist_temp"])
    with pytest.raises(ValueError, match="no WESAD window of 100 s"):
        load_wesad(wesad_root, window_s=100, signals=["wrist_eda"])
    with pytest.raises(ValueError):
        load_wesad(wesad_root, target="valence")


def test_wesad_bad_quest_warns_and_leaves_nan(tmp_path):
    write_wesad(tmp_path, "S2", wesad_record("S2", S3_SEGMENTS), README,
                "# ORDER;Base;TSST;Fun;;\n# DIM;5;2;;\n")
    with pytest.warns(UserWarning, match=r"S2_quest\.csv.*1 '# DIM' rows"):
        data = load_wesad(tmp_path, window_s=20, step_s=10, signals=["wrist_eda"])
    assert data.meta["sam_valence"].isna().all() and set(data.meta["age"]) == {27}


# -------------------------------------------------------------------- DEAP
#: three trials: valence 5.0 is *not* high (> 5 is the rule)
RATINGS = np.array([[5.0, 6.0, 1.0, 9.0], [5.01, 4.0, 2.0, 3.0], [1.0, 9.0, 9.0, 1.0]])


def deap_record(n_trials: int = 3, seconds: float = 23.0, ratings=None) -> dict:
    """Channel c of trial k (1-based) = 1000 c + 100 k + time from the video onset."""
    n = int(round(seconds * 128))
    t = (np.arange(n) - 3 * 128) / 128
    c = np.arange(40)[None, :, None]
    k = np.arange(1, n_trials + 1)[:, None, None]
    data = 1000.0 * c + 100.0 * k + t[None, None, :]
    labels = RATINGS[:n_trials] if ratings is None else ratings
    return {"data": data, "labels": labels}


def write_deap(folder: Path, name: str, record) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as f:
        pickle.dump(record, f, protocol=2)
    return folder / name


@pytest.fixture(scope="module")
def deap_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("deap")
    folder = home / "data_preprocessed_python"
    write_deap(folder, "s01.dat", deap_record())
    write_deap(folder, "s02.dat", deap_record())
    return home


def test_deap_windows_shapes_targets_and_alignment(deap_home):
    data = load_deap(deap_home / "data_preprocessed_python", window_s=5, step_s=2.5)
    assert list(data.X) == ["eeg", "eog", "emg", "gsr", "resp", "ppg", "temp"]
    per_trial = 7  # 20 s after the pre-trial: starts 0, 2.5, ..., 15
    n = 2 * 3 * per_trial
    shapes = {k: v.shape for k, v in data.X.items()}
    assert shapes == {"eeg": (n, 32, 640), "eog": (n, 2, 640), "emg": (n, 2, 640),
                      "gsr": (n, 1, 640), "resp": (n, 1, 640), "ppg": (n, 1, 640),
                      "temp": (n, 1, 640)}
    assert all(v.dtype == np.float32 for v in data.X.values())
    meta = data.meta
    assert meta["trial"].tolist() == [1] * 7 + [2] * 7 + [3] * 7 + [1] * 7 + [2] * 7 + [3] * 7
    np.testing.assert_allclose(meta["t_start"][:7], np.arange(7) * 2.5)
    assert data.groups.tolist() == ["s01"] * 21 + ["s02"] * 21
    assert meta["trial_id"].iloc[7] == "s01_t02"
    # the pre-trial is dropped and channels keep the Geneva order
    base = 100.0 * meta["trial"].to_numpy() + meta["t_start"].to_numpy()
    np.testing.assert_allclose(data.X["eeg"][:, 0, 0], base, atol=1e-2)
    np.testing.assert_allclose(data.X["eeg"][:, 31, -1], 31000 + base + 5 - 1 / 128, atol=1e-2)
    for key, channel in [("eog", 33), ("emg", 35), ("gsr", 36), ("resp", 37), ("ppg", 38),
                         ("temp", 39)]:
        np.testing.assert_allclose(data.X[key][:, -1, 0], 1000 * channel + base, atol=1e-2)
    assert data.channels["eeg"][:3] == ["Fp1", "AF3", "F3"]
    assert data.channels["eeg"][-1] == "O2" and data.channels["gsr"] == ["GSR"]
    assert data.fs == dict.fromkeys(data.X, 128)
    np.testing.assert_allclose(meta[["valence", "arousal", "dominance", "liking"]].to_numpy()[::7],
                               np.vstack([RATINGS, RATINGS]))
    assert data.y.tolist()[::7] == [0, 1, 0, 0, 1, 0]  # valence > 5
    np.testing.assert_array_equal(data.target_names, ["low", "high"])
    descr = " ".join(data.DESCR.split())
    assert "128 Hz" in descr and "(7 per trial here)" in descr


def test_deap_targets_signals_and_subjects(deap_home):
    kw = dict(window_s=20, signals=["eeg", "gsr"])
    arousal = load_deap(deap_home, target="arousal", **kw)
    assert arousal.X.n_windows == 6 and list(arousal.X) == ["eeg", "gsr"]
    assert arousal.y.tolist() == [1, 0, 1, 1, 0, 1]
    quadrant = load_deap(deap_home, target="quadrant", **kw)
    assert quadrant.y.tolist() == [1, 2, 1, 1, 2, 1]
    assert quadrant.target_names[quadrant.y[1]] == "HVLA"
    liking = load_deap(deap_home, target="liking", threshold=None, subjects=[2], **kw)
    assert liking.y.dtype == np.float64 and liking.y.tolist() == [9.0, 3.0, 1.0]
    assert set(liking.groups) == {"s02"} and liking.target_names is None
    strict = load_deap(deap_home, threshold=1.0, subjects="s01", **kw)
    assert strict.y.tolist() == [1, 1, 0]


def test_deap_found_from_a_data_home(tmp_path):
    write_deap(tmp_path / "deap" / "data_preprocessed_python", "s03.dat", deap_record(2))
    data = load_deap(tmp_path, window_s=20, signals="gsr")
    assert data.groups.tolist() == ["s03", "s03"] and data.X["gsr"].shape == (2, 1, 2560)


@pytest.mark.parametrize(
    "record, match",
    [
        ({"data": deap_record()["data"]}, r"missing key\(s\) \['labels'\]"),
        ({"labels": RATINGS}, r"missing key\(s\) \['data'\]"),
        (deap_record(ratings=RATINGS[:2]), r"'labels' must have shape \(3, 4\)"),
        ({"data": deap_record()["data"][:, :39], "labels": RATINGS},
         r"\(trials, 40 channels, samples\)"),
        (deap_record(seconds=3 + 4), r"896 samples \(7 s at 128 Hz\), fewer than"),
        (deap_record(ratings=RATINGS * 2), r"ratings in \[1, 9\]"),
        (deap_record(ratings=np.where(RATINGS == 9, np.nan, RATINGS)), "NaN"),
        ({"data": np.full((3, 40, 23 * 128), np.nan), "labels": RATINGS},
         "'data' holds NaN"),
        ([1, 2, 3], "expected a dict"),
    ],
)
def test_deap_bad_files_name_the_file(tmp_path, record, match):
    file = write_deap(tmp_path, "s01.dat", record)
    with pytest.raises(ValueError, match=match) as info:
        load_deap(tmp_path, window_s=5)
    assert str(file) in str(info.value)


def test_deap_unreadable_and_bad_arguments(tmp_path, deap_home):
    file = tmp_path / "s07.dat"
    file.write_bytes(b"\x80\x02}q\x00(U\x04data")  # a truncated pickle
    with pytest.raises(ValueError, match="not a readable DEAP pickle") as info:
        load_deap(tmp_path)
    assert str(file) in str(info.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no DEAP subject files"):
        load_deap(empty)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_deap(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match=r"subject\(s\) \['s05'\]"):
        load_deap(deap_home, subjects=[5])
    with pytest.raises(ValueError, match=r"Unknown DEAP signal\(s\) \['ecg'\]"):
        load_deap(deap_home, signals=["eeg", "ecg"])
    with pytest.raises(ValueError, match="whole number of samples"):
        load_deap(deap_home, window_s=0.001)
    with pytest.raises(ValueError, match="quadrant"):
        load_deap(deap_home, target="quadrant", threshold=None)
    with pytest.raises(ValueError):
        load_deap(deap_home, target="happiness")
    with pytest.raises(ValueError):
        load_deap(deap_home, threshold=10)


def test_no_warnings_on_clean_files(wesad_root, deap_home):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_wesad(wesad_root, window_s=30, signals=["wrist_eda"])
        load_deap(deap_home, window_s=20, signals=["gsr"])
