"""The ``discover`` and ``bottlenecks`` commands of the installed CLI (in-process runner)."""

import json

from typer.testing import CliRunner

from ist_analyse.cli import app
from ist_analyse.errors import ConfigError, OutputError
from tests.conftest import SAMPLE_LOGS

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


def test_bpic2013_status_log_gives_a_full_map_and_ranking(real_logs):
    """BPI Challenge 2013: statuses, no start/complete; every event is a step (issue 14)."""
    import pm4py

    path = real_logs / "06_bpic2013_closed.xes.gz"
    df = pm4py.read_xes(str(path))
    df["concept:name"] = df["concept:name"] + "+" + df["lifecycle:transition"]
    dfg, _, _ = pm4py.discover_dfg(df)
    res = runner.invoke(app, ["discover", str(path), "--json", "--coverage", "1", "--k-min",
                              "1"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    edges = {(e["from"], e["to"]): e["occurrences"] for e in doc["edges"]
             if e["from"] and e["to"]}
    assert edges == dict(dfg)
    res = runner.invoke(app, ["bottlenecks", str(path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["instances"] == len(df) == 6_660 and doc["transitions"]
    res = runner.invoke(app, ["compare", str(path), "--change", "2011-01-01", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["periods"]["before"]["start"] == "2006-01-11"
