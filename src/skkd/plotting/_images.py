"""Signal images (GAF, log-mel) drawn under the raw signal they encode."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils._param_validation import validate_params

from skkd.plotting._backend import (
    FIGURE_CONSTRAINTS,
    check_save_path,
    require_matplotlib,
    resolve_axes,
    save_figure,
)
from skkd.utils._validation import (
    NON_NEGATIVE_INT,
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    invalid_parameter,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure


def _raw_signal(signal, name: str = "signal") -> np.ndarray:
    try:
        arr = np.asarray(signal, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one window of one channel, shape (T,) or (1, T); got {arr.shape}."
        )
    if arr.size < 2 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must hold at least 2 finite samples.")
    return arr


def _one_image(image, name: str, channel: int, square: bool, owner: str) -> np.ndarray:
    try:
        arr = np.asarray(image, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from exc
    expected = "(s, s) or (c, s, s)" if square else "(n_mels, frames) or (1, n_mels, frames)"
    if arr.ndim == 3:
        if channel >= arr.shape[0]:
            raise invalid_parameter(owner, "channel", f"below {arr.shape[0]}, the channels "
                                    f"of a {name} of shape {arr.shape}", channel)
        arr = arr[channel]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape {expected} (one window; index the batch axis first); "
            f"got {np.shape(image)}."
        )
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square (s, s), got {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def _reject_bool(owner: str, **params) -> None:
    """Refuse ``True``/``False`` for a rate (``Interval`` takes them as 1/0)."""
    for name, value in params.items():
        if isinstance(value, bool):
            raise invalid_parameter(owner, name, "a positive number, not a bool", value)


def _signal_and_image_axes(ax, caller: str):
    return resolve_axes(
        ax, 2, caller=caller, nrows=2, ncols=1, sharex=True, figsize=(6.4, 6.6),
        height_ratios=(1, 3), layout="constrained",
    )


@validate_params(
    {
        "signal": ["array-like"],
        "image": ["array-like"],
        "fs": [POSITIVE_REAL, None],
        "channel": [NON_NEGATIVE_INT],
        "image_label": [str],
        "signal_label": [str],
        "cmap": [str, callable],
        **FIGURE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def plot_gaf(
    signal,
    image,
    *,
    fs: float | None = None,
    channel: int = 0,
    image_label: str = "GAF",
    signal_label: str = "signal",
    cmap: str = "RdBu_r",
    ax=None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Draw a Gramian Angular Field image under the raw window it encodes.

    Pixel ``(i, j)`` of a GAF relates times ``i`` and ``j`` of the window (after
    piecewise aggregate approximation to ``s`` points), so both image axes are
    drawn in the signal's time units and the signal panel shares the x axis.

    Parameters
    ----------
    signal : array-like of shape (T,) or (1, T)
        The raw window.
    image : array-like of shape (s, s) or (c, s, s)
        Its GAF, values in [-1, 1] (``GramianAngularField`` or
        ``skkd.features.GAFImager`` output for this window); ``s <= T``.
    fs : float, optional
        Sampling rate in Hz; time in seconds if given, else in samples.
    channel : int, default=0
        Which channel of a ``(c, s, s)`` image to show.
    image_label, signal_label : str
        Titles of the image (e.g. ``"GASF"``) and y label of the signal.
    cmap : str, default="RdBu_r"
        Colour map, centred on 0 over [-1, 1].
    ax : sequence of two Axes, optional
        (signal axes, image axes).
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
    >>> import numpy as np
    >>> x = np.sin(np.linspace(0, 6, 64))
    >>> phi = np.arccos(np.interp(x, (x.min(), x.max()), (-1, 1)))
    >>> fig = plot_gaf(x, np.cos(phi[:, None] + phi[None, :]), fs=4)
    >>> fig.axes[1].get_images()[0].get_array().shape
    (64, 64)
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_gaf")
    _reject_bool("plot_gaf", fs=fs)
    path = check_save_path(path, overwrite=overwrite, caller="plot_gaf")
    sig = _raw_signal(signal)
    img = _one_image(image, "image", channel, square=True, owner="plot_gaf")
    side = img.shape[0]
    if side > sig.size:
        raise ValueError(
            f"image is {side}x{side} but signal has only {sig.size} samples; a GAF of "
            "this window cannot be larger than the window (is it the right signal?)."
        )
    if img.min() < -1 - 1e-6 or img.max() > 1 + 1e-6:
        raise ValueError(
            f"image values span [{img.min():.3g}, {img.max():.3g}]; a GAF lies in [-1, 1]."
        )
    scale = float(fs) if fs is not None else 1.0
    duration = sig.size / scale
    unit = "s" if fs is not None else "samples"

    fig, (sig_ax, img_ax) = _signal_and_image_axes(ax, "plot_gaf")
    sig_ax.plot(np.arange(sig.size) / scale, sig, linewidth=1.0, color="tab:blue")
    sig_ax.set_ylabel(signal_label)
    sig_ax.set_xlim(0, duration)
    sig_ax.grid(alpha=0.25)
    sig_ax.tick_params(labelbottom=False)
    shown = img_ax.imshow(
        img, cmap=cmap, vmin=-1, vmax=1, origin="upper", aspect="auto",
        extent=(0, duration, duration, 0), interpolation="nearest",
    )
    img_ax.set_xlabel(f"time ({unit})")
    img_ax.set_ylabel(f"time ({unit})")
    img_ax.set_title(f"{image_label} ({side}x{side})", fontsize="medium")
    fig.colorbar(shown, ax=img_ax, orientation="horizontal", fraction=0.05, pad=0.02,
                 label="pixel value")
    if title is not None:
        fig.suptitle(title)
    save_figure(fig, path, overwrite=overwrite, caller="plot_gaf")
    return fig


@validate_params(
    {
        "signal": ["array-like"],
        "log_mel": ["array-like"],
        "sr": [POSITIVE_REAL],
        "hop_length": [POSITIVE_INT],
        "fmin": [NON_NEGATIVE_REAL],
        "fmax": [POSITIVE_REAL, None],
        "channel": [NON_NEGATIVE_INT],
        "signal_label": [str],
        "cmap": [str, callable],
        **FIGURE_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def plot_log_mel(
    signal,
    log_mel,
    *,
    sr: float,
    hop_length: int = 512,
    fmin: float = 0.0,
    fmax: float | None = None,
    channel: int = 0,
    signal_label: str = "amplitude",
    cmap: str = "magma",
    ax=None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Figure:
    """Draw a log-mel spectrogram under the waveform it was computed from.

    Drawn with :func:`librosa.display.specshow` (time and mel-frequency axes);
    the waveform panel shares the time axis in seconds.

    Parameters
    ----------
    signal : array-like of shape (T,) or (1, T)
        The waveform.
    log_mel : array-like of shape (n_mels, frames) or (1, n_mels, frames)
        Its log-mel spectrogram in dB (e.g. ``librosa.power_to_db`` of
        ``librosa.feature.melspectrogram``, or one window of
        ``skkd.features.LogMelExtractor``).
    sr : float
        Sampling rate of ``signal`` in Hz.
    hop_length : int, default=512
        Hop between frames, in samples, as used to compute ``log_mel``.
    fmin, fmax : float
        Mel band edges used for ``log_mel`` (``fmax`` defaults to ``sr / 2``).
    channel : int, default=0
        Which channel of a 3-D ``log_mel`` to show.
    signal_label : str
        Y label of the waveform.
    cmap : str, default="magma"
    ax : sequence of two Axes, optional
        (waveform axes, spectrogram axes).
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
    >>> import numpy as np, librosa
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    >>> S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=8000, n_mels=32))
    >>> fig = plot_log_mel(y, S, sr=8000)
    >>> fig.axes[1].get_ylabel()
    'Hz'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    require_matplotlib("plot_log_mel")
    _reject_bool("plot_log_mel", sr=sr, fmax=fmax)
    path = check_save_path(path, overwrite=overwrite, caller="plot_log_mel")
    import librosa.display

    sig = _raw_signal(signal)
    spec = _one_image(log_mel, "log_mel", channel, square=False, owner="plot_log_mel")
    sr = float(sr)
    fmax = sr / 2 if fmax is None else float(fmax)
    if not fmin < fmax:
        raise invalid_parameter("plot_log_mel", "fmin", f"below fmax={fmax!r}", fmin)
    frames = spec.shape[1]
    expected = sig.size / hop_length
    if abs(frames - expected) > max(5.0, 0.1 * expected):
        raise ValueError(
            f"log_mel has {frames} frames but a {sig.size}-sample signal at "
            f"hop_length={hop_length} gives about {expected:.0f}; check that they belong "
            "together and that sr/hop_length match the ones used to compute log_mel."
        )

    fig, (sig_ax, spec_ax) = _signal_and_image_axes(ax, "plot_log_mel")
    duration = sig.size / sr
    sig_ax.plot(np.arange(sig.size) / sr, sig, linewidth=0.5, color="tab:blue")
    sig_ax.set_ylabel(signal_label)
    sig_ax.grid(alpha=0.25)
    sig_ax.tick_params(labelbottom=False)
    mesh = librosa.display.specshow(
        spec, x_axis="time", y_axis="mel", sr=sr, hop_length=hop_length,
        fmin=fmin, fmax=fmax, cmap=cmap, ax=spec_ax,
    )
    spec_ax.set_xlabel("time (s)")
    spec_ax.set_title(f"log-mel spectrogram ({spec.shape[0]} mels x {frames} frames)",
                      fontsize="medium")
    spec_ax.set_xlim(0, duration)  # the mesh may overhang by half a frame
    fig.colorbar(mesh, ax=spec_ax, orientation="horizontal", fraction=0.05, pad=0.02,
                 label="dB")
    if title is not None:
        fig.suptitle(title)
    save_figure(fig, path, overwrite=overwrite, caller="plot_log_mel")
    return fig
