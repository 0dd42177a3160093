"""What else changed between the groups: case mix, arrival volume, variants.

A shorter duration after a change means little if the after group holds more of the quick
procedures, or half the workload. So the case mix (the procedure type, ``case_verfahren`` or
the first suitable case attribute) is compared with a chi-square test of homogeneity
(``scipy.stats.chi2_contingency``); when it shifted, ``case_duration`` is also compared within
each case type and with a log-rank test stratified by case type (statsmodels ``survdiff``), so
the verdict does not rest on the mix. Variant shares (top variants + "other") get the same
chi-square test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from scipy import stats

from ist_analyse import log as L
from ist_analyse.analysis import instances as I
from ist_analyse.comparison import periods as P
from ist_analyse.comparison import survival as S
from ist_analyse.privacy.suppress import FLAG, suppress_rows

#: preferred case attributes for the case mix, in this order
CASE_TYPE_NAMES = ("case_verfahren", "case_procedure", "case_type", "case_vorgangsart",
                   "case_art")
#: at most this many categories; rarer ones are pooled into "other"
MAX_CATEGORIES = 10
TOP_VARIANTS = 10


def case_type_attribute(loaded: P.Loaded, wanted: str | None = None) -> str | None:
    """The case attribute used as case type: ``wanted``, a preferred name, or the first
    attribute with 2 to :data:`MAX_CATEGORIES` values."""
    if wanted:
        col = wanted if wanted.startswith(L.CASE_PREFIX) else L.CASE_PREFIX + wanted
        return col if col in loaded.cases.columns else None
    for name in CASE_TYPE_NAMES:
        if name in loaded.cases.columns:
            return name
    for col in loaded.attributes:
        n = loaded.cases[col].n_unique()
        if 2 <= n <= MAX_CATEGORIES:
            return col
    return None


def _mix(values: list[np.ndarray], k_min: int, alpha: float) -> dict[str, Any]:
    """Shares per category before/after and the chi-square test of homogeneity."""
    pooled = np.concatenate(values)
    cats, counts = np.unique(pooled, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    keep = [str(c) for c in cats[order][:MAX_CATEGORIES]]
    table = []
    for v in values:
        s = np.where(np.isin(v, keep), v, "other")
        table.append([int(np.sum(s == c)) for c in [*keep, "other"]])
    names = [*keep, "other"]
    arr = np.array(table)
    used = arr.sum(axis=0) > 0
    arr, names = arr[:, used], [n for n, u in zip(names, used, strict=True) if u]
    p = None
    if arr.shape[1] >= 2 and arr.sum(axis=1).min() > 0:
        p = float(stats.chi2_contingency(arr).pvalue)
    nb, na = arr.sum(axis=1)
    rows = [{"value": name, "before_share": b / nb if nb else None,
             "after_share": a / na if na else None, "before_n": b, "after_n": a}
            for name, b, a in zip(names, arr[0].tolist(), arr[1].tolist(), strict=True)]
    rows = _suppressed(rows, ("before_n", "after_n"),
                       ("before_share", "after_share", "before_n", "after_n"), k_min)
    return {"rows": rows, "p_value": p, "shifted": p is not None and p < alpha}


def _suppressed(rows: list[dict[str, Any]], counts: tuple[str, str], figures: tuple[str, ...],
                k_min: int) -> list[dict[str, Any]]:
    """Blank every figure of a row about 1 to ``k_min - 1`` cases in either period, and
    (complementary suppression) a second row when only one is blank: the rows add up to the
    groups' case counts, which are published, so a single blank row could be recovered."""
    if not rows:
        return rows
    table = pd.DataFrame(rows)
    table["_n"] = table[list(counts)].sum(axis=1)
    out = suppress_rows(table, count=list(counts), columns=list(figures), k_min=k_min,
                        total_shown=True, order="_n").drop(columns="_n")
    out[FLAG] = out[FLAG].astype(bool)
    return [{k: (None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                 else v)
             for k, v in r.items()} for r in out.astype(object).to_dict("records")]


def case_mix(before: P.Group, after: P.Group, attribute: str | None, *, k_min: int,
             alpha: float) -> dict[str, Any]:
    if attribute is None or attribute not in before.cases.columns:
        return {"attribute": None, "rows": [], "p_value": None, "shifted": False}
    vals = [g.cases[attribute].cast(pl.String).fill_null("(none)").to_numpy().astype(str)
            for g in (before, after)]
    out = _mix(vals, k_min, alpha)
    return {"attribute": attribute[len(L.CASE_PREFIX):], **out}


def variants(before: P.Group, after: P.Group, *, k_min: int, alpha: float) -> dict[str, Any]:
    """Shares of the most frequent variants among *closed* cases (an open case's variant is
    not final), chi-square test."""
    vals = []
    for g in (before, after):
        closed = g.cases.filter(pl.col(P.CLOSED)).select(P.CASE)
        seq = (g.inst.join(closed, on=I.CASE).group_by(I.CASE, maintain_order=True)
               .agg(pl.col(I.ACT).cast(pl.String).str.join(" → ").alias("v")))
        vals.append(seq["v"].to_numpy().astype(str))
    if not len(vals[0]) or not len(vals[1]):
        return {"rows": [], "p_value": None, "shifted": False}
    out = _mix(vals, k_min, alpha)
    for r in out["rows"]:
        r["variant"] = r.pop("value")
    return out


def stratified(before: P.Group, after: P.Group, attribute: str, *, k_min: int,
               min_n: int) -> tuple[list[dict[str, Any]], float | None]:
    """``case_duration`` per case type, and a log-rank test stratified by case type."""
    from statsmodels.duration.survfunc import survdiff

    rows = []
    times, events, groups, strata = [], [], [], []
    cats = sorted(set(before.cases[attribute].cast(pl.String).fill_null("(none)").to_list())
                  | set(after.cases[attribute].cast(pl.String).fill_null("(none)").to_list()))
    for cat in cats:
        parts = []
        for g in (before, after):
            sub = g.cases.filter(pl.col(attribute).cast(pl.String).fill_null("(none)") == cat)
            parts.append((sub[P.DURATION].to_numpy().astype(float),
                          sub[P.CLOSED].to_numpy().astype(bool)))
        (tb, eb), (ta, ea) = parts
        enough = len(tb) >= min_n and len(ta) >= min_n
        mb = S.km_median(*S.km_curve(tb, eb)) if len(tb) else None
        ma = S.km_median(*S.km_curve(ta, ea)) if len(ta) else None
        p = S.logrank_p((tb, eb), (ta, ea)) if enough else None
        rows.append({"value": cat, "before_median": mb, "after_median": ma,
                     "difference": None if mb is None or ma is None else ma - mb,
                     "p_value": p, "n_before": len(tb), "n_after": len(ta)})
        if len(tb) and len(ta):
            for i, (t, e) in enumerate(parts):
                times.append(t)
                events.append(e)
                groups.append(np.full(len(t), i))
                strata.append(np.full(len(t), len(strata) // 2))
    p_strat = None
    if times:
        t, e = np.concatenate(times), np.concatenate(events).astype(int)
        if e.sum():
            _, p_strat = survdiff(t, e, np.concatenate(groups), strata=np.concatenate(strata))
            p_strat = float(p_strat)
    rows = _suppressed(rows, ("n_before", "n_after"), ("before_median", "after_median",
                                                       "difference", "p_value", "n_before",
                                                       "n_after"), k_min)
    return rows, p_strat


#: the workload a case meets: new cases per week in this many days up to its start
WORKLOAD_DAYS = 91
#: ... counted only when at least this many of those days lie inside the log
WORKLOAD_MIN_DAYS = 28


def _start_days(cases: pl.DataFrame) -> np.ndarray:
    return cases[P.START].dt.epoch("us").to_numpy() / P.DAY_US


def workload(before: P.Group, after: P.Group, alpha: float = 0.05) -> dict[str, Any]:
    """The workload each group's cases met: the mean, over the group's cases, of the new
    cases per week in the :data:`WORKLOAD_DAYS` days (13 weeks) up to each case's start,
    counted in the whole log the group comes from (days before the log's first case are not
    counted; a case with fewer than :data:`WORKLOAD_MIN_DAYS` days of history is left out).

    Why this and not the arrivals *in* the period: a backlog built up before the change
    date is worked off after it, so a seasonal peak that ends at the change date slows the
    first after-cases although the mean arrivals of the two periods are equal. Why arrivals
    and not the work in progress: the WIP is what a real improvement lowers (a mediator),
    adjusting for it would hide the effect. ``change`` is after/before − 1.

    ``p_value``: both figures are weighted sums of the daily arrival counts, so their
    difference has variance ``Σ (weight difference per day)² · v``, with ``v`` the variance
    of a day's count estimated from the first differences of the weekly counts (which removes
    slow seasonal movement): ``Var(week) ≈ mean(Δweek²) / 2``, ``v = Var(week) / 7``. A
    workload change only counts as a confounder when it is significant (p < ``alpha``) and
    relevant (:data:`ist_analyse.comparison.kpis.WORKLOAD_RELEVANCE`)."""
    means: list[float | None] = []
    coefs = []
    all_days = np.zeros(0)
    first = 0.0
    for g in (before, after):
        all_days = np.sort(np.floor(_start_days(g.source.cases)))
        mine = np.floor(_start_days(g.cases))
        if not len(all_days) or not len(mine):
            means.append(None)
            coefs.append(None)
            continue
        first = all_days[0]
        hi = np.searchsorted(all_days, mine, side="right")
        lo = np.searchsorted(all_days, mine - WORKLOAD_DAYS + 1, side="left")
        span = np.minimum(WORKLOAD_DAYS, mine - first + 1)
        ok = span >= WORKLOAD_MIN_DAYS
        if not ok.any():
            means.append(None)
            coefs.append(None)
            continue
        means.append(float(np.mean((hi - lo)[ok] / span[ok] * 7)))
        # the weight of each day's arrival count in this mean (difference array)
        n_days = int(all_days[-1] - first) + 2
        c = np.zeros(n_days + 1)
        end = (mine[ok] - first).astype(int)
        startd = end - span[ok].astype(int) + 1
        w = 7.0 / span[ok] / ok.sum()
        np.add.at(c, startd, w)
        np.add.at(c, end + 1, -w)
        coefs.append(np.cumsum(c)[:n_days])
    b, a = means
    change = a / b - 1 if a is not None and b else None
    p = None
    if change is not None and coefs[0] is not None and coefs[1] is not None and \
            len(coefs[0]) == len(coefs[1]):
        weekly = np.bincount(((all_days - first) // 7).astype(int))
        if len(weekly) >= 3:
            v_day = float(np.mean(np.diff(weekly) ** 2) / 2 / 7)
            var = float(np.sum((coefs[1] - coefs[0]) ** 2) * v_day)
            if var > 0:
                p = float(2 * stats.norm.sf(abs(a - b) / np.sqrt(var)))
    return {"before_per_week": b, "after_per_week": a, "change": change, "p_value": p,
            "significant": None if p is None else p < alpha, "window_days": WORKLOAD_DAYS}
