"""The contract between a format reader and the common import pipeline.

Every reader (CSV, Excel, XES, Parquet, SQL) does one thing: get the records out of its source,
safely and with their position, into a :class:`RawTable`. Everything after that (column mapping,
date parsing, lifecycle pairing, privacy, sorting) is shared in :mod:`ist_analyse.io.pipeline`,
so that every format gives the same canonical log and the same error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class DroppedRow:
    """A source record left out by ``--skip-bad-rows``; counted and reported, never silent."""

    row: int
    reason: str
    column: str | None = None


@dataclass
class RawTable:
    """Records of one source, under the source's own column names.

    Attributes:
        frame: one row per source record. Columns keep the source's names (German headers,
            XES keys such as ``concept:name``; XES trace attributes as ``case:<key>``). Text
            sources give ``str`` values with ``None`` for empty cells; typed sources (Parquet,
            SQL, Excel) may give typed values (datetimes, numbers). A column ``source_row``
            (int) holds the position a user sees: the physical line in a CSV (header = line 1),
            the Excel row, the 1-based index of the ``<event>`` element in an XES file, the
            1-based row of a query result or Parquet file.
        source_file: the name used in messages (the path as the user gave it, or a
            password-free form of a database URL).
        row_label: the word for a position in messages: "line", "row" or "event".
        format: "csv", "excel", "xes", "parquet", "postgresql" or "duckdb".
        events_read: records read from the source (XES ``<event>`` elements, data rows),
            including dropped ones.
        dropped: records a reader skipped because ``skip_bad_rows`` was set.
        notes: what the reader guessed or decided, for ``inspect`` ("encoding: cp1252").
        decimal: decimal separator of numeric text, when the reader knows it (CSV).
        repeated_keys: keys given twice where one value is kept (XES: an event or a trace
            with the same attribute key twice, a trace with two case ids), counted by kind.
        repeated_key_rows: the records (``source_row``) concerned, for the report.
    """

    frame: pd.DataFrame
    source_file: str
    row_label: str
    format: str
    events_read: int
    dropped: list[DroppedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decimal: str | None = None
    repeated_keys: dict[str, int] = field(default_factory=dict)
    repeated_key_rows: list[int] = field(default_factory=list)
