"""Pick the torch device: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch


def resolve_device(device: str | torch.device | None = "auto") -> str:
    """Return a concrete torch device string.

    ``"auto"`` (or ``None``) picks ``"cuda"`` when available, then ``"mps"``,
    else ``"cpu"``; any other value is returned as a string after checking
    that torch knows it and, for ``"cuda…"``/``"mps"``, that the backend is
    available here (``ValueError`` naming ``device`` otherwise).

    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in {"cuda", "mps", "cpu"}
    True
    """
    if device is None or device == "auto":
        for kind in ("cuda", "mps"):
            if _available(kind):
                return kind
        return "cpu"
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"device must be 'auto', a device string or torch.device, got {device!r}."
        )
    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda', "
            f"'cuda:0' or 'mps' ({exc})."
        ) from exc
    if kind in ("cuda", "mps") and not _available(kind):
        name = "CUDA" if kind == "cuda" else "MPS"
        raise ValueError(
            f"device={str(device)!r} but {name} is not available on this machine; use "
            "device='auto' (cuda, then mps, then cpu) or 'cpu'."
        )
    return str(device)


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()
