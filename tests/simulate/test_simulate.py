"""The simulator keeps its promises (issue #4, item 8): rework and no-show shares, the BA
fiction at day 14, office hours and holidays, queues that grow when staff shrink, a ground
truth that agrees with the log, and the same log for the same seed."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ist_analyse import log as L
from ist_analyse.errors import ConfigError, ErrorCode, OutputError
from ist_analyse.simulate import SCENARIOS, Scenario, simulate
from ist_analyse.simulate import model as M
from ist_analyse.simulate.calendar import OfficeCalendar

TZ = "Europe/Berlin"


def local(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert(TZ)


# ---- reproducibility ---------------------------------------------------------------------------

def test_same_seed_gives_the_same_log_and_truth():
    a = simulate("checklist", "2024-03-01", 3, seed=42, scale=0.05, progress=False)
    b = simulate("checklist", "2024-03-01", 3, seed=42, scale=0.05, progress=False)
    pd.testing.assert_frame_equal(a.log, b.log)
    pd.testing.assert_frame_equal(a.full_log, b.full_log)
    a.truth["run"].pop("seconds")
    b.truth["run"].pop("seconds")
    assert json.dumps(a.truth, default=str) == json.dumps(b.truth, default=str)
    c = simulate("checklist", "2024-03-01", 3, seed=43, scale=0.05, progress=False)
    assert not a.log[[L.CASE_ID, L.ACTIVITY, L.TIMESTAMP]].equals(
        c.log[[L.CASE_ID, L.ACTIVITY, L.TIMESTAMP]])


@pytest.mark.parametrize("other", ["front_office", "more_staff"])
def test_scenarios_share_everything_before_the_change(other):
    """Common random numbers: with one seed, two scenarios differ only from the change on."""
    a = simulate("baseline", "2024-01-01", 4, seed=5, scale=0.05, progress=False)
    b = simulate(other, "2024-01-01", 4, seed=5, scale=0.05, progress=False)
    change = pd.Timestamp(a.truth["run"]["change_date"], tz=TZ)
    cols = [L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.RESOURCE]
    before_a = a.full_log.loc[a.full_log[L.TIMESTAMP] < change, cols].reset_index(drop=True)
    before_b = b.full_log.loc[b.full_log[L.TIMESTAMP] < change, cols].reset_index(drop=True)
    assert len(before_a) > 100
    pd.testing.assert_frame_equal(before_a, before_b)


# ---- the canonical log ---------------------------------------------------------------------------

def test_log_is_canonical_with_case_attributes(baseline_small):
    log = baseline_small.log
    L.validate_log(log)
    assert list(log.columns[:5]) == [L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.RESOURCE, L.ROLE]
    for col in ("case_verfahren", "case_kanal", "case_regionalgruppe", "case_altersgruppe",
                "case_aufenthaltszweck", "case_titel_gueltig_bis"):
        assert col in log.columns
        assert log.groupby(L.CASE_ID)[col].nunique(dropna=True).max() <= 1, col
    assert set(log[L.ACTIVITY]) <= set(M.ACTIVITIES)
    assert set(log["case_verfahren"]) == {"AE-Verlängerung", "AE-Ersterteilung", "NE",
                                          "Blaue Karte EU", "§81a"}
    assert set(log["case_kanal"]) == {"ohne Termin", "Termin", "online"}
    assert str(log[L.TIMESTAMP].dtype) == L.TIMESTAMP_DTYPE


def test_export_cuts_at_the_export_date_and_leaves_cases_open(baseline_small):
    res = baseline_small
    export = pd.Timestamp(res.truth["run"]["export_date"], tz=TZ)
    start = pd.Timestamp(res.truth["run"]["start"], tz=TZ)
    assert res.log[L.TIMESTAMP].max() < export
    first = res.log.groupby(L.CASE_ID)[L.TIMESTAMP].min()
    assert first.min() >= start
    closed = set(res.log.loc[res.log[L.ACTIVITY] == M.ABGESCHLOSSEN, L.CASE_ID])
    open_cases = set(res.log[L.CASE_ID]) - closed
    assert len(open_cases) == res.truth["export"]["open_cases"] > 50
    # ... but their future was simulated: every exported case closes in the full log
    full_closed = set(res.full_log.loc[res.full_log[L.ACTIVITY] == M.ABGESCHLOSSEN,
                                       L.CASE_ID])
    assert full_closed == set(res.log[L.CASE_ID])
    assert res.truth["run"]["open_cases_never_closed"] == 0


# ---- behaviour ---------------------------------------------------------------------------------

def test_staff_work_only_in_office_hours_and_never_on_holidays(baseline_small):
    res = baseline_small
    ev = res.full_log
    staff = ev[ev[L.RESOURCE].str.match(r"^(SB|SP|TL)\d", na=False)]
    t = local(staff[L.TIMESTAMP])
    minutes = t.dt.hour * 60 + t.dt.minute
    dow = t.dt.day_of_week
    closing = dow.map({0: 960, 1: 960, 2: 960, 3: 960, 4: 810, 5: -1, 6: -1})
    assert ((minutes >= 450) & (minutes <= closing)).all()
    cal = OfficeCalendar(dt.date(2023, 1, 1), 1200)
    days = pd.Series(t.dt.date.unique())
    shut = [d for d in days if not cal.is_open((d - cal.origin).days)]
    assert shut == []
    # the customers' visits happen in public hours (Wednesday is closed to the public)
    checkin = local(ev.loc[ev[L.ACTIVITY] == M.CHECK_IN, L.TIMESTAMP])
    assert (checkin.dt.day_of_week != 2).all()
    assert (checkin.dt.hour >= 8).all()


def test_ba_consent_is_deemed_granted_exactly_14_days_after_the_request(baseline_small):
    ev = baseline_small.full_log
    asked = ev[ev[L.ACTIVITY] == M.BA_ANGEFRAGT].groupby(L.CASE_ID)[L.TIMESTAMP].first()
    ba_acts = [M.BA_ERTEILT, M.BA_FINGIERT, M.BA_VERSAGT]
    answer = ev[ev[L.ACTIVITY].isin(ba_acts)].groupby(L.CASE_ID).first()
    proc = ev.groupby(L.CASE_ID)["case_verfahren"].first()
    both = answer.join(asked.rename("asked"), how="inner")
    assert len(both) == len(asked) > 30
    days = (local(both[L.TIMESTAMP]).dt.date - local(both["asked"]).dt.date).map(
        lambda d: d.days)
    deemed = both[L.ACTIVITY] == M.BA_FINGIERT
    limit = np.where(proc.reindex(both.index) == "§81a", 7, 14)
    assert deemed.sum() > 0
    # the fiction is booked (date only) on the 14th (7th) calendar day after the request
    assert (days[deemed] == limit[deemed.to_numpy()]).all()
    # real answers come before the period ends (exact time, 24 h per day)
    exact = (both[L.TIMESTAMP] - both["asked"]).dt.total_seconds() / 86400
    assert (exact[~deemed] < limit[(~deemed).to_numpy()]).all()
    # share of requests ending in the fiction: 10 % by design
    assert 0.03 < deemed.mean() < 0.2


def test_rework_and_no_show_shares_match_the_parameters(baseline_small, checklist_small):
    k = baseline_small.truth["kpis"]
    for cohort in ("before", "after"):
        # first submissions incomplete: 40 % (domain.md §9)
        assert k[cohort]["rework_share"] == pytest.approx(0.40, abs=0.06)
        assert k[cohort]["no_show_share"] == pytest.approx(0.08, abs=0.035)
    ck = checklist_small.truth["kpis"]
    assert ck["before"]["rework_share"] == pytest.approx(0.40, abs=0.06)
    assert ck["after"]["rework_share"] == pytest.approx(0.25, abs=0.06)
    # the truth is the log: recount from the complete records
    ev = baseline_small.full_log
    first = ev.groupby(L.CASE_ID)[L.TIMESTAMP].min()
    change = pd.Timestamp(baseline_small.truth["run"]["change_date"], tz=TZ)
    before = set(first.index[first < change])
    requested = set(ev.loc[ev[L.ACTIVITY] == M.NACHGEFORDERT, L.CASE_ID])
    assert k["before"]["rework_share"] == pytest.approx(len(requested & before) / len(before),
                                                        abs=1e-4)


def _decision_days(res) -> float:
    return res.truth["transitions"]["Antrag bis Entscheidung"]["before"]["median_days"]


def test_queues_grow_when_staff_shrink_and_arrivals_rise():
    base = SCENARIOS["stationary"]
    fewer = Scenario("fewer", "weniger Personal", "", "null", "",
                     before={**base.before, "sb_share": 0.22})
    common = {"start": "2024-01-01", "months": 9, "seed": 8, "scale": 0.1,
              "progress": False, "with_case_truth": False}
    normal = simulate(base, **common)
    short = simulate(fewer, **common)
    assert _decision_days(short) > 1.3 * _decision_days(normal)
    assert (short.truth["staff"]["Sachbearbeitung"]["mean_wait_hours"]
            > normal.truth["staff"]["Sachbearbeitung"]["mean_wait_hours"])
    # more arrivals (surge: +30 % from the change date) with the same staff; the same seed
    # gives the stationary office's arrivals plus the extra ones
    surge = simulate("surge", **common)
    after = surge.truth["transitions"]["Antrag bis Entscheidung"]["after"]["median_days"]
    same = normal.truth["transitions"]["Antrag bis Entscheidung"]["after"]["median_days"]
    assert after > 1.12 * same
    assert (surge.truth["kpis"]["after"]["e2e_median_days"]
            > 1.1 * normal.truth["kpis"]["after"]["e2e_median_days"])


def test_designed_effects_show_up(checklist_small):
    eff = checklist_small.truth["effects"]
    assert eff["rework_share"]["after"] < eff["rework_share"]["before"] - 0.08
    assert eff["enquiries_per_case"]["ratio"] < 0.6
    assert eff["decision_median_days"]["ratio"] < 0.95
    res = simulate("online_booking", "2024-01-01", 12, seed=11, scale=0.1, progress=False,
                   with_case_truth=False)
    assert res.truth["effects"]["onsite_wait_median_min"]["ratio"] < 0.9
    walk_ins = res.cases[res.cases["new_process"]]["case_kanal"]
    assert (walk_ins != "ohne Termin").all()
    assert res.truth["effects"]["no_show_share"]["after"] > 0.08


def test_one_transition_scenario_changes_its_target_only():
    res = simulate("security_faster", "2024-01-01", 12, seed=4, scale=0.15, progress=False,
                   with_case_truth=False)
    target = res.truth["target_transitions"][0]
    assert target["transition"] == "Sicherheitsabfrage gestellt -> Sicherheitsabfrage Ergebnis"
    ratio = target["eventually_follows"]["median_ratio"]
    assert 0.55 < ratio < 0.9  # by case cohort: some "before" cases ask after the change
    by_time = target["eventually_follows"]["by_start_of_wait"]["median_ratio"]
    assert 0.6 < by_time < 0.8  # designed: 0.7
    production = res.truth["transitions"]["eAT-Produktion"]["median_ratio"]
    assert 0.9 < production < 1.1


# ---- ground truth --------------------------------------------------------------------------------

def test_truth_agrees_with_the_log(baseline_small):
    res = baseline_small
    truth, log = res.truth, res.log
    exp = truth["export"]
    assert exp["cases"] == log[L.CASE_ID].nunique()
    assert exp["events"] == len(log)
    closed = log[log[L.ACTIVITY] == M.ABGESCHLOSSEN].groupby(L.CASE_ID)[L.TIMESTAMP].first()
    first = log.groupby(L.CASE_ID)[L.TIMESTAMP].min()
    assert exp["closed_cases"] == len(closed)
    change = pd.Timestamp(truth["run"]["change_date"], tz=TZ)
    e2e = (closed - first.reindex(closed.index)).dt.total_seconds() / 86400
    for cohort, mask in (("before", first.reindex(closed.index) < change),
                         ("after", first.reindex(closed.index) >= change)):
        assert exp["completed_only_e2e_median_days"][cohort] == pytest.approx(
            e2e[mask].median(), abs=1e-3)
    # per-case truth: start and end of closed cases are the log's
    cases = pd.DataFrame(truth["cases"]).set_index("case_id")
    ends = pd.to_datetime(cases["end"]).dt.tz_convert("UTC")
    assert (ends.reindex(closed.index) == closed.dt.tz_convert("UTC")).all()
    assert set(cases.index) == set(log[L.CASE_ID])
    assert cases["open_at_export"].sum() == exp["open_cases"]
    # true KPIs count open cases too: their cohort median is longer than completed-only
    k = truth["kpis"]["after"]
    assert k["cases"] == int((first >= change).sum())
    assert k["e2e_median_days"] > exp["completed_only_e2e_median_days"]["after"]


def test_truth_lists_parameters_and_changes(checklist_small):
    truth = checklist_small.truth
    changed = truth["parameters"]["changed_at_change_date"]
    assert changed["p_incomplete"] == {"before": 0.4, "after": 0.25}
    assert truth["scenario"]["kind"] == "effect"
    assert truth["cohorts"]["before"] == ["2024-01-01", "2024-07-01"]
    assert set(truth["deviations"]) >= {"Ablehnung ohne Anhörung",
                                        "NE-Entscheidung ohne Sicherheitsabfrage"}
    assert len(truth["weekly"]["week"]) == len(truth["weekly"]["started"]) >= 52


# ---- options and errors --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_runs(name):
    res = simulate(name, "2024-01-01", 3, seed=1, scale=0.05, progress=False,
                   with_case_truth=False)
    assert res.truth["scenario"]["name"] == name
    assert res.truth["run"]["open_cases_never_closed"] == 0
    assert len(res.log) > 100


def test_censored_scenario_puts_the_change_8_weeks_before_export():
    res = simulate("censored", "2024-01-01", 6, seed=1, scale=0.05, progress=False,
                   with_case_truth=False)
    assert res.truth["run"]["change_date"] == "2024-05-06"  # 01.07. minus 8 weeks
    k = res.truth["kpis"]["after"]
    assert k["open_at_export"] / k["cases"] > 0.5


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError) as err:
        simulate("baseline_typo", "2024-01-01", 3, progress=False)
    assert err.value.code == ErrorCode.CONFIG and "baseline" in err.value.hint
    with pytest.raises(ConfigError):
        simulate("baseline", "2024-01-01", 3, change="2025-01-01", progress=False)
    with pytest.raises(ConfigError):
        simulate("baseline", "31.02.2024", 3, progress=False)
    with pytest.raises(ConfigError):
        simulate("baseline", "2024-01-01", 0, progress=False)
    with pytest.raises(OutputError) as err:
        simulate("baseline", "2024-01-01", 3, output=tmp_path / "x.xlsx", progress=False)
    assert err.value.code == ErrorCode.OUTPUT


def test_german_dates_are_accepted():
    res = simulate("stationary", "01.02.2024", 2, change="15.02.2024", seed=1, scale=0.03,
                   progress=False, with_case_truth=False)
    assert res.truth["run"]["start"] == "2024-02-01"
    assert res.truth["run"]["change_date"] == "2024-02-15"
