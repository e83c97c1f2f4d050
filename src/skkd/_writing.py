"""Safe file writing shared by :mod:`skkd.export` and :mod:`skkd.plotting`.

The rule (DESIGN §6): a writer never overwrites or deletes a file it did not
create unless told to (``overwrite=True``).

- :func:`check_output_path` checks a target before any work: not a folder,
  an existing (or creatable) folder that can be written, and no existing file
  unless ``overwrite=True``. Its callers' ``validate_params`` have checked
  that ``path`` is a str or path-like and ``overwrite`` a bool.
- :func:`write_then_move` yields a temporary file in the target's folder; the
  caller writes (and checks) it there, and only when the block ends without an
  error is it moved onto the target. On an error only that temporary file is
  removed: an existing file at the target is never touched by a failed write.

>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "notes.txt"
>>> with write_then_move(target) as tmp:
...     _ = tmp.write_text("first")
>>> target.read_text()
'first'
>>> try:
...     check_output_path(target)
... except FileExistsError as exc:
...     print(str(exc).endswith("already exists; pass overwrite=True to replace it."))
True
>>> check_output_path(target, overwrite=True) == target
True
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_output_path", "write_then_move"]


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()  # a dangling link is taken too


def _first_missing_or_file(folder: Path) -> tuple[Path | None, Path | None]:
    """``(file_in_the_way, first_missing_folder)`` on the way down to ``folder``."""
    missing = None
    for parent in [*reversed(folder.parents), folder]:
        if parent.is_dir():
            continue
        if _exists(parent):
            return parent, None
        missing = missing or parent
    return None, missing


def check_output_path(path, *, overwrite: bool = False, name: str = "path",
                      create_folders: bool = False, example: str = "'model.onnx'") -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is safe to write there.

    ``path`` is a str or path-like and ``overwrite`` a bool (the public
    writers check both with ``validate_params``). Raises ``ValueError`` for a
    folder or a missing folder (unless ``create_folders``),
    ``NotADirectoryError`` when a file stands where a folder should be,
    ``PermissionError`` for a folder that cannot be written, and
    ``FileExistsError`` for an existing file unless ``overwrite=True``. Each
    message names the path.
    """
    path = Path(path)
    if str(path) in ("", "."):
        raise ValueError(f"{name} must name a file, got {str(path)!r}.")
    if path.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a folder; give a file name, e.g. {example}.")
    folder = path.parent
    in_the_way, missing = _first_missing_or_file(folder)
    if in_the_way is not None:
        raise NotADirectoryError(
            f"{name} {str(path)!r}: {str(in_the_way)!r} is a file, not a folder.")
    if missing is not None and not create_folders:
        raise ValueError(f"{name} {str(path)!r}: the folder {str(folder)!r} does not exist.")
    if missing is None and not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{name} {str(path)!r}: the folder {str(folder)!r} is not writable.")
    if _exists(path) and not overwrite:
        raise FileExistsError(
            f"{name} {str(path)!r} already exists; pass overwrite=True to replace it.")
    return path


def _reserve(path: Path) -> Path:
    """Create an empty temporary file next to ``path`` (mode as a new file would get)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise PermissionError(
                f"cannot write to the folder {str(path.parent)!r} "
                f"({type(exc).__name__}: {exc.strerror or exc})."
            ) from exc
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not find a free temporary name next to {str(path)!r}.")


def _publish(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move ``tmp`` onto ``path``; without ``overwrite`` never replace what is there."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic: fails if anything appeared at path meanwhile
    except FileExistsError:
        raise FileExistsError(
            f"{str(path)!r} already exists (created while writing); pass overwrite=True "
            "to replace it.") from None
    except OSError:  # no hard links on this file system
        if _exists(path):
            raise FileExistsError(
                f"{str(path)!r} already exists (created while writing); pass "
                "overwrite=True to replace it.") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


@contextlib.contextmanager
def write_then_move(path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary file next to ``path``; move it onto ``path`` if the block succeeds.

    The temporary file is created first (so an unwritable folder fails before
    any work), keeps ``path``'s suffix, and is removed whatever happens; the
    file at ``path`` changes only when the block ends without an error (and,
    without ``overwrite``, only if nothing is there).
    """
    path = Path(path)
    tmp = _reserve(path)
    try:
        yield tmp
        _publish(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
