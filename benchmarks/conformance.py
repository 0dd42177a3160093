"""Conformance benchmark (issue 6): token replay and alignments, ours against pm4py, one run.

Compares, side by side:

* the receipt log (``real_logs/08_receipt.xes.gz``, 1,434 cases, 116 variants) against
  ``receipt.bpmn``: token replay and alignments;
* a full year of a Wetterau-size office (``simulate("baseline", scale=1.0, months=12)``, about
  7,500 cases) against ``models/soll_aufenthaltstitel.bpmn``: token replay and alignments.

Variants (each in a fresh Python process; its peak memory is the child's ``ru_maxrss``):

* ``ours_ali``: ``check_conformance(method="alignments", precision=False)``: the per-variant
  alignments on the model's reachability graph with the default ``workers=None`` (this
  process first, a pool on all cores for what is left after ``PARALLEL_AFTER_S``);
* ``ours_ali_seq``: the same with ``workers=1``;
* ``ours_ali_before``: the implementation before this work: pm4py's default alignment (A* with
  the LP heuristic) once per variant, in one process (our graph aligner switched off);
* ``pm4py_ali``: ``pm4py.fitness_alignments(df, net, im, fm)`` with its defaults;
* ``ours_tbr``: ``check_conformance(method="token-replay", precision=False, time_budget=0)``:
  the fitness only (no deviation table);
* ``ours_tbr_dev``: ``check_conformance(method="token-replay", precision=False)``: token-replay
  fitness plus the deviation table from the alignments, as the CLI does it;
* ``pm4py_tbr``: ``pm4py.fitness_token_based_replay(df, net, im, fm)``.

"compute s" is measured inside the child from the canonical log in memory (read before the
clock starts) and the model file to the finished figures, so it includes reading the model.
"process s" is the whole child. Every ``log_fitness`` is printed with all digits; ours must equal
pm4py's for the same method.

Usage::

    .venv/bin/python benchmarks/conformance.py [--shared ../shared] [--repeat 1]
        [--logs receipt,office] [--only ours_ali,pm4py_ali,...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import machine, run_child

REPO = Path(__file__).resolve().parents[1]
SOLL = REPO / "models" / "soll_aufenthaltstitel.bpmn"

VARIANTS = {
    "ours_ali": "ist-analyse alignments (graph, workers=None)",
    "ours_ali_seq": "ist-analyse alignments (graph, workers=1)",
    "ours_ali_before": "ist-analyse before: pm4py A* per variant, 1 process",
    "pm4py_ali": "pm4py.fitness_alignments (defaults)",
    "ours_tbr": "ist-analyse token replay, fitness only",
    "ours_tbr_dev": "ist-analyse token replay + deviation table",
    "pm4py_tbr": "pm4py.fitness_token_based_replay",
}
#: the pm4py reference of each variant (for "equal" and "vs pm4py")
REFERENCE = {"ours_ali": "pm4py_ali", "ours_ali_seq": "pm4py_ali",
             "ours_ali_before": "pm4py_ali", "ours_tbr": "pm4py_tbr",
             "ours_tbr_dev": "pm4py_tbr"}


# ---- children -----------------------------------------------------------------------------

def child(name: str, spec: str) -> None:
    """Run one variant on the log and model in ``spec`` (JSON) and print one JSON line."""
    files = json.loads(spec)
    if name == "prepare":
        prepare(files)
        return
    import pandas as pd

    from ist_analyse._pm4py import pm4py, to_pm4py
    from ist_analyse.analysis import conformance as C

    pm = pm4py()
    log = pd.read_parquet(files["log"])
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    out: dict = {}
    if name.startswith("ours"):
        if name == "ours_ali_before":
            C._reachability_graph = lambda *a, **k: None  # pm4py's A* for every variant
        kwargs: dict = {"precision": False}
        if name.startswith("ours_ali"):
            kwargs["method"] = "alignments"
            if name != "ours_ali":
                kwargs["workers"] = 1
        else:
            kwargs["method"] = "token-replay"
            if name == "ours_tbr":
                kwargs["time_budget"] = 0
        res = C.check_conformance(log, files["model"], **kwargs)
        out = {"log_fitness": res.log_fitness, "variants": res.variants_total,
               "aligned": res.variants_aligned, "cases": res.cases,
               "deviations": len(res.deviations)}
    else:
        model = C.read_model(files["model"])
        if "lifecycle" in log.columns:
            log = log[log["lifecycle"].isna()]
        df = to_pm4py(log.reset_index(drop=True))
        args = (df, model.net, model.initial_marking, model.final_marking)
        fit = (pm.fitness_alignments(*args) if name == "pm4py_ali"
               else pm.fitness_token_based_replay(*args))
        out = {"log_fitness": float(fit["log_fitness"]),
               "cases": int(df["case:concept:name"].nunique())}
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rss_ready_kb": rss_ready, **out}))


def prepare(files: dict) -> None:
    """Write the receipt log and a simulated office year as canonical Parquet files."""
    import ist_analyse as ia
    from ist_analyse.simulate import simulate

    receipt = ia.read_log(files["receipt_xes"]).log
    receipt.to_parquet(files["receipt"])
    t0 = time.perf_counter()
    sim = simulate("baseline", "2024-01-01", 12, seed=0, scale=1.0, progress=False,
                   with_case_truth=False)
    sim.log.to_parquet(files["office"])
    print(json.dumps({"receipt_cases": int(receipt["case_id"].nunique()),
                      "office_cases": int(sim.log["case_id"].nunique()),
                      "office_events": len(sim.log), "simulate_s": time.perf_counter() - t0}))


# ---- parent -------------------------------------------------------------------------------

@dataclass
class Result:
    log: str
    variant: str
    seconds: float | None = None
    process: float | None = None
    peak_mb: float | None = None
    log_fitness: float | None = None
    aligned: str = ""
    note: str = ""


def run(name: str, spec: dict, env: dict[str, str]) -> tuple[dict, float, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--spec",
           json.dumps(spec)]
    return run_child(cmd, env, name)


def measure(log: str, name: str, spec: dict, repeat: int, env: dict[str, str]) -> Result:
    res = Result(log, name)
    try:
        for _ in range(repeat):
            data, wall, peak = run(name, spec, env)
            res.process = min(res.process or wall, wall)
            res.seconds = min(res.seconds or data["seconds"], data["seconds"])
            res.peak_mb = max(res.peak_mb or 0.0, peak)
            res.log_fitness = data["log_fitness"]
            if "aligned" in data:
                res.aligned = f"{data['aligned']}/{data['variants']}"
    except RuntimeError as exc:
        res.note = str(exc).splitlines()[-1][:120]
    print(f"  {log:8} {name:16} {res.seconds or 0:8.2f} s  fitness {res.log_fitness!r}",
          file=sys.stderr, flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child")
    ap.add_argument("--spec")
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--logs", default="receipt,office")
    ap.add_argument("--only", default=",".join(VARIANTS))
    args = ap.parse_args()
    if args.child:
        child(args.child, args.spec)
        return

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["PM4PY_SHOW_PROGRESS_BAR"] = "False"  # the same for both: no tqdm on stderr
    names = [n for n in args.only.split(",") if n]
    logs = [x for x in args.logs.split(",") if x]
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(args.shared) / "real_logs"
        files = {"receipt_xes": str(Path(tmp) / "08_receipt.xes.gz"),
                 "receipt": str(Path(tmp) / "receipt.parquet"),
                 "office": str(Path(tmp) / "office.parquet")}
        shutil.copy(real / "08_receipt.xes.gz", files["receipt_xes"])  # originals read-only
        shutil.copy(real / "receipt.bpmn", Path(tmp) / "receipt.bpmn")
        prep, _wall, _ = run("prepare", files, env)
        print(f"inputs: receipt {prep['receipt_cases']} cases; office year "
              f"{prep['office_cases']} cases, {prep['office_events']} events "
              f"(simulated in {prep['simulate_s']:.1f} s)", flush=True)
        specs = {"receipt": {"log": files["receipt"], "model": str(Path(tmp) / "receipt.bpmn")},
                 "office": {"log": files["office"], "model": str(SOLL)}}
        results = [measure(log, n, specs[log], args.repeat, env) for log in logs
                   for n in names]
    print(f"\nmachine after the runs: {machine()}\n")
    print("| log | variant | compute s | process s | peak RSS MB | variants aligned "
          "| log_fitness | equals pm4py | compute vs pm4py |")
    print("|---|---|---:|---:|---:|---:|---|---|---:|")
    by = {(r.log, r.variant): r for r in results}
    for r in results:
        ref = by.get((r.log, REFERENCE.get(r.variant, "")))
        equal = speed = "-"
        if ref is not None and ref.log_fitness is not None and r.log_fitness is not None:
            equal = "yes" if r.log_fitness == ref.log_fitness else (
                f"no (diff {r.log_fitness - ref.log_fitness:.2e})")
            if r.seconds and ref.seconds:
                speed = f"{ref.seconds / r.seconds:.1f}x faster"
        fit = "-" if r.log_fitness is None else repr(r.log_fitness)
        print(f"| {r.log} | {VARIANTS[r.variant]} | {_f(r.seconds)} | {_f(r.process)} | "
              f"{_f(r.peak_mb, 0)} | {r.aligned or '-'} | {fit} | {equal} | {speed} |"
              + (f" {r.note}" if r.note else ""))


def _f(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


if __name__ == "__main__":
    main()
