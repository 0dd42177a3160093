"""The two groups a comparison is about: cases before/after a change, two logs, or two values.

Every figure of a comparison is about *cohorts of cases by their start* (the first event of a
case, local time Europe/Berlin): a case belongs to the period in which it began, however long
it then ran. That keeps each case in one group and is what the simulator's ground truth uses.

* ``change``: before = cases started before the change date; after = cases started on or after
  the change date plus ``washout`` days. Cases that began inside the washout (the first weeks
  after go-live, while staff learn the new process) belong to neither group.
* ``two_logs``: before = the first log, after = the second; each has its own export date.
* ``by``: two values of a case attribute (``case_kanal``), or ``ATTR=VALUE`` against all others.

**Open cases.** A case is *closed* when one of the end activities occurred (``--end-activity``
or the mapping file). Without end activities we do not assume that the last event closed a case
(the censoring trap: every recent case would look finished and fast); instead a case counts as
closed at its last event only when nothing has happened for ``idle_days`` before the export
date, where ``idle_days`` is the 95th percentile of the gaps between consecutive events of the
log. A warning says so. Open cases enter durations as right-censored at the export date
(``as_of``, default: the last timestamp of the log; events after ``as_of`` are ignored).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ist_analyse import log as L
from ist_analyse.analysis import instances as I
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions
from ist_analyse.errors import ConfigError
from ist_analyse.notes import Note, NoteCode

DAY_US = 86_400 * 1_000_000
#: per-case columns of :attr:`Loaded.cases`
CASE, CASE_ID, START, LAST, END, CLOSED, DURATION = (
    "case", "case_id", "start", "last", "end", "closed", "duration")


@dataclass
class Loaded:
    """One log, read once: activity instances, one row per case, its export date.

    ``cases`` columns: ``case`` (the case number of ``inst.frame``), ``case_id``, ``start``,
    ``last`` (last completion), ``end`` (closing time, null while open), ``closed``,
    ``duration`` (days from start to end, or to ``as_of`` while open) and the ``case_*``
    attributes.
    """

    inst: I.Instances
    cases: pl.DataFrame
    source: str
    as_of: pd.Timestamp
    attributes: list[str]
    closing_rule: str
    log: Any = None
    options: ImportOptions | None = None
    #: the events read (up to ``as_of``), with the ``case_*`` attributes
    frame: pl.DataFrame | None = None
    heuristic_close: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Group:
    """The cases of one side of the comparison (``cases`` and ``inst`` are subsets)."""

    label: str
    cases: pl.DataFrame
    inst: pl.DataFrame
    as_of: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    source: Loaded

    @property
    def n(self) -> int:
        return len(self.cases)

    def durations(self) -> tuple[np.ndarray, np.ndarray]:
        """Days from start to close (or to ``as_of`` while open) and whether it closed."""
        return (self.cases[DURATION].to_numpy().astype(float),
                self.cases[CLOSED].to_numpy().astype(bool))

    @property
    def open_cases(self) -> int:
        return int((~self.cases[CLOSED]).sum())


def to_utc(value: Any, what: str) -> pd.Timestamp:
    """A date (``2024-07-01``, ``01.07.2024``, date, datetime) as UTC; a date means local
    midnight in Europe/Berlin.

    Raises:
        ConfigError: not a date.
    """
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
    elif isinstance(value, dt.date):
        ts = pd.Timestamp(value.isoformat())
    else:
        text = str(value).strip()
        ts = None
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                ts = pd.Timestamp(dt.datetime.strptime(text, fmt))
                break
            except ValueError:
                continue
        if ts is None:
            try:
                ts = pd.Timestamp(text)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{what} '{value}' is not a date",
                                  hint="write it as JJJJ-MM-TT (2024-07-01) or TT.MM.JJJJ") \
                    from exc
    if pd.isna(ts):
        raise ConfigError(f"{what} '{value}' is not a date", hint="e.g. 2024-07-01")
    if ts.tzinfo is None:
        ts = ts.tz_localize(DEFAULT_TIMEZONE, ambiguous=False, nonexistent="shift_forward")
    return ts.tz_convert("UTC")


def local_date(ts: pd.Timestamp | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert(DEFAULT_TIMEZONE).date().isoformat()


def load(log: Any, options: ImportOptions | None = None, *,
         end_activities: list[str] | tuple[str, ...] | None = None,
         as_of: Any = None) -> Loaded:
    """Read a log once for a comparison (see the module docstring for open/closed)."""
    if options is not None:
        options = options.with_mapping_file()
    ends = list(end_activities if end_activities is not None
                else (options.end_activities if options else ()))
    tz = options.timezone if options else DEFAULT_TIMEZONE
    frame, source, staff, left_out = _frame_with_attributes(log, options)
    if not len(frame):
        raise ConfigError(f"{source}: the log has no events")
    if as_of is not None:
        ref = to_utc(as_of, "as-of date")
        if pd.Timestamp(ref).tz_convert("UTC") < pd.Timestamp(frame[L.TIMESTAMP].min()):
            raise ConfigError(f"as-of date {local_date(ref)} is before the first event of "
                              f"{source}", hint="give the export date of the log")
        frame = frame.filter(pl.col(L.TIMESTAMP) <= ref.to_pydatetime())
    else:
        ref = pd.Timestamp(frame[L.TIMESTAMP].max()).tz_convert("UTC")
    if not frame[L.CASE_ID].cast(pl.String).is_sorted():
        frame = frame.sort(L.CASE_ID, maintain_order=True)
    attrs = [c for c in frame.columns if c.startswith(L.CASE_PREFIX) and c != L.CASE_ID]
    # a sorted case id makes the instance frame number cases in this order (rle ids)
    per_case = (frame.group_by(L.CASE_ID, maintain_order=True)
                .agg([pl.col(c).drop_nulls().first() for c in attrs]))
    inst = I.activity_instances(frame.drop(attrs), timezone=tz, source=source,
                                has_staff_ids=staff, dates_left_out=left_out)
    f = inst.frame
    agg = f.group_by(I.CASE).agg(pl.col(I.START).min().alias(START),
                                 pl.col(I.END).max().alias(LAST))
    notes: list[str] = []
    heuristic = False
    if ends:
        missing = [e for e in ends if e not in set(f[I.ACT].cast(pl.String).unique())]
        if len(missing) == len(ends):
            name = Path(str(source)).name
            notes.append(Note(NoteCode.END_ACTIVITIES_MISSING, "none of the end activities ("
                              + ", ".join(ends) + f") occurs in {name}: every case counts as "
                              "open", ends=list(ends), file=name))
        closing = (f.filter(pl.col(I.ACT).cast(pl.String).is_in(ends))
                   .group_by(I.CASE).agg(pl.col(I.END).min().alias(END)))
        agg = agg.join(closing, on=I.CASE, how="left")
        rule = "a case is closed when one of its end activities occurred (" + \
            ", ".join(ends) + ")"
    else:
        waits = f[I.WAIT].drop_nulls()
        idle = float(np.quantile(waits.to_numpy(), 0.95)) if len(waits) else 0.0
        idle = max(idle, 1.0)
        cutoff = (ref - pd.Timedelta(days=idle)).floor("us")
        agg = agg.with_columns(pl.when(pl.col(LAST) <= cutoff.to_pydatetime())
                               .then(pl.col(LAST)).alias(END))
        heuristic = True
        # a warning of the comparison too: a Note, so that the report can write it in German
        rule = Note(NoteCode.CLOSED_BY_IDLE_TIME, "no end activities given: a case counts as "
                    f"closed at its last event when nothing happened in the {idle:.0f} days "
                    "before the export date (95th percentile of the gaps between events); give "
                    "--end-activity for exact figures", days=idle)
    as_of_py = ref.to_pydatetime()
    cases = (agg.sort(I.CASE)
             .with_columns(pl.col(END).is_not_null().alias(CLOSED))
             .with_columns(((pl.coalesce(pl.col(END), pl.lit(as_of_py)) - pl.col(START))
                            .dt.total_microseconds() / DAY_US).clip(lower_bound=0.0)
                           .alias(DURATION)))
    ids = per_case.with_row_index(CASE).with_columns(pl.col(CASE).cast(pl.UInt32))
    cases = cases.with_columns(pl.col(I.CASE).cast(pl.UInt32)).join(
        ids.rename({L.CASE_ID: CASE_ID}), on=CASE, how="left")
    return Loaded(inst=inst, cases=cases, source=source, as_of=ref, attributes=attrs,
                  closing_rule=rule, log=log, options=options, frame=frame,
                  heuristic_close=heuristic,
                  notes=notes + inst.notes())


def _frame_with_attributes(log: Any, options: ImportOptions | None) -> I.Loaded:
    """:func:`ist_analyse.analysis.instances.load` plus the ``case_*`` attribute columns
    (a canonical Parquet file is read directly, anything else through the importer once)."""
    if isinstance(log, str | Path) and Path(log).is_file():
        found = I._canonical_parquet(Path(log), options)
        if found is not None:
            frame, source, staff, left_out = found
            names = list(pl.read_parquet_schema(Path(log)))
            attrs = [c for c in names if c.startswith(L.CASE_PREFIX) and c != L.CASE_ID]
            if attrs:
                extra = pl.read_parquet(Path(log), columns=attrs)
                frame = pl.concat([frame, extra.with_columns(pl.all().cast(pl.String))],
                                  how="horizontal")
            return I.Loaded(frame, source, staff, left_out)
    from ist_analyse.inspection import as_import_result

    res = as_import_result(log, options)
    frame, source, staff, left_out = I.load(res, options)
    df = res.log
    attrs = [c for c in df.columns if c.startswith(L.CASE_PREFIX) and c != L.CASE_ID]
    if attrs:
        extra = pl.from_pandas(df[attrs].astype("string").reset_index(drop=True))
        frame = pl.concat([frame, extra], how="horizontal")
    return I.Loaded(frame, source, staff, left_out)


def _subset(loaded: Loaded, mask: np.ndarray | pl.Series, label: str, start: pd.Timestamp,
            end: pd.Timestamp) -> Group:
    cases = loaded.cases.filter(pl.Series(np.asarray(mask, dtype=bool)))
    ids = cases[CASE]
    inst = loaded.inst.frame.filter(pl.col(I.CASE).is_in(ids.implode()))
    return Group(label=label, cases=cases, inst=inst, as_of=loaded.as_of, start=start,
                 end=end, source=loaded)


def _starts(loaded: Loaded) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(loaded.cases[START].to_pandas()).tz_convert("UTC")


def split_change(loaded: Loaded, change: Any, washout: int) -> tuple[Group, Group,
                                                                     pd.Timestamp]:
    """Before/after groups around a change date (module docstring).

    Raises:
        ConfigError: the date is not inside the log, the washout is negative, or a side has no
            cases.
    """
    if isinstance(washout, bool) or not isinstance(washout, int | np.integer) or washout < 0:
        raise ConfigError(f"the washout must be a whole number of days >= 0, got {washout!r}")
    at = to_utc(change, "change date")
    starts = _starts(loaded)
    first, last = starts.min(), loaded.as_of
    if not first < at < last:
        raise ConfigError(
            f"change date {local_date(at)} is not inside the log ({local_date(first)} – "
            f"{local_date(last)})", hint="give a date after the first case started and before "
            "the export date")
    after_from = at + pd.Timedelta(days=int(washout))
    before = np.asarray(starts < at)
    after = np.asarray(starts >= after_from)
    if not before.any():
        raise ConfigError(f"no case started before the change date {local_date(at)}",
                          hint="choose a later change date")
    if not after.any():
        raise ConfigError(f"no case started after the change date {local_date(at)} plus "
                          f"{washout} days of washout", hint="choose an earlier change date or "
                          "a shorter --washout")
    return (_subset(loaded, before, "before", first, at),
            _subset(loaded, after, "after", after_from, last), at)


def split_by(loaded: Loaded, by: str) -> tuple[Group, Group, str]:
    """Two groups by a case attribute: its two values, or ``ATTR=VALUE`` against the rest.

    Raises:
        ConfigError: the attribute is unknown, does not have exactly two values, or a group
            has no cases.
    """
    name, _, value = by.partition("=")
    name = name.strip()
    col = name if name.startswith(L.CASE_PREFIX) else L.CASE_PREFIX + name
    have = [a[len(L.CASE_PREFIX):] for a in loaded.attributes]
    if col not in loaded.cases.columns:
        raise ConfigError(f"the log has no case attribute '{name}'",
                          hint="case attributes of this log: " + (", ".join(have) or "none"))
    values = loaded.cases[col].cast(pl.String)
    start, end = _starts(loaded).min(), loaded.as_of
    if value:
        value = value.strip()
        mask = (values == value).fill_null(False).to_numpy()
        if not mask.any():
            seen = sorted(values.drop_nulls().unique().to_list())[:20]
            raise ConfigError(f"no case has {name} = '{value}'",
                              hint="values: " + ", ".join(seen))
        if mask.all():
            raise ConfigError(f"every case has {name} = '{value}': nothing to compare with")
        other = values.is_not_null().to_numpy() & ~mask
        return (_subset(loaded, other, f"{name} ≠ {value}", start, end),
                _subset(loaded, mask, f"{name} = {value}", start, end), col)
    distinct = sorted(values.drop_nulls().unique().to_list())
    if len(distinct) != 2:
        raise ConfigError(
            f"case attribute '{name}' has {len(distinct)} values, a comparison needs two",
            hint=f"compare one value with the rest: --by '{name}="
            f"{distinct[0] if distinct else 'X'}' (values: "
            + ", ".join(map(str, distinct[:20])) + ")")
    a, b = distinct
    return (_subset(loaded, (values == a).fill_null(False).to_numpy(), f"{name} = {a}", start,
                    end),
            _subset(loaded, (values == b).fill_null(False).to_numpy(), f"{name} = {b}", start,
                    end), col)


def whole(loaded: Loaded, label: str) -> Group:
    """All cases of one log as a group (``compare BEFORE_LOG AFTER_LOG``)."""
    return _subset(loaded, np.ones(len(loaded.cases), dtype=bool), label,
                   _starts(loaded).min(), loaded.as_of)
