"""The ``compare`` command of the installed CLI: JSON on stdout only, the plan, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ist_analyse.cli import app
from ist_analyse.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_logs" / "abh_checklist_2024.csv"
MAPPING = ROOT / "sample_logs" / "abh_mapping.toml"
runner = CliRunner()


def test_json_from_the_installed_command_has_the_contract_keys(tmp_path):
    exe = Path(sys.executable).with_name("ist-analyse")
    diff = tmp_path / "diff.svg"
    proc = subprocess.run(
        [str(exe), "compare", str(SAMPLE), "--mapping", str(MAPPING), "--change", "2024-07-01",
         "--washout", "14", "--map", str(diff), "--json"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # one document, nothing else on stdout
    keys = {"kpi", "before", "after", "difference", "ci_low", "ci_high", "p_value",
            "significant", "n_before", "n_after"}
    kpis = {k["kpi"]: k for k in doc["kpis"]}
    assert all(keys <= set(k) for k in doc["kpis"])
    assert {"case_duration", "rework_rate"} <= set(kpis)
    assert any(name.startswith("wait:") and "->" in name for name in kpis)
    assert doc["periods"]["washout_days"] == 14
    # the sample's checklist shortened the procedure: the truth file knows by how much
    truth = json.loads(SAMPLE.with_suffix(".truth.json").read_text(encoding="utf-8"))
    true_diff = truth["headline_effects"]["e2e_median_days"]["difference"]
    dur = kpis["case_duration"]
    assert dur["difference"] < 0 and true_diff < 0
    assert diff.exists() and doc["difference_map"]["file"] == str(diff)
    # the warnings are notes the report writes in German; the JSON keeps the English text
    assert ("45% of the after cases are still open at the export date: their durations are "
            "censored and the median rests on the cases closed so far; wait for more closings "
            "before drawing conclusions") in doc["checks"]["warnings"]
    assert doc["difference_map"]["title"] == "before → after"
    assert "vorher → nachher" in diff.read_text(encoding="utf-8")  # the map itself is German


def test_plan_and_errors():
    res = runner.invoke(app, ["compare", str(SAMPLE), "--mapping", str(MAPPING), "--plan",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)
    res = runner.invoke(app, ["compare", str(SAMPLE), "--mapping", str(MAPPING)])
    assert isinstance(res.exception, ConfigError)  # neither --change nor a second log nor --by
    res = runner.invoke(app, ["compare", str(SAMPLE), "--mapping", str(MAPPING), "--change",
                              "2030-01-01"])
    assert isinstance(res.exception, ConfigError)  # change date after the log
