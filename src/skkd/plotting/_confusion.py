"""Confusion matrix of predicted against true labels."""

from __future__ import annotations

import os
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skkd.plotting._backend import (
    FIGURE_CONSTRAINTS,
    check_save_path,
    require_matplotlib,
    resolve_axes,
    save_figure,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_NORMALIZE = {
    None: "counts",
    "true": "normalised over true labels",
    "pred": "normalised over predicted labels",
    "all": "normalised over all windows",
}


def _as_labels(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per window), got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; there is nothing to count.")
    return arr


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "labels": ["array-like", None],
        "display_labels": ["array-like", None],
        "normalize": [StrOptions(set(_NORMALIZE) - {None}), None],
        "cmap": [str, callable],
        "values_format": [str, None],
        "colorbar": ["boolean"],
        "xticks_rotation": [StrOptions({"auto", "horizontal", "vertical"}),
                            Interval(Real, None, None, closed="neither")],
        **FIGURE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    labels=None,
    display_labels=None,
    normalize: str | None = None,
    cmap: str = "Blues",
    values_format: str | None = None,
    colorbar: bool = True,
    xticks_rotation: str | float = "auto",
    ax: Axes | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Plot the confusion matrix of ``y_pred`` against ``y_true``.

    Built on :class:`sklearn.metrics.ConfusionMatrixDisplay`; rows are true
    labels, columns predicted ones.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_windows,)
        True and predicted labels (strings or integers).
    labels : array-like, optional
        Order of the classes on both axes; by default the sorted union of
        ``y_true`` and ``y_pred``. Every label that occurs must be listed
        (nothing is dropped silently).
    display_labels : array-like, optional
        Tick labels, one per class (default: the labels themselves).
    normalize : {None, "true", "pred", "all"}, default=None
        Counts, or proportions over rows, columns or all cells.
    cmap, values_format, colorbar :
        Colour map, cell text format (``"d"`` for counts, ``".2f"`` when
        normalised) and whether to draw a colour bar.
    xticks_rotation : "auto", "horizontal", "vertical" or float, default="auto"
        ``"auto"`` tilts the predicted-label ticks by 45 degrees when they are
        long or many.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Axes title (default says whether cells are counts or proportions).
    path : str or path-like, optional
        Save the figure there: PNG for ``.png`` or no suffix (``".png"`` is then
        appended), else the format of the suffix (``.pdf``, ``.svg``...).
        Missing folders are created.
    overwrite : bool, default=False
        Replace an existing file at ``path``; by default ``FileExistsError`` is
        raised before anything is drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix(["calm", "stress", "stress"], ["calm", "calm", "stress"])
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['calm', 'stress']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_confusion_matrix")
    path = check_save_path(path, overwrite=overwrite, caller="plot_confusion_matrix")
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true = _as_labels(y_true, "y_true")
    y_pred = _as_labels(y_pred, "y_pred")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {y_true.shape[0]} "
            f"and {y_pred.shape[0]}."
        )
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    else:
        labels = _as_labels(labels, "labels")
        if len(set(labels.tolist())) != labels.size:
            raise ValueError(f"labels has duplicates: {labels.tolist()}.")
        seen = {str(v) for v in np.concatenate([y_true, y_pred])}
        unknown = sorted(seen - {str(v) for v in labels})
        if unknown:
            raise ValueError(
                f"labels {labels.tolist()} misses value(s) {unknown} that occur in "
                "y_true or y_pred; list every class."
            )
    if display_labels is not None:
        display_labels = list(display_labels)
        if len(display_labels) != len(labels):
            raise ValueError(
                f"display_labels has {len(display_labels)} entries but there are "
                f"{len(labels)} classes."
            )
    names = display_labels if display_labels is not None else [str(v) for v in labels]
    if xticks_rotation == "auto":
        tilt = len(names) > 6 or max(len(str(n)) for n in names) * len(names) > 40
        xticks_rotation = 45 if tilt else "horizontal"
    if values_format is None:
        values_format = ".2f" if normalize else "d"

    fig, (ax,) = resolve_axes(
        ax, 1, caller="plot_confusion_matrix",
        figsize=(1.6 + 0.75 * len(labels), 1.2 + 0.7 * len(labels)),
    )
    im_kw = {"vmin": 0.0, "vmax": 1.0} if normalize else None
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, display_labels=names,
        cmap=cmap, values_format=values_format, colorbar=colorbar,
        xticks_rotation=xticks_rotation, ax=ax, im_kw=im_kw,
    )
    if xticks_rotation not in ("horizontal", 0):
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    ax.set_title(title if title is not None else f"Confusion matrix ({_NORMALIZE[normalize]})")
    save_figure(fig, path, overwrite=overwrite, caller="plot_confusion_matrix")
    return fig
