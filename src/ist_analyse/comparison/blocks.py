"""Dependence-aware uncertainty: a moving-block bootstrap over weeks of arrival.

**Why.** In an office, cases that arrive close in time meet the same queue, the same staff
absences and the same backlog; their durations and waits are correlated. Tests that treat cases
as independent draws (log-rank, Mann–Whitney, Brunner–Munzel, a bootstrap of single cases) then
see the slow fluctuations of the queue as signal. In the simulator's *stationary* null scenario
the true cohort medians of two half-years differ by up to ±12 % for this reason alone, and a
case-level log-rank test flagged 3 of 10 such runs.

**What.** Every case (or wait) carries the week in which it began, counted from the start of its
group. A resample draws ``ceil(weeks / L)`` blocks of ``L`` consecutive weeks with replacement
from the group's weeks, wrapping around at the end (the *circular* block bootstrap of Politis
and Romano 1992, so every week is equally likely to be drawn), and gives each case the number
of times its week was drawn as its weight. Within a block all cases of a week stay together,
so the correlation between cases up to ``L`` weeks apart stays in every resample; correlation
between blocks is treated as absent. With ``L = 1`` week and weeks holding few cases each the
result is close to a bootstrap of single cases, so where cases really are independent (an
external party's production time) the intervals stay as tight as the data allow.

**Block length.** :func:`block_length` uses the autocorrelation of the weekly series of the
statistic's building block (the weekly mean of each case's rank within its group, a
censoring-aware score for durations): the block spans the lags whose autocorrelation is
clearly positive, at least :data:`MIN_BLOCK_WEEKS` (a month: appointment lead times and
backlogs live on that scale) and at most a third of the group's weeks, so at least three
blocks are drawn. The upper bound is the price of short periods: a half year cannot reveal
dependence on the scale of seasons, which is why workload changes at the change date are
handled separately (verdict ``confounded``, :mod:`.kpis`).

**Period noise.** Even blocks of a month cannot see the slowest fluctuations: a case lives
~100 days, so cases started months apart still share backlog episodes, and one half-year holds
only two or three of them. In the simulator's stationary office (scale 0.1, ~375 cases per
half year) our estimate of the median case duration difference varies across seeds with a
standard deviation of 5.6 % of the median while the block bootstrap says 4.0 %; rework share
9.3 % against 7.7 %; drifting waits (pooled) 12.2 % against 10.6 % (seeds 0–999). The *true*
cohort values move as much: this is real variation of the office, not estimation error, but it
is not an effect of a process change either. ``case_duration``, ``rework_rate`` and the
waits/processing times whose level drifts (below) therefore add a between-period variance
component ``(c · before value)²`` to the bootstrap variance: a random period effect whose size
is an assumption (:data:`PERIOD_NOISE_DURATION`, :data:`PERIOD_NOISE_REWORK`,
:data:`PERIOD_NOISE_WAIT`), calibrated on the stationary scenario, seeds 0–999, which the
validation (seeds from 1000) does not use: c is the smallest value for which the 95 % interval
below (Student t) holds the true difference, 0, in 95 % of those runs
(``benchmarks/compare_validation.py --calibrate``; the method of moments, mean of ``d² /
(se_bootstrap² + (c · before)²)`` equal to the t variance ``df / (df − 2)``, gives nearly the
same values). A thousand runs are needed: the coverage of one run set is a share with a
Monte Carlo standard error of about one point at 500 runs, and near 95 % it moves by about
0.7–1.6 points per 0.002 of c, so calibrations on 240 or 500 seeds gave c anywhere from 0.031
to 0.037 for the duration (the earlier constant 0.036 from seeds 0–239 covered 97.6 % on
seeds 1000–1499 and 94.6 % on 1500–1999). ``compare(period_noise=False)`` switches it off. An
office with a calmer or wilder backlog would need another value; a log of several years could
estimate it from half-year cohorts before the change (not done yet). The reported CI is then
an interval for the *process* difference, the question of the issue ("did the change help?");
the interval for the difference between exactly these two cohorts (without the component) is
kept as ``ci_cohort_low``/``ci_cohort_high`` for the headline KPIs.
The component also absorbs a small bias of the Kaplan–Meier median of a young group (see
:mod:`.survival`, "Informative censoring"): in the stationary office the after half-year's
median comes out 1.7 days (1.5 %) below its true cohort median on average, because its
latest starters, the ones still open at the export date, are slower than its early ones.
For waits the component is added only where the wait's level drifts between the 4-week
blocks (:func:`heterogeneity_p` < :data:`DRIFT_P`, both groups, each around its own level):
a queue does, an external party's production time does not, and an added component there
would cost the power to see its changes (a 30 % shorter eAT production at ~200 waits per
period would no longer survive the correction for ~28 transitions).

**Inference.** The difference (after − before) of the point estimates is tested with its
standard error ``se`` (bootstrap, plus the period component): ``t = d / se`` and the interval
``d ± t₁₋α/₂ · se``.
CI and p-value therefore agree (the interval excludes 0 exactly when p < α), and p-values are
continuous, as Benjamini–Hochberg over twenty transitions needs (a percentile p-value from
999 resamples cannot go below 0.002). The reference distribution is Student's t with
(blocks before + blocks after − 2) degrees of freedom, as for a cluster-robust standard error
with few clusters (a half year holds only about seven 4-week blocks).

For medians of waits the bootstrap SE is bounded below by the independent-data SE from a
kernel density estimate (:func:`median_se_floor`), because on date-only timestamps the
resampled medians pile up on a few values.

Weighted estimators are vectorised over the resamples: the data are sorted once, the weights
form a ``(B, n)`` matrix; the Kaplan–Meier product uses the weighted numbers at risk
(events before censorings at equal times, so tied events multiply to ``1 - d/n``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

#: shortest block (weeks): about a month
MIN_BLOCK_WEEKS = 4
#: at least this many blocks per group (the block is at most weeks / MIN_BLOCKS long)
MIN_BLOCKS = 3
#: relative SD of the between-period component (module docstring, "Period noise")
PERIOD_NOISE_DURATION = 0.034
PERIOD_NOISE_REWORK = 0.041
PERIOD_NOISE_WAIT = 0.061
#: waits whose monthly levels drift (heterogeneity test p below this) get the component
DRIFT_P = 0.05
#: largest lag inspected for the autocorrelation of the weekly series
MAX_LAG = 12


def week_index(days: np.ndarray, origin: float) -> np.ndarray:
    """Whole weeks from ``origin`` (days) to each of ``days`` (days), from 0."""
    w = np.floor((np.asarray(days, dtype=float) - origin) / 7.0)
    return np.maximum(w, 0).astype(int)


def block_length(weeks: list[np.ndarray], scores: list[np.ndarray]) -> int:
    """Block length in weeks from the autocorrelation of weekly mean scores (module docstring).

    ``weeks[g]`` and ``scores[g]`` are the week indices and scores of group ``g``'s cases.
    The autocorrelations of the groups' weekly series are averaged; the block covers every
    lag up to the first one whose autocorrelation is below ``2 / sqrt(weeks)`` (the usual
    white-noise band), at least :data:`MIN_BLOCK_WEEKS`.
    """
    acfs = []
    nweeks = []
    for w, s in zip(weeks, scores, strict=True):
        if len(w) < 2:
            continue
        n = int(w.max()) + 1
        cnt = np.bincount(w, minlength=n)
        tot = np.bincount(w, weights=s, minlength=n)
        keep = cnt > 0
        series = tot[keep] / cnt[keep]
        if len(series) < 8:
            continue
        x = series - series.mean()
        den = float(np.sum(x * x))
        if den <= 0:
            continue
        lags = min(MAX_LAG, len(x) // 2)
        acfs.append([float(np.sum(x[k:] * x[:-k]) / den) for k in range(1, lags + 1)])
        nweeks.append(len(x))
    if not acfs:
        return MIN_BLOCK_WEEKS
    m = min(len(a) for a in acfs)
    acf = np.mean([a[:m] for a in acfs], axis=0)
    band = 2.0 / math.sqrt(float(np.mean(nweeks)))
    below = np.flatnonzero(acf < band)
    span = int(below[0]) + 1 if len(below) else m + 1
    return max(MIN_BLOCK_WEEKS, span)


def block_weights(weeks: np.ndarray, length: int, n_boot: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` weights of the cases with week indices ``weeks``: how often each case's
    week was drawn by a circular block bootstrap with blocks of ``length`` weeks, capped at
    a third of the weeks."""
    n_weeks = int(weeks.max()) + 1 if len(weeks) else 1
    length = max(1, min(int(length), n_weeks // MIN_BLOCKS or 1))
    k = math.ceil(n_weeks / length)
    starts = rng.integers(0, n_weeks, size=(n_boot, k))
    covered = (starts[:, :, None] + np.arange(length)[None, None, :]) % n_weeks
    counts = np.zeros((n_boot, n_weeks))
    rows = np.repeat(np.arange(n_boot), k * length)
    np.add.at(counts, (rows, covered.reshape(-1)), 1.0)
    return counts[:, weeks]


def km_weighted(time: np.ndarray, event: np.ndarray, weights: np.ndarray,
                tau: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier median (NaN when not reached) and RMST(τ) for each row of ``weights``."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    key = time + np.where(event, 0.0, 1e-9 * np.maximum(1.0, time))
    order = np.argsort(key, kind="stable")
    t, ev = time[order], event[order]
    w = np.atleast_2d(weights)[:, order]
    at_risk = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - ev * w / at_risk, 1.0)
    surv = np.cumprod(factor, axis=1)
    below = surv <= 0.5 + 1e-12
    reached = below.any(axis=1)
    median = np.where(reached, t[np.argmax(below, axis=1)], np.nan)
    if tau is None:
        return median, np.full(len(median), np.nan)
    tt = np.minimum(t, tau)
    widths = np.diff(np.concatenate([[0.0], tt, [tau]]))
    levels = np.concatenate([np.ones((len(w), 1)), surv], axis=1)
    return median, levels @ widths


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The (lower) weighted median of ``values`` for each row of ``weights``."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    cum = np.cumsum(np.atleast_2d(weights)[:, order], axis=1)
    half = 0.5 * cum[:, -1:]
    return v[np.argmax(cum >= half - 1e-9, axis=1)]


def n_blocks(weeks: np.ndarray, length: int) -> int:
    """How many blocks a resample of a group with these week indices draws."""
    n_weeks = int(weeks.max()) + 1 if len(weeks) else 1
    length = max(1, min(int(length), n_weeks // MIN_BLOCKS or 1))
    return math.ceil(n_weeks / length)


def wald(diff: float | None, draws: np.ndarray, alpha: float,
         min_ok: float = 0.95, df: float | None = None, extra_sd: float = 0.0,
         min_se: float = 0.0
         ) -> tuple[float | None, float | None, float | None, float | None]:
    """Standard error, CI and two-sided p-value of ``diff`` from bootstrap ``draws`` of it.

    ``None`` throughout when the estimate is missing or fewer than ``min_ok`` of the draws are
    finite (e.g. a median not reached in many resamples)."""
    if diff is None or not math.isfinite(diff):
        return None, None, None, None
    ok = np.isfinite(draws)
    if ok.mean() < min_ok or ok.sum() < 10:
        return None, None, None, None
    se = math.hypot(max(float(np.std(draws[ok], ddof=1)), min_se), extra_sd)
    if se <= 0:  # every resample alike (a handful of weeks): no interval from the bootstrap
        return None, None, None, None
    if df is None or not np.isfinite(df):
        z = stats.norm.ppf(1 - alpha / 2)
        p = float(2 * stats.norm.sf(abs(diff) / se))
    else:
        df = max(float(df), 1.0)
        z = stats.t.ppf(1 - alpha / 2, df)
        p = float(2 * stats.t.sf(abs(diff) / se, df))
    return se, diff - z * se, diff + z * se, p


def heterogeneity_p(values: list[np.ndarray], weeks: list[np.ndarray], length: int) -> float:
    """p-value of Cochran's Q test that the blocks of ``length`` weeks of each group share
    one level: within each group the values become normal scores of their ranks, and
    ``Q = Σ n_b · mean_b² / var`` over the blocks of both groups is compared with χ² on
    (blocks − 1) per group. A small p-value says the level drifts between months (a queue),
    a large one that the observations look exchangeable over time (an external party)."""
    q = 0.0
    dof = 0
    for v, w in zip(values, weeks, strict=True):
        if len(v) < 2:
            continue
        r = stats.rankdata(v)
        sc = stats.norm.ppf((r - 0.5) / len(v))
        var = float(np.var(sc))
        if var <= 0:
            continue
        sc = sc - sc.mean()
        blk = np.asarray(w) // max(1, int(length))
        n_b = np.bincount(blk)
        t_b = np.bincount(blk, weights=sc)
        keep = n_b > 0
        q += float(np.sum(t_b[keep] ** 2 / n_b[keep]) / var)
        dof += int(keep.sum()) - 1
    return float(stats.chi2.sf(q, dof)) if dof > 0 else 1.0


def median_se_floor(values: np.ndarray) -> float:
    """The large-sample standard error of a median under independence,
    ``1 / (2 f(m) sqrt(n))``, with the density ``f`` at the median from a Gaussian kernel
    estimate (Silverman's bandwidth). A floor for the bootstrap SE: on data in whole days the
    resampled medians pile up on one value and the bootstrap SE collapses (methods note §4:
    percentile intervals of medians of tied data are jumpy)."""
    v = np.asarray(values, dtype=float)
    if len(v) < 5 or np.ptp(v) == 0:
        return 0.0
    try:
        f = float(stats.gaussian_kde(v, bw_method="silverman")(np.median(v))[0])
    except (np.linalg.LinAlgError, ValueError):
        return 0.0
    return 1.0 / (2.0 * f * math.sqrt(len(v))) if f > 0 else 0.0


def rank_scores(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """A censoring-aware score per case for the block-length rule: the normal score of its
    duration's rank, open cases counted at their (lower-bound) age shifted by half a rank."""
    t = np.asarray(time, dtype=float)
    if len(t) < 2:
        return np.zeros(len(t))
    r = stats.rankdata(t + np.where(np.asarray(event, dtype=bool), 0.0, 1e-9))
    return stats.norm.ppf((r - 0.5) / len(t))
