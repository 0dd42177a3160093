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
