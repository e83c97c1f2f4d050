"""skkd.plotting: every figure renders to a valid PNG and holds what it should."""

from __future__ import annotations

import importlib
import json
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from skkd.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_gaf,
    plot_kd_comparison,
    plot_log_mel,
    plot_opportune_timeline,
    plot_training_curves,
    read_results,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_png(path, min_side=150):
    """A real PNG, big enough, and not a blank canvas."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5_000
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) >= min_side
    assert pixels[..., :3].std() > 0.02  # not an empty, single-colour canvas


def tick_texts(axis):
    return [t.get_text() for t in axis.get_ticklabels()]


def span_start(patch):
    """Left edge of an axvspan (a Rectangle since matplotlib 3.9, a Polygon before)."""
    if hasattr(patch, "get_x"):
        return patch.get_x()
    return float(np.min(patch.get_xy()[:, 0]))


# -- real data ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def s02(data_home):
    """Stress-Predict subject S02: EDA (4 Hz) and the task-transition tags."""
    from skkd.datasets import read_empatica_e4

    return read_empatica_e4(data_home / "stress-predict" / "Raw_data" / "S02", signals=["eda"])


@pytest.fixture(scope="module")
def s02_scores(s02):
    """60 s windows every 30 s, scored by their mean absolute EDA derivative."""
    eda = s02["eda"]
    x = eda.data[:, 0]
    width, step = int(60 * eda.fs), int(30 * eda.fs)
    starts = np.arange(0, x.size - width + 1, step)
    scores = np.array([np.abs(np.diff(x[s : s + width])).mean() * eda.fs for s in starts])
    t = eda.start + (starts + width / 2) / eda.fs  # window centres, unix s
    threshold = float(np.quantile(scores, 0.85))
    return t, scores, threshold


@pytest.fixture(scope="module")
def emodb_clip(data_home):
    from scipy.io import wavfile

    sr, audio = wavfile.read(data_home / "emodb" / "wav" / "03a01Fa.wav")
    assert audio.dtype == np.int16
    return sr, audio.astype(np.float32) / 32768.0


# -- matplotlib stays optional ---------------------------------------------------------
def test_import_without_matplotlib_and_clear_error_on_call(monkeypatch):
    import skkd

    for name in list(sys.modules):
        if name.split(".")[0] == "matplotlib" or name.startswith("skkd.plotting"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.delattr(skkd, "plotting", raising=False)
    plotting = importlib.import_module("skkd.plotting")
    assert "matplotlib" not in {m.split(".")[0] for m in sys.modules if sys.modules[m]}
    calls = {
        "plot_confusion_matrix": ([0, 1], [0, 1]),
        "plot_training_curves": ([{"train_loss": 1.0}],),
        "plot_opportune_timeline": ([0.0, 1.0], [0.1, 0.2]),
        "plot_gaf": (np.zeros(4), np.zeros((2, 2))),
        "plot_log_mel": (np.zeros(4), np.zeros((2, 2))),
        "plot_kd_comparison": ([{"method": "a", "macro_f1_mean": 0.5}],),
    }
    assert sorted(calls) == sorted(n for n in plotting.__all__ if n.startswith("plot_"))
    for name, args in calls.items():
        kwargs = {"sr": 8000} if name == "plot_log_mel" else {}
        with pytest.raises(ImportError, match=r"pip install skkd\[plot\]"):
            getattr(plotting, name)(*args, **kwargs)


# -- 1. confusion matrix ---------------------------------------------------------------
EMOTIONS = ["anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"]


def _emotion_predictions():
    rng = np.random.default_rng(0)
    y_true = rng.choice(EMOTIONS, size=120)
    y_pred = np.where(rng.random(120) < 0.6, y_true, rng.choice(EMOTIONS, size=120))
    return y_true, y_pred


def test_confusion_matrix_counts(tmp_path):
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _emotion_predictions()
    fig = plot_confusion_matrix(y_true, y_pred, path=tmp_path / "cm.png")
    assert_png(tmp_path / "cm.png")
    ax = fig.axes[0]
    assert tick_texts(ax.xaxis) == EMOTIONS and tick_texts(ax.yaxis) == EMOTIONS
    cells = np.array([int(t.get_text()) for t in ax.texts]).reshape(7, 7)
    np.testing.assert_array_equal(cells, confusion_matrix(y_true, y_pred, labels=EMOTIONS))
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"


def test_confusion_matrix_normalised_into_given_axes(tmp_path):
    y_true, y_pred = _emotion_predictions()
    fig, ax = plt.subplots(figsize=(6, 5))
    out = plot_confusion_matrix(
        y_true, y_pred, labels=EMOTIONS[::-1], normalize="true", ax=ax, path=tmp_path / "n.png"
    )
    assert out is fig and out.axes[0] is ax
    assert_png(tmp_path / "n.png")
    assert tick_texts(ax.xaxis) == EMOTIONS[::-1]
    rows = np.array([float(t.get_text()) for t in ax.texts]).reshape(7, 7)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=0.05)
    assert "true labels" in ax.get_title()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_pred": ["a", "b"]}, ValueError, "same length"),
        ({"labels": ["a", "b"]}, ValueError, "misses value"),
        ({"normalize": "rows"}, ValueError, "'normalize' parameter"),
        ({"y_true": np.zeros((3, 2))}, ValueError, "1-D"),
        ({"display_labels": ["x"]}, ValueError, "display_labels has 1"),
        ({"ax": "left"}, TypeError, "matplotlib Axes"),
    ],
)
def test_confusion_matrix_bad_input(kwargs, error, match):
    args = {"y_true": ["a", "b", "c"], "y_pred": ["a", "c", "c"], **kwargs}
    with pytest.raises(error, match=match):
        plot_confusion_matrix(args.pop("y_true"), args.pop("y_pred"), **args)


# -- 2. training curves ------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_net():
    import torch
    from skorch import NeuralNetClassifier

    class TinyNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Sequential(
                torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
            )

        def forward(self, X):
            return self.layer(X)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        TinyNet, max_epochs=6, lr=0.1, criterion=torch.nn.CrossEntropyLoss, verbose=0
    )
    return net.fit(X, y)


def _line_labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_training_curves_from_skorch_net(fitted_net, tmp_path):
    fig = plot_training_curves(fitted_net, title="tiny net", path=tmp_path / "curves.png")
    assert_png(tmp_path / "curves.png")
    loss_ax, score_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss" and score_ax.get_ylabel() == "score"
    labels = _line_labels(loss_ax)
    assert {"train loss", "valid loss"} <= set(labels)
    assert any(lab.startswith("best valid loss (epoch") for lab in labels)
    assert "valid acc" in _line_labels(score_ax)
    train = next(ln for ln in loss_ax.get_lines() if ln.get_label() == "train loss")
    np.testing.assert_array_equal(train.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(train.get_ydata(), fitted_net.history[:, "train_loss"])


def test_training_curves_from_wrapper_history_and_frame(fitted_net):
    wrapper = SimpleNamespace(net_=fitted_net)  # how TeacherClassifier exposes its net
    by_wrapper = plot_training_curves(wrapper, keys=["valid_loss"])
    assert len(by_wrapper.axes) == 1
    assert _line_labels(by_wrapper.axes[0])[0] == "valid loss"
    rows = [{k: v for k, v in e.items() if k != "batches"} for e in fitted_net.history]
    by_frame = plot_training_curves(pd.DataFrame(rows), keys=["train_loss", "valid_acc"])
    assert [a.get_ylabel() for a in by_frame.axes] == ["loss", "score"]
    by_list = plot_training_curves(fitted_net.history)
    assert len(by_list.axes) == 2


def test_training_curves_bad_input(fitted_net):
    from skorch import NeuralNetClassifier

    with pytest.raises(ValueError, match="no epochs"):
        plot_training_curves([])
    with pytest.raises(ValueError, match=r"no key\(s\) \['valid_f1'\]"):
        plot_training_curves(fitted_net, keys=["valid_f1"])
    with pytest.raises(TypeError, match="skorch History"):
        plot_training_curves(3.5)
    with pytest.raises(ValueError, match="fit it first"):
        plot_training_curves(NeuralNetClassifier(module=object))
    with pytest.raises(TypeError, match="only numbers"):
        plot_training_curves([{"train_loss": "high"}], keys=["train_loss"])
    with pytest.raises(ValueError, match="needs 2 axes"):
        plot_training_curves(fitted_net, ax=plt.subplots()[1])


# -- 3. opportune windows over a recording --------------------------------------------
def test_opportune_timeline_real_recording(s02, s02_scores, tmp_path):
    t, scores, threshold = s02_scores
    eda, tags = s02["eda"], s02.tags
    selected = scores > threshold
    fig = plot_opportune_timeline(
        t, scores, selected=selected, threshold=threshold, transitions=tags,
        signal=eda.data, signal_t=eda.times(), window_duration=60, window_align="center",
        signal_label="EDA (µS)", title="S02", path=tmp_path / "timeline.png",
    )
    assert_png(tmp_path / "timeline.png")
    sig_ax, score_ax = fig.axes[:2]
    origin = min(t.min(), eda.start)
    for ax in (sig_ax, score_ax):
        verticals = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert len(verticals) == len(tags) == 9
        np.testing.assert_allclose(
            [ln.get_xdata()[0] for ln in verticals], (tags - origin) / 60
        )
        spans = [span_start(p) for p in ax.patches]  # shaded windows (overlaps merged)
        assert 1 <= len(spans) <= selected.sum()
        assert min(spans) == pytest.approx((t[selected][0] - 30 - origin) / 60)
    score_line = next(ln for ln in score_ax.get_lines() if ln.get_label() == "change score")
    np.testing.assert_allclose(score_line.get_ydata(), scores)
    markers = next(ln for ln in score_ax.get_lines() if ln.get_label() == "selected (opportune)")
    assert len(markers.get_xdata()) == selected.sum()
    assert score_ax.get_xlabel() == "time since start (min)"
    legend = [t.get_text() for t in score_ax.get_legend().get_texts()]
    assert {"task transition", "selected window", "change score"} <= set(legend)


def test_opportune_timeline_datetimes_and_spans(s02_scores, s02, tmp_path):
    t, scores, threshold = s02_scores
    t_dt = pd.to_datetime(t, unit="s")
    spans = np.array([[t[10], t[14]], [t[40], t[41]]])
    fig = plot_opportune_timeline(
        t_dt, scores, selected=spans, threshold=threshold, transitions=s02.tags,
        path=tmp_path / "dt.png",
    )
    assert_png(tmp_path / "dt.png")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "time (UTC)" and len(ax.patches) == 2
    first_tag = next(ln for ln in ax.get_lines() if ln.get_linestyle() == ":")
    expected = mdates.date2num(pd.to_datetime(s02.tags[0], unit="s"))
    assert mdates.date2num(first_tag.get_xdata()[0]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scores": np.ones(9)}, "same length"),
        ({"selected": np.ones(9, bool)}, "mask of 9 values"),
        ({"selected": np.ones((2, 3))}, r"spans of shape \(k, 2\)"),
        ({"selected": np.array([[5.0, 1.0]])}, "start <= end"),
        ({"selected": np.full(10, 2)}, "booleans or 0/1"),
        ({"signal": np.ones(40)}, "signal_t .* is required"),
        ({"signal": np.ones(40), "signal_t": np.arange(39.0)}, "40 samples"),
        ({"signal": np.ones((2, 3, 4)), "signal_t": np.arange(2.0)}, r"\(T,\) or \(T, c\)"),
        ({"t": np.arange(10.0)[::-1]}, "sorted"),
        ({"scores": np.ones((10, 1))}, "1-D"),
        ({"threshold": np.inf}, "'threshold' parameter"),
        ({"time_unit": "days"}, "time_unit"),
        ({"window_align": "end"}, "window_align"),
        ({"transitions": ["start"]}, "numbers .* or datetimes"),
    ],
)
def test_opportune_timeline_bad_input(kwargs, match):
    args = {"t": np.arange(10.0) * 30, "scores": np.linspace(0, 1, 10), **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        plot_opportune_timeline(args.pop("t"), args.pop("scores"), **args)


# -- 4. signal images --------------------------------------------------------------
def _gaf_imager():
    try:
        from skkd.features import GAFImager
    except ImportError:
        try:
            from skkd.features._gaf import GAFImager
        except ImportError:
            pytest.skip("skkd.features.GAFImager is not available")
    return GAFImager


def _eda_window(s02):
    eda = s02["eda"]
    start = int((s02.tags[0] - eda.start) * eda.fs)  # the minute after the first task tag
    return eda.data[start : start + 240, 0], eda.fs


def test_gaf_under_real_eda_window(s02, tmp_path):
    window, fs = _eda_window(s02)
    image = _gaf_imager()(image_size=48).fit_transform(window[None, None, :])[0]  # (1, 48, 48)
    fig = plot_gaf(window, image, fs=fs, image_label="GASF", signal_label="EDA (µS)",
                   path=tmp_path / "gaf.png")
    assert_png(tmp_path / "gaf.png")
    sig_ax, img_ax = fig.axes[:2]
    assert img_ax.get_images()[0].get_array().shape == (48, 48)
    assert img_ax.get_images()[0].get_extent() == [0, 60.0, 60.0, 0]
    np.testing.assert_allclose(sig_ax.get_lines()[0].get_ydata(), window)
    assert sig_ax.get_xlim() == (0.0, 60.0) and img_ax.get_xlabel() == "time (s)"


@pytest.mark.slow
def test_gaf_from_pyts_under_real_eda_window(s02, tmp_path):
    from pyts.image import GramianAngularField

    window, fs = _eda_window(s02)
    image = GramianAngularField(image_size=48, method="difference").fit_transform(window[None])[0]
    fig = plot_gaf(window, image, fs=fs, image_label="GADF (pyts)", path=tmp_path / "gadf.png")
    assert_png(tmp_path / "gadf.png")
    np.testing.assert_allclose(fig.axes[1].get_images()[0].get_array(), image)


def test_log_mel_under_real_emodb_clip(emodb_clip, tmp_path):
    import librosa

    sr, audio = emodb_clip
    mel = librosa.feature.melspectrogram(y=audio, sr=sr, n_fft=2048, hop_length=256, n_mels=64)
    log_mel = librosa.power_to_db(mel, ref=np.max)[None]  # (1, n_mels, frames)
    fig = plot_log_mel(audio, log_mel, sr=sr, hop_length=256, title="EmoDB 03a01Fa (happiness)",
                       path=tmp_path / "logmel.png")
    assert_png(tmp_path / "logmel.png")
    wave_ax, spec_ax = fig.axes[:2]
    assert spec_ax.collections[0].get_array().size == log_mel.size
    assert spec_ax.get_ylabel() == "Hz" and spec_ax.get_xlabel() == "time (s)"
    assert wave_ax.get_xlim()[1] == pytest.approx(audio.size / sr, rel=0.02)
    assert fig._suptitle.get_text().startswith("EmoDB")


def test_signal_images_bad_input():
    x = np.sin(np.linspace(0, 6, 64))
    gaf = np.cos(np.add.outer(np.arccos(x), np.arccos(x)))
    with pytest.raises(ValueError, match="square"):
        plot_gaf(x, gaf[:, :32])
    with pytest.raises(ValueError, match="only 32 samples"):
        plot_gaf(x[:32], gaf)
    with pytest.raises(ValueError, match=r"lies in \[-1, 1\]"):
        plot_gaf(x, gaf * 40)
    with pytest.raises(ValueError, match=r"shape \(T,\) or \(1, T\)"):
        plot_gaf(np.ones((3, 64)), gaf)
    with pytest.raises(ValueError, match=r"\(s, s\) or \(c, s, s\)"):
        plot_gaf(x, gaf[None, None])
    with pytest.raises(ValueError, match=r"'channel' parameter .* below 1.*Got 1 instead"):
        plot_gaf(x, gaf[None], channel=1)
    with pytest.raises(ValueError, match="needs 2 axes"):
        plot_gaf(x, gaf, ax=plt.subplots()[1])
    spec = np.zeros((32, 16))
    audio = np.zeros(16 * 512)
    with pytest.raises(ValueError, match=r"\(n_mels, frames\)"):
        plot_log_mel(audio, spec[None, None], sr=8000)
    with pytest.raises(ValueError, match="frames but a"):
        plot_log_mel(audio[:2048], spec, sr=8000)
    with pytest.raises(ValueError, match="'sr' parameter"):
        plot_log_mel(audio, spec, sr=-1)
    with pytest.raises(ValueError, match="'fmin' parameter .* below fmax=4000"):
        plot_log_mel(audio, spec, sr=8000, fmin=5000)


# -- 5. KD comparison bars ----------------------------------------------------------
METHODS = ["teacher (all signals)", "student, no KD", "student, KD"]


def _results_frame():
    rows = []
    for d, dataset in enumerate(["stress-predict", "emodb"]):
        for m, method in enumerate(METHODS):
            rows.append({
                "dataset": dataset, "method": method,
                "macro_f1_mean": 0.55 + 0.1 * m - 0.05 * d, "macro_f1_std": 0.04,
                "balanced_accuracy_mean": 0.6 + 0.08 * m, "balanced_accuracy_std": 0.03,
                "n_folds": 5,
            })
    return pd.DataFrame(rows)


def test_kd_comparison_from_csv_faceted(tmp_path):
    csv = tmp_path / "results.csv"
    _results_frame().to_csv(csv, index=False)
    fig = plot_kd_comparison(csv, chance=0.5, title="KD on two datasets", path=tmp_path / "kd.png")
    assert_png(tmp_path / "kd.png")
    assert [ax.get_title() for ax in fig.axes] == ["stress-predict", "emodb"]
    frame = _results_frame()
    for ax, dataset in zip(fig.axes, ["stress-predict", "emodb"]):
        assert tick_texts(ax.xaxis) == METHODS
        assert len(ax.patches) == len(METHODS) * 2  # methods x metrics
        heights = [p.get_height() for p in ax.patches]
        sub = frame[frame.dataset == dataset]
        np.testing.assert_allclose(heights[:3], sub.macro_f1_mean)
        np.testing.assert_allclose(heights[3:], sub.balanced_accuracy_mean)
        assert any(ln.get_linestyle() == "--" and ln.get_ydata()[0] == 0.5 for ln in ax.get_lines())
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert legend == ["macro F1", "balanced accuracy", "chance"]


def test_kd_comparison_from_json_subset_into_axes(tmp_path):
    rows = _results_frame().query("dataset == 'emodb'").drop(columns="dataset")
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": rows.to_dict("records")}))
    fig, ax = plt.subplots()
    out = plot_kd_comparison(path, metrics="macro_f1", methods=METHODS[:0:-1], ax=ax)
    assert out is fig and tick_texts(ax.xaxis) == ["student, KD", "student, no KD"]
    assert len(ax.patches) == 2
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0.70, 0.60])


def test_kd_comparison_aggregates_per_fold_rows():
    rng = np.random.default_rng(1)
    folds = pd.DataFrame({
        "method": np.repeat(METHODS, 5),
        "fold": np.tile(np.arange(5), 3),
        "balanced_accuracy": rng.uniform(0.5, 0.9, 15),
    })
    fig = plot_kd_comparison(folds)
    (ax,) = fig.axes
    reference = folds.groupby("method", sort=False)["balanced_accuracy"].agg(["mean", "std"])
    np.testing.assert_allclose([p.get_height() for p in ax.patches], reference["mean"])
    caps = [ln for ln in ax.get_lines() if ln.get_marker() == "_"]  # error-bar caps
    assert len(caps) == 2 and len(caps[0].get_ydata()) == 3
    upper = np.asarray(caps[1].get_ydata(), dtype=float)
    np.testing.assert_allclose(upper - reference["mean"], reference["std"])


def test_kd_comparison_joins_method_columns_of_per_subject_rows():
    per_subject = pd.DataFrame({
        "dataset": "stress-predict",
        "method": ["rulsif", "fixed"] * 4,
        "signals": ["eda"] * 4 + ["eda+temp"] * 4,
        "subject": ["S02", "S02", "S03", "S03"] * 2,
        "f1": [0.4, 0.2, 0.6, 0.3, 0.5, 0.1, 0.7, 0.2],
    })
    fig = plot_kd_comparison(per_subject, metrics=["f1"], method_column=["method", "signals"])
    (ax,) = fig.axes
    assert tick_texts(ax.xaxis) == ["rulsif / eda", "fixed / eda", "rulsif / eda+temp",
                                    "fixed / eda+temp"]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0.5, 0.25, 0.6, 0.15])
    with pytest.raises(ValueError, match="no 'variant' column"):
        plot_kd_comparison(per_subject, metrics=["f1"], method_column=["method", "variant"])


def test_read_results_formats(tmp_path):
    rows = [{"method": "a", "macro_f1_mean": 0.5}, {"method": "b", "macro_f1_mean": 0.6}]
    by_columns = tmp_path / "cols.json"
    by_columns.write_text(json.dumps({"method": ["a", "b"], "macro_f1_mean": [0.5, 0.6]}))
    by_rows = tmp_path / "rows.json"
    by_rows.write_text(json.dumps(rows))
    expected = pd.DataFrame(rows)
    for source in (rows, by_columns, by_rows, str(by_rows), expected):
        pd.testing.assert_frame_equal(read_results(source), expected)


@pytest.mark.parametrize(
    ("results", "kwargs", "error", "match"),
    [
        ([{"name": "a", "macro_f1_mean": 0.5}], {}, ValueError, "no 'method' column"),
        ([{"method": "a", "accuracy_mean": 0.5}], {}, ValueError, "none of the default metrics"),
        ([{"method": "a", "macro_f1_mean": 0.5}], {"metrics": ["roc_auc"]}, ValueError,
         r"lacks column\(s\) \['roc_auc_mean'\]"),
        ([{"method": "a", "macro_f1_mean": 0.5}] * 2, {}, ValueError, "several rows"),
        ([{"method": "a", "macro_f1_mean": "good"}], {}, ValueError, "must be numeric"),
        ([{"method": "a", "macro_f1_mean": 0.5}], {"methods": ["b"]}, ValueError, "not in results"),
        ([], {}, ValueError, "no rows"),
        (42, {}, TypeError, "DataFrame, a path"),
        ("missing.csv", {}, FileNotFoundError, "does not exist"),
    ],
)
def test_kd_comparison_bad_input(results, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_kd_comparison(results, **kwargs)


def test_kd_comparison_rejects_unknown_suffix(tmp_path):
    path = tmp_path / "results.xlsx"
    path.write_text("x")
    with pytest.raises(ValueError, match=r"must be \.csv or \.json"):
        plot_kd_comparison(path)


def test_agg_backend_untouched_by_saving(tmp_path):
    before = matplotlib.get_backend()
    fig = plot_training_curves([{"train_loss": 1.0}, {"train_loss": 0.5}], path=tmp_path / "x")
    # a suffix-less path gets ".png" appended (as Figure.savefig does)
    assert (tmp_path / "x.png").read_bytes()[:8] == PNG_SIGNATURE
    assert not (tmp_path / "x").exists()
    assert matplotlib.get_backend() == before
    assert fig.axes[0].get_ylabel() == "loss"
