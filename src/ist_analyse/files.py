"""Writing outputs atomically, never over an input, and failing as the user's environment.

A report or Parquet file that a crash leaves half-written is worse than none: someone will open
it. Every file is written to a temporary file in the target folder, flushed to disk and then
renamed over the target, so readers see the old file or the complete new one. Whatever goes
wrong on the way — a full disk (ENOSPC), the file-size limit (EFBIG, ``ulimit -f``), a
read-only file system, no permission, the folder removed while writing — is the environment's
fault, not a bug: one :class:`OutputError` naming the file (exit code 2), the temporary file
removed, the target untouched. An interrupt (Ctrl-C, SIGTERM: see :mod:`ist_analyse.cli`)
removes the temporary file too. A missing output folder is created.

No output may replace a file the run reads: the log, the other log, the Soll model, the rule
file, the mapping file or the pseudonym key. :func:`input_files` lists them, :func:`check_output`
refuses a target that is one of them — also through a symlink or a hard link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ist_analyse.errors import OutputError

#: what to do about an environment error, by errno
_HINTS = {
    errno.ENOSPC: "the disk is full: free space or write somewhere else",
    errno.EDQUOT: "the disk quota is used up: free space or write somewhere else",
    errno.EFBIG: "the file is larger than this system or account allows (ulimit -f)",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.EACCES: "no permission to write there: choose another folder",
    errno.EPERM: "no permission to write there: choose another folder",
    errno.ENOENT: "the output folder was removed while writing: create it and run again",
    errno.EEXIST: "a part of the output path is a file, not a folder",
    errno.ENOTDIR: "a part of the output path is a file, not a folder",
}


def output_error(exc: OSError, target: str | Path, what: str = "cannot write the file"
                 ) -> OutputError:
    """The one translation of an operating-system error while writing ``target``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputError(f"{what}: {reason}", file=target, hint=_HINTS.get(exc.errno or 0))


def input_files(*sources: Any, options: Any = None) -> list[Path]:
    """The files a run reads, which no output may replace.

    ``sources`` are the logs, model and rule file as given (paths are kept; database URLs,
    data frames, ``None`` and loaded objects are not files); ``options`` (an
    :class:`~ist_analyse.config.ImportOptions`) adds its mapping file and the pseudonym key —
    the one it or its mapping file names, else the default one, which exists or will be made.
    """
    from ist_analyse.config import default_key_file

    files = [Path(s) for s in sources if isinstance(s, str | Path) and "://" not in str(s)]
    if options is not None:
        if options.mapping_file is not None:
            files.append(Path(options.mapping_file))
            options = options.with_mapping_file()
        if options.pseudonymize:
            files.append(Path(options.key_file) if options.key_file else default_key_file())
    return files


def check_output(target: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse an output path that is a folder or one of ``inputs`` (:func:`input_files`),
    also through a symlink or a hard link; return it as a :class:`~pathlib.Path`."""
    target = Path(target)
    if target.is_dir():
        raise OutputError("output path is a folder, expected a file name", file=target)
    for src in inputs:
        src_path = Path(src)
        same = src_path.resolve() == target.resolve()
        with contextlib.suppress(OSError):
            same = same or (src_path.exists() and target.exists()
                            and os.path.samefile(src_path, target))
        if same:
            raise OutputError(f"output would overwrite the input {src_path}", file=target,
                              hint="choose another output file name")
    return target


@contextlib.contextmanager
def atomic_path(target: str | Path, mode: int = 0o640) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    For writers that want a file name (pyarrow, graphviz, WeasyPrint). On an exception or an
    interrupt the temporary file is removed and ``target`` is untouched; an :class:`OSError`
    (also one of the writer's) becomes an :class:`OutputError` naming ``target``.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise output_error(exc, target) from exc
    tmp_path = Path(tmp)
    try:
        os.close(fd)
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError):
            raise output_error(exc, target) from exc
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
