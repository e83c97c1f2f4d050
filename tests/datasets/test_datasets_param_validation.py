"""Every public loader refuses bad parameters with scikit-learn's InvalidParameterError.

The parameters are checked before any file is read, so no data are needed.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skkd.datasets import (
    describe_datasets,
    get_data_home,
    load_e4_folder,
    load_emodb,
    load_multi_source_stress,
    load_stress_predict,
    load_stress_predict_features,
    load_stress_predict_sample,
    read_empatica_e4,
    window_signals,
)

NAN, INF = float("nan"), float("inf")


def _call(function, tmp_path, **kwargs):
    """Call ``function`` with valid required arguments, then ``kwargs``."""
    if function is load_e4_folder:
        kwargs = {"path": tmp_path} | kwargs
    elif function is read_empatica_e4:
        kwargs = {"folder": tmp_path} | kwargs
    elif function is window_signals:
        kwargs = {"signals": {"a": np.zeros(40)}, "fs": 4, "window_s": 1} | kwargs
    return function(**kwargs)


@pytest.mark.parametrize("function, name", [
    (load_stress_predict_sample, "window_s"),
    (load_stress_predict_sample, "step_s"),
    (load_stress_predict, "window_s"),
    (load_stress_predict, "step_s"),
    (load_e4_folder, "window_s"),
    (load_e4_folder, "step_s"),
    (window_signals, "window_s"),
    (window_signals, "step_s"),
    (window_signals, "fs"),
    (window_signals, "start"),
    (window_signals, "stop"),
    (window_signals, "t0"),
])
@pytest.mark.parametrize("value", [NAN, INF, "60"])
def test_numbers_refuse_nan_inf_and_text(function, name, value, tmp_path):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {function.__name__}"):
        _call(function, tmp_path, **{name: value})


@pytest.mark.parametrize("function, name", [
    (load_stress_predict_sample, "window_s"),
    (load_stress_predict, "step_s"),
    (load_e4_folder, "window_s"),
    (load_e4_folder, "step_s"),
])
def test_window_lengths_refuse_bools(function, name, tmp_path):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter .* not a bool"):
        _call(function, tmp_path, **{name: True})


@pytest.mark.parametrize("function, kwargs", [
    (get_data_home, {"data_home": 3}),
    (load_emodb, {"data_home": 3}),
    (load_multi_source_stress, {"data_home": 3}),
    (load_stress_predict, {"data_home": 3}),
    (load_stress_predict, {"signals": 3}),
    (load_stress_predict, {"memory": 3}),
    (load_stress_predict_features, {"raw": "yes"}),
    (describe_datasets, {"data_home": 3}),
    (describe_datasets, {"memory": 3}),
    (load_e4_folder, {"path": None}),
    (load_e4_folder, {"labels": [("P01", 0, 60, "a")]}),
    (load_e4_folder, {"signals": 3}),
    (load_e4_folder, {"subjects": 3}),
    (load_e4_folder, {"subjects": []}),
    (load_e4_folder, {"timezone": 0}),
    (load_e4_folder, {"timezone": "Mars/Olympus"}),
    (load_e4_folder, {"memory": 3}),
    (read_empatica_e4, {"folder": 3}),
    (read_empatica_e4, {"signals": 3}),
    (read_empatica_e4, {"signals": ["ppg"]}),
    (window_signals, {"signals": [np.zeros(4)]}),
    (window_signals, {"fs": "4"}),
])
def test_wrong_types_and_values_name_the_parameter(function, kwargs, tmp_path):
    name = next(iter(kwargs))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {function.__name__}"):
        _call(function, tmp_path, **kwargs)
