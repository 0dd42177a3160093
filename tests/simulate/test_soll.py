"""The Soll model (BPMN 2.0) and the rule file: pm4py reads the model, a simulated baseline
mostly fits it, and the deviations that exist are the ones the simulator makes on purpose."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from ist_analyse import log as L
from ist_analyse._pm4py import pm4py, to_pm4py
from ist_analyse.simulate import model as M
from ist_analyse.simulate.soll import NOT_IN_SOLL, soll_bpmn_xml
from tests.conftest import REPO

MODEL = REPO / "models" / "soll_aufenthaltstitel.bpmn"
RULES = REPO / "models" / "abh_rules.toml"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}


def tasks(xml: str) -> list[str]:
    root = ET.fromstring(xml.encode("utf-8"))
    return sorted(t.get("name") for t in root.iter(f"{{{NS['bpmn']}}}task"))


def test_model_file_is_bpmn_with_a_diagram_for_modelers():
    xml = MODEL.read_text(encoding="utf-8")
    root = ET.fromstring(xml.encode("utf-8"))
    process = root.find("bpmn:process", NS)
    assert process is not None and process.get("name") == "Aufenthaltstitel (Soll)"
    nodes = [el for el in process if el.tag.split("}")[1] in (
        "task", "startEvent", "endEvent", "exclusiveGateway", "parallelGateway")]
    flows = process.findall("bpmn:sequenceFlow", NS)
    diagram = root.find("bpmndi:BPMNDiagram", NS)
    assert diagram is not None
    shapes = diagram.findall(".//bpmndi:BPMNShape", NS)
    edges = diagram.findall(".//bpmndi:BPMNEdge", NS)
    assert len(shapes) == len(nodes) > 30
    assert len(edges) == len(flows)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert {s.get("bpmnElement") for s in shapes} <= ids
    assert not re.search(r"id[0-9a-f]{8}-", xml)  # stable ids, not random UUIDs


def test_model_holds_the_activities_of_domain_md():
    names = set(tasks(MODEL.read_text(encoding="utf-8")))
    assert names == set(M.ACTIVITIES) - NOT_IN_SOLL
    assert len(names) == 28


def test_shipped_model_is_the_generated_one():
    assert tasks(soll_bpmn_xml()) == tasks(MODEL.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def petri():
    pm = pm4py()
    bpmn = pm.read_bpmn(str(MODEL))
    return pm.convert_to_petri_net(bpmn)


def _closed_cases(res) -> pd.DataFrame:
    full = res.full_log
    closed = set(full.loc[full[L.ACTIVITY] == M.ABGESCHLOSSEN, L.CASE_ID])
    log = full[full[L.CASE_ID].isin(closed)].drop(columns=["t_true", "date_only", "cut"])
    return log


def test_simulated_baseline_mostly_fits_the_soll_model(baseline_small, petri):
    net, im, fm = petri
    assert len(net.transitions) > 40
    df = to_pm4py(_closed_cases(baseline_small))
    fitness = pm4py().fitness_token_based_replay(df, net, im, fm)
    assert fitness["log_fitness"] >= 0.9


def test_the_deviating_cases_are_the_designed_ones(baseline_small, petri):
    """Exact alignments on a sample: a trace does not fit only where the simulator
    deviates on purpose (eAT ordered before the fee, a walk-in sent home, a rejection
    without a hearing)."""
    net, im, fm = petri
    log = _closed_cases(baseline_small)
    log = log[log[L.ACTIVITY] != M.SACHSTAND]
    per_case = log.groupby(L.CASE_ID)[L.ACTIVITY].apply(lambda s: list(s))
    sample = per_case.sample(60, random_state=1)
    designed = per_case[per_case.map(_designed_deviation)]
    cases = list(dict.fromkeys([*sample.index, *designed.index[:10]]))
    pm = pm4py()
    event_log = pm.convert_to_event_log(to_pm4py(log[log[L.CASE_ID].isin(cases)]))
    aligned = pm.conformance_diagnostics_alignments(event_log, net, im, fm,
                                                    multi_processing=False)
    traces = [[e["concept:name"] for e in trace] for trace in event_log]
    ids = [trace.attributes["concept:name"] for trace in event_log]
    assert len(designed) > 0
    random_fits = 0
    for case, trace, al in zip(ids, traces, aligned, strict=True):
        if al["fitness"] < 1.0:
            assert _designed_deviation(trace), trace
        elif case in sample.index:
            random_fits += 1
    assert random_fits >= 0.8 * len(sample)  # most cases follow the Soll process


def _designed_deviation(trace: list[str]) -> bool:
    if M.EAT_BESTELLT in trace and M.GEBUEHR in trace and (
            trace.index(M.EAT_BESTELLT) < trace.index(M.GEBUEHR)):
        return True
    if trace.count(M.CHECK_IN) > trace.count(M.TERMIN_VERGEBEN) + 1:
        return True
    if trace and trace[0] == M.CHECK_IN and M.TERMINANFRAGE in trace:
        return True  # sent home, then booked an appointment
    if M.ABLEHNUNG in trace and M.ANHOERUNG not in trace:
        return True
    # a certificate renewed between the hearing and the rejection
    return M.ANHOERUNG in trace and M.FIKTION in trace[trace.index(M.ANHOERUNG):]


# ---- the rule file ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules() -> dict:
    return tomllib.loads(RULES.read_text(encoding="utf-8"))


def test_rule_file_has_the_four_kinds_and_known_names(rules, baseline_small):
    assert set(rules) == {"deadline", "order", "exists", "absent"}
    names = [r["name"] for kind in rules.values() for r in kind]
    assert len(names) == len(set(names))
    known = set(M.ACTIVITIES)
    attrs = {c.removeprefix("case_") for c in baseline_small.log.columns
             if c.startswith("case_") and c != L.CASE_ID}

    def acts(value):
        return [value] if isinstance(value, str) else list(value)

    for rule in rules["deadline"]:
        assert set(acts(rule["from"]) + acts(rule["to"])) <= known, rule["name"]
        assert rule["max_days"] > 0
        assert set(rule) <= {"name", "from", "to", "max_days", "working_days", "where"}
    for rule in rules["order"]:
        assert set(acts(rule["before"]) + acts(rule["after"])) <= known, rule["name"]
    for rule in rules["exists"] + rules["absent"]:
        assert rule["activity"] in known
    for kind in rules.values():
        for rule in kind:
            assert set(rule.get("where", {})) <= attrs, rule["name"]
    lines = RULES.read_text(encoding="utf-8").splitlines()
    header = "\n".join(ln for ln in lines[:lines.index("[[deadline]]")])
    for word in ("[[deadline]]", "[[order]]", "[[exists]]", "[[absent]]", "where",
                 "working_days", "max_days"):
        assert word in header  # the format is documented in the file


def _matches(log: pd.DataFrame, where: dict) -> pd.Series:
    mask = pd.Series(True, index=log.index)
    for key, value in where.items():
        mask &= log[f"case_{key}"] == value
    return mask


def _order_violations(log: pd.DataFrame, rule: dict) -> set[str]:
    """Reference semantics of [[order]] (Declare precedence) for the test."""
    before = [rule["before"]] if isinstance(rule["before"], str) else rule["before"]
    after = [rule["after"]] if isinstance(rule["after"], str) else rule["after"]
    log = log[_matches(log, rule.get("where", {}))]
    first_before = log[log[L.ACTIVITY].isin(before)].groupby(L.CASE_ID)[L.TIMESTAMP].min()
    afters = log[log[L.ACTIVITY].isin(after)]
    bad = set()
    for case, ts in afters.groupby(L.CASE_ID)[L.TIMESTAMP].min().items():
        if case not in first_before.index or first_before[case] > ts:
            bad.add(case)
    return bad


def test_order_rules_find_exactly_the_designed_deviations(baseline_small, rules):
    log = baseline_small.full_log
    by_name = {r["name"]: r for r in rules["order"]}
    dev = baseline_small.truth["deviations"]
    assert len(_order_violations(log, by_name["Anhörung vor Ablehnung"])) == dev[
        "Ablehnung ohne Anhörung"]
    assert len(_order_violations(log, by_name["Sicherheitsabfrage vor NE-Entscheidung"])) \
        == dev["NE-Entscheidung ohne Sicherheitsabfrage"]
    assert len(_order_violations(log, by_name["Gebühr vor eAT-Bestellung"])) == dev[
        "eAT bestellt vor Gebühr"] > 0
    for name in ("Entscheidung vor eAT-Bestellung", "Biometrie vor eAT-Bestellung",
                 "Lieferung vor Aushändigung", "Vorabzustimmung erst nach BA-Zustimmung",
                 "Vollständigkeitsprüfung vor Entscheidung"):
        assert _order_violations(log, by_name[name]) == set(), name


def test_legal_deadlines_hold_where_the_law_fixes_them(baseline_small, rules):
    log = baseline_small.full_log
    by_name = {r["name"]: r for r in rules["deadline"]}
    for name in ("BA-Zustimmungsfiktion",
                 "BA-Zustimmungsfiktion im beschleunigten Fachkräfteverfahren",
                 "eAT-Produktion"):
        rule = by_name[name]
        sub = log[_matches(log, rule.get("where", {}))]
        to = [rule["to"]] if isinstance(rule["to"], str) else rule["to"]
        start = sub[sub[L.ACTIVITY] == rule["from"]].groupby(L.CASE_ID)[L.TIMESTAMP].min()
        end = sub[sub[L.ACTIVITY].isin(to)].groupby(L.CASE_ID)[L.TIMESTAMP].min()
        days = (end.reindex(start.index) - start).dt.total_seconds() / 86400
        assert (days <= rule["max_days"]).all(), name
    # the §75 VwGO risk flag is raised in an overloaded office: the truth counts it
    assert baseline_small.truth["deviations"]["Entscheidung > 90 Tage nach Antrag"] > 0
