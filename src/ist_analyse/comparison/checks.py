"""Checks of the comparison's own conclusions, and warnings when the data cannot carry one.

* **placebo change dates**: the same tests (``case_duration`` with the block bootstrap of
  :mod:`.blocks` and the comparison's block length, ``rework_rate``) at
  dates inside the before period where nothing changed, with the log cut at the real change
  date (so the placebo "after" group is censored as the real one is). Placebo dates at 1/3 and
  2/3 of the before period, each side at least :data:`MIN_PLACEBO_WEEKS` weeks. Significant
  placebo results mean the method finds differences where there are none here (trend,
  season, workload): the real verdict must then be read with care.
* **shifted change date**: ``case_duration`` with the change date moved by ±4 weeks. A real
  effect of the change should not appear equally (or more strongly) at a wrong date.
* **open share** per group: many open cases mean the after figures rest on few closings.
* **workload**: when the workload changed by at least 10 % (:func:`.context.workload`), a
  warning names it and the KPIs whose verdict became ``confounded``.

The placebo and shifted-date tests use :data:`CHECK_BOOT` resamples (their p-values only
feed warnings).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ist_analyse.comparison import blocks as B
from ist_analyse.comparison import kpis as K
from ist_analyse.comparison import periods as P
from ist_analyse.comparison import survival as S
from ist_analyse.notes import Note, NoteCode

MIN_PLACEBO_WEEKS = 8
#: bootstrap resamples of the placebo and shifted-date tests
CHECK_BOOT = 199
SHIFT_WEEKS = (-4, 4)
#: warn above this share of open cases in a group
OPEN_WARN = 0.3
#: warn when the weekly arrivals changed by more than this share
ARRIVALS_WARN = 0.2
#: warn when the after group spans fewer weeks
MIN_AFTER_WEEKS = 12


def _censor_at(cases: pl.DataFrame, at: pd.Timestamp) -> pl.DataFrame:
    """The cases as if the log had been exported at ``at``."""
    cut = at.to_pydatetime()
    closed = pl.col(P.CLOSED) & (pl.col(P.END) <= cut)
    return cases.with_columns(closed.alias(P.CLOSED)).with_columns(
        ((pl.when(pl.col(P.CLOSED)).then(pl.col(P.END)).otherwise(pl.lit(cut))
          - pl.col(P.START)).dt.total_microseconds() / P.DAY_US).clip(lower_bound=0.0)
        .alias(P.DURATION))


def _group(src: P.Group, cases: pl.DataFrame, as_of: pd.Timestamp, label: str) -> P.Group:
    inst = src.inst.filter(pl.col("case").is_in(cases[P.CASE].implode()))
    return P.Group(label=label, cases=cases, inst=inst, as_of=as_of, start=src.start,
                   end=as_of, source=src.source)


def _dur(cases: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (cases[P.DURATION].to_numpy().astype(float),
            cases[P.CLOSED].to_numpy().astype(bool))


def _weeks(cases: pl.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    return B.week_index(cases[P.START].dt.epoch("us").to_numpy() / P.DAY_US,
                        pd.Timestamp(origin).value / 1e9 / 86_400)


def _block_p(early: pl.DataFrame, late: pl.DataFrame, split: pd.Timestamp, first: pd.Timestamp,
             *, alpha: float, block_weeks: int | None, seed: int = 0
             ) -> S.SurvivalComparison:
    return S.compare_survival(_dur(early), _dur(late), alpha=alpha, n_boot=CHECK_BOOT,
                              seed=seed, weeks_before=_weeks(early, first),
                              weeks_after=_weeks(late, split), block_weeks=block_weeks,
                              period_noise=B.PERIOD_NOISE_DURATION)


def placebo(before: P.Group, at: pd.Timestamp, *, alpha: float, min_n: int,
            window: float, block_weeks: int | None = None) -> list[dict[str, Any]]:
    cases = _censor_at(before.cases.filter(pl.col(P.START) < at.to_pydatetime()), at)
    if not len(cases):
        return []
    first = pd.Timestamp(cases[P.START].min())
    span = at - first
    out = []
    for frac in (1 / 3, 2 / 3):
        d = first + span * frac
        if (d - first).days < 7 * MIN_PLACEBO_WEEKS or (at - d).days < 7 * MIN_PLACEBO_WEEKS:
            continue
        early = cases.filter(pl.col(P.START) < d.to_pydatetime())
        late = cases.filter(pl.col(P.START) >= d.to_pydatetime())
        tb, ta = _dur(early), _dur(late)
        p = (_block_p(early, late, d, first, alpha=alpha, block_weeks=block_weeks).p_value
             if tb[1].sum() >= min_n and ta[1].sum() >= min_n else None)
        out.append({"date": P.local_date(d), "kpi": "case_duration", "p_value": p,
                    "significant": None if p is None else p < alpha})
        gb, ga = _group(before, early, at, "early"), _group(before, late, at, "late")
        gb.start, ga.start = first, d
        rw = K.rework_kpis(gb, ga, window, alpha=alpha, min_n=min_n, k_min=1,
                           block_weeks=block_weeks, n_boot=CHECK_BOOT,
                           period_noise=B.PERIOD_NOISE_REWORK)[0]
        out.append({"date": P.local_date(d), "kpi": "rework_rate", "p_value": rw.p_value,
                    "significant": None if rw.p_value is None else rw.p_value < alpha})
    return out


def shifted(loaded: P.Loaded, at: pd.Timestamp, washout: int, *, alpha: float,
            min_n: int, block_weeks: int | None = None) -> list[dict[str, Any]]:
    out = []
    starts = loaded.cases[P.START]
    for w in SHIFT_WEEKS:
        d = at + pd.Timedelta(weeks=w)
        b = loaded.cases.filter(starts < d.to_pydatetime())
        a = loaded.cases.filter(starts >= (d + pd.Timedelta(days=washout)).to_pydatetime())
        tb, ta = _dur(b), _dur(a)
        if tb[1].sum() < min_n or ta[1].sum() < min_n:
            out.append({"shift_weeks": w, "date": P.local_date(d), "difference": None,
                        "p_value": None, "significant": None})
            continue
        first = pd.Timestamp(loaded.cases[P.START].min())
        s = _block_p(b, a, d + pd.Timedelta(days=washout), first, alpha=alpha,
                     block_weeks=block_weeks)
        p = s.p_value
        out.append({"shift_weeks": w, "date": P.local_date(d),
                    "difference": s.median_difference, "p_value": p,
                    "significant": None if p is None else p < alpha})
    return out


def run_checks(mode: str, loaded: P.Loaded, before: P.Group, after: P.Group,
               rows: list[K.Kpi], surv: S.SurvivalComparison, mix: dict[str, Any], *,
               at: pd.Timestamp | None, washout: int, alpha: float, min_n: int,
               enabled: bool, window: float, block_weeks: int | None = None,
               workload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``checks`` part of the JSON document, with the warnings."""
    open_b = before.open_cases / before.n if before.n else None
    open_a = after.open_cases / after.n if after.n else None
    plc: list[dict[str, Any]] = []
    sh: list[dict[str, Any]] = []
    if enabled and mode == "change" and at is not None:
        plc = placebo(before, at, alpha=alpha, min_n=min_n, window=window,
                      block_weeks=block_weeks)
        sh = shifted(loaded, at, washout, alpha=alpha, min_n=min_n, block_weeks=block_weeks)
    # each warning is a Note: its English text for the CLI and JSON, its code and raw values
    # for the report, which writes it in its own language (ist_analyse.reporting.i18n.NOTES)
    warn: list[str] = []
    byname = {k.kpi: k for k in rows}
    dur = byname["case_duration"]
    for name, share in (("before", open_b), ("after", open_a)):
        if share is not None and share > OPEN_WARN:
            warn.append(Note(NoteCode.OPEN_SHARE_HIGH, f"{share:.0%} of the {name} cases are "
                             "still open at the export date: their durations are censored and "
                             "the median rests on the cases closed so far; wait for more "
                             "closings before drawing conclusions", share=share, group=name))
    if dur.verdict == "not_enough_data":
        warn.append(Note(NoteCode.DURATION_TOO_FEW_CLOSED, "too few closed cases for a "
                         f"verdict on case duration (at least {min_n} closed cases per group "
                         "are needed)", min_n=min_n))
    if dur.before is None or dur.after is None:
        warn.append(Note(NoteCode.MEDIAN_NOT_REACHED, "the median case duration is not reached "
                         "in a group (fewer than half of its cases are closed); compare the "
                         "restricted mean (RMST) instead"))
    weeks_after = (after.end - after.start).days / 7
    if mode == "change" and weeks_after < MIN_AFTER_WEEKS:
        warn.append(Note(NoteCode.AFTER_PERIOD_SHORT, f"only {weeks_after:.0f} weeks after the "
                         "change: effects on long procedures cannot be seen yet",
                         weeks=weeks_after))
    arr = byname.get("arrivals_per_week")
    if arr is not None and arr.before and arr.after is not None and \
            abs(arr.after / arr.before - 1) > ARRIVALS_WARN:
        change = arr.after / arr.before - 1
        warn.append(Note(NoteCode.ARRIVALS_CHANGED, "the number of new cases per week changed "
                         f"by {change:+.0%}: a different workload can explain changes in waits "
                         "and durations as well as the change itself", change=change))
    load = workload or {}
    if load.get("change") is not None and abs(load["change"]) >= K.WORKLOAD_RELEVANCE \
            and load.get("significant"):
        names = list(load.get("confounded") or [])
        weeks, change = load["window_days"] // 7, load["change"]
        text = (f"the workload (new cases per week in the {weeks} weeks before each case's "
                f"start) changed by {change:+.0%} between the groups: differences in "
                "durations, waits and rework that point the way this workload change predicts "
                "cannot be attributed to the process change")
        if names:
            warn.append(Note(NoteCode.WORKLOAD_CONFOUNDED, text + f" ({len(names)} KPIs marked "
                             "'confounded': " + ", ".join(names[:5])
                             + (", ..." if len(names) > 5 else "") + ")",
                             weeks=weeks, change=change, count=len(names), kpis=names))
        else:
            warn.append(Note(NoteCode.WORKLOAD_CHANGED, text, weeks=weeks, change=change))
    if mix.get("shifted"):
        warn.append(Note(NoteCode.CASE_MIX_SHIFTED, f"the case mix ({mix.get('attribute')}) "
                         f"differs between the groups (chi-square p = {mix['p_value']:.3g}); "
                         "see the comparison per case type", attribute=mix.get("attribute"),
                         p=mix["p_value"]))
    bad = [p for p in plc if p["significant"]]
    if bad:
        warn.append(Note(NoteCode.PLACEBO_SIGNIFICANT, f"{len(bad)} of {len(plc)} placebo tests "
                         "at dates without a change are significant: the data have trends or "
                         "seasons that the comparison cannot separate from an effect",
                         count=len(bad), total=len(plc)))
    if sh and dur.significant:
        stronger = [s for s in sh if s["p_value"] is not None and dur.p_value is not None
                    and s["p_value"] < dur.p_value and s["significant"]]
        if stronger:
            weeks = max(abs(w) for w in SHIFT_WEEKS)
            warn.append(Note(NoteCode.SHIFTED_DATE_CLEARER, f"with the change date moved by "
                             f"±{weeks} weeks the case-duration difference is as clear or "
                             "clearer: the change may have started at another time, or the "
                             "difference is a trend", weeks=weeks))
    if mode == "change" and enabled and not plc:
        warn.append(Note(NoteCode.PLACEBO_PERIOD_TOO_SHORT, "the before period is too short "
                         f"for placebo checks (needs {2 * MIN_PLACEBO_WEEKS} weeks)",
                         weeks=2 * MIN_PLACEBO_WEEKS))
    return {"placebo": plc, "shifted": sh, "open_share": {"before": open_b, "after": open_a},
            "warnings": warn}
