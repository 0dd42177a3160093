"""Downloadable tables (CSV and Excel) embedded in the report as ``data:`` links.

A reader who wants to sort or filter a table gets it from the report itself: no second file to
lose, no server. Cells come from the data (activity names, case attributes), and a cell such as
``=HYPERLINK("http://…")`` or ``@SUM(…)`` would be run as a formula by Excel or LibreOffice
(CSV/formula injection, OWASP). Every text cell that starts with ``=`` ``+`` ``-`` ``@``, a tab
or a carriage return therefore gets a leading apostrophe, which spreadsheets show as text; in
the Excel file such cells are also stored as text, never as formulas. Numbers stay numbers.
Control characters are shown as escapes (:mod:`ist_analyse.printable`), as in the report.
"""

from __future__ import annotations

import base64
import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ist_analyse.printable import visible

#: first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A cell value that no spreadsheet will run as a formula (numbers pass unchanged)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return ""
        return value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return safe_cell(value.item())
    text = visible(value)  # the Excel file (XML) cannot hold control characters
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


@dataclass
class Download:
    """A table offered for download: file name and the ``data:`` URIs of CSV and Excel."""

    name: str
    csv_uri: str
    xlsx_uri: str | None


def to_csv(rows: Sequence[Sequence[Any]], header: Sequence[str], *, lang: str = "de") -> bytes:
    """CSV as the reader's spreadsheet opens it by double-click: German with ``;`` and a
    decimal comma, English with ``,``; UTF-8 with BOM so Excel reads umlauts right."""
    sep = ";" if lang == "de" else ","
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        out = []
        for value in row:
            cell = safe_cell(value)
            if isinstance(cell, float) and lang == "de":
                cell = repr(cell).replace(".", ",")
            out.append(cell)
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[Any]], header: Sequence[str], sheet: str = "Tabelle") -> bytes:
    """An Excel workbook with one sheet; text cells are stored as text (never formulas)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for r, row in enumerate([list(header), *[list(x) for x in rows]], start=1):
        for c, value in enumerate(row, start=1):
            cell_value = safe_cell(value)
            cell = ws.cell(row=r, column=c)
            cell.value = cell_value
            if isinstance(cell_value, str):
                cell.data_type = "s"  # openpyxl would otherwise turn "=..." into a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def download(name: str, frame: pd.DataFrame, *, lang: str = "de",
             excel: bool = True) -> Download:
    """Both downloads of a table (columns as they are named in ``frame``)."""
    header = [str(c) for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    csv_uri = data_uri(to_csv(rows, header, lang=lang), "text/csv;charset=utf-8")
    xlsx_uri = data_uri(to_xlsx(rows, header, name), XLSX_MIME) if excel else None
    return Download(name=name, csv_uri=csv_uri, xlsx_uri=xlsx_uri)
