"""skkd: knowledge distillation for affective computing, the scikit-learn way.

A rich *teacher* sees every signal a lab records; a small *student* learns from it
and needs only what a wearable or a microphone gives at prediction time.

Subpackages load on first use: ``skkd.datasets``, ``skkd.features``,
``skkd.compose``, ``skkd.opportune``, ``skkd.nets``, ``skkd.estimators``,
``skkd.baselines``, ``skkd.decision``, ``skkd.model_selection``, ``skkd.plotting``.

>>> import skkd
>>> isinstance(skkd.__version__, str)
True
>>> skkd.TeacherClassifier.__name__
'TeacherClassifier'
"""

from __future__ import annotations

import importlib

from skkd._modalities import Modalities

__version__ = "0.1.0"

_SUBMODULES = {
    "baselines", "compose", "datasets", "decision", "estimators", "features", "model_selection",
    "export", "nets", "opportune", "plotting", "utils",
}
_ESTIMATORS = {"TeacherClassifier", "DistilledStudentClassifier", "DINOPretrainer"}

# The estimators are reachable as ``skkd.TeacherClassifier`` for convenience, but
# documented (and listed) where they live, in ``skkd.estimators``.
__all__ = ["Modalities", "__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"skkd.{name}")
    if name in _ESTIMATORS:
        return getattr(importlib.import_module("skkd.estimators"), name)
    raise AttributeError(f"module 'skkd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | _ESTIMATORS)
