"""How fast `ist-analyse simulate` is: a Wetterau-size year, and many seeds of a small office.

    .venv/bin/python benchmarks/simulate.py            # full-size year + 20 small seeds
    .venv/bin/python benchmarks/simulate.py --seeds 200 --jobs 2

Prints wall-clock seconds per run (the simulation, the ground truth and, for the first
scenario, writing each export format). Issue #4 asks for under 60 s for 12 months of a
Wetterau-size office (~7,500 cases); issue #7's validation needs >= 200 seeds of a small
office (scale 0.1) in a few minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ist_analyse.simulate import simulate


def small_run(seed: int, months: int, scale: float) -> float:
    """CPU seconds of one run (robust when other processes share the machine)."""
    t = time.process_time()
    simulate("stationary", "2024-01-01", months, seed=seed, scale=scale, progress=False,
             with_case_truth=False)
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seeds", type=int, default=20, help="small-office seeds")
    ap.add_argument("--small-scale", type=float, default=0.1)
    ap.add_argument("--small-months", type=int, default=12)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-full", action="store_true")
    args = ap.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs ({platform.processor() or 'unknown CPU'})")

    if not args.skip_full:
        t, c = time.perf_counter(), time.process_time()
        res = simulate(args.scenario, "2024-01-01", args.months, seed=1, scale=1.0,
                       progress=False)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        exp = res.truth["export"]
        print(f"full size ({args.scenario}, {args.months} months, scale 1.0): {wall:.1f} s "
              f"wall, {cpu:.1f} s CPU "
              f"for {exp['cases']} exported cases, {exp['events']} events; simulated "
              f"{res.truth['run']['warmup_days']} days of warm-up and "
              f"{res.truth['run']['runout_days']} days after the export date")
        with tempfile.TemporaryDirectory() as tmp:
            for suffix in (".csv", ".xes.gz", ".parquet"):
                t, c = time.perf_counter(), time.process_time()
                simulate(args.scenario, "2024-01-01", args.months, seed=1, scale=1.0,
                         output=Path(tmp) / f"abh{suffix}", progress=False)
                print(f"  with export to {suffix}: {time.perf_counter() - t:.1f} s wall, "
                      f"{time.process_time() - c:.1f} s CPU")

    t = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        times = list(pool.map(small_run, range(args.seeds),
                              [args.small_months] * args.seeds,
                              [args.small_scale] * args.seeds))
    total = time.perf_counter() - t
    print(f"small office (stationary, {args.small_months} months, scale "
          f"{args.small_scale}): {args.seeds} seeds in {total:.1f} s with {args.jobs} "
          f"process(es); per run median {statistics.median(times):.2f} s CPU, max "
          f"{max(times):.2f} s; 200 seeds would take ~"
          f"{200 * statistics.mean(times) / args.jobs / 60:.1f} min")


if __name__ == "__main__":
    main()
