"""Pick the torch device: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch


def resolve_device(device: str | torch.device | None = "auto") -> str:
    """Return a concrete torch device string.

    ``"auto"`` (or ``None``) picks ``"cuda"`` when available, then ``"mps"``,
    else ``"cpu"``; any other value is returned unchanged as a string.

    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in {"cuda", "mps", "cpu"}
    True
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be 'auto', a device string or torch.device, got {device!r}."
        )
    return str(device)
