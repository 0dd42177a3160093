"""Activity instances on a columnar engine: where the canonical log becomes a Polars frame.

Every KPI of :mod:`ist_analyse.analysis` starts from the same frame, built once here: one row per
completed activity instance, ordered within its case, with the time since the previous instance
split into waiting and processing. The definitions (also in the README):

* **events used**: completed activity instances, i.e. rows without a ``lifecycle`` value.
  Other lifecycle events (``schedule``, a ``start`` that never completed) are not steps of the
  case; they are left out and counted.
* **order within a case**: by start (the start time where the log has one, else the completion
  time), then completion time, then position in the log. This is pm4py's order for interval
  logs; without start times it is the canonical order (completion time, source row).
* **transition a → b**: b is the next instance after a in the same case.
* **waiting time before b** = ``max(start(b), end(a)) − end(a)``: from the completion of the
  previous step until b starts; zero where b started before a ended (work in parallel). Without a
  start time, b is taken to start when it completes, so waiting is completion to completion,
  which is pm4py's ``discover_performance_dfg`` measure.
* **processing time of b** = ``end(b) − start(b)``, only where b has a start time.
* **sojourn time of b** = waiting + processing (time from the end of the previous step until b is
  done), for instances with a predecessor.

A start time after the completion time (a data error ``inspect`` reports) is ignored for that
instance: it counts as instantaneous.

A canonical Parquet file written by ``ist-analyse import`` is read straight into Polars, only the
columns needed; every other source goes through :func:`~ist_analyse.io.pipeline.read_log`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import polars as pl

from ist_analyse import log as L
from ist_analyse.analysis.calendar import DEFAULT_LAND, office_days, public_holidays
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError, SchemaError
from ist_analyse.notes import Note, NoteCode

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DAY_SECONDS = 86_400.0

# column names of the instance frame
CASE = "case"  # integer case number (0, 1, ...) in case order
ACT = "activity"
START = "start"
END = "end"
HAS_START = "has_start"
PREV_ACT = "prev_activity"
PREV_END = "prev_end"
WAIT = "wait"  # waiting before this instance, in the chosen unit (days); null for a first step
PROC = "proc"  # processing time, in the chosen unit; null without a start time
ROLE = "role"
RESOURCE = "resource"

#: canonical columns the analyses read (others are never loaded)
NEEDED = (L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.START_TIME, L.LIFECYCLE, L.ROLE, L.RESOURCE)


def _needed(columns: Sequence[str]) -> list[str]:
    """The columns to load: staff ids only where there is a role to group them by."""
    cols = [c for c in NEEDED if c in columns]
    if L.ROLE not in cols and L.RESOURCE in cols:
        cols.remove(L.RESOURCE)
    return cols


@dataclass
class Instances:
    """Completed activity instances of a log, ordered, with waiting and processing times.

    ``frame`` columns: ``case`` (0-based case number), ``activity`` (categorical), ``start``,
    ``end`` (UTC), ``has_start``, ``prev_activity``/``prev_end`` (null for a case's first
    step), ``wait`` and ``proc`` (days in the chosen unit), and ``role``/``resource`` where the
    log has them.
    """

    frame: pl.DataFrame
    cases: int
    has_start_times: bool
    working_days: bool
    land: str | None
    timezone: str
    source: str = "<frame>"
    excluded: dict[str, int] = field(default_factory=dict)
    start_after_end: int = 0
    #: the log has staff ids (``resource``); they are loaded only where a role column exists
    has_staff_ids: bool = False
    #: events the import left out because their dates cannot be real
    dates_left_out: int = 0

    @property
    def unit(self) -> str:
        """``"calendar days"`` or ``"office days (HE)"``."""
        return f"office days ({self.land})" if self.working_days else "calendar days"

    def notes(self) -> list[str]:
        """What was left out or reinterpreted, in words."""
        out: list[str] = []
        if self.excluded:
            counts = dict(sorted(self.excluded.items()))
            what = ", ".join(f"{n} {k}" for k, n in counts.items())
            out.append(Note(NoteCode.LIFECYCLE_LEFT_OUT, "lifecycle events that are not "
                            f"completed activity instances were left out ({what})",
                            counts=counts))
        if self.start_after_end:
            out.append(Note(NoteCode.START_AFTER_END, f"{self.start_after_end} activity "
                            "instances start after they end; their start time was ignored",
                            count=self.start_after_end))
        if self.dates_left_out:
            out.append(Note(NoteCode.DATES_LEFT_OUT, f"{self.dates_left_out} events with "
                            "implausible dates (before 1900 or after 2100, after the export, "
                            "or before 1990 in a younger log) left out: see inspect",
                            count=self.dates_left_out))
        return out

    def local(self, expr: str | pl.Expr) -> np.ndarray:
        """A UTC time column as local wall-clock ``datetime64[us]`` (for office days, weeks)."""
        col = pl.col(expr) if isinstance(expr, str) else expr
        series = self.frame.select(
            col.dt.convert_time_zone(self.timezone).dt.replace_time_zone(None)).to_series()
        return series.to_numpy()


class Loaded(NamedTuple):
    """A log as the analyses read it: the needed columns, the source's name, whether it has
    staff ids, and how many events the import left out for implausible dates."""

    frame: pl.DataFrame
    source: str
    staff: bool
    dates_left_out: int = 0


def load(log: object, options: ImportOptions | None = None) -> Loaded:
    """The columns the analyses need as a Polars frame, the name of the source, whether the
    log has staff ids, and how many events were left out for implausible dates.

    A canonical Parquet file (``ist-analyse import``) is read directly, only the needed
    columns; anything else goes through :func:`ist_analyse.inspection.as_import_result`.
    """
    if isinstance(log, str | Path):
        found = _canonical_parquet(Path(log), options)
        if found is not None:
            return found
    from ist_analyse.inspection import as_import_result

    res = as_import_result(log, options)  # type: ignore[arg-type]
    cols = _needed(res.log.columns)
    frame = pl.from_pandas(res.log[cols].reset_index(drop=True), include_index=False)
    return Loaded(frame, res.report.source, L.RESOURCE in res.log.columns,
                  res.report.implausible_dates)


def _canonical_parquet(path: Path, options: ImportOptions | None
                       ) -> tuple[pl.DataFrame, str, bool] | None:
    """The fast path for a canonical Parquet log, or ``None`` for the full import.

    Only for a file whose metadata is an import report of ours and, unless pseudonymisation
    is off, whose case and staff ids are pseudonyms proven to be made with the key in use (as
    :func:`ist_analyse.io.pipeline.read_log` checks them); anything else goes through the
    import, which pseudonymises what it cannot prove.
    """
    from ist_analyse.io.formats import detect_format, import_report_of

    options = options or ImportOptions()
    if not path.is_file() or detect_format(path, options) != "parquet":
        return None
    try:
        meta = pl.read_parquet_metadata(path)
        names = list(pl.read_parquet_schema(path))
    except Exception:  # not readable as Parquet: the importer explains it
        return None
    report = import_report_of(meta)
    if report is None:
        return None
    source = str(report.get("source") or path)
    try:
        left_out = int(report.get("implausible_dates") or 0)
    except (TypeError, ValueError):
        left_out = 0
    cols = _needed(names)
    for col in L.REQUIRED:
        if col not in cols:
            raise SchemaError(f"event log has no column '{col}'", file=path,
                              code=ErrorCode.MISSING_COLUMN,
                              hint=f"columns present: {', '.join(names)}")
    frame = pl.read_parquet(path, columns=cols)
    if options.pseudonymize:
        frame = _protect(frame, report, options)
    for col in L.REQUIRED:
        n = frame[col].null_count()
        if n:
            raise SchemaError(f"column '{col}' has {n} empty values", file=path,
                              code=ErrorCode.EMPTY_VALUE)
    return Loaded(frame, source, L.RESOURCE in names, left_out)


def _protect(frame: pl.DataFrame, report: dict[str, object],
             options: ImportOptions) -> pl.DataFrame:
    """Case and staff ids as keyed pseudonyms, as the import makes them: kept where the
    report proves them (same key check, every value a pseudonym), made now elsewhere."""
    from ist_analyse.privacy import (
        CASE_PSEUDONYM,
        STAFF_PSEUDONYM,
        load_or_create_key,
        pseudonym_pattern,
        pseudonyms,
        same_key,
    )

    key = load_or_create_key(options.key_file)
    claimed = report.get("pseudonymized")
    trusted = isinstance(claimed, list) and same_key(report.get("key_check"), key)
    for col, prefix in ((L.CASE_ID, CASE_PSEUDONYM), (L.RESOURCE, STAFF_PSEUDONYM)):
        if col not in frame.columns:
            continue
        text = frame[col].cast(pl.String)
        if trusted and col in claimed and text.drop_nulls().str.contains(
                f"^{pseudonym_pattern(prefix)}$").all():
            continue
        distinct = text.drop_nulls().unique()
        mapped = text.replace_strict(distinct, pseudonyms(distinct.to_list(), key, prefix),
                                     default=None, return_dtype=pl.String)
        frame = frame.with_columns(mapped.alias(col))
    return frame


def activity_instances(log: pl.DataFrame | pd.DataFrame, *, working_days: bool = False,
                       land: str = DEFAULT_LAND, timezone: str = "Europe/Berlin",
                       source: str = "<frame>", has_staff_ids: bool | None = None,
                       dates_left_out: int = 0) -> Instances:
    """Build the :class:`Instances` frame of a canonical log (see the module docstring)."""
    if has_staff_ids is None:
        has_staff_ids = L.RESOURCE in log.columns
    # pandas is not imported here: a canonical Parquet log is read straight into Polars, and
    # importing pandas would cost that path most of its start-up time. A pandas frame can only
    # exist if pandas is loaded.
    pd_module = sys.modules.get("pandas")
    if pd_module is not None and isinstance(log, pd_module.DataFrame):
        log = pl.from_pandas(log[_needed(log.columns)].reset_index(drop=True),
                             include_index=False)
    elif L.ROLE not in log.columns and L.RESOURCE in log.columns:
        log = log.drop(L.RESOURCE)
    df = log
    if not isinstance(df.schema[L.TIMESTAMP], pl.Datetime) or df.schema[L.TIMESTAMP].time_zone \
            is None:
        raise SchemaError("column 'timestamp' must hold UTC timestamps", code=ErrorCode.CONFIG)
    # Few materialised steps: the counts of what is left out (one collect), the instance
    # columns (one), the order check and sort, then previous step and times (one). Each eager
    # step used to materialise a copy of 4.2 million rows (13 collects, ~0.5 s there).
    end = pl.col(L.TIMESTAMP).cast(pl.Datetime("us", "UTC"))
    has_start_col = L.START_TIME in df.columns
    has_lc = L.LIFECYCLE in df.columns
    if has_start_col:
        st = pl.col(L.START_TIME).cast(pl.Datetime("us", "UTC"))
        valid = st.is_not_null() & (st <= end).fill_null(False)
        start = pl.when(valid).then(st).otherwise(end)
    else:
        valid, start = pl.lit(False), end
    cid = pl.col(L.CASE_ID).cast(pl.String)
    lf = df.lazy()

    def completed(frame: pl.LazyFrame) -> pl.LazyFrame:
        """Completed instances only: other lifecycle events are counted, not steps."""
        return frame.filter(pl.col(L.LIFECYCLE).is_null()) if has_lc else frame

    facts = [lf.select(start_after_end=(st > end).sum() if has_start_col else pl.lit(0))]
    if has_lc:
        facts.append(lf.filter(pl.col(L.LIFECYCLE).is_not_null())
                     .group_by(L.LIFECYCLE).len().sort(L.LIFECYCLE))
    got = pl.collect_all(facts)
    start_after_end = int(got[0].item() or 0)
    excluded = ({str(k): int(n) for k, n in got[1].iter_rows()} if has_lc else {})
    if excluded and sum(excluded.values()) == len(df):
        what = ", ".join(f"{k}: {n}" for k, n in sorted(excluded.items()))
        raise InputError(f"the log has no completed activity instances, only other lifecycle "
                         f"events ({what})", file=source, code=ErrorCode.NO_ROWS,
                         hint="a step counts when its lifecycle value is 'complete' or empty; "
                              "see 'lifecycle' in the README")
    # case numbers are runs of the (sorted) id over all rows, so they follow the case order of
    # the log (canonical: sorted by id) even where a case has only lifecycle events; a log in
    # another order is sorted by id first (no hashing either way)
    ids = df[L.CASE_ID]
    ids_sorted = (ids if ids.dtype == pl.String else ids.cast(pl.String)).is_sorted()
    base = lf if ids_sorted else lf.sort(cid, maintain_order=True)
    base = base.with_columns(cid.rle_id().cast(pl.UInt32).alias(CASE))
    extra = [pl.col(c).cast(pl.String).cast(pl.Categorical) for c in (L.ROLE, L.RESOURCE)
             if c in df.columns]
    # activities as categories: shifting and grouping integers is cheaper than text, and the
    # "previous activity" column costs 4 bytes a row instead of a copy of every name
    frame = completed(base).select(
        pl.col(CASE), pl.col(L.ACTIVITY).cast(pl.String).cast(pl.Categorical).alias(ACT),
        start.alias(START), end.alias(END), valid.alias(HAS_START), *extra).collect()
    # pm4py's order for interval logs: start, then end, then log position. Sorted only when
    # some step starts before its predecessor (checked on the integer case numbers), and
    # eagerly: inside a lazy plan the same sort took three times as long (Polars 2.1).
    same = pl.col(CASE) == pl.col(CASE).shift(1)
    back = same & ((pl.col(START) < pl.col(START).shift(1))
                   | ((pl.col(START) == pl.col(START).shift(1))
                      & (pl.col(END) < pl.col(END).shift(1))))
    if len(frame) and frame.select(back.fill_null(False).any()).item():
        frame = frame.sort([CASE, START, END], maintain_order=True)
    q = frame.lazy().with_columns(pl.when(same).then(pl.col(ACT).shift(1)).alias(PREV_ACT),
                                  pl.when(same).then(pl.col(END).shift(1)).alias(PREV_END))
    wait_end = pl.max_horizontal(pl.col(START), pl.col(PREV_END))
    if not working_days:
        q = q.with_columns(
            ((wait_end - pl.col(PREV_END)).dt.total_microseconds() / (1e6 * DAY_SECONDS))
            .alias(WAIT),
            pl.when(pl.col(HAS_START)).then(
                (pl.col(END) - pl.col(START)).dt.total_microseconds() / (1e6 * DAY_SECONDS)
            ).alias(PROC))
    df = q.collect()
    # a case made only of lifecycle events (e.g. only "schedule") has no step: not counted
    cases = int(df[CASE].n_unique()) if len(df) else 0
    inst = Instances(frame=df, cases=cases,
                     has_start_times=bool(df[HAS_START].any()) if len(df) else False,
                     working_days=working_days, land=land if working_days else None,
                     timezone=timezone, source=source, excluded=excluded,
                     start_after_end=start_after_end, has_staff_ids=has_staff_ids,
                     dates_left_out=dates_left_out)
    if working_days and len(df):
        first, last = df.select(pl.col(START).min().dt.year(), pl.col(END).max().dt.year()).row(0)
        hol = public_holidays(land, int(first) - 1, int(last) + 1)
        wait_days = office_days(inst.local(PREV_END), inst.local(wait_end), hol)
        proc_days = office_days(inst.local(START), inst.local(END), hol)
        df = df.with_columns(pl.Series(WAIT, wait_days, dtype=pl.Float64),
                             pl.Series(PROC, proc_days, dtype=pl.Float64))
        df = df.with_columns(pl.when(pl.col(HAS_START)).then(pl.col(PROC)).alias(PROC))
    elif working_days:
        df = df.with_columns(pl.lit(None, pl.Float64).alias(WAIT),
                             pl.lit(None, pl.Float64).alias(PROC))
    inst.frame = df
    return inst


def read_instances(log: object, options: ImportOptions | None = None, *,
                   working_days: bool = False, land: str = DEFAULT_LAND,
                   timezone: str = "Europe/Berlin") -> Instances:
    """:func:`load` + :func:`activity_instances`."""
    loaded = load(log, options)
    return activity_instances(loaded.frame, working_days=working_days, land=land,
                              timezone=timezone, source=loaded.source,
                              has_staff_ids=loaded.staff, dates_left_out=loaded.dates_left_out)

