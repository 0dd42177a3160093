"""Terminal tables for ``bottlenecks``, ``discover`` and ``conformance`` (``--json``: scripts).

Suppressed figures (fewer than k cases) are shown as "·", figures that do not apply (no waiting
before a case's first step, no processing time without start times) as "–"; numbers are written
the German way. Text from the data is escaped: an activity called ``[bold]`` stays text.
"""

from __future__ import annotations

import sys

import pandas as pd
from rich.console import Console
from rich.table import Table

from ist_analyse.analysis.discovery import ProcessMap
from ist_analyse.analysis.dot import de_int, de_num
from ist_analyse.analysis.performance import Bottlenecks
from ist_analyse.analysis.soll_ist import SollIst
from ist_analyse.printable import terminal as escape  # visible() + rich markup
from ist_analyse.privacy.suppress import MARK


def _days(x: object, digits: int = 1) -> str:
    if x is None or pd.isna(x):
        return MARK
    return de_num(float(x), digits)


def _dur(x: object) -> str:
    """A duration given in days, readable: ``3,2 d``, ``5,5 h``, ``12 min``."""
    if x is None or pd.isna(x):
        return MARK
    days = float(x)  # type: ignore[arg-type]
    if days >= 1:
        return de_num(days, 1) + " d"
    if days * 24 >= 1:
        return de_num(days * 24, 1) + " h"
    return de_num(days * 1440, 0) + " min"


def _na(value: object, count: object) -> str:
    """A duration cell: "–" when no instance had such a time (count 0), else the value."""
    if count is not None and not pd.isna(count) and count == 0:
        return "–"
    return _dur(value)


def _console() -> Console:
    """stdout; wide when it is not a terminal, so piped tables do not wrap at 80 columns."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 180)


def _pct(x: object) -> str:
    if x is None or pd.isna(x):
        return MARK
    return de_num(100 * float(x), 1) + " %"


def render_bottlenecks(result: Bottlenecks, console: Console | None = None) -> None:
    """Print the transitions ranked by total waiting, then activities, weeks and roles."""
    con = console or _console()
    con.print(f"[bold]{escape(result.source)}[/bold]: {de_int(result.cases)} cases, "
              f"{de_int(result.instances)} activity instances; times in {result.unit}; "
              f"figures about fewer than {result.k_min} cases are shown as {MARK}")
    if result.total_wait_days is not None:
        con.print(f"total waiting over all transitions: {_days(result.total_wait_days)} days")
    t = Table(title=f"Transitions ranked by total waiting ({len(result.transitions)} of "
              f"{result.transitions_total})", title_justify="left")
    for col, justify in (("from", "left"), ("to", "left"), ("cases", "right"),
                         ("occurrences", "right"), ("median", "right"), ("mean", "right"),
                         ("p90", "right"), ("total", "right"), ("share", "right")):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.transitions.to_dict(orient="records"):
        t.add_row(escape(str(r["from"])), escape(str(r["to"])), de_int(r["cases"]),
                  de_int(r["occurrences"]),
                  _dur(r["median_wait_days"]), _dur(r["mean_wait_days"]),
                  _dur(r["p90_wait_days"]), _days(r["total_wait_days"]) + " d",
                  _pct(r["share"]))
    con.print(t)

    split = result.has_start_times
    a = Table(title="Activities: " + ("waiting before (queue), processing, sojourn"
                                      if split else "waiting before (completion to "
                                      "completion)") + ", rework", title_justify="left")
    cols = ["activity", "cases", "instances", "rework", "wait median", "wait p90"]
    if split:
        cols += ["processing median", "processing p90", "sojourn median", "sojourn p90"]
    for col in cols:
        a.add_column(col, justify="left" if col == "activity" else "right")
    for r in result.activities.to_dict(orient="records"):
        waits, procs = r["wait_cases"], r["processing_cases"]
        row = [escape(str(r["activity"])), de_int(r["cases"]), de_int(r["instances"]),
               _pct(r["rework_share"]), _na(r["median_wait_days"], waits),
               _na(r["p90_wait_days"], waits)]
        if split:
            row += [_na(r["median_processing_days"], procs), _na(r["p90_processing_days"], procs),
                    _na(r["median_sojourn_days"], waits), _na(r["p90_sojourn_days"], waits)]
        a.add_row(*row)
    con.print(a)

    w = Table(title="Per week (Monday, local time)", title_justify="left")
    for col in ("week", "", "arrivals", "completions", "open at week end"):
        w.add_column(col, justify="right" if col not in ("week", "") else "left")
    for r in result.weekly.itertuples(index=False):
        w.add_row(str(r.week), str(r.week_label), de_int(r.arrivals), de_int(r.completions),
                  de_int(r.wip))
    con.print(w)
    con.print(f"completion: {escape(result.completion)}")

    if result.workload is not None:
        wl = Table(title="Workload per role or team", title_justify="left")
        cols = ["role", "instances", "cases"] + (["staff"] if "staff" in result.workload
                                                 else []) + ["share", "per week",
                                                             "processing days"]
        for col in cols:
            wl.add_column(col, justify="left" if col == "role" else "right")
        for r in result.workload.to_dict(orient="records"):
            row = [escape(str(r["role"])), de_int(r["instances"]), de_int(r["cases"])]
            if "staff" in r:
                row.append(de_int(r["staff"]))
            row += [_pct(r["share"]), _days(r["instances_per_week"]),
                    _days(r["processing_days"]) + (" d" if pd.notna(r["processing_days"])
                                                   else "")]
            wl.add_row(*row)
        con.print(wl)
    for note in result.notes:
        con.print(f"note: {escape(note)}")


def render_process_map(result: ProcessMap, console: Console | None = None) -> None:
    """Print what was drawn, how, and the most frequent variants."""
    con = console or _console()
    where = result.output or "(no map written; -o map.svg draws one)"
    con.print(f"[bold]{escape(where)}[/bold]: {result.model_class} of "
              f"{escape(result.source)}")
    con.print(f"algorithm: {escape(result.algorithm)}")
    if result.kind == "dfg":
        con.print(f"shown: {result.activities_shown} of {result.activities_total} activities, "
                  f"{result.edges_shown} of {result.edges_total} transitions (complete paths "
                  f"of {_pct(result.coverage_achieved)} of {de_int(result.cases)} cases)")
    v = Table(title=f"Variants ({len(result.variants)} rows of {result.variants_total} "
              f"variants; duration = first start to last completion, {result.unit})",
              title_justify="left")
    for col in ("#", "cases", "share", "median duration", "path"):
        v.add_column(col, justify="left" if col == "path" else "right")
    for r in result.variants.itertuples(index=False):
        path = str(r.path)
        v.add_row("" if pd.isna(r.rank) else str(r.rank), de_int(r.cases), _pct(r.share),
                  _dur(r.median_duration_days),
                  escape(path if len(path) < 300 else path[:297] + "…"))
    con.print(v)
    for note in result.notes:
        con.print(f"note: {escape(note)}")


def _share(x: object) -> str:
    return MARK if x is None or pd.isna(x) else de_num(float(x), 3)  # type: ignore[arg-type]


def render_soll_ist(result: SollIst, console: Console | None = None) -> None:
    """Print fitness, the deviation table, deviating variants and the rule results."""
    con = console or _console()
    conf, rules = result.model, result.rules
    con.print(f"[bold]{escape(result.source)}[/bold]")
    if conf is not None:
        con.print(f"Soll model {escape(conf.model['source'])} ({conf.model['kind']}, "
                  f"{conf.model['elements']} elements): {de_int(conf.cases)} cases, "
                  f"{de_int(conf.events)} events")
        con.print(f"log fitness ({conf.method}): {_share(conf.log_fitness)}; fitting cases "
                  f"{_pct(conf.fitting_share)}; precision {_share(conf.precision)}; "
                  f"{conf.variants_aligned} of {conf.variants_total} variants aligned "
                  f"({_pct(conf.cases_aligned_share)} of the cases)")
        t = Table(title="Deviations per activity (cases; figures about fewer than "
                  f"{conf.k_min} cases shown as {MARK})", title_justify="left")
        counts = ("skipped", "without model", "wrong order")
        for col in ("activity", *counts, "in plain words", "examples"):
            t.add_column(col, justify="right" if col in counts else "left")
        for d in conf.deviations:
            examples = ", ".join([*d.skipped_examples, *d.extra_examples,
                                  *d.wrong_order_examples][:3])
            t.add_row(escape(d.activity),
                      *(de_int(n) if n != 0 else "–"
                        for n in (d.skipped_cases, d.extra_cases, d.wrong_order_cases)),
                      escape(d.text), escape(examples))
        con.print(t)
        v = Table(title="Most frequent deviating variants", title_justify="left")
        for col in ("cases", "fitness", "skipped", "without model", "path"):
            v.add_column(col, justify="right" if col in ("cases", "fitness") else "left")
        for r in conf.deviating_variants:
            path = (f"({r.variants} smaller variants pooled)" if r.pooled
                    else " → ".join(r.activities))
            v.add_row(de_int(r.cases), _share(r.fitness), escape(", ".join(r.skipped)),
                      escape(", ".join(r.extra)),
                      escape(path if len(path) < 300 else path[:297] + "…"))
        con.print(v)
    if rules is not None:
        r = Table(title=f"Rules (open cases as of {rules.as_of}; figures about fewer than "
                  f"{rules.k_min} cases shown as {MARK})", title_justify="left")
        for col in ("rule", "kind", "checked", "violations", "share", "overdue open",
                    "median", "p90", "limit"):
            r.add_column(col, justify="left" if col in ("rule", "kind") else "right")
        for x in rules.rules:
            limit = ("" if x.max_days_limit is None else
                     de_num(x.max_days_limit, 0) + (" AT" if x.working_days else " d"))
            r.add_row(escape(x.name), x.kind, de_int(x.checked), de_int(x.violations),
                      _pct(x.share), "–" if x.kind != "deadline" else de_int(x.overdue_open),
                      _dur(x.median_days) if x.kind == "deadline" else "–",
                      _dur(x.p90_days) if x.kind == "deadline" else "–", limit)
        con.print(r)
    if result.picture:
        con.print(f"picture of the Soll model with deviations: {escape(result.picture)}")
    for note in result.to_dict()["notes"]:
        con.print(f"note: {escape(note)}")
