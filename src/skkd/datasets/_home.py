"""Where the real data sets live, and checks that name what is missing."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from sklearn.utils._param_validation import validate_params

__all__ = ["get_data_home"]

DATA_ENV_VAR = "SKKD_DATA"
DEFAULT_DATA_HOME = Path("..") / "shared" / "data"


@validate_params({"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True)
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
    return Path(data_home).expanduser()


DATA_HOME_HINT = (
    f"Pass data_home= (--data-home on the command line) or set {DATA_ENV_VAR} to "
    "the folder that holds the data sets."
)


def require_dir(path: Path, what: str, hint: str = DATA_HOME_HINT) -> Path:
    """Raise ``FileNotFoundError`` naming ``path`` unless it is a directory.

    A ``.zip`` archive in its place (or beside it) is named: unzip it first.
    ``hint`` ends the message for a missing folder.
    """
    if path.is_dir():
        return path
    if path.is_file():
        if zipfile.is_zipfile(path):
            raise FileNotFoundError(
                f"Expected {what} at {path}, but it is a zip archive, not a folder: "
                "unzip it first and pass the extracted folder."
            )
        raise FileNotFoundError(f"Expected {what} at {path}, but it is a file, not a folder.")
    archive = path.with_name(path.name + ".zip")
    if archive.is_file():
        raise FileNotFoundError(
            f"Expected {what} at {path}, but no such folder exists; {archive} does: "
            "unzip it first and pass the extracted folder."
        )
    raise FileNotFoundError(
        f"Expected {what} at {path}, but no such folder exists. {hint}".rstrip()
    )


def require_file(path: Path, what: str) -> Path:
    """Raise ``FileNotFoundError`` naming ``path`` unless it is a file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"Expected {what} at {path}, but no such file exists."
        )
    return path
