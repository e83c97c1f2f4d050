"""Parameters of the feature extractors go through scikit-learn's constraints.

Every bad value raises :class:`InvalidParameterError` (a ``ValueError`` and a
``TypeError``) whose message names the parameter and its owner.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation

from skkd.features import (
    ACCFeatures,
    BVPFeatures,
    ECGFeatures,
    ECGQuality,
    EDAFeatures,
    EDAQuality,
    GAFImager,
    LogMelExtractor,
    PPGQuality,
    QualitySelector,
    RSPFeatures,
    SpeechFeatures,
    SubjectStandardScaler,
    TEMPFeatures,
    WindowStatistics,
    recording_features,
)
from skkd.features._rocket import MiniRocketFeatures, minirocket_backend
from skkd.features._subject import describe_calibration

NAN, INF = float("nan"), float("inf")
def test_sklearn_param_validation_minirocket():
    # the other extractors run in tests/test_common.py; MiniRocketFeatures is left out
    # there (its backend is optional) but its constraints need no backend
    check_param_validation("MiniRocketFeatures", MiniRocketFeatures())


#: (class, parameter, bad values): NaN and inf for numbers, and a wrong type
BAD = [
    *((cls, "fs", (NAN, INF, "4", True)) for cls in (
        EDAFeatures, BVPFeatures, ECGFeatures, RSPFeatures, TEMPFeatures, ACCFeatures,
        EDAQuality, PPGQuality, ECGQuality)),
    (EDAFeatures, "verbose", (NAN, INF, "1", True)),
    (EDAFeatures, "n_jobs", (NAN, "2")),
    (EDAFeatures, "method", (4, "cvxEDA")),
    (ACCFeatures, "one_g", (NAN, INF, "64", True)),
    (EDAQuality, "eda_range", ((NAN, 60.0), (0.05, INF), 0.05, "ab")),
    (EDAQuality, "max_slope", (NAN, INF, "10")),
    (EDAQuality, "margin_s", (NAN, INF, "5")),
    (PPGQuality, "methods", (3, ("skewness", 3), ())),
    (ECGQuality, "methods", (3, ("zhao2018", "zhao2018"))),
    (QualitySelector, "max_eda_invalid", (NAN, INF, "0.25", True)),
    (QualitySelector, "max_motion", (NAN, INF, "0.1")),
    (QualitySelector, "min_ppg_quality", (NAN, INF, "0.5")),
    (QualitySelector, "eda_range", ((NAN, 60.0), 0.05)),
    (QualitySelector, "temp_range", ((30, INF), 30)),
    (QualitySelector, "max_slope", (NAN, INF, "10")),
    (QualitySelector, "margin_s", (NAN, INF, "5")),
    (QualitySelector, "one_g", (NAN, INF, "64")),
    (QualitySelector, "fs", ({"eda": NAN}, {"eda": INF}, {"eda": "4"}, 4.0)),
    (QualitySelector, "keys", ("eda", {"gsr": "eda"})),
    (QualitySelector, "motion_feature", (1, "steps")),
    (WindowStatistics, "stats", (5, ("mean", 5), "kurtosis")),
    (GAFImager, "image_size", (NAN, INF, "32", 0, 1.5, True)),
    (GAFImager, "sample_range", ((NAN, 1), (-1, INF), "ab")),
    (GAFImager, "batch_size", (NAN, INF, 0, True)),
    (GAFImager, "n_jobs", (NAN, 0, -2, True)),
    (GAFImager, "dtype", (3, "int32", "no-such-dtype")),
    (LogMelExtractor, "sr", (NAN, INF, "22050", True)),
    (LogMelExtractor, "fmin", (NAN, INF, "0")),
    (LogMelExtractor, "fmax", (NAN, INF, "8000")),
    (LogMelExtractor, "power", (NAN, INF, "2")),
    (LogMelExtractor, "ref", (NAN, INF, "min")),
    (LogMelExtractor, "amin", (NAN, INF, "1e-10")),
    (LogMelExtractor, "top_db", (NAN, INF, "80")),
    (LogMelExtractor, "win_length", (NAN, 4096, "512")),
    (LogMelExtractor, "center", ("yes",)),
    (SpeechFeatures, "roll_percent", (NAN, INF, "0.85", 1.0)),
    (SpeechFeatures, "tuning", (NAN, INF, "0")),
    (SpeechFeatures, "n_mfcc", (NAN, 200, "40", True)),
    (SpeechFeatures, "stats", ("mean", ("mode",), ())),
    (MiniRocketFeatures, "num_kernels", (NAN, INF, "10000", 10)),
    (MiniRocketFeatures, "random_state", (NAN, "0", True)),
    (SubjectStandardScaler, "calibration", (NAN, INF, "first", True)),
    (SubjectStandardScaler, "min_windows", (NAN, INF, "2", True)),
    (SubjectStandardScaler, "with_mean", ("yes",)),
]


def _fit_input(cls):
    if cls is QualitySelector:
        return {"eda": np.full((2, 1, 240), 2.0)}
    if cls is ACCFeatures:
        return np.ones((2, 3, 320))
    return np.zeros((2, 4000)) if cls in (LogMelExtractor, SpeechFeatures) else np.ones((2, 40))


@pytest.mark.parametrize(
    "cls, param, value",
    [(cls, param, value) for cls, param, values in BAD for value in values],
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v),
)
def test_bad_parameter_is_named(cls, param, value):
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of {cls.__name__}"):
        cls(**{param: value}).fit(_fit_input(cls))


@pytest.mark.parametrize(
    "estimator, param",
    [(EDAFeatures(verbose=0), "fs"), (GAFImager(image_size=4), "batch_size"),
     (SpeechFeatures(sr=8000, n_fft=64, hop_length=16, n_mels=16, n_mfcc=8), "tuning"),
     (WindowStatistics(), "stats"), (SubjectStandardScaler(), "min_windows")],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_transform_checks_parameters_too(estimator, param):
    X = np.random.default_rng(0).normal(size=(2, 40 if param != "tuning" else 400))
    fitted = estimator.fit(X)
    fitted.set_params(**{param: NAN})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        fitted.transform(X)


def test_quality_table_checks_parameters():
    X = {"eda": np.full((2, 1, 240), 2.0)}
    with pytest.raises(InvalidParameterError, match="'margin_s' parameter of QualitySelector"):
        QualitySelector(margin_s=NAN).quality_table(X)


EDA = {"eda": np.ones(480)}


@pytest.mark.parametrize(
    "kwargs, param",
    [({"window_s": v}, "window_s") for v in (NAN, INF, "60")]
    + [({"step_s": v}, "step_s") for v in (NAN, INF, "30")]
    + [({"start": v}, "start") for v in (NAN, INF, "0")]
    + [({"stop": v}, "stop") for v in (NAN, -INF, "120")]
    + [({"fs": v}, "fs") for v in (NAN, INF, "4")]
    + [({"t0": v}, "t0") for v in (NAN, INF, "0")]
    + [({"t_start": v}, "t_start") for v in (0.0, "0")]
    + [({"per_window": v}, "per_window") for v in ("yes", 1)]
    + [({"extractors": v}, "extractors") for v in ({}, ["eda"], {"eda": "drop"})],
    ids=repr,
)
def test_recording_features_bad_argument_is_named(kwargs, param):
    kwargs = {"fs": 4, "window_s": 60, **kwargs}
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of recording_features"):
        recording_features(EDA, **kwargs)


def test_recording_features_checks_the_signals_and_the_extractors():
    with pytest.raises(InvalidParameterError, match="'signals' parameter of recording_features"):
        recording_features({}, fs=4)
    with pytest.raises(InvalidParameterError, match="'signals' parameter of recording_features"):
        recording_features(np.ones(480), fs=4)
    # a given extractor's own parameters are checked (sklearn names the function)
    with pytest.raises(InvalidParameterError, match="'verbose' parameter"):
        recording_features(EDA, fs=4, extractors={"eda": EDAFeatures(fs=4, verbose=NAN)})


@pytest.mark.parametrize("value", [NAN, "first", True, -1])
def test_describe_calibration_refuses_bad_values(value):
    with pytest.raises(InvalidParameterError, match="'calibration' parameter of describe_"):
        describe_calibration(value)


@pytest.mark.parametrize("value", ["tsai", 1, None])
def test_minirocket_backend_refuses_bad_values(value):
    with pytest.raises(InvalidParameterError, match="'backend' parameter of minirocket_"):
        minirocket_backend(value)
