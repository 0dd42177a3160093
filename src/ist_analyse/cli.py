"""The ``ist-analyse`` command line: parse, call one library verb, render, set the exit code.

Kept thin and fast to start: pandas and pm4py are imported inside the commands, so
``ist-analyse --help`` answers at once. Exit codes: 0 done; 2 the input, the configuration or
the environment is at fault (one short message on stderr naming the file: a bad export, a full
disk, a read-only folder); 130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM, with
every temporary file removed; 1 anything else, which is a bug (traceback with --debug).
"""

import functools
import inspect
import json
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ist_analyse import __version__

app = typer.Typer(
    name="ist-analyse",
    help="Ist-Analyse of authority workflows: import exports, find where applications wait, "
    "check against the target process, compare before and after a change.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"ist-analyse {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version.")] = None,
) -> None:
    _state["debug"] = debug


# ---- the import options every analysis command shares -------------------------------------

_IMPORT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "fmt": (str | None, typer.Option("--format", help="Force the reader: csv, excel, xes, "
                                     "parquet, postgresql, duckdb (default: from the file).")),
    "sep": (str | None, typer.Option("--sep", help="CSV separator (default: detect ; , tab).")),
    "encoding": (str | None, typer.Option("--encoding", help="CSV encoding (default: detect "
                                          "UTF-8, UTF-8 with BOM, cp1252).")),
    "decimal": (str | None, typer.Option("--decimal", help="Decimal separator of numbers in a "
                                         "CSV (default: ',' with ';' separator).")),
    "date_format": (str | None, typer.Option(
        "--date-format", help="Timestamp format, e.g. 'TT.MM.JJJJ HH:MM' or '%d.%m.%Y %H:%M' "
        "(default: German and ISO formats, day first).")),
    "timezone": (str, typer.Option("--timezone", help="Time zone of local timestamps.")),
    "sheet": (str | None, typer.Option("--sheet", help="Excel sheet name or number.")),
    "table": (str | None, typer.Option("--table", help="Database table ([schema.]name).")),
    "query": (str | None, typer.Option("--query", help="Database SELECT query.")),
    "mapping": (Path | None, typer.Option("--mapping", help="Mapping file (TOML): column "
                                          "names, CSV dialect, staff roles, privacy lists.")),
    "case_col": (str | None, typer.Option("--case-col", help="Column with the case id.")),
    "activity_col": (str | None, typer.Option("--activity-col", help="Column with the "
                                              "activity.")),
    "timestamp_col": (str | None, typer.Option("--timestamp-col", help="Column with the "
                                               "(completion) timestamp.")),
    "start_col": (str | None, typer.Option("--start-col", help="Column with the start time.")),
    "resource_col": (str | None, typer.Option("--resource-col", help="Column with the staff "
                                              "id.")),
    "role_col": (str | None, typer.Option("--role-col", help="Column with the role or team.")),
    "end_activity": (list[str] | None, typer.Option(
        "--end-activity", help="Activity that closes a case (repeatable); cases without one "
        "are open.")),
    "skip_bad_rows": (bool, typer.Option("--skip-bad-rows", help="Leave out unreadable rows "
                                         "(counted and listed) instead of stopping.")),
    "no_pseudonymize": (bool, typer.Option(
        "--no-pseudonymize", help="Keep case and staff ids as in the source (default: keyed "
        "pseudonyms).")),
    "keep_person_columns": (bool, typer.Option(
        "--keep-person-columns", help="Keep columns that identify persons (names, birth "
        "dates, addresses, AZR numbers; default: dropped).")),
    "keep_rare_labels": (bool, typer.Option(
        "--keep-rare-labels", help="Keep activity labels and attribute values used by fewer "
        "than --k-min cases (default: shown as one group '(seltene Bezeichnungen: N)').")),
    "key_file": (Path | None, typer.Option("--key-file", help="Pseudonym key file (default: "
                                           "~/.config/ist-analyse/pseudonym.key).")),
}
_IMPORT_DEFAULTS: dict[str, Any] = {name: None for name in _IMPORT_OPTIONS}
_IMPORT_DEFAULTS.update(timezone="Europe/Berlin", skip_bad_rows=False, no_pseudonymize=False,
                        keep_person_columns=False, keep_rare_labels=False)


def import_options(func: Any) -> Any:
    """Add the shared import options to a command; it receives them as ``opts``."""
    sig = inspect.signature(func)
    params = [p for p in sig.parameters.values() if p.name != "opts"]
    annotations = {k: v for k, v in func.__annotations__.items() if k != "opts"}
    for name, (typ, option) in _IMPORT_OPTIONS.items():
        ann = Annotated[typ, option]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                        default=_IMPORT_DEFAULTS[name], annotation=ann))
        annotations[name] = ann

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _IMPORT_OPTIONS}
        # a command's --k-min also decides which labels are too rare to print
        values["k_min"] = kwargs.get("k_min")
        kwargs["opts"] = _build_options(values)
        return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = annotations
    del wrapper.__wrapped__  # typer must see the new signature, not the original
    return wrapper


def _build_options(v: dict[str, Any]) -> Any:
    from ist_analyse.config import ImportOptions

    columns = {role: v[f"{role.split('_')[0]}_col"] for role in
               ("case_id", "activity", "timestamp", "start_time", "resource", "role")
               if v.get(f"{role.split('_')[0]}_col")}
    return ImportOptions(
        format=v["fmt"], sep=v["sep"], encoding=v["encoding"], decimal=v["decimal"],
        date_format=v["date_format"], timezone=v["timezone"], sheet=v["sheet"],
        table=v["table"], query=v["query"], mapping_file=v["mapping"], columns=columns,
        end_activities=tuple(v["end_activity"] or ()), skip_bad_rows=v["skip_bad_rows"],
        pseudonymize=not v["no_pseudonymize"],
        drop_person_columns=not v["keep_person_columns"], key_file=v["key_file"],
        keep_rare_labels=v["keep_rare_labels"],
        **({"k_min": v["k_min"]} if v.get("k_min") is not None else {}))


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]
LogArg = Annotated[str, typer.Argument(help="Event log: CSV, Excel, XES(.gz), Parquet, DuckDB "
                                       "file, or a postgresql:// URL.", metavar="LOG")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _emit(result: Any, as_json: bool, render: Any) -> None:
    """The one output switch: ``--json`` prints ``result.to_dict()``, else ``render(result)``."""
    if as_json:
        _print_json(result.to_dict())
    else:
        render(result)


def _emit_drawn(compute: Any, as_json: bool, render: Any) -> None:
    """:func:`_emit` for commands that also draw a picture: without Graphviz the figures
    computed are still printed, then the missing program is reported (exit 2)."""
    from ist_analyse.analysis.dot import GraphvizMissing

    try:
        result = compute()
    except GraphvizMissing as err:
        if err.result is not None:
            _emit(err.result, as_json, render)
        raise
    _emit(result, as_json, render)


# ---- commands -----------------------------------------------------------------------------

@app.command("inspect")
@import_options
def inspect_cmd(log: LogArg, as_json: JsonOpt = False, opts: Any = None) -> None:
    """Summarise an event log: cases, events, activities, period, open cases, data quality."""
    from ist_analyse.inspection import inspect_log
    from ist_analyse.render import render_inspection

    result = inspect_log(log, opts)
    _emit(result, as_json, render_inspection)


@app.command("import")
@import_options
def import_cmd(
    log: LogArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Parquet file to write.")],
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Read an export once, protect it, and save the canonical log as Parquet."""
    from ist_analyse.io.export import import_log
    from ist_analyse.printable import visible

    result = import_log(log, output, opts)
    rep = result.report
    if as_json:
        _print_json({"output": str(output), **rep.to_dict()})
    else:
        print(f"{output}: {rep.rows} rows from {rep.events_read} {rep.row_label}s of "
              f"{rep.source}", file=sys.stderr)
        if rep.dropped_rows:
            print(f"  {rep.dropped_rows} unreadable {rep.row_label}s skipped", file=sys.stderr)
        for col in rep.dropped_columns:
            reason = rep.dropped_reasons.get(col, "person data")
            print(f"  column dropped: {visible(col)} ({visible(reason)})", file=sys.stderr)
        for col, n in rep.rare_labels.items():
            print(f"  {visible(col)}: {n} rare label(s) grouped", file=sys.stderr)


@app.command("simulate")
def simulate_cmd(
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="File to write: .csv (German export), .xes, .xes.gz or "
        ".parquet; the ground truth goes next to it as NAME.truth.json.")],
    scenario: Annotated[str, typer.Option(
        "--scenario", help="baseline, stationary, seasonal, surge, censored, "
        "online_booking, checklist, checklist_gradual, front_office, more_staff, "
        "security_faster, three_transitions.")] = "baseline",
    start: Annotated[str, typer.Option(
        "--start", help="First day of the exported period (JJJJ-MM-TT or TT.MM.JJJJ).")
    ] = "2024-01-01",
    months: Annotated[int, typer.Option(
        "--months", help="Length of the exported period; its end is the export date.")] = 12,
    change: Annotated[str | None, typer.Option(
        "--change", help="Change date (default: middle of the period; 'censored': 8 weeks "
        "before the export date).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same log.")] = 0,
    scale: Annotated[float, typer.Option(
        "--scale", help="Office size: 1 = Wetterau-size (~7,500 title cases a year, 21 "
        "staff), 0.1 = ~750 cases.")] = 1.0,
    no_progress: NoProgressOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate an immigration office's event log with known truth (before/after scenarios)."""
    from ist_analyse.simulate import simulate

    res = simulate(scenario, start, months, change=change, seed=seed, scale=scale,
                   output=output, progress=not (no_progress or as_json))
    truth = res.truth
    if as_json:
        _print_json({"output": str(res.output), "truth_file": str(res.truth_file),
                     "run": truth["run"], "export": truth["export"],
                     "headline_effects": truth["headline_effects"]})
        return
    exp, run = truth["export"], truth["run"]
    print(f"{res.output}: {exp['cases']} cases, {exp['events']} events, {exp['open_cases']} "
          f"open at the export date {run['export_date']} (scenario {scenario}, change "
          f"{run['change_date']}, seed {seed}, {res.seconds:.1f} s)", file=sys.stderr)
    print(f"  ground truth: {res.truth_file}", file=sys.stderr)
    for name, eff in truth["headline_effects"].items():
        print(f"  {name}: {eff['before']} -> {eff['after']}", file=sys.stderr)


KMinOpt = Annotated[int, typer.Option("--k-min", help="Figures about fewer cases are "
                                      "suppressed and shown as '·' (1 switches this off).")]
WorkingDaysOpt = Annotated[bool, typer.Option(
    "--working-days", help="Count office days only: no weekends, no public holidays of --land.")]
LandOpt = Annotated[str, typer.Option("--land", help="Land whose public holidays count "
                                      "(HE, BY, NW, ... ISO 3166-2:DE).")]


@app.command("discover")
@import_options
def discover_cmd(
    log: LogArg,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the map: .svg, .png or .pdf; with --kind bpmn a "
        ".bpmn, with --kind petri a .pnml model file (conformance --model reads it).")] = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="dfg (process map with waiting times), bpmn or petri.")] = "dfg",
    coverage: Annotated[float, typer.Option(
        "--coverage", help="Process map: show the transitions that hold the complete paths "
        "of this share of cases.")] = 0.8,
    max_edges: Annotated[int | None, typer.Option(
        "--max-edges", help="Process map: show at most N transitions (the coverage is lowered "
        "until they fit).")] = None,
    noise: Annotated[float, typer.Option(
        "--noise", help="Noise threshold of the inductive miner (IMf).")] = 0.2,
    miner: Annotated[str, typer.Option(
        "--miner", help="auto, imf (on the variants) or imd (on the directly-follows graph, "
        "fast on any log).")] = "auto",
    variants: Annotated[int, typer.Option("--variants", help="How many variants to list.")] = 10,
    title: Annotated[str | None, typer.Option(
        "--title", help="Title printed on the map (default: the log's file name).")] = None,
    lang: Annotated[str, typer.Option(
        "--lang", help="Language of the map's legend and numbers: de or en.")] = "de",
    working_days: WorkingDaysOpt = False,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Draw a process map (or BPMN model, Petri net) and list the most frequent variants."""
    from ist_analyse.analysis import discover_process_map, render_process_map

    _emit_drawn(lambda: discover_process_map(
        log, output, opts, kind=kind, coverage=coverage, noise=noise, miner=miner,
        top_variants=variants, title=title, max_edges=max_edges, lang=lang,
        working_days=working_days, land=land, k_min=k_min), as_json, render_process_map)


@app.command("bottlenecks")
@import_options
def bottlenecks_cmd(
    log: LogArg,
    top: Annotated[int, typer.Option(
        "--top", help="Show the N transitions with the most waiting in total.")] = 20,
    working_days: WorkingDaysOpt = False,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Rank transitions by total waiting time; rework, sojourn, flow per week, workload per role."""
    from ist_analyse.analysis import bottlenecks, render_bottlenecks

    result = bottlenecks(log, opts, top=top, working_days=working_days, land=land, k_min=k_min)
    _emit(result, as_json, render_bottlenecks)


@app.command("conformance")
@import_options
def conformance_cmd(
    log: LogArg,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Soll model: BPMN 2.0 XML (bpmn.io, Camunda, Signavio) or PNML.")
    ] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Instead of --model: discover the model from the cases that "
        "started in this period, FROM:TO (e.g. 2024-01-01:2024-06-30).")] = None,
    noise: Annotated[float, typer.Option(
        "--noise", help="With --reference: noise threshold of the inductive miner.")] = 0.2,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="Rule file (TOML): deadlines, order, must / must not happen.")] = None,
    method: Annotated[str, typer.Option(
        "--method", help="alignments or token-replay: how the log fitness is computed.")
    ] = "alignments",
    time_budget: Annotated[float | None, typer.Option(
        "--time-budget", help="Seconds for the alignments; variants are aligned from the most "
        "frequent down and the output says how many were (default: all).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Reference date for open cases in deadline rules (default: the last "
        "event of the log).")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Draw the Soll model with its deviations: .svg, .png or .pdf.")
    ] = None,
    include_open: Annotated[bool, typer.Option(
        "--include-open", help="Compare open cases with the model too (default: only cases "
        "with an end activity, when the end activities are known).")] = False,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    no_progress: NoProgressOpt = False,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Check the log against the Soll model and the legal deadlines: fitness, deviations, rules."""
    from ist_analyse.analysis import check_soll_ist, render_soll_ist

    _emit_drawn(lambda: check_soll_ist(
        log, opts, model=model, reference=reference, noise=noise, rules=rules, method=method,
        time_budget=time_budget, as_of=as_of, output=output, land=land, k_min=k_min,
        include_open=include_open, progress=not no_progress and sys.stderr.isatty()),
        as_json, render_soll_ist)


@app.command("compare")
@import_options
def compare_cmd(
    log: LogArg,
    other: Annotated[str | None, typer.Argument(
        help="Second log (after); LOG is then the before log.", metavar="[OTHER_LOG]")] = None,
    change: Annotated[str | None, typer.Option(
        "--change", help="Change date (JJJJ-MM-TT or TT.MM.JJJJ): cases started before vs "
        "after.")] = None,
    washout: Annotated[int, typer.Option(
        "--washout", help="Days after the change whose new cases are left out.")] = 0,
    by: Annotated[str | None, typer.Option(
        "--by", help="Case attribute with two values, or ATTR=VALUE against the rest.")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="Rule file (TOML): deadline shares before/after.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Export date (default: the last timestamp).")] = None,
    plan: Annotated[bool, typer.Option(
        "--plan", help="How many weeks after a go-live are needed to see --effect.")] = False,
    effect: Annotated[float, typer.Option(
        "--effect", help="With --plan: reduction to detect (0.3 = 30 % shorter).")] = 0.3,
    map_file: Annotated[Path | None, typer.Option(
        "--map", help="Write the difference process map: .svg, .png or .pdf.")] = None,
    segmented: Annotated[bool, typer.Option(
        "--segmented", help="Add a segmented regression of the weekly series.")] = False,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the bootstrap (same seed, same intervals).")] = 0,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    no_progress: NoProgressOpt = False,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Did a change help? Before/after (or two logs, two groups) with confidence intervals."""
    from ist_analyse.comparison import compare, plan_change, render_comparison, render_plan

    if plan:
        _emit(plan_change(log, opts, effect=effect, as_of=as_of), as_json, render_plan)
        return
    _emit_drawn(lambda: compare(
        log, other, opts, change=change, washout=washout, by=by, rules=rules, as_of=as_of,
        k_min=k_min, segmented=segmented, map_output=map_file, land=land, seed=seed,
        progress=not (no_progress or as_json) and sys.stderr.isatty()),
        as_json, render_comparison)


@app.command("report")
@import_options
def report_cmd(
    log: LogArg,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="HTML file to write, e.g. reports/NAME.html; with --pdf the "
        "PDF goes next to it (same name, .pdf).")],
    change: Annotated[str | None, typer.Option(
        "--change", help="Change date (JJJJ-MM-TT or TT.MM.JJJJ): adds the before/after "
        "comparison.")] = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Soll model (BPMN or PNML) for the Soll/Ist section.")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="Rule file (TOML): legal deadlines, order, mandatory steps.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: de or en.")] = "de",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write the PDF.")] = False,
    title: Annotated[str | None, typer.Option(
        "--title", help="Report title (default: the log's file name).")] = None,
    working_days: WorkingDaysOpt = False,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    no_progress: NoProgressOpt = False,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Write the management report: one self-contained HTML file (and a PDF), German or English."""
    from ist_analyse.reporting import report

    result = report(log, output, opts, change=change, model=model, rules=rules, lang=lang,
                    pdf=pdf, title=title, k_min=k_min, working_days=working_days, land=land,
                    progress=not (no_progress or as_json) and sys.stderr.isatty())
    _emit(result, as_json, _print_report)


def _print_report(result: Any) -> None:
    from ist_analyse.printable import visible

    written = f"{result.html}" + (f" and {result.pdf}" if result.pdf else "")
    print(f"{written}: {len(result.sections)} sections ({result.seconds:.1f} s)",
          file=sys.stderr)
    for note in result.notes:
        print(f"  note: {visible(note)}", file=sys.stderr)


@app.command("demo")
def demo_cmd(
    output_dir: Annotated[Path, typer.Option(
        "-o", "--output", help="Folder for the demo reports.")] = Path("reports/demo"),
    lang: Annotated[str, typer.Option(
        "--lang", help="Language of the main report (de or en); the other is written as "
        "HTML too.")] = "de",
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="HTML only.")] = False,
    no_progress: NoProgressOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole chain on the shipped sample logs and write the demo report to reports/demo/."""
    from ist_analyse.reporting import demo

    result = demo(output_dir, lang=lang, pdf=not no_pdf,
                  progress=not (no_progress or as_json) and sys.stderr.isatty())
    _emit(result, as_json, _print_report)


# ---- entry point --------------------------------------------------------------------------

class Interrupted(BaseException):
    """Raised in the main thread on SIGINT or SIGTERM.

    A ``BaseException`` like ``KeyboardInterrupt``, so no ``except Exception`` swallows it,
    while every ``finally`` and context manager on the way runs: the atomic writes remove their
    temporary files (:mod:`ist_analyse.files`), temporary folders are deleted, Graphviz child
    processes are killed. Without a handler SIGTERM would end the process on the spot and leave
    hidden ``*.tmp`` files behind.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, _frame: Any) -> None:
    # a second signal of the same kind while cleaning up stops at once (the usual
    # "press Ctrl-C again" escape when something hangs)
    signal.signal(signum, signal.SIG_DFL)
    raise Interrupted(signum)


@contextmanager
def _interrupts_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` while the command runs (main thread only;
    the previous handlers come back afterwards, for tests that call :func:`main`)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors are exit code 2, interrupts 128 + the signal number
    (130 Ctrl-C, 143 SIGTERM), bugs exit code 1.

    Usage errors (unknown option, missing argument) are the command-line parser's: exit code 2.
    """
    from ist_analyse.errors import IstAnalyseError
    from ist_analyse.printable import visible

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        with _interrupts_raise():
            app(args=argv, prog_name="ist-analyse")
    except Interrupted as stop:
        if debug:
            traceback.print_exc()
        name = signal.Signals(stop.signum).name
        print(f"ist-analyse: interrupted ({name}); no output was left half-written",
              file=sys.stderr)
        sys.exit(128 + stop.signum)
    except IstAnalyseError as err:
        if debug:
            traceback.print_exc()
        print(f"ist-analyse: {visible(err)}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # a bug: say so, in one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(f"ist-analyse: internal error: {type(exc).__name__}: {visible(exc)} "
                  "(run with --debug for the traceback, and please report it)", file=sys.stderr)
        sys.exit(1)
