"""Our Polars figures equal pm4py's on the real and sample logs: an independent cross-check.

What is compared, precisely:

* **Events**: the canonical log's completed activity instances (rows without a ``lifecycle``
  value; ``schedule`` and unpaired ``start`` events are left out on both sides), handed to
  pm4py with :func:`ist_analyse.to_pm4py`, in the canonical row order.
* **Without start times** (or with the ``start_time`` column removed from the log): pm4py's
  public ``discover_dfg`` (frequencies) and ``discover_performance_dfg(perf_aggregation_key=
  "all")``, which measure completion(a) → completion(b). Our ``occurrences`` must equal pm4py's
  frequency exactly, our mean, median, min, max and sum of the waiting time (days × 86400) its
  seconds.
* **With start times**: pm4py's DataFrame DFG algorithm (``get_dfg_graph`` with
  ``start_timestamp_key``, which the facade does not expose), with the start filled by the
  completion time where an instance has none. pm4py then orders by start, then completion,
  and measures ``max(start(b), end(a)) − end(a)``, our definition of waiting.

Equality is exact for counts and medians up to floating-point rounding (pm4py adds days,
seconds and microseconds as floats; we divide microseconds): tolerance 1e-9 relative, 1 µs.
"""

from __future__ import annotations

import contextlib
import sys

import pandas as pd
import pytest

import ist_analyse as ia
from ist_analyse import log as L
from ist_analyse.analysis.instances import activity_instances
from ist_analyse.analysis.performance import transition_stats
from tests.conftest import SAMPLE_LOGS

STATS = ("mean", "median", "min", "max", "sum")
OURS = {"mean": "mean_wait_days", "median": "median_wait_days", "min": "min_wait_days",
        "max": "max_wait_days", "sum": "total_wait_days"}


def pm4py():
    with contextlib.redirect_stdout(sys.stderr):
        import pm4py as module
    return module


def instances_only(log: pd.DataFrame) -> pd.DataFrame:
    if L.LIFECYCLE in log.columns:
        log = log[log[L.LIFECYCLE].isna()]
    return log.reset_index(drop=True)


def ours(log: pd.DataFrame) -> pd.DataFrame:
    return transition_stats(activity_instances(log)).set_index(["from", "to"])


def compare(mine: pd.DataFrame, freq: dict, perf: dict) -> None:
    assert set(mine.index) == set(freq) == set(perf)
    for edge, n in freq.items():
        row = mine.loc[edge]
        assert row["occurrences"] == n, edge
        for stat in STATS:
            assert row[OURS[stat]] * 86400 == pytest.approx(perf[edge][stat], rel=1e-9,
                                                             abs=1e-6), (edge, stat)


def check_completion_to_completion(log: pd.DataFrame) -> None:
    log = instances_only(log)
    if L.START_TIME in log.columns:
        log = log.drop(columns=[L.START_TIME])
    pm = pm4py()
    df = ia.to_pm4py(log)
    freq, _, _ = pm.discover_dfg(df.copy())
    perf, _, _ = pm.discover_performance_dfg(df.copy(), perf_aggregation_key="all")
    compare(ours(log), freq, perf)


def check_with_start_times(log: pd.DataFrame) -> None:
    log = instances_only(log)
    from pm4py.algo.discovery.dfg.adapters.pandas.df_statistics import get_dfg_graph

    df = ia.to_pm4py(log)
    start = df["start_timestamp"]
    usable = start.notna() & (start <= df["time:timestamp"])
    df["start_timestamp"] = start.where(usable, df["time:timestamp"])
    freq, perf = get_dfg_graph(df, measure="both", start_timestamp_key="start_timestamp",
                               perf_aggregation_key="all")
    compare(ours(log), freq, perf)


@pytest.mark.parametrize("name", ["08_receipt.xes.gz", "roadtraffic100traces.xes.gz",
                                  "12_roadtraffic_1t_per_variant.xes.gz"])
def test_real_logs_without_start_times(real_logs, name):
    check_completion_to_completion(ia.read_log(real_logs / name).log)


def test_german_sample_export():
    log = ia.read_log(SAMPLE_LOGS / "receipt_export_de.csv").log
    assert len(log) == 8577
    check_completion_to_completion(log)


def test_interval_log_both_definitions(real_logs):
    log = ia.read_log(real_logs / "interval_event_log.csv").log
    assert log[L.START_TIME].notna().all()
    check_with_start_times(log)
    check_completion_to_completion(log)


@pytest.mark.slow
def test_bpic2012_both_definitions(bpic2012):
    assert bpic2012[L.START_TIME].notna().any() and bpic2012[L.LIFECYCLE].notna().any()
    check_with_start_times(bpic2012)
    check_completion_to_completion(bpic2012)


@pytest.mark.slow
def test_bpic2012_public_bottlenecks_match(bpic2012):
    """The published (suppressed) table carries the same numbers where it shows them."""
    res = ia_bottlenecks(bpic2012)
    full = ours(instances_only(bpic2012))
    shown = res.transitions[~res.transitions["suppressed"]]
    assert len(shown) > 50
    for r in shown.itertuples(index=False):
        ref = full.loc[(r[0], r[1])]
        assert r.cases == ref["cases"] and r.median_wait_days == ref["median_wait_days"]
        assert r.p90_wait_days == ref["p90_wait_days"]


def ia_bottlenecks(log: pd.DataFrame):
    from ist_analyse.analysis import bottlenecks

    return bottlenecks(log)
