"""Where applications wait: transitions ranked by total waiting, rework, sojourn, flow, workload.

The first question of an Ist-Analyse is where cases lose time. :func:`bottlenecks` answers it
for every transition a → b (how many cases, how long they waited: median, mean, 90th percentile,
total, share of all waiting), per activity (waiting before it, processing where the log has
start times, sojourn, rework), per week (arrivals, completions, work in progress) and per role.
Times are in days (calendar days, or office days of a Land with ``working_days``) so they can be
held against legal deadlines. All figures are computed on Polars (see benchmarks/README.md for
the measurement behind that choice); definitions in :mod:`ist_analyse.analysis.instances`.

Privacy: any figure about fewer than ``k_min`` cases is blanked and its row marked
``suppressed``; nothing is ever shown per staff member, only per role or team.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ist_analyse.analysis import instances as I
from ist_analyse.analysis.calendar import DEFAULT_LAND, check_land
from ist_analyse.analysis.dfg import P90, transition_table
from ist_analyse.analysis.progress import steps
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions
from ist_analyse.errors import ConfigError
from ist_analyse.inspection import LogLike
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import (
    FLAG,
    K_MIN_DEFAULT,
    check_k_min,
    suppress_rows,
)

#: every figure of a transition row: all blanked together when it is about too few cases
TRANSITION_FIGURES = ["cases", "occurrences", "median_wait_days", "mean_wait_days",
                      "p90_wait_days", "total_wait_days", "share", "min_wait_days",
                      "max_wait_days"]


@dataclass
class Bottlenecks:
    """The result of :func:`bottlenecks`; ``to_dict()`` is the ``--json`` document.

    Attributes:
        transitions: one row per transition a → b: ``from``, ``to``, ``cases`` (cases in which
            it occurs), ``occurrences``, ``median_wait_days``, ``mean_wait_days``,
            ``p90_wait_days``, ``total_wait_days`` (sum over occurrences), ``share`` (of the
            waiting summed over all transitions), ``min_wait_days``, ``max_wait_days``,
            ``suppressed``; ranked by total waiting, suppressed rows last. Cut to ``top`` rows
            if asked.
        activities: per activity: ``cases``, ``instances``, ``rework_cases`` (cases in which it
            occurs more than once), ``rework_share`` (of the cases with the activity), waiting
            before it, processing (only instances with a start time), sojourn.
        weekly: per calendar week (Monday, local time): ``arrivals`` (cases whose first step
            starts that week), ``completions`` (cases completed that week), ``wip`` (cases open
            at the end of the week).
        workload: per role: ``instances``, ``cases``, ``staff`` (distinct staff ids, where
            known), ``share``, ``instances_per_week``, processing time; ``None`` without a
            ``role`` column (nothing is ever reported per person).
    """

    source: str
    unit: str
    working_days: bool
    land: str | None
    k_min: int
    cases: int
    instances: int
    has_start_times: bool
    transitions: pd.DataFrame
    transitions_total: int
    activities: pd.DataFrame
    weekly: pd.DataFrame
    workload: pd.DataFrame | None
    total_wait_days: float | None
    completion: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "unit": self.unit,
            "working_days": self.working_days,
            "land": self.land,
            "k_min": self.k_min,
            "cases": self.cases,
            "instances": self.instances,
            "has_start_times": self.has_start_times,
            "total_wait_days": self.total_wait_days,
            "transitions_total": self.transitions_total,
            "transitions": records(self.transitions),
            "activities": records(self.activities),
            "weekly": records(self.weekly),
            "workload": records(self.workload) if self.workload is not None else None,
            "completion": self.completion,
            "notes": list(self.notes),
        }


def bottlenecks(log: LogLike, options: ImportOptions | None = None, *,
                top: int | None = None, working_days: bool = False, land: str = DEFAULT_LAND,
                k_min: int = K_MIN_DEFAULT,
                end_activities: Sequence[str] | None = None,
                timezone: str | None = None,
                progress: bool | None = None) -> Bottlenecks:
    """Rank the transitions of a log by total waiting time; add rework, flow and workload.

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an
            :class:`~ist_analyse.io.pipeline.ImportResult`, or a canonical DataFrame.
        options: import options when ``log`` is a path (their ``end_activities`` and
            ``timezone`` are used too).
        top: keep only the first ``top`` transitions (shares are still of all waiting).
        working_days: count office days (Mon–Fri without the public holidays of ``land``)
            instead of calendar days.
        land: Land code for the holidays (``HE``, ``BY``, ``NW`` ...).
        k_min: figures about fewer cases are suppressed (1 switches that off).
        end_activities: activities that close a case; without them a case counts as completed
            at its last step (default: ``options.end_activities``).
        timezone: local time zone for office days and weeks (default: the options' or
            Europe/Berlin).
        progress: show a progress bar on stderr (default: when stderr is a terminal).

    Returns:
        :class:`Bottlenecks`.

    Raises:
        ConfigError: ``top``, ``k_min`` or ``land`` is not usable; IstAnalyseError subclasses
            from reading the log.

    Example:
        >>> b = bottlenecks("sample_logs/receipt_export_de.csv", top=3)    # doctest: +SKIP
        >>> b.transitions[["from", "to", "cases", "median_wait_days"]]     # doctest: +SKIP
    """
    k_min = check_k_min(k_min)
    if top is not None and (isinstance(top, bool) or top < 1):
        raise ConfigError(f"--top must be a whole number >= 1, got {top!r}")
    land = check_land(land)
    if options is not None:
        options = options.with_mapping_file()
    ends = list(end_activities if end_activities is not None
                else (options.end_activities if options else ()))
    tz = timezone or (options.timezone if options else DEFAULT_TIMEZONE)
    with steps(5, "reading the log", progress) as advance:
        frame, source, staff, left_out = I.load(log, options)
        advance("directly-follows transitions and waiting times")
        inst = I.activity_instances(frame, working_days=working_days, land=land, timezone=tz,
                                    source=source, has_staff_ids=staff,
                                    dates_left_out=left_out)
        del frame
        trans = transition_stats(inst)
        transitions_total = len(trans)
        total_wait = float(trans["total_wait_days"].sum()) if len(trans) else 0.0
        trans["share"] = trans["total_wait_days"] / total_wait if total_wait > 0 else np.nan
        trans = suppress_rows(trans, count="cases", columns=TRANSITION_FIGURES, k_min=k_min,
                              total_shown=True)
        trans = rank(trans, "total_wait_days", ["from", "to"])
        if top is not None:
            trans = trans.head(top).reset_index(drop=True)
        advance("activities: waiting, processing, rework")
        acts = activity_stats(inst, k_min)
        advance("arrivals, completions and work in progress per week")
        weekly, completion = weekly_flow(inst, ends, k_min)
        advance("workload per role")
        workload, work_note = workload_per_role(inst, k_min)
    notes = inst.notes()
    if work_note:
        notes.append(work_note)
    if not inst.has_start_times:
        notes.append(Note(NoteCode.NO_START_TIMES, "the log has no start times: waiting is "
                          "measured from one completion to the next and includes the "
                          "processing of the later step"))
    all_suppressed = bool(trans[FLAG].all()) if len(trans) else False
    return Bottlenecks(
        source=inst.source, unit=inst.unit, working_days=working_days,
        land=inst.land, k_min=k_min, cases=inst.cases, instances=len(inst.frame),
        has_start_times=inst.has_start_times, transitions=trans,
        transitions_total=transitions_total, activities=acts, weekly=weekly,
        workload=workload,
        total_wait_days=None if inst.cases < k_min or all_suppressed else total_wait,
        completion=completion, notes=notes)


# ---- the tables (unsuppressed; callers apply the privacy rule) ----------------------------

def transition_stats(inst: I.Instances) -> pd.DataFrame:
    """Per transition a → b: cases, occurrences, waiting median/mean/p90/total/min/max (days),
    unsuppressed (callers apply the privacy rule); :func:`~ist_analyse.analysis.dfg.
    transition_table` as a pandas table."""
    df = transition_table(inst).to_pandas()
    df["from"] = df["from"].astype(object)
    df["to"] = df["to"].astype(object)
    for col in ("cases", "occurrences"):
        df[col] = df[col].astype("int64")
    return df


def activity_stats(inst: I.Instances, k_min: int) -> pd.DataFrame:
    """Per activity: cases, instances, rework, waiting before it, processing, sojourn."""
    f = inst.frame.lazy().with_columns(
        pl.when(pl.col(I.PREV_ACT).is_not_null())
        .then(pl.col(I.WAIT) + pl.col(I.PROC).fill_null(0.0)).alias("sojourn"))
    has_prev = pl.col(I.PREV_ACT).is_not_null()
    has_proc = pl.col(I.PROC).is_not_null()
    wait = pl.col(I.WAIT).filter(has_prev)
    proc = pl.col(I.PROC).filter(has_proc)
    soj = pl.col("sojourn").filter(has_prev)
    agg = (f.group_by(I.ACT).agg(
        pl.col(I.CASE).n_unique().alias("cases"),
        pl.len().alias("instances"),
        pl.col(I.CASE).filter(has_prev).n_unique().alias("wait_cases"),
        wait.median().alias("median_wait_days"),
        wait.mean().alias("mean_wait_days"),
        wait.quantile(P90, "linear").alias("p90_wait_days"),
        pl.col(I.CASE).filter(has_proc).n_unique().alias("processing_cases"),
        proc.len().alias("processing_instances"),
        proc.median().alias("median_processing_days"),
        proc.mean().alias("mean_processing_days"),
        proc.quantile(P90, "linear").alias("p90_processing_days"),
        soj.median().alias("median_sojourn_days"),
        soj.mean().alias("mean_sojourn_days"),
        soj.quantile(P90, "linear").alias("p90_sojourn_days"),
    ).with_columns(pl.col(I.ACT).cast(pl.String)).collect())
    # rework: runs of equal (case, activity) keys after one integer sort (much cheaper than
    # grouping by two million (case, activity) pairs)
    codes = inst.frame.select(pl.col(I.CASE), pl.col(I.ACT).cast(pl.Categorical).alias("a"))
    runs = (codes.select((pl.col(I.CASE).cast(pl.UInt64) * (1 << 32)
                          + pl.col("a").to_physical().cast(pl.UInt64)).alias("k"))
            .to_series().sort().rle().struct.unnest())
    names = codes.select(pl.col("a").unique()).select(
        pl.col("a").to_physical().cast(pl.UInt64).alias("code"),
        pl.col("a").cast(pl.String).alias(I.ACT))
    rework = (runs.filter(pl.col("len") > 1)
              .group_by((pl.col("value") % (1 << 32)).alias("code"))
              .agg(pl.len().alias("rework_cases"))
              .join(names, on="code").drop("code"))
    agg = (agg.join(rework, on=I.ACT, how="left")
           .with_columns(pl.col("rework_cases").fill_null(0)))
    df = agg.sort(I.ACT).to_pandas()
    df["activity"] = df["activity"].astype(object)
    for col in ("cases", "instances", "wait_cases", "processing_cases", "processing_instances",
                "rework_cases"):
        df[col] = df[col].astype("int64")
    df["rework_share"] = df["rework_cases"] / df["cases"]
    df = df[["activity", "cases", "instances", "rework_cases", "rework_share", "wait_cases",
             "median_wait_days", "mean_wait_days", "p90_wait_days", "processing_cases",
             "processing_instances", "median_processing_days", "mean_processing_days",
             "p90_processing_days", "median_sojourn_days", "mean_sojourn_days",
             "p90_sojourn_days"]]
    # each group of figures is about its own set of cases
    df = suppress_rows(df, count="wait_cases", k_min=k_min,
                       columns=["wait_cases", "median_wait_days", "mean_wait_days",
                                "p90_wait_days", "median_sojourn_days", "mean_sojourn_days",
                                "p90_sojourn_days"])
    df = suppress_rows(df, count="processing_cases", k_min=k_min,
                       columns=["processing_cases", "processing_instances",
                                "median_processing_days", "mean_processing_days",
                                "p90_processing_days"])
    df = suppress_rows(df, count="cases", k_min=k_min,
                       columns=[c for c in df.columns if c not in ("activity", FLAG)])
    df = suppress_rows(df, count="rework_cases", k_min=k_min,
                       columns=["rework_cases", "rework_share"])
    return rank(df, "cases", ["activity"])


def weekly_flow(inst: I.Instances, end_activities: Sequence[str],
                k_min: int) -> tuple[pd.DataFrame, str]:
    """Arrivals, completions and work in progress per week (Monday, local time)."""
    f = inst.frame
    cols = ["week", "week_label", "arrivals", "completions", "wip"]
    if not len(f):
        return pd.DataFrame(columns=[*cols, FLAG]), "no cases"
    local = (f.select(pl.col(I.CASE), pl.col(I.ACT),
                      pl.col(I.START).dt.convert_time_zone(inst.timezone).alias("s"),
                      pl.col(I.END).dt.convert_time_zone(inst.timezone).alias("e")))
    first = local.group_by(I.CASE).agg(pl.col("s").min().alias("t"))
    if end_activities:
        done = (local.filter(pl.col(I.ACT).cast(pl.String).is_in(list(end_activities)))
                .group_by(I.CASE).agg(pl.col("e").min().alias("t")))
        completion = ("a case is completed when one of its end activities is done ("
                      + ", ".join(end_activities) + "); other cases are open")
    else:
        done = local.group_by(I.CASE).agg(pl.col("e").max().alias("t"))
        completion = ("every case counts as completed at its last step (give end activities "
                      "to count open cases correctly)")

    def per_week(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return (frame.with_columns(pl.col("t").dt.truncate("1w").dt.date().alias("week"))
                .group_by("week").len().rename({"len": name}))

    lo = local.select(pl.col("s").min().dt.truncate("1w").dt.date()).item()
    hi = local.select(pl.col("e").max().dt.truncate("1w").dt.date()).item()
    weeks = pl.DataFrame({"week": pl.date_range(lo, hi, "1w", eager=True)})
    table = (weeks.join(per_week(first, "arrivals"), on="week", how="left")
             .join(per_week(done, "completions"), on="week", how="left")
             .with_columns(pl.col("arrivals").fill_null(0), pl.col("completions").fill_null(0))
             .with_columns((pl.col("arrivals").cum_sum() - pl.col("completions").cum_sum())
                           .alias("wip"))
             .sort("week"))
    df = table.to_pandas()
    iso = pd.to_datetime(df["week"]).dt.isocalendar()
    df["week_label"] = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    df["week"] = df["week"].astype(str)
    for col in ("arrivals", "completions", "wip"):
        df[col] = df[col].astype("int64")
    # a week is blanked whole, never one cell of it: open cases now minus open cases last week
    # is arrivals minus completions, and the columns add up to published totals, so a single
    # blank cell could be worked out (complementary suppression: a second week goes with it)
    df = suppress_rows(df[cols], count=["arrivals", "completions", "wip"],
                       columns=["arrivals", "completions", "wip"], k_min=k_min,
                       total_shown=True, order="arrivals")
    return df, completion


def workload_per_role(inst: I.Instances, k_min: int) -> tuple[pd.DataFrame | None, str | None]:
    """Workload per role or team; never per staff member (``None`` without roles)."""
    f = inst.frame
    if I.ROLE not in f.columns:
        if inst.has_staff_ids:
            return None, Note(NoteCode.STAFF_IDS_WITHOUT_ROLES, "workload is reported per "
                              "role or team only: the log has staff ids but no role; map staff "
                              "ids to roles ([staff] in the mapping file or --role-col). "
                              "Nothing is reported per person.")
        return None, None
    weeks = max(1.0, (f[I.END].max() - f[I.START].min()).total_seconds() / (7 * 86400))
    aggs = [pl.len().alias("instances"), pl.col(I.CASE).n_unique().alias("cases"),
            pl.col(I.PROC).sum().alias("processing_days"),
            pl.col(I.PROC).median().alias("median_processing_days")]
    if I.RESOURCE in f.columns:
        aggs.append(pl.col(I.RESOURCE).drop_nulls().n_unique().alias("staff"))
    g = (f.with_columns(pl.col(I.ROLE).cast(pl.String).fill_null("(no role)"))
         .group_by(I.ROLE).agg(aggs).sort(I.ROLE).to_pandas())
    g["role"] = g["role"].astype(object)
    g["share"] = g["instances"] / g["instances"].sum()
    g["instances_per_week"] = g["instances"] / weeks
    if not inst.has_start_times:
        g["processing_days"] = np.nan
        g["median_processing_days"] = np.nan
    for col in ("instances", "cases", *(["staff"] if "staff" in g else [])):
        g[col] = g[col].astype("int64")
    cols = ["role", "instances", "cases", *(["staff"] if "staff" in g else []), "share",
            "instances_per_week", "processing_days", "median_processing_days"]
    g = g[cols]
    counts = ["cases", *(["staff"] if "staff" in g else [])]
    g = suppress_rows(g, count=counts, columns=[c for c in cols if c != "role"], k_min=k_min,
                      total_shown=True, order="instances")
    note = None
    if "staff" not in g:
        note = Note(NoteCode.ROLES_WITHOUT_STAFF_IDS, "roles without staff ids: a role with "
                    "fewer than k_min staff members cannot be recognised, check that no role "
                    "is a single person", k_min=k_min)
    return rank(g, "instances", ["role"]), note


# ---- helpers ------------------------------------------------------------------------------

def rank(df: pd.DataFrame, by: str, then: list[str]) -> pd.DataFrame:
    """Sort by ``by`` (largest first); rows whose ``by`` is suppressed go last in name order
    (their position would reveal their size)."""
    blank = df[by].isna().to_numpy()
    shown = df[~blank].sort_values([by, *then], ascending=[False] + [True] * len(then),
                                   kind="stable", na_position="first")
    hidden = df[blank].sort_values(then, kind="stable", na_position="first")
    return pd.concat([shown, hidden], ignore_index=True)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: missing values become None, numpy scalars Python numbers."""
    out = []
    for row in df.to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
