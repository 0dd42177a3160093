"""Read an XES event log (``.xes``, ``.xes.gz``) into a :class:`~ist_analyse.io.raw.RawTable`.

Parser choice, by measurement (bpic2012.xes.gz: 262,200 events, 74 MB of XML; 2-core AMD
EPYC, Python 3.11; best of 3 fresh processes; full table in ``benchmarks/README.md``):

- this reader, stdlib ``xml.parsers.expat`` (pyexpat) with start/end handlers: 5.3 s, 152 MB
  peak RSS (of which 103 MB is Python + pandas before reading);
- the floor of that approach, pyexpat with start/end handlers that do nothing: 4.1 s;
- lxml ``iterparse(events=("end",), tag=(event, trace))`` that only clears the elements:
  3.4 s; reading each event's attributes on top: 5.1-5.5 s;
- lxml ``XMLParser(target=...)`` doing the same work as here: 5.2 s; and a SAX target cannot
  ask lxml for the current line, so structure errors could not say where they are;
- ``xml.etree.ElementTree.XMLPullParser`` (C accelerated): 6 s before any work;
- not parsers, for scale: ``re.findall`` of a tag tokenizer alone 2.2 s, ``str.split("<")`` plus
  a Python loop 2.5 s, polars / pyarrow regex extraction 2-2.8 s, each still needing a real
  parser for well-formedness and line numbers on top;
- pm4py's ``read_xes(variant="iterparse")``: 25-26 s, 680 MB; pm4py with rustxes: 1.6-1.8 s,
  554 MB (Rust; no line numbers, no size cap, dates parsed instead of kept raw).

Every safe Python-level parser pays ~1 µs per element for the callback into Python, and the
log has 1.36 million elements: ~1.2 s of real work sits on a 4.1 s floor, so 1.5x of rustxes
is out of reach without compiled code. pyexpat is the fastest safe option once the real work is
counted, it streams, it gives the line and column of every callback, and it needs no
dependency.

Hence two engines, one result. Where the optional C extension ``_xesscan`` is built (setup.py;
scripts/install.sh installs gcc and the headers), :func:`_scan` runs the same state machine as
expat callbacks in C, on pyexpat's own expat (its C API capsule), and returns the same columns.
It handles only clean, plain XES: anything else (a DOCTYPE, an XML or structure error, a trace
without case id, nesting beyond the limit, a file that is not XML) makes it give up, and this
module's Python reader reads the file again and refuses or reports it, with line and column.
Errors and safety rules therefore live here only. Not rustxes: measured on hostile and odd
inputs (2026-11-25, rustxes 0.2.11), it drops ``<event>`` elements outside a trace and ignores a
second ``<log>`` with a message on stdout only, leaves undefined entities such as ``&x;`` as
literal text, reads naive timestamps as UTC, turns date-only timestamps into nulls, and
aborts with a Rust panic and backtrace on malformed XML: nothing an authority's import may do
silently. The Python reader is hardened like this:

- any ``<!DOCTYPE`` is refused (``StartDoctypeDeclHandler`` raises before the internal subset is
  read): no entity can be declared, so there is no XXE, no billion laughs, no quadratic blowup;
  ``EntityDeclHandler`` raises too, as a second guard;
- parameter-entity parsing stays at ``XML_PARAM_ENTITY_PARSING_NEVER`` (checked) and no
  ``ExternalEntityRefHandler`` is set: expat itself never opens a file or a URL;
- a reference to an undefined entity is an expat error (XML_SYNTAX); the five predefined
  entities and character references decode (``&amp;`` -> ``&``, pm4py #563);
- nesting inside an attribute is capped at :data:`MAX_DEPTH` levels (expat itself has no
  depth limit);
- a gzip stream is decompressed through a counting reader and refused (SIZE_LIMIT) as soon as it
  passes ``ImportOptions.max_bytes``. Gzip is recognised by its magic bytes, not the suffix;
- a single token (comment, tag, text section) longer than :data:`MAX_TOKEN` is refused
  (SIZE_LIMIT, with the line where it starts) as soon as that many bytes are fed: expat
  would parse it again with every chunk, in quadratic time.

What the frame holds (one row per ``<event>``, document order):

- ``case:concept:name`` and every other trace attribute as ``case:<key>``;
- every event attribute under its XES key (``concept:name``, ``time:timestamp``, ...);
- all values are the raw attribute text as ``str`` (dates stay ISO strings, numbers stay text:
  the shared pipeline converts them), ``None`` where an event or trace lacks the key;
- ``source_row``: the 1-based index of the ``<event>`` element in the file.

Decisions:

- A trace without ``concept:name`` is an error (XML_STRUCTURE, with its line), because a case
  id we made up would not be found in the source system; with ``skip_bad_rows`` its events are
  dropped and listed instead.
- Nested attributes (``<list>``, ``<container>``, or XES 1.0 attributes with child attributes,
  pm4py #566): the parent keeps its own ``value`` if it has one (a ``<list>`` has none, so its
  key gets no column); the children are skipped and counted in ``notes``.
- ``<extension>``, ``<global>``, ``<classifier>`` and log-level attributes are not events and are
  ignored. A trace without events gives no row and is counted in ``notes``.
- Text content between elements means nothing in XES and is ignored.
- A second root element, an ``<event>`` outside a ``<trace>``, a ``<trace>`` inside a trace or
  an event, a root element other than ``<log>``: XML_STRUCTURE (WRONG_FORMAT for the root).
- When an event or a trace has the same key twice, the last value wins (as in pm4py), and it
  is counted, never silent: ``RawTable.repeated_keys`` (``event``, ``trace``, ``case id``:
  a trace with two ``concept:name``, whose events might belong to another case) and the
  first event numbers concerned; ``inspect`` shows them as the finding REPEATED_KEYS. The C
  scanner leaves such files to the Python reader.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

import numpy as np
import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError
from ist_analyse.io.raw import DroppedRow, RawTable

try:  # the C fast path, built by setup.py where a compiler is present (optional)
    from ist_analyse.io import _xesscan
except ImportError:  # pragma: no cover - depends on the build
    _xesscan = None

#: read with the C scanner first (tests switch it off to check the Python reader alone)
FAST = _xesscan is not None

SOURCE_ROW = "source_row"
CASE_ID = "case:concept:name"
#: Deepest element nesting accepted. Real XES needs < 10 (log/trace/event/list/values/...);
#: libxml2 stops at 256 without ``huge_tree``.
MAX_DEPTH = 256
CHUNK = 1 << 20
#: Longest single XML token (a comment, a tag with its attribute values, a CDATA section)
#: accepted. expat before 2.6 parses the unfinished token again with every chunk fed, so a
#: huge comment costs quadratic time (an 8 MB gzip of one comment ran 14 minutes); real XES
#: tokens are a few hundred bytes.
MAX_TOKEN = 16 << 20
GZIP_MAGIC = b"\x1f\x8b"
#: how an XML document can begin after blanks: '<' or a byte order mark (expat decides the rest)
XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

# Where the parser is.
_DOC, _LOG, _TRACE, _EVENT = range(4)
_CONTEXT_NAMES = {_LOG: "<log>", _TRACE: "<trace>", _EVENT: "<event>"}


class _Stop(Exception):
    """Raised inside an expat handler; carries the InputError to raise after unwinding."""

    def __init__(self, error: InputError) -> None:
        super().__init__(str(error))
        self.error = error


class _CountingReader:
    """A gzip stream that refuses to give more than ``limit`` decompressed bytes."""

    def __init__(self, raw: BinaryIO, limit: int, file: str) -> None:
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")
        self._limit = limit
        self._file = file
        self.total = 0
        self.cut_off = False

    def read(self, n: int) -> bytes:
        if self.cut_off:
            return b""
        try:
            data = self._gz.read1(n)  # read1: nothing decompressed is lost at a cut-off end
        except EOFError:
            # the stream ends before the gzip trailer: report it after the XML parser has
            # said where the XML stops (usually "unexpected end of file inside <trace>")
            self.cut_off = True
            return b""
        except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise InputError(
                f"the gzip data is damaged after {self.total:,} decompressed bytes ({exc})",
                file=self._file, code=ErrorCode.WRONG_FORMAT,
                hint="copy or export the file again") from None
        self.total += len(data)
        if self.total > self._limit:
            raise InputError(
                f"decompressed size exceeds the limit of {self._limit:,} bytes (max_bytes)",
                file=self._file, code=ErrorCode.SIZE_LIMIT,
                hint="a highly compressed file (gzip bomb?) or a very large log; raise "
                     "ImportOptions.max_bytes if the file is trusted")
        return data


def _key_value(attrs: list[str]) -> tuple[str | None, str | None]:
    """``key`` and ``value`` from expat's ordered attribute list (any order, any extras)."""
    key = value = None
    for i in range(0, len(attrs) - 1, 2):
        if attrs[i] == "key":
            key = attrs[i + 1]
        elif attrs[i] == "value":
            value = attrs[i + 1]
    return key, value


def _local(name: str) -> str:
    """``xes:event`` -> ``event`` (expat runs without namespace processing)."""
    return name.rpartition(":")[2]


def read_xes_raw(path: Path, options: ImportOptions) -> RawTable:
    """Read an XES file (plain or gzip) into a RawTable, streaming, safely.

    Raises:
        InputError: with code XML_SYNTAX, XML_DTD_FORBIDDEN, XML_STRUCTURE, SIZE_LIMIT,
            EMPTY_FILE or WRONG_FORMAT, naming the file and, where known, the line
            (``row``) and the column (in the message).
    """
    path = Path(path)
    file = str(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError("file not found", file=file, code=ErrorCode.FILE_NOT_FOUND) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=file,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=file,
                         code=ErrorCode.FILE_NOT_FOUND) from None
    try:
        magic = fh.read(2)
        fh.seek(0)
        compressed = magic == GZIP_MAGIC
        if FAST:
            table = _scan(fh, file, options, compressed=compressed)
            if table is not None:
                return table
            fh.seek(0)  # the C scanner gave up: this reader refuses or reports what it found
        source: Any = _CountingReader(fh, options.max_bytes, file) if compressed else fh
        return _Reader(file, options, compressed=compressed).read(source)
    finally:
        fh.close()


def _scan(fh: BinaryIO, file: str, options: ImportOptions, *, compressed: bool
          ) -> RawTable | None:
    """The C fast path (``_xesscan.c``): the same result as :class:`_Reader`, or ``None``
    when the file has anything it leaves to that reader (an error, a DOCTYPE, a trace
    without case id, deep nesting, a file that is not XML). Size limit and damaged gzip
    data raise here exactly as they would there."""
    source: Any = _CountingReader(fh, options.max_bytes, file) if compressed else fh
    scanner = _xesscan.Scanner(max_depth=MAX_DEPTH, max_token=MAX_TOKEN)
    blank = True
    while True:
        data = source.read(CHUNK)
        if not data:
            break
        if blank:
            head = data.lstrip(b" \t\r\n")
            if not head:
                continue
            if not head.startswith(XML_STARTS):
                return None
            blank = False
        if not scanner.feed(data, False):
            return None
    if blank or getattr(source, "cut_off", False) or not scanner.feed(b"", True):
        return None
    ev_cols, tr_cols, n, events_read, nested, empty_traces = scanner.result()
    del scanner
    return _Reader(file, options, compressed=compressed).table(
        n, ev_cols, tr_cols, events_read, nested, empty_traces, source, [], [])


class _Reader:
    def __init__(self, file: str, options: ImportOptions, *, compressed: bool) -> None:
        self.file = file
        self.options = options
        self.compressed = compressed
        self.parser = expat.ParserCreate()
        self.notes: list[str] = []

    # -- errors -------------------------------------------------------------------------

    def _error(self, message: str, code: ErrorCode, *, line: int | None = None,
               column: int | None = None, hint: str | None = None) -> InputError:
        p = self.parser
        if line is None:
            line = p.CurrentLineNumber
            column = p.CurrentColumnNumber + 1
        if column is not None:
            message = f"{message} (column {column})"
        return InputError(message, file=self.file, row=line, row_label="line", code=code,
                          hint=hint)

    def _check_start(self, head: bytes) -> None:
        """Refuse things that are plainly not XML, with a guess what they are instead."""
        text = head.lstrip(b" \t\r\n")
        if text.startswith(XML_STARTS):
            return  # XML, or a byte order mark: expat decides
        try:
            from ist_analyse.io.parquet import describe_content

            looks = describe_content(head)
        except ImportError:  # pragma: no cover - the guess is only a hint
            looks = None
        if self.compressed and head.startswith(GZIP_MAGIC):
            looks = "a gzip file inside a gzip file"
        raise InputError("not an XES file: it does not start with '<' (XML)",
                         file=self.file, code=ErrorCode.WRONG_FORMAT,
                         hint=f"the file looks like {looks}" if looks else None)

    # -- parsing ------------------------------------------------------------------------

    def read(self, source: Any) -> RawTable:
        p = self.parser
        file = self.file
        options = self.options
        if p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER) != 1:
            raise RuntimeError("expat refused XML_PARAM_ENTITY_PARSING_NEVER")

        def refuse_dtd(*_args: Any) -> None:
            raise _Stop(self._error(
                "a DOCTYPE (DTD) is not allowed in an XES file", ErrorCode.XML_DTD_FORBIDDEN,
                hint="XES never needs a DTD; DTDs can carry entity attacks (XXE, billion "
                     "laughs). Remove the <!DOCTYPE ...> declaration"))

        p.StartDoctypeDeclHandler = refuse_dtd
        p.EntityDeclHandler = refuse_dtd
        p.UnparsedEntityDeclHandler = refuse_dtd
        p.NotationDeclHandler = refuse_dtd
        p.ExternalEntityRefHandler = None  # never: expat must not open anything

        # Column store. ``ev_cols[key]`` is padded lazily: before event n's value is appended,
        # the list is extended with None up to length n. Trace attributes are collected per
        # trace and written for all its events when the trace ends.
        ev_cols: dict[str, list[str | None]] = {}
        tr_cols: dict[str, list[str | None]] = {}
        intern: dict[str, str] = {}
        setdefault = intern.setdefault
        # state = ctx + 4 * skip. ctx (state & 3): where we are, _DOC, _LOG, _TRACE or _EVENT;
        # skip (state >> 2): depth inside an element whose content is not read (an attribute's
        # children, <global>, <extension>, ...). One int keeps the hot path to one comparison.
        state = _DOC
        n = 0  # events kept so far = index of the current event's row
        events_read = 0
        nested = 0
        empty_traces = 0
        trace_start = 0
        trace_line = 0
        trace_attrs: dict[str, str] = {}
        trace_repeats = False
        repeated = {"event": 0, "trace": 0, "case id": 0}
        repeated_rows: list[int] = []
        dropped: list[DroppedRow] = []
        dropped_ranges: list[tuple[int, int]] = []

        def start(name: str, attrs: list[str]) -> None:
            nonlocal state, nested, trace_start, trace_line, trace_attrs, trace_repeats
            if state == _EVENT:  # an event attribute: by far the most frequent case
                try:  # ordered_attributes: [name, value, name, value, ...]
                    k1, key, k2, v = attrs
                    if k1 != "key" or k2 != "value":
                        key, v = _key_value(attrs)
                except ValueError:
                    key, v = _key_value(attrs)
                if key is not None and v is not None:
                    if name != "date":  # timestamps are unique: not worth interning
                        v = setdefault(v, v)
                    try:
                        col = ev_cols[key]
                    except KeyError:
                        col = ev_cols[key] = [None] * n
                    m = len(col)
                    if m == n:
                        col.append(v)
                    elif m > n:
                        col[n] = v  # the same key twice in one event: the last one wins
                        repeated["event"] += 1
                        if not repeated_rows or repeated_rows[-1] != events_read + 1:
                            repeated_rows.append(events_read + 1)
                    else:
                        col.extend([None] * (n - m))
                        col.append(v)
                elif key is None and _local(name) in ("event", "trace", "log"):
                    raise _Stop(self._error(f"<{name}> inside an <event>",
                                            ErrorCode.XML_STRUCTURE))
                state = _EVENT + 4
            elif state > _EVENT:  # inside an element whose content is skipped
                state += 4
                if state & 3 >= _TRACE:
                    nested += 1
                if state >> 2 > MAX_DEPTH:
                    raise _Stop(self._error(
                        f"elements nested deeper than {MAX_DEPTH} levels (limit)",
                        ErrorCode.XML_STRUCTURE))
            elif state == _TRACE:
                local = _local(name)
                if local == "event":
                    state = _EVENT
                    return
                if local in ("trace", "log"):
                    raise _Stop(self._error(f"<{name}> inside a <trace>",
                                            ErrorCode.XML_STRUCTURE))
                key, v = _key_value(attrs)
                if key is not None and v is not None:
                    if key in trace_attrs:  # the last one wins; counted
                        repeated["case id" if key == CASE_ID[5:] else "trace"] += 1
                        trace_repeats = True
                    trace_attrs[key] = setdefault(v, v)
                state = _TRACE + 4
            elif state == _LOG:
                local = _local(name)
                if local == "trace":
                    state = _TRACE
                    trace_start = n
                    trace_line = p.CurrentLineNumber
                    trace_attrs = {}
                    trace_repeats = False
                elif local == "event":
                    raise _Stop(self._error(
                        "<event> outside a <trace>: every event must belong to a trace (case)",
                        ErrorCode.XML_STRUCTURE))
                elif local == "log":
                    raise _Stop(self._error("<log> inside a <log>", ErrorCode.XML_STRUCTURE))
                else:  # extension, global, classifier, log-level attributes: not events
                    state = _LOG + 4
            else:  # the root element
                if _local(name) != "log":
                    raise _Stop(self._error(
                        f"the root element is <{name}>, not <log>: not an XES file",
                        ErrorCode.WRONG_FORMAT))
                state = _LOG

        def end(_name: str) -> None:
            nonlocal state, n, events_read
            if state > _EVENT:
                state -= 4
            elif state == _EVENT:
                n += 1
                events_read += 1
                state = _TRACE
            elif state == _TRACE:
                finish_trace()
                state = _LOG
            else:
                state = _DOC

        def finish_trace() -> None:
            nonlocal n, empty_traces
            k = n - trace_start
            if trace_repeats and k:
                repeated_rows.append(events_read - k + 1)
            if k == 0:
                empty_traces += 1
                return
            if CASE_ID[5:] not in trace_attrs:
                message = f"<trace> without concept:name (case id), starting at line {trace_line}"
                if not options.skip_bad_rows:
                    raise _Stop(InputError(
                        message, file=file, row=trace_line, row_label="line",
                        code=ErrorCode.XML_STRUCTURE,
                        hint='every trace needs <string key="concept:name" value="..."/>; '
                             "--skip-bad-rows leaves such traces out (listed in the report)"))
                first = events_read - k + 1
                dropped.extend(DroppedRow(first + i, message, CASE_ID) for i in range(k))
                dropped_ranges.append((first, events_read))
                for col in ev_cols.values():
                    del col[trace_start:]
                n = trace_start
                return
            for key, v in trace_attrs.items():
                col = tr_cols.get(key)
                if col is None:
                    col = tr_cols[key] = [None] * trace_start
                elif len(col) < trace_start:
                    col.extend([None] * (trace_start - len(col)))
                col.extend([v] * k)

        p.ordered_attributes = True
        p.StartElementHandler = start
        p.EndElementHandler = end

        blank = True  # only blanks so far
        size = 0
        try:
            while True:
                data = source.read(CHUNK)
                if not data:
                    break
                size += len(data)
                if blank and data.strip(b" \t\r\n"):
                    self._check_start(data)
                    blank = False
                p.Parse(data, False)
                if size - p.CurrentByteIndex > MAX_TOKEN:  # an unfinished token this long
                    raise self._error(
                        f"one XML comment, tag or text section is longer than "
                        f"{MAX_TOKEN >> 20} MiB (limit), starting here", ErrorCode.SIZE_LIMIT,
                        hint="no XES file needs this; the file is damaged or hostile")
            if blank:
                what = "the compressed data" if self.compressed else "the file"
                raise InputError(f"{what} is empty" if size == 0 else
                                 f"{what} holds only blanks, no XML",
                                 file=file, code=ErrorCode.EMPTY_FILE)
            p.Parse(b"", True)
        except _Stop as stop:
            raise stop.error from None
        except LookupError as exc:  # pyexpat asks Python's codecs for encodings it lacks
            raise self._error(f"the XML declaration names an unknown encoding ({exc})",
                              ErrorCode.XML_SYNTAX,
                              hint="XES files are UTF-8; correct the encoding=... in the "
                                   "first line") from None
        except expat.ExpatError as exc:
            error = self._expat_error(exc, state & 3)
            if getattr(source, "cut_off", False):
                error.hint = "the gzip stream is cut off (incomplete copy or download?)"
            raise error from None
        if getattr(source, "cut_off", False):
            raise InputError("the gzip stream is cut off before its end marker",
                             file=file, code=ErrorCode.WRONG_FORMAT,
                             hint="the data may be incomplete; copy or export the file again")

        return self.table(n, ev_cols, tr_cols, events_read, nested, empty_traces, source,
                          dropped, dropped_ranges, repeated, repeated_rows)

    def table(self, n: int, ev_cols: dict[str, list[Any]], tr_cols: dict[str, list[Any]],
              events_read: int, nested: int, empty_traces: int, source: Any,
              dropped: list[DroppedRow], dropped_ranges: list[tuple[int, int]],
              repeated: dict[str, int] | None = None,
              repeated_rows: list[int] | None = None) -> RawTable:
        """The RawTable of a finished parse (this reader's or the C scanner's columns)."""
        if nested:
            self.notes.append(f"nested XES attributes skipped (children of <list>, "
                              f"<container> or of another attribute): {nested}")
        if empty_traces:
            self.notes.append(f"traces without events (they give no rows): {empty_traces}")
        if self.compressed:
            self.notes.append(f"gzip: {source.total:,} bytes of XML")

        frame = self._frame(n, ev_cols, tr_cols, events_read, dropped_ranges)
        return RawTable(frame=frame, source_file=self.file, row_label="event", format="xes",
                        events_read=events_read, dropped=dropped, notes=self.notes,
                        repeated_keys={k: v for k, v in (repeated or {}).items() if v},
                        repeated_key_rows=sorted(set(repeated_rows or [])))

    def _expat_error(self, exc: expat.ExpatError, ctx: int) -> InputError:
        line, column = exc.lineno, exc.offset + 1
        code = exc.code
        errors = expat.errors
        message = errors.messages[code]
        if code in (errors.codes[errors.XML_ERROR_NO_ELEMENTS],
                    errors.codes[errors.XML_ERROR_UNCLOSED_TOKEN],
                    errors.codes[errors.XML_ERROR_PARTIAL_CHAR]) and ctx != _DOC:
            inside = _CONTEXT_NAMES[ctx]
            return self._error(f"unexpected end of file inside {inside}", ErrorCode.XML_SYNTAX,
                               line=line, column=column,
                               hint="the file is cut off (incomplete copy or export?)")
        if code == errors.codes[errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]:
            return self._error(
                "content after the end of </log>: an XES file holds exactly one <log>",
                ErrorCode.XML_STRUCTURE, line=line, column=column)
        if code == errors.codes[errors.XML_ERROR_UNDEFINED_ENTITY]:
            return self._error(
                "undefined entity reference (only &amp; &lt; &gt; &quot; &apos; and "
                "character references are allowed)", ErrorCode.XML_SYNTAX,
                line=line, column=column)
        if code == errors.codes[errors.XML_ERROR_NO_ELEMENTS]:
            return self._error("no XML element in the file: not an XES file",
                               ErrorCode.WRONG_FORMAT, line=line, column=column)
        return self._error(f"XML error: {message}", ErrorCode.XML_SYNTAX,
                           line=line, column=column)

    def _frame(self, n: int, ev_cols: dict[str, list[Any]], tr_cols: dict[str, list[Any]],
               events_read: int, dropped_ranges: list[tuple[int, int]]) -> pd.DataFrame:
        """Build the frame once: object columns (str or None), ``source_row`` last."""
        data: dict[str, np.ndarray] = {}

        def column(values: list[Any]) -> np.ndarray:
            if len(values) < n:
                values.extend([None] * (n - len(values)))
            arr = np.empty(n, dtype=object)
            arr[:] = values
            values.clear()  # free the list now, not when the reader returns
            return arr

        case_cols = {f"case:{k}": v for k, v in tr_cols.items()}
        if CASE_ID in case_cols:
            data[CASE_ID] = column(case_cols.pop(CASE_ID))
        for key, values in ev_cols.items():
            if key.startswith("case:") and key[5:] in tr_cols:
                self.notes.append(f"event attribute '{key}' left out: the trace attribute "
                                  f"'{key[5:]}' has the same column name")
                continue
            data[key] = column(values)
        for key, values in case_cols.items():
            data[key] = column(values)
        if SOURCE_ROW in data:
            raise InputError(
                f"the log has an attribute named '{SOURCE_ROW}', a name ist-analyse uses "
                "itself", file=self.file, column=SOURCE_ROW, code=ErrorCode.DUPLICATE_HEADER,
                hint="rename that attribute in the XES file")
        if dropped_ranges:
            keep = np.ones(events_read, dtype=bool)
            for first, last in dropped_ranges:
                keep[first - 1:last] = False
            rows = np.flatnonzero(keep).astype(np.int64) + 1
        else:
            rows = np.arange(1, n + 1, dtype=np.int64)
        frame = pd.DataFrame(data, index=pd.RangeIndex(n), dtype=object, copy=False)
        frame[SOURCE_ROW] = rows
        return frame
