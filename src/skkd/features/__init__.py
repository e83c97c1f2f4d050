"""Signal transformers: one signal's windows in, features or images out.

Each transformer maps an array to an array and knows nothing of dicts (route
the keys of a :class:`~skkd.Modalities` with
:class:`skkd.compose.ModalityTransformer`):

- per-window physiological features on NeuroKit2, ``(n, T)`` or
  ``(n, 1, T)`` -> ``(n, k)``: :class:`EDAFeatures`, :class:`BVPFeatures`,
  :class:`ECGFeatures`, :class:`RSPFeatures`, :class:`TEMPFeatures`;
  wrist motion ``(n, 3, T)`` -> ``(n, 10)``: :class:`ACCFeatures`;
  :func:`recording_features`: the same columns for windows of continuous
  recordings, each recording cleaned and decomposed once;
- signal quality: :class:`EDAQuality` (artifact rules),
  :class:`PPGQuality`, :class:`ECGQuality` (NeuroKit2 indices), and
  :class:`QualitySelector`, a sampler that drops artefacted or moving windows;
- :class:`MiniRocketFeatures`: MiniRocket on raw windows ``(n, c, T)``
  (optional: sktime or aeon);
- images: :class:`GAFImager` ``(n, c, T)`` -> ``(n, c, s, s)``;
- audio: :class:`LogMelExtractor` ``(n, T)`` -> ``(n, 1, n_mels, frames)``,
  :class:`SpeechFeatures` (MFCC, chroma, mel, ZCR, spectral shape);
- :class:`SubjectStandardScaler`: per-subject z-scores of any feature table, with
  statistics from each subject's calibration period (first K windows by default).

>>> from skkd.features import EDAFeatures
>>> EDAFeatures(fs=4)
EDAFeatures()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Submodules load on first use: importing LogMelExtractor does not pay for
# neurokit2, nor EDAFeatures for torch's audio code (start-up time matters
# for joblib workers and short scripts).
_WHERE = {
    "ACCFeatures": "_acc",
    "BVPFeatures": "_bvp",
    "ECGFeatures": "_ecg",
    "ECGQuality": "_quality",
    "EDAFeatures": "_eda",
    "EDAQuality": "_quality",
    "PPGQuality": "_quality",
    "QualitySelector": "_quality",
    "FeatureExtractionWarning": "_base",
    "GAFImager": "_gaf",
    "LogMelExtractor": "_logmel",
    "MiniRocketFeatures": "_rocket",
    "RSPFeatures": "_rsp",
    "SpeechFeatures": "_speech",
    "SubjectStandardScaler": "_subject",
    "TEMPFeatures": "_temp",
    "WindowStatistics": "_stats",
    "WindowFeatureExtractor": "_base",
    "eda_rule_flags": "_quality",
    "recording_features": "_recording",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"skkd.features.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skkd.features' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # pragma: no cover - for static analysers
    from skkd.features._acc import ACCFeatures
    from skkd.features._base import FeatureExtractionWarning, WindowFeatureExtractor
    from skkd.features._quality import (
        ECGQuality,
        EDAQuality,
        PPGQuality,
        QualitySelector,
        eda_rule_flags,
    )
    from skkd.features._bvp import BVPFeatures
    from skkd.features._ecg import ECGFeatures
    from skkd.features._eda import EDAFeatures
    from skkd.features._gaf import GAFImager
    from skkd.features._logmel import LogMelExtractor
    from skkd.features._rocket import MiniRocketFeatures
    from skkd.features._rsp import RSPFeatures
    from skkd.features._speech import SpeechFeatures
    from skkd.features._subject import SubjectStandardScaler
    from skkd.features._recording import recording_features
    from skkd.features._temp import TEMPFeatures
    from skkd.features._stats import WindowStatistics
