"""Lazy matplotlib access, axes checking and PNG saving shared by the plots.

Nothing here imports matplotlib at module import time: ``import skkd.plotting``
works without it, and a plot function called without it raises an
``ImportError`` that says how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skkd._writing import check_output_path, write_then_move

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL_HINT = "pip install skkd[plot]"

#: ``validate_params`` constraints of the options every plot function shares
FIGURE_CONSTRAINTS = {
    "ax": "no_validation",  # checked by resolve_axes (matplotlib is imported late)
    "title": [str, None],
    "path": [str, os.PathLike, None],
    "overwrite": ["boolean"],
}


def require_matplotlib(caller: str) -> Any:
    """Import and return matplotlib, or raise an ``ImportError`` naming the fix.

    >>> require_matplotlib("plot_confusion_matrix").__name__
    'matplotlib'
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed; install the plotting "
            f"extra with `{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return matplotlib


def resolve_axes(ax, n_axes: int, *, caller: str, **subplots_kw) -> tuple[Figure, list[Axes]]:
    """Return ``(figure, axes)``: new pyplot axes if ``ax`` is None, else ``ax`` checked.

    ``ax`` may be one ``Axes`` (when ``n_axes == 1``) or a sequence of exactly
    ``n_axes`` of them. New figures come from ``pyplot.subplots`` so that
    ``plt.show()`` and notebooks display them; close them with ``plt.close(fig)``.
    """
    require_matplotlib(caller)
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        nrows = subplots_kw.pop("nrows", 1)
        ncols = subplots_kw.pop("ncols", n_axes)
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, **subplots_kw)
        flat = list(axes.ravel())
        for extra in flat[n_axes:]:
            extra.remove()
        return fig, flat[:n_axes]
    if isinstance(ax, Axes):
        axes = [ax]
    elif isinstance(ax, Sequence) or hasattr(ax, "ravel"):
        axes = list(ax.ravel()) if hasattr(ax, "ravel") else list(ax)
        bad = [type(a).__name__ for a in axes if not isinstance(a, Axes)]
        if bad:
            raise TypeError(f"{caller}: ax must hold matplotlib Axes, got {bad}.")
    else:
        raise TypeError(
            f"{caller}: ax must be a matplotlib Axes or a sequence of {n_axes} Axes, "
            f"got {type(ax).__name__}."
        )
    if len(axes) != n_axes:
        raise ValueError(
            f"{caller}: this figure needs {n_axes} axes, but ax holds {len(axes)}."
        )
    return root_figure(axes[0]), axes


def root_figure(ax: Axes) -> Figure:
    """The top-level Figure holding ``ax`` (not a SubFigure), on any matplotlib >= 3.7."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: no ``root`` and ``.figure`` is the root
        fig = ax.figure
        while getattr(fig, "figure", None) is not None and fig.figure is not fig:
            fig = fig.figure
        return fig


def check_save_path(path: str | os.PathLike | None, *, overwrite: bool = False,
                    caller: str = "plot") -> Path | None:
    """The file a plot will be saved to, checked before anything is drawn (None: no file).

    ``path`` and ``overwrite`` have passed the caller's ``validate_params``
    (:data:`FIGURE_CONSTRAINTS`). The saving rule of every plot function, in one
    place:

    - a path without a suffix gets ``.png`` appended, as ``Figure.savefig``
      does (``"fig"`` is written to ``"fig.png"``; a file named ``"fig"`` is
      left alone);
    - ``.png`` is written as PNG by the non-interactive Agg renderer, whatever
      backend is active; another suffix matplotlib writes (``.pdf``, ``.svg``,
      ``.jpg``...) picks that format, and any other suffix is a ``ValueError``;
    - an existing file is a ``FileExistsError`` unless ``overwrite=True``;
      missing parent folders are created when saving, and a file where a
      folder should be is an error.

    >>> check_save_path("figures/run1", caller="demo").as_posix()
    'figures/run1.png'
    >>> check_save_path(None) is None
    True
    """
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{caller}: path {str(path)!r} is a folder; give a file name, "
                         "e.g. 'figure.png'.")
    if path.name and not path.suffix:
        path = path.with_name(path.name + ".png")
    suffix = path.suffix.lower()
    if suffix and suffix != ".png":
        require_matplotlib(caller)
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix[1:] not in formats:
            raise ValueError(
                f"{caller}: cannot save a figure as {suffix!r} (path {str(path)!r}); use "
                f"one of {', '.join('.' + f for f in sorted(formats))}."
            )
    try:
        return check_output_path(path, overwrite=overwrite, create_folders=True,
                                 example="'figure.png'")
    except (TypeError, ValueError, OSError) as exc:
        raise type(exc)(f"{caller}: {exc}") from None


def save_figure(fig: Figure, path: str | os.PathLike | None, *, dpi: int = 150,
                overwrite: bool = False, caller: str = "plot") -> Path | None:
    """Save ``fig`` to ``path`` by the rule of :func:`check_save_path`; return the file.

    The figure is written to a temporary file in the target folder and moved
    onto the target only once complete, so a failed save never leaves a
    half-written file or touches an existing one.
    """
    path = check_save_path(path, overwrite=overwrite, caller=caller)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    with write_then_move(path, overwrite=overwrite) as tmp:
        if suffix == ".png":
            fig.savefig(tmp, format="png", backend="agg", dpi=dpi, bbox_inches="tight")
        else:
            fig.savefig(tmp, format=suffix[1:], dpi=dpi, bbox_inches="tight")
    return path


def pretty_name(name: str) -> str:
    """Human label for a metric/history key (``"valid_acc"`` -> ``"valid acc"``).

    >>> pretty_name("macro_f1"), pretty_name("balanced_accuracy")
    ('macro F1', 'balanced accuracy')
    """
    words = str(name).split("_")
    acronyms = {"f1": "F1", "auc": "AUC", "roc": "ROC", "mse": "MSE"}
    return " ".join(acronyms.get(w.lower(), w) for w in words)
