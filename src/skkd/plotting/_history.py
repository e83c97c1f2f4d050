"""Training and validation curves from a skorch history."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils._param_validation import validate_params

from skkd.plotting._backend import (
    FIGURE_CONSTRAINTS, check_save_path, pretty_name, require_matplotlib, resolve_axes,
    save_figure,
)
from skkd.utils._validation import invalid_parameter

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

#: per-epoch keys that skorch records but that are not curves
_BOOKKEEPING = {"epoch", "dur", "batches", "train_batch_count", "valid_batch_count"}


def _epochs_of(history) -> list[Mapping]:
    """The list of per-epoch dicts behind ``history`` (see plot_training_curves)."""
    import pandas as pd

    source = history
    if hasattr(source, "net_"):  # skkd estimators wrap the skorch net as ``net_``
        source = source.net_
    if hasattr(source, "history") and not isinstance(source, (Sequence, pd.DataFrame)):
        source = source.history  # a skorch NeuralNet
        if source is None:
            raise ValueError(
                f"history: the skorch net in {type(history).__name__} has no history "
                "yet; fit it first."
            )
    elif hasattr(source, "get_params") and not isinstance(source, (Sequence, pd.DataFrame)):
        raise ValueError(
            f"history: {type(history).__name__} is not fitted (it has no `net_` or "
            "`history`); fit it first."
        )
    if isinstance(source, pd.DataFrame):
        source = source.to_dict("records")
    if not isinstance(source, Sequence) or isinstance(source, (str, bytes)):
        raise TypeError(
            "history must be a skorch History (a list of per-epoch dicts), a DataFrame "
            "with one row per epoch, a fitted skorch net, or an estimator with a "
            f"fitted `net_`; got {type(history).__name__}."
        )
    epochs = list(source)
    if not epochs:
        raise ValueError("history has no epochs; fit the net for at least one epoch.")
    bad = [type(e).__name__ for e in epochs if not isinstance(e, Mapping)]
    if bad:
        raise TypeError(f"history must hold one dict per epoch, got {bad[0]} entries.")
    return epochs


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _curve_keys(epochs: list[Mapping]) -> list[str]:
    keys: list[str] = []
    for epoch in epochs:
        for key, value in epoch.items():
            if key in keys or key in _BOOKKEEPING:
                continue
            if key.endswith("_best") or key.startswith("event_"):
                continue
            if _is_number(value):
                keys.append(key)
    return keys


def _values(epochs: list[Mapping], key: str) -> np.ndarray:
    out = np.full(len(epochs), np.nan)
    for i, epoch in enumerate(epochs):
        if key not in epoch or epoch[key] is None:
            continue
        if not _is_number(epoch[key]):
            raise TypeError(
                f"history key {key!r} holds {type(epoch[key]).__name__} at epoch "
                f"{i + 1}; only numbers can be plotted."
            )
        out[i] = float(epoch[key])
    return out


def _style(key: str) -> dict:
    if key.startswith("valid"):
        return {"linestyle": "--", "marker": "s"}
    return {"linestyle": "-", "marker": "o"}


@validate_params(
    {"history": "no_validation", "keys": [str, "array-like", None], **FIGURE_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def plot_training_curves(
    history,
    *,
    keys: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Plot losses and scores per epoch from a fitted net's history.

    Losses (keys containing ``"loss"``) go on the first panel, other scores
    (``"valid_acc"``, a ``"valid_f1"`` from an ``EpochScoring``...) on a second
    one. Training curves are solid, validation curves dashed; where skorch
    flagged a best epoch (``"<key>_best"``), the last best epoch is starred.

    Parameters
    ----------
    history : skorch History, list of dict, DataFrame, skorch net or skkd estimator
        One entry per epoch (``history[i]["train_loss"]`` ...). A fitted skorch
        ``NeuralNet`` contributes ``net.history``; a fitted skkd estimator
        (``TeacherClassifier``, ``DistilledStudentClassifier``) its
        ``net_.history``.
    keys : sequence of str, optional
        Which per-epoch values to plot; by default every numeric one except
        skorch's bookkeeping (``epoch``, ``dur``, batch counts, ``*_best``).
    ax : Axes or sequence of Axes, optional
        One Axes per panel (one if only losses or only scores are plotted, else two).
    title : str, optional
        Figure title.
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
    >>> hist = [{"epoch": 1, "train_loss": 0.9, "valid_loss": 1.0, "valid_acc": 0.5},
    ...         {"epoch": 2, "train_loss": 0.6, "valid_loss": 0.8, "valid_acc": 0.7}]
    >>> fig = plot_training_curves(hist)
    >>> [a.get_ylabel() for a in fig.axes]
    ['loss', 'score']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_training_curves")
    path = check_save_path(path, overwrite=overwrite, caller="plot_training_curves")
    from matplotlib.ticker import MaxNLocator

    epochs = _epochs_of(history)
    available = _curve_keys(epochs)
    if keys is None:
        keys = available
        if not keys:
            raise ValueError(
                "history holds no numeric per-epoch values to plot; found keys "
                f"{sorted({k for e in epochs for k in e})}."
            )
    else:
        if isinstance(keys, str):
            keys = [keys]
        keys = list(keys)
        present = {k for e in epochs for k in e}
        missing = [k for k in keys if k not in present]
        if missing:
            raise ValueError(
                f"history has no key(s) {missing}; plottable keys are {available}."
            )
        if not keys:
            raise invalid_parameter("plot_training_curves", "keys", "None, a key or a "
                                    "non-empty sequence of keys", keys)
    groups = [
        ("loss", [k for k in keys if "loss" in k]),
        ("score", [k for k in keys if "loss" not in k]),
    ]
    groups = [(label, ks) for label, ks in groups if ks]

    x = np.array(
        [e["epoch"] if _is_number(e.get("epoch")) else i + 1 for i, e in enumerate(epochs)],
        dtype=float,
    )
    fig, axes = resolve_axes(
        ax, len(groups), caller="plot_training_curves",
        figsize=(5.0 * len(groups) + 0.5, 3.6), layout="constrained",
    )
    for panel, (label, group_keys) in zip(axes, groups):
        for key in group_keys:
            y = _values(epochs, key)
            (line,) = panel.plot(x, y, label=pretty_name(key), markersize=3.5, **_style(key))
            flags = [bool(e.get(f"{key}_best", False)) for e in epochs]
            if any(flags):
                best = len(flags) - 1 - flags[::-1].index(True)
                panel.plot(
                    x[best], y[best], marker="*", markersize=13, color=line.get_color(),
                    markeredgecolor="black", linestyle="none",
                    label=f"best {pretty_name(key)} (epoch {x[best]:g})",
                )
        panel.set_xlabel("epoch")
        panel.set_ylabel(label)
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.grid(alpha=0.3)
        panel.legend(fontsize="small")
    if title is not None:
        fig.suptitle(title)
    save_figure(fig, path, overwrite=overwrite, caller="plot_training_curves")
    return fig
