"""Small helpers shared across skkd (validation, devices)."""

from skkd.utils._device import resolve_device
from skkd.utils._validation import check_modalities, check_signal_windows

__all__ = ["check_modalities", "check_signal_windows", "resolve_device"]
