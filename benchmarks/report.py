"""How long the management report takes: the demo end to end, and a report on bpic2012.

    .venv/bin/python benchmarks/report.py [--shared ../shared] [--repeat 1]

Each variant runs the installed command in a fresh process (start-up, imports and reading
included), as a user runs it:

* ``ist-analyse demo``: the whole chain on the shipped sample logs (German CSV export, 1,804
  cases): import, inspection, process map, bottlenecks, Soll/Ist with the Soll model and the
  rule set, the before/after comparison, German HTML + PDF and English HTML. Issue #8: < 60 s.
* ``ist-analyse report bpic2012.xes.gz --pdf``: BPI Challenge 2012 (262,200 events), all
  Ist-Analyse sections, HTML + PDF. Issue #8: < 30 s.
* for scale, ``pm4py``'s own reading of bpic2012 plus its DFG and performance DFG, drawn with
  its Graphviz visualiser to SVG (no report, no PDF: pm4py has none).

Prints wall seconds and peak memory (the child's ``ru_maxrss``); the report's own timings per
step come from ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness import REPO, machine, run_child

EXE = str(Path(sys.executable).with_name("ist-analyse"))

PM4PY = r"""
import contextlib, json, sys, time
t = time.perf_counter()
with contextlib.redirect_stdout(sys.stderr):
    import pm4py
    log = pm4py.read_xes(sys.argv[1])
    dfg, s, e = pm4py.discover_performance_dfg(log)
    from pm4py.visualization.dfg import visualizer
    gviz = visualizer.apply(dfg, variant=visualizer.Variants.PERFORMANCE,
                            parameters={"format": "svg"})
    visualizer.save(gviz, sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.environ.get("IST_ANALYSE_SHARED",
                                                       str(REPO.parent / "shared")))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print(machine())
    env = dict(os.environ, IST_ANALYSE_KEY_FILE="")
    rows = []
    with tempfile.TemporaryDirectory(prefix="ist-analyse-bench-") as tmp:
        env["IST_ANALYSE_KEY_FILE"] = str(Path(tmp) / "pseudonym.key")
        bpic = Path(tmp) / "bpic2012.xes.gz"
        shutil.copyfile(Path(args.shared) / "real_logs" / "bpic2012.xes.gz", bpic)
        variants = {
            "ist-analyse demo (sample, de HTML+PDF, en HTML)":
                [EXE, "demo", "-o", str(Path(tmp) / "demo"), "--json", "--no-progress"],
            "ist-analyse report bpic2012 --pdf":
                [EXE, "report", str(bpic), "-o", str(Path(tmp) / "bpic.html"), "--pdf",
                 "--json", "--no-progress"],
            "pm4py read_xes + performance DFG drawn (no report)":
                [sys.executable, "-c", PM4PY, str(bpic), str(Path(tmp) / "pm4py.svg")],
        }
        for label, cmd in variants.items():
            best = None
            for _ in range(args.repeat):
                doc, wall, rss = run_child(cmd, env, label)
                if best is None or wall < best[1]:
                    best = (doc, wall, rss)
            assert best is not None
            doc, wall, rss = best
            steps = doc.get("timings") or {}
            top = ", ".join(f"{k} {v:.1f} s" for k, v in
                            sorted(steps.items(), key=lambda kv: -kv[1])[:4])
            rows.append((label, wall, rss, top))
    print()
    print("| variant | wall s | peak RSS MB | largest steps |")
    print("|---|---:|---:|---|")
    for label, wall, rss, top in rows:
        print(f"| {label} | {wall:.1f} | {rss:.0f} | {top} |")
    print(json.dumps({label: round(wall, 2) for label, wall, _, _ in rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
