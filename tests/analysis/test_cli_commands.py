"""The ``discover`` and ``bottlenecks`` commands, exactly as they go into cli.py.

cli.py belongs to the CLI owner; the two command functions below are the text handed over for
it (with ``app`` being cli.py's Typer app). Here they are registered on a private app so that
the commands are tested before they are pasted. No ``from __future__ import annotations``
here, as in cli.py: Typer reads the annotations of the wrapped command at run time.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.testing import CliRunner

from ist_analyse.cli import JsonOpt, LogArg, _print_json, import_options
from ist_analyse.errors import ConfigError, OutputError
from tests.conftest import SAMPLE_LOGS

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@app.callback()
def _main() -> None:  # a group, as in cli.py
    pass


# ---- begin: paste into cli.py ---------------------------------------------------------------

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
        "-o", "--output", help="Write the map: .svg, .png or .pdf.")] = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="dfg (process map with waiting times), bpmn or petri.")] = "dfg",
    coverage: Annotated[float, typer.Option(
        "--coverage", help="Process map: show the transitions that hold the complete paths "
        "of this share of cases.")] = 0.8,
    noise: Annotated[float, typer.Option(
        "--noise", help="Noise threshold of the inductive miner (IMf).")] = 0.2,
    miner: Annotated[str, typer.Option(
        "--miner", help="auto, imf (on the variants) or imd (on the directly-follows graph, "
        "fast on any log).")] = "auto",
    variants: Annotated[int, typer.Option("--variants", help="How many variants to list.")] = 10,
    title: Annotated[str | None, typer.Option(
        "--title", help="Title printed on the map (default: the log's file name).")] = None,
    working_days: WorkingDaysOpt = False,
    land: LandOpt = "HE",
    k_min: KMinOpt = 5,
    as_json: JsonOpt = False,
    opts: Any = None,
) -> None:
    """Draw a process map (or BPMN model, Petri net) and list the most frequent variants."""
    from ist_analyse.analysis import discover_process_map, render_process_map

    result = discover_process_map(log, output, opts, kind=kind, coverage=coverage, noise=noise,
                                  miner=miner, top_variants=variants, title=title,
                                  working_days=working_days, land=land, k_min=k_min)
    if as_json:
        _print_json(result.to_dict())
    else:
        render_process_map(result)


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
    if as_json:
        _print_json(result.to_dict())
    else:
        render_bottlenecks(result)

# ---- end: paste into cli.py -----------------------------------------------------------------


runner = CliRunner()
CSV = str(SAMPLE_LOGS / "receipt_export_de.csv")


def test_bottlenecks_json_is_one_document_on_stdout():
    res = runner.invoke(app, ["bottlenecks", CSV, "--top", "3", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    trans = doc["transitions"]
    assert len(trans) == 3 and doc["transitions_total"] > 3
    assert trans[0]["total_wait_days"] >= trans[1]["total_wait_days"] >= \
        trans[2]["total_wait_days"]
    assert {"from", "to", "cases", "median_wait_days", "p90_wait_days",
            "total_wait_days"} <= set(trans[0])


def test_bottlenecks_table_with_import_options_and_working_days():
    res = runner.invoke(app, ["bottlenecks", CSV, "--sep", ";", "--working-days", "--land",
                              "NW", "--end-activity", "T10 Determine necessity to stop "
                              "indication"])
    assert res.exit_code == 0, res.output
    assert "office days (NW)" in res.stdout and "Transitions ranked by total waiting" in \
        res.stdout
    assert "end activities" in res.stdout


def test_discover_writes_map_and_lists_variants(tmp_path):
    out = tmp_path / "karte.svg"
    res = runner.invoke(app, ["discover", CSV, "-o", str(out), "--coverage", "0.9",
                              "--title", "Eingangsphase <Bauantrag>"])
    assert res.exit_code == 0, res.output
    assert out.exists() and "Variants" in res.stdout
    assert "Eingangsphase &lt;Bauantrag&gt;" in out.read_text(encoding="utf-8")
    res = runner.invoke(app, ["discover", CSV, "-o", str(tmp_path / "m.pdf"), "--kind", "bpmn",
                              "--json"])
    doc = json.loads(res.stdout)
    assert doc["model_class"] == "BPMN" and "IMf" in doc["algorithm"]


def test_errors_are_library_errors(tmp_path):
    res = runner.invoke(app, ["discover", CSV, "--kind", "alpha"])
    assert isinstance(res.exception, ConfigError)  # cli.main turns it into exit code 2
    res = runner.invoke(app, ["discover", CSV, "-o", str(tmp_path / "m.gif")])
    assert isinstance(res.exception, OutputError)
    res = runner.invoke(app, ["bottlenecks", CSV, "--k-min", "0"])
    assert isinstance(res.exception, ConfigError)
