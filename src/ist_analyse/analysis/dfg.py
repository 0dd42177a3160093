"""The directly-follows table with waiting-time statistics, on Polars only.

The engine of :func:`~ist_analyse.analysis.performance.bottlenecks` (which publishes it as a
pandas table with privacy suppression) and of the speed benchmark: from a canonical Parquet log
to this table nothing imports pandas, which would cost more start-up time than the whole
computation on a million events (``benchmarks/bottlenecks.py``).
"""

from __future__ import annotations

import polars as pl

from ist_analyse.analysis import instances as I

#: the percentile reported next to the median (linear interpolation between order statistics)
P90 = 0.9


def transition_table(inst: I.Instances) -> pl.DataFrame:
    """Per transition a → b: cases, occurrences, waiting median/mean/p90/total/min/max (days),
    unsuppressed (callers apply the privacy rule), sorted by ``from``, ``to``."""
    wait = pl.col(I.WAIT)
    out = (inst.frame.lazy().filter(pl.col(I.PREV_ACT).is_not_null())
           .group_by([I.PREV_ACT, I.ACT])
           .agg(pl.col(I.CASE).n_unique().alias("cases"),
                pl.len().alias("occurrences"),
                wait.median().alias("median_wait_days"),
                wait.mean().alias("mean_wait_days"),
                wait.quantile(P90, "linear").alias("p90_wait_days"),
                wait.sum().alias("total_wait_days"),
                wait.min().alias("min_wait_days"),
                wait.max().alias("max_wait_days"))
           .select(pl.col(I.PREV_ACT).cast(pl.String).alias("from"),
                   pl.col(I.ACT).cast(pl.String).alias("to"), pl.exclude(I.PREV_ACT, I.ACT))
           .collect())
    # a fixed order (polars groups come in any order): ties in secondary suppression are
    # then broken the same way in every run
    return out.sort(["from", "to"])
