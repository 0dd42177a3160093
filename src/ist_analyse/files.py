"""Writing outputs atomically, and never over an input.

A report or Parquet file that a crash leaves half-written is worse than none: someone will open
it. Every file is written to a temporary file in the target folder, flushed to disk and then
renamed over the target, so readers see the old file or the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from ist_analyse.errors import OutputError


def check_output(target: Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse an output path that is one of the inputs or a folder; return it resolved."""
    target = Path(target)
    if target.is_dir():
        raise OutputError("output path is a folder, expected a file name", file=target)
    for src in inputs:
        src_path = Path(src)
        with contextlib.suppress(OSError):
            if src_path.exists() and target.exists() and os.path.samefile(src_path, target):
                raise OutputError("output would overwrite the input", file=target,
                                  hint="choose another output file name")
        if src_path.resolve() == target.resolve():
            raise OutputError("output would overwrite the input", file=target,
                              hint="choose another output file name")
    return target


@contextlib.contextmanager
def atomic_path(target: str | Path, mode: int = 0o640) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    For writers that want a file name (pyarrow, graphviz, WeasyPrint). On an exception the
    temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", file=target) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_atomic(target: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``target`` through ``write(fh)`` on a binary file handle, atomically."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return Path(target)


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(target, lambda fh: fh.write(text.encode("utf-8")))
