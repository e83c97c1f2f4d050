"""The pictures users want (matplotlib is optional).

``import skkd.plotting`` never imports matplotlib; each function imports it when
called and raises ``ImportError`` ("pip install skkd[plot]") if it is missing.
Every function returns the matplotlib ``Figure``, draws into ``ax=`` when given
(one Axes, or a sequence for multi-panel figures), and saves a PNG with the
non-interactive Agg renderer when given ``path=`` (a path without a suffix
gets ``.png`` appended; ``.pdf``, ``.svg``... pick that format). An existing
file is never replaced unless ``overwrite=True``: ``FileExistsError`` is
raised before anything is drawn. New figures come from ``pyplot``: close them
(``plt.close(fig)``) in loops.

- :func:`plot_confusion_matrix` -- true against predicted labels.
- :func:`plot_training_curves` -- losses and scores per epoch of a fitted net.
- :func:`plot_opportune_timeline` -- change scores, selected opportune windows
  and the true task transitions over a recording.
- :func:`plot_gaf`, :func:`plot_log_mel` -- a signal image under its raw signal.
- :func:`plot_kd_comparison` -- method comparison bars from a benchmark results
  file (columns ``method``, ``<metric>_mean``, ``<metric>_std``, ``dataset``).

>>> import skkd.plotting
>>> sorted(skkd.plotting.__all__)[:2]
['plot_confusion_matrix', 'plot_gaf']
"""

from skkd.plotting._comparison import plot_kd_comparison, read_results
from skkd.plotting._confusion import plot_confusion_matrix
from skkd.plotting._history import plot_training_curves
from skkd.plotting._images import plot_gaf, plot_log_mel
from skkd.plotting._timeline import plot_opportune_timeline

__all__ = [
    "plot_confusion_matrix",
    "plot_gaf",
    "plot_kd_comparison",
    "plot_log_mel",
    "plot_opportune_timeline",
    "plot_training_curves",
    "read_results",
]
