"""Weekly series of the main KPIs around the change date, and an optional segmented regression.

Per calendar week (Monday, Europe/Berlin): cases started (arrivals), cases closed
(completions), work in progress at the week's end (cases started and not yet closed; early
weeks are low because the export lacks cases that began before it: they carry ``ramp_up``,
see :func:`mark_ramp_up`) and the median duration of
the cases closed that week. Weeks are labelled ``before``, ``washout`` or ``after``.

The segmented regression (interrupted time series) fits ``y = b0 + b1·t + b2·after +
b3·(t − t0)·after`` by OLS with Newey–West (HAC, 4 weeks) standard errors: ``b2`` is the level
change at the change date and ``b3`` the change of the weekly trend. It does not model
seasonality; with less than a year before the change a seasonal dip can look like an effect,
which the output says.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from ist_analyse.comparison import periods as P
from ist_analyse.privacy.suppress import suppress_rows

HAC_LAGS = 4
SERIES = ("arrivals", "completions", "median_duration_days")


def _week(col: str, tz: str) -> pl.Expr:
    return (pl.col(col).dt.convert_time_zone(tz).dt.truncate("1w").dt.date())


def weekly(cases: pl.DataFrame, tz: str) -> pd.DataFrame:
    """Arrivals, completions, WIP and median duration of closed cases per week."""
    if not len(cases):
        return pd.DataFrame(columns=["week", "arrivals", "completions", "wip",
                                     "median_duration_days"])
    arr = cases.group_by(_week(P.START, tz).alias("week")).len().rename({"len": "arrivals"})
    done = (cases.filter(pl.col(P.CLOSED))
            .group_by(_week(P.END, tz).alias("week"))
            .agg(pl.len().alias("completions"),
                 pl.col(P.DURATION).median().alias("median_duration_days")))
    lo = min(arr["week"].min(), done["week"].min() if len(done) else arr["week"].min())
    hi = max(arr["week"].max(), done["week"].max() if len(done) else arr["week"].max())
    weeks = pl.DataFrame({"week": pl.date_range(lo, hi, "1w", eager=True)})
    t = (weeks.join(arr, on="week", how="left").join(done, on="week", how="left")
         .with_columns(pl.col("arrivals").fill_null(0), pl.col("completions").fill_null(0))
         .with_columns((pl.col("arrivals").cum_sum() - pl.col("completions").cum_sum())
                       .alias("wip")).sort("week"))
    return t.to_pandas()


def weekly_rows(groups: list[tuple[str, pl.DataFrame]], tz: str, *, k_min: int,
                change: pd.Timestamp | None = None,
                washout_end: pd.Timestamp | None = None) -> list[dict[str, Any]]:
    """The ``weekly`` list of the JSON document.

    With a change date there is one series over the whole log, each week labelled by where its
    Monday lies; otherwise one series per group, labelled with the group ("before"/"after").
    """
    frames = []
    for period, cases in groups:
        w = weekly(cases, tz)
        if change is not None:
            monday = pd.to_datetime(w["week"]).dt.tz_localize(tz).dt.tz_convert("UTC")
            w["period"] = np.where(monday < change, "before",
                                   np.where(monday < (washout_end or change), "washout",
                                            "after"))
        else:
            w["period"] = period
        frames.append(w)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not len(df):
        return []
    small = (df["completions"] >= 1) & (df["completions"] < k_min)
    df["median_duration_days"] = df["median_duration_days"].astype(float)
    df.loc[small, "median_duration_days"] = np.nan
    # whole weeks, with a complementary one (see analysis.performance.weekly_flow)
    df = suppress_rows(df, count=["arrivals", "completions", "wip"],
                       columns=["arrivals", "completions", "wip", "median_duration_days"],
                       k_min=k_min, total_shown=True, order="arrivals")
    df["week"] = df["week"].astype(str)
    out = []
    for r in df.to_dict(orient="records"):
        out.append({"week": r["week"], "period": r["period"],
                    **{k: (None if r[k] is None or pd.isna(r[k]) else
                           (int(r[k]) if k != "median_duration_days" else round(float(r[k]), 3)))
                       for k in ("arrivals", "completions", "wip", "median_duration_days")},
                    "suppressed": bool(r["suppressed"] or small[len(out)])})
    return out


#: series that are low by construction during the ramp-up of a log of new cases only
RAMP_SERIES = ("completions", "wip", "median_duration_days")


def mark_ramp_up(rows: list[dict[str, Any]], until: str | None) -> None:
    """Flag the weeks before ``until`` (the date from which completions are counted, see
    :mod:`.kpis`) with ``ramp_up``: a log that holds only cases started inside the export
    window lacks the older cases still open at its start, so completions, work in progress
    and the durations of closed cases are low there by construction. The segmented
    regression leaves these weeks out of those series."""
    for r in rows:
        r["ramp_up"] = bool(until is not None and r["week"] < until)


def segmented(rows: list[dict[str, Any]], *, alpha: float) -> dict[str, Any]:
    """Segmented regression of each weekly series (module docstring)."""
    import statsmodels.api as sm

    out: dict[str, Any] = {"model": "OLS y = b0 + b1*t + b2*after + b3*(t - t0)*after, "
                                    f"Newey-West standard errors ({HAC_LAGS} weeks); no "
                                    "seasonality term", "series": {}}
    use = [r for r in rows if r["period"] != "washout"]
    if not use:
        return out
    t = np.arange(len(use), dtype=float)
    after = np.array([r["period"] == "after" for r in use], dtype=float)
    if not after.any() or after.all():
        return out
    t0 = t[after.astype(bool)][0]
    for name in SERIES:
        y = np.array([np.nan if r[name] is None or (name in RAMP_SERIES and r.get("ramp_up"))
                      else r[name] for r in use], dtype=float)
        ok = np.isfinite(y)
        if ok.sum() < 12 or after[ok].sum() < 4 or (1 - after[ok]).sum() < 4:
            out["series"][name] = None
            continue
        x = np.column_stack([np.ones(ok.sum()), t[ok], after[ok], (t[ok] - t0) * after[ok]])
        fit = sm.OLS(y[ok], x).fit(cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS})
        ci = fit.conf_int(alpha)
        out["series"][name] = {
            "level_change": float(fit.params[2]), "level_ci": [float(ci[2][0]),
                                                               float(ci[2][1])],
            "level_p_value": float(fit.pvalues[2]),
            "slope_change": float(fit.params[3]), "slope_ci": [float(ci[3][0]),
                                                               float(ci[3][1])],
            "slope_p_value": float(fit.pvalues[3]), "weeks": int(ok.sum())}
    return out
