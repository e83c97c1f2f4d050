"""Data sets as windows: real-data readers, a built-in sample, synthetic generators.

Every loader (and ``make_affective_dataset``) returns a
:class:`sklearn.utils.Bunch` with ``X`` (windows first), ``y``, ``groups`` (the
subject or speaker of each window, for subject-independent evaluation), ``meta``
and ``DESCR``; ``window_signals`` cuts continuous signals into aligned windows.
Real data are read from ``data_home`` (argument, else ``$SKKD_DATA``, else
``../shared/data``); a Stress-Predict sample (raw EDA and TEMP of three subjects)
and window features of all 34 labelled subjects (with the windows' raw EDA,
TEMP and BVP) ship with the package.

>>> from skkd.datasets import load_stress_predict_sample
>>> load_stress_predict_sample().X
Modalities(n_windows=327, eda=(1, 240), temp=(1, 240))
"""

from skkd.datasets._deap import load_deap
from skkd.datasets._describe import describe_datasets
from skkd.datasets._e4 import E4Recording, E4Signal, read_empatica_e4
from skkd.datasets._e4_folder import load_e4_folder
from skkd.datasets._emodb import load_emodb
from skkd.datasets._features_sample import load_stress_predict_features
from skkd.datasets._home import get_data_home
from skkd.datasets._multi_source import load_multi_source_stress
from skkd.datasets._sample import load_stress_predict_sample
from skkd.datasets._stress_predict import load_stress_predict
from skkd.datasets._stressid import load_stressid_features
from skkd.datasets._synthetic import make_affective_dataset, make_affective_sessions
from skkd.datasets._wesad import load_wesad
from skkd.datasets._windowing import window_signals

__all__ = [
    "E4Recording",
    "E4Signal",
    "describe_datasets",
    "get_data_home",
    "load_deap",
    "load_e4_folder",
    "load_emodb",
    "load_multi_source_stress",
    "load_stress_predict",
    "load_stress_predict_features",
    "load_stress_predict_sample",
    "load_stressid_features",
    "load_wesad",
    "make_affective_dataset",
    "make_affective_sessions",
    "read_empatica_e4",
    "window_signals",
]
