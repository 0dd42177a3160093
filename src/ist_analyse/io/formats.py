"""Which reader a source needs, decided without reading it: suffix, URL scheme, magic bytes.

Kept free of pandas and pyarrow, so that the fast Polars path of the analyses
(:mod:`ist_analyse.analysis.instances`) can recognise a canonical Parquet log without loading
the import pipeline.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError

#: Parquet key-value metadata key holding the import report (JSON) of a canonical log
REPORT_KEY = b"ist_analyse.import_report"

_SUFFIX_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".xes": "xes", ".gz": "xes",
    ".parquet": "parquet", ".pq": "parquet",
    ".duckdb": "duckdb", ".ddb": "duckdb",
}


def detect_format(source: str | Path, options: ImportOptions) -> str:
    """The reader for ``source``: forced by ``options.format``, else URL scheme, suffix, magic."""
    if options.format:
        return options.format
    text = str(source)
    if re.match(r"^postgres(ql)?://", text):
        return "postgresql"
    path = Path(source)
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt:
        return fmt
    head = _head(path)
    if head.startswith(b"\x1f\x8b") or head.lstrip().startswith((b"<?xml", b"<log")):
        return "xes"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head[8:12] == b"DUCK":
        return "duckdb"
    return "csv"


@contextlib.contextmanager
def opening(path: Path) -> Iterator[None]:
    """Around reading an input file: a missing file, a folder or an unreadable file becomes
    one short :class:`InputError` naming the file (the same words for every reader)."""
    try:
        yield
    except FileNotFoundError:
        raise InputError("file not found", file=path, code=ErrorCode.FILE_NOT_FOUND) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=path,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=path,
                         code=ErrorCode.FILE_NOT_FOUND) from exc


def import_report_of(meta: Mapping[Any, Any] | None) -> dict[str, Any] | None:
    """The import report in a Parquet file's key-value metadata, if it is one of ours.

    ``None`` when the key is absent or its value is not a JSON object naming ``source``,
    ``format`` and ``events_read`` (another tool's metadata, a damaged file): such metadata is
    ignored, and the file is read as any Parquet file. The report is a claim, not a proof;
    :func:`ist_analyse.privacy.same_key` decides whether its pseudonyms are kept.
    """
    if not meta:
        return None
    raw = meta.get(REPORT_KEY, meta.get(REPORT_KEY.decode()))
    if raw is None:
        return None
    try:
        report = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(report, dict) or not isinstance(report.get("source"), str) \
            or not isinstance(report.get("format"), str) \
            or type(report.get("events_read")) is not int:
        return None
    return report


def _head(path: Path) -> bytes:
    with opening(path), open(path, "rb") as fh:
        return fh.read(64)
