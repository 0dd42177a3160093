"""`ist-analyse simulate` (runs once the command is registered in cli.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ist_analyse.cli import app, main


def _registered() -> bool:
    return any(c.name == "simulate" for c in app.registered_commands)


pytestmark = pytest.mark.skipif(not _registered(), reason="simulate not in cli.py yet")


def test_simulate_writes_the_log_and_the_truth(tmp_path):
    out = tmp_path / "abh.csv"
    res = CliRunner().invoke(app, [
        "simulate", "--scenario", "checklist", "--start", "2024-01-01", "--months", "3",
        "--change", "2024-02-15", "--seed", "3", "--scale", "0.05", "--no-progress",
        "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "abh.truth.json").exists()
    truth = json.loads((tmp_path / "abh.truth.json").read_text(encoding="utf-8"))
    assert truth["run"]["change_date"] == "2024-02-15"


def test_simulate_json(tmp_path):
    res = CliRunner().invoke(app, [
        "simulate", "--scenario", "stationary", "--months", "2", "--scale", "0.03",
        "--json", "-o", str(tmp_path / "abh.parquet")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["run"]["scenario"] == "stationary"
    assert set(doc) >= {"output", "truth_file", "export", "headline_effects"}


def test_unknown_scenario_is_exit_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--scenario", "nope", "-o", str(tmp_path / "x.csv")])
    assert exc.value.code == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
