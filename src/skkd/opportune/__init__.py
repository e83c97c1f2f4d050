"""Opportune moments: RuLSIF change scores and window selectors.

``rulsif_change_scores`` scores every time point of a multichannel series by the
symmetric alpha-relative Pearson divergence between the Hankel subsequences
before and after it (Liu, Yamada, Collier, Sugiyama 2013), batched over all time
points. ``RuLSIFOpportuneSelector`` turns those scores into a window selector
with the API of an outlier detector and of an imbalanced-learn sampler;
``FixedIntervalSelector``, ``RandomSelector`` and ``EstimatorSelector`` are the
baselines with the same API.

>>> import numpy as np
>>> from skkd.opportune import RandomSelector
>>> RandomSelector(fraction=0.5, random_state=0).fit_predict(np.zeros((4, 1, 8))).sum()
np.int64(2)
"""

from skkd.opportune._baselines import EstimatorSelector, FixedIntervalSelector, RandomSelector
from skkd.opportune._change_scores import ChangeScores, median_heuristic, rulsif_change_scores
from skkd.opportune._rulsif import DensityRatioFit, relative_density_ratio
from skkd.opportune._selectors import RuLSIFOpportuneSelector

__all__ = [
    "ChangeScores",
    "DensityRatioFit",
    "EstimatorSelector",
    "FixedIntervalSelector",
    "RandomSelector",
    "RuLSIFOpportuneSelector",
    "median_heuristic",
    "relative_density_ratio",
    "rulsif_change_scores",
]
