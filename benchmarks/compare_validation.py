"""Validation of ``compare`` on simulated logs with known truth (issue #7 item 7; methods §8).

Runs the null scenarios (stationary, seasonal, surge, censored) and two effect scenarios
(checklist: case duration and rework; three_transitions: three waits shortened) over N seeds
each, in parallel processes, and prints:

* false-positive rate of ``case_duration`` and ``rework_rate`` per null scenario, ours vs the
  naive comparison of closed cases only (Mann–Whitney on closed durations; two-proportion
  test on the rework share of closed cases) — target ≤ 5 %;
* wrongly coloured edges: share of null runs with at least one transition coloured
  faster/slower in the difference map (≈ 20+ compared transitions) — target ≤ 5 %;
* power: share of three_transitions runs in which each shortened wait is called ``faster``
  (scale 0.135 ≈ 500 cases per period) — target ≥ 90 % for a 30 % reduction;
* CI coverage: share of runs whose 95 % CI holds the true difference (case_duration median
  in checklist; the target waits in three_transitions) — target 93–97 %;
* the runtime per comparison.

Usage::

    python benchmarks/compare_validation.py            # 200 seeds per scenario
    python benchmarks/compare_validation.py --seeds 20 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

END = "Vorgang abgeschlossen"
NULL = ("stationary", "seasonal", "surge", "censored")
EFFECTS = ("checklist", "three_transitions")
#: 0.1 ≈ 375 cases per half year; 0.135 ≈ 500 (the power target's size)
SCALE = {"three_transitions": 0.135}
ALPHA = 0.05


def naive(log, change) -> tuple[float, float]:
    """p-values of the naive closed-cases-only comparison: durations, rework share."""
    import pandas as pd
    from scipy import stats
    from statsmodels.stats.proportion import test_proportions_2indep

    starts = log.groupby("case_id", observed=True)["timestamp"].min()
    ends = log[log["activity"] == END].groupby("case_id", observed=True)["timestamp"].min()
    closed = ends.index
    dur = (ends - starts.loc[closed]).dt.total_seconds() / 86400
    at = pd.Timestamp(change).tz_localize("Europe/Berlin").tz_convert("UTC")
    after = (starts.loc[closed] >= at).to_numpy()
    p_dur = float(stats.mannwhitneyu(dur[~after], dur[after]).pvalue)
    sub = log[log["case_id"].isin(closed)]
    rep = sub.groupby(["case_id", "activity"], observed=True).size()
    rework = rep[rep > 1].reset_index()["case_id"].unique()
    has = np.isin(closed.to_numpy(), rework)
    x1, n1 = int(has[~after].sum()), int((~after).sum())
    x2, n2 = int(has[after].sum()), int(after.sum())
    p_rw = float(test_proportions_2indep(x2, n2, x1, n1).pvalue)
    return p_dur, p_rw


def one(job: tuple[str, int]) -> dict:
    warnings.simplefilter("ignore")
    from ist_analyse.comparison import compare
    from ist_analyse.simulate import simulate

    scenario, seed = job
    res = simulate(scenario, "2024-01-01", 12, seed=seed, scale=SCALE.get(scenario, 0.1),
                   progress=False, with_case_truth=False)
    change = res.truth["run"]["change_date"]
    t0 = time.perf_counter()
    r = compare(res.log, change=change, end_activities=[END], seed=seed)
    seconds = time.perf_counter() - t0
    out = {"scenario": scenario, "seed": seed, "seconds": seconds}
    d, rw = r.kpi("case_duration"), r.kpi("rework_rate")
    out["dur_sig"] = bool(d.significant)
    out["rw_sig"] = bool(rw.significant)
    out["naive_dur_sig"], out["naive_rw_sig"] = (p < ALPHA for p in naive(res.log, change))
    edges = r.difference_map["edges"]
    out["compared_edges"] = sum(e["status"] in ("faster", "slower", "unchanged")
                                for e in edges)
    out["coloured_edges"] = sum(e["status"] in ("faster", "slower") for e in edges)
    eff = res.truth["headline_effects"]["e2e_median_days"]
    out["true_dur_diff"] = eff["difference"]
    out["dur_cover"] = (d.ci_low is not None and d.ci_low <= eff["difference"] <= d.ci_high)
    out["dur_faster"] = d.verdict == "faster"
    targets = {}
    for t in res.truth.get("target_transitions", []):
        a, b = (x.strip() for x in t["transition"].split("->"))
        df = t["directly_follows"]
        true = df["after"]["median_days"] - df["before"]["median_days"]
        try:
            k = r.kpi(f"wait:{a}->{b}")
        except KeyError:
            targets[t["transition"]] = {"found": False, "cover": False,
                                        "ratio": df["median_ratio"]}
            continue
        targets[t["transition"]] = {
            "found": k.verdict == "faster",
            "cover": k.ci_low is not None and k.ci_low <= true <= k.ci_high,
            "ratio": df["median_ratio"]}
    out["targets"] = targets
    return out


def rate(rows: list[dict], key: str) -> str:
    n = len(rows)
    k = sum(bool(r[key]) for r in rows)
    return f"{k}/{n} = {100 * k / n:5.1f} %" if n else "–"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200, help="seeds per scenario")
    ap.add_argument("--workers", type=int, default=2, help="parallel processes")
    ap.add_argument("--first-seed", type=int, default=1000)
    args = ap.parse_args()
    jobs = [(s, args.first_seed + i) for s in (*NULL, *EFFECTS) for i in range(args.seeds)]
    began = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, jobs, chunksize=1))
    wall = time.perf_counter() - began
    by = {s: [r for r in results if r["scenario"] == s] for s in (*NULL, *EFFECTS)}
    print(f"compare validation: {args.seeds} seeds per scenario, {len(jobs)} runs, "
          f"{wall:.0f} s wall on {args.workers} processes; alpha {ALPHA}")
    print("\nfalse-positive rate (null scenarios; target <= 5 %)")
    print(f"{'scenario':<12} {'case_duration ours':>22} {'naive closed-only':>22} "
          f"{'rework_rate ours':>22} {'naive closed-only':>22}")
    for s in NULL:
        rows = by[s]
        true = np.mean([r["true_dur_diff"] for r in rows]) if rows else float("nan")
        print(f"{s:<12} {rate(rows, 'dur_sig'):>22} {rate(rows, 'naive_dur_sig'):>22} "
              f"{rate(rows, 'rw_sig'):>22} {rate(rows, 'naive_rw_sig'):>22}"
              f"   (true median difference {true:+.1f} days)")
    nulls = [r for s in NULL for r in by[s]]
    for r in nulls:
        r["any_coloured"] = r["coloured_edges"] > 0
    edges = np.mean([r["compared_edges"] for r in nulls]) if nulls else 0
    print(f"\nwrongly coloured edges (null runs, on average {edges:.0f} compared "
          f"transitions): runs with >= 1 coloured edge {rate(nulls, 'any_coloured')} "
          "(target <= 5 %)")
    ch = by["checklist"]
    print(f"\ncase_duration, checklist (true median -30 %): called faster "
          f"{rate(ch, 'dur_faster')}; 95 % CI covers the true difference "
          f"{rate(ch, 'dur_cover')} (target 93-97 %)")
    tt = by["three_transitions"]
    if tt:
        print("\nthree_transitions (scale 0.135, about 500 cases per period):")
        for name in tt[0]["targets"]:
            rows = [{"found": r["targets"][name]["found"], "cover": r["targets"][name]["cover"]}
                    for r in tt if name in r["targets"]]
            ratios = [r["targets"][name]["ratio"] for r in tt if name in r["targets"]]
            print(f"  {name}: true median ratio {np.mean(ratios):.2f}; power (called faster) "
                  f"{rate(rows, 'found')}; CI coverage {rate(rows, 'cover')}")
    secs = [r["seconds"] for r in results]
    print(f"\ncompare() per run: median {np.median(secs):.2f} s, max {np.max(secs):.2f} s "
          "(with checks and bootstrap)")


if __name__ == "__main__":
    main()
