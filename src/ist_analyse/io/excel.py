"""Excel reader: one sheet of an .xlsx/.xlsm workbook to a RawTable, hostile workbooks refused.

An .xlsx file is a zip archive of XML files, so it is checked like one before any XML parser
sees it: magic bytes (a renamed CSV, an old .xls), number of entries, unpacked size (zip
bomb), and the prolog of every XML part for a DOCTYPE/ENTITY declaration (billion laughs,
external entities; Excel never writes one).

Then openpyxl reads the workbook's structure, shared strings and styles: with defusedxml,
which this reader insists on (openpyxl's README: without it, openpyxl does not guard against
entity attacks). The chosen sheet itself is streamed with lxml (entities not resolved, no DTD,
no network) and its cells decoded exactly as openpyxl's read-only parser decodes them (tests
compare the two); that is several times faster than openpyxl's pure-Python callbacks and
never pads forged row or column numbers.

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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError, IstAnalyseError
from ist_analyse.io.csv import SOURCE_ROW, WHITESPACE, check_column_names, describe_content
from ist_analyse.io.raw import DroppedRow, RawTable

#: More entries than this is no spreadsheet export (reliability anchors, goal 20).
MAX_ZIP_ENTRIES = 10_000
#: Read size when scanning the prolog of each XML part for DOCTYPE/ENTITY.
_XML_SCAN_BYTES = 64 * 1024
#: Excel's own limits; row or column numbers beyond them come from a forged file.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: Leading one-cell rows (a title above the header) skipped at most.
_MAX_TITLE_ROWS = 3
#: The worksheet read may unpack to at most this share of ``ImportOptions.max_bytes`` (1 GiB
#: by default): its cells take about twice their XML size as Python values, and a genuine
#: export of a million rows by twenty columns is some 600 MB of XML. Checked on the entry's
#: declared size before parsing (zipfile never gives more than that).
SHEET_SHARE = 4
#: Largest XML of one ``<row>``, counted as it is unpacked: lxml builds a whole row before
#: handing it over, so one row of millions of cells would fill the memory first (16,384
#: columns of 1 KiB each fit).
MAX_ROW_BYTES = 16 << 20

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
        fh = open(path, "rb")  # one handle for all checks and reads: no swap in between
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
            for info in infos:  # every part: parts are found by relation, not by name
                if not info.is_dir():
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
    """Excel never writes DOCTYPE or ENTITY declarations; entity bombs need them.

    The whole prolog (XML declaration, comments, processing instructions) is read up to the
    root element, so a declaration cannot hide behind a long comment.
    """
    with zf.open(info) as part:
        found = _prolog_declares(part)
    if found is None:
        return
    what = "declares a DOCTYPE/ENTITY" if found else \
        f"has a prolog longer than {_PROLOG_LIMIT // 1024} KiB before its root element"
    raise InputError(
        f"part {info.filename} {what}: refused (XML entities are how 'billion laughs' attacks "
        "work; Excel never writes them)", file=name, code=ErrorCode.XML_DTD_FORBIDDEN,
        hint="open the workbook in Excel and save it again, if you trust its origin")


_PROLOG_LIMIT = 1024 * 1024


def _prolog_declares(part: IO[bytes]) -> bool | None:
    """``True``: a DOCTYPE/ENTITY before the root element; ``False``: a prolog too long to
    check; ``None``: clean (the root element was reached)."""
    buf = part.read(_XML_SCAN_BYTES)
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or buf[:2] in (b"<\x00", b"\x00<"):
        buf = (buf + part.read(_PROLOG_LIMIT)).decode("utf-16", errors="ignore").encode()
    pos = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(buf) and buf[pos] in b" \t\r\n":
            pos += 1
        for start, end in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if buf.startswith(start, pos):
                stop = buf.find(end, pos + len(start))
                while stop < 0 and len(buf) < _PROLOG_LIMIT:
                    more = part.read(_XML_SCAN_BYTES)
                    if not more:
                        return None  # truncated: the parser will say so
                    buf += more
                    stop = buf.find(end, pos + len(start))
                if stop < 0:
                    return False
                pos = stop + len(end)
                break
        else:
            if pos >= len(buf):
                if len(buf) >= _PROLOG_LIMIT:
                    return False
                more = part.read(_XML_SCAN_BYTES)
                if not more:
                    return None
                buf += more
                continue
            return True if buf.startswith((b"<!DOCTYPE", b"<!ENTITY"), pos) else None


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
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl fails in many ways on a damaged file; all are input
        # openpyxl wraps parser errors in ValueError("Unable to read workbook ..."): look
        # down the chain for defusedxml's refusal
        cause: BaseException | None = exc
        for _ in range(10):
            cause = cause.__cause__ or cause.__context__ if cause is not None else None
            if isinstance(cause, DefusedXmlException):
                raise InputError(f"{where}the workbook declares XML entities or a DTD: refused "
                                 f"({type(cause).__name__})", file=name,
                                 code=ErrorCode.XML_DTD_FORBIDDEN) from exc
        raise InputError(f"{where}the workbook is damaged: {type(exc).__name__}: {exc}",
                         file=name, code=ErrorCode.WRONG_FORMAT,
                         hint="open it in Excel and save it again as .xlsx") from exc


# --------------------------------------------------------------------------------------------
# the sheet


@dataclass
class _Sheet:
    title: str
    sheet_state: str
    path: str


@dataclass
class _Book:
    """What the reader needs of a workbook: its sheets and how to decode their cells."""

    archive: zipfile.ZipFile
    sheets: list[_Sheet]
    shared_strings: list[str]
    epoch: dt.datetime
    date_formats: set[int]
    timedelta_formats: set[int]


def _open_book(fh: IO[bytes], name: str) -> _Book:
    """Workbook structure, shared strings and styles, read by openpyxl (through defusedxml).

    This is openpyxl's ``load_workbook(read_only=True, data_only=True)`` without its last
    step: that one builds a ReadOnlyWorksheet per sheet, and for a sheet without a
    ``<dimension>`` element (common outside Excel) parses the whole sheet once just to size it.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    with _openpyxl_errors(name):
        reader = ExcelReader(fh, read_only=True, keep_vba=False, data_only=True,
                             keep_links=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [_Sheet(sheet.name, sheet.state or "visible", rel.target)
                  for sheet, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        wb = reader.wb
        return _Book(reader.archive, sheets, list(reader.shared_strings), wb.epoch,
                     set(wb._date_formats), set(wb._timedelta_formats))


def _read_workbook(fh: IO[bytes], name: str, options: ImportOptions) -> RawTable:
    book = _open_book(fh, name)
    try:
        sheet, sheet_note = _pick_sheet(book.sheets, options.sheet, name)
        return _read_sheet(book, sheet, name, options, [sheet_note])
    finally:
        book.archive.close()


def _pick_sheet(sheets: list[_Sheet], sheet: str | int | None,
                name: str) -> tuple[_Sheet, str]:
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


class _RowBudget:
    """The worksheet part, read through a counter that refuses a row of more than
    :data:`MAX_ROW_BYTES` (bytes read since the last complete row) before lxml builds it."""

    def __init__(self, part: IO[bytes], name: str, where: str) -> None:
        self._part = part
        self._name = name
        self._where = where
        self._read = 0
        self._row_start = 0
        self._last_row = 0

    def read(self, n: int = -1) -> bytes:
        data = self._part.read(n if 0 < n <= 1 << 20 else 1 << 20)
        self._read += len(data)
        if self._read - self._row_start > MAX_ROW_BYTES:
            after = f"the row after row {self._last_row}" if self._last_row else "the first row"
            raise InputError(
                f"{self._where}{after} holds more than {_size(MAX_ROW_BYTES)} of XML (limit): "
                "the file is forged or damaged", file=self._name, code=ErrorCode.SIZE_LIMIT)
        return data

    def row_done(self, row: int) -> None:
        self._row_start = self._read
        self._last_row = row

    def __enter__(self) -> _RowBudget:
        return self

    def __exit__(self, *exc: object) -> None:
        self._part.close()


def _sheet_rows(book: _Book, sheet: _Sheet, name: str,
                max_bytes: int) -> Iterator[tuple[int, dict[int, Any]]]:
    """``(Excel row number, {column: value})`` of the non-empty cells of one sheet, streamed.

    The cells are decoded as openpyxl's sheet parser does with ``data_only=True`` (tests
    compare the two), but the XML is parsed by lxml in C: openpyxl parses through defusedxml's
    pure-Python callbacks, about 6 times slower. lxml is told not to resolve entities, load a
    DTD or touch the network, and the part's prolog was checked for any DOCTYPE before.
    Unlike ``ws.iter_rows()`` nothing pads gaps, so a forged row number (r="1000000000") or a
    cell in column ZZZ costs nothing.
    """
    from lxml import etree

    where = f"sheet '{sheet.title}': "
    with _openpyxl_errors(name, where):
        size = book.archive.getinfo(sheet.path).file_size
        if size > max_bytes // SHEET_SHARE:
            raise InputError(
                f"{where}the worksheet unpacks to {_size(size)} of XML, more than "
                f"{_size(max_bytes // SHEET_SHARE)} (a quarter of max_bytes)", file=name,
                code=ErrorCode.SIZE_LIMIT,
                hint="export fewer rows or columns (e.g. one period), or save as CSV; raise "
                     "max_bytes only if the memory suffices")
        source = _RowBudget(book.archive.open(sheet.path), name, where)
    decoder = _CellDecoder(book)
    with source, _openpyxl_errors(name, where):
        rows = etree.iterparse(source, events=("end",), tag="{*}row", resolve_entities=False,
                               no_network=True, load_dtd=False, huge_tree=False)
        row_counter = 0
        for _, element in rows:
            row_counter = _row_number(element.get("r"), row_counter)
            source.row_done(row_counter)
            if not 1 <= row_counter <= EXCEL_MAX_ROWS:
                raise InputError(
                    f"row number {row_counter} is outside Excel's limits "
                    f"(1-{EXCEL_MAX_ROWS:,}): the file is forged or damaged", file=name,
                    row=row_counter, row_label="row", code=ErrorCode.WRONG_FORMAT)
            if not decoder.ns:
                decoder.set_namespace(element.tag)
            cells = decoder.row(element, name, row_counter)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            yield row_counter, cells


def _row_number(attr: str | None, previous: int) -> int:
    if attr is None:
        return previous + 1
    try:
        return int(attr)
    except ValueError:
        value = float(attr)
        if not value.is_integer():
            raise ValueError(f"{attr} is not a valid row number") from None
        return int(value)


class _CellDecoder:
    """openpyxl's ``WorkSheetParser.parse_cell`` (data_only=True) for lxml elements.

    :meth:`row` returns the non-empty cells of a row as column → value in the form the
    pipeline wants (see :func:`_value`), with :class:`_ErrorCell` for error values.
    """

    def __init__(self, book: _Book) -> None:
        from openpyxl.utils.cell import column_index_from_string
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.book = book
        self.column_index = column_index_from_string
        self.from_excel = from_excel
        self.from_iso = from_ISO8601
        self.columns: dict[str, int] = {}
        self.ns = ""

    def set_namespace(self, row_tag: str) -> None:
        self.ns = row_tag[:-3] if row_tag.endswith("row") else ""

    def row(self, element: Any, name: str, row_number: int) -> dict[int, Any]:
        out: dict[int, Any] = {}
        column = 0
        c_tag, v_tag = self.ns + "c", self.ns + "v"
        for cell in element:
            if cell.tag != c_tag:
                continue
            coordinate = cell.get("r")
            column = self._column(coordinate) if coordinate else column + 1
            if column > EXCEL_MAX_COLUMNS:
                raise InputError(f"column number {column} is outside Excel's limits "
                                 f"(1-{EXCEL_MAX_COLUMNS:,}): the file is forged or damaged",
                                 file=name, row=row_number, row_label="row",
                                 code=ErrorCode.WRONG_FORMAT)
            if cell.get("t") == "s" and len(cell) == 1 and cell[0].tag == v_tag:
                # the common case, a shared string: no need for the general decoder
                text = cell[0].text
                value = self.book.shared_strings[int(text)].strip(WHITESPACE) if text else None
                if value:
                    out[column] = value
                else:
                    out.pop(column, None)  # a later cell of the same column wins, as in openpyxl
                continue
            value, data_type = self.value(cell)
            if data_type == "e":
                value = _ErrorCell(str(value))
            else:
                value = _value(value)
                if value is None:
                    out.pop(column, None)
                    continue
            out[column] = value
        return out

    def _column(self, coordinate: str) -> int:
        letters = coordinate.rstrip("0123456789")
        column = self.columns.get(letters)
        if column is None:
            if not letters or letters == coordinate:
                raise ValueError(f"invalid cell coordinate '{coordinate}'")
            column = self.columns[letters] = self.column_index(letters)
        return column

    def value(self, cell: Any) -> tuple[Any, str]:
        """``(value, data_type)`` as openpyxl's parser gives them."""
        data_type = cell.get("t", "n")
        value = None
        if data_type == "inlineStr":
            is_tag = self.ns + "is"
            for child in cell:
                if child.tag == is_tag:
                    return _inline_text(child, self.ns), "s"
            return None, data_type
        v_tag = self.ns + "v"
        for child in cell:
            if child.tag == v_tag:
                value = child.text or None
                break
        if value is None:
            return None, data_type
        book = self.book
        if data_type == "n":
            number = float(value) if ("." in value or "E" in value or "e" in value) \
                else int(value)
            style = cell.get("s")
            style_id = int(style) if style else 0
            if style_id and style_id in book.date_formats:
                try:
                    return self.from_excel(number, book.epoch,
                                           timedelta=style_id in book.timedelta_formats), "d"
                except (OverflowError, ValueError):
                    return "#VALUE!", "e"  # openpyxl: a date out of range is an error cell
            return number, "n"
        if data_type == "s":
            return book.shared_strings[int(value)], "s"
        if data_type == "b":
            return bool(int(value)), "b"
        if data_type == "str":
            return value, "s"
        if data_type == "d":
            return self.from_iso(value), "d"
        return value, data_type


def _inline_text(element: Any, ns: str) -> str:
    """Text of an ``<is>`` element: its ``<t>`` and the ``<t>`` of its runs (not phonetic)."""
    parts = []
    t_tag, r_tag = ns + "t", ns + "r"
    for child in element:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            parts.extend(t.text or "" for t in child if t.tag == t_tag)
    return "".join(parts)


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


def _read_sheet(book: _Book, ws: _Sheet, name: str, options: ImportOptions,
                notes: list[str]) -> RawTable:
    rows = _sheet_rows(book, ws, name, options.max_bytes)
    where = f"sheet '{ws.title}'"
    # header: the first non-empty row; a one-cell row above a wider row is a title, skipped
    pending: list[tuple[int, dict[int, Any]]] = []
    for row_number, values in rows:
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
    check_column_names(names, name, header_row, row_label="row", letters=letters)
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
    for row_number, values in rows:
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


def _header_name(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, _ErrorCell):
        return v.code
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return str(v)
