"""The KPIs of a before/after comparison, each with before, after, difference, CI and p-value.

Definitions (every figure is about the cases of a group, see :mod:`.periods`):

``case_duration``
    days from a case's first event to its closing; open cases censored at the export date
    (:mod:`.survival`). Test: log-rank. Before/after: Kaplan–Meier medians.
``wait:A->B``
    days from the completion of A to the start of B where B directly follows A
    (:mod:`ist_analyse.analysis.instances`). A wait that began shortly before the export date
    and is still running is not in the log, so waits are counted only when A was completed at
    least *maturity* days before the export date, maturity = the 95th percentile of that
    transition's waits in both groups (then at most about 5 % of the waits that began then can
    still be running, in both groups alike). CI and test: the median difference with its
    standard error from a block bootstrap over the weeks in which the waits began
    (:mod:`.blocks`; consistent Wald CI and p-value), because waits that begin in the same
    weeks share the queue; the Brunner–Munzel p-value (independent waits) is kept as
    ``rank_p`` for reference. A transition is compared when it occurs in both groups.
``proc:A``
    processing days of A (start to completion), where the log has start times; as waits.
``rework_rate`` / ``rework:A``
    share of cases in which some activity (A) occurs a second time within ``rework_window``
    days of the case's start, among the cases that started at least ``rework_window`` days
    before the export date. Only those cases have had the full time to loop in both groups.
    Counting closed young cases as well would bias the recent group: the cases that closed
    quickly are the ones without a loop. ``rework_window`` defaults to the 90th percentile,
    in the *before* group, of the time from a case's start to its first repetition. Test and
    CI for ``rework_rate``: the difference of the two shares with its standard error from the
    block bootstrap over weeks of case start (repeated status enquiries make rework depend on
    the queue, so cases of the same weeks are not independent); ``rework:A``: difference of
    two proportions (statsmodels, Agresti–Caffo test, Newcombe interval), BH-corrected.
``deadline:RULE``
    share of judged cases over a rule's limit (:func:`ist_analyse.analysis.rules.check_rules`:
    late or still open beyond the limit), among cases started at least the limit before the
    export date (for office-day rules 1.5 × the limit in calendar days), so every judged case
    has had the time to miss it. Cases still pending or closed without the target step are
    not judged. Test and CI as for rework.
``arrivals_per_week`` / ``completions_per_week``
    mean number of cases started / closed per full calendar week of each period. Test and CI:
    OLS of the weekly counts on the period with Newey–West (HAC) standard errors, because
    weekly counts are autocorrelated and overdispersed. Completions are counted only from the
    date on which :data:`RAMP_CLOSED` of the cases that started at the beginning of the log
    are closed (Kaplan–Meier): before that the export lacks the cases that started before the
    export window, and completions look low (ramp-up). When fewer than :data:`MIN_WEEKS` full
    weeks of a group lie after the ramp-up, completions get ``not_enough_data``.

Multiple testing: ``wait:*``, ``proc:*`` and ``rework:*`` form one family corrected with
Benjamini–Hochberg (``statsmodels.stats.multitest.multipletests``, FDR ``alpha``); the
headline KPIs are pre-declared and reported as tested. A duration KPI is called faster or
slower only when its (adjusted) p-value is below ``alpha`` and, for waits and processing,
the median changed by at least :data:`RELEVANCE` of its before value and at least
:data:`RELEVANCE_MIN_DAYS` (one day; methods note §7). Groups with fewer than ``min_n``
observations get ``not_enough_data`` and no p-value.

**Workload confounding** (verdict ``confounded``): durations, waits and rework grow with the
workload of the office. When the workload the cases met changed significantly and by at least
:data:`WORKLOAD_RELEVANCE` between the groups (:func:`ist_analyse.comparison.context.workload`:
new cases per week in the 13 weeks up to each case's start) and a duration, wait or rework
difference points the way that workload change predicts (more work, slower / more rework),
the difference cannot be attributed to the process change: its verdict is ``confounded``
instead of faster/slower/higher/lower (``significant`` keeps the test's answer). A difference
*against* the workload change (faster despite more work) is kept: the confounder would, if
anything, hide it. This holds for every wait and processing time alike. An earlier version
exempted waits whose level does not drift between 4-week blocks (:func:`.blocks.heterogeneity_p`,
meant for an external party's production time), but the drift test is no test of whether a
wait follows the workload: in the simulated 30 % workload surge, the office's own decision
queue ("Fiktionsbescheinigung ausgestellt → Entscheidung Erteilung", 60–80 % slower) showed
drift p-values of 0.05–0.8 and was coloured "slower" in 8 % of the runs. A wait the workload
cannot explain but that moved its way is now called ``confounded`` too: a cautious
attribution, never a missed effect against the load.
Arrivals could themselves be changed by the measure (online booking shifts demand); the
gate still uses arrivals, never the work in progress, which a real improvement itself
reduces (adjusting for it would hide the effect).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from scipy import stats

from ist_analyse.analysis import instances as I
from ist_analyse.comparison import periods as P
from ist_analyse.notes import Note, NoteCode

#: a wait or processing time counts as faster/slower only when its median moved this much
RELEVANCE = 0.10
#: ... and by at least this many days (methods note §7: max(10 %, 1 day))
RELEVANCE_MIN_DAYS = 1.0
#: a workload change at least this large makes a same-direction difference ``confounded``
WORKLOAD_RELEVANCE = 0.10
#: share of the first cases of the log that must be closed before completions are counted
RAMP_CLOSED = 0.90
#: the quantile of a transition's waits used as its maturity (see the module docstring)
MATURITY_Q = 0.95
#: the quantile of the time to the first repetition used as the rework window
REWORK_Q = 0.90
#: Newey–West lag for weekly counts (about a month)
HAC_LAGS = 4
#: minimum number of full weeks per period for a rate comparison
MIN_WEEKS = 4

KINDS_DURATION = ("duration", "wait", "processing")


@dataclass
class Kpi:
    """One row of the KPI table (``to_dict`` is its JSON form)."""

    kpi: str
    kind: str
    unit: str
    before: float | None
    after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_before: int | None
    n_after: int | None
    cases_before: int = 0
    cases_after: int = 0
    family: str = "headline"
    enough: bool = True
    p_adjusted: float | None = None
    significant: bool | None = None
    verdict: str = "no_change"
    text: str = ""
    suppressed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: _plain(getattr(self, k)) for k in (
            "kpi", "kind", "unit", "before", "after", "difference", "ci_low", "ci_high",
            "p_value", "p_adjusted", "significant", "n_before", "n_after", "verdict", "text",
            "suppressed")}
        out.update({k: _plain(v) for k, v in self.extra.items()})
        return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# ---- waits and processing times ------------------------------------------------------------

def _values(frame: pl.DataFrame, keys: list[str]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Per key: the values, the days (since 1970) on which each began, and the number of
    distinct cases."""
    g = frame.group_by(keys).agg(pl.col("v"), pl.col("d"),
                                 pl.col(I.CASE).n_unique().alias("cases"))
    return {tuple(r[k] for k in keys): {"v": np.asarray(r["v"], dtype=float),
                                        "d": np.asarray(r["d"], dtype=float),
                                        "cases": int(r["cases"])}
            for r in g.iter_rows(named=True)}


def _days_col(col: str) -> pl.Expr:
    return (pl.col(col).dt.epoch("us") / P.DAY_US).alias("d")


def wait_samples(before: P.Group, after: P.Group) -> tuple[dict, dict, dict]:
    """Mature waits per transition in each group, and every observed transition's case count
    per group (for the difference map)."""
    frames = []
    for i, g in enumerate((before, after)):
        f = (g.inst.filter(pl.col(I.PREV_ACT).is_not_null())
             .select(pl.col(I.CASE), pl.col(I.PREV_ACT).cast(pl.String).alias("from"),
                     pl.col(I.ACT).cast(pl.String).alias("to"), pl.col(I.WAIT).alias("v"),
                     pl.col(I.PREV_END), _days_col(I.PREV_END), pl.lit(i).alias("grp"),
                     pl.lit(g.as_of.to_pydatetime()).alias("as_of")))
        frames.append(f)
    allw = pl.concat(frames)
    counts = (allw.group_by(["from", "to", "grp"]).agg(pl.col(I.CASE).n_unique().alias("n")))
    seen: dict[tuple[str, str], list[int]] = {}
    for r in counts.iter_rows(named=True):
        seen.setdefault((r["from"], r["to"]), [0, 0])[r["grp"]] = int(r["n"])
    horizon = allw.group_by(["from", "to"]).agg(
        pl.col("v").quantile(MATURITY_Q, "linear").alias("h"))
    mature = (allw.join(horizon, on=["from", "to"])
              .filter(pl.col(I.PREV_END) <= pl.col("as_of")
                      - pl.duration(microseconds=(pl.col("h") * P.DAY_US).cast(pl.Int64))))
    b = _values(mature.filter(pl.col("grp") == 0), ["from", "to"])
    a = _values(mature.filter(pl.col("grp") == 1), ["from", "to"])
    return b, a, seen


def proc_samples(before: P.Group, after: P.Group) -> tuple[dict, dict]:
    out = []
    for g in (before, after):
        f = (g.inst.filter(pl.col(I.PROC).is_not_null())
             .select(pl.col(I.CASE), pl.col(I.ACT).cast(pl.String).alias("act"),
                     pl.col(I.PROC).alias("v"), _days_col(I.START)))
        out.append(_values(f, ["act"]))
    return out[0], out[1]


def rank_test(x: np.ndarray, y: np.ndarray) -> float | None:
    """Two-sided Brunner–Munzel p-value (Mann–Whitney where it is undefined)."""
    if len(x) < 2 or len(y) < 2:
        return None
    if np.ptp(np.concatenate([x, y])) == 0:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(stats.brunnermunzel(x, y).pvalue)
        if not math.isfinite(p):
            p = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    return p if math.isfinite(p) else None


def median_difference_ci(x: np.ndarray, y: np.ndarray, *, alpha: float, n_boot: int,
                         seed: int) -> tuple[float | None, float | None]:
    """Percentile bootstrap CI of ``median(y) - median(x)`` (groups resampled separately)."""
    if len(x) < 2 or len(y) < 2:
        return None, None

    def stat(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(b, axis=axis) - np.median(a, axis=axis)

    res = stats.bootstrap((x, y), stat, vectorized=True, n_resamples=n_boot,
                          method="percentile", confidence_level=1 - alpha,
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return float(ci.low), float(ci.high)


def block_median_test(x: np.ndarray, y: np.ndarray, wx: np.ndarray, wy: np.ndarray, *,
                      alpha: float, n_boot: int, seed: int, block_weeks: int,
                      period_noise: float = 0.0
                      ) -> tuple[float | None, float | None, float | None, float | None]:
    """SE, CI and p-value of ``median(y) - median(x)`` by the block bootstrap over the weeks
    ``wx``/``wy`` in which the observations began (:mod:`.blocks`)."""
    from ist_analyse.comparison import blocks as B

    rng = np.random.default_rng(seed)
    dx = B.weighted_median(x, B.block_weights(wx, block_weeks, n_boot, rng))
    dy = B.weighted_median(y, B.block_weights(wy, block_weeks, n_boot, rng))
    df = B.n_blocks(wx, block_weeks) + B.n_blocks(wy, block_weeks) - 2
    floor = math.hypot(B.median_se_floor(x), B.median_se_floor(y))
    return B.wald(float(np.median(y) - np.median(x)), dy - dx, alpha, df=df,
                  extra_sd=period_noise * abs(float(np.median(x))), min_se=floor)


def duration_kpis(prefix: str, kind: str, b: dict, a: dict, *, alpha: float, n_boot: int,
                  seed: int, min_n: int, origins: tuple[float, float] | None = None,
                  block_weeks: int | None = None, period_noise: float = 0.0) -> list[Kpi]:
    """One KPI per key present in both groups (waits or processing times). With
    ``origins`` (the groups' first days, days since 1970) and ``block_weeks`` the block
    bootstrap decides (module docstring); without, the case-level percentile bootstrap and
    the Brunner–Munzel test."""
    from ist_analyse.comparison import blocks as B

    rows = []
    for j, key in enumerate(sorted(set(b) & set(a))):
        x, y = b[key]["v"], a[key]["v"]
        name = f"{prefix}{'->'.join(key)}"
        enough = len(x) >= min_n and len(y) >= min_n
        mb, ma = float(np.median(x)), float(np.median(y))
        rank_p = rank_test(x, y) if enough else None
        extra: dict[str, Any] = {"rank_p": rank_p}
        if enough and origins is not None and block_weeks is not None:
            wx = B.week_index(b[key]["d"], origins[0])
            wy = B.week_index(a[key]["d"], origins[1])
            drift = B.heterogeneity_p([x, y], [wx, wy], block_weeks)
            noise = period_noise if drift < B.DRIFT_P else 0.0
            extra.update(drift_p=drift, period_noise=noise,
                         df=B.n_blocks(wx, block_weeks) + B.n_blocks(wy, block_weeks) - 2)
            se, lo, hi, p = block_median_test(
                x, y, wx, wy, alpha=alpha, n_boot=n_boot, seed=seed + j,
                block_weeks=block_weeks, period_noise=noise)
            extra["se"] = se
            extra["se_bootstrap"] = (None if se is None else
                                     math.sqrt(max(se**2 - (noise * mb) ** 2, 0.0)))
            extra["inference"] = "block bootstrap"
            if p is None:  # too few weeks for blocks: case-level bootstrap and rank test
                lo, hi = median_difference_ci(x, y, alpha=alpha, n_boot=n_boot, seed=seed + j)
                p = rank_p
                extra["inference"] = "case level (too few weeks for blocks)"
        else:
            lo, hi = (median_difference_ci(x, y, alpha=alpha, n_boot=n_boot, seed=seed + j)
                      if enough else (None, None))
            p = rank_p
        rows.append(Kpi(name, kind, "days", mb, ma, ma - mb, lo, hi, p, len(x), len(y),
                        cases_before=b[key]["cases"], cases_after=a[key]["cases"],
                        family="transition", enough=enough, extra=extra))
    return rows


# ---- proportions ---------------------------------------------------------------------------

def proportion_kpi(name: str, kind: str, x1: int, n1: int, x2: int, n2: int, *, alpha: float,
                   min_n: int, family: str = "headline") -> Kpi:
    """Two independent proportions: difference with Newcombe CI, Agresti–Caffo test."""
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    before = x1 / n1 if n1 else None
    after = x2 / n2 if n2 else None
    diff = after - before if before is not None and after is not None else None
    enough = n1 >= min_n and n2 >= min_n
    lo = hi = p = None
    if enough:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb",
                                                compare="diff", alpha=alpha)
            if x1 + x2 == 0 or x1 + x2 == n1 + n2:
                p = 1.0
            else:
                p = float(test_proportions_2indep(x2, n2, x1, n1, compare="diff").pvalue)
        lo, hi = float(lo), float(hi)
    return Kpi(name, kind, "share", before, after, diff, lo, hi, p, n1, n2, cases_before=n1,
               cases_after=n2, family=family, enough=enough,
               extra={"count_before": x1, "count_after": x2})


def rework_window(before: P.Group, quantile: float = REWORK_Q) -> float:
    """Default rework window (days): ``quantile`` of the time from start to first repetition
    among the before group's cases that repeat something; 30 days when none does."""
    first = _repeats(before).group_by(I.CASE).agg(pl.col("t").min())["t"].to_numpy()
    if not len(first):
        return 30.0
    return float(max(7.0, math.ceil(float(np.quantile(first, quantile)))))


def _repeats(g: P.Group) -> pl.DataFrame:
    """Every second or later occurrence of an activity in a case, with its time after the
    case's start (days)."""
    f = g.inst.select(I.CASE, I.ACT, I.END).with_columns(
        pl.int_range(pl.len()).over([I.CASE, I.ACT]).alias("occ"))
    rep = f.filter(pl.col("occ") >= 1).join(g.cases.select(P.CASE, P.START), on=I.CASE)
    return rep.select(pl.col(I.CASE), pl.col(I.ACT).cast(pl.String).alias("act"),
                      ((pl.col(I.END) - pl.col(P.START)).dt.total_microseconds() / P.DAY_US)
                      .alias("t"))


def rework_kpis(before: P.Group, after: P.Group, window: float, *, alpha: float, min_n: int,
                k_min: int, block_weeks: int | None = None, n_boot: int = 999,
                seed: int = 0, period_noise: float = 0.0) -> list[Kpi]:
    """``rework_rate`` and ``rework:A`` over mature cases (module docstring); with
    ``block_weeks`` the rework_rate CI and p-value come from the block bootstrap."""
    from ist_analyse.comparison import blocks as B

    counts = []
    flags = []
    for g in (before, after):
        cutoff = (g.as_of - pd.Timedelta(days=window)).to_pydatetime()
        mature = g.cases.filter(pl.col(P.START) <= cutoff).select(P.CASE, P.START)
        rep = _repeats(g).filter(pl.col("t") <= window).join(mature.select(P.CASE), on=I.CASE)
        per_act = rep.group_by("act").agg(pl.col(I.CASE).n_unique().alias("n"))
        counts.append((len(mature), rep[I.CASE].n_unique(),
                       {r[0]: int(r[1]) for r in per_act.iter_rows()}))
        has = np.isin(mature[P.CASE].to_numpy(), rep[I.CASE].unique().to_numpy())
        origin = pd.Timestamp(g.start).value / 1e9 / 86_400
        days = mature[P.START].dt.epoch("us").to_numpy() / P.DAY_US
        flags.append((has.astype(float), B.week_index(days, origin)))
    (n1, x1, acts1), (n2, x2, acts2) = counts
    rows = [proportion_kpi("rework_rate", "proportion", x1, n1, x2, n2, alpha=alpha,
                           min_n=min_n)]
    rows[0].extra["window_days"] = window
    if block_weeks is not None and rows[0].enough and x1 + x2 > 0:
        rng = np.random.default_rng(seed)
        (f1, w1), (f2, w2) = flags
        b1 = B.block_weights(w1, block_weeks, n_boot, rng)
        b2 = B.block_weights(w2, block_weeks, n_boot, rng)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws = (b2 @ f2) / b2.sum(axis=1) - (b1 @ f1) / b1.sum(axis=1)
        df = B.n_blocks(w1, block_weeks) + B.n_blocks(w2, block_weeks) - 2
        se, lo, hi, p = B.wald(rows[0].difference, draws, alpha, df=df,
                               extra_sd=period_noise * (rows[0].before or 0.0))
        _, c_lo, c_hi, _ = B.wald(rows[0].difference, draws, alpha, df=df)
        if p is not None:
            rows[0].extra.update(ci_cohort_low=c_lo, ci_cohort_high=c_hi,
                                 se_bootstrap=float(np.nanstd(draws, ddof=1)), df=df)
            rows[0].extra["two_proportion_p"] = rows[0].p_value
            rows[0].ci_low, rows[0].ci_high, rows[0].p_value = lo, hi, p
            rows[0].extra["se"] = se
    for act in sorted(set(acts1) | set(acts2)):
        a1, a2 = acts1.get(act, 0), acts2.get(act, 0)
        if max(a1, a2) < k_min:
            continue  # too rare to publish in either group
        row = proportion_kpi(f"rework:{act}", "proportion", a1, n1, a2, n2, alpha=alpha,
                             min_n=min_n, family="transition")
        row.extra["window_days"] = window
        rows.append(row)
    return rows


def deadline_kpis(before: P.Group, after: P.Group, rules: list[Any], ends: list[str], *,
                  alpha: float, min_n: int, land: str) -> tuple[list[Kpi], list[str]]:
    """``deadline:RULE`` for each deadline rule (module docstring)."""
    from ist_analyse.analysis.rules import check_rules

    notes: list[str] = []
    rows: list[Kpi] = []
    deadlines = [r for r in rules if r.kind == "deadline"]
    if len(deadlines) < len(rules):
        notes.append(Note(NoteCode.ONLY_DEADLINE_RULES, "only deadline rules are compared; "
                          "order/exists/absent rules are checked by 'conformance'"))
    frames = [canonical(g.source) for g in (before, after)]
    for rule in deadlines:
        limit = float(rule.max_days or 0) * (1.5 if rule.working_days else 1.0)
        res = []
        for g, df in zip((before, after), frames, strict=True):
            cutoff = (g.as_of - pd.Timedelta(days=limit)).to_pydatetime()
            ids = g.cases.filter(pl.col(P.START) <= cutoff)[P.CASE_ID].to_list()
            sub = df.loc[df["case_id"].isin(ids).to_numpy()].reset_index(drop=True)
            r = check_rules(sub, [rule], as_of=g.as_of, k_min=1, land=land,
                            end_activities=ends).rules[0]
            judged = (r.checked or 0) - (r.pending or 0) - (r.closed_without_to or 0)
            res.append(((r.violations or 0) + (r.overdue_open or 0), judged))
        (x1, n1), (x2, n2) = res
        row = proportion_kpi(f"deadline:{rule.name}", "deadline", x1, n1, x2, n2, alpha=alpha,
                             min_n=min_n)
        row.extra["max_days"] = rule.max_days
        rows.append(row)
    return rows, notes


def canonical(loaded: P.Loaded) -> pd.DataFrame:
    """The loaded events as a canonical pandas log for
    :func:`~ist_analyse.analysis.rules.check_rules` (built from the frame already read, so
    case ids are the same pseudonyms; cached)."""
    cached = getattr(loaded, "_canonical", None)
    if cached is None:
        from ist_analyse import log as L

        df = loaded.frame.to_pandas()
        for col in df.columns:
            if col in (L.TIMESTAMP, L.START_TIME):
                df[col] = pd.to_datetime(df[col], utc=True).astype(L.TIMESTAMP_DTYPE)
            else:
                df[col] = df[col].astype("string")
        cached = df.reset_index(drop=True)
        loaded._canonical = cached  # type: ignore[attr-defined]
    return cached


# ---- weekly rates --------------------------------------------------------------------------

def full_weeks(start: pd.Timestamp, end: pd.Timestamp, tz: str) -> pd.DatetimeIndex:
    """Mondays (local midnight, as UTC) of the calendar weeks lying wholly in [start, end)."""
    s = pd.Timestamp(start).tz_convert(tz)
    e = pd.Timestamp(end).tz_convert(tz)
    first = (s.normalize() + pd.Timedelta(days=(7 - s.weekday()) % 7))
    if first < s:
        first += pd.Timedelta(days=7)
    mondays = pd.date_range(first.tz_localize(None), e.tz_localize(None), freq="7D")
    mondays = mondays[mondays + pd.Timedelta(days=7) <= e.tz_localize(None)]
    return mondays.tz_localize(tz, ambiguous=False, nonexistent="shift_forward").tz_convert(
        "UTC")


def weekly_counts(times: pd.Series | np.ndarray, mondays: pd.DatetimeIndex,
                  tz: str) -> np.ndarray:
    """How many of ``times`` fall in each week starting at ``mondays``."""
    if not len(mondays):
        return np.zeros(0, dtype=int)
    t = pd.DatetimeIndex(pd.Series(times).dropna()).tz_convert("UTC").as_unit("ns")
    m = mondays.as_unit("ns").asi8
    edges = np.concatenate([m, [m[-1] + 7 * 86_400 * 10**9]])
    counts, _ = np.histogram(t.asi8, bins=edges)
    return counts


def rate_kpi(name: str, x: np.ndarray, y: np.ndarray, *, alpha: float) -> Kpi:
    """Mean weekly count before/after: OLS on a period dummy with HAC standard errors."""
    import statsmodels.api as sm

    enough = len(x) >= MIN_WEEKS and len(y) >= MIN_WEEKS
    mb = float(np.mean(x)) if len(x) else None
    ma = float(np.mean(y)) if len(y) else None
    diff = ma - mb if mb is not None and ma is not None else None
    lo = hi = p = None
    if enough:
        yy = np.concatenate([x, y]).astype(float)
        if np.ptp(yy) == 0:
            lo = hi = 0.0
            p = 1.0
        else:
            design = sm.add_constant(np.concatenate([np.zeros(len(x)), np.ones(len(y))]))
            lags = min(HAC_LAGS, max(1, len(yy) // 8))
            # a period with (almost) no events, as in a log whose first months hold a handful
            # of cases, can make the HAC variance of the intercept negative: statsmodels warns
            # about the square root of the coefficient not used here; an unusable standard
            # error of the period effect itself gives no interval and no p-value
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fit = sm.OLS(yy, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
                if np.isfinite(fit.bse[1]):
                    lo, hi = (float(v) for v in fit.conf_int(alpha)[1])
                    p = float(fit.pvalues[1])
    return Kpi(name, "rate", "per_week", mb, ma, diff, lo, hi, p, int(np.sum(x)),
               int(np.sum(y)), cases_before=int(np.sum(x)), cases_after=int(np.sum(y)),
               enough=enough, extra={"weeks_before": len(x), "weeks_after": len(y)})


# ---- verdicts, multiple testing, privacy ---------------------------------------------------

def finalize(kpis: list[Kpi], *, alpha: float, k_min: int,
             workload_change: float | None = None) -> list[str]:
    """BH over the transition family, significance, verdict, the workload-confounding gate,
    suppression and text (in place). Returns the KPIs made ``confounded``."""
    from statsmodels.stats.multitest import multipletests

    fam = [k for k in kpis if k.family == "transition" and k.p_value is not None and k.enough]
    if fam:
        adj = multipletests([k.p_value for k in fam], alpha=alpha, method="fdr_bh")[1]
        for k, q in zip(fam, adj, strict=True):
            k.p_adjusted = float(q)
    for k in kpis:
        if k.family != "transition":
            k.p_adjusted = k.p_value
        small = any(n is not None and 1 <= n < k_min for n in (k.cases_before, k.cases_after))
        if small:
            k.suppressed = True
            for attr in ("before", "after", "difference", "ci_low", "ci_high", "p_value",
                         "p_adjusted", "n_before", "n_after"):
                setattr(k, attr, None)
            # no figure at all about a small group: its log-rank p, standard errors,
            # horizons and bootstrap details could single it out as much as its median
            k.extra = dict.fromkeys(k.extra)
            k.enough = False
        if not k.enough:
            k.p_value = k.p_adjusted = None
            k.ci_low = k.ci_high = None
            k.significant = None
            k.verdict = "not_enough_data"
        else:
            k.significant = k.p_adjusted is not None and k.p_adjusted < alpha
            k.verdict = _verdict(k)
    confounded = apply_confounding(kpis, workload_change)
    for k in kpis:
        k.text = describe(k, alpha, k_min)
    return confounded


def relevant_change(before: float, difference: float) -> bool:
    """Whether a wait or processing median moved enough to be coloured: by at least
    :data:`RELEVANCE` of the before value and at least :data:`RELEVANCE_MIN_DAYS`; for waits
    under two days the absolute floor is half the before median (an on-site wait of 90
    minutes that falls to 10 minutes is relevant)."""
    floor = min(RELEVANCE_MIN_DAYS, 0.5 * abs(before))
    return abs(difference) >= max(RELEVANCE * abs(before), floor)


def _verdict(k: Kpi) -> str:
    if k.kind == "duration" and k.significant:
        # the tested figure (median or RMST difference) must also be relevant: at least
        # RELEVANCE of its before value (durations move by a few per cent with the queue)
        if k.extra.get("test") == "rmst" or k.difference is None:
            d, ref = k.extra.get("rmst_difference"), k.extra.get("rmst_before")
        else:
            d, ref = k.difference, k.before
        if d is None or ref is None or abs(d) < RELEVANCE * abs(ref):
            return "no_change"
        return "faster" if d < 0 else "slower"
    if not k.significant or k.difference is None:
        return "no_change"
    if k.kind in KINDS_DURATION:
        if k.kind != "duration" and k.before is not None:
            if not relevant_change(k.before, k.difference):
                return "no_change"
        return "faster" if k.difference < 0 else "slower"
    return "higher" if k.difference > 0 else "lower"


def apply_confounding(kpis: list[Kpi], workload_change: float | None,
                      threshold: float = WORKLOAD_RELEVANCE) -> list[str]:
    """Turn faster/slower/higher/lower of durations, waits, processing times and rework into
    ``confounded`` when the workload changed by at least ``threshold`` in the direction
    that explains the difference (module docstring). Returns the names changed."""
    if workload_change is None or abs(workload_change) < threshold:
        return []
    more = workload_change > 0
    changed = []
    for k in kpis:
        if k.kind in KINDS_DURATION:
            explained = k.verdict == ("slower" if more else "faster")
        elif k.kpi == "rework_rate" or k.kpi.startswith("rework:"):
            explained = k.verdict == ("higher" if more else "lower")
        else:
            continue
        if explained:
            k.extra["verdict_unadjusted"] = k.verdict
            k.verdict = "confounded"
            k.extra["workload_change"] = workload_change
            changed.append(k.kpi)
    return changed


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _days(x: float | None, signed: bool = False) -> str:
    """Days as text, in hours or minutes below a day (on-site waits are minutes)."""
    if x is None:
        return "n/a"
    sign = "+" if signed and x >= 0 else ""
    if abs(x) >= 1 or x == 0:
        return f"{sign}{x:,.1f} days"
    if abs(x) * 24 >= 1:
        return f"{sign}{x * 24:.1f} hours"
    return f"{sign}{x * 1440:.0f} minutes"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def label(k: Kpi) -> str:
    """What a KPI measures, in words."""
    if k.kpi == "case_duration":
        return "median case duration (start to closing)"
    if k.kpi.startswith("wait:"):
        a, _, b = k.kpi[5:].partition("->")
        return f"median wait from '{a}' to '{b}'"
    if k.kpi.startswith("proc:"):
        return f"median processing time of '{k.kpi[5:]}'"
    if k.kpi == "rework_rate":
        return "share of cases with rework (a step repeated)"
    if k.kpi.startswith("rework:"):
        return f"share of cases in which '{k.kpi[7:]}' is repeated"
    if k.kpi.startswith("deadline:"):
        return f"share of cases over the limit of '{k.kpi[9:]}'"
    if k.kpi == "arrivals_per_week":
        return "new cases per week"
    if k.kpi == "completions_per_week":
        return "closed cases per week"
    return k.kpi


def describe(k: Kpi, alpha: float, k_min: int) -> str:
    """One plain English sentence (the report translates it)."""
    what = label(k)
    if k.suppressed:
        return f"{what}: fewer than {k_min} cases in a group, figures suppressed."
    fmt = _pct if k.unit == "share" else _days if k.unit == "days" else _num
    base = f"{what[0].upper()}{what[1:]}: {fmt(k.before)} before, {fmt(k.after)} after"
    if k.verdict == "not_enough_data":
        return base + " - not enough data for a verdict."
    if k.difference is not None:
        d = (f"{100 * k.difference:+.1f} percentage points" if k.unit == "share"
             else _days(k.difference, True) if k.unit == "days" else f"{k.difference:+.1f}")
        base += f" ({d}"
        if k.ci_low is not None and k.ci_high is not None:
            if k.unit == "days":
                rng = f"{_days(k.ci_low, True)} to {_days(k.ci_high, True)}"
            else:
                f_ = 100 if k.unit == "share" else 1
                rng = f"{f_ * k.ci_low:+.1f} to {f_ * k.ci_high:+.1f}"
            base += f", {100 * (1 - alpha):.0f} % CI {rng}"
        base += ")"
    p = k.p_adjusted if k.p_adjusted is not None else k.p_value
    ptxt = "" if p is None else (f"; p = {p:.3f}" if p >= 0.001 else "; p < 0.001")
    if k.family == "transition" and p is not None:
        ptxt += " (adjusted for multiple testing)"
    verdicts = {"faster": "faster", "slower": "slower", "higher": "higher", "lower": "lower",
                "no_change": "no clear change"}
    if k.verdict == "confounded":
        w = k.extra.get("workload_change", 0.0)
        return (f"{base}{ptxt}: not attributable to the change - the workload (new cases per "
                f"week) changed by {100 * w:+.0f} % at the same time, which explains a "
                f"difference in this direction.")
    text = f"{base}{ptxt}: {verdicts.get(k.verdict, k.verdict)}."
    if k.verdict == "no_change" and k.significant and k.kind in ("wait", "processing"):
        text = text[:-1] + (f" (the change is below {RELEVANCE:.0%} of the before value or "
                            "below a day).")
    return text
