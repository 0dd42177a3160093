"""``compare`` end to end: known effects found, the censoring trap avoided, errors, the JSON."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
from scipy import stats

from ist_analyse.comparison import compare, plan_change, render_comparison, render_plan
from ist_analyse.errors import ConfigError

from .conftest import END, make_log, stationary_log


def test_checklist_effect_found_with_truth_inside_the_ci(checklist_sim):
    path, truth = checklist_sim
    began = time.perf_counter()
    r = compare(path, change="2024-07-01", end_activities=[END])
    assert time.perf_counter() - began < 5
    d = r.kpi("case_duration")
    true = truth["headline_effects"]["e2e_median_days"]
    assert d.verdict == "faster" and d.significant
    assert d.ci_low <= true["difference"] <= d.ci_high
    assert d.before == pytest.approx(true["before"], rel=0.05)
    rw = r.kpi("rework_rate")
    assert rw.verdict == "lower"
    assert rw.difference < 0 and truth["headline_effects"]["rework_share"]["difference"] < 0
    lead = r.kpi("wait:Termin vergeben->Vorsprache/Check-in")  # appointment lead time
    assert lead.verdict == "faster"


def test_censoring_trap_naive_flags_ours_does_not():
    # the same durations all year; a change date 3 months before the export leaves most
    # after cases open. Naively, the closed after cases are the quick ones.
    log = stationary_log()
    r = compare(log, change="2024-10-01", end_activities=[END], checks=False)
    starts = log.groupby("case_id")["timestamp"].min()
    ends = log[log["activity"] == END].set_index("case_id")["timestamp"]
    dur = ((ends - starts.loc[ends.index]).dt.total_seconds() / 86400)
    after = starts.loc[ends.index] >= "2024-09-30 22:00+00:00"
    naive = stats.mannwhitneyu(dur[~after], dur[after])
    assert dur[after].median() < 0.7 * dur[~after].median()
    assert naive.pvalue < 0.001  # the naive comparison "finds" a faster process
    d = r.kpi("case_duration")
    assert d.p_value is None or d.p_value > 0.05
    assert d.verdict in ("no_change", "not_enough_data")
    assert any("still open" in w for w in r.checks["warnings"])


@pytest.mark.slow
def test_null_scenario_not_flagged(tmp_path):
    from ist_analyse.simulate import simulate

    res = simulate("stationary", "2024-01-01", 12, change="2024-07-01", seed=1, scale=0.1,
                   progress=False)
    r = compare(res.log, change="2024-07-01", end_activities=[END], checks=False)
    assert not r.kpi("case_duration").significant
    assert not r.kpi("rework_rate").significant


def test_json_document_contract(checklist_sim, tmp_path):
    path, _ = checklist_sim
    out = tmp_path / "diff.svg"
    r = compare(path, change="2024-07-01", washout=14, end_activities=[END], segmented=True,
                map_output=out if shutil.which("dot") else None)
    d = json.loads(json.dumps(r.to_dict()))
    assert {"kpis", "periods", "context", "weekly", "survival", "checks", "difference_map",
            "k_min", "alpha", "seconds", "notes", "segmented"} <= set(d)
    keys = {"kpi", "kind", "unit", "before", "after", "difference", "ci_low", "ci_high",
            "p_value", "p_adjusted", "significant", "n_before", "n_after", "verdict", "text",
            "suppressed"}
    for k in d["kpis"]:
        assert keys <= set(k)
        assert k["kind"] in ("duration", "wait", "processing", "proportion", "deadline",
                             "rate")
        assert k["verdict"] in ("faster", "slower", "higher", "lower", "no_change",
                                "not_enough_data", "confounded")
    names = [k["kpi"] for k in d["kpis"]]
    assert names[0] == "case_duration" and "rework_rate" in names
    assert {"arrivals_per_week", "completions_per_week"} <= set(names)
    assert all(n.count("->") == 1 for n in names if n.startswith("wait:"))
    cd = d["kpis"][0]
    assert {"rmst_before", "rmst_after", "rmst_difference", "rmst_ci_low", "rmst_ci_high",
            "horizon_days"} <= set(cd)
    p = d["periods"]
    assert p["mode"] == "change" and p["change_date"] == "2024-07-01"
    assert p["washout_days"] == 14 and p["after"]["start"] == "2024-07-15"
    assert {"label", "start", "end", "cases", "open_cases", "open_share"} <= set(p["before"])
    assert {"case_mix", "arrivals", "stratified"} <= set(d["context"])
    assert {"attribute", "rows", "p_value", "shifted"} <= set(d["context"]["case_mix"])
    periods = {w["period"] for w in d["weekly"]}
    assert periods == {"before", "washout", "after"}
    assert {"week", "arrivals", "completions", "wip", "median_duration_days"} <= set(
        d["weekly"][0])
    assert 0 < len(d["survival"]["before"]) <= 200
    assert {"placebo", "shifted", "open_share", "warnings"} <= set(d["checks"])
    assert [s["shift_weeks"] for s in d["checks"]["shifted"]] == [-4, 4]
    e = d["difference_map"]["edges"][0]
    assert {"from", "to", "status", "before_median", "after_median", "p_adjusted",
            "before_cases", "after_cases"} <= set(e)
    assert {x["status"] for x in d["difference_map"]["edges"]} <= {
        "faster", "slower", "new", "gone", "unchanged", "insufficient", "confounded"}
    if shutil.which("dot"):
        assert d["difference_map"]["file"] == str(out)
        assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    render_comparison(r)


def test_two_logs_mode():
    log = stationary_log(n=300, seed=4)
    other = stationary_log(n=300, seed=5, median_days=30)
    r = compare(log, other, end_activities=[END], n_boot=199)
    assert r.periods["mode"] == "two_logs"
    assert r.kpi("case_duration").verdict == "faster"


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({}, "exactly one"),
    ({"change": "2024-07-01", "by": "kanal"}, "exactly one"),
    ({"change": "2030-01-01"}, "not inside the log"),
    ({"change": "31.02.2024"}, "not a date"),
    ({"change": "2024-12-01", "washout": 60}, "no case started after"),
    ({"by": "nope"}, "no case attribute"),
    ({"by": "kanal"}, "3 values"),
    ({"by": "kanal=Fax"}, "no case has"),
    ({"change": "2024-07-01", "alpha": 2}, "alpha"),
])
def test_errors(kwargs, fragment):
    log = stationary_log(n=60)
    values = np.array(["online", "Termin", "ohne Termin"])
    log["case_kanal"] = values[log["case_id"].str[1:].astype(int) % 3]
    log["case_kanal"] = log["case_kanal"].astype("string")
    with pytest.raises(ConfigError, match=fragment):
        compare(log, end_activities=[END], **kwargs)


def test_without_end_activities_a_heuristic_closes_cases_and_warns():
    from ist_analyse.notes import NoteCode

    r = compare(stationary_log(n=200), change="2024-07-01", checks=False, n_boot=199)
    assert "no end activities" in r.checks["warnings"][0]
    assert r.checks["warnings"][0].code is NoteCode.CLOSED_BY_IDLE_TIME  # German in a report


def test_plan_gives_weeks_and_minimum_detectable_effect():
    plan = plan_change(stationary_log(n=400), end_activities=[END], n_sim=30)
    assert plan.weeks_needed is not None and plan.weeks_needed <= 52
    assert [m["weeks"] for m in plan.mde] == [12, 26, 52]
    effects = [m["effect"] for m in plan.mde if m["effect"] is not None]
    assert effects == sorted(effects, reverse=True)  # more weeks, smaller effects
    json.dumps(plan.to_dict())
    render_plan(plan)
    with pytest.raises(ConfigError):
        plan_change(stationary_log(n=50), end_activities=[END], effect=1.5)


def test_make_log_is_canonical():
    from ist_analyse.log import validate_log

    validate_log(make_log([("a", "x", "2024-01-01 10:00")]))


def test_bpic2013_incidents_compare_cleanly(real_logs):
    """A real log whose before period holds a handful of cases in 55 weeks: the weekly rate's
    regression must not leak statsmodels' RuntimeWarning onto stderr, and every figure is a
    number or None (no NaN)."""
    import math
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = compare(real_logs / "07_bpic2013_incidents.xes.gz", change="2011-04-27",
                      progress=False)
    doc = res.to_dict()
    assert doc["periods"]["before"]["start"] == "2010-03-31"
    for k in doc["kpis"]:
        for key in ("ci_low", "ci_high", "p_value"):
            assert k[key] is None or math.isfinite(k[key]), (k["kpi"], key)
