"""KPIs on a tiny hand-made log whose waits, rework and durations are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ist_analyse.analysis.rules import Rule
from ist_analyse.comparison import compare
from ist_analyse.comparison import kpis as K

from .conftest import END, make_log

# before (February): waits Antrag -> Prüfung of 2, 4, 6, 8 days; cases B1 and B2 repeat the
# Prüfung (rework); after (March): waits 1, 1, 2, 2 days, no rework. Every case closes one
# day after its last Prüfung.
WAITS_BEFORE, WAITS_AFTER = [2, 4, 6, 8], [1, 1, 2, 2]


def _tiny() -> pd.DataFrame:
    rows = []
    for prefix, month, waits in (("B", 2, WAITS_BEFORE), ("A", 3, WAITS_AFTER)):
        for i, w in enumerate(waits, 1):
            case = f"{prefix}{i}"
            start = pd.Timestamp(f"2024-{month:02d}-{i + 1:02d} 08:00")
            check = start + pd.Timedelta(days=w)
            rows += [(case, "Antrag eingegangen", f"{start:%Y-%m-%d %H:%M}"),
                     (case, "Prüfung", f"{check:%Y-%m-%d %H:%M}")]
            last = check
            if prefix == "B" and i <= 2:
                last = check + pd.Timedelta(days=3)
                rows.append((case, "Prüfung", f"{last:%Y-%m-%d %H:%M}"))
            rows.append((case, END, f"{last + pd.Timedelta(days=1):%Y-%m-%d %H:%M}"))
    return make_log(rows, kanal={f"{p}{i}": ("online" if i % 2 else "Termin")
                                 for p in "AB" for i in range(1, 5)})


def _run(**kw):
    args = dict(change="2024-03-01", end_activities=[END], as_of="2024-06-30", k_min=1,
                min_n=2, rework_window=30, n_boot=199, checks=False)
    args.update(kw)
    return compare(_tiny(), **args)


def test_waits_are_the_known_values_with_a_rank_test():
    r = _run()
    k = r.kpi("wait:Antrag eingegangen->Prüfung")
    assert (k.before, k.after, k.difference) == (5.0, 1.5, -3.5)
    assert (k.n_before, k.n_after) == (4, 4)
    p = stats.brunnermunzel(WAITS_BEFORE, WAITS_AFTER).pvalue
    assert k.p_value == pytest.approx(p)
    assert k.ci_low <= k.difference <= k.ci_high


def test_case_duration_is_the_kaplan_meier_median_of_closed_cases():
    r = _run()
    k = r.kpi("case_duration")
    # durations before: 2+3+1=6, 4+3+1=8, 6+1=7, 8+1=9 -> KM median = 2nd smallest = 7
    assert k.before == pytest.approx(7.0)
    # after: 2, 2, 3, 3 -> 2
    assert k.after == pytest.approx(2.0)
    assert k.extra["events_before"] == 4


def test_rework_counts_cases_with_a_repeated_step():
    r = _run()
    k = r.kpi("rework_rate")
    assert (k.before, k.after) == (0.5, 0.0)
    assert k.extra["count_before"] == 2
    assert r.kpi("rework:Prüfung").before == 0.5


def test_rework_ignores_young_cases_that_had_no_time_to_loop():
    # with the export right after the last event, the after cases are younger than the
    # 30-day window: they are not counted at all
    r = _run(as_of="2024-03-20")
    assert r.kpi("rework_rate").n_after == 0
    assert r.kpi("rework_rate").verdict == "not_enough_data"


def test_deadline_share_from_a_rule():
    rule = Rule("Prüfung in 5 Tagen", "deadline", from_="Antrag eingegangen", to="Prüfung",
                max_days=5)
    r = _run(rules=[rule])
    k = r.kpi("deadline:Prüfung in 5 Tagen")
    assert (k.before, k.after) == (0.5, 0.0)  # 6 and 8 days are late
    assert k.kind == "deadline" and k.unit == "share"


def test_benjamini_hochberg_over_the_transition_family():
    from statsmodels.stats.multitest import multipletests

    r = _run()
    fam = [k for k in r.kpis if k.family == "transition" and k.p_value is not None]
    adj = multipletests([k.p_value for k in fam], method="fdr_bh")[1]
    assert [k.p_adjusted for k in fam] == pytest.approx(list(adj))
    head = r.kpi("case_duration")
    assert head.p_adjusted == head.p_value


def test_small_groups_are_suppressed():
    r = _run(k_min=5)
    k = r.kpi("wait:Antrag eingegangen->Prüfung")
    assert k.suppressed and k.before is None and k.n_before is None
    assert k.verdict == "not_enough_data"
    assert r.to_dict()["periods"]["before"]["cases"] is None


def test_by_attribute_and_value():
    r = compare(_tiny(), by="kanal", end_activities=[END], k_min=1, min_n=2, n_boot=199,
                rework_window=30, as_of="2024-06-30")
    assert r.periods["mode"] == "by"
    assert {r.periods["before"]["label"], r.periods["after"]["label"]} == {
        "kanal = Termin", "kanal = online"}
    r2 = compare(_tiny(), by="kanal=online", end_activities=[END], k_min=1, min_n=2,
                 n_boot=199, as_of="2024-06-30")
    assert r2.periods["after"]["cases"] == 4


def test_weekly_counts_full_weeks_only():
    tz = "Europe/Berlin"
    weeks = K.full_weeks(pd.Timestamp("2024-01-03", tz="UTC"), pd.Timestamp("2024-01-28",
                                                                              tz="UTC"), tz)
    assert [str(w.tz_convert(tz).date()) for w in weeks] == ["2024-01-08", "2024-01-15"]
    times = pd.Series(pd.to_datetime(["2024-01-09", "2024-01-10", "2024-01-16"], utc=True))
    assert K.weekly_counts(times, weeks, tz).tolist() == [2, 1]
    assert np.isclose(K.rate_kpi("x", np.array([3, 3, 3, 3]), np.array([3, 3, 3, 3]),
                                 alpha=0.05).p_value, 1.0)



def _verdict_kpi(name: str, kind: str, verdict: str) -> K.Kpi:
    diff = -0.1 if verdict in ("lower", "faster") else 0.1
    return K.Kpi(name, kind, "share" if kind == "share" else "days", 0.4, 0.4 + diff, diff,
                 diff - 0.05, diff + 0.05, 0.001, 300, 300, significant=True, verdict=verdict)


def test_workload_confounds_only_differences_in_its_own_direction():
    """More work explains slower and more rework; faster or less rework despite it stays."""
    kpis = [_verdict_kpi("case_duration", "duration", "slower"),
            _verdict_kpi("wait:a->b", "wait", "faster"),
            _verdict_kpi("rework_rate", "share", "lower"),
            _verdict_kpi("rework:a", "share", "higher")]
    changed = K.apply_confounding(kpis, workload_change=0.25)
    assert changed == ["case_duration", "rework:a"]
    assert [k.verdict for k in kpis] == ["confounded", "faster", "lower", "confounded"]
    assert kpis[3].extra["verdict_unadjusted"] == "higher"
    # a slower wait is explained by more work whether or not its level drifts within a group
    # (a queue that is steady within each period but jumps with the surge at the change date)
    steady = _verdict_kpi("wait:c->d", "wait", "slower")
    steady.extra["drift_p"] = 0.8
    assert K.apply_confounding([steady], workload_change=0.3) == ["wait:c->d"]
    assert steady.verdict == "confounded"
    # less work explains faster and less rework
    less = [_verdict_kpi("case_duration", "duration", "faster"),
            _verdict_kpi("rework_rate", "share", "lower")]
    assert K.apply_confounding(less, workload_change=-0.2) == ["case_duration", "rework_rate"]
    # below the relevance threshold nothing changes
    fresh = [_verdict_kpi("rework_rate", "share", "higher")]
    assert K.apply_confounding(fresh, workload_change=0.05) == []
    assert fresh[0].verdict == "higher"


def test_a_suppressed_kpi_has_no_statistics_at_all():
    """Issue 14: a group of 2 cases was blanked, but its log-rank p and SE were printed."""
    k = K.Kpi("case_duration", "duration", "days", 10.0, 12.0, 2.0, -1.0, 5.0, 0.3, 2, 40,
              cases_before=2, cases_after=40,
              extra={"logrank_p": 0.31, "se": 1.7, "median_se": 1.2, "rmst_before": 9.0,
                     "horizon_days": 30.0})
    K.finalize([k], alpha=0.05, k_min=5)
    doc = k.to_dict()
    assert doc["suppressed"] is True
    figures = {key: v for key, v in doc.items()
               if key not in ("kpi", "kind", "unit", "verdict", "text", "suppressed")}
    assert all(v is None for v in figures.values()), figures


def test_case_mix_suppression_is_complementary():
    """One small case type would follow from the published totals by subtraction: a second
    type is blanked with it, and nothing left in the rows gives either back."""
    from ist_analyse.comparison.context import _mix

    before = np.array(["A"] * 10 + ["B"] * 2 + ["C"] * 8)
    after = np.array(["A"] * 8 + ["B"] * 6 + ["C"] * 7)
    rows = {r["value"]: r for r in _mix([before, after], k_min=5, alpha=0.05)["rows"]}
    assert rows["B"]["suppressed"] and rows["C"]["suppressed"] and not rows["A"]["suppressed"]
    for name in ("B", "C"):
        assert all(rows[name][f] is None for f in ("before_n", "after_n", "before_share",
                                                   "after_share"))
    assert (rows["A"]["before_n"], rows["A"]["after_n"]) == (10, 8)
    # what is left: B + C = 10 before and 13 after, with several splits possible
    assert rows["A"]["before_share"] == 0.5
