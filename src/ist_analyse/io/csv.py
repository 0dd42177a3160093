"""CSV reader: German case-system exports (``;``, cp1252 or UTF-8, quoted newlines) to a RawTable.

What a reader must never do is guess silently. So the encoding is tried strictly (UTF-8 with
or without BOM, then cp1252, never latin-1), every value stays text exactly as in the file
(ids with leading zeros, ``NA``, ``null``, ``TRUE``), and every record keeps the physical line
a user sees in an editor (header = line 1), also when quoted values contain line breaks.

Two parsers give the same result:

* the **fast path**: pyarrow's multi-threaded CSV parser gives the records; numpy finds the
  non-blank lines in the bytes. Record *i* starts on a non-blank line and spans one line more
  for every line break inside its quoted values, so its physical line follows from the values
  themselves; when records and lines do not add up, the fast path gives up;
* the **exact path** (Python's :mod:`csv` module, which counts lines) handles every file the
  fast path refuses: rows with the wrong number of fields, NUL bytes, an unclosed quote, a
  field larger than pyarrow's block. It is about four times slower.

Both follow the quoting rules of Python's csv module (``"`` quotes, ``""`` escapes a quote,
text after a closing quote is kept); ``tests/io/test_csv.py`` checks that the two agree on
generated files, and that files written by :mod:`csv` come back cell for cell, line for line.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError
from ist_analyse.io.formats import opening
from ist_analyse.io.mapping import names_a_known_column
from ist_analyse.io.raw import DroppedRow, RawTable

SOURCE_ROW = "source_row"

#: Stripped from both ends of every value and header: blanks, tabs, line breaks, the no-break
#: spaces Excel and web forms leave behind, zero-width space and a stray BOM.
WHITESPACE = " \t\r\n\x0b\x0c\xa0\u2007\u202f\u200b\ufeff"

SEPARATORS = (";", ",", "\t")
_SEP_NAMES = {";": "';'", ",": "','", "\t": "tab", "|": "'|'"}

#: How much of the file (bytes) is looked at to find the separator and the header.
_PREFIX_BYTES = 64 * 1024
_SNIFF_RECORDS = 200
#: Largest field the csv module reads (its default, 128 KiB, is too small for long notes).
_FIELD_LIMIT = 256 * 1024 * 1024
#: An unclosed quote with --skip-bad-rows drops its line and reading goes on; past this many
#: the file is not a CSV file we can repair.
_MAX_QUOTE_RECOVERIES = 100
#: Title lines above the header ("Export ..., Stand 01.12.2025") skipped at most.
_MAX_TITLE_LINES = 3

_UTF8_BOM = b"\xef\xbb\xbf"

# Windows-1252 decodings of the bytes 0x80-0xBF: what UTF-8 continuation bytes look like when
# UTF-8 text is read as cp1252 ("Ã¼" for "ü", "â‚¬" for "€").
_CP1252_HIGH = "".join(
    ch for b in range(0x80, 0xC0)
    for ch in [bytes([b]).decode("cp1252", errors="ignore")] if ch)
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5][" + re.escape(_CP1252_HIGH) + "]|\u00e2[\u20ac\u201a][" +
    re.escape(_CP1252_HIGH) + "]")

# Leading bytes of file types that users rename or export by mistake.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"GIF87a", "a GIF image", ""),
    (b"GIF89a", "a GIF image", ""),
    (b"%PDF-", "a PDF document", "export the data as CSV from the case system"),
    (b"\x1f\x8b", "gzip-compressed data", "an .xes.gz event log must keep its .xes.gz name"),
    (b"PAR1", "a Parquet file", "give it the .parquet suffix"),
    (b"SQLite format 3\x00", "an SQLite database", ""),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel 97-2003 workbook (.xls) or another "
     "Office 97 document", "open it in Excel and save it as .xlsx or as CSV"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it first"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "unpack it first"),
    (b"\x7fELF", "a program (ELF binary)", ""),
)


@dataclass
class _Dialect:
    sep: str
    header: list[str]          # names as in the file, stripped; trailing empty names removed
    width: int                 # fields in the header record, trailing empty names included
    header_line: int           # physical line of the header
    data_from: int             # physical lines 1..data_from belong to sep=/blank/header lines
    notes: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    columns: list[np.ndarray]  # object arrays: str or None, one per named column
    lines: np.ndarray          # physical line of each record (int64)
    dropped: list[DroppedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_csv_raw(path: Path, options: ImportOptions) -> RawTable:
    """Read a CSV export into a :class:`RawTable` of text values with physical line numbers.

    Args:
        path: the CSV file; its name as given is used in messages.
        options: ``sep``, ``encoding``, ``decimal`` (guessed when ``None``) and
            ``skip_bad_rows``.

    Returns:
        A RawTable whose ``frame`` has the header's own column names, ``str`` values (``None``
        for empty cells) and an int column ``source_row`` (physical line, header = line 1).

    Raises:
        InputError: with ``code`` EMPTY_FILE, BINARY_FILE, WRONG_FORMAT, ENCODING, BAD_ROW,
            DUPLICATE_HEADER or NO_ROWS, naming the line where it applies.
        ConfigError: an option (separator, encoding name) is not usable.
    """
    name = str(path)
    data = _read_bytes(path)
    if not data[:4096].strip() and not data.strip():
        raise InputError("file is empty" + (" (0 bytes)" if not data else " (only blanks)"),
                         file=name, code=ErrorCode.EMPTY_FILE)
    _refuse_binary(data, name)
    text, codec, notes = _decode(data, options, name)
    if not text[:4096].strip(WHITESPACE) and not text.strip(WHITESPACE):
        raise InputError("file is empty (only blanks)", file=name, code=ErrorCode.EMPTY_FILE)
    _refuse_markup(text, name)
    # the parsers work on UTF-8 bytes; a UTF-8 file is used as it is (without its BOM)
    if codec == "utf-8":
        buf = data[len(_UTF8_BOM):] if data.startswith(_UTF8_BOM) else data
    else:
        buf = text.encode("utf-8")
    del data, text

    dialect = _dialect(buf, options, name)
    decimal = _decimal(options, dialect.sep)
    notes += [*dialect.notes, f"decimal separator: '{decimal}'" + (
        " (given)" if options.decimal else f" (default for separator {_SEP_NAMES[dialect.sep]})"
        if dialect.sep in _SEP_NAMES else "")]

    parsed = None if b"\x00" in buf else _read_fast(buf, dialect)
    if parsed is None:
        parsed = _read_exact(buf.decode("utf-8"), dialect, options.skip_bad_rows, name)
    notes.extend(parsed.notes)

    events_read = len(parsed.lines) + len(parsed.dropped)
    if events_read == 0:
        raise InputError(f"no data rows: only a header (line {dialect.header_line})",
                         file=name, code=ErrorCode.NO_ROWS,
                         hint="; ".join(parsed.notes) or None)
    frame = _frame(dialect.header, parsed.columns, parsed.lines)
    return RawTable(frame=frame, source_file=name, row_label="line", format="csv",
                    events_read=events_read, dropped=parsed.dropped, notes=notes,
                    decimal=decimal)


# --------------------------------------------------------------------------------------------
# bytes: empty, binary, encoding


def _read_bytes(path: Path) -> bytes:
    with opening(path):
        return Path(path).read_bytes()


def describe_content(data: bytes) -> tuple[str, str] | None:
    """What a file really is, from its first bytes: ``(description, hint)`` or ``None`` for text.

    Shared by the CSV and Excel readers, so that a renamed file is named for what it is.
    """
    for magic, what, hint in _MAGIC:
        if data.startswith(magic):
            return what, hint
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _describe_zip(data)
    return None


def _describe_zip(data: bytes) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:10_000])
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, EOFError):
        return "a zip archive (damaged)", ""
    if "xl/workbook.xml" in names:
        return ("an Excel workbook (.xlsx)",
                "give it the .xlsx suffix (or pass --format excel) to read it as a workbook")
    if "xl/workbook.bin" in names:
        return "an Excel binary workbook (.xlsb)", "open it in Excel and save it as .xlsx"
    if b"opendocument.spreadsheet" in mimetype:
        return ("an OpenDocument spreadsheet (.ods)",
                "save it as .xlsx or as CSV (LibreOffice: Save As)")
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx)", ""
    return "a zip archive", "unpack it first"


def _refuse_binary(data: bytes, name: str) -> None:
    found = describe_content(data)
    if found is not None:
        what, hint = found
        raise InputError(f"this is {what}, not a CSV text file", file=name,
                         code=ErrorCode.WRONG_FORMAT, hint=hint or None)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte order mark: text, decoded below
    head = data[:8192]
    nul = head.count(0)
    if not nul:
        controls = sum(head.count(b) for b in (*range(0, 8), *range(14, 27), *range(28, 32)))
        if controls >= 8 and controls > 0.05 * len(head):
            raise InputError("contains binary data (control bytes), not CSV text", file=name,
                             code=ErrorCode.BINARY_FILE)
        return
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) > 0.3 * (len(head) / 2) and min(even, odd) < 0.05 * (len(head) / 2):
        raise InputError(
            "looks like UTF-16 text without a byte order mark (every other byte is 0x00)",
            file=name, code=ErrorCode.ENCODING,
            hint="save the export as 'CSV UTF-8', or pass --encoding utf-16-le")
    if nul >= 8 and nul > 0.01 * len(head):
        raise InputError(f"contains binary data ({nul} NUL bytes in the first "
                         f"{len(head)} bytes), not CSV text", file=name,
                         code=ErrorCode.BINARY_FILE)


def _refuse_markup(text: str, name: str) -> None:
    start = text[:2048].lstrip(WHITESPACE).lower()
    if start.startswith(("<?xml", "<log", "<html", "<!doctype html", "<table")):
        kind = "HTML" if "html" in start[:200] or start.startswith("<table") else "XML"
        hint = ("an XES event log needs the .xes suffix" if "<log" in start[:2048]
                else "open it in Excel and save it as .xlsx or CSV")
        raise InputError(f"this is an {kind} document, not a CSV file", file=name,
                         code=ErrorCode.WRONG_FORMAT, hint=hint)


def _line_at(data: bytes, pos: int) -> tuple[int, int]:
    """Physical line (1-based) of byte ``pos`` and its byte position in that line (1-based)."""
    seg = data[:pos]
    line = seg.count(b"\n") + seg.count(b"\r") - seg.count(b"\r\n") + 1
    start = max(seg.rfind(b"\n"), seg.rfind(b"\r")) + 1
    return line, pos - start + 1


def _decode(data: bytes, options: ImportOptions, name: str) -> tuple[str, str, list[str]]:
    """Decode strictly; return the text without BOM, the codec and notes naming it."""
    if options.encoding:
        try:
            codec = codecs.lookup(options.encoding).name
        except LookupError:
            raise ConfigError(f"unknown encoding '{options.encoding}'",
                              hint="use utf-8, utf-8-sig or cp1252") from None
        if codec in ("utf-8", "utf-8-sig"):
            codec = "utf-8"
        elif data.startswith(_UTF8_BOM) and not codec.startswith("utf"):
            raise InputError(
                f"the file starts with a UTF-8 byte order mark, but encoding {codec} was given",
                file=name, code=ErrorCode.ENCODING, hint="leave the encoding out, or use utf-8")
        try:
            text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, exc, codec, name) from None
        notes = [f"encoding: {codec} (given)"]
        _mojibake_note(notes, text, data, codec)
        return text.removeprefix("\ufeff"), codec, notes
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("starts like UTF-16 text but is not valid UTF-16",
                             file=name, code=ErrorCode.ENCODING) from exc
        return text.removeprefix("\ufeff"), "utf-16", ["encoding: utf-16 (byte order mark)"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # utf-8-sig counts positions after the byte order mark: count them in the file
        shift = len(data) - len(error.object)
        utf8_error = UnicodeDecodeError("utf-8", data, error.start + shift, error.end + shift,
                                        error.reason)
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as cp_error:
            raise _undecodable(data, utf8_error, cp_error, name) from None
        found = _find_mojibake(text, data, "cp1252")
        if found is not None and _mostly_utf8(data, text):
            line, col = _line_at(data, utf8_error.start)
            byte = data[utf8_error.start:utf8_error.start + 1].hex().upper()
            bom = " and starts with a UTF-8 byte order mark" if data.startswith(_UTF8_BOM) \
                else ""
            raise InputError(
                f"byte 0x{byte} (byte {col} of the line) is not valid UTF-8, but the file is "
                f"UTF-8 elsewhere{bom}", file=name, row=line, code=ErrorCode.ENCODING,
                hint="a character in another encoding (Windows-1252?) was pasted into a UTF-8 "
                     "export: correct that line, or re-save the export as 'CSV UTF-8'"
            ) from None
        if found is not None:
            line, snippet = found
            raise InputError(
                f"mixed encodings: '{snippet}' looks like UTF-8 text, but the rest of the file "
                "is Windows-1252 (cp1252)", file=name, row=line, code=ErrorCode.ENCODING,
                hint="save the whole export in one encoding (best: 'CSV UTF-8'), or pass "
                     "--encoding cp1252 to read it as it is") from None
        return text, "cp1252", ["encoding: cp1252 (detected)"]
    bom = " with byte order mark" if data.startswith(_UTF8_BOM) else ""
    notes = [f"encoding: utf-8{bom} (detected)"]
    _mojibake_note(notes, text, data, "utf-8")
    return text, "utf-8", notes


# Bytes that every mojibake match contains, per source encoding: cheap to look for in bytes.
_MOJIBAKE_BYTES = {
    "cp1252": (b"\xc2", b"\xc3", b"\xc5", b"\xe2\x80", b"\xe2\x82"),
    "utf-8": (b"\xc3\x82", b"\xc3\x83", b"\xc3\x85", b"\xc3\xa2\xe2\x82",
              b"\xc3\xa2\xe2\x80"),
}


def _find_mojibake(text: str, data: bytes | None = None,
                   codec: str | None = None) -> tuple[int, str] | None:
    """First place where UTF-8 text appears to have been read as cp1252: (line, snippet)."""
    markers = _MOJIBAKE_BYTES.get(codec or "")
    if data is not None and markers is not None:
        if not any(m[:1] in data and m in data for m in markers):
            return None
    elif not any(m in text for m in ("\u00c2", "\u00c3", "\u00c5", "\u00e2")):
        return None
    m = _MOJIBAKE.search(text)
    if m is None:
        return None
    seg = text[:m.start()]
    line = seg.count("\n") + seg.count("\r") - seg.count("\r\n") + 1
    return line, m.group(0)


def _mostly_utf8(data: bytes, cp1252_text: str) -> bool:
    """A file that is valid cp1252 but has UTF-8 sequences too: is UTF-8 the rule (then the
    bytes that are not UTF-8 are the error) or the exception (then the UTF-8 text is)?
    A UTF-8 byte order mark decides; otherwise the majority of non-ASCII characters."""
    if data.startswith(_UTF8_BOM):
        return True
    utf8_chars = sum(1 for _ in _MOJIBAKE.finditer(cp1252_text))
    not_utf8 = data.decode("utf-8", errors="replace").count("\ufffd")
    return utf8_chars > not_utf8


def _mojibake_note(notes: list[str], text: str, data: bytes | None = None,
                   codec: str | None = None) -> None:
    found = _find_mojibake(text, data, codec)
    if found is not None:
        notes.append(f"possible mojibake at line {found[0]}: '{found[1]}' (text that was "
                     "converted to UTF-8 twice?)")


def _encoding_error(data: bytes, exc: UnicodeDecodeError, codec: str, name: str) -> InputError:
    line, col = _line_at(data, exc.start) if codec != "utf-16" else (None, 0)
    byte = data[exc.start:exc.start + 1].hex().upper()
    where = f" (byte {col} of the line)" if line else ""
    return InputError(f"byte 0x{byte}{where} cannot be read as {codec}", file=name, row=line,
                      code=ErrorCode.ENCODING,
                      hint="leave --encoding out to detect UTF-8 or cp1252, or re-save the "
                           "export as 'CSV UTF-8'")


def _undecodable(data: bytes, utf8_error: UnicodeDecodeError,
                 cp_error: UnicodeDecodeError, name: str) -> InputError:
    """Neither UTF-8 nor cp1252: blame the encoding the file mostly is."""
    u_line, u_col = _line_at(data, utf8_error.start)
    c_line, c_col = _line_at(data, cp_error.start)
    u_byte = data[utf8_error.start:utf8_error.start + 1].hex().upper()
    c_byte = data[cp_error.start:cp_error.start + 1].hex().upper()
    looks_utf8 = any(b >= 0x80 for b in data[:utf8_error.start])
    if looks_utf8:
        line = u_line
        message = (f"byte 0x{u_byte} (byte {u_col} of the line) is not valid UTF-8, although "
                   f"the file before it is UTF-8; it is not Windows-1252 either "
                   f"(byte 0x{c_byte} at line {c_line})")
    else:
        line = c_line
        message = (f"byte 0x{c_byte} (byte {c_col} of the line) is not valid in Windows-1252 "
                   f"(cp1252), and the file is not UTF-8 either (byte 0x{u_byte} at line "
                   f"{u_line})")
    found = _find_mojibake(data.decode("cp1252", errors="replace"))
    hint = "re-save the export as 'CSV UTF-8', or name the encoding with --encoding"
    if found is not None and found[0] != line:
        hint = f"line {found[0]} also looks like UTF-8 text ('{found[1]}'): mixed encodings; " \
            + hint
    return InputError(message, file=name, row=line, code=ErrorCode.ENCODING, hint=hint)


# --------------------------------------------------------------------------------------------
# dialect: separator and header


def _sep_option(sep: str) -> str:
    aliases = {"\\t": "\t", "tab": "\t", "TAB": "\t", "semicolon": ";", "comma": ","}
    sep = aliases.get(sep, sep)
    if len(sep) != 1 or sep in "\"\r\n" or sep.isalnum():
        raise ConfigError(f"separator {sep!r} is not usable",
                          hint="use one character such as ';' ',' or tab ('\\t')")
    return sep


def _decimal(options: ImportOptions, sep: str) -> str:
    if options.decimal:
        if len(options.decimal) != 1:
            raise ConfigError(f"decimal separator {options.decimal!r} must be one character")
        return options.decimal
    return "," if sep == ";" else "."


def _physical_lines(text: str) -> list[str]:
    """Lines as an editor counts them: ends at LF, CRLF or a lone CR (kept on the line)."""
    return io.StringIO(text, newline="").readlines()


def _is_blank(row: list[str]) -> bool:
    return len(row) <= 1 and (not row or not row[0].strip(WHITESPACE))


def _dialect(buf: bytes, options: ImportOptions, name: str) -> _Dialect:
    size = _PREFIX_BYTES
    while True:
        cut = buf.find(b"\n", size)
        complete = cut < 0
        prefix = buf if complete else buf[:cut + 1]
        found = _dialect_in(prefix.decode("utf-8"), complete, options, name)
        if found is not None:
            return found
        size *= 4


def _dialect_in(text: str, complete: bool, options: ImportOptions,
                name: str) -> _Dialect | None:
    """Separator and header from the first lines; ``None`` if more text is needed."""
    lines = _physical_lines(text)
    notes: list[str] = []
    skip = 0
    sep_line = None
    m = re.fullmatch(r'"?sep=(.)"?', lines[0].rstrip("\r\n")) if lines else None
    if m and m.group(1) not in "\"\r\n":
        sep_line = m.group(1)
        skip = 1
    if options.sep:
        sep = _sep_option(options.sep)
        notes.append(f"separator: {_SEP_NAMES.get(sep, repr(sep))} (given)")
        if sep_line and sep_line != sep:
            notes.append(f"line 1 says 'sep={sep_line}'; the given separator wins")
    elif sep_line:
        sep = sep_line
        notes.append(f"separator: {_SEP_NAMES.get(sep, repr(sep))} (from the 'sep=' line 1)")
    else:
        sniffed = _sniff(lines[skip:], complete, options)
        if sniffed is None:
            return None
        sep, note = sniffed
        notes.append(note)
    first = _records(lines[skip:], sep, _MAX_TITLE_LINES + 2)
    if first is not None and first[1] and not complete:
        return None  # the title lines and the header may not all be in this prefix yet
    titles = _title_records(first[0], options) if first is not None else 0

    with _big_fields():
        reader = csv.reader(iter(lines[skip:]), delimiter=sep, quotechar='"', strict=False)
        prev_end = skip
        header = None
        for row in reader:
            start, prev_end = prev_end + 1, skip + reader.line_num
            if _is_blank(row):
                continue
            if titles:
                titles -= 1
                text = sep.join(row).strip(WHITESPACE + sep)
                notes.append(f"line {start} ('{text[:60]}') looks like a title above the "
                             "header: skipped")
                continue
            header = row
            break
    if header is None or (prev_end >= len(lines) and not complete):
        if not complete:
            return None
        raise InputError("file has no header: only blank lines", file=name,
                         code=ErrorCode.EMPTY_FILE)
    if prev_end >= len(lines) and _ends_in_quote("".join(lines[start - 1:]), sep):
        raise InputError("the header opens a quote (\") that is never closed", file=name,
                         row=start, code=ErrorCode.BAD_ROW,
                         hint="every quoted value needs a closing quote")
    if start > skip + 1 and not any("title above the header" in n for n in notes):
        notes.append(f"header in line {start} (blank lines before it skipped)")
    names = [h.strip(WHITESPACE) for h in header]
    width = len(names)
    while len(names) > 1 and not names[-1]:
        names.pop()
    if len(names) < width:
        notes.append(f"header ends with {width - len(names)} empty column name(s) "
                     "(a trailing separator): ignored")
    check_column_names(names, name, start)
    return _Dialect(sep=sep, header=names, width=width, header_line=start, data_from=prev_end,
                    notes=notes)


def check_column_names(names: list[str], file: str, line: int | None, row_label: str = "line",
                       letters: list[str] | None = None) -> None:
    """Empty, duplicate or reserved column names: refuse, naming them (shared with Excel)."""
    label = (lambda i: f"column {letters[i]}") if letters else (lambda i: f"column {i + 1}")
    empty = [label(i) for i, n in enumerate(names) if not n]
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        if n:
            seen.setdefault(n, []).append(i)
    dups = {n: idx for n, idx in seen.items() if len(idx) > 1}
    problems = []
    if empty:
        problems.append(f"{', '.join(empty)} {'has' if len(empty) == 1 else 'have'} no name")
    for n, idx in dups.items():
        problems.append(f"'{n}' appears {len(idx)} times ({', '.join(label(i) for i in idx)})")
    if SOURCE_ROW in seen:
        problems.append(f"'{SOURCE_ROW}' is reserved for the line number")
    if problems:
        shown = ";".join(names) if not letters else ", ".join(f"{letters[i]}={n!r}"
                                                              for i, n in enumerate(names))
        raise InputError(
            "header: " + "; ".join(problems) + f" (header: {shown[:300]})", file=file, row=line,
            row_label=row_label, code=ErrorCode.DUPLICATE_HEADER,
            hint="every column needs its own name in the header; a header split over merged "
                 "cells or two rows must be made one row" if letters else
                 "every column needs its own, non-empty name in the header")


def _records(lines: list[str], sep: str, limit: int) -> tuple[list[list[str]], bool] | None:
    """The first ``limit`` non-blank records, and whether all lines were consumed (``None``
    if the csv module cannot split them with ``sep``)."""
    rows: list[list[str]] = []
    with _big_fields():
        reader = csv.reader(iter(lines), delimiter=sep, quotechar='"', strict=False)
        try:
            for row in reader:
                if not _is_blank(row):
                    rows.append(row)
                if len(rows) >= limit:
                    return rows, False
        except csv.Error:
            return None
    return rows, True


def _filled(row: list[str]) -> int:
    return sum(1 for v in row if v.strip(WHITESPACE))


def _title_records(rows: list[list[str]], options: ImportOptions) -> int:
    """How many leading records are a title above the header ("Export Fachverfahren ABH,
    Stand 01.12.2025"): records with at most one filled field (Excel pads a title with
    separators), at most :data:`_MAX_TITLE_LINES` of them, right above a record with at least
    two filled fields of which one is a known column name or one the mapping names. (Without
    that name, a one-column first line is taken for the header, as before.)"""
    t = 0
    while t < _MAX_TITLE_LINES and t + 1 < len(rows) and _filled(rows[t]) <= 1:
        t += 1
    if not t or _filled(rows[t]) < 2:
        return 0
    return t if names_a_known_column(rows[t], options.columns.values()) else 0


def _sniff(lines: list[str], complete: bool,
           options: ImportOptions) -> tuple[str, str] | None:
    """Pick the separator that splits the header and the next records most consistently
    (title lines above the header left out, see :func:`_title_records`)."""
    scored = []
    for order, cand in enumerate(SEPARATORS):
        found = _records(lines, cand, _SNIFF_RECORDS + 1)
        if found is None:
            continue
        rows, consumed_all = found
        counts = [len(r) for r in rows]
        if consumed_all and not complete:
            if len(counts) <= 1:
                return None  # header not yet complete in this prefix
            counts.pop()  # the last record may be cut off by the prefix
        counts = counts[_title_records(rows[:len(counts)], options):]
        if not counts or counts[0] < 2:
            continue
        header, rows_ = counts[0], counts[1:]
        consistency = sum(c == header for c in rows_) / len(rows_) if rows_ else 1.0
        good = consistency >= 0.9
        scored.append(((good, header if good else 0, consistency, -order), cand))
    if not scored:
        return ";", "separator: ';' (default: the header has only one column with ';' ',' " \
            "or tab)"
    scored.sort(reverse=True)
    sep = scored[0][1]
    return sep, f"separator: {_SEP_NAMES[sep]} (detected)"


@contextlib.contextmanager
def _big_fields() -> Iterator[None]:
    """Let the csv module read fields up to _FIELD_LIMIT (its default is 128 KiB)."""
    old = csv.field_size_limit(_FIELD_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _ends_in_quote(record_text: str, sep: str) -> bool:
    """Does this text (one record to the end of the file) end inside a quoted value?

    Python's csv module silently closes such a value at the end of the file. Append a line:
    if it becomes part of the same record, the quote was still open.
    """
    with _big_fields():
        rows = list(csv.reader(io.StringIO(record_text + "\nx", newline=""), delimiter=sep,
                               quotechar='"', strict=False))
    return len(rows) == 1


# --------------------------------------------------------------------------------------------
# fast path: pyarrow, one record per non-blank line


def _line_index(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start offset and length (without the line break) of every physical line in ``buf``."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    size = arr.size
    cr = np.flatnonzero(arr == 13) if b"\r" in buf else np.empty(0, np.int64)
    lone = cr[arr[np.minimum(cr + 1, size - 1)] != 10] if cr.size else cr
    ends = np.flatnonzero(arr == 10)
    if lone.size:  # lone CRs end lines too (old Mac files, or mixed)
        ends = np.union1d(ends, lone)
    starts = np.empty(ends.size + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends + 1
    stops = np.empty(ends.size + 1, dtype=np.int64)
    stops[:-1] = ends
    stops[-1] = size
    if cr.size > lone.size and ends.size:
        crlf = (arr[ends] == 10) & (ends > 0) & (arr[np.maximum(ends - 1, 0)] == 13)
        stops[:-1][crlf] -= 1
    if starts[-1] == size:  # text ends with a line break: no line after it
        starts, stops = starts[:-1], stops[:-1]
    return starts, stops - starts


def _read_fast(buf: bytes, dialect: _Dialect) -> _Parsed | None:
    """pyarrow parse plus line numbers from numpy; ``None`` when the exact path must decide.

    Record *i* starts on a non-blank line; a record spans one line more for every line break
    inside its (quoted) values, so the start lines follow from the values themselves.
    """
    starts, lengths = _line_index(buf)
    first = dialect.data_from  # index of the first line after the header
    nonblank = np.flatnonzero(lengths[first:] > 0) + first
    if not len(nonblank):
        return _Parsed([np.empty(0, object) for _ in dialect.header], np.empty(0, np.int64))
    names = [f"f{i}" for i in range(dialect.width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(buf)[int(starts[first]):]),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=4 << 20),
            parse_options=pa_csv.ParseOptions(delimiter=dialect.sep, quote_char='"',
                                              double_quote=True, escape_char=False,
                                              newlines_in_values=True,
                                              ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), check_utf8=False,
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # wrong field counts, huge fields: the exact path says what and where
    converted = [_to_objects(table.column(i)) for i in range(dialect.width)]
    columns = [c.values for c in converted]
    empty = [c.empty for c in converted]
    index = _record_lines(converted, table.num_rows, nonblank)
    if index is None:
        return None
    # Python's csv module and pyarrow both close a quote left open at the end of the file
    # silently: the last record must not end inside a quoted value
    if _ends_in_quote(buf[starts[nonblank[index[-1]]]:].decode("utf-8"), dialect.sep):
        return None
    n = len(dialect.header)
    if n < dialect.width and not all(e.all() for e in empty[n:]):
        return None  # a value under a nameless trailing column: the exact path reports it
    lines = nonblank[index] + 1
    notes: list[str] = []
    all_empty = np.logical_and.reduce(empty)
    if all_empty.any():
        if dialect.width > 1:
            notes.append(_empty_rows_note(int(all_empty.sum()), int(lines[all_empty][0])))
        keep = ~all_empty
        lines = lines[keep]
        columns = [c[keep] for c in columns]
    return _Parsed(columns[:n], lines.astype(np.int64), notes=notes)


def _record_lines(columns: list[_Column], records: int,
                  nonblank: np.ndarray) -> np.ndarray | None:
    """For each record, the index into ``nonblank`` of the line it starts on.

    ``None`` if the records and the lines do not add up (then the exact path decides).
    """
    available = len(nonblank)
    if records == available:
        return np.arange(records)
    if records == 0 or records > available:
        return None
    breaks = np.zeros(records, dtype=np.int64)
    for col in columns:
        col.add_breaks(breaks)
    multi = np.flatnonzero(breaks)
    shift = np.zeros(records + 1, dtype=np.int64)  # extra non-blank lines before record i
    offset = 0
    for i in multi.tolist():
        j = i + offset
        if j >= available:
            return None
        last_line = nonblank[j] + breaks[i]
        covered = int(np.searchsorted(nonblank, last_line, side="right")) - j
        offset += covered - 1
        shift[i + 1] += covered - 1
    index = np.arange(records) + np.cumsum(shift[:-1])
    if index[-1] >= available:
        return None
    last = index[-1]
    covered = int(np.searchsorted(nonblank, nonblank[last] + breaks[-1], side="right")) - last
    if last + covered != available:
        return None
    return index


@dataclass
class _Column:
    """One parsed column: values (``str``/``None``), empty mask, and its dictionary."""

    values: np.ndarray
    empty: np.ndarray
    raw: np.ndarray      # distinct raw values (before stripping)
    indices: np.ndarray  # position of each cell's value in ``raw``

    def add_breaks(self, breaks: np.ndarray) -> None:
        """Add the line breaks inside each cell (CRLF, LF and lone CR count one each)."""
        counts = np.fromiter(
            ((v.count("\n") + v.count("\r") - v.count("\r\n")) if ("\n" in v or "\r" in v)
             else 0 for v in self.raw), dtype=np.int64, count=len(self.raw))
        if counts.any():
            breaks += counts.take(self.indices)


def _to_objects(col: pa.ChunkedArray | pa.Array) -> _Column:
    """Arrow strings to an object array of stripped ``str``, ``None`` for empty values.

    Going through a dictionary strips and creates one Python string per distinct value, not
    per cell: several times faster, as activity and staff columns repeat a lot.
    """
    encoded = pc.dictionary_encode(col)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    raw = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    if not len(raw):
        return _Column(np.full(len(indices), None, object), np.ones(len(indices), bool), raw,
                       indices)
    stripped = np.fromiter((v.strip(WHITESPACE) or None for v in raw), dtype=object,
                           count=len(raw))
    is_empty = np.fromiter((v is None for v in stripped), dtype=bool, count=len(raw))
    return _Column(stripped.take(indices), is_empty.take(indices), raw, indices)


def _empty_rows_note(count: int, first_line: int) -> str:
    return f"{count} row(s) with only empty fields skipped (first: line {first_line})"


# --------------------------------------------------------------------------------------------
# exact path: Python's csv module, every record with its first physical line


def _parse_records(lines: list[str], first: int, sep: str, skip_bad: bool, name: str
                   ) -> tuple[list[list[str]], list[int], dict[int, str]]:
    """All records after line ``first``: fields, first physical line, and problems by index.

    A record that cannot be read has ``[]`` as fields and an entry in the problems. After an
    unclosed quote, reading goes on with the next line if ``skip_bad`` is set (that line is
    dropped), else it stops there.
    """
    rows: list[list[str]] = []
    starts: list[int] = []
    problems: dict[int, str] = {}
    pos = first
    recoveries = 0
    while pos < len(lines):
        reader = csv.reader(itertools.islice(lines, pos, None), delimiter=sep, quotechar='"',
                            strict=False)
        base = len(rows)
        ends: list[int] = []
        while True:
            try:
                for row in reader:
                    rows.append(row)
                    ends.append(reader.line_num)
                break
            except csv.Error as exc:
                problems[len(rows)] = f"cannot be read as CSV: {exc}"
                rows.append([])
                ends.append(reader.line_num)
        if not ends:
            break
        starts.append(pos + 1)
        starts.extend(pos + e + 1 for e in ends[:-1])
        start, row = starts[-1], rows[-1]
        if len(rows) - 1 in problems:
            break
        record_text = "".join(lines[start - 1:])
        if not _ends_in_quote(record_text, sep):
            break
        # the record's last value opened a quote that is never closed
        raw_len = len(row[-1]) + row[-1].count('"')
        before = record_text[:len(record_text) - raw_len - 1]
        open_line = start + before.count("\n") + before.count("\r") - before.count("\r\n")
        message = (f"a quote (\") opened in line {open_line} is never closed: everything from "
                   f"there to the end of the file (line {len(lines)}) would become one value")
        recoveries += 1
        if recoveries > _MAX_QUOTE_RECOVERIES:
            raise InputError(message, file=name, row=open_line, code=ErrorCode.BAD_ROW,
                             hint=f"more than {_MAX_QUOTE_RECOVERIES} unclosed quotes: this is "
                                  "not a CSV file that can be repaired row by row")
        rows[-1], starts[-1] = [], open_line
        problems[len(rows) - 1] = message
        if not skip_bad or base == len(rows):
            break  # without --skip-bad-rows the caller reports it (after earlier bad rows)
        pos = open_line  # go on after the line with the unclosed quote
    return rows, starts, problems


def _read_exact(text: str, dialect: _Dialect, skip_bad: bool, name: str) -> _Parsed:
    lines = _physical_lines(text)
    has_nul = "\x00" in text
    del text
    n = len(dialect.header)
    header_text = dialect.sep.join(dialect.header)
    bad: list[tuple[DroppedRow, ErrorCode]] = []
    empty_lines: list[int] = []
    trailing: list[int] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small lists: the cyclic GC would only slow this down
    try:
        with _big_fields():
            rows, starts, problems = _parse_records(lines, dialect.data_from, dialect.sep,
                                                    skip_bad, name)
        del lines
        lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        good = lens == n
        for i in np.flatnonzero(~good).tolist():
            row, start = rows[i], starts[i]
            if i in problems:
                bad.append((DroppedRow(start, problems[i]), ErrorCode.BAD_ROW))
            elif all(not v.strip(WHITESPACE) for v in row):
                if len(row) > 1:
                    empty_lines.append(start)
            elif len(row) < n or any(v.strip(WHITESPACE) for v in row[n:]):
                bad.append((DroppedRow(start, _count_reason(len(row), n, header_text)),
                            ErrorCode.BAD_ROW))
            else:
                if len(row) > dialect.width:
                    trailing.append(start)
                rows[i] = row[:n]
                good[i] = True
        keep = np.flatnonzero(good)
        raw_columns = [pa.array([rows[i][c] for i in keep.tolist()], type=pa.string())
                       for c in range(n)]
    finally:
        if gc_was_enabled:
            gc.enable()
    lines_ok = np.asarray(starts, dtype=np.int64)[keep]
    nul = np.zeros(len(keep), dtype=bool)
    if has_nul:
        hits = [pc.match_substring(col, "\x00").to_numpy(zero_copy_only=False)
                for col in raw_columns]
        nul = np.logical_or.reduce(hits) if hits else nul
        for i in np.flatnonzero(nul).tolist():
            c = next(k for k, h in enumerate(hits) if h[i])
            bad.append((DroppedRow(int(lines_ok[i]), "contains a NUL byte (0x00): binary data "
                                   "in a text file", dialect.header[c]), ErrorCode.BINARY_FILE))
    converted = [_to_objects(col) for col in raw_columns]
    all_empty = np.logical_and.reduce([c.empty for c in converted]) if converted else \
        np.zeros(len(keep), bool)
    if n > 1:  # with one column, an empty row is a blank line
        empty_lines.extend(lines_ok[all_empty].tolist())
    drop = all_empty | nul
    bad = _first_per_line(bad)
    if bad and not skip_bad:
        first, code = bad[0]
        others = [d.row for d, _ in bad[1:]]
        more = ""
        if others:
            shown = ", ".join(map(str, others[:10])) + (", ..." if len(others) > 10 else "")
            more = f"{len(others)} more bad line(s): {shown}; "
        raise InputError(first.reason, file=name, row=first.row, column=first.column,
                         code=code, hint=more + "fix the export, or use --skip-bad-rows to "
                         "leave such rows out (they are counted and listed)")
    notes = []
    if empty_lines:
        notes.append(_empty_rows_note(len(empty_lines), min(empty_lines)))
    if trailing:
        notes.append(f"{len(trailing)} line(s) end with empty fields beyond the header's {n} "
                     f"columns (a trailing separator): ignored (first: line {trailing[0]})")
    if bad:
        notes.append(f"{len(bad)} bad line(s) left out (--skip-bad-rows)")
    columns = [c.values[~drop] if drop.any() else c.values for c in converted]
    return _Parsed(columns, lines_ok[~drop], dropped=[d for d, _ in bad], notes=notes)


def _first_per_line(bad: list[tuple[DroppedRow, ErrorCode]]
                    ) -> list[tuple[DroppedRow, ErrorCode]]:
    """Sorted by line, one entry per record (the first column's problem)."""
    seen: dict[int, tuple[DroppedRow, ErrorCode]] = {}
    for entry in sorted(bad, key=lambda e: e[0].row):
        seen.setdefault(entry[0].row, entry)
    return list(seen.values())


def _col_name(header: list[str], i: int) -> str | None:
    return header[i] if i < len(header) else None


def _count_reason(found: int, expected: int, header_text: str) -> str:
    shown = header_text if len(header_text) <= 200 else header_text[:200] + "..."
    return (f"{found} field{'s' if found != 1 else ''}, expected {expected} "
            f"(header has {expected} column{'s' if expected != 1 else ''}: {shown})")


# --------------------------------------------------------------------------------------------


def _frame(header: list[str], columns: list[np.ndarray], lines: np.ndarray) -> pd.DataFrame:
    """Object columns (``str``/``None``; pandas would otherwise infer its string dtype)."""
    data = {h: pd.Series(c, dtype=object, copy=False) for h, c in zip(header, columns,
                                                                       strict=True)}
    frame = pd.DataFrame(data, copy=False)
    frame[SOURCE_ROW] = lines.astype(np.int64)
    return frame
