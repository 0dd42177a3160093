"""Bottlenecks benchmark (issue 5): directly-follows frequencies and waiting times, fast.

Compares, in one run and side by side, on BPI Challenge 2012 (262,200 events) and on the same
log replicated 4x and 16x under new case ids (about 1M and 4.2M events, written as Parquet):

* ``ours``: ``ist-analyse bottlenecks`` as a library call, Parquet in, JSON out: read the
  canonical Parquet log, build activity instances, all KPIs (transitions, activities, weeks,
  roles), suppression, ``json.dumps``. This is what the CLI does.
* ``ours_dfg``: only what pm4py computes: read + directly-follows frequencies + waiting-time
  statistics (Polars).
* ``duckdb``: the same transition table computed by DuckDB (window function + GROUP BY with
  ``median``/``quantile_cont``) straight from the same Parquet file: the engine alternative.
* ``pm4py``: ``pandas.read_parquet`` of pm4py's own dataframe of the log (``pm4py.read_xes``,
  262,200 events x scale) + ``pm4py.discover_dfg`` + ``pm4py.discover_performance_dfg``.
* ``pm4py_same``: pm4py on exactly our events (the canonical log's activity instances via
  ``to_pm4py``), for a like-for-like count of rows.

Every variant runs in a fresh Python process (start-up and library imports included in
"process s"); its peak memory is the child's ``ru_maxrss`` from ``os.wait4``. "compute s" is
measured inside the child from before reading the file to the finished result. Best of
``--repeat`` runs.

Usage::

    .venv/bin/python benchmarks/bottlenecks.py [--shared ../shared] [--repeat 3]
        [--scales 1,4,16] [--only ours,pm4py]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import machine, run_child

REPO = Path(__file__).resolve().parents[1]
XES_NAME = "bpic2012.xes.gz"
EVENTS = 262_200

VARIANTS = {
    "ours": "ist-analyse bottlenecks (Polars), all KPIs, JSON",
    "ours_dfg": "ist-analyse DFG + waiting stats only (Polars)",
    "duckdb": "DuckDB SQL, DFG + waiting stats",
    "pm4py": "pm4py discover_dfg + discover_performance_dfg",
    "pm4py_same": "pm4py, same events as ours (to_pm4py)",
}


# ---- children -----------------------------------------------------------------------------

def child(name: str, spec: str) -> None:
    """Run one variant on the files in ``spec`` (JSON) and print one JSON line."""
    files = json.loads(spec)
    if name == "prepare":
        prepare(files)
        return
    rss_ready = 0
    if name in ("ours", "ours_dfg"):
        import polars  # noqa: F401

        from ist_analyse.analysis import instances as I
        from ist_analyse.analysis.dfg import transition_table
        if name == "ours":
            from ist_analyse.analysis.performance import bottlenecks
    elif name == "duckdb":
        import duckdb
    elif name.startswith("pm4py"):
        import contextlib

        import pandas as pd
        with contextlib.redirect_stdout(sys.stderr):
            import pm4py
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if name == "ours":
        result = bottlenecks(files["canonical"], progress=False)
        text = json.dumps(result.to_dict(), ensure_ascii=False)
        Path(files["json_out"]).write_text(text, encoding="utf-8")
        rows, edges = result.instances, result.transitions_total
    elif name == "ours_dfg":
        frame, _source, _staff = I.load(files["canonical"])
        inst = I.activity_instances(frame)
        del frame
        table = transition_table(inst)
        rows, edges = len(inst.frame), len(table)
    elif name == "duckdb":
        con = duckdb.connect()
        table = con.execute(DUCKDB_SQL, [files["canonical"]]).df()
        rows = con.execute("SELECT count(*) FROM read_parquet(?) WHERE lifecycle IS NULL",
                           [files["canonical"]]).fetchone()[0]
        edges = len(table)
    else:
        if name == "pm4py":
            df = pd.read_parquet(files["pm4py"])
        else:
            import ist_analyse as ia

            log = pd.read_parquet(files["canonical"])
            log = log[log["lifecycle"].isna()].drop(columns=["start_time"])
            df = ia.to_pm4py(log)
        freq, _, _ = pm4py.discover_dfg(df)
        perf, _, _ = pm4py.discover_performance_dfg(df)
        rows, edges = len(df), len(freq)
        assert set(perf) == set(freq)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rows": int(rows), "edges": int(edges),
                      "rss_ready_kb": rss_ready}))


DUCKDB_SQL = """
WITH inst AS (
    SELECT case_id, activity, timestamp AS e,
           CASE WHEN start_time IS NOT NULL AND start_time <= timestamp
                THEN start_time ELSE timestamp END AS s,
           row_number() OVER () AS pos
    FROM read_parquet(?) WHERE lifecycle IS NULL),
steps AS (
    SELECT case_id, activity, s,
           lag(activity) OVER w AS prev, lag(e) OVER w AS prev_end
    FROM inst WINDOW w AS (PARTITION BY case_id ORDER BY s, e, pos)),
waits AS (
    SELECT case_id, prev, activity,
           (epoch_us(greatest(s, prev_end)) - epoch_us(prev_end)) / 86400e6 AS wait
    FROM steps WHERE prev IS NOT NULL)
SELECT prev AS "from", activity AS "to", count(DISTINCT case_id) AS cases,
       count(*) AS occurrences, median(wait) AS median_wait_days, avg(wait) AS mean_wait_days,
       quantile_cont(wait, 0.9) AS p90_wait_days, sum(wait) AS total_wait_days
FROM waits GROUP BY 1, 2 ORDER BY total_wait_days DESC
"""


def prepare(files: dict) -> None:
    """Write the canonical and the pm4py Parquet files of the log at every scale."""
    import contextlib

    import pandas as pd

    import ist_analyse as ia
    from ist_analyse import log as L
    from ist_analyse.io.export import write_log

    res = ia.read_log(files["xes"])
    with contextlib.redirect_stdout(sys.stderr):
        import pm4py

        raw = pm4py.read_xes(files["xes"])
    raw["case:concept:name"] = raw["case:concept:name"].astype(str)
    out = {}
    for n in files["scales"]:
        canon = pd.concat([res.log.assign(**{L.CASE_ID: (res.log[L.CASE_ID] + f"-r{i}")
                                             .astype("string")}) for i in range(n)],
                          ignore_index=True)
        res_n = ia.ImportResult(L.finalize_log(canon), res.report)
        res_n.report.events_read = EVENTS * n
        c_path = Path(files["dir"]) / f"bpic2012_x{n}.parquet"
        write_log(res_n, c_path)
        p_path = Path(files["dir"]) / f"bpic2012_x{n}_pm4py.parquet"
        pd.concat([raw.assign(**{"case:concept:name": raw["case:concept:name"] + f"-r{i}"})
                   for i in range(n)], ignore_index=True).to_parquet(p_path)
        out[str(n)] = {"canonical": str(c_path), "pm4py": str(p_path), "rows": len(canon)}
    print(json.dumps(out))


# ---- parent -------------------------------------------------------------------------------

@dataclass
class Result:
    scale: int
    variant: str
    seconds: float | None = None
    process: float | None = None
    peak_mb: float | None = None
    ready_mb: float | None = None
    rows: int | None = None
    edges: int | None = None
    note: str = ""


def run(name: str, spec: dict, env: dict[str, str]) -> tuple[dict, float, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--spec",
           json.dumps(spec)]
    return run_child(cmd, env, name)


def measure(scale: int, name: str, spec: dict, repeat: int, env: dict[str, str]) -> Result:
    res = Result(scale, name)
    try:
        for _ in range(repeat):
            data, wall, peak = run(name, spec, env)
            if res.process is None or wall < res.process:
                res.process = wall
            res.seconds = min(res.seconds or data["seconds"], data["seconds"])
            res.peak_mb = max(res.peak_mb or 0.0, peak)
            res.ready_mb = data["rss_ready_kb"] / 1024
            res.rows, res.edges = data["rows"], data["edges"]
    except (RuntimeError, ValueError, IndexError) as exc:
        res.note = "failed: " + str(exc).strip().splitlines()[-1][:100]
    print(f"  x{scale} {name}: compute {fmt(res.seconds)} s, process {fmt(res.process)} s, "
          f"peak {fmt(res.peak_mb, 0)} MB {res.note}", file=sys.stderr, flush=True)
    return res


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def versions() -> str:
    code = ("import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
            "('polars', 'duckdb', 'pandas', 'pm4py', 'pyarrow')))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder holding real_logs/ (default: ../shared)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per variant")
    ap.add_argument("--scales", default="1,4,16", help="replication factors")
    ap.add_argument("--only", default="", help="comma-separated variants: "
                    + ", ".join(VARIANTS))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.spec)
        return 0
    xes = args.shared / "real_logs" / XES_NAME
    if not xes.is_file():
        ap.error(f"{xes} not found (use --shared DIR)")
    scales = [int(s) for s in args.scales.split(",") if s]
    only = [k for k in args.only.split(",") if k] or list(VARIANTS)
    results: list[Result] = []
    print(f"machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ist_bench_") as tmp:
        env = dict(os.environ, IST_ANALYSE_KEY_FILE=str(Path(tmp) / "pseudonym.key"),
                   PYTHONWARNINGS="ignore")
        print("writing the Parquet inputs ...", file=sys.stderr, flush=True)
        prep = {"xes": str(xes), "dir": tmp, "scales": scales}
        files, _, _ = run("prepare", prep, env)
        for n in scales:
            spec = dict(files[str(n)], json_out=str(Path(tmp) / f"out_x{n}.json"))
            for name in only:
                results.append(measure(n, name, spec, args.repeat, env))
    print(f"\nbottlenecks benchmark: {XES_NAME} x 1/4/16, best of {args.repeat} fresh "
          f"processes\nmachine: {machine()}\n{versions()}\n")
    print("| events | variant | rows | compute s | process s | peak RSS MB | RSS after imports MB "
          "| process vs pm4py | compute vs pm4py | peak vs pm4py |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ref = next((x for x in results if x.scale == r.scale and x.variant == "pm4py"), None)

        def ratio(a: float | None, b: float | None, *, faster: bool = True) -> str:
            if not a or not b:
                return "-"
            return f"{b / a:.1f}x faster" if faster else f"{a / b:.0%}"

        print(f"| {EVENTS * r.scale:,} | {VARIANTS[r.variant]} | {fmt(r.rows, 0)} "
              f"| {fmt(r.seconds)} | {fmt(r.process)} | {fmt(r.peak_mb, 0)} "
              f"| {fmt(r.ready_mb, 0)} "
              f"| {ratio(r.process, ref.process if ref else None)} "
              f"| {ratio(r.seconds, ref.seconds if ref else None)} "
              f"| {ratio(r.peak_mb, ref.peak_mb if ref else None, faster=False)} |"
              + (f" {r.note}" if r.note else ""))
    print("\nlinear growth (compute s per million rows):")
    for name in only:
        per = [f"x{r.scale}: {r.seconds / r.rows * 1e6:.2f}" for r in results
               if r.variant == name and r.seconds and r.rows]
        print(f"  {name}: " + ", ".join(per))
    return 0


if __name__ == "__main__":
    sys.exit(main())
