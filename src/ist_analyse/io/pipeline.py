"""From any source to the canonical event log: read, map, convert, pair, protect, sort.

The readers only get records out of their format; this module does everything that must be the
same for every format, so a CSV export, an XES file and a database table of the same process give
the same log and the same messages. Nothing is lost silently: each dropped row and column is
counted in the :class:`ImportReport`.

**Lifecycle rule** (XES ``lifecycle:transition`` or a mapped ``lifecycle`` column). Exports use
two kinds of vocabulary, told apart per log:

* *Transitions* of the XES standard lifecycle model (IEEE 1849-2016, lifecycle extension:
  ``schedule``, ``assign``, ``reassign``, ``start``, ``suspend``, ``resume``, ``withdraw``,
  ``ate_abort``, ``pi_abort``, ``autoskip``, ``manualskip``, ``complete``). As soon as one
  value of the log is such a transition, the values are read as transitions: a ``start`` and
  the next ``complete`` of the same activity in the case make one activity instance with a
  start time; a ``complete`` (or an event without a value) is an instance without one. Every
  other transition (``schedule``, ``assign``, ``suspend``/``resume`` inside an instance, an
  aborted or skipped activity, an unpaired ``start``) and any value outside the model is not an
  instance of the activity: the row is kept with its ``lifecycle`` value, counted in
  ``lifecycle_other``, and the analyses leave it out with a note.
* *Statuses*: no value of the log is a standard transition, e.g. the BPI Challenge 2013 logs of
  Volvo IT ("In Progress", "Awaiting Assignment", "Wait - User", "Closed" ...). A status says
  which state the case entered, not which phase of the activity an event ends, so dropping
  every such event as "not completed" would leave nothing. Each event is then a completed step,
  named ``activity+status`` ("Accepted+In Progress"), as the logs' own XES classifier
  (``concept:name lifecycle:transition``) and ProM/pm4py name them: "Accepted" alone would hide
  whether the ticket was worked on or waited. The choice and the statuses with their counts are
  in the report (``lifecycle_rule``, ``lifecycle_status``) and shown by ``inspect``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import log as L
from ist_analyse.config import ImportOptions, normalize_date_format
from ist_analyse.errors import ErrorCode, InputError, PrivacyError, SchemaError
from ist_analyse.io.dates import ParsedTimes, implausible_dates, parse_timestamps
from ist_analyse.io.formats import _head, detect_format, import_report_of
from ist_analyse.io.mapping import resolve_columns, slug
from ist_analyse.io.raw import DroppedRow, RawTable
from ist_analyse.privacy import (
    CASE_PSEUDONYM,
    STAFF_PSEUDONYM,
    is_person_column,
    is_staff_column,
    key_check,
    load_or_create_key,
    pseudonym_pattern,
    pseudonymize,
    same_key,
)
from ist_analyse.privacy.content import person_content
from ist_analyse.privacy.suppress import group_rare_labels

#: shown in messages and reports; more are counted, not listed
MAX_EXAMPLES = 20

@dataclass
class ImportReport:
    """What an import read, guessed, converted, dropped and protected."""

    source: str
    format: str
    events_read: int
    rows: int = 0
    events: int = 0
    activity_events: dict[str, int] = field(default_factory=dict)
    mapping: list[dict[str, str]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    dropped_rows: int = 0
    dropped_row_examples: list[dict[str, Any]] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    dropped_reasons: dict[str, str] = field(default_factory=dict)
    rare_labels: dict[str, int] = field(default_factory=dict)
    pseudonymized: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lifecycle_pairs: int = 0
    lifecycle_unpaired_start: int = 0
    lifecycle_other: dict[str, int] = field(default_factory=dict)
    #: "transitions" or "statuses" (see the module docstring); "" without lifecycle values
    lifecycle_rule: str = ""
    #: statuses turned into part of the activity name, with their counts
    lifecycle_status: dict[str, int] = field(default_factory=dict)
    #: keys given twice in one record where the last value was kept (see RawTable), by kind,
    #: and the first records concerned
    repeated_keys: dict[str, int] = field(default_factory=dict)
    repeated_key_examples: list[int] = field(default_factory=list)
    date_only: int = 0
    dst_ambiguous: int = 0
    dst_nonexistent: int = 0
    #: timestamps without and with a UTC offset, and the zone the former were read in
    naive_timestamps: int = 0
    zoned_timestamps: int = 0
    timezone: str = ""
    row_label: str = "row"
    #: :func:`ist_analyse.privacy.key_check` of the key the pseudonyms were made with
    key_check: str | None = None
    #: events left out because their date cannot be real (see :func:`leave_out_implausible`)
    implausible_dates: int = 0
    implausible_date_examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> ImportReport | None:
        """The report stored in a canonical Parquet file; ``None`` if a field has the wrong
        type (damaged or foreign metadata). Unknown fields (a newer version) are left out."""
        types = {"int": int, "str": str, "list": list, "dict": dict}
        known: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, annotation = data[f.name], str(f.type)  # e.g. "list[str]", "str | None"
            if value is None and "None" in annotation:
                pass
            elif type(value) is not types[annotation.split("[")[0].split(" ")[0]]:
                return None
            elif isinstance(value, list) and not all(
                    type(v) is types[annotation[5:].split("[")[0].rstrip("]")] for v in value):
                return None  # list[str], list[int], list[dict[...]]
            known[f.name] = value
        try:
            return cls(**known)
        except TypeError:
            return None


@dataclass
class ImportResult:
    """A canonical event log (:mod:`ist_analyse.log`) and the report of how it was made."""

    log: pd.DataFrame
    report: ImportReport


def read_raw(source: str | Path, options: ImportOptions) -> RawTable:
    """Dispatch to the reader for ``source`` (file path or ``postgresql://`` URL)."""
    fmt = detect_format(source, options)
    if fmt == "postgresql":
        from ist_analyse.io.sql import read_postgres_raw

        return read_postgres_raw(str(source), options)
    path = Path(source)
    head = _head(path)  # also: not found / folder / unreadable
    if not head:
        raise InputError("file is empty (0 bytes)", file=path, code=ErrorCode.EMPTY_FILE)
    if fmt == "csv":
        from ist_analyse.io.csv import read_csv_raw

        return read_csv_raw(path, options)
    if fmt == "excel":
        from ist_analyse.io.excel import read_excel_raw

        return read_excel_raw(path, options)
    if fmt == "xes":
        from ist_analyse.io.xes import read_xes_raw

        return read_xes_raw(path, options)
    if fmt == "parquet":
        from ist_analyse.io.parquet import read_parquet_raw

        return read_parquet_raw(path, options)
    if fmt == "duckdb":
        from ist_analyse.io.sql import read_duckdb_raw

        return read_duckdb_raw(path, options)
    raise InputError(f"unknown format '{fmt}'", file=path, code=ErrorCode.UNKNOWN_FORMAT,
                     hint="formats: csv, excel, xes, parquet, postgresql, duckdb")


def read_log(source: str | Path, options: ImportOptions | None = None) -> ImportResult:
    """Read an event log from a file or database into the canonical form.

    Args:
        source: a CSV, Excel (.xlsx), XES (.xes, .xes.gz), Parquet or DuckDB file, or a
            ``postgresql://`` URL (with ``options.table`` or ``options.query``).
        options: how to read it; ``None`` guesses everything and applies the privacy defaults
            (keyed pseudonyms for case and staff ids, person columns dropped).

    Returns:
        :class:`ImportResult` with ``.log`` (canonical DataFrame, see :mod:`ist_analyse.log`) and
        ``.report`` (what was read, guessed, dropped, pseudonymised).

    Raises:
        InputError, MappingError, SchemaError, ConfigError: the source cannot be read as an event
            log; the message names the file, the line and column, what was found and expected.

    Example:
        >>> from ist_analyse import read_log
        >>> res = read_log("sample_logs/abh_export.csv")      # doctest: +SKIP
        >>> res.log.columns[:3].tolist()                          # doctest: +SKIP
        ['case_id', 'activity', 'timestamp']
    """
    options = (options or ImportOptions()).with_mapping_file()
    notes: list[str] = []
    try:
        if detect_format(source, options) == "parquet":
            canonical = _read_canonical_parquet(Path(source), options, notes)
            if canonical is not None:
                return canonical
        raw = read_raw(source, options)
        raw.notes[:0] = notes
        return build_log(raw, options)
    except MemoryError:  # the machine, not the program: say which input was too big
        raise InputError("not enough memory to read this source", file=str(source),
                         code=ErrorCode.SIZE_LIMIT,
                         hint="read a smaller export (e.g. one period), or use a machine with "
                              "more memory") from None


def _read_canonical_parquet(path: Path, options: ImportOptions,
                            notes: list[str]) -> ImportResult | None:
    """A log written by ``ist-analyse import`` is already canonical: load it as it is.

    Its metadata is checked, not trusted. It counts only if it is an import report of ours and
    the columns have the canonical types; otherwise the file is read as any Parquet file (with
    a note in ``notes``). Pseudonyms are kept only where the report says a column was
    pseudonymised, the report's key check proves the same key, and every value has the form
    of a pseudonym; any other case or staff id is pseudonymised now (a file that merely claims
    to be pseudonymised never shows raw ids).
    """
    import pyarrow.parquet as pq

    from ist_analyse.io.formats import REPORT_KEY
    from ist_analyse.io.parquet import read_parquet_raw

    _head(path)
    try:
        schema = pq.read_schema(path)
    except Exception:  # not a Parquet file: the Parquet reader explains it
        return None
    if not schema.metadata or REPORT_KEY not in schema.metadata:
        return None
    why_not = _not_canonical(schema)
    if why_not is not None:
        notes.append(f"the file says it is a canonical log of ist-analyse, but {why_not}: "
                     "read as an ordinary Parquet file")
        return None
    data = import_report_of(schema.metadata)
    report = ImportReport.from_metadata(data) if data is not None else None
    if report is None:
        report = ImportReport(source=str(path), format="parquet", events_read=0)
        report.notes.append("the file's import report (ist-analyse metadata) is damaged or "
                            "foreign: ignored")
    raw = read_parquet_raw(path, options, keep_source_row=True)
    df = raw.frame
    report.events_read = report.events_read or raw.events_read
    report.notes.append(f"canonical log written by ist-analyse, read from {path}")
    report.notes.extend(raw.notes[1:])  # the list/struct columns turned into text, if any
    staff = [c for c in df.columns if c.startswith(L.CASE_PREFIX) and is_staff_column(c)]
    if options.pseudonymize:
        key = load_or_create_key(options.key_file)
        proven = set()
        if same_key(report.key_check, key):
            proven = {c for c in set(report.pseudonymized) & set(df.columns) if _all_pseudonyms(
                df[c], CASE_PSEUDONYM if c == L.CASE_ID else STAFF_PSEUDONYM)}
        claimed = [c for c in report.pseudonymized if c not in proven]
        if claimed:
            report.notes.append(
                "the file says its ids are pseudonyms, but that could not be checked (another "
                "key, or values that are no pseudonyms): pseudonymised now: " + ", ".join(claimed))
        report.pseudonymized = []
        _protect(df, replace(options, staff_roles={}), report, staff, proven, key)
    if _group_rare(df, options, report, [*staff, *report.pseudonymized]):
        report.activity_events = {str(k): int(v)
                                  for k, v in df[L.ACTIVITY].value_counts().items()}
    try:
        return ImportResult(L.validate_log(L.finalize_log(df)), report)
    except SchemaError as err:
        err.file = str(path)
        raise


def _not_canonical(schema: Any) -> str | None:
    """Why an Arrow schema is not that of a canonical log, or ``None`` if it is."""
    import pyarrow as pa

    names = set(schema.names)
    for col in (*L.REQUIRED, L.SOURCE_FILE, L.SOURCE_ROW):
        if col not in names:
            return f"it has no column '{col}'"
    for col, dtype in L.DTYPES.items():
        if col not in names:
            continue
        t = schema.field(col).type
        if pa.types.is_dictionary(t):
            t = t.value_type
        ok = (pa.types.is_timestamp(t) and t.tz is not None if dtype == L.TIMESTAMP_DTYPE
              else pa.types.is_integer(t) if col == L.SOURCE_ROW
              else pa.types.is_string(t) or pa.types.is_large_string(t))
        if not ok:
            return f"its column '{col}' has the type {t}"
    return None


def _all_pseudonyms(values: pd.Series, prefix: str) -> bool:
    text = values.dropna().astype("string")
    return bool(text.str.fullmatch(pseudonym_pattern(prefix)).all())


def build_log(raw: RawTable, options: ImportOptions) -> ImportResult:
    """Turn a reader's :class:`RawTable` into the canonical log (the shared half of import)."""
    frame = raw.frame
    report = ImportReport(source=raw.source_file, format=raw.format,
                          events_read=raw.events_read, notes=list(raw.notes),
                          row_label=raw.row_label, repeated_keys=dict(raw.repeated_keys),
                          repeated_key_examples=raw.repeated_key_rows[:MAX_EXAMPLES])
    dropped: list[DroppedRow] = list(raw.dropped)
    if len(frame) == 0 and not dropped:
        raise InputError("contains no events", file=raw.source_file, code=ErrorCode.NO_ROWS)
    source_cols = [c for c in frame.columns if c != L.SOURCE_ROW]
    mapping = resolve_columns(source_cols, options.columns, file=raw.source_file)
    report.mapping = mapping.as_rows()
    source_row = frame[L.SOURCE_ROW].to_numpy(dtype=np.int64)
    out: dict[str, Any] = {}
    bad = np.zeros(len(frame), bool)

    def fail_or_drop(mask: np.ndarray, column: str, message_for: Any, code: ErrorCode) -> None:
        idx = np.flatnonzero(mask & ~bad)
        if not len(idx):
            return
        first = int(idx[0])
        message = message_for(first)
        if not options.skip_bad_rows:
            more = len(idx) - 1
            hint = (f"{more} more such row(s); " if more else "") + (
                "fix the export, name the format with --date-format, or use --skip-bad-rows "
                "to leave such rows out (they are counted and listed)")
            raise SchemaError(message, file=raw.source_file, row=int(source_row[first]),
                              column=column, code=code, hint=hint, row_label=raw.row_label)
        for i in idx:
            dropped.append(DroppedRow(int(source_row[i]), message_for(int(i)), column))
        bad[idx] = True

    # identifiers and labels: text, stripped; empty is an error
    for role in (L.CASE_ID, L.ACTIVITY):
        col = mapping.roles[role]
        values = _text(frame[col])
        empty = values.isna().to_numpy()
        fail_or_drop(empty, col, lambda i, r=role: f"empty {r.replace('_', ' ')}",
                     ErrorCode.EMPTY_VALUE)
        out[role] = values

    fmt = normalize_date_format(options.date_format) if options.date_format else None
    times: dict[str, ParsedTimes] = {}
    for role in (L.TIMESTAMP, L.START_TIME):
        col = mapping.roles.get(role)
        if col is None:
            continue
        parsed = parse_timestamps(frame[col], fmt=fmt, timezone=options.timezone)
        times[role] = parsed
        raw_col = frame[col]
        fail_or_drop(parsed.bad, col, lambda i, c=raw_col, p=parsed:
                     f"'{c.iloc[i]}' is not a date (expected {p.expected()})",
                     ErrorCode.BAD_TIMESTAMP)
        if role == L.TIMESTAMP:
            fail_or_drop(parsed.empty, col, lambda i: "empty timestamp",
                         ErrorCode.EMPTY_VALUE)
        out[role] = parsed.values
        report.date_only += parsed.date_only
        report.dst_ambiguous += parsed.dst_ambiguous
        report.dst_nonexistent += parsed.dst_nonexistent
        report.naive_timestamps += parsed.naive
        report.zoned_timestamps += parsed.zoned
        report.timezone = options.timezone

    for role in (L.RESOURCE, L.ROLE, L.ORG_UNIT):
        col = mapping.roles.get(role)
        if col is not None:
            out[role] = _text(frame[col])
    if L.LIFECYCLE in mapping.roles:
        out[L.LIFECYCLE] = _text(frame[mapping.roles[L.LIFECYCLE]])

    extra = [c for c in source_cols if c not in mapping.roles.values()]
    staff_cols = _add_extra_columns(frame, extra, out, options, raw, report)
    if L.ROLE in out and is_staff_column(mapping.roles[L.ROLE]):
        _check_staff_role(out, mapping.roles[L.ROLE], raw.source_file)
        staff_cols.append(L.ROLE)  # ids of groups of staff: pseudonymised like staff ids

    df = pd.DataFrame(out, index=frame.index)
    df[L.SOURCE_FILE] = pd.Categorical([raw.source_file] * len(df))
    df[L.SOURCE_ROW] = pd.array(source_row, dtype="Int64")
    if bad.any():
        df = df.loc[~bad]
    df = leave_out_implausible(df, frame, mapping.roles, options, report)
    df = df.reset_index(drop=True)
    if len(df) == 0:
        raise InputError("no readable events left after skipping bad rows"
                         if not report.implausible_dates else
                         f"no events left: all {report.implausible_dates} readable events have "
                         "implausible dates", file=raw.source_file, code=ErrorCode.NO_ROWS,
                         hint=_examples_hint(report))
    report.dropped_rows = len(dropped)
    report.dropped_row_examples = [
        {raw.row_label: d.row, "column": d.column, "reason": d.reason}
        for d in sorted(dropped, key=lambda d: d.row)[:MAX_EXAMPLES]]
    report.events = len(df)
    if L.LIFECYCLE in df.columns:
        df = _read_lifecycle_vocabulary(df, report)
    _group_rare(df, options, report, staff_cols)
    report.activity_events = {str(k): int(v)
                              for k, v in df[L.ACTIVITY].value_counts().items()}
    if L.LIFECYCLE in df.columns:
        df = _pair_lifecycle(df, report)
    _protect(df, options, report, staff_cols)
    df = L.finalize_log(df)
    report.rows = len(df)
    return ImportResult(df, report)


def _check_staff_role(out: dict[str, Any], column: str, source: str) -> None:
    """Refuse a role column that holds one value per staff member (``--role-col Bearbeiter``).

    Figures are shown per role so that no one's performance is on display (co-determination,
    domain.md §8); a "role" that is a person's id would rank staff members. A column whose
    header marks staff ids is per person when there is no separate staff column to tell, or
    when most of its values belong to a single staff member.
    """
    roles, staff = out[L.ROLE], out.get(L.RESOURCE)
    per_person = staff is None
    if staff is not None:
        pairs = pd.DataFrame({"r": roles, "s": staff}).dropna().drop_duplicates()
        members = pairs.groupby("r")["s"].nunique()
        per_person = len(members) > 0 and float((members <= 1).mean()) >= 0.5
    if per_person:
        raise PrivacyError(
            f"the role column '{column}' holds staff ids, one value per person: a table per "
            "role would rank staff members", file=source, column=column,
            hint="name a column of roles or teams (Team, Sachgebiet) with --role-col, or map "
                 "staff ids to roles in the [staff] section of a mapping file")


def _group_rare(df: pd.DataFrame, options: ImportOptions, report: ImportReport,
                staff_cols: list[str]) -> bool:
    """Labels fewer than ``k_min`` cases use become one counted group (in place).

    Activity labels, roles, units and every kept text column take part; ids (case, staff,
    pseudonyms) and the source position do not, nor the end activities the user named (they
    are known to whoever runs the analysis, and open cases are counted by them). Returns True
    if anything was grouped.
    """
    if options.keep_rare_labels:
        report.notes.append("rare labels kept (--keep-rare-labels): labels of single cases "
                            "may be printed")
        return False
    skip = {L.CASE_ID, L.RESOURCE, L.SOURCE_FILE, L.LIFECYCLE, *staff_cols}
    columns = [c for c in df.columns if c not in skip and (
        df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))]
    grouped = group_rare_labels(df, columns, case_col=L.CASE_ID, k_min=options.k_min,
                                keep=options.end_activities)
    changed = grouped != {c: n for c, n in report.rare_labels.items() if c in grouped}
    report.rare_labels = grouped
    return changed


def leave_out_implausible(df: pd.DataFrame, frame: pd.DataFrame, roles: dict[str, str],
                           options: ImportOptions, report: ImportReport) -> pd.DataFrame:
    """Leave out events whose date cannot be real, and count them with examples.

    One event dated 1948 or 9999 in an export of 2024 would set the period of every summary,
    stretch every chart over decades and give its case a duration of 76 years; 0001-01-01
    and 9999-12-31 do not even fit the nanosecond times of pandas and pm4py. Such a date is
    not an unreadable value (that is an error naming its line): the row is left out of the
    log, and ``inspect`` and every analysis say how many and where.
    """
    export = pd.Timestamp(options.export_time) if options.export_time is not None else None
    if export is not None and export.tzinfo is None:
        export = export.tz_localize(options.timezone)
    reasons = {role: implausible_dates(df[role], export)
               for role in (L.TIMESTAMP, L.START_TIME) if role in df.columns}
    odd = np.logical_or.reduce([r.notna().to_numpy() for r in reasons.values()])
    if not odd.any():
        return df
    report.implausible_dates = int(odd.sum())
    rows = (df[L.SOURCE_ROW].to_numpy() if L.SOURCE_ROW in df.columns
            else np.arange(1, len(df) + 1))
    for i in np.flatnonzero(odd)[:MAX_EXAMPLES]:
        role = next(r for r, why in reasons.items() if pd.notna(why.iloc[i]))
        report.implausible_date_examples.append({
            report.row_label: int(rows[i]), "column": roles[role],
            "value": str(frame.loc[df.index[i], roles[role]]),
            "reason": str(reasons[role].iloc[i])})
    report.notes.append(f"{report.implausible_dates} events with implausible dates left out "
                        "(see the data-quality findings)")
    return df.loc[~odd]


def _examples_hint(report: ImportReport) -> str | None:
    """The first implausible dates with their lines, for a message."""
    if not report.implausible_dates:
        return None
    label = report.row_label
    return "; ".join(f"{label} {e[label]}: {e['value']!r} ({e['reason']})"
                     for e in report.implausible_date_examples[:3])


def _text(col: pd.Series) -> pd.Series:
    """Text with surrounding blanks removed; empty strings become missing."""
    if col.dtype != "string":
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind in ("floating", "mixed-integer-float"):
            col = col.map(_plain_number, na_action="ignore")
        col = col.astype("string")
    col = col.str.strip()
    return col.mask(col == "")


def _plain_number(v: Any) -> Any:
    """1234.0 -> '1234': ids stored as numbers (Excel, Parquet) must not grow a '.0'."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def _add_extra_columns(frame: pd.DataFrame, extra: list[str], out: dict[str, Any],
                       options: ImportOptions, raw: RawTable, report: ImportReport) -> list[str]:
    """Keep other columns under plain names; drop person columns; find case attributes.

    A staff-id column (``Bearbeitet von``, ``Personalnummer``) is kept and pseudonymised; a
    column whose name or values mark person data is dropped, with the reason, unless kept
    explicitly (``keep_columns``, ``drop_person_columns=False``).

    Returns the new names of columns that hold staff ids (pseudonymised like ``resource``).
    """
    keep = {c.casefold() for c in options.keep_columns}
    drop = {c.casefold() for c in options.drop_columns}
    taken = set(out) | set(L.COLUMNS)
    case_codes = None
    staff_cols: list[str] = []
    times = out.get(L.TIMESTAMP)
    latest = times.max() if times is not None else pd.NaT
    reference_year = latest.year if not pd.isna(latest) else pd.Timestamp.now().year
    for col in extra:
        name = str(col)
        values = frame[col]
        staff = is_staff_column(name)
        reason = None
        if name.casefold() in drop:
            reason = "listed in drop_columns"
        elif options.drop_person_columns and not staff and name.casefold() not in keep:
            if is_person_column(name):
                reason = "the name marks person data"
            else:
                reason = person_content(values, reference_year=reference_year)
        if reason is not None:
            report.dropped_columns.append(name)
            report.dropped_reasons[name] = reason
            continue
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            values = _maybe_numeric(values, raw.decimal or ".")
        if name.startswith("case:"):
            new = L.CASE_PREFIX + slug(name[5:])
        else:
            if case_codes is None:
                case_codes = pd.factorize(out[L.CASE_ID])[0]
            new = slug(name)
            if _constant_within_case(values, case_codes):
                new = L.CASE_PREFIX + new
        base, k = new, 2
        while new in taken:
            new, k = f"{base}_{k}", k + 1
        taken.add(new)
        out[new] = values
        if new != name:
            report.renamed[name] = new
        if staff:
            staff_cols.append(new)
    return staff_cols


_NUMBER = {
    ",": re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"),
    ".": re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?$"),
}


def _maybe_numeric(values: pd.Series, decimal: str) -> pd.Series:
    """Text columns whose every value is a number become numbers (decimal comma aware).

    Values with a leading zero (``00123``) mark an identifier: the column stays text. Works on
    the distinct values only: extra columns are mostly case attributes with few of them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(uniques, dtype="string").str.strip()
    text = text.mask(text == "")
    present = text.dropna()
    if present.empty or present.str.match(r"^-?0\d").any():
        return values
    if not present.str.match(_NUMBER.get(decimal, _NUMBER["."])).all():
        return values
    thousands = "." if decimal == "," else ","
    cleaned = text.str.replace(thousands, "", regex=False)
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(cleaned).to_numpy(dtype=float, na_value=np.nan)
    out = np.append(numbers, np.nan)[codes]
    result = pd.Series(out, index=values.index)
    if np.all(np.isnan(out) | (out == np.round(out))) and not np.isnan(out).any():
        return result.astype("int64")
    return result


def _constant_within_case(values: pd.Series, case_codes: np.ndarray) -> bool:
    """True if no case has two different non-missing values (a case attribute)."""
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    valid = codes >= 0
    if not valid.any():
        return False
    pairs = pd.DataFrame({"c": case_codes[valid], "v": codes[valid]}).drop_duplicates()
    return not pairs["c"].duplicated().any()


#: the transitions of the XES standard lifecycle model (IEEE 1849-2016); ``unknown`` is not one
XES_TRANSITIONS = frozenset({
    "schedule", "assign", "reassign", "start", "suspend", "resume", "withdraw", "ate_abort",
    "pi_abort", "autoskip", "manualskip", "complete"})

#: joins activity and status, as pm4py and ProM join the keys of an XES classifier
STATUS_SEPARATOR = "+"


def _read_lifecycle_vocabulary(df: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Transitions stay (lower case) for pairing; statuses become part of the activity name.

    See the module docstring for the rule and why.
    """
    lc = df[L.LIFECYCLE]
    lower = lc.str.lower()
    if lower.isin(XES_TRANSITIONS).any() or lc.isna().all():
        report.lifecycle_rule = "transitions" if lc.notna().any() else ""
        df[L.LIFECYCLE] = lower
        return df
    report.lifecycle_rule = "statuses"
    report.lifecycle_status = {str(k): int(v) for k, v in lc.value_counts().items()}
    df[L.ACTIVITY] = df[L.ACTIVITY].where(lc.isna(), df[L.ACTIVITY] + STATUS_SEPARATOR + lc)
    return df.drop(columns=[L.LIFECYCLE])


def _pair_lifecycle(df: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Merge start/complete event pairs into one activity instance with ``start_time``.

    Within a case and activity, in time order, each ``complete`` closes the oldest open
    ``start`` (FIFO), as pm4py's interval conversion does; a ``complete`` with no open start
    stays an instance without start time. Unpaired starts and other lifecycle transitions
    (``schedule``, ``ate_abort`` ...) stay as rows with their ``lifecycle`` value, and are
    counted: nothing disappears.

    Vectorised: with running counts per (case, activity) of starts S and completes C, the
    completes left unmatched so far are U = max(0, running max of C - S); a complete is matched
    iff U does not grow at it, and under FIFO the m-th matched complete (m = C - U) closes the
    m-th start.
    """
    lc = df[L.LIFECYCLE]
    other = lc[~lc.isin(["start", "complete"]) & lc.notna()]
    report.lifecycle_other = {str(k): int(v) for k, v in other.value_counts().items()}
    if (lc == "start").any():
        if L.START_TIME not in df.columns:
            df[L.START_TIME] = pd.Series(pd.NaT, index=df.index, dtype=L.TIMESTAMP_DTYPE)
        df = _match_starts(df, report)
    lc = df[L.LIFECYCLE]
    df[L.LIFECYCLE] = lc.mask(lc == "complete")
    if df[L.LIFECYCLE].isna().all():
        df = df.drop(columns=[L.LIFECYCLE])
    return df


def _match_starts(df: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    sel = np.flatnonzero(df[L.LIFECYCLE].isin(["start", "complete"]).to_numpy(bool))
    sub = df.iloc[sel]
    case_codes = pd.factorize(sub[L.CASE_ID])[0].astype(np.int64)
    act_codes, acts = pd.factorize(sub[L.ACTIVITY])
    group = case_codes * max(len(acts), 1) + act_codes
    ts = sub[L.TIMESTAMP].dt.tz_convert(None).to_numpy().astype("int64")
    order = np.lexsort((sub[L.SOURCE_ROW].to_numpy(), ts, group))
    group, rows = group[order], sel[order]
    is_start = (sub[L.LIFECYCLE].to_numpy(object)[order] == "start")
    g = pd.Series(group)
    starts = pd.Series(is_start.astype(np.int64)).groupby(g).cumsum().to_numpy()
    completes = pd.Series((~is_start).astype(np.int64)).groupby(g).cumsum().to_numpy()
    unmatched = pd.Series(completes - starts).groupby(g).cummax().clip(lower=0).to_numpy()
    prev = pd.Series(unmatched).groupby(g).shift(1, fill_value=0).to_numpy()
    matched = ~is_start & (unmatched == prev)
    start_keys = pd.DataFrame({"g": group[is_start], "k": starts[is_start],
                               "start_row": rows[is_start]})
    done_keys = pd.DataFrame({"g": group[matched], "k": (completes - unmatched)[matched],
                              "row": rows[matched]})
    pairs = done_keys.merge(start_keys, on=["g", "k"], how="inner")
    start_of, complete_of = pairs["start_row"].to_numpy(), pairs["row"].to_numpy()
    naive_start = df[L.START_TIME].dt.tz_convert(None).to_numpy(copy=True)
    naive_start[complete_of] = df[L.TIMESTAMP].dt.tz_convert(None).to_numpy()[start_of]
    df[L.START_TIME] = pd.Series(naive_start, index=df.index).dt.tz_localize("UTC").astype(
        L.TIMESTAMP_DTYPE)
    keep = np.ones(len(df), bool)
    keep[start_of] = False
    report.lifecycle_pairs = len(start_of)
    report.lifecycle_unpaired_start = int(is_start.sum()) - len(start_of)
    return df.loc[keep].reset_index(drop=True)


def _protect(df: pd.DataFrame, options: ImportOptions, report: ImportReport,
             staff_cols: list[str], proven: set[str] | frozenset[str] = frozenset(),
             key: bytes | None = None) -> None:
    """Roles from the staff table, then keyed pseudonyms for case and staff ids (in place).

    Staff ids in other columns (``case:responsible``) get the same pseudonyms as ``resource``,
    so they still link, but name nobody. Columns in ``proven`` already hold pseudonyms made
    with this key (checked by the caller) and are not hashed again.
    """
    if L.RESOURCE in df.columns and options.staff_roles:
        roles = df[L.RESOURCE].map(dict(options.staff_roles)).astype("string")
        if L.ROLE in df.columns:
            df[L.ROLE] = df[L.ROLE].fillna(roles)
        else:
            df[L.ROLE] = roles
        unmapped = int(df[L.RESOURCE].notna().sum() - roles.notna().sum())
        if unmapped:
            report.notes.append(f"{unmapped} events have a staff id without a role in [staff]")
    if not options.pseudonymize:
        report.notes.append("pseudonymisation switched off: case and staff ids as in the source")
        return
    if key is None:
        key = load_or_create_key(options.key_file)
    if L.CASE_ID not in proven:
        df[L.CASE_ID] = pseudonymize(df[L.CASE_ID], key, prefix=CASE_PSEUDONYM)
    report.pseudonymized.append(L.CASE_ID)
    for col in ([L.RESOURCE] if L.RESOURCE in df.columns else []) + staff_cols:
        if col not in proven:
            df[col] = pseudonymize(_text(df[col]), key, prefix=STAFF_PSEUDONYM)
        report.pseudonymized.append(col)
    report.key_check = key_check(key)
