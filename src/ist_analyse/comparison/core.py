"""``compare``: the same KPIs for two groups of cases, with honest uncertainty.

See :mod:`.periods` (which cases, open cases), :mod:`.kpis` (definitions, tests, multiple
testing), :mod:`.survival` (censoring), :mod:`.context` (case mix), :mod:`.timeseries`,
:mod:`.checks` (placebo dates, shifted dates, warnings) and :mod:`.diffmap`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse.analysis.calendar import DEFAULT_LAND, check_land
from ist_analyse.analysis.dot import GraphvizMissing, check_drawing, finish
from ist_analyse.comparison import blocks as B
from ist_analyse.comparison import checks as C
from ist_analyse.comparison import context as X
from ist_analyse.comparison import kpis as K
from ist_analyse.comparison import periods as P
from ist_analyse.comparison import survival as S
from ist_analyse.comparison import timeseries as T
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions
from ist_analyse.errors import ConfigError
from ist_analyse.inspection import LogLike
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import K_MIN_DEFAULT, check_k_min

#: fewer observations per group than this: "not enough data", no p-value
MIN_N_DEFAULT = 20
N_BOOT_DEFAULT = 999


@dataclass
class Comparison:
    """The result of :func:`compare`; ``to_dict()`` is the ``--json`` document."""

    kpis: list[K.Kpi]
    periods: dict[str, Any]
    context: dict[str, Any]
    weekly: list[dict[str, Any]]
    survival: dict[str, Any]
    checks: dict[str, Any]
    difference_map: dict[str, Any]
    k_min: int
    alpha: float
    seconds: float
    segmented: dict[str, Any] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def kpi(self, name: str) -> K.Kpi:
        """The KPI row called ``name`` (``KeyError`` if absent)."""
        for k in self.kpis:
            if k.kpi == name:
                return k
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source, "kpis": [k.to_dict() for k in self.kpis],
            "periods": self.periods, "context": self.context, "weekly": self.weekly,
            "survival": self.survival, "checks": self.checks,
            "difference_map": self.difference_map, "k_min": self.k_min, "alpha": self.alpha,
            "seconds": round(self.seconds, 3), "notes": list(self.notes)}
        if self.segmented is not None:
            out["segmented"] = self.segmented
        return out


def _check_args(alpha: float, min_n: int, n_boot: int) -> None:
    if not (isinstance(alpha, float | int) and 0 < alpha < 0.5):
        raise ConfigError(f"alpha must be between 0 and 0.5, got {alpha!r}", hint="e.g. 0.05")
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
        raise ConfigError(f"min_n must be a whole number >= 2, got {min_n!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 99:
        raise ConfigError(f"n_boot must be a whole number >= 99, got {n_boot!r}")


def compare(log: LogLike, other: LogLike | None = None, options: ImportOptions | None = None,
            *, change: Any = None, washout: int = 0, by: str | None = None,
            rules: str | Path | list[Any] | None = None, as_of: Any = None,
            end_activities: list[str] | tuple[str, ...] | None = None,
            case_type: str | None = None, alpha: float = 0.05, k_min: int = K_MIN_DEFAULT,
            min_n: int = MIN_N_DEFAULT, seed: int = 0, n_boot: int = N_BOOT_DEFAULT,
            rework_window: float | None = None, horizon_days: float | None = None,
            checks: bool = True, segmented: bool = False,
            map_output: str | Path | None = None, land: str = DEFAULT_LAND,
            progress: bool | None = False, period_noise: bool = True) -> Comparison:
    """Compare two groups of cases: before/after a change date, two logs, or two values.

    Args:
        log: a file path or URL (read with ``options``), an ImportResult or a canonical
            DataFrame.
        other: a second log: ``log`` is "before", ``other`` is "after".
        options: import options for paths; their ``end_activities`` close cases.
        change: the change (go-live) date: cases started before it vs. after it.
        washout: days after the change whose new cases belong to neither group.
        by: a case attribute with two values (``kanal``), or ``ATTR=VALUE`` vs. the rest.
        rules: a rule file or rules; each deadline rule becomes a ``deadline:NAME`` KPI.
        as_of: the export date (default: the last timestamp; later events are ignored).
        end_activities: activities that close a case (default: the options'). Without them
            a heuristic decides (see :mod:`.periods`) and a warning says so.
        case_type: the case attribute of the case mix (default: ``verfahren`` or the first
            attribute with 2-10 values).
        alpha: significance level and false-discovery rate; CIs are ``1 - alpha``.
        k_min: figures about fewer cases are suppressed (1 switches that off).
        min_n: fewer observations per group: "not_enough_data" instead of a verdict.
        seed, n_boot: bootstrap random seed and resamples (same seed, same result).
        rework_window: days within which a repetition counts as rework (default: data-driven,
            :mod:`.kpis`).
        horizon_days: RMST horizon τ (default: :mod:`.survival`).
        checks: run placebo and shifted-date checks (change mode).
        segmented: add a segmented regression of the weekly series (change mode).
        map_output: write the difference process map here (.svg/.png/.pdf).
        land: Land for office-day deadline rules.
        progress: show a progress bar on stderr.
        period_noise: add the between-period variance component to ``case_duration`` and
            ``rework_rate`` (:mod:`.blocks`); ``False`` gives intervals for exactly these two
            cohorts.

    Returns:
        :class:`Comparison`.

    Raises:
        ConfigError: not exactly one of ``change``/``other``/``by``; a date outside the log;
            an unknown attribute; a group without cases; a bad option.

    Example:
        >>> r = compare("sample_logs/abh_checklist_2024.parquet", change="2024-07-01",
        ...             end_activities=["Vorgang abgeschlossen"])  # doctest: +SKIP
        >>> r.kpi("case_duration").verdict                          # doctest: +SKIP
        'faster'
    """
    from ist_analyse.analysis.progress import steps

    began = time.perf_counter()
    k_min = check_k_min(k_min)
    land = check_land(land)
    _check_args(alpha, min_n, n_boot)
    modes = [m for m, v in (("change", change), ("two_logs", other), ("by", by))
             if v is not None]
    if len(modes) != 1:
        raise ConfigError("give exactly one of: a change date, a second log, or --by",
                          hint="compare LOG --change 2024-07-01 | compare BEFORE AFTER | "
                          "compare LOG --by kanal")
    mode = modes[0]
    inputs = check_drawing(map_output, log, other, rules, options=options)
    rule_list = None
    missing: GraphvizMissing | None = None  # the map that could not be drawn
    if rules is not None:
        from ist_analyse.analysis.rules import load_rules

        rule_list = load_rules(rules) if isinstance(rules, str | Path) else list(rules)
    if options is not None:
        options = options.with_mapping_file()
    ends = list(end_activities if end_activities is not None
                else (options.end_activities if options else ()))
    tz = options.timezone if options else DEFAULT_TIMEZONE
    notes: list[str] = []
    at = washout_end = None
    with steps(5, "reading the log", progress) as advance:
        loaded = P.load(log, options, end_activities=ends, as_of=as_of)
        if mode == "change":
            before, after, at = P.split_change(loaded, change, washout)
            washout_end = at + pd.Timedelta(days=int(washout))
            sources = [loaded]
        elif mode == "two_logs":
            loaded2 = P.load(other, options, end_activities=ends, as_of=as_of)
            before = P.whole(loaded, "before")
            after = P.whole(loaded2, "after")
            sources = [loaded, loaded2]
        else:
            before, after, _ = P.split_by(loaded, str(by))
            sources = [loaded]
        for src in sources:
            notes += [n for n in src.notes if n not in notes]
        advance("case duration (Kaplan–Meier)")
        origins = (group_origin(before), group_origin(after))
        weeks = (case_weeks(before), case_weeks(after))
        block = B.block_length(list(weeks), [B.rank_scores(*g.durations())
                                             for g in (before, after)])
        surv = S.compare_survival(before.durations(), after.durations(), alpha=alpha,
                                  n_boot=n_boot, seed=seed, horizon=horizon_days,
                                  weeks_before=weeks[0], weeks_after=weeks[1],
                                  block_weeks=block,
                                  period_noise=B.PERIOD_NOISE_DURATION if period_noise
                                  else 0.0)
        rows = [_duration_row(surv, min_n)]
        advance("waits, processing, rework, deadlines")
        wb, wa, seen = K.wait_samples(before, after)
        rows += K.duration_kpis("wait:", "wait", wb, wa, alpha=alpha, n_boot=n_boot,
                                seed=seed + 1, min_n=min_n, origins=origins,
                                block_weeks=block,
                                period_noise=B.PERIOD_NOISE_WAIT if period_noise else 0.0)
        pb, pa = K.proc_samples(before, after)
        rows += K.duration_kpis("proc:", "processing", pb, pa, alpha=alpha, n_boot=n_boot,
                                seed=seed + 1001, min_n=min_n, origins=origins,
                                block_weeks=block,
                                period_noise=B.PERIOD_NOISE_WAIT if period_noise else 0.0)
        window = rework_window if rework_window is not None else K.rework_window(before)
        rows += K.rework_kpis(before, after, window, alpha=alpha, min_n=min_n, k_min=k_min,
                              block_weeks=block, n_boot=n_boot, seed=seed + 2001,
                              period_noise=B.PERIOD_NOISE_REWORK if period_noise else 0.0)
        if rule_list:
            drows, dnotes = K.deadline_kpis(before, after, rule_list, ends, alpha=alpha,
                                            min_n=min_n, land=land)
            rows += drows
            notes += dnotes
        rows += _rate_rows(mode, before, after, surv, tz, alpha)
        load = X.workload(before, after, alpha) if mode != "by" else {
            "before_per_week": None, "after_per_week": None, "change": None,
            "p_value": None, "significant": None, "window_days": X.WORKLOAD_DAYS}
        load["confounded"] = K.finalize(rows, alpha=alpha, k_min=k_min,
                                        workload_change=load["change"]
                                        if load["significant"] else None)
        load["threshold"] = K.WORKLOAD_RELEVANCE
        advance("context and weekly series")
        attr = X.case_type_attribute(loaded, case_type)
        mix = X.case_mix(before, after, attr, k_min=k_min, alpha=alpha)
        strat: list[dict[str, Any]] = []
        strat_p = None
        if mix["shifted"] and attr is not None:
            strat, strat_p = X.stratified(before, after, attr, k_min=k_min, min_n=min_n)
        arrivals = {k.kpi: {"before": k.before, "after": k.after,
                            "ratio": (k.after / k.before if k.before and k.after is not None
                                      else None), "p_value": k.p_value}
                    for k in rows if k.kind == "rate"}
        context = {"case_mix": mix, "arrivals": arrivals.get("arrivals_per_week", {}),
                   "completions": arrivals.get("completions_per_week", {}),
                   "stratified": strat, "stratified_p_value": strat_p, "workload": load,
                   "block_weeks": block,
                   "variants": X.variants(before, after, k_min=k_min, alpha=alpha)}
        if mode == "change":
            weekly = T.weekly_rows([("all", loaded.cases)], tz, k_min=k_min, change=at,
                                   washout_end=washout_end)
        else:
            weekly = T.weekly_rows([("before", before.cases), ("after", after.cases)], tz,
                                   k_min=k_min)
        T.mark_ramp_up(weekly, rows[-1].extra.get("ramp_up_until")
                       if rows and rows[-1].kpi == "completions_per_week" else None)
        seg = T.segmented(weekly, alpha=alpha) if segmented and mode == "change" else None
        if segmented and mode != "change":
            notes.append(Note(NoteCode.SEGMENTED_NEEDS_CHANGE, "the segmented regression "
                              "needs a change date; it was skipped"))
        advance("checks and difference map")
        from ist_analyse.comparison import diffmap as D

        dmap = D.difference_map(rows, seen, k_min=k_min, min_n=min_n,
                                title=Note(NoteCode.GROUPS_COMPARED,
                                           f"{before.label} → {after.label}",
                                           before=before.label, after=after.label))
        if map_output is not None:
            try:
                dmap["file"] = str(D.write_map(dmap, map_output, inputs=inputs))
            except GraphvizMissing as err:
                missing = err
        check = C.run_checks(mode, loaded, before, after, rows, surv, mix, at=at,
                             washout=washout, alpha=alpha, min_n=min_n, enabled=checks,
                             window=window, block_weeks=block, workload=load)
    warnings_ = check["warnings"]
    if any(src.heuristic_close for src in sources):
        warnings_.insert(0, sources[0].closing_rule)
    periods = {
        "mode": mode, "change_date": P.local_date(at), "washout_days": int(washout)
        if mode == "change" else 0,
        "as_of": P.local_date(loaded.as_of) if mode != "two_logs" else
        {"before": P.local_date(before.as_of), "after": P.local_date(after.as_of)},
        "closing_rule": sources[0].closing_rule,
        "before": _period(before, k_min), "after": _period(after, k_min)}
    survival = {"before": S.curve_points(*surv.curve_before, before.durations()[0], k_min),
                "after": S.curve_points(*surv.curve_after, after.durations()[0], k_min),
                "horizon_days": surv.horizon}
    return finish(Comparison(kpis=rows, periods=periods, context=context, weekly=weekly,
                             survival=survival, checks=check, difference_map=dmap, k_min=k_min,
                             alpha=alpha, seconds=time.perf_counter() - began, segmented=seg,
                             source=loaded.source if mode != "two_logs" else
                             f"{loaded.source} vs {after.source.source}", notes=notes), missing)


def group_origin(g: P.Group) -> float:
    """The first day of a group (days since 1970, UTC): week 0 of its block bootstrap."""
    return pd.Timestamp(g.start).value / 1e9 / 86_400


def case_weeks(g: P.Group) -> np.ndarray:
    """The week (from the group's first day) in which each case of ``g`` started."""
    return B.week_index(g.cases[P.START].dt.epoch("us").to_numpy() / P.DAY_US,
                        group_origin(g))


def _period(g: P.Group, k_min: int) -> dict[str, Any]:
    n, o = g.n, g.open_cases
    small = 1 <= n < k_min
    return {"label": g.label, "start": P.local_date(g.start), "end": P.local_date(g.end),
            "cases": None if small else n,
            "open_cases": None if small or 1 <= o < k_min else o,
            "open_share": None if small else (o / n if n else None)}


def _duration_row(s: S.SurvivalComparison, min_n: int) -> K.Kpi:
    enough = s.events_before >= min_n and s.events_after >= min_n
    row = K.Kpi("case_duration", "duration", "days", s.median_before, s.median_after,
                s.median_difference, s.median_ci[0], s.median_ci[1], s.p_value if enough
                else None, s.n_before, s.n_after, cases_before=s.n_before,
                cases_after=s.n_after, enough=enough)
    row.extra = {"rmst_before": s.rmst_before, "rmst_after": s.rmst_after,
                 "rmst_difference": s.rmst_difference, "rmst_ci_low": s.rmst_ci[0],
                 "rmst_ci_high": s.rmst_ci[1], "horizon_days": s.horizon,
                 "events_before": s.events_before, "events_after": s.events_after,
                 "test": s.test, "logrank_p": s.logrank_p, "block_weeks": s.block_weeks,
                 "se": s.median_se if s.test == "median" else s.rmst_se,
                 "se_bootstrap": s.se_bootstrap, "df": s.df, "ci_cohort_low": s.median_ci_cohort[0],
                 "ci_cohort_high": s.median_ci_cohort[1],
                 "median_reached": s.median_before is not None and s.median_after is not None}
    return row


def _rate_rows(mode: str, before: P.Group, after: P.Group, surv: S.SurvivalComparison,
               tz: str, alpha: float) -> list[K.Kpi]:
    """``arrivals_per_week`` and ``completions_per_week`` (definitions in :mod:`.kpis`)."""
    rows = []
    series: dict[str, list[np.ndarray]] = {"arrivals_per_week": [],
                                           "completions_per_week": []}
    ramp_weeks: dict[str, int] = {}
    ramp_end = None
    for g in (before, after):
        base = g.cases if mode == "by" else g.source.cases
        weeks = K.full_weeks(g.start, g.end, tz)
        series["arrivals_per_week"].append(
            K.weekly_counts(base[P.START].to_pandas(), weeks, tz))
        # completions only once the export holds (nearly) all cases being closed
        t_all, e_all = (g.source.cases[P.DURATION].to_numpy(),
                        g.source.cases[P.CLOSED].to_numpy())
        times, sv = S.km_curve(t_all, e_all)
        hit = np.flatnonzero(sv <= 1 - K.RAMP_CLOSED)
        ramp = float(times[hit[0]]) if len(hit) else float(times[-1]) if len(times) else 0.0
        log_start = pd.DatetimeIndex(g.source.cases[P.START].to_pandas()).min()
        from_ = max(pd.Timestamp(g.start), log_start + pd.Timedelta(days=ramp))
        cweeks = K.full_weeks(from_, g.end, tz) if from_ < g.end else weeks[:0]
        ramp_weeks[g.label] = len(weeks) - len(cweeks)
        ramp_end = log_start + pd.Timedelta(days=ramp)
        closed = base.filter(base[P.CLOSED])[P.END].to_pandas()
        series["completions_per_week"].append(K.weekly_counts(closed, cweeks, tz))
    for name, (x, y) in series.items():
        rows.append(K.rate_kpi(name, x, y, alpha=alpha))
    comp = rows[-1]
    comp.extra["ramp_up_weeks_excluded"] = dict(ramp_weeks)
    comp.extra["ramp_up_until"] = P.local_date(ramp_end) if ramp_end is not None else None
    return rows
