"""Shared fixtures: where the real data lives, and a quiet, reproducible torch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"


def _shared_data_dir() -> Path:
    env = os.environ.get("SKKD_DATA")
    return Path(env) if env else DEFAULT_SHARED


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The real data folder (``../shared/data`` beside the repository)."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set SKKD_DATA)")
    return path


@pytest.fixture(autouse=True)
def _torch_threads():
    """Keep torch to the machine's cores and deterministic kernels in tests."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        yield
        return
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    yield
