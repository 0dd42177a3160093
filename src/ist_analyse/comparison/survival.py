"""End-to-end duration as censored time-to-event data: Kaplan–Meier, log-rank, RMST.

A case still open at the export date has a duration of *at least* its age. Dropping it (or
counting it as finished) makes every recent period look fast: the long cases are exactly the
ones not finished yet. So durations are right-censored at the export date and compared with the
Kaplan–Meier estimator (``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``) and the log-rank
test (``scipy.stats.logrank``), never with a mean over closed cases.

* **median**: the smallest time at which the Kaplan–Meier survival drops to 0.5 or below
  ("not reached" when it never does);
* **RMST** (restricted mean survival time): the area under the survival curve up to a horizon
  τ, i.e. the mean duration if every case were capped at τ days. It exists even when the median
  does not. τ defaults to 80 % of the shorter of the two groups' longest observed times, so both
  curves are observed up to τ;
* **confidence intervals and test**: when the week of each case's start is given
  (``weeks_before``/``weeks_after``, as :func:`~ist_analyse.comparison.core.compare` does), a
  circular block bootstrap over weeks of arrival (:mod:`.blocks`) gives the standard errors of
  the median difference and the RMST difference; CI and p-value are the Wald pair from that
  standard error, so they agree. The tested figure is the median difference when both medians
  are reached (and in ≥ 95 % of resamples), otherwise the RMST difference (``test`` says
  which). The log-rank p-value (which treats cases as independent and so is over-confident in
  a queueing office) is kept as ``logrank_p`` for reference. Without weeks the former
  case-level percentile bootstrap (``scipy.stats.bootstrap``) with the log-rank test is used.
  Inside both bootstraps the Kaplan–Meier curve of each resample is one vectorised product
  over the sorted times (ties events-first); the tests check it against ``scipy.stats.ecdf``.

**Informative censoring.** Kaplan–Meier assumes that whether a case is still open at the
export date says nothing about how long it will take beyond its age. Censoring by the export
date depends only on the start date, so this holds as long as cases started early and late in
a period take equally long. An office's calendar breaks it a little: in the simulated
stationary office, cases started in October–December take about 3.8 days longer (median 115.8
days, 120 seeds) than those started in July–September (112.0; presumably the year end with
its holidays in their course), and the late starters are exactly the open ones, so the after
half-year's Kaplan–Meier median comes out on average 1.7 days (1.5 %) below the true median
of its cohort (before half-year: 0.07 days; stationary seeds 0–1999 against the simulator's
truth). No estimator can see what the export does not contain; the between-period component
of :mod:`.blocks` is calibrated with this bias included, and a longer after period (or a
later export) removes it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: at most this many points per Kaplan–Meier curve in the JSON document (for the chart)
MAX_CURVE_POINTS = 200
#: the RMST horizon as a share of the shorter follow-up of the two groups
HORIZON_SHARE = 0.8


def censored(time: np.ndarray, event: np.ndarray) -> stats.CensoredData:
    """Durations as SciPy censored data (``event`` False = still open, right-censored)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    return stats.CensoredData(uncensored=time[event], right=time[~event])


def km_curve(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier survival: the distinct times and the survival just after each."""
    if not len(time):
        return np.zeros(0), np.zeros(0)
    if not np.asarray(event, dtype=bool).any():  # nothing closed: the curve stays at 1
        return np.array([float(np.max(time))]), np.array([1.0])
    sf = stats.ecdf(censored(time, event)).sf
    return np.asarray(sf.quantiles, dtype=float), np.asarray(sf.probabilities, dtype=float)


def km_median(times: np.ndarray, surv: np.ndarray) -> float | None:
    """The smallest time at which survival is 0.5 or below; ``None`` when not reached."""
    hit = np.flatnonzero(surv <= 0.5 + 1e-12)
    return float(times[hit[0]]) if len(hit) else None


def rmst(times: np.ndarray, surv: np.ndarray, tau: float) -> float:
    """Area under the Kaplan–Meier step function from 0 to ``tau``."""
    t = np.minimum(np.concatenate([[0.0], times]), tau)
    widths = np.diff(np.concatenate([t, [tau]]))
    levels = np.concatenate([[1.0], surv])
    return float(np.sum(levels * widths))


def _encode(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """One float per case for the bootstrap (which resamples arrays, not pairs): the time when
    closed, ``-(time + 1)`` when open."""
    time = np.asarray(time, dtype=float)
    return np.where(np.asarray(event, dtype=bool), time, -(time + 1.0))


def km_batch(enc: np.ndarray, tau: float, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier median and RMST(τ) of every row of ``enc`` (see :func:`_encode`) at once.

    Sorted by time with events before censorings at equal times, the Kaplan–Meier product over
    distinct times equals the product of ``1 - event_i / at_risk_i`` over single cases (tied
    events multiply to ``1 - d/n``), so no grouping by time is needed.
    """
    enc = np.moveaxis(np.asarray(enc, dtype=float), axis, -1)
    ev = enc >= 0
    t = np.where(ev, enc, -enc - 1.0)
    key = t + np.where(ev, 0.0, 1e-9 * np.maximum(1.0, t))
    order = np.argsort(key, axis=-1, kind="stable")
    t = np.take_along_axis(t, order, axis=-1)
    ev = np.take_along_axis(ev, order, axis=-1)
    n = t.shape[-1]
    at_risk = n - np.arange(n)
    surv = np.cumprod(1.0 - ev / at_risk, axis=-1)
    below = surv <= 0.5 + 1e-12
    reached = below.any(axis=-1)
    first = np.argmax(below, axis=-1)
    median = np.where(reached, np.take_along_axis(t, first[..., None], axis=-1)[..., 0],
                      np.nan)
    tt = np.minimum(t, tau)
    edges = np.concatenate([np.zeros((*t.shape[:-1], 1)), tt,
                            np.full((*t.shape[:-1], 1), tau)], axis=-1)
    levels = np.concatenate([np.ones((*t.shape[:-1], 1)), surv], axis=-1)
    area = np.sum(levels * np.diff(edges, axis=-1), axis=-1)
    return median, area


@dataclass
class SurvivalComparison:
    """Kaplan–Meier figures of two groups (days)."""

    n_before: int
    n_after: int
    events_before: int
    events_after: int
    median_before: float | None
    median_after: float | None
    median_ci: tuple[float | None, float | None]
    p_value: float | None
    horizon: float
    rmst_before: float
    rmst_after: float
    rmst_ci: tuple[float | None, float | None]
    curve_before: tuple[np.ndarray, np.ndarray]
    curve_after: tuple[np.ndarray, np.ndarray]
    median_ci_unstable: bool = False
    #: the log-rank p-value (independent cases), for reference
    logrank_p: float | None = None
    #: the figure behind ``p_value``: "median" or "rmst" (block bootstrap) or "logrank"
    test: str = "logrank"
    block_weeks: int | None = None
    median_se: float | None = None
    rmst_se: float | None = None
    #: the median difference's CI without the period component (these two cohorts)
    median_ci_cohort: tuple[float | None, float | None] = (None, None)
    #: bootstrap SD of the tested difference (without the period component)
    se_bootstrap: float | None = None
    #: degrees of freedom of the Student-t reference (blocks before + after - 2)
    df: int | None = None

    @property
    def median_difference(self) -> float | None:
        if self.median_before is None or self.median_after is None:
            return None
        return self.median_after - self.median_before

    @property
    def rmst_difference(self) -> float:
        return self.rmst_after - self.rmst_before


def horizon_for(before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray],
                horizon: float | None = None) -> float:
    """The RMST horizon τ (module docstring)."""
    if horizon is not None:
        return float(horizon)
    longest = [float(np.max(t)) for t, _ in (before, after) if len(t)]
    return HORIZON_SHARE * min(longest) if longest else 0.0


def logrank_p(before: tuple[np.ndarray, np.ndarray],
              after: tuple[np.ndarray, np.ndarray]) -> float | None:
    """Two-sided log-rank p-value; ``None`` when a group is empty or nothing closed."""
    (tb, eb), (ta, ea) = before, after
    if not len(tb) or not len(ta) or not (eb.any() or ea.any()):
        return None
    p = float(stats.logrank(censored(tb, eb), censored(ta, ea)).pvalue)
    return p if np.isfinite(p) else None


def compare_survival(before: tuple[np.ndarray, np.ndarray],
                     after: tuple[np.ndarray, np.ndarray], *, alpha: float = 0.05,
                     n_boot: int = 999, seed: int = 0, horizon: float | None = None,
                     bootstrap: bool = True, weeks_before: np.ndarray | None = None,
                     weeks_after: np.ndarray | None = None,
                     block_weeks: int | None = None,
                     period_noise: float = 0.0) -> SurvivalComparison:
    """Kaplan–Meier medians, RMST at τ, CIs of both differences and a p-value (module
    docstring: block bootstrap when the weeks of arrival are given, else log-rank)."""
    (tb, eb), (ta, ea) = before, after
    tau = horizon_for(before, after, horizon)
    cb, ca = km_curve(tb, eb), km_curve(ta, ea)
    mb, ma = km_median(*cb), km_median(*ca)
    if (bootstrap and weeks_before is not None and weeks_after is not None
            and len(tb) >= 2 and len(ta) >= 2 and tau > 0):
        return _block_survival(before, after, cb, ca, mb, ma, tau, alpha=alpha, n_boot=n_boot,
                               seed=seed, weeks=(np.asarray(weeks_before),
                                                 np.asarray(weeks_after)),
                               block_weeks=block_weeks, period_noise=period_noise)
    med_ci: tuple[float | None, float | None] = (None, None)
    rmst_ci: tuple[float | None, float | None] = (None, None)
    unstable = False
    if bootstrap and len(tb) >= 2 and len(ta) >= 2 and tau > 0:
        def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
            m1, r1 = km_batch(x, tau, axis)
            m2, r2 = km_batch(y, tau, axis)
            return np.stack([m2 - m1, r2 - r1])

        with warnings.catch_warnings():  # resamples whose median is not reached are NaN;
            warnings.simplefilter("ignore")  # the quantiles are taken below without them
            res = stats.bootstrap((_encode(tb, eb), _encode(ta, ea)), statistic,
                                  vectorized=True, n_resamples=n_boot, method="percentile",
                                  rng=np.random.default_rng(seed))
        dist = res.bootstrap_distribution
        q = [alpha / 2, 1 - alpha / 2]
        rmst_ci = tuple(float(v) for v in np.quantile(dist[1], q))  # type: ignore[assignment]
        if mb is not None and ma is not None:
            ok = np.isfinite(dist[0])
            # when many resamples never reach 0.5 the median's interval is not trustworthy
            if ok.mean() >= 0.95:
                med_ci = tuple(float(v) for v in np.quantile(dist[0][ok], q))  # type: ignore
            else:
                unstable = True
    return SurvivalComparison(
        n_before=len(tb), n_after=len(ta), events_before=int(np.sum(eb)),
        events_after=int(np.sum(ea)), median_before=mb, median_after=ma, median_ci=med_ci,
        p_value=(lr := logrank_p(before, after)), horizon=tau, rmst_before=rmst(*cb, tau),
        rmst_after=rmst(*ca, tau), rmst_ci=rmst_ci, curve_before=cb, curve_after=ca,
        median_ci_unstable=unstable, logrank_p=lr)


def _block_survival(before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray],
                    cb: tuple[np.ndarray, np.ndarray], ca: tuple[np.ndarray, np.ndarray],
                    mb: float | None, ma: float | None, tau: float, *, alpha: float,
                    n_boot: int, seed: int, weeks: tuple[np.ndarray, np.ndarray],
                    block_weeks: int | None, period_noise: float) -> SurvivalComparison:
    from ist_analyse.comparison import blocks as B

    (tb, eb), (ta, ea) = before, after
    if block_weeks is None:
        block_weeks = B.block_length(list(weeks), [B.rank_scores(tb, eb),
                                                   B.rank_scores(ta, ea)])
    rng = np.random.default_rng(seed)
    wb = B.block_weights(weeks[0], block_weeks, n_boot, rng)
    wa = B.block_weights(weeks[1], block_weeks, n_boot, rng)
    m1, r1 = B.km_weighted(tb, eb, wb, tau)
    m2, r2 = B.km_weighted(ta, ea, wa, tau)
    rb, ra = rmst(*cb, tau), rmst(*ca, tau)
    df = B.n_blocks(weeks[0], block_weeks) + B.n_blocks(weeks[1], block_weeks) - 2
    r_se, r_lo, r_hi, r_p = B.wald(ra - rb, r2 - r1, alpha, min_ok=0.0, df=df,
                                   extra_sd=period_noise * rb)
    med_diff = ma - mb if mb is not None and ma is not None else None
    m_se, m_lo, m_hi, m_p = B.wald(med_diff, m2 - m1, alpha, df=df,
                                   extra_sd=period_noise * (mb or 0.0))
    _, c_lo, c_hi, _ = B.wald(med_diff, m2 - m1, alpha, df=df)
    unstable = med_diff is not None and m_se is None
    test, p = ("median", m_p) if m_p is not None else ("rmst", r_p)
    if p is None:  # degenerate bootstrap (a handful of weeks): the log-rank test decides
        test, p = "logrank", logrank_p(before, after)
    return SurvivalComparison(
        n_before=len(tb), n_after=len(ta), events_before=int(np.sum(eb)),
        events_after=int(np.sum(ea)), median_before=mb, median_after=ma,
        median_ci=(m_lo, m_hi), p_value=p, horizon=tau, rmst_before=rb, rmst_after=ra,
        rmst_ci=(r_lo, r_hi), curve_before=cb, curve_after=ca, median_ci_unstable=unstable,
        logrank_p=logrank_p(before, after), test=test, block_weeks=int(block_weeks),
        median_se=m_se, rmst_se=r_se, median_ci_cohort=(c_lo, c_hi),
        se_bootstrap=_sd(m2 - m1 if m_p is not None else r2 - r1), df=int(df))


def _sd(x: np.ndarray) -> float | None:
    ok = np.isfinite(x)
    return float(np.std(x[ok], ddof=1)) if ok.sum() >= 2 else None


def curve_points(times: np.ndarray, surv: np.ndarray, time: np.ndarray,
                 k_min: int) -> list[dict[str, float]]:
    """The step points of a Kaplan–Meier curve for a chart, at most :data:`MAX_CURVE_POINTS`,
    cut where fewer than ``k_min`` cases are still at risk (the tail would describe
    individual cases)."""
    if not len(times):
        return []
    at_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    keep = at_risk >= k_min
    t, s = times[keep], surv[keep]
    if len(t) > MAX_CURVE_POINTS - 1:
        idx = np.unique(np.linspace(0, len(t) - 1, MAX_CURVE_POINTS - 1).round().astype(int))
        t, s = t[idx], s[idx]
    points = [{"days": 0.0, "survival": 1.0}]
    points += [{"days": round(float(a), 3), "survival": round(float(b), 4)}
               for a, b in zip(t, s, strict=True)]
    return points
