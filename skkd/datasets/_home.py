"""Where the real data sets live, and checks that name what is missing."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["get_data_home"]

DATA_ENV_VAR = "SKKD_DATA"
DEFAULT_DATA_HOME = Path("..") / "shared" / "data"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the real data sets.

    Resolution order: the ``data_home`` argument, else the environment variable
    ``SKKD_DATA``, else ``../shared/data`` relative to the current directory.
    The folder is not required to exist; loaders check what they need and name
    the missing path.

    Parameters
    ----------
    data_home : str or path-like, optional
        Explicit folder. ``~`` is expanded.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> get_data_home("/tmp/somewhere").as_posix()
    '/tmp/somewhere'
    """
    if data_home is None:
        env = os.environ.get(DATA_ENV_VAR)
        data_home = env if env else DEFAULT_DATA_HOME
    if not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(
            "data_home must be a path (str or os.PathLike) or None, got "
            f"{type(data_home).__name__}."
        )
    return Path(data_home).expanduser()


def require_dir(path: Path, what: str) -> Path:
    """Raise ``FileNotFoundError`` naming ``path`` unless it is a directory."""
    if not path.is_dir():
        raise FileNotFoundError(
            f"Expected {what} at {path}, but no such folder exists. Pass "
            f"data_home= or set {DATA_ENV_VAR} to the folder that holds the data sets."
        )
    return path


def require_file(path: Path, what: str) -> Path:
    """Raise ``FileNotFoundError`` naming ``path`` unless it is a file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"Expected {what} at {path}, but no such file exists."
        )
    return path
