"""Every plot function refuses bad options with scikit-learn's InvalidParameterError,
before a figure is opened."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

pytest.importorskip("matplotlib")

import matplotlib.pyplot as plt  # noqa: E402

from skkd.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_gaf,
    plot_kd_comparison,
    plot_log_mel,
    plot_opportune_timeline,
    plot_training_curves,
)

NAN, INF = float("nan"), float("inf")
X = np.sin(np.linspace(0, 6, 64))
GAF = np.cos(np.add.outer(np.arccos(X), np.arccos(X)))

CALLS = {
    plot_confusion_matrix: lambda **kw: plot_confusion_matrix([0, 1, 1], [0, 0, 1], **kw),
    plot_training_curves: lambda **kw: plot_training_curves(
        [{"train_loss": 1.0}, {"train_loss": 0.5}], **kw),
    plot_kd_comparison: lambda **kw: plot_kd_comparison(
        [{"method": "a", "macro_f1_mean": 0.5}], **kw),
    plot_gaf: lambda **kw: plot_gaf(X, GAF, **kw),
    plot_log_mel: lambda **kw: plot_log_mel(np.zeros(16 * 512), np.zeros((32, 16)),
                                            **{"sr": 8000, **kw}),
    plot_opportune_timeline: lambda **kw: plot_opportune_timeline(
        np.arange(10.0) * 30, np.linspace(0, 1, 10), **kw),
}


@pytest.fixture(autouse=True)
def _no_figure_is_opened():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before
    plt.close("all")


@pytest.mark.parametrize("function, name", [
    (plot_confusion_matrix, "xticks_rotation"),
    (plot_kd_comparison, "chance"),
    (plot_gaf, "fs"),
    (plot_log_mel, "sr"),
    (plot_log_mel, "fmin"),
    (plot_log_mel, "fmax"),
    (plot_opportune_timeline, "threshold"),
    (plot_opportune_timeline, "window_duration"),
    (plot_opportune_timeline, "origin"),
])
@pytest.mark.parametrize("value", [NAN, INF, [1.0]])
def test_numbers_refuse_nan_inf_and_wrong_types(function, name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {function.__name__}"):
        CALLS[function](**{name: value})


@pytest.mark.parametrize("function, kwargs", [
    (plot_gaf, {"fs": True}),
    (plot_gaf, {"channel": -1}),
    (plot_gaf, {"channel": 0.0}),
    (plot_log_mel, {"sr": True}),
    (plot_log_mel, {"hop_length": 0}),
    (plot_log_mel, {"hop_length": 512.0}),
    (plot_opportune_timeline, {"window_duration": True}),
    (plot_opportune_timeline, {"window_duration": -1}),
    (plot_opportune_timeline, {"window_duration": datetime.timedelta(seconds=-5)}),
    (plot_opportune_timeline, {"origin": "end"}),
    (plot_opportune_timeline, {"time_unit": "days"}),
    (plot_opportune_timeline, {"window_align": 0}),
    (plot_opportune_timeline, {"signal_label": 3}),
    (plot_confusion_matrix, {"normalize": "rows"}),
    (plot_confusion_matrix, {"colorbar": "yes"}),
    (plot_confusion_matrix, {"xticks_rotation": "diagonal"}),
    (plot_kd_comparison, {"metrics": []}),
    (plot_kd_comparison, {"methods": []}),
    (plot_kd_comparison, {"method_column": []}),
    (plot_kd_comparison, {"dataset_column": None}),
    (plot_kd_comparison, {"value_labels": 1}),
    (plot_training_curves, {"keys": []}),
    (plot_training_curves, {"keys": 3}),
])
def test_options_name_themselves(function, kwargs):
    name = next(iter(kwargs))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {function.__name__}"):
        CALLS[function](**kwargs)


@pytest.mark.parametrize("function", list(CALLS))
@pytest.mark.parametrize("kwargs", [{"path": 3}, {"overwrite": "yes"}, {"title": 3}])
def test_saving_options_are_checked_by_every_plot(function, kwargs):
    name = next(iter(kwargs))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {function.__name__}"):
        CALLS[function](**kwargs)
