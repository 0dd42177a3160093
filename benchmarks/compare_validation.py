"""Validation of ``compare`` on simulated logs with known truth (issue #7 item 7; methods §8).

Runs the null scenarios (stationary, seasonal, surge, censored) and the effect scenarios
(wait_30: one external wait -30 % for the cases started after the change; checklist: case
duration and rework; three_transitions: three waits shortened) over N seeds each, in parallel
processes, and prints every target figure of the issue:

* per null scenario: the share of runs in which ``case_duration`` / ``rework_rate`` is
  *flagged* (verdict faster/slower/higher/lower; ``confounded`` is not a flag) — ours vs the
  naive comparison of closed cases only (Mann–Whitney on closed durations; two-proportion
  test on the rework share of closed cases) — target ≤ 5 % (accept ≤ 15/200), with the true
  difference of the cohort medians from the simulator's truth (mean and range) and how often
  ours said ``confounded``;
* wrongly coloured edges: per null scenario the share of runs with at least one transition
  coloured faster/slower in the difference map — target ≤ 5 % (stationary and censored are
  the pure nulls; in seasonal and surge the waits really change with the load);
* power: share of runs in which each shortened wait is called ``faster`` (scale 0.135 ≈ 500
  cases per period) — target ≥ 90 % for a 30 % reduction (wait_30); checklist case duration
  and rework;
* CI coverage: share of runs whose 95 % CI holds the true difference (case_duration median in
  every scenario; the target waits) — target 93–97 %;
* the runtime per comparison.

``--calibrate`` instead estimates the between-period variance components of
:mod:`ist_analyse.comparison.blocks` (``PERIOD_NOISE_DURATION``, ``PERIOD_NOISE_REWORK``) on
the stationary scenario, seeds 0-999 (disjoint from the validation seeds, which start at 1000).

Simulated logs can be cached (``--cache DIR``: Parquet + truth excerpt per scenario, scale and
seed), so that a changed ``compare`` can be re-validated without simulating again.

Usage::

    python benchmarks/compare_validation.py --seeds 200 --effect-seeds 100 --workers 2
    python benchmarks/compare_validation.py --seeds 20 --workers 2 --cache /tmp/cmpcache
    python benchmarks/compare_validation.py --calibrate --workers 2 --cache /tmp/cmpcache
    python benchmarks/compare_validation.py --seeds 1000 --scenarios stationary,checklist,wait_30 \
        --cache /tmp/cmpcache --dump runs.jsonl       # the release-size run (methods note §8)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

END = "Vorgang abgeschlossen"
NULL = ("stationary", "seasonal", "surge", "censored")
EFFECTS = ("wait_30", "checklist", "three_transitions")
#: 0.1 ≈ 375 cases per half year; 0.135 ≈ 500 (the power target's size)
SCALE = {"three_transitions": 0.135, "wait_30": 0.135}
ALPHA = 0.05
FLAGS = ("faster", "slower", "higher", "lower")
TRUTH_KEYS = ("run", "headline_effects", "target_transitions", "directly_follows", "effects")
CACHE: Path | None = None
#: stationary seeds 0..N-1 used by --calibrate (disjoint from the validation seeds from 1000)
CALIBRATION_SEEDS = 1000


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


def load_run(scenario: str, seed: int):
    """(log, truth excerpt): from the cache, or simulated (and cached)."""
    import pandas as pd

    from ist_analyse.simulate import simulate

    scale = SCALE.get(scenario, 0.1)
    base = None
    if CACHE is not None:
        base = CACHE / f"{scenario}_{scale}_{seed}".replace(".", "p")
        if base.with_suffix(".json").exists():
            return (pd.read_parquet(base.with_suffix(".parquet")),
                    json.loads(base.with_suffix(".json").read_text()))
    res = simulate(scenario, "2024-01-01", 12, seed=seed, scale=scale, progress=False,
                   with_case_truth=False)
    truth = json.loads(json.dumps({k: res.truth[k] for k in TRUTH_KEYS}, default=str))
    if base is not None:
        res.log.to_parquet(base.with_suffix(".parquet"))
        base.with_suffix(".json").write_text(json.dumps(truth))
    return res.log, truth


def covers(k, true: float) -> bool:
    return k.ci_low is not None and k.ci_low <= true <= k.ci_high


def one(job: tuple[str, int, bool]) -> dict:
    warnings.simplefilter("ignore")
    from ist_analyse.comparison import compare

    scenario, seed, checks = job
    log, truth = load_run(scenario, seed)
    change = truth["run"]["change_date"]
    t0 = time.perf_counter()
    r = compare(log, change=change, end_activities=[END], seed=seed, checks=checks)
    seconds = time.perf_counter() - t0
    out = {"scenario": scenario, "seed": seed, "seconds": seconds}
    d, rw = r.kpi("case_duration"), r.kpi("rework_rate")
    out["dur_flag"] = d.verdict in FLAGS
    out["dur_confounded"] = d.verdict == "confounded"
    out["rw_flag"] = rw.verdict in FLAGS
    out["rw_confounded"] = rw.verdict == "confounded"
    out["naive_dur_sig"], out["naive_rw_sig"] = (p < ALPHA for p in naive(log, change))
    out["workload_change"] = r.context["workload"]["change"]
    out["block_weeks"] = r.context["block_weeks"]
    edges = r.difference_map["edges"]
    out["compared_edges"] = sum(e["status"] in ("faster", "slower", "unchanged", "confounded")
                                for e in edges)
    out["coloured_edges"] = sum(e["status"] in ("faster", "slower") for e in edges)
    out["any_coloured"] = out["coloured_edges"] > 0
    eff = truth["headline_effects"]["e2e_median_days"]
    out["true_dur_diff"] = eff["difference"]
    out["true_dur_ratio"] = eff["ratio"]
    out["dur_has_ci"] = d.ci_low is not None
    out["dur_ci"] = (d.ci_low, d.ci_high)
    out["dur_cohort_ci"] = (d.extra.get("ci_cohort_low"), d.extra.get("ci_cohort_high"))
    out["rw_ci"] = (rw.ci_low, rw.ci_high)
    out["dur_cover"] = covers(d, eff["difference"])
    out["dur_faster"] = d.verdict == "faster"
    out["rw_lower"] = rw.verdict == "lower"
    out["true_rw_diff"] = truth["headline_effects"]["rework_share"]["difference"]
    targets = {}
    for t in truth.get("target_transitions", []):
        a, b = (x.strip() for x in t["transition"].split("->"))
        df = t["directly_follows"]
        true = df["after"]["median_days"] - df["before"]["median_days"]
        try:
            k = r.kpi(f"wait:{a}->{b}")
        except KeyError:
            targets[t["transition"]] = {"found": False, "cover": False,
                                        "ratio": df["median_ratio"], "n": 0}
            continue
        targets[t["transition"]] = {
            "found": k.verdict == "faster", "cover": covers(k, true), "true": true,
            "ci": (k.ci_low, k.ci_high),
            "ratio": df["median_ratio"], "n": min(k.n_before or 0, k.n_after or 0)}
    out["targets"] = targets
    return out


def calib_one(seed: int) -> tuple:
    """(d, se_bootstrap, before, df) of the tested case_duration figure, of rework_rate and of
    each drifting wait, without the period component."""
    warnings.simplefilter("ignore")
    from ist_analyse.comparison import blocks as B
    from ist_analyse.comparison import compare

    log, truth = load_run("stationary", seed)
    r = compare(log, change=truth["run"]["change_date"], end_activities=[END], seed=seed,
                checks=False, period_noise=False)
    d, rw = r.kpi("case_duration"), r.kpi("rework_rate")
    e = d.extra
    dur = ((d.difference, e["se_bootstrap"], d.before, e["df"]) if e["test"] == "median"
           else (e["rmst_difference"], e["se_bootstrap"], e["rmst_before"], e["df"]))
    waits = [(k.difference, k.extra.get("se_bootstrap"), k.before, k.extra.get("df"))
             for k in r.kpis
             if k.kind == "wait" and k.p_value is not None and k.before and k.before >= 1
             and k.extra.get("drift_p", 1.0) < B.DRIFT_P]
    return dur, (rw.difference, rw.extra.get("se_bootstrap"), rw.before,
                 rw.extra.get("df")), waits


def calibrate(workers: int, seeds: int = CALIBRATION_SEEDS) -> None:
    """The period components, by coverage: the smallest c for which the 95 % interval
    ``d ± t₀.₉₇₅(df) · sqrt(se_bootstrap² + (c · before)²)`` holds the true difference (0 in the
    stationary office) in 95 % of the calibration runs. Also printed: the method-of-moments
    value (mean of ``d² / se²`` equal to the variance ``df / (df − 2)`` of the t reference);
    matching 1 instead, the first calibration, made the intervals cover 97–98 %."""
    from scipy import optimize, stats

    with ProcessPoolExecutor(workers, initializer=_init, initargs=(CACHE,)) as pool:
        res = list(pool.map(calib_one, range(seeds)))
    names = ("PERIOD_NOISE_DURATION", "PERIOD_NOISE_REWORK", "PERIOD_NOISE_WAIT")
    for i, name in enumerate(names):
        rows = ([w for r in res for w in r[2]] if i == 2 else [r[i] for r in res])
        d, se, ref, df = np.array([x for x in rows if None not in x], dtype=float).T
        q = stats.t.ppf(1 - ALPHA / 2, df)
        target = float(np.mean(df / (df - 2)))

        def coverage(c: float, d=d, se=se, ref=ref, q=q) -> float:
            return float(np.mean(np.abs(d) <= q * np.sqrt(se**2 + (c * ref) ** 2)))

        def excess(c: float, d=d, se=se, ref=ref, target=target) -> float:
            return float(np.mean(d**2 / (se**2 + (c * ref) ** 2)) - target)

        lo, hi = 0.0, 1.0
        if coverage(lo) >= 1 - ALPHA:
            hi = 0.0
        for _ in range(40):  # bisection on the monotone step function
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if coverage(mid) >= 1 - ALPHA else (mid, hi)
        c_moment = optimize.brentq(excess, 0, 1) if excess(0) > 0 else 0.0
        what = "waits of" if i == 2 else "runs,"
        print(f"{name} = {hi:.4f}  (coverage {100 * coverage(hi):.1f} %, without the "
              f"component {100 * coverage(0):.1f} %; method of moments {c_moment:.4f}; "
              f"{len(d)} {what} stationary seeds 0-{seeds - 1}; sd of d / before "
              f"{np.std(d / ref, ddof=1):.3f}, mean bootstrap se / before "
              f"{np.mean(se / ref):.3f}, median df {np.median(df):.0f})")


def inside(ci: tuple, value: float) -> bool:
    return ci[0] is not None and ci[0] <= value <= ci[1]


def share(flags: list[bool]) -> str:
    n = len(flags)
    return f"{sum(flags)}/{n} = {100 * sum(flags) / n:5.1f} %" if n else "–"


def rate(rows: list[dict], key: str) -> str:
    n = len(rows)
    k = sum(bool(r[key]) for r in rows)
    return f"{k}/{n} = {100 * k / n:5.1f} %" if n else "–"


def main() -> None:
    global CACHE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200, help="seeds per null scenario")
    ap.add_argument("--effect-seeds", type=int, default=None,
                    help="seeds per effect scenario (default: --seeds)")
    ap.add_argument("--workers", type=int, default=2, help="parallel processes")
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=None, help="directory of simulated logs")
    ap.add_argument("--checks", action="store_true",
                    help="also run the placebo/shifted-date checks (slower; not validated)")
    ap.add_argument("--scenarios", default=",".join((*NULL, *EFFECTS)))
    ap.add_argument("--dump", type=Path, default=None,
                    help="also write every run's figures to this file (JSON lines)")
    ap.add_argument("--calibrate", action="store_true",
                    help="estimate the period-noise constants (stationary seeds 0-999)")
    args = ap.parse_args()
    CACHE = args.cache
    if CACHE is not None:
        CACHE.mkdir(parents=True, exist_ok=True)
    if args.calibrate:
        calibrate(args.workers)
        return
    wanted = args.scenarios.split(",")
    n_eff = args.effect_seeds if args.effect_seeds is not None else args.seeds
    jobs = [(s, args.first_seed + i, args.checks)
            for i in range(max(args.seeds, n_eff)) for s in wanted
            if i < (args.seeds if s in NULL else n_eff)]
    began = time.perf_counter()
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(CACHE,)) as pool:
        results = list(pool.map(one, jobs, chunksize=1))
    wall = time.perf_counter() - began
    if args.dump is not None:
        args.dump.write_text("".join(json.dumps(r, default=_plain) + "\n" for r in results))
    by = {s: [r for r in results if r["scenario"] == s] for s in wanted}
    print(f"compare validation: {args.seeds} seeds per null scenario, {n_eff} per effect "
          f"scenario, {len(jobs)} runs, {wall:.0f} s wall on {args.workers} processes; "
          f"alpha {ALPHA}; {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"Python {platform.python_version()}")
    print("\n1. null scenarios: runs flagging the KPI (target <= 5 %, accept <= 15/200); "
          "'confounded' is not a flag")
    print(f"{'scenario':<11} {'case_duration ours':>19} {'naive':>17} {'confounded':>17} "
          f"{'rework_rate ours':>17} {'naive':>17} {'block wks':>9}  true median diff (days)")
    for s in (x for x in NULL if x in by):
        rows = by[s]
        true = np.array([r["true_dur_diff"] for r in rows])
        wk = np.median([r["block_weeks"] for r in rows])
        print(f"{s:<11} {rate(rows, 'dur_flag'):>19} {rate(rows, 'naive_dur_sig'):>17} "
              f"{rate(rows, 'dur_confounded'):>17} {rate(rows, 'rw_flag'):>17} "
              f"{rate(rows, 'naive_rw_sig'):>17} {wk:>9.0f}  mean {true.mean():+.1f}, "
              f"range {true.min():+.1f} .. {true.max():+.1f}")
    print("\n2. wrongly coloured edges (runs with >= 1 transition coloured faster/slower; "
          "target <= 5 %)")
    for s in (x for x in NULL if x in by):
        rows = by[s]
        n_edges = np.mean([r["compared_edges"] for r in rows])
        print(f"  {s:<11} {rate(rows, 'any_coloured'):>17}   ({n_edges:.1f} compared "
              "transitions on average)")
    print("\n3. power and coverage of the shortened waits (target: >= 90 % found for -30 %; "
          "coverage 93-97 %)")
    for s in ("wait_30", "three_transitions"):
        tt = by.get(s, [])
        if not tt:
            continue
        for name in tt[0]["targets"]:
            rows = [r["targets"][name] for r in tt if name in r["targets"]]
            ratios = [r["ratio"] for r in rows]
            n = np.median([r["n"] for r in rows])
            print(f"  {s}: {name}: true median ratio {np.mean(ratios):.3f}, median "
                  f"{n:.0f} waits per period; called faster {rate(rows, 'found')}; "
                  f"CI coverage {rate(rows, 'cover')}")
    ch = by.get("checklist", [])
    if ch:
        r0 = np.mean([r["true_dur_ratio"] for r in ch])
        rw0 = np.mean([r["true_rw_diff"] for r in ch])
        print(f"  checklist: case_duration (true median ratio {r0:.2f}) called faster "
              f"{rate(ch, 'dur_faster')}; rework_rate (true {100 * rw0:+.1f} pp) called lower "
              f"{rate(ch, 'rw_lower')}")
    print("\n4. 95 % CI coverage (target 93-97 %). 'process': the reported CI against the "
          "scenario's true process effect\n   (0 in stationary/censored; the mean over seeds "
          "of the truth's cohort difference in the effect scenarios);\n   'cohort': the "
          "cohort CI (ci_cohort_*) against this run's realized cohort difference")
    for s in ("stationary", "censored", "checklist", "wait_30"):
        rows = by.get(s, [])
        if not rows:
            continue
        eff = 0.0 if s in NULL else float(np.mean([r["true_dur_diff"] for r in rows]))
        cov = [inside(r["dur_ci"], eff) for r in rows if r["dur_ci"][0] is not None]
        coh = [inside(r["dur_cohort_ci"], r["true_dur_diff"]) for r in rows
               if r["dur_cohort_ci"][0] is not None]
        line = (f"  {s:<12} case_duration median: process {share(cov)}, cohort {share(coh)}")
        if s in NULL:
            rw = [inside(r["rw_ci"], 0.0) for r in rows if r["rw_ci"][0] is not None]
            line += f"; rework_rate holds 0 {share(rw)}"
        print(line)
        for name in rows[0].get("targets") or {}:
            t = [r["targets"][name] for r in rows if "ci" in r["targets"].get(name, {})]
            eff_w = float(np.mean([x["true"] for x in t]))
            proc = [inside(x["ci"], eff_w) for x in t if x["ci"][0] is not None]
            print(f"  {s:<12} {name}: process {share(proc)}, cohort "
                  f"{share([x['cover'] for x in t])}")
    secs = [r["seconds"] for r in results]
    print(f"\n5. compare() per run: median {np.median(secs):.2f} s, max {np.max(secs):.2f} s "
          f"({'with' if args.checks else 'without'} placebo/shifted checks)")


def _plain(x):
    """NumPy scalars as the JSON numbers and booleans they are."""
    return x.item() if isinstance(x, np.generic) else str(x)


def _init(cache: Path | None) -> None:
    global CACHE
    CACHE = cache


if __name__ == "__main__":
    main()
