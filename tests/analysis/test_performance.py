"""bottlenecks(): exact figures on hand-made logs whose answers are known."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from ist_analyse.analysis import bottlenecks
from ist_analyse.analysis import instances as I
from ist_analyse.analysis.instances import activity_instances
from ist_analyse.analysis.performance import transition_stats
from ist_analyse.errors import ConfigError, ErrorCode, InputError
from ist_analyse.notes import NoteCode
from tests.analysis.conftest import make_log
from tests.conftest import SAMPLE_LOGS


def row(table: pd.DataFrame, a: str, b: str) -> dict:
    hit = table[(table["from"] == a) & (table["to"] == b)]
    assert len(hit) == 1, (a, b, table)
    return hit.iloc[0].to_dict()


def test_median_mean_p90_total_share(five_waits):
    res = bottlenecks(five_waits, k_min=5)
    ab = row(res.transitions, "A", "B")
    assert ab["cases"] == 5 and ab["occurrences"] == 5
    assert ab["median_wait_days"] == pytest.approx(3.0)
    assert ab["mean_wait_days"] == pytest.approx(4.0)
    # linear interpolation: sorted 1 2 3 4 10, position 0.9 * 4 = 3.6 -> 4 + 0.6 * 6 = 7.6
    assert ab["p90_wait_days"] == pytest.approx(7.6)
    assert ab["total_wait_days"] == pytest.approx(20.0)
    bc = row(res.transitions, "B", "C")
    assert bc["median_wait_days"] == pytest.approx(1 / 24)
    assert bc["total_wait_days"] == pytest.approx(5 / 24)
    total = 20 + 5 / 24
    assert res.total_wait_days == pytest.approx(total)
    assert ab["share"] == pytest.approx(20 / total)
    assert res.transitions["from"].tolist() == ["A", "B"]  # ranked by total waiting
    assert res.unit == "calendar days"
    assert not res.transitions["suppressed"].any()


def test_json_contract_sorted_by_total(five_waits):
    doc = json.loads(json.dumps(bottlenecks(five_waits).to_dict()))
    trans = doc["transitions"]
    for key in ("from", "to", "cases", "median_wait_days", "p90_wait_days", "total_wait_days",
                "occurrences", "mean_wait_days", "share", "suppressed"):
        assert key in trans[0]
    totals = [t["total_wait_days"] for t in trans]
    assert totals == sorted(totals, reverse=True)
    assert {"activities", "weekly", "workload", "unit", "k_min"} <= set(doc)


def test_cases_are_distinct_occurrences_are_all():
    rows = [("c1", "A", "2025-01-01 08:00"), ("c1", "B", "2025-01-02 08:00"),
            ("c1", "A", "2025-01-03 08:00"), ("c1", "B", "2025-01-05 08:00")]
    rows += [(f"d{i}", "A", "2025-01-01 08:00") for i in range(4)]
    rows += [(f"d{i}", "B", "2025-01-01 20:00") for i in range(4)]
    res = bottlenecks(make_log(rows), k_min=1)
    ab = row(res.transitions, "A", "B")
    assert ab["cases"] == 5 and ab["occurrences"] == 6
    assert ab["total_wait_days"] == pytest.approx(1 + 2 + 4 * 0.5)
    acts = res.activities.set_index("activity")
    assert acts.loc["A", "rework_cases"] == 1
    assert acts.loc["A", "rework_share"] == pytest.approx(1 / 5)
    assert acts.loc["B", "instances"] == 6


def test_start_times_split_queue_and_processing():
    cols = ("start_time",)
    rows = []
    for i in range(5):
        d = f"2025-02-0{i + 3}"
        rows += [(f"c{i}", "Eingang", f"{d} 09:00", f"{d} 08:00"),
                 # waits 2 h for the Prüfung, which then takes 30 min
                 (f"c{i}", "Prüfung", f"{d} 11:30", f"{d} 11:00")]
    rows += [("c0", "Bescheid", "2025-02-03 11:40", "2025-02-03 11:20")]  # overlaps: no wait
    rows += [("c0", "Archiv", "2025-02-03 12:40")]  # no start: completion to completion
    res = bottlenecks(make_log(rows, columns=cols), k_min=1)
    assert res.has_start_times
    ep = row(res.transitions, "Eingang", "Prüfung")
    assert ep["median_wait_days"] == pytest.approx(2 / 24)
    pb = row(res.transitions, "Prüfung", "Bescheid")
    assert pb["median_wait_days"] == 0.0
    ba = row(res.transitions, "Bescheid", "Archiv")
    assert ba["median_wait_days"] == pytest.approx(1 / 24)
    acts = res.activities.set_index("activity")
    assert acts.loc["Prüfung", "median_processing_days"] == pytest.approx(0.5 / 24)
    assert acts.loc["Prüfung", "median_sojourn_days"] == pytest.approx(2.5 / 24)
    assert math.isnan(acts.loc["Archiv", "median_processing_days"])
    assert acts.loc["Eingang", "processing_instances"] == 5


def test_order_within_case_is_by_start_like_pm4py():
    # B starts before A although A completes first: B comes first (start order)
    rows = [("c1", "A", "2025-01-01 10:00", "2025-01-01 09:00"),
            ("c1", "B", "2025-01-01 11:00", "2025-01-01 08:00"),
            ("c1", "C", "2025-01-01 12:00")]
    inst = activity_instances(make_log(rows, columns=("start_time",)))
    assert inst.frame["activity"].cast(str).to_list() == ["B", "A", "C"]
    t = transition_stats(inst).set_index(["from", "to"])
    assert t.loc[("B", "A"), "median_wait_days"] == 0.0  # A started before B ended
    assert t.loc[("A", "C"), "median_wait_days"] == pytest.approx(2 / 24)  # 10:00 -> 12:00


def test_lifecycle_events_are_left_out_and_counted():
    log = make_log([("c1", "A", "2025-01-01 08:00"), ("c1", "A", "2025-01-01 07:00"),
                    ("c1", "B", "2025-01-02 08:00")], columns=("lifecycle",))
    log.loc[log["timestamp"].dt.hour == 7, "lifecycle"] = "schedule"
    res = bottlenecks(log, k_min=1)
    assert res.instances == 2
    assert row(res.transitions, "A", "B")["occurrences"] == 1
    assert any("1 schedule" in n for n in res.notes)


def test_a_log_of_only_other_lifecycle_events_is_an_input_error():
    log = make_log([("c1", "A", "2025-01-01 07:00"), ("c2", "B", "2025-01-02 08:00")],
                   columns=("lifecycle",))
    log["lifecycle"] = pd.array(["schedule", "start"], dtype="string")
    with pytest.raises(InputError) as err:
        bottlenecks(log, k_min=1)
    assert err.value.code == ErrorCode.NO_ROWS


def test_notes_keep_their_english_text_and_carry_code_and_values():
    """The CLI and --json show the notes as ever; the report translates them by code."""
    log = make_log([("c1", "A", "2025-01-01 08:00"), ("c1", "A", "2025-01-01 07:00"),
                    ("c1", "B", "2025-01-02 08:00")], columns=("lifecycle",))
    log.loc[log["timestamp"].dt.hour == 7, "lifecycle"] = "schedule"
    res = bottlenecks(log, k_min=1)
    english = ["lifecycle events that are not completed activity instances were left out "
               "(1 schedule)",
               "the log has no start times: waiting is measured from one completion to the "
               "next and includes the processing of the later step"]
    assert res.notes == english
    assert json.loads(json.dumps(res.to_dict()))["notes"] == english
    assert [n.code for n in res.notes] == [NoteCode.LIFECYCLE_LEFT_OUT, NoteCode.NO_START_TIMES]
    assert res.notes[0].values == {"counts": {"schedule": 1}}


def test_unsorted_frame_gives_the_same_result(five_waits):
    shuffled = five_waits.sample(frac=1, random_state=7).reset_index(drop=True)
    assert bottlenecks(shuffled).to_dict()["transitions"] == \
        bottlenecks(five_waits).to_dict()["transitions"]


def test_case_with_only_lifecycle_events_is_no_case(five_waits):
    extra = make_log([("z9", "A", "2025-03-01 08:00")], columns=("lifecycle",))
    extra["lifecycle"] = pd.array(["schedule"], dtype="string")
    res = bottlenecks(pd.concat([five_waits, extra], ignore_index=True))
    assert res.cases == 5 and res.instances == 15


def test_small_groups_suppressed_and_last(five_waits):
    extra = make_log([("x1", "A", "2025-03-01 08:00"), ("x1", "D", "2025-03-20 08:00"),
                      ("x2", "A", "2025-03-01 08:00"), ("x2", "D", "2025-03-20 08:00")])
    log = pd.concat([five_waits, extra], ignore_index=True)
    res = bottlenecks(log, k_min=5)
    ad = row(res.transitions, "A", "D")  # 2 cases, 38 days: the largest total, yet hidden
    assert ad["suppressed"]
    figures = [c for c in res.transitions.columns if c not in ("from", "to", "suppressed")]
    assert len(figures) == 9 and all(pd.isna(ad[c]) for c in figures)
    # secondary suppression: with the total published, a second row is hidden too (the
    # smallest, ties broken by name: A -> B); hidden rows come last, in name order
    assert res.transitions["suppressed"].tolist() == [False, True, True]
    assert res.transitions[["from", "to"]].values.tolist() == [["B", "C"], ["A", "B"],
                                                               ["A", "D"]]
    doc = res.to_dict()
    hidden = [t for t in doc["transitions"] if t["suppressed"]]
    assert all(t["median_wait_days"] is None for t in hidden)
    # k_min=1 switches suppression off
    assert not bottlenecks(log, k_min=1).transitions["suppressed"].any()


def test_bad_options():
    log = make_log([("c1", "A", "2025-01-01 08:00")])
    for kwargs in ({"k_min": 0}, {"top": 0}, {"land": "XX"}):
        with pytest.raises(ConfigError):
            bottlenecks(log, **kwargs)


def test_top_keeps_shares_of_all(five_waits):
    res = bottlenecks(five_waits, top=1)
    assert len(res.transitions) == 1 and res.transitions_total == 2
    assert res.transitions.iloc[0]["share"] < 1


def test_weekly_arrivals_completions_wip():
    rows = []
    # week of 2025-03-03: 6 arrivals; 5 of them complete the following week, 1 stays open
    for i in range(6):
        rows.append((f"c{i}", "Antrag", f"2025-03-0{3 + i % 5} 09:00"))
    for i in range(5):
        rows.append((f"c{i}", "Bescheid", f"2025-03-1{i} 09:00"))
    log = make_log(rows)
    res = bottlenecks(log, k_min=1, end_activities=["Bescheid"])
    weeks = res.weekly.set_index("week")
    assert weeks.loc["2025-03-03", "arrivals"] == 6
    assert weeks.loc["2025-03-03", "completions"] == 0
    assert weeks.loc["2025-03-03", "wip"] == 6
    assert weeks.loc["2025-03-10", "completions"] == 5
    assert weeks.loc["2025-03-10", "wip"] == 1
    assert weeks.loc["2025-03-10", "week_label"] == "2025-W11"
    assert "end activities" in res.completion
    # without end activities the open case counts as completed at its last step
    res2 = bottlenecks(log, k_min=1)
    assert res2.weekly.set_index("week").loc["2025-03-03", "completions"] == 1
    # suppression: 1 case open in the second week. Blanking that cell alone would not do
    # (6 arrivals - 5 completions = 1 open), so the week goes whole; and the first week with
    # it, since a single blank week follows from the published totals (issue 14)
    res3 = bottlenecks(log, k_min=5, end_activities=["Bescheid"])
    w3 = res3.weekly.set_index("week")
    assert w3["suppressed"].all()
    assert w3[["arrivals", "completions", "wip"]].isna().all().all()


def test_workload_per_role_never_per_person():
    staff = ([("Sachbearbeitung", f"SB-{i}") for i in range(5)] * 2
             + [("Servicepoint", "SP-1"), ("Servicepoint", "SP-2")] * 2
             + [("Teamleitung", "TL-1")] * 2)
    rows = [(f"c{i}", "Prüfung", f"2025-01-0{1 + i % 5} 10:00", None, role, person)
            for i, (role, person) in enumerate(staff)]
    log = make_log(rows, columns=("start_time", "role", "resource"))
    res = bottlenecks(log, k_min=2)
    wl = res.workload.set_index("role")
    assert wl.loc["Sachbearbeitung", "instances"] == 10
    assert wl.loc["Sachbearbeitung", "staff"] == 5
    assert wl.loc["Sachbearbeitung", "share"] == pytest.approx(10 / 16)
    # one person in a role is a figure about one staff member: suppressed; and since the
    # shares add up to 100 %, the next smallest role is hidden with it
    assert pd.isna(wl.loc["Teamleitung", "instances"]) and wl.loc["Teamleitung", "suppressed"]
    assert pd.isna(wl.loc["Servicepoint", "instances"])
    assert "resource" not in res.workload.columns
    flat = json.dumps(res.to_dict())
    assert "SB-0" not in flat and "TL-1" not in flat


def test_staff_ids_without_role_give_no_workload():
    log = make_log([(f"c{i}", "A", "2025-01-01 08:00", "M-1") for i in range(6)],
                   columns=("resource",))
    res = bottlenecks(log)
    assert res.workload is None
    assert any("per role or team only" in n for n in res.notes)
    assert "M-1" not in json.dumps(res.to_dict())


def test_working_days_weekend_and_hessen_holiday():
    # Fronleichnam (Corpus Christi), Thu 19 June 2025, is a public holiday in Hessen, not in
    # Berlin. Wait from Wed 18 June 12:00 to Mon 23 June 12:00 (local time):
    # calendar 5 days; Hessen: Wed 0.5 + Fri 1 + Mon 0.5 = 2; Berlin: + Thu = 3.
    rows = []
    for i in range(5):
        rows += [(f"c{i}", "Antrag", "2025-06-18 12:00"), (f"c{i}", "Bescheid",
                                                            "2025-06-23 12:00")]
    log = make_log(rows, tz="Europe/Berlin")
    cal = row(bottlenecks(log).transitions, "Antrag", "Bescheid")
    he = bottlenecks(log, working_days=True, land="HE")
    be = row(bottlenecks(log, working_days=True, land="be").transitions, "Antrag", "Bescheid")
    assert cal["median_wait_days"] == pytest.approx(5.0)
    assert row(he.transitions, "Antrag", "Bescheid")["median_wait_days"] == pytest.approx(2.0)
    assert be["median_wait_days"] == pytest.approx(3.0)
    assert he.unit == "office days (HE)" and he.to_dict()["land"] == "HE"


def test_receipt_sample_export(real_logs):
    res = bottlenecks(real_logs / "08_receipt.xes.gz", top=5)
    assert res.cases == 1434 and res.instances == 8577
    assert len(res.transitions) == 5
    first = res.transitions.iloc[0]
    assert (first["from"], first["to"]) == ("T05 Print and send confirmation of receipt",
                                            "T06 Determine necessity of stop advice")


def test_the_polars_path_from_canonical_parquet_does_not_load_pandas():
    """pandas costs more start-up than the whole DFG of a million events, NumPy another
    0.1 s: the engine path from a canonical Parquet log imports neither
    (benchmarks/bottlenecks.py relies on it)."""
    code = (
        "import sys\n"
        "from ist_analyse.analysis import instances as I\n"
        "from ist_analyse.analysis.dfg import transition_table\n"
        f"f, _, _, _ = I.load({str(SAMPLE_LOGS / 'abh_checklist_2024.parquet')!r})\n"
        "t = transition_table(I.activity_instances(f))\n"
        "print(len(t), 'pandas' in sys.modules, 'numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert int(out[0]) > 50 and out[1] == "False" and out[2] == "False"
    # and the table is the one bottlenecks() publishes before suppression
    import ist_analyse as ia
    inst = I.activity_instances(ia.read_log(SAMPLE_LOGS / "abh_checklist_2024.parquet").log)
    assert len(transition_stats(inst)) == int(out[0])
