"""The multimodal container: a dict of arrays that slices along windows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from skorch.helper import SliceDict

__all__ = ["Modalities"]


class Modalities(SliceDict):
    """Windows of several signals, one array per modality, aligned on axis 0.

    A thin subclass of :class:`skorch.helper.SliceDict`: indexing with a slice,
    an integer array or a boolean mask returns a ``Modalities`` whose every value
    is indexed the same way, so scikit-learn's splitters, ``cross_validate``,
    ``GridSearchCV`` and skorch accept it unchanged. Indexing with a key returns
    that modality's array.

    Parameters
    ----------
    data : mapping of str to array-like, optional
        Modality name -> array whose first axis is windows.
    **modalities : array-like
        More modalities as keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> X = Modalities(eda=np.zeros((6, 1, 240)), audio=np.zeros((6, 32000)))
    >>> X
    Modalities(n_windows=6, eda=(1, 240), audio=(32000,))
    >>> X[np.array([0, 2])]["eda"].shape
    (2, 1, 240)
    >>> sorted(X.select(["eda"]))
    ['eda']
    """

    def __init__(self, data: Mapping[str, Any] | None = None, **modalities: Any):
        items: dict[str, Any] = {}
        if data is not None:
            if not isinstance(data, Mapping):
                raise TypeError(
                    "Modalities: `data` must be a mapping of modality name to "
                    f"array, got {type(data).__name__}."
                )
            items.update(data)
        items.update(modalities)
        for key, value in items.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"Modalities: keys must be modality names (str), got {key!r}."
                )
            if not hasattr(value, "shape"):
                items[key] = value = np.asarray(value)
            if len(value.shape) < 1:
                raise ValueError(
                    f"Modalities: modality {key!r} must have a first axis of "
                    f"windows, got a scalar of shape {value.shape}."
                )
        super().__init__(**items)

    @property
    def n_windows(self) -> int:
        """Number of windows (length of the first axis of every modality)."""
        return len(self)

    def select(self, keys: Iterable[str]) -> "Modalities":
        """Return the listed modalities only (a new container, same arrays).

        Raises ``KeyError`` naming the missing modalities if any is absent.
        """
        keys = list(keys)
        missing = [k for k in keys if k not in self]
        if missing:
            raise KeyError(
                f"Modalities.select: missing modalities {missing}; available: "
                f"{sorted(self.keys())}."
            )
        return type(self)({k: dict.__getitem__(self, k) for k in keys})

    def drop(self, keys: Iterable[str]) -> "Modalities":
        """Return a container without the listed modalities (absent keys are ignored)."""
        keys = set(keys)
        return type(self)({k: v for k, v in self.items() if k not in keys})

    def __getitem__(self, sl):
        if isinstance(sl, (int, np.integer)):
            # one window keeps its window axis, so shapes stay consistent
            sl = slice(int(sl), int(sl) + 1) if sl != -1 else slice(-1, None)
        return super().__getitem__(sl)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape[1:])}" for k, v in self.items())
        sep = ", " if shapes else ""
        return f"Modalities(n_windows={len(self)}{sep}{shapes})"

    def __reduce__(self):
        return (type(self), (dict(self),))
