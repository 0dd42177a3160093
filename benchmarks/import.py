"""Import benchmark (issue 3): XES and CSV import time and peak memory.

Every variant runs in its own fresh Python process; its peak memory is the child's
``ru_maxrss`` as returned by ``os.wait4`` for exactly that child (the parent imports neither
pandas nor pm4py, so it lends the children no memory high-water mark through fork + exec).
The time is measured inside the child around the import call only (library imports
excluded); "process" is the child's whole wall time including interpreter start and library
imports.

Usage::

    .venv/bin/python benchmarks/import.py [--shared ../shared] [--repeat 3]
        [--only xes_ours,pm4py_rustxes] [--rows 1000000]

The CSV inputs (the BPIC 2012 log as a German ';' CSV with dd.mm.YYYY HH:MM:SS dates, and the
same log replicated to ~1M rows with new case ids) are written to a temporary directory, never
near the shared real logs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import machine
from harness import run_child as harness_run

REPO = Path(__file__).resolve().parents[1]
XES_NAME = "bpic2012.xes.gz"


# -------------------------------------------------------------------------------------------
# what a child process runs: (import the libraries) -> measured call -> number of rows


def _child_xes_ours(path: str):
    from ist_analyse.config import ImportOptions
    from ist_analyse.io.xes import read_xes_raw

    return lambda: len(read_xes_raw(Path(path), ImportOptions()).frame)


def _child_xes_python(path: str):
    """The pure-Python reader alone (where the C scanner is not built)."""
    from ist_analyse.config import ImportOptions
    from ist_analyse.io import xes

    xes.FAST = False
    return lambda: len(xes.read_xes_raw(Path(path), ImportOptions()).frame)


def _child_pm4py(variant: str):
    def setup(path: str):
        import pm4py

        return lambda: len(pm4py.read_xes(path, variant=variant))
    return setup


def _child_rustxes_bare(path: str):
    import rustxes

    return lambda: rustxes.import_xes(path)[0].height


def _child_lxml_bare(path: str):
    import gzip

    from lxml import etree

    def run() -> int:
        n = 0
        with gzip.open(path, "rb") as fh:
            for _event, elem in etree.iterparse(
                    fh, events=("end",), resolve_entities=False, no_network=True,
                    load_dtd=False, huge_tree=False):
                elem.clear()  # keep it streaming; nothing else
                n += 1
        return n
    return run


def _child_expat_floor(path: str):
    import gzip
    from xml.parsers import expat

    def run() -> int:
        p = expat.ParserCreate()
        count = [0]

        def start(_name, _attrs):
            count[0] += 1

        def end(_name):
            pass

        p.StartElementHandler = start
        p.EndElementHandler = end
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read1(1 << 20):
                p.Parse(chunk, False)
        p.Parse(b"", True)
        return count[0]
    return run


def _child_csv_raw(path: str):
    from ist_analyse.config import ImportOptions
    from ist_analyse.io.csv import read_csv_raw

    return lambda: len(read_csv_raw(Path(path), ImportOptions()).frame)


def _child_read_log(path: str):
    from ist_analyse.config import ImportOptions
    from ist_analyse.io.pipeline import read_log

    return lambda: len(read_log(path, ImportOptions()).log)


CHILDREN = {
    "xes_ours": _child_xes_ours,
    "xes_python": _child_xes_python,
    "pm4py_iterparse": _child_pm4py("iterparse"),
    "pm4py_rustxes": _child_pm4py("rustxes"),
    "rustxes_bare": _child_rustxes_bare,
    "lxml_bare": _child_lxml_bare,
    "expat_floor": _child_expat_floor,
    "csv_raw": _child_csv_raw,
    "read_log": _child_read_log,
}


def child_main(name: str, path: str) -> None:
    if name == "prepare_csv":
        xes, out_dir, rows = path.split(os.pathsep)
        print(json.dumps([str(p) for p in german_csv(Path(xes), Path(out_dir), int(rows))]))
        return
    setup = CHILDREN[name]
    run = setup(path)
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - t0
    print("\n" + json.dumps({"seconds": seconds, "rows": int(rows), "rss_ready_kb": rss_ready}),
          flush=True)


# -------------------------------------------------------------------------------------------
# the parent: prepare inputs, run each variant in its own process, print the table


@dataclass
class Result:
    label: str
    seconds: float | None = None
    process_seconds: float | None = None
    peak_mb: float | None = None
    ready_mb: float | None = None
    rows: int | None = None
    note: str = ""


def run_child(name: str, path: Path, env: dict[str, str]) -> tuple[dict, float, float]:
    """Run one variant in a fresh process; (child's JSON, wall s, peak RSS MB of that child)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--file", str(path)]
    return harness_run(cmd, env, name)


def measure(label: str, name: str, path: Path, repeat: int, env: dict[str, str]) -> Result:
    res = Result(label)
    try:
        for _ in range(repeat):
            data, wall, peak = run_child(name, path, env)
            if res.seconds is None or data["seconds"] < res.seconds:
                res.seconds = data["seconds"]
                res.process_seconds = wall
            res.peak_mb = max(res.peak_mb or 0.0, peak)
            res.ready_mb = data["rss_ready_kb"] / 1024
            res.rows = data["rows"]
    except (RuntimeError, json.JSONDecodeError, IndexError) as exc:
        res.note = f"failed: {str(exc).strip().splitlines()[-1][:80]}"
    print(f"  {label}: {fmt(res.seconds, 's')}, peak {fmt(res.peak_mb, 'MB', 0)} "
          f"{res.note}", file=sys.stderr, flush=True)
    return res


def fmt(value: float | None, unit: str, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f} {unit}"


def german_csv(xes_path: Path, out_dir: Path, rows: int) -> tuple[Path, Path]:
    """The pm4py frame of the log as a German ';' CSV, and a replicated version of ``rows``."""
    import pandas as pd
    import pm4py

    df = pm4py.read_xes(str(xes_path))
    out = pd.DataFrame({"case:concept:name": df["case:concept:name"].astype(str)})
    for col in df.columns:
        if col == "case:concept:name":
            continue
        values = df[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("Europe/Berlin").dt.strftime("%d.%m.%Y %H:%M:%S")
        out[col] = values
    small = out_dir / "bpic2012.csv"
    out.to_csv(small, sep=";", index=False)
    copies = []
    n = 0
    i = 0
    while n < rows:
        part = out if i == 0 else out.assign(
            **{"case:concept:name": out["case:concept:name"] + f"-r{i}"})
        copies.append(part.iloc[: rows - n])
        n += len(copies[-1])
        i += 1
    big = out_dir / f"bpic2012_x{i}.csv"
    pd.concat(copies, ignore_index=True).to_csv(big, sep=";", index=False)
    return small, big


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder holding real_logs/ (default: ../shared)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per variant, each in a fresh process; the best time is shown")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the large CSV")
    ap.add_argument("--only", default="", help="comma-separated variant keys to run")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args.child, args.file)
        return 0

    xes = args.shared / "real_logs" / XES_NAME
    if not xes.is_file():
        ap.error(f"{xes} not found (use --shared DIR)")
    only = {k for k in args.only.split(",") if k}

    def wanted(key: str) -> bool:
        return not only or key in only

    has_rustxes = importlib.util.find_spec("rustxes") is not None
    has_csv = importlib.util.find_spec("ist_analyse.io.csv") is not None
    results: list[Result] = []
    print(f"machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ist_bench_") as tmp:
        tmp_dir = Path(tmp)
        env = dict(os.environ, IST_ANALYSE_KEY_FILE=str(tmp_dir / "pseudonym.key"),
                   PYTHONWARNINGS="ignore")
        xes_runs = [
            ("xes_ours", "ist-analyse read_xes_raw (C scanner on expat)"),
            ("xes_python", "ist-analyse read_xes_raw, pure-Python reader (pyexpat)"),
            ("pm4py_iterparse", "pm4py.read_xes variant=iterparse"),
            ("pm4py_rustxes", "pm4py.read_xes variant=rustxes"),
            ("rustxes_bare", "rustxes.import_xes (Rust, polars frame)"),
            ("lxml_bare", "lxml iterparse, no work (reference)"),
            ("expat_floor", "pyexpat, empty handlers (floor)"),
        ]
        for key, label in xes_runs:
            if not wanted(key):
                continue
            if key in ("pm4py_rustxes", "rustxes_bare") and not has_rustxes:
                results.append(Result(label, note="rustxes not installed"))
                continue
            results.append(measure(label, key, xes, args.repeat, env))
        if wanted("read_log_xes"):
            results.append(measure("ist-analyse read_log XES (full pipeline)", "read_log",
                                   xes, args.repeat, env))

        csv_keys = {"csv_raw", "read_log_csv", "csv_raw_1m", "read_log_1m"}
        if has_csv and (not only or only & csv_keys):
            print("writing the CSV inputs ...", file=sys.stderr, flush=True)
            # in a child: the parent stays small, so that it does not lend its memory
            # high-water mark to the measured children (ru_maxrss survives fork + exec)
            spec = os.pathsep.join([str(xes), str(tmp_dir), str(args.rows)])
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                                  "prepare_csv", "--file", spec], env=env, cwd=REPO,
                                 capture_output=True, text=True, check=True).stdout
            small, big = (Path(p) for p in json.loads(out.strip().splitlines()[-1]))
            for key, name, path, label in [
                ("csv_raw", "csv_raw", small, "ist-analyse read_csv_raw, CSV 262k rows"),
                ("read_log_csv", "read_log", small, "ist-analyse read_log, CSV 262k rows"),
                ("csv_raw_1m", "csv_raw", big,
                 f"ist-analyse read_csv_raw, CSV {args.rows:,} rows"),
                ("read_log_1m", "read_log", big, f"ist-analyse read_log, CSV {args.rows:,} rows"),
            ]:
                if wanted(key):
                    results.append(measure(label, name, path, args.repeat, env))
        elif not has_csv:
            results.append(Result("CSV variants", note="ist_analyse.io.csv not importable yet"))

    ref = {r.label: r.seconds for r in results}
    iterparse = ref.get("pm4py.read_xes variant=iterparse")
    rust = ref.get("pm4py.read_xes variant=rustxes")
    print(f"\nImport of {XES_NAME} (262,200 events) and CSV; best of {args.repeat} "
          f"fresh processes each\nmachine: {machine()}\n")
    head = ("| variant | import s | process s | peak RSS MB | RSS after imports MB | rows "
            "| vs pm4py iterparse | vs pm4py rustxes |")
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        xes_row = "CSV" not in r.label
        speed_it = (f"{iterparse / r.seconds:.1f}x faster"
                    if xes_row and iterparse and r.seconds else "-")
        speed_rs = f"{r.seconds / rust:.2f}x the time" if xes_row and rust and r.seconds else "-"
        rows = f"{r.rows:,}" if r.rows is not None else "-"
        print(f"| {r.label} | {fmt(r.seconds, '', 2).strip()} | "
              f"{fmt(r.process_seconds, '', 1).strip()} | {fmt(r.peak_mb, '', 0).strip()} | "
              f"{fmt(r.ready_mb, '', 0).strip()} | {rows} | {speed_it} | {speed_rs} |"
              + (f" {r.note}" if r.note else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
