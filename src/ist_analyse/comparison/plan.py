"""``compare --plan``: how many weeks after a go-live are needed to see an effect of a given size.

Method (simulation on the office's own data, because durations here are skewed, censored and
not proportional-hazards, so textbook power formulas for the log-rank test do not apply):

1. *before* = the cases of the log as they are (durations censored at the export date);
2. for ``w`` weeks after a go-live, ``Poisson(arrivals per week × w)`` new cases start at
   uniform times in those weeks; each draws a duration from the log's Kaplan–Meier curve
   (inverse transform; beyond the curve's end it stays open), multiplied by ``1 − effect``,
   and is censored at the end of week ``w`` like a real export would cut it;
3. the comparison's test (log-rank, two-sided, ``alpha``) is run; the share of ``n_sim``
   simulated logs in which it is significant is the power at ``w`` weeks.

``weeks_needed`` is the first ``w`` with power ≥ ``power``; the minimum detectable effect
(MDE) at 12, 26 and 52 weeks is the smallest reduction on a 5 % grid that reaches that power.
For the rework share the classic two-proportion formula applies (statsmodels
``NormalIndPower`` with Cohen's h) and the rework window is added, since a case needs that
long to count.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ist_analyse.comparison import kpis as K
from ist_analyse.comparison import periods as P
from ist_analyse.comparison import survival as S
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions
from ist_analyse.errors import ConfigError
from ist_analyse.inspection import LogLike

WEEKS = (4, 8, 12, 16, 20, 26, 39, 52, 78, 104)
MDE_WEEKS = (12, 26, 52)
EFFECT_GRID = tuple(round(0.05 * i, 2) for i in range(1, 15))


@dataclass
class Plan:
    """The result of :func:`plan_change`; ``to_dict()`` is the ``--json`` document."""

    source: str
    cases: int
    arrivals_per_week: float
    median_days: float | None
    open_share: float
    effect: float
    alpha: float
    power: float
    n_sim: int
    rows: list[dict[str, Any]]
    weeks_needed: int | None
    mde: list[dict[str, Any]]
    rework: dict[str, Any]
    method: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _power(before: tuple[np.ndarray, np.ndarray], times: np.ndarray, surv: np.ndarray,
           rate: float, weeks: int, effect: float, alpha: float, n_sim: int,
           rng: np.random.Generator) -> tuple[float, float]:
    hits = 0
    sizes = []
    cdf = 1 - surv
    for _ in range(n_sim):
        n = rng.poisson(rate * weeks)
        sizes.append(n)
        if n < 2:
            continue
        offset = rng.uniform(0, 7 * weeks, n)
        u = rng.uniform(0, 1, n)
        idx = np.searchsorted(cdf, u, side="left")
        beyond = idx >= len(times)
        dur = np.where(beyond, np.inf, times[np.minimum(idx, len(times) - 1)]) * (1 - effect)
        follow = 7 * weeks - offset
        event = dur <= follow
        t = np.where(event, dur, follow)
        if not event.any():
            continue
        p = S.logrank_p(before, (t, event))
        hits += p is not None and p < alpha
    return hits / n_sim, float(np.mean(sizes))


def plan_change(log: LogLike, options: ImportOptions | None = None, *, effect: float = 0.3,
                alpha: float = 0.05, power: float = 0.9,
                end_activities: list[str] | tuple[str, ...] | None = None, as_of: Any = None,
                n_sim: int = 100, seed: int = 0) -> Plan:
    """Weeks after a go-live needed to detect a ``effect`` reduction of case durations.

    Args:
        log: the current log (the "before" data: volume and spread come from it).
        options: import options for a path.
        effect: the reduction to detect, as a share (0.3 = durations 30 % shorter).
        alpha: significance level of the test.
        power: wanted probability of detecting the effect.
        end_activities, as_of: as for :func:`~ist_analyse.comparison.compare`.
        n_sim: simulated logs per number of weeks.
        seed: random seed (same seed, same plan).

    Returns:
        :class:`Plan`.

    Raises:
        ConfigError: ``effect``, ``power`` or ``alpha`` out of range; too few closed cases.
    """
    began = time.perf_counter()
    if not 0 < effect < 1:
        raise ConfigError(f"the effect must be a share between 0 and 1, got {effect!r}",
                          hint="e.g. --effect 0.3 for durations 30 % shorter")
    if not 0.5 <= power < 1:
        raise ConfigError(f"power must be between 0.5 and 1, got {power!r}")
    if not 0 < alpha < 0.5:
        raise ConfigError(f"alpha must be between 0 and 0.5, got {alpha!r}")
    loaded = P.load(log, options, end_activities=end_activities, as_of=as_of)
    g = P.whole(loaded, "before")
    before = g.durations()
    if before[1].sum() < 20:
        raise ConfigError("the log has fewer than 20 closed cases: too few to plan with",
                          hint="give --end-activity, or a longer log")
    tz = options.timezone if options else DEFAULT_TIMEZONE
    weeks = K.full_weeks(g.start, g.end, tz)
    rate = float(np.mean(K.weekly_counts(g.cases[P.START].to_pandas(), weeks, tz))) \
        if len(weeks) else g.n / max(1.0, (g.end - g.start).days / 7)
    times, surv = S.km_curve(*before)
    rng = np.random.default_rng(seed)
    rows = []
    needed = None
    for w in WEEKS:
        pw, n_after = _power(before, times, surv, rate, w, effect, alpha, n_sim, rng)
        rows.append({"weeks": w, "after_cases": round(n_after, 1), "power": pw})
        if pw >= power and needed is None:
            needed = w
            break
    mde = []
    for w in MDE_WEEKS:
        lo, hi, found = 0, len(EFFECT_GRID) - 1, None
        while lo <= hi:  # power grows with the effect: bisect the grid
            mid = (lo + hi) // 2
            pw, _ = _power(before, times, surv, rate, w, EFFECT_GRID[mid], alpha, n_sim, rng)
            if pw >= power:
                found, hi = EFFECT_GRID[mid], mid - 1
            else:
                lo = mid + 1
        mde.append({"weeks": w, "effect": found})
    rework = _rework_plan(g, rate, effect, alpha, power)
    notes = [loaded.closing_rule] if loaded.heuristic_close else []
    return Plan(source=loaded.source, cases=g.n, arrivals_per_week=rate,
                median_days=S.km_median(times, surv), open_share=g.open_cases / g.n,
                effect=effect, alpha=alpha, power=power, n_sim=n_sim, rows=rows,
                weeks_needed=needed, mde=mde, rework=rework,
                method="simulation on the log's Kaplan-Meier curve and weekly arrivals, "
                       "log-rank test (see ist_analyse.comparison.plan)",
                seconds=time.perf_counter() - began, notes=notes)


def _rework_plan(g: P.Group, rate: float, effect: float, alpha: float,
                 power: float) -> dict[str, Any]:
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    window = K.rework_window(g)
    row = K.rework_kpis(g, g, window, alpha=alpha, min_n=2, k_min=1)[0]
    p0 = row.before
    if not p0 or p0 >= 1:
        return {"baseline": p0, "window_days": window, "cases_needed": None,
                "weeks_needed": None}
    h = abs(proportion_effectsize(p0, p0 * (1 - effect)))
    # equal group sizes: conservative when the before group is larger
    n_after = int(np.ceil(NormalIndPower().solve_power(effect_size=h, alpha=alpha,
                                                       power=power, ratio=1.0)))
    return {"baseline": p0, "target": p0 * (1 - effect), "window_days": window,
            "cases_needed": n_after,
            "weeks_needed": int(np.ceil(n_after / rate + window / 7)) if rate else None}
