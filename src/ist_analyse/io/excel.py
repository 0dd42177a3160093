"""Excel reader: one sheet of an .xlsx/.xlsm workbook to a RawTable, hostile workbooks refused.

An .xlsx file is a zip archive of XML files, so it is checked like one before openpyxl sees it:
magic bytes (a renamed CSV, an old .xls), number of entries, unpacked size (zip bomb) and any
DOCTYPE/ENTITY declaration (billion laughs). openpyxl then parses through defusedxml (its
README: without defusedxml it does not guard against entity attacks), which this reader
insists on.

Values: text as ``str`` (stripped, ``None`` when empty), date cells as naive
``datetime.datetime`` (the pipeline localizes them), numbers as ``str`` without a spurious
``.0`` (case id ``12345`` stays ``12345``), ``source_row`` the Excel row number.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError, IstAnalyseError
from ist_analyse.io.csv import SOURCE_ROW, WHITESPACE, _check_names, describe_content
from ist_analyse.io.raw import DroppedRow, RawTable

#: More entries than this is no spreadsheet export (reliability anchors, goal 20).
MAX_ZIP_ENTRIES = 10_000
#: How much of each XML part is searched for DOCTYPE/ENTITY before openpyxl parses it.
_XML_SCAN_BYTES = 64 * 1024
#: Excel's own limits; row or column numbers beyond them come from a forged file.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: Leading one-cell rows (a title above the header) skipped at most.
_MAX_TITLE_ROWS = 3

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ERROR_NAMES_DE = {"#N/A": "#NV", "#VALUE!": "#WERT!", "#REF!": "#BEZUG!", "#DIV/0!": "#DIV/0!",
                   "#NAME?": "#NAME?", "#NUM!": "#ZAHL!", "#NULL!": "#NULL!"}


def read_excel_raw(path: Path, options: ImportOptions) -> RawTable:
    """Read one sheet of an Excel workbook into a :class:`RawTable`.

    Args:
        path: the .xlsx/.xlsm file; its name as given is used in messages.
        options: ``sheet`` (name or 1-based number; default the first visible sheet),
            ``skip_bad_rows``, ``max_bytes`` (cap on the unpacked size).

    Returns:
        A RawTable with the header row's names, values as ``str``/``datetime``/``None`` and
        ``source_row`` = Excel row number (``row_label="row"``).

    Raises:
        InputError: EMPTY_FILE, WRONG_FORMAT (renamed CSV, .xls, damaged file), SIZE_LIMIT
            (zip bomb, too many entries), XML_DTD_FORBIDDEN (entity declarations), BAD_ROW
            (error cells such as ``#NV``, values without a header), DUPLICATE_HEADER, NO_ROWS,
            CONFIG (unknown sheet).
        ConfigError: defusedxml is missing or switched off for openpyxl.
    """
    name = str(path)
    _require_defusedxml()
    try:
        fh = open(path, "rb")  # kept open while openpyxl reads the sheet lazily
    except FileNotFoundError:
        raise InputError("file not found", file=name, code=ErrorCode.FILE_NOT_FOUND) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=name,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=name,
                         code=ErrorCode.FILE_NOT_FOUND) from exc
    with fh, warnings.catch_warnings():
        # openpyxl warns about unsupported extensions and out-of-range dates on stderr; the
        # dates come back as error cells and are reported, the rest does not matter here
        warnings.simplefilter("ignore", UserWarning)
        _check_container(fh, name, options.max_bytes)
        return _read_workbook(fh, name, options)


def _require_defusedxml() -> None:
    """openpyxl parses with defusedxml only if it is installed and not switched off."""
    try:
        import defusedxml  # noqa: F401
        import openpyxl.xml
        import openpyxl.xml.functions as xml_functions
    except ImportError as exc:
        raise ConfigError("Excel files cannot be read safely: defusedxml or openpyxl is "
                          "missing", hint="install ist-analyse with its dependencies "
                          "(pip install defusedxml openpyxl)") from exc
    if not openpyxl.xml.DEFUSEDXML or \
            not xml_functions.iterparse.__module__.startswith("defusedxml"):
        raise ConfigError("Excel files cannot be read safely: openpyxl is not using "
                          "defusedxml", hint="unset OPENPYXL_DEFUSEDXML (it must not be "
                          "'False') and reinstall defusedxml")


# --------------------------------------------------------------------------------------------
# the container: magic bytes, zip limits, XML declarations


def _check_container(fh: IO[bytes], name: str, max_bytes: int) -> None:
    head = fh.read(4096)
    fh.seek(0)
    if not head.strip():
        raise InputError("file is empty", file=name, code=ErrorCode.EMPTY_FILE)
    if head.startswith(_OLE2):
        raise InputError("this is an old Excel 97-2003 workbook (.xls) or a password-"
                         "protected workbook, which cannot be read", file=name,
                         code=ErrorCode.WRONG_FORMAT,
                         hint="open it in Excel, remove any password and save it as "
                              "'Excel-Arbeitsmappe (.xlsx)' or as CSV")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        found = describe_content(head)
        if found is not None:
            what, hint = found
            raise InputError(f"this is {what}, not an Excel workbook", file=name,
                             code=ErrorCode.WRONG_FORMAT, hint=hint or None)
        lower = head.lstrip().lower()
        if lower.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
            raise InputError("this is an HTML or XML table saved with an Excel suffix, not "
                             "an Excel workbook", file=name, code=ErrorCode.WRONG_FORMAT,
                             hint="open it in Excel and save it as .xlsx or as CSV")
        if 0 not in head:
            raise InputError("this is a text file (CSV?), not an Excel workbook", file=name,
                             code=ErrorCode.WRONG_FORMAT,
                             hint="give it the .csv suffix, or pass --format csv")
        raise InputError("this is not an Excel workbook (no zip archive)", file=name,
                         code=ErrorCode.WRONG_FORMAT)
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise InputError(f"the workbook archive has {len(infos):,} entries (limit "
                                 f"{MAX_ZIP_ENTRIES:,}): refused as a possible zip bomb",
                                 file=name, code=ErrorCode.SIZE_LIMIT)
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise InputError(
                    f"the workbook would unpack to {_size(total)} (limit {_size(max_bytes)}): "
                    "refused as a possible zip bomb", file=name, code=ErrorCode.SIZE_LIMIT,
                    hint="if the workbook is genuine, raise the limit (max_bytes)")
            names = {i.filename for i in infos}
            _check_parts(zf, names, name)
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _refuse_declarations(zf, info, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError, ValueError, OSError) as exc:
        raise InputError(f"the workbook archive is damaged or unsupported: {exc}", file=name,
                         code=ErrorCode.WRONG_FORMAT,
                         hint="open it in Excel and save it again as .xlsx") from exc
    finally:
        fh.seek(0)


def _check_parts(zf: zipfile.ZipFile, names: set[str], name: str) -> None:
    if "xl/workbook.bin" in names:
        raise InputError("this is an Excel binary workbook (.xlsb), which cannot be read",
                         file=name, code=ErrorCode.WRONG_FORMAT,
                         hint="open it in Excel and save it as .xlsx")
    if "mimetype" in names and b"opendocument" in zf.read("mimetype")[:200]:
        raise InputError("this is an OpenDocument file (.ods), not an Excel workbook",
                         file=name, code=ErrorCode.WRONG_FORMAT,
                         hint="save it as .xlsx or as CSV (LibreOffice: Save As)")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        what = "a Word document" if any(n.startswith("word/") for n in names) else \
            "a zip archive"
        raise InputError(f"this is {what}, not an Excel workbook", file=name,
                         code=ErrorCode.WRONG_FORMAT)


def _refuse_declarations(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Excel never writes DOCTYPE or ENTITY declarations; entity bombs need them."""
    with zf.open(info) as part:
        head = part.read(_XML_SCAN_BYTES)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise InputError(
            f"part {info.filename} declares a DOCTYPE/ENTITY: refused (XML entities are how "
            "'billion laughs' attacks work; Excel never writes them)", file=name,
            code=ErrorCode.XML_DTD_FORBIDDEN,
            hint="open the workbook in Excel and save it again, if you trust its origin")


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _openpyxl_errors(name: str, where: str = "") -> Iterator[None]:
    """openpyxl/defusedxml exceptions on a hostile or damaged workbook → InputError."""
    from defusedxml import DefusedXmlException

    try:
        yield
    except IstAnalyseError:
        raise
    except DefusedXmlException as exc:
        raise InputError(f"{where}the workbook declares XML entities or a DTD: refused "
                         f"({type(exc).__name__})", file=name,
                         code=ErrorCode.XML_DTD_FORBIDDEN) from exc
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError,
            TypeError, AttributeError, IndexError, OverflowError, NotImplementedError,
            RuntimeError, OSError) as exc:
        raise InputError(f"{where}the workbook is damaged: {type(exc).__name__}: {exc}",
                         file=name, code=ErrorCode.WRONG_FORMAT,
                         hint="open it in Excel and save it again as .xlsx") from exc


# --------------------------------------------------------------------------------------------
# the sheet


def _read_workbook(fh: IO[bytes], name: str, options: ImportOptions) -> RawTable:
    import openpyxl

    with _openpyxl_errors(name):
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
    try:
        ws, sheet_note = _pick_sheet(wb, options.sheet, name)
        return _read_sheet(wb, ws, name, options, [sheet_note])
    finally:
        with contextlib.suppress(Exception):
            wb.close()


def _pick_sheet(wb: Any, sheet: str | int | None, name: str) -> tuple[Any, str]:
    sheets = list(wb.worksheets)
    if not sheets:
        raise InputError("the workbook has no worksheet", file=name,
                         code=ErrorCode.WRONG_FORMAT)

    def listing() -> str:
        return ", ".join(f"{i}: '{s.title}'" + ("" if s.sheet_state == "visible" else
                                                 f" ({s.sheet_state})")
                         for i, s in enumerate(sheets, 1))

    if sheet is None or str(sheet).strip() == "":
        visible = [s for s in sheets if s.sheet_state == "visible"] or sheets
        ws = visible[0]
        note = f"sheet: '{ws.title}' (the first visible one"
        if len(sheets) > 1:
            note += f"; the workbook has {len(sheets)} sheets: {listing()}"
        return ws, note + ")"
    wanted = str(sheet).strip()
    by_title = {s.title: s for s in sheets}
    if wanted in by_title:
        return by_title[wanted], f"sheet: '{wanted}' (given)"
    if wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
        ws = sheets[int(wanted) - 1]
        return ws, f"sheet: '{ws.title}' (number {wanted}, given)"
    folded = [s for s in sheets if s.title.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0], f"sheet: '{folded[0].title}' (given as '{wanted}')"
    raise InputError(f"no sheet '{wanted}' in the workbook; its sheets are {listing()}",
                     file=name, code=ErrorCode.CONFIG,
                     hint="give the sheet's name or its number (1 = the first)")


def _sheet_rows(wb: Any, ws: Any, name: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """``(Excel row number, cells present)`` straight from openpyxl's sheet parser.

    ``ws.iter_rows()`` pads gaps with empty rows and rows with empty cells up to the last
    column; a forged row number (r="1000000000") or a cell in column ZZZ would make it loop or
    allocate for minutes. The parser yields only what is in the file.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    with _openpyxl_errors(name, f"sheet '{ws.title}': "):
        source = ws._get_source()
    with source:
        parser = WorkSheetParser(source, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        rows = parser.parse()
        while True:
            with _openpyxl_errors(name, f"sheet '{ws.title}': "):
                try:
                    row_number, cells = next(rows)
                except StopIteration:
                    return
            if not 1 <= row_number <= EXCEL_MAX_ROWS:
                raise InputError(f"row number {row_number} is outside Excel's limits "
                                 f"(1-{EXCEL_MAX_ROWS:,}): the file is forged or damaged",
                                 file=name, row=row_number, row_label="row",
                                 code=ErrorCode.WRONG_FORMAT)
            yield row_number, cells


def _value(v: Any) -> Any:
    """A cell value as the pipeline wants it: str, naive datetime or None."""
    if v is None:
        return None
    if isinstance(v, str):
        return v.strip(WHITESPACE) or None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v).strip(WHITESPACE) or None


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col) if 1 <= col <= 18278 else str(col)


def _read_sheet(wb: Any, ws: Any, name: str, options: ImportOptions,
                notes: list[str]) -> RawTable:
    rows = _sheet_rows(wb, ws, name)
    where = f"sheet '{ws.title}'"
    # header: the first non-empty row; a one-cell row above a wider row is a title, skipped
    pending: list[tuple[int, dict[int, Any]]] = []
    for row_number, cells in rows:
        values = _row_values(cells, name, row_number)
        if not values:
            continue
        pending.append((row_number, values))
        if len(values) > 1 or len(pending) > _MAX_TITLE_ROWS:
            break
    if not pending:
        raise InputError(f"{where} is empty", file=name, code=ErrorCode.EMPTY_FILE)
    # one-cell rows right above a row of several text cells are a title, not the header
    wide = [i for i, (_, vals) in enumerate(pending) if len(vals) > 1]
    first = wide[0] if wide and all(isinstance(v, str) for v in pending[wide[0]][1].values()) \
        else 0
    for title_row, vals in pending[:first]:
        text = str(next(iter(vals.values())))
        notes.append(f"row {title_row} ('{text[:60]}') looks like a title above the header: "
                     "skipped")
    header_row, header_cells = pending[first]
    leftover = pending[first + 1:]
    lo, hi = min(header_cells), max(header_cells)
    names = [_header_name(header_cells.get(c)) for c in range(lo, hi + 1)]
    letters = [_letter(c) for c in range(lo, hi + 1)]
    _check_names(names, name, header_row, row_label="row", letters=letters)
    n = len(names)
    if header_row > 1 and not first:
        notes.append(f"header in row {header_row} (empty rows above it skipped)")
    if lo > 1:
        notes.append(f"the table starts in column {_letter(lo)}")

    data: list[list[Any]] = [[] for _ in range(n)]
    lines: list[int] = []
    bad: list[DroppedRow] = []
    span = f"{_letter(lo)}-{_letter(hi)}" if n > 1 else _letter(lo)

    def take(row_number: int, values: dict[int, Any]) -> None:
        for col, v in values.items():
            inside = lo <= col <= hi
            if isinstance(v, _ErrorCell):
                bad.append(DroppedRow(row_number, f"cell {_letter(col)}{row_number} holds the "
                                      f"error value {v.describe()}",
                                      names[col - lo] if inside else None))
                return
            if not inside:
                bad.append(DroppedRow(row_number, f"cell {_letter(col)}{row_number} has a "
                                      f"value, but column {_letter(col)} has no header (the "
                                      f"header in row {header_row} spans columns {span})"))
                return
        for i in range(n):
            data[i].append(values.get(lo + i))
        lines.append(row_number)

    for row_number, values in leftover:
        take(row_number, values)
    for row_number, cells in rows:
        values = _row_values(cells, name, row_number)
        if values:
            take(row_number, values)

    if bad and not options.skip_bad_rows:
        first_bad = bad[0]
        others = [d.row for d in bad[1:]]
        more = ""
        if others:
            shown = ", ".join(map(str, others[:10])) + (", ..." if len(others) > 10 else "")
            more = f"{len(others)} more bad row(s): {shown}; "
        raise InputError(first_bad.reason, file=name, row=first_bad.row,
                         column=first_bad.column, row_label="row", code=ErrorCode.BAD_ROW,
                         hint=more + "fix the cells in Excel, or use --skip-bad-rows to leave "
                         "such rows out (they are counted and listed)")
    if bad:
        notes.append(f"{len(bad)} bad row(s) left out (--skip-bad-rows)")
    events_read = len(lines) + len(bad)
    if events_read == 0:
        raise InputError(f"no data rows in {where}: only a header (row {header_row})",
                         file=name, code=ErrorCode.NO_ROWS)
    frame = pd.DataFrame({h: pd.Series(col, dtype=object) for h, col in zip(names, data,
                                                                           strict=True)})
    frame[SOURCE_ROW] = np.asarray(lines, dtype=np.int64)
    return RawTable(frame=frame, source_file=name, row_label="row", format="excel",
                    events_read=events_read, dropped=bad, notes=notes, decimal=".")


class _ErrorCell:
    """An Excel error value (#N/A, #DIV/0!, ...): never data, always reported."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def describe(self) -> str:
        german = _ERROR_NAMES_DE.get(self.code)
        return f"{self.code} (in German Excel {german})" if german and german != self.code \
            else self.code


def _row_values(cells: list[dict[str, Any]], name: str, row_number: int) -> dict[int, Any]:
    """Non-empty cells of one row: column number → value (or _ErrorCell)."""
    out: dict[int, Any] = {}
    for cell in cells:
        col = cell["column"]
        if not 1 <= col <= EXCEL_MAX_COLUMNS:
            raise InputError(f"column number {col} is outside Excel's limits "
                             f"(1-{EXCEL_MAX_COLUMNS:,}): the file is forged or damaged",
                             file=name, row=row_number, row_label="row",
                             code=ErrorCode.WRONG_FORMAT)
        if cell["data_type"] == "e":
            out[col] = _ErrorCell(str(cell["value"]))
            continue
        v = _value(cell["value"])
        if v is not None:
            out[col] = v
    return out


def _header_name(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, _ErrorCell):
        return v.code
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return str(v)
