"""``inspect``: an honest first look at an export — what is in it, and what is wrong with it.

An organisation developer's first question is whether the export can be trusted at all. So
besides counts this lists data-quality findings, each with how many events or cases it touches
and the lines to look at: duplicates, one-event cases, events out of order, impossible dates,
identical timestamps, and what the import itself decided (rows skipped, columns dropped).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import log as L
from ist_analyse.config import ImportOptions
from ist_analyse.io.pipeline import (
    MAX_EXAMPLES,
    STATUS_SEPARATOR,
    ImportReport,
    ImportResult,
    leave_out_implausible,
    read_log,
)


@dataclass
class Finding:
    """One data-quality observation."""

    code: str
    severity: str  # "warning" | "info"
    message: str
    count: int
    examples: list[int] = field(default_factory=list)  # source rows (lines) to look at


@dataclass
class Inspection:
    """The result of :func:`inspect_log`; ``to_dict()`` is the ``--json`` document."""

    source: str
    format: str
    cases: int
    events: int
    rows: int
    activities: dict[str, int]
    start: str | None
    end: str | None
    open_cases: int | None
    end_activities: list[str]
    findings: list[Finding]
    columns: list[str]
    mapping: list[dict[str, str]]
    renamed: dict[str, str]
    privacy: dict[str, Any]
    dropped_rows: int
    dropped_row_examples: list[dict[str, Any]]
    notes: list[str]
    implausible_dates: int = 0
    implausible_date_examples: list[dict[str, Any]] = field(default_factory=list)
    row_label: str = "row"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


LogLike = str | Path | ImportResult | pd.DataFrame


def as_import_result(log: LogLike, options: ImportOptions | None = None) -> ImportResult:
    """Accept a path/URL, an :class:`ImportResult` or a canonical DataFrame."""
    if isinstance(log, ImportResult):
        return log
    if isinstance(log, pd.DataFrame):
        L.validate_log(log)
        src = str(log[L.SOURCE_FILE].iloc[0]) if L.SOURCE_FILE in log and len(log) else "<frame>"
        report = ImportReport(source=src, format="dataframe", events_read=len(log),
                              rows=len(log), events=len(log))
        log = leave_out_implausible(log, log, {c: c for c in log.columns}, options
                                    or ImportOptions(), report).reset_index(drop=True)
        report.rows = report.events = len(log)
        report.activity_events = {str(k): int(v)
                                  for k, v in log[L.ACTIVITY].value_counts().items()}
        return ImportResult(log, report)
    return read_log(log, options)


def inspect_log(log: LogLike, options: ImportOptions | None = None, *,
                end_activities: list[str] | tuple[str, ...] | None = None,
                now: pd.Timestamp | None = None) -> Inspection:
    """Summarise an event log and list its data-quality findings.

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an
            :class:`ImportResult`, or a canonical DataFrame.
        options: import options when ``log`` is a path.
        end_activities: activities that close a case (default: ``options.end_activities``);
            without them ``open_cases`` is ``None``: we do not guess when a case is over.
        now: the export time for "after the export date" when ``log`` is read here
            (default: ``options.export_time``, else the current time); implausible dates
            are left out by the import (:func:`ist_analyse.io.dates.implausible_dates`).

    Returns:
        :class:`Inspection`; ``events`` counts source records (XES ``<event>`` elements or
        data rows), ``rows`` the activity instances after start/complete pairing.
    """
    if options is not None:
        options = options.with_mapping_file()
    if now is not None:
        options = replace(options or ImportOptions(), export_time=now)
    res = as_import_result(log, options)
    df, rep = res.log, res.report
    ends = list(end_activities if end_activities is not None
                else (options.end_activities if options else ()))
    cases = int(df[L.CASE_ID].nunique())
    open_cases = None
    if ends:
        closed = df.loc[df[L.ACTIVITY].isin(ends), L.CASE_ID].nunique()
        open_cases = cases - int(closed)
    ts = df[L.TIMESTAMP]
    findings = _findings(df, rep)
    return Inspection(
        source=rep.source, format=rep.format, cases=cases, events=rep.events_read,
        rows=len(df), activities=dict(rep.activity_events),
        start=_iso(ts.min()), end=_iso(ts.max()), open_cases=open_cases, end_activities=ends,
        findings=findings, columns=[str(c) for c in df.columns], mapping=rep.mapping,
        renamed=rep.renamed,
        privacy={"pseudonymized": rep.pseudonymized, "dropped_columns": rep.dropped_columns,
                 "dropped_reasons": rep.dropped_reasons, "rare_labels": rep.rare_labels},
        dropped_rows=rep.dropped_rows, dropped_row_examples=rep.dropped_row_examples,
        notes=rep.notes, row_label=rep.row_label, implausible_dates=rep.implausible_dates,
        implausible_date_examples=rep.implausible_date_examples)


def _iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("Europe/Berlin").isoformat()


def _rows(df: pd.DataFrame, mask: np.ndarray | pd.Series) -> list[int]:
    rows = df.loc[np.asarray(mask), L.SOURCE_ROW].dropna()
    return sorted(int(r) for r in rows.nsmallest(MAX_EXAMPLES))


def _findings(df: pd.DataFrame, rep: ImportReport) -> list[Finding]:
    out: list[Finding] = []
    label = rep.row_label

    def add(code: str, severity: str, message: str, count: int, mask: Any = None) -> None:
        if count:
            out.append(Finding(code, severity, message, int(count),
                               _rows(df, mask) if mask is not None else []))

    if rep.dropped_rows:
        add("ROWS_SKIPPED", "warning",
            f"{rep.dropped_rows} unreadable {label}s skipped (--skip-bad-rows)",
            rep.dropped_rows)
        out[-1].examples = [int(d[label]) for d in rep.dropped_row_examples]
    key = [c for c in (L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.START_TIME, L.RESOURCE,
                       L.LIFECYCLE) if c in df.columns]
    dup = df.duplicated(subset=key, keep="first").to_numpy()
    add("DUPLICATE_EVENTS", "warning",
        f"{int(dup.sum())} events repeat another event of the same case exactly "
        "(same activity and time)", dup.sum(), dup)
    sizes = df.groupby(L.CASE_ID, sort=False, observed=True)[L.ACTIVITY].transform("size")
    single = (sizes == 1).to_numpy()
    add("SINGLE_EVENT_CASES", "info", f"{int(single.sum())} cases have a single event",
        single.sum(), single)
    # rows are sorted by case and time: a source position going backwards means the source
    # listed the events of that case in another order than their timestamps
    same_case = (df[L.CASE_ID] == df[L.CASE_ID].shift()).to_numpy()
    back = same_case & (df[L.SOURCE_ROW].diff().fillna(0) < 0).to_numpy()
    n_cases = df.loc[back, L.CASE_ID].nunique()
    add("OUT_OF_ORDER", "warning",
        f"{n_cases} cases list events out of time order in the source ({int(back.sum())} "
        "events); they were sorted by time", n_cases, back)
    ts = df[L.TIMESTAMP]
    if rep.implausible_dates:
        why = Counter(str(e["reason"]) for e in rep.implausible_date_examples)
        add("IMPLAUSIBLE_DATES", "warning",
            f"{rep.implausible_dates} events with implausible dates left out (e.g. "
            + ", ".join(f"{n} {reason}" for reason, n in why.items())
            + "): they set neither the period nor any figure or chart",
            rep.implausible_dates)
        out[-1].examples = [int(e[label]) for e in rep.implausible_date_examples]
    same_time = same_case & (ts == ts.shift()).to_numpy() & ~dup
    add("IDENTICAL_TIMESTAMPS", "info",
        f"{int(same_time.sum())} events share their timestamp with the previous event of the "
        "same case: their order is not known from the data", same_time.sum(), same_time)
    if L.START_TIME in df.columns:
        inverted = (df[L.START_TIME] > ts).fillna(False).to_numpy()
        add("START_AFTER_END", "warning",
            f"{int(inverted.sum())} activity instances start after they end", inverted.sum(),
            inverted)
    if rep.date_only:
        add("DATE_ONLY", "info",
            f"{rep.date_only} timestamps have a date but no time (read as 00:00 local time)",
            rep.date_only)
    if rep.naive_timestamps and (rep.format == "xes" or rep.zoned_timestamps):
        # XES dates are xs:dateTime and normally carry their offset; CSV and Excel exports
        # never do, so there a zone-less time is the rule, not a finding
        add("NAIVE_TIMESTAMPS", "warning",
            f"{rep.naive_timestamps} timestamps carry no time zone: read as local time in "
            f"{rep.timezone} (--timezone)", rep.naive_timestamps)
    if rep.repeated_keys:
        kinds = ", ".join(f"{kind}: {n}" for kind, n in rep.repeated_keys.items())
        add("REPEATED_KEYS", "warning",
            f"attribute keys given twice in one {rep.row_label} or trace ({kinds}); the last "
            "value was used" + ("; a trace with two case ids may hold events of another case"
                                if "case id" in rep.repeated_keys else ""),
            sum(rep.repeated_keys.values()))
        out[-1].examples = list(rep.repeated_key_examples)
    if rep.dst_ambiguous or rep.dst_nonexistent:
        add("DST_AMBIGUOUS", "info",
            f"{rep.dst_ambiguous} local times fall in the autumn DST hour (read as summer "
            f"time), {rep.dst_nonexistent} in the spring gap (moved forward)",
            rep.dst_ambiguous + rep.dst_nonexistent)
    if rep.lifecycle_pairs or rep.lifecycle_unpaired_start or rep.lifecycle_other:
        other = ", ".join(f"{k}: {v}" for k, v in rep.lifecycle_other.items())
        mask = df[L.LIFECYCLE].notna().to_numpy() if L.LIFECYCLE in df.columns else None
        add("LIFECYCLE", "info",
            f"{rep.lifecycle_pairs} start/complete pairs merged into activity instances; "
            f"{rep.lifecycle_unpaired_start} start events without completion kept"
            + (f"; other lifecycle events kept, not counted as steps ({other})"
               if other else ""),
            rep.lifecycle_pairs + rep.lifecycle_unpaired_start
            + sum(rep.lifecycle_other.values()), mask)
    if rep.lifecycle_status:
        statuses = ", ".join(f"{k}: {v}" for k, v in rep.lifecycle_status.items())
        example = next((a for a in rep.activity_events if STATUS_SEPARATOR in a), "")
        add("LIFECYCLE_STATUS", "info",
            "the lifecycle values are statuses, not XES transitions "
            f"({statuses}): each event is a completed step named activity{STATUS_SEPARATOR}"
            f"status, e.g. '{example}'", sum(rep.lifecycle_status.values()))
    return out
