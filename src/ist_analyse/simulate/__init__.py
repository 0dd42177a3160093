"""Simulated immigration-office event logs with known truth (issue #4).

A capacity-driven discrete-event simulation (SimPy) of the residence-permit process of a
Wetterau-size Ausländerbehörde: staff by role in office hours, queues, appointment slots,
external parties and legal fictions (:mod:`.model`), scenarios with a change date
(:mod:`.params`), exports as real systems write them (:mod:`.export`) and a ground-truth file
with the true before/after values (:mod:`.truth`).

Example:
    >>> from ist_analyse.simulate import simulate
    >>> res = simulate("checklist", "2024-01-01", months=3, seed=1, scale=0.05,
    ...                progress=False)
    >>> res.log.columns[:5].tolist()
    ['case_id', 'activity', 'timestamp', 'resource', 'role']
    >>> res.truth["scenario"]["name"], res.truth["run"]["change_date"]
    ('checklist', '2024-02-15')
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ist_analyse.errors import ConfigError
from ist_analyse.files import check_output, write_text_atomic
from ist_analyse.simulate.params import SCENARIOS, Params, Scenario, get_scenario

__all__ = ["SCENARIOS", "Params", "Scenario", "SimulationResult", "simulate"]

#: days simulated before the start so queues and backlogs are in their usual state
WARMUP_DAYS = 240
#: days simulated past the export date (at most) to learn the future of open cases
RUNOUT_DAYS = 540


@dataclass
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes:
        log: the exported event log, canonical (:mod:`ist_analyse.log`): cases starting in
            [start, export date), events up to the export date, ``case_*`` attributes.
        truth: the ground truth (JSON-ready dict; see :mod:`ist_analyse.simulate.truth`).
        full_log: every event of the exported cases including their simulated future after
            the export date (column ``cut`` marks events after it; ``t_true`` is the exact
            simulation minute, ``date_only`` marks events exported with a date only).
        cases: one row per exported case with attributes and simulation facts.
        output, truth_file: the files written, if any.
        seconds: wall-clock time of the run.
    """

    log: pd.DataFrame
    truth: dict[str, Any]
    full_log: pd.DataFrame
    cases: pd.DataFrame
    scenario: Scenario
    output: Path | None = None
    truth_file: Path | None = None
    seconds: float = 0.0


def parse_date(value: str | dt.date, what: str = "date") -> dt.date:
    """A date from ``2024-07-01``, ``01.07.2024`` or a ``date``.

    Raises:
        ConfigError: not a date in either notation.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ConfigError(f"{what} '{value}' is not a date", hint="write it as JJJJ-MM-TT "
                      "(2024-07-01) or TT.MM.JJJJ (01.07.2024)")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months (clamped to the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def default_change(scenario: Scenario, start: dt.date, months: int) -> dt.date:
    """The middle of the period (the first day of its middle month for an even number of
    months), or 8 weeks before the export date (``censored``)."""
    export = add_months(start, months)
    if scenario.change_default == "end-8w":
        return export - dt.timedelta(weeks=8)
    if months % 2 == 0:
        return add_months(start, months // 2)
    return start + (export - start) // 2


def simulate(
    scenario: str | Scenario = "baseline",
    start: str | dt.date = "2024-01-01",
    months: int = 12,
    change: str | dt.date | None = None,
    seed: int = 0,
    scale: float = 1.0,
    output: str | Path | None = None,
    progress: bool = True,
    *,
    with_case_truth: bool = True,
) -> SimulationResult:
    """Simulate an Ausländerbehörde and return (and optionally write) its event log.

    Args:
        scenario: a name from :data:`SCENARIOS` (``baseline``, ``stationary``, ``seasonal``,
            ``surge``, ``censored``, ``online_booking``, ``checklist``,
            ``checklist_gradual``, ``front_office``, ``more_staff``, ``security_faster``,
            ``three_transitions``) or a :class:`Scenario`.
        start: first day of the exported period (``2024-01-01`` or ``01.01.2024``).
        months: length of the exported period; its end is the export date.
        change: the change date (default: the middle of the period; ``censored``: 8 weeks
            before the export date). It must lie inside the period.
        seed: the same seed gives the same log. Cases have their own random streams, so two
            scenarios with the same seed share arrivals and customers.
        scale: office size: 1.0 = Wetterau-size (~7,500 title cases a year, 21 staff);
            0.1 = ~750 cases a year. Arrivals, staff and slots scale together.
        output: file to write; the format comes from the suffix (``.csv`` German export,
            ``.xes``/``.xes.gz``, ``.parquet``). The ground truth goes next to it as
            ``<name>.truth.json``.
        progress: show a progress bar on stderr.
        with_case_truth: include the per-case table in the ground truth.

    Returns:
        :class:`SimulationResult` with ``.log`` (canonical DataFrame), ``.truth`` (dict),
        ``.full_log`` and ``.cases``.

    Raises:
        ConfigError: unknown scenario, bad dates, change date outside the period, months or
            scale out of range.
        OutputError: the output suffix is not known or the file cannot be written.
    """
    from ist_analyse.simulate import export as X
    from ist_analyse.simulate.calendar import DAY, OfficeCalendar
    from ist_analyse.simulate.model import Office
    from ist_analyse.simulate.truth import compute_truth

    began = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else get_scenario(scenario)
    start_d = parse_date(start, "start date")
    if not isinstance(months, int) or not 1 <= months <= 60:
        raise ConfigError(f"months must be a whole number from 1 to 60, got {months}")
    if not 0.01 <= float(scale) <= 10:
        raise ConfigError(f"scale must be between 0.01 and 10, got {scale}")
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed}")
    export_d = add_months(start_d, months)
    change_d = parse_date(change, "change date") if change else default_change(
        sc, start_d, months)
    if not start_d < change_d < export_d:
        raise ConfigError(
            f"change date {change_d:%d.%m.%Y} is not inside the simulated period "
            f"{start_d:%d.%m.%Y} – {export_d:%d.%m.%Y}",
            hint="choose a date after --start and before start + --months")
    if output is not None:
        X.output_format(output)
        check_output(Path(output))
        check_output(X.truth_path(Path(output)))

    origin = start_d - dt.timedelta(days=WARMUP_DAYS)
    period = (export_d - start_d).days
    horizon = WARMUP_DAYS + period + RUNOUT_DAYS + 150
    cal = OfficeCalendar(origin, horizon)
    office = Office(sc, cal, start=cal.minute_of(start_d), export=cal.minute_of(export_d),
                    change=cal.minute_of(change_d), seed=seed, scale=float(scale),
                    horizon_days=horizon)
    stopped = _run(office, sc.name, progress, RUNOUT_DAYS)
    frames = X.build_frames(office, sc.name)
    run = {
        "scenario": sc.name, "seed": seed, "scale": float(scale),
        "start": start_d.isoformat(), "months": months,
        "change_date": change_d.isoformat(), "export_date": export_d.isoformat(),
        "timezone": "Europe/Berlin", "warmup_days": WARMUP_DAYS,
        "simulated_until": cal.to_datetime(stopped).isoformat(),
        "runout_days": round((stopped - office.export) / DAY, 1),
        "open_cases_never_closed": office.open_recorded,
        "arrivals_stopped": (cal.to_datetime(office.arrivals_stopped).isoformat()
                             if office.arrivals_stopped is not None else None),
        "command": command_line(sc.name, start_d, months, change_d, seed, scale, output),
    }
    truth = compute_truth(events=frames.events, cases=frames.cases, scenario=sc,
                          office=office, run=run, with_cases=with_case_truth)
    exported = frames.events.loc[~frames.events["cut"]]
    log = X.canonical(exported, source=f"simulate:{sc.name}")
    result = SimulationResult(log=log, truth=truth, full_log=frames.events,
                              cases=frames.cases, scenario=sc)
    if output is not None:
        out = Path(output)
        description = (f"simulated by ist-analyse: scenario {sc.name}, seed {seed}, scale "
                       f"{scale}, {start_d} + {months} months, change {change_d}")
        X.write_log(frames.events, out, description=description)
        result.output = out
        result.truth_file = write_truth(truth, X.truth_path(out))
    result.seconds = time.perf_counter() - began
    truth["run"]["seconds"] = round(result.seconds, 2)
    if result.truth_file is not None:  # with the run time
        write_truth(truth, result.truth_file)
    return result


def write_truth(truth: dict[str, Any], path: Path) -> Path:
    text = json.dumps(truth, ensure_ascii=False, indent=1, default=str)
    # keep the long per-case and per-week lists on one line each
    text = re.sub(r"\[\n\s+([^\[\]{}]*?)\n\s*\]",
                  lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]", text)
    return write_text_atomic(path, text + "\n")


def command_line(name: str, start: dt.date, months: int, change: dt.date, seed: int,
                 scale: float, output: str | Path | None) -> str:
    parts = ["ist-analyse simulate", f"--scenario {name}", f"--start {start.isoformat()}",
             f"--months {months}", f"--change {change.isoformat()}", f"--seed {seed}"]
    if scale != 1.0:
        parts.append(f"--scale {scale:g}")
    parts.append(f"-o {Path(output).name if output is not None else 'FILE'}")
    return " ".join(parts)


def _run(office: Any, name: str, progress: bool, runout_days: float) -> float:
    from ist_analyse.simulate.calendar import DAY

    if not progress:
        return office.run(None, runout_days)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return office.run(None, runout_days)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[day]}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"simulate {name}", total=None, day="")

        def update(now: float, limit: float) -> None:
            phase = "Nachlauf" if now >= office.export else "Simulation"
            bar.update(task, completed=now / DAY, total=limit / DAY,
                       day=f"{phase} {office.cal.date_of(now):%d.%m.%Y}")

        stopped = office.run(update, runout_days)
    print(file=sys.stderr, end="")
    return stopped
