"""Conformance against a Soll model: fitness equals pm4py's, deviations are counted exactly,
model files are read safely."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import ist_analyse as ia
from ist_analyse import log as L
from ist_analyse._pm4py import pm4py, to_pm4py
from ist_analyse.analysis import conformance as C
from ist_analyse.analysis.conformance import check_conformance, read_model
from ist_analyse.errors import ConfigError, ErrorCode, ModelError
from ist_analyse.notes import NoteCode
from tests.analysis.conftest import make_log

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def bpmn(body: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<bpmn:definitions {NS} id="d" targetNamespace="http://example.org">'
            f'<bpmn:process id="p" isExecutable="false">{body}</bpmn:process>'
            '</bpmn:definitions>')


def flow(i: str, a: str, b: str) -> str:
    return f'<bpmn:sequenceFlow id="{i}" sourceRef="{a}" targetRef="{b}"/>'


SEQUENCE = bpmn(
    '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:task id="a" name="Antrag"><bpmn:incoming>f1</bpmn:incoming>'
    '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>'
    '<bpmn:task id="b" name="Pruefung"><bpmn:incoming>f2</bpmn:incoming>'
    '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:task>'
    '<bpmn:task id="c" name="Bescheid"><bpmn:incoming>f3</bpmn:incoming>'
    '<bpmn:outgoing>f4</bpmn:outgoing></bpmn:task>'
    '<bpmn:endEvent id="e"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>'
    + flow("f1", "s", "a") + flow("f2", "a", "b") + flow("f3", "b", "c") + flow("f4", "c", "e"))

INCLUSIVE = bpmn(
    '<bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="or1" name="Unterlagen?"/>'
    '<bpmn:task id="a" name="Antrag"/><bpmn:endEvent id="e"/>'
    + flow("f1", "s", "or1") + flow("f2", "or1", "a") + flow("f3", "a", "e"))

PNML = """<?xml version="1.0" encoding="UTF-8"?>
<pnml><net id="n" type="http://www.pnml.org/version-2009/grammar/pnmlcoremodel"><page id="p">
<place id="p0"><initialMarking><text>1</text></initialMarking></place>
<place id="p1"/><place id="p2"/><place id="p3"/>
<transition id="tA"><name><text>Antrag</text></name></transition>
<transition id="tB"><name><text>Pruefung</text></name></transition>
<transition id="tC"><name><text>Bescheid</text></name></transition>
<arc id="a1" source="p0" target="tA"/><arc id="a2" source="tA" target="p1"/>
<arc id="a3" source="p1" target="tB"/><arc id="a4" source="tB" target="p2"/>
<arc id="a5" source="p2" target="tC"/><arc id="a6" source="tC" target="p3"/>
</page><finalmarkings><marking><place idref="p3"><text>1</text></place></marking>
</finalmarkings></net></pnml>
"""


def tiny_log():
    """3 cases skip Pruefung, 2 cases add Nachforderung, 4 cases fit."""
    rows = []
    t = "2025-03-03 0{}:00"
    for i in range(3):
        rows += [(f"skip{i}", "Antrag", t.format(1)), (f"skip{i}", "Bescheid", t.format(3))]
    for i in range(2):
        rows += [(f"extra{i}", "Antrag", t.format(1)), (f"extra{i}", "Pruefung", t.format(2)),
                 (f"extra{i}", "Nachforderung", t.format(3)),
                 (f"extra{i}", "Bescheid", t.format(4))]
    for i in range(4):
        rows += [(f"fit{i}", "Antrag", t.format(1)), (f"fit{i}", "Pruefung", t.format(2)),
                 (f"fit{i}", "Bescheid", t.format(3))]
    return make_log(rows)


@pytest.fixture(scope="module")
def receipt(real_logs):
    log = ia.read_log(real_logs / "08_receipt.xes.gz").log
    return log, read_model(real_logs / "receipt.bpmn")


@pytest.fixture(scope="module")
def roadtraffic(real_logs):
    log = ia.read_log(real_logs / "roadtraffic100traces.xes.gz").log
    return log, read_model(real_logs / "roadtraffic.pnml")


def completed(log):
    if L.LIFECYCLE in log.columns:
        log = log[log[L.LIFECYCLE].isna()]
    return to_pm4py(log.reset_index(drop=True))


# ------------------------------------------------------------------ reading models


def test_read_bpmn_and_pnml(real_logs, tmp_path):
    m = read_model(real_logs / "receipt.bpmn")
    assert m.kind == "bpmn" and m.elements > 0 and len(m.activities) == 27
    r = read_model(real_logs / "roadtraffic.pnml")
    assert r.kind == "pnml" and "Create Fine" in r.activities
    (tmp_path / "tiny.pnml").write_text(PNML)
    assert read_model(tmp_path / "tiny.pnml").activities == ["Antrag", "Bescheid", "Pruefung"]
    assert read_model(_write(tmp_path, "s.bpmn", SEQUENCE)).to_dict()["elements"] == 5


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE d [<!ENTITY x "boom">]>\n',
    '<!-- exported -->\n<!DOCTYPE definitions SYSTEM "http://example.org/evil.dtd">\n',
    '<!ENTITY x SYSTEM "file:///etc/passwd">\n',
])
def test_declarations_refused(tmp_path, prolog):
    p = _write(tmp_path, "evil.bpmn", bpmn("<bpmn:task id='a' name='&x;'/>", prolog))
    with pytest.raises(ModelError) as err:
        read_model(p)
    assert err.value.code == ErrorCode.MODEL and err.value.file == str(p)


def test_inclusive_gateway_named(tmp_path):
    with pytest.raises(ModelError) as err:
        read_model(_write(tmp_path, "or.bpmn", INCLUSIVE))
    assert err.value.code == ErrorCode.MODEL
    assert "inclusiveGateway" in err.value.message and "'or1'" in err.value.message


@pytest.mark.parametrize("text", ["Vorgang;Aktivität\n1;A\n", "<html><body/></html>",
                                  "<bpmn:definitions"])
def test_not_a_model(tmp_path, text):
    with pytest.raises(ModelError) as err:
        read_model(_write(tmp_path, "x.bpmn", text))
    assert err.value.code == ErrorCode.MODEL


def test_missing_and_oversized(tmp_path, monkeypatch):
    from ist_analyse.analysis import conformance as C

    with pytest.raises(ModelError) as err:
        read_model(tmp_path / "none.bpmn")
    assert err.value.code == ErrorCode.FILE_NOT_FOUND
    monkeypatch.setattr(C, "MAX_MODEL_BYTES", 100)
    with pytest.raises(ModelError, match="limit"):
        read_model(_write(tmp_path, "s.bpmn", SEQUENCE))


MODELS = Path(__file__).resolve().parents[1] / "data" / "models"


@pytest.mark.parametrize(("name", "twin", "ignored"), [
    ("signavio_annotated.bpmn", "camunda_modeler.bpmn",
     {"association": 3, "dataInputAssociation": 2, "dataObjectReference": 1,
      "dataOutputAssociation": 1, "dataStoreReference": 1, "group": 1, "lane": 2,
      "messageFlow": 2, "participant": 1, "textAnnotation": 3}),
    ("camunda8_annotated.bpmn", "camunda_modeler.bpmn",
     {"association": 1, "dataObjectReference": 1, "dataOutputAssociation": 1, "group": 1,
      "lane": 2, "messageFlow": 2, "participant": 1, "textAnnotation": 1}),
    ("bpmnio_annotated.bpmn", "signavio.bpmn",
     {"association": 1, "dataInputAssociation": 1, "dataObjectReference": 1,
      "dataOutputAssociation": 1, "dataStoreReference": 1, "group": 1, "textAnnotation": 1}),
])
def test_annotations_groups_data_lanes_pools_are_ignored_with_a_note(name, twin, ignored):
    """Exports full of what is not control flow give the net of their plain twin (the same
    process without them, read by pm4py itself): the same fitness on every trace."""
    model = read_model(MODELS / name)
    assert model.ignored == ignored
    pm = pm4py()
    net, im, fm = pm.convert_to_petri_net(pm.read_bpmn(str(MODELS / twin)))
    assert model.activities == sorted({t.label for t in net.transitions if t.label})
    acts = model.activities
    rows = []
    for i, trace in enumerate([acts, acts[:2], acts[::-1], [acts[0], acts[2], acts[1]]]):
        rows += [(f"c{i}", a, f"2025-03-03 0{j + 1}:00") for j, a in enumerate(trace)]
    log = make_log(rows)
    res = check_conformance(log, model, method="alignments")
    expected = pm.fitness_alignments(completed(log), net, im, fm)["log_fitness"]
    assert res.log_fitness == pytest.approx(expected, abs=1e-12)
    note = next(n for n in res.notes if n.code == NoteCode.MODEL_ELEMENTS_IGNORED)
    assert note.values == {"counts": ignored}
    assert res.to_dict()["model"]["ignored"] == ignored


@pytest.mark.parametrize(("body", "element", "line"), [
    # a sequence flow to an element that is not a flow node (a data object, or nothing)
    ('<bpmn:startEvent id="s"/>\n<bpmn:task id="a" name="A"/>\n'
     '<bpmn:dataObjectReference id="d"/>\n' + flow("f1", "s", "a") + "\n"
     + flow("f2", "a", "d"), "'f2'", 7),
    # a task without id (pm4py would drop it silently)
    ('<bpmn:startEvent id="s"/>\n<bpmn:task name="Antrag"/>', "'Antrag'", 4),
])
def test_unconvertible_elements_named_with_id_and_line(tmp_path, body, element, line):
    with pytest.raises(ModelError) as err:
        read_model(_write(tmp_path, "m.bpmn", bpmn("\n" + body)))
    assert err.value.code == ErrorCode.MODEL and err.value.row == line
    assert element in err.value.message


def test_two_pools_with_a_process_each_are_refused(tmp_path):
    text = SEQUENCE.replace("</bpmn:definitions>", '\n<bpmn:process id="p2">'
                            '<bpmn:task id="x" name="X"/></bpmn:process></bpmn:definitions>')
    with pytest.raises(ModelError) as err:
        read_model(_write(tmp_path, "two.bpmn", text))
    assert err.value.code == ErrorCode.MODEL and err.value.row == 3
    assert "'p2'" in err.value.message


# ------------------------------------------------------------------ fitness equals pm4py


def test_token_replay_equals_pm4py_receipt(receipt):
    log, model = receipt
    pm = pm4py()
    mine = check_conformance(log, model, method="token-replay", time_budget=0)
    theirs = pm.fitness_token_based_replay(completed(log), model.net, model.initial_marking,
                                           model.final_marking)
    assert mine.log_fitness == theirs["log_fitness"]
    assert mine.fitting_share == pytest.approx(theirs["percentage_of_fitting_traces"] / 100)
    assert mine.precision == pm.precision_token_based_replay(
        completed(log), model.net, model.initial_marking, model.final_marking)
    assert mine.variants_total == 116 and mine.cases == 1434


@pytest.mark.parametrize("method", ["token-replay", "alignments"])
def test_equals_pm4py_roadtraffic(roadtraffic, method):
    log, model = roadtraffic
    pm = pm4py()
    mine = check_conformance(log, model, method=method)
    args = (completed(log), model.net, model.initial_marking, model.final_marking)
    theirs = (pm.fitness_token_based_replay(*args) if method == "token-replay"
              else pm.fitness_alignments(*args))
    assert mine.log_fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert mine.fitting_share == pytest.approx(theirs["percentage_of_fitting_traces"] / 100)
    assert mine.average_trace_fitness == pytest.approx(theirs["average_trace_fitness"])
    assert mine.variants_aligned == mine.variants_total and mine.cases_aligned_share == 1.0


def test_alignments_equal_pm4py_on_frequent_receipt_variants(receipt):
    """The receipt cases of its 15 most frequent variants (pm4py on the full log: > 90 s)."""
    log, model = receipt
    traces = log.groupby(L.CASE_ID, sort=False)[L.ACTIVITY].agg(lambda a: "|".join(a))
    top = traces.value_counts().index[:15]
    sub = log[log[L.CASE_ID].isin(traces[traces.isin(top)].index)].reset_index(drop=True)
    mine = check_conformance(sub, model, method="alignments", precision=False)
    theirs = pm4py().fitness_alignments(completed(sub), model.net, model.initial_marking,
                                        model.final_marking)
    assert mine.variants_total == 15
    assert mine.log_fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert mine.average_trace_fitness == pytest.approx(theirs["average_trace_fitness"])
    assert mine.fitting_share == pytest.approx(theirs["percentage_of_fitting_traces"] / 100)


@pytest.mark.slow
def test_alignments_equal_pm4py_full_receipt(receipt):
    """The whole receipt log (pm4py: 65-100 s; us: a few seconds)."""
    log, model = receipt
    mine = check_conformance(log, model, method="alignments", precision=False)
    theirs = pm4py().fitness_alignments(completed(log), model.net, model.initial_marking,
                                        model.final_marking)
    assert mine.log_fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert mine.average_trace_fitness == pytest.approx(theirs["average_trace_fitness"])
    assert mine.variants_aligned == 116


# ------------------------------------------------------------------ deviations


@pytest.mark.parametrize("kind", ["bpmn", "pnml"])
def test_tiny_log_exact_deviations(tmp_path, kind):
    path = _write(tmp_path, f"m.{kind}", SEQUENCE if kind == "bpmn" else PNML)
    res = check_conformance(tiny_log(), path, method="alignments", k_min=1)
    assert res.cases == 9 and res.variants_total == 3 and res.variants_aligned == 3
    assert res.fitting_share == pytest.approx(4 / 9)
    table = {d.activity: d for d in res.deviations}
    assert set(table) == {"Pruefung", "Nachforderung"}
    skip, extra = table["Pruefung"], table["Nachforderung"]
    assert (skip.skipped_cases, skip.skipped_moves, skip.extra_cases) == (3, 3, 0)
    assert (extra.extra_cases, extra.extra_moves, extra.skipped_cases) == (2, 2, 0)
    assert skip.text == "Pruefung: skipped in 3 cases"
    assert extra.text == "Nachforderung: done without the model allowing it in 2 cases"
    assert sorted(skip.skipped_examples) == ["skip0", "skip1", "skip2"]
    assert sorted(extra.extra_examples) == ["extra0", "extra1"]
    variants = res.deviating_variants
    assert [(v.activities, v.cases) for v in variants] == [
        (["Antrag", "Bescheid"], 3), (["Antrag", "Pruefung", "Nachforderung", "Bescheid"], 2)]
    assert variants[0].skipped == ["Pruefung"] and variants[1].extra == ["Nachforderung"]
    doc = res.to_dict()
    assert doc["deviations"][0]["activity"] == "Pruefung" and doc["model"]["kind"] == kind


def test_small_counts_suppressed_and_variants_pooled(tmp_path):
    res = check_conformance(tiny_log(), _write(tmp_path, "m.pnml", PNML), method="alignments",
                            k_min=3)
    table = {d.activity: d for d in res.deviations}
    assert table["Pruefung"].skipped_cases == 3 and not table["Pruefung"].suppressed
    nf = table["Nachforderung"]
    assert nf.suppressed and nf.extra_cases is None and nf.extra_examples == []
    assert "fewer than 3" in nf.text
    pooled = res.deviating_variants[-1]
    assert pooled.pooled and pooled.cases == 2 and pooled.examples == []


def test_lifecycle_rows_dropped(tmp_path):
    log = tiny_log()
    log[L.LIFECYCLE] = None
    log[L.LIFECYCLE] = log[L.LIFECYCLE].astype("string")
    log.loc[0, L.LIFECYCLE] = "start"
    res = check_conformance(log, _write(tmp_path, "m.pnml", PNML), k_min=1)
    assert res.events == len(log) - 1
    assert any("lifecycle" in n for n in res.notes)


def test_time_budget_zero_is_honest(roadtraffic):
    log, model = roadtraffic
    t0 = time.monotonic()
    res = check_conformance(log, model, method="alignments", time_budget=0)
    assert time.monotonic() - t0 < 30
    assert res.variants_aligned < res.variants_total
    assert res.log_fitness is None and res.cases_aligned_share == 0
    assert any(f"0 of {res.variants_total} variants" in n for n in res.notes)
    tbr = check_conformance(log, model, method="token-replay", time_budget=0)
    assert tbr.log_fitness is not None and tbr.deviations == []


def test_bad_options(tmp_path):
    path = _write(tmp_path, "m.pnml", PNML)
    with pytest.raises(ConfigError):
        check_conformance(tiny_log(), path, method="heuristic")
    with pytest.raises(ConfigError):
        check_conformance(tiny_log(), path, time_budget=-1)


# ------------------------------------------------------------------ alignment engine, workers


def _variants(log):
    """(trace, case ids) per variant, most frequent first, as check_conformance orders them."""
    traces = completed(log).groupby("case:concept:name", sort=False)["concept:name"].agg(tuple)
    cases: dict[tuple, list[str]] = {}
    for case, trace in traces.items():
        cases.setdefault(trace, []).append(str(case))
    return sorted(cases.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def test_graph_aligner_costs_equal_pm4py_per_variant(roadtraffic):
    """Every variant: the same optimal cost, fitness and best worst cost as pm4py's A*."""
    log, model = roadtraffic
    ordered = _variants(log)
    ours = C._align_variants(ordered, model, None, workers=1)
    graph = model._cache[("aligner", "auto")].graph
    assert graph is not None and graph.model_cost == model._cache[("aligner", "auto")].bwc
    theirs = C._align_variants(ordered, model, None, workers=1, engine="pm4py")
    assert model._cache[("aligner", "pm4py")].graph is None
    assert len(ours) == len(theirs) == len(ordered)
    for (t1, _, a), (t2, _, b) in zip(ours, theirs, strict=True):
        assert t1 == t2
        assert (a["cost"], a["bwc"], a["fitness"]) == (b["cost"], b["bwc"], b["fitness"])
        # the alignment is a valid one of that cost: it replays the trace
        assert [lg for lg, _m in a["alignment"] if lg != ">>"] == list(t1)
        moves = sum(1 for lg, m in a["alignment"] if (lg == ">>") != (m == ">>") and m)
        taus = sum(1 for lg, m in a["alignment"] if lg == ">>" and m is None)
        assert moves * 10000 + taus == a["cost"]


def test_receipt_model_bwc_and_soundness(receipt):
    _log, model = receipt
    aligner = C._aligner(model, "auto")
    assert aligner.graph is not None and aligner.graph.model_cost == aligner.bwc == 10002
    assert C._aligner(model, "auto") is aligner  # built once per model


def _doc(res):
    doc = res.to_dict()
    doc.pop("seconds")
    return doc


def test_parallel_equals_sequential(roadtraffic):
    """Two workers give exactly the document one process gives (the seconds aside)."""
    log, model = roadtraffic
    one, two = (_doc(check_conformance(log, model, method="alignments", workers=w, k_min=1))
                for w in (1, 2))
    assert one == two and one["variants_aligned"] == one["variants_total"]


@pytest.mark.slow
def test_parallel_equals_sequential_receipt(receipt):
    """The same on the receipt log, 116 variants in 15 chunks (about 10 s)."""
    log, model = receipt
    one, two = (_doc(check_conformance(log, model, method="alignments", precision=False,
                                       workers=w, k_min=1)) for w in (1, 2))
    assert one == two and one["variants_aligned"] == 116


def test_workers_print_nothing_on_stdout(tmp_path, capfd):
    """``--json`` needs a clean stdout: no banner, no tqdm bar, no rich bar from workers."""
    path = _write(tmp_path, "m.pnml", PNML)
    res = check_conformance(tiny_log(), path, method="alignments", k_min=1, workers=2,
                            progress=True)
    assert res.variants_aligned == 3 and res.fitting_share == pytest.approx(4 / 9)
    assert capfd.readouterr().out == ""


def test_time_budget_honest_with_workers(receipt):
    """The workers stop at the deadline; what is reported aligned was aligned, in order."""
    log, model = receipt
    ordered = _variants(log)
    # pm4py's A* (0.1-8 s per variant here), not the reachability graph, which aligns all 116
    # variants within the budget on a fast machine and would leave nothing to cut off
    C._aligner(model, "pm4py")
    t0 = time.monotonic()
    done = C._align_variants(ordered, model, 1.0, workers=2, engine="pm4py")
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0 + 5  # pool start-up and shut-down on a busy shared machine
    assert len(done) < len(ordered)
    positions = [ordered.index((t, c)) for t, c, _ in done]
    assert positions == sorted(positions)  # most frequent first, no duplicates
    assert all(r["alignment"] and "cost" in r for _, _, r in done)
    res = check_conformance(log, model, method="alignments", precision=False, time_budget=0.3,
                            workers=2)
    assert res.variants_aligned < res.variants_total == 116
    aligned_cases = round(res.cases_aligned_share * res.cases)
    assert any(f"{res.variants_aligned} of 116 variants" in n and f"{aligned_cases} of" in n
               for n in res.notes)


def test_bad_workers(tmp_path):
    with pytest.raises(ConfigError):
        check_conformance(tiny_log(), _write(tmp_path, "m.pnml", PNML), workers=0)


def test_pm4py_fallback_in_workers_equals_sequential(roadtraffic):
    """A net without a usable reachability graph is pickled to the workers and aligned there
    with pm4py's A*: the same figures as in one process."""
    log, model = roadtraffic
    ordered = _variants(log)
    one = C._align_variants(ordered, model, None, workers=1, engine="pm4py")
    two = C._align_variants(ordered, model, None, workers=2, engine="pm4py")
    assert [(t, r["cost"], r["fitness"]) for t, _, r in one] == [
        (t, r["cost"], r["fitness"]) for t, _, r in two]


def test_auto_workers_hand_over_to_a_pool(roadtraffic, monkeypatch):
    """``workers=None``: this process first, then a pool for the rest; the same result."""
    log, model = roadtraffic
    one = _doc(check_conformance(log, model, method="alignments", workers=1, k_min=1))
    monkeypatch.setattr(C, "PARALLEL_AFTER_S", 0.0)
    monkeypatch.setattr(C, "_workers", lambda requested: 2)
    assert _doc(check_conformance(log, model, method="alignments", k_min=1)) == one
