"""The ``conformance`` verb (model + rules + picture) and its CLI command, on a hand-made log
whose deviations are known, checked against pm4py called directly."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ist_analyse.analysis.soll_ist import check_soll_ist
from ist_analyse.cli import app
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, OutputError
from ist_analyse.notes import NoteCode
from tests.analysis.conftest import make_log

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

#: Soll: Start -> A -> B -> C -> End, drawn as bpmn.io writes it (namespaced, with DI omitted)
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="P" isExecutable="false">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="a" name="A"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>
    <bpmn:task id="b" name="B"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:task>
    <bpmn:task id="c" name="C"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:task>
    <bpmn:endEvent id="e"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="c"/>
    <bpmn:sequenceFlow id="f4" sourceRef="c" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""  # noqa: E501

ENDS = ImportOptions(end_activities=("C",))


def _case(rows: list, case: str, acts: str, day: int) -> None:
    t = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=day)
    for i, act in enumerate(acts):
        rows.append((case, act, str(t + pd.Timedelta(hours=i))))


@pytest.fixture
def known() -> pd.DataFrame:
    """6 fitting cases ABC, 6 skip B (AC), 5 do an unknown X (ABXC), 2 open (A only)."""
    rows: list = []
    for i in range(6):
        _case(rows, f"fit{i}", "ABC", i)
        _case(rows, f"skip{i}", "AC", i)
    for i in range(5):
        _case(rows, f"extra{i}", "ABXC", i)
    for i in range(2):
        _case(rows, f"open{i}", "A", 20 + i)
    return make_log(rows)


@pytest.fixture
def model(tmp_path) -> Path:
    p = tmp_path / "soll.bpmn"
    p.write_text(BPMN, encoding="utf-8")
    return p


def test_counts_fitness_and_picture_on_a_log_with_known_deviations(known, model, tmp_path):
    out = tmp_path / "abweichungen.svg"
    res = check_soll_ist(known, ENDS, model=model, output=out)
    doc = res.to_dict()
    assert doc["cases"] == 17  # the 2 open cases are left out, and a note says so
    # the note keeps its English text for the CLI and JSON; the report reads code and values
    note = "2 open cases (without C) were not compared with the Soll model; the rules check them"
    assert note in doc["notes"] and note in json.loads(json.dumps(doc))["notes"]
    made = res.notes[doc["notes"].index(note)]
    assert made.code == NoteCode.OPEN_CASES_NOT_COMPARED
    assert made.values == {"count": 2, "ends": ["C"]}
    dev = {d["activity"]: d for d in doc["deviations"]}
    assert dev["B"]["skipped_cases"] == 6 and dev["B"]["extra_cases"] == 0
    assert dev["X"]["extra_cases"] == 5 and dev["X"]["skipped_cases"] == 0
    assert set(dev) == {"B", "X"}
    assert doc["fitting_share"] == pytest.approx(6 / 17)
    # log fitness exactly as pm4py computes it on the same (closed) cases
    import pm4py

    from ist_analyse._pm4py import to_pm4py
    closed = known[~known["case_id"].str.startswith("open")].reset_index(drop=True)
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(model)))
    expected = pm4py.fitness_alignments(to_pm4py(closed), net, im, fm)["log_fitness"]
    assert doc["log_fitness"] == pytest.approx(expected, abs=1e-12)
    svg = html.unescape(out.read_text(encoding="utf-8"))  # Graphviz writes "-" as &#45;
    assert "übersprungen in 6 Fällen" in svg  # B, in the model
    assert "Nicht im Soll-Modell" in svg and "ohne Modell in 5 Fällen" in svg  # X, unknown
    assert doc["picture"] == str(out) and doc["rules"] == []


def test_a_step_at_the_wrong_point_is_wrong_order_not_skipped_plus_extra(model, tmp_path):
    rows: list = []
    for i in range(6):
        _case(rows, f"fit{i}", "ABC", i)
        _case(rows, f"swap{i}", "ACB", i)  # B after C: one step in the wrong order
    out = tmp_path / "m.svg"
    doc = check_soll_ist(make_log(rows), model=model, output=out).to_dict()
    (dev,) = doc["deviations"]  # B moved after C, or C moved before B: equally cheap
    act = dev["activity"]
    assert act in ("B", "C") and dev["wrong_order_cases"] == 6
    assert dev["skipped_cases"] == 0 and dev["extra_cases"] == 0
    assert dev["text"] == f"{act}: in the wrong order in 6 cases"
    assert len(dev["wrong_order_examples"]) == 5
    assert "falsche Reihenfolge in 6 Fällen" in html.unescape(out.read_text("utf-8"))


def test_open_cases_included_on_request(known, model):
    doc = check_soll_ist(known, ENDS, model=model, include_open=True).to_dict()
    assert doc["cases"] == 19
    dev = {d["activity"]: d for d in doc["deviations"]}
    assert dev["C"]["skipped_cases"] is None  # 2 cases: fewer than k_min, suppressed
    assert dev["B"]["skipped_cases"] == 8  # 6 + the 2 open ones


def test_small_deviations_are_suppressed_in_table_and_picture(known, model, tmp_path):
    out = tmp_path / "a.svg"
    doc = check_soll_ist(known, ENDS, model=model, output=out, k_min=7).to_dict()
    dev = {d["activity"]: d for d in doc["deviations"]}
    assert dev["B"]["skipped_cases"] is None and dev["X"]["extra_cases"] is None
    assert dev["B"]["skipped_examples"] == []
    svg = html.unescape(out.read_text(encoding="utf-8"))
    assert "übersprungen in 6" not in svg and "übersprungen in ·" in svg


def test_rules_only_and_model_only_share_one_document(known, model, tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('[[deadline]]\nname = "A bis C"\nfrom = "A"\nto = "C"\nmax_days = 2\n\n'
                     '[[absent]]\nname = "kein X"\nactivity = "X"\n', encoding="utf-8")
    doc = check_soll_ist(known, ENDS, rules=rules).to_dict()
    assert doc["log_fitness"] is None and doc["deviations"] is None
    by = {r["name"]: r for r in doc["rules"]}
    assert by["A bis C"]["checked"] == 19  # rules see the open cases too
    assert by["A bis C"]["violations"] == 0 and by["A bis C"]["overdue_open"] == 0
    assert by["kein X"]["violations"] == 5
    both = check_soll_ist(known, ENDS, model=model, rules=rules).to_dict()
    assert both["rules"] == doc["rules"] and both["log_fitness"] is not None


def test_errors(known, model, tmp_path):
    with pytest.raises(ConfigError, match="nothing to check"):
        check_soll_ist(known)
    with pytest.raises(ConfigError, match="needs a Soll model"):
        check_soll_ist(known, rules=ROOT / "models" / "abh_rules.toml", output=tmp_path / "x.svg")
    with pytest.raises(OutputError):
        check_soll_ist(known, model=model, output=tmp_path / "x.gif")
    only_open = known[known["case_id"].str.startswith("open")]
    with pytest.raises(ConfigError, match="no case of the log is closed"):
        check_soll_ist(only_open, ENDS, model=model)


def _write_csv(log: pd.DataFrame, path: Path) -> Path:
    local = log[["case_id", "activity", "timestamp"]].copy()
    local["timestamp"] = local["timestamp"].dt.tz_convert("Europe/Berlin").dt.strftime(
        "%d.%m.%Y %H:%M")
    local.columns = ["Vorgangsnummer", "Tätigkeit", "Zeitpunkt"]
    local.to_csv(path, sep=";", index=False, encoding="cp1252")
    return path


def test_cli_json_is_one_document_from_the_installed_command(known, model, tmp_path):
    csv = _write_csv(known, tmp_path / "export.csv")
    rules = tmp_path / "r.toml"
    rules.write_text('[[deadline]]\nname = "A bis C"\nfrom = "A"\nto = "C"\nmax_days = 2\n\n'
                     '[[order]]\nname = "B vor C"\nbefore = "B"\nafter = "C"\n',
                     encoding="utf-8")
    exe = Path(sys.executable).with_name("ist-analyse")
    proc = subprocess.run(
        [str(exe), "conformance", str(csv), "--model", str(model), "--rules", str(rules),
         "--end-activity", "C", "--method", "token-replay", "--json"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # nothing else on stdout: no banner, no progress bars
    assert doc["method"] == "token-replay" and 0 < doc["log_fitness"] < 1
    assert {r["kind"] for r in doc["rules"]} == {"deadline", "order"}
    assert doc["rules"][1]["violations"] == 6  # the AC cases: no B before C
    assert {"name", "kind", "checked", "violations", "overdue_open"} <= set(doc["rules"][0])
    assert doc["cases"] == 17 and doc["deviations"]


def test_cli_table_and_errors(known, model, tmp_path):
    csv = _write_csv(known, tmp_path / "export.csv")
    res = runner.invoke(app, ["conformance", str(csv), "--model", str(model),
                              "--end-activity", "C", "-o", str(tmp_path / "m.png")])
    assert res.exit_code == 0, res.output
    assert "Deviations per activity" in res.stdout and "skipped in 6 cases" in res.stdout
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(app, ["conformance", str(csv)])
    assert isinstance(res.exception, ConfigError)
    res = runner.invoke(app, ["conformance", str(csv), "--model", str(model), "--method",
                              "heuristic"])
    assert isinstance(res.exception, ConfigError)


MODELS = ROOT / "tests" / "data" / "models"


@pytest.mark.parametrize(("name", "fitting", "deviating", "dev"), [
    # Camunda Modeler: pool, lanes, user/service tasks, conditions, a label with a line break
    ("camunda_modeler.bpmn",
     ["Antrag eingegangen", "Vollständigkeitsprüfung", "Unterlagen nachgefordert",
      "Vollständigkeitsprüfung", "Entscheidung Erteilung"],
     ["Antrag eingegangen", "Entscheidung Erteilung"], "Vollständigkeitsprüfung"),
    # Signavio: default namespace, signavio metadata, annotation, AND split/join
    ("signavio.bpmn",
     ["Antrag eingegangen", "Biometrie erfasst", "Sicherheitsabfrage gestellt",
      "Entscheidung Erteilung"],
     ["Antrag eingegangen", "Biometrie erfasst", "Entscheidung Erteilung"],
     "Sicherheitsabfrage gestellt"),
])
def test_models_as_modelling_tools_export_them(name, fitting, deviating, dev, tmp_path):
    rows: list = []
    t0 = pd.Timestamp("2025-03-03 08:00")
    for i in range(8):
        for j, act in enumerate(fitting if i < 5 else deviating):
            rows.append((f"c{i}", act, str(t0 + pd.Timedelta(days=i, hours=j))))
    log = make_log(rows)
    res = check_soll_ist(log, model=MODELS / name, output=tmp_path / "m.svg")
    doc = res.to_dict()
    assert doc["fitting_share"] == pytest.approx(5 / 8)
    assert {d["activity"]: d["skipped_cases"] for d in doc["deviations"]} == {dev: None}
    import pm4py

    from ist_analyse._pm4py import to_pm4py
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(MODELS / name)))
    expected = pm4py.fitness_alignments(to_pm4py(log), net, im, fm)["log_fitness"]
    assert doc["log_fitness"] == pytest.approx(expected, abs=1e-12) and expected < 1
    assert "Entscheidung Erteilung" in html.unescape((tmp_path / "m.svg").read_text("utf-8"))


def test_model_discovered_from_a_reference_period(tmp_path):
    """Jan–Mar: A B C; from April some cases skip B. The reference model of Jan–Mar requires
    B, so the April cases that skip it deviate; the reference cases fit."""
    rows: list = []
    for i in range(20):
        _case(rows, f"ref{i}", "ABC", i)  # 03.03. to 22.03.2025
    for i in range(10):
        _case(rows, f"new{i}", "ABC" if i < 4 else "AC", 40 + i)  # from 12.04.2025
    log = make_log(rows)
    res = check_soll_ist(log, reference="2025-03-01:31.03.2025", noise=0.0,
                         output=tmp_path / "ref.svg")
    doc = res.to_dict()
    assert doc["model"]["kind"] == "discovered" and "20 cases started" in doc["model"]["source"]
    dev = {d["activity"]: d for d in doc["deviations"]}
    assert dev["B"]["skipped_cases"] == 6
    assert doc["fitting_share"] == pytest.approx(24 / 30)
    assert "übersprungen in 6 Fällen" in html.unescape((tmp_path / "ref.svg").read_text("utf-8"))
    with pytest.raises(ConfigError, match="no case started"):
        check_soll_ist(log, reference="2020-01-01:2020-12-31")
    with pytest.raises(ConfigError, match="not FROM:TO"):
        check_soll_ist(log, reference="2025-03-01")
    with pytest.raises(ConfigError, match="either a Soll model or a reference"):
        check_soll_ist(log, reference="2025-03-01:2025-03-31", model=tmp_path / "x.bpmn")
