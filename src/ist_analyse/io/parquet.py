"""Read an Apache Parquet file into a :class:`~ist_analyse.io.raw.RawTable`.

Parquet is typed: timestamps, numbers and texts arrive as such, under the file's own column
names. The file is checked before it is read: its magic bytes (``PAR1`` at both ends; anything
else gives a WRONG_FORMAT error that says what the file looks like instead) and the
uncompressed size its footer declares. The data are then decoded in batches, and the decoded
size is capped by ``ImportOptions.max_bytes`` as it grows, so that a small, highly compressed
file cannot fill the memory. The batches are converted to pandas once, column by column,
freeing the Arrow memory on the way, so nothing is held twice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError
from ist_analyse.io.raw import RawTable

PARQUET_MAGIC = b"PAR1"
_BATCH_ROWS = 65_536
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")
SOURCE_ROW = "source_row"


def describe_content(head: bytes) -> str | None:
    """What the first bytes of a file look like, for a WRONG_FORMAT hint; None if unknown."""
    if head.startswith(PARQUET_MAGIC):
        return "a Parquet file"
    if head[8:12] == b"DUCK":
        return "a DuckDB database"
    if head.startswith(b"SQLite format 3\x00"):
        return "an SQLite database"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel .xlsx file is one)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel .xls (OLE) file"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"ARROW1"):
        return "an Arrow IPC/Feather file"
    if head.startswith(b"Obj\x01"):
        return "an Avro file"
    if head.startswith((b"PGDMP", b"--\n-- PostgreSQL database dump")):
        return "a PostgreSQL dump"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "an XML file (XES?)"
    if text.startswith((b"{", b"[")):
        return "a JSON file"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return None
        return "a text file (CSV?)"
    return None


def wrong_format(path: str | Path, expected: str, head: bytes) -> InputError:
    """A WRONG_FORMAT error for a file that is not ``expected``, with a guess what it is."""
    looks = describe_content(head)
    hint = f"the file looks like {looks}" if looks else "the file's first bytes are not known"
    return InputError(f"not {expected}", file=path, code=ErrorCode.WRONG_FORMAT, hint=hint)


def check_source_file(path: Path) -> int:
    """Raise FILE_NOT_FOUND / EMPTY_FILE / WRONG_FORMAT (directory); return the size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", file=path, code=ErrorCode.FILE_NOT_FOUND) from None
    except OSError as exc:
        raise InputError(f"cannot open the file: {exc.strerror}", file=path,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    if path.is_dir():
        raise InputError("is a directory, not a file", file=path, code=ErrorCode.WRONG_FORMAT)
    if st.st_size == 0:
        raise InputError("the file is empty", file=path, code=ErrorCode.EMPTY_FILE)
    return st.st_size


def _read_ends(path: Path, size: int) -> tuple[bytes, bytes]:
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            f.seek(max(0, size - 4))
            tail = f.read(4)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=path,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    return head, tail


def add_source_row(frame: pd.DataFrame, *, first: int, file: str, format_name: str) -> None:
    """Append the 1-based ``source_row`` column, refusing a source column of that name."""
    if SOURCE_ROW in frame.columns:
        raise InputError(
            f"the source has a column named '{SOURCE_ROW}', a name ist-analyse uses itself",
            file=file, column=SOURCE_ROW, code=ErrorCode.DUPLICATE_HEADER,
            hint=("rename that column (for a database: select it under another name "
                  f"with a query, e.g. {SOURCE_ROW} AS original_row)")
            if format_name != "parquet" else "rename that column in the Parquet file")
    frame[SOURCE_ROW] = pd.RangeIndex(first, first + len(frame), dtype="int64")


def check_unique_columns(names: list[str], *, file: str, hint: str | None = None) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"the column name '{name}' occurs twice", file=file, column=name,
                             code=ErrorCode.DUPLICATE_HEADER, hint=hint)
        seen.add(name)


def arrow_to_pandas(table) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Convert a pyarrow Table once, releasing its buffers while converting."""
    frame = table.to_pandas(self_destruct=True, split_blocks=True, ignore_metadata=True,
                            date_as_object=False)
    frame = frame.reset_index(drop=True)
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):  # dictionary-encoded columns
            frame[name] = col.astype(col.cat.categories.dtype)
    return frame


def read_parquet_raw(path: str | os.PathLike[str], options: ImportOptions | None = None,
                     *, keep_source_row: bool = False) -> RawTable:
    """Read a Parquet file; columns keep their names, plus ``source_row`` (1-based).

    Nested columns (lists, structs, maps) become JSON text, with a note: a log's values are
    scalars, and a list cannot be grouped, compared or pseudonymised. ``keep_source_row``:
    the file is a canonical log of ist-analyse whose own ``source_row`` is kept.

    Raises:
        InputError: FILE_NOT_FOUND, EMPTY_FILE, WRONG_FORMAT (not Parquet, damaged or
            truncated), SIZE_LIMIT (declared uncompressed size above ``options.max_bytes``),
            DUPLICATE_HEADER.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    options = options or ImportOptions()
    path = Path(path)
    shown = str(path)
    size = check_source_file(path)
    head, tail = _read_ends(path, size)
    if not head.startswith(PARQUET_MAGIC):
        raise wrong_format(path, "a Parquet file", head)
    if size < 12 or tail != PARQUET_MAGIC:
        raise InputError("the Parquet file is truncated or damaged (no footer)", file=path,
                         code=ErrorCode.WRONG_FORMAT)
    try:
        pfile = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"the Parquet file cannot be read: {_short(exc)}", file=path,
                         code=ErrorCode.WRONG_FORMAT) from None
    with pfile:
        meta = pfile.metadata
        declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if declared > options.max_bytes:
            raise InputError(
                f"the Parquet file holds {declared:,} bytes uncompressed, more than the limit "
                f"of {options.max_bytes:,}", file=path, code=ErrorCode.SIZE_LIMIT,
                hint="raise the limit (max_bytes) if this file is trusted and memory suffices")
        # pandas stores an unnamed index as __index_level_N__: not part of the records.
        names = [n for n in pfile.schema_arrow.names if not _PANDAS_INDEX.fullmatch(n)]
        check_unique_columns(names, file=shown)
        batches = []
        held = 0
        try:
            for batch in pfile.iter_batches(batch_size=_BATCH_ROWS, columns=names,
                                            use_threads=True):
                held += batch.nbytes
                if held > options.max_bytes:
                    raise InputError(
                        f"the Parquet file decodes to more than {options.max_bytes:,} bytes",
                        file=path, code=ErrorCode.SIZE_LIMIT,
                        hint="raise the limit (max_bytes) if this file is trusted and "
                             "memory suffices")
                batches.append(batch)
            schema = None if batches else pa.schema(
                [pfile.schema_arrow.field(n) for n in names])
            table = pa.Table.from_batches(batches, schema=schema)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"the Parquet file cannot be read: {_short(exc)}", file=path,
                             code=ErrorCode.WRONG_FORMAT) from None
        del batches
    rows = table.num_rows
    nested = [f.name for f in table.schema if _is_nested(f.type)]
    binary = [f.name for f in table.schema if _is_binary(f.type)]
    try:
        for name in nested + binary:
            i = table.schema.get_field_index(name)
            table = table.set_column(i, name, _as_text(table.column(i)))
        frame = arrow_to_pandas(table)
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        raise InputError(f"the Parquet file has values pandas cannot hold: {_short(exc)}",
                         file=path, code=ErrorCode.WRONG_FORMAT) from None
    del table
    if not keep_source_row:
        add_source_row(frame, first=1, file=shown, format_name="parquet")
    notes = [f"parquet: {rows:,} rows in {meta.num_row_groups} row group(s), "
             f"{len(names)} column(s)"]
    if nested:
        notes.append("nested columns (lists, structs, maps) kept as JSON text: "
                     + ", ".join(nested))
    if binary:
        notes.append("binary columns kept as text (bytes that are not UTF-8 as \\x..): "
                     + ", ".join(binary))
    return RawTable(frame=frame, source_file=shown, row_label="row", format="parquet",
                    events_read=rows, notes=notes)


def _is_nested(t) -> bool:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_nested(t)


def _is_binary(t) -> bool:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or \
        pa.types.is_fixed_size_binary(t)


def _as_text(column):  # type: ignore[no-untyped-def]
    """A nested or binary Arrow column as text per value (nulls stay null): nested values as
    JSON, bytes as UTF-8 with undecodable bytes shown as ``\\x..``."""
    import json

    import pyarrow as pa

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, bytes):
            return v.decode("utf-8", errors="backslashreplace")
        return json.dumps(v, ensure_ascii=False, default=str)

    return pa.array([text(v) for v in column.to_pylist()], type=pa.string())


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("…" if len(text) > 300 else "")
