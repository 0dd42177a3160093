"""The dependence-aware inference of :mod:`ist_analyse.comparison.blocks`, the workload gate
(verdict ``confounded``), the ramp-up of completions and the wait_30 power scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ist_analyse.comparison import blocks as B
from ist_analyse.comparison import compare
from ist_analyse.comparison import kpis as K
from ist_analyse.comparison import survival as S

from .conftest import END, make_log

WEEKS, PER_WEEK = 26, 15


def _clustered(rng: np.random.Generator, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """26 weeks of 15 values; all values of a week share a normal shift of SD ``tau``."""
    weeks = np.repeat(np.arange(WEEKS), PER_WEEK)
    shift = rng.normal(0, tau, WEEKS)
    return 10 + shift[weeks] + rng.normal(0, 1, len(weeks)), weeks


def _block_se_of_mean(values: np.ndarray, weeks: np.ndarray, length: int,
                      rng: np.random.Generator) -> float:
    w = B.block_weights(weeks, length, 2000, rng)
    return float(np.std((w @ values) / w.sum(axis=1), ddof=1))


def test_block_bootstrap_sees_weekly_clusters_that_a_case_bootstrap_misses():
    """Known answer: with a weekly shift of SD 1 and 15 cases a week, the SE of the mean is
    sqrt((1 + 1/15) / 26) = 0.203, while cases taken as independent say
    sqrt(2 / 390) = 0.072. The block bootstrap finds the former, and on independent data
    (no shift) stays at the latter."""
    rng = np.random.default_rng(1)
    true_clustered = np.sqrt((1 + 1 / PER_WEEK) / WEEKS)
    ses, iid = [], []
    for _ in range(20):
        x, w = _clustered(rng, tau=1.0)
        ses.append(_block_se_of_mean(x, w, 4, rng))
        iid.append(np.std(x, ddof=1) / np.sqrt(len(x)))
    assert np.mean(ses) == pytest.approx(true_clustered, rel=0.25)
    assert np.mean(iid) < 0.45 * true_clustered
    flat = []
    for _ in range(20):
        x, w = _clustered(rng, tau=0.0)
        flat.append(_block_se_of_mean(x, w, 4, rng))
    assert np.mean(flat) == pytest.approx(1 / np.sqrt(WEEKS * PER_WEEK), rel=0.25)


def test_block_median_test_keeps_its_level_on_correlated_data_where_a_rank_test_fails():
    """Two groups from the same process with weekly shifts (no effect): the Brunner–Munzel
    test (independent cases) rejects far too often, the block test about alpha."""
    rng = np.random.default_rng(7)
    block_rej, rank_rej, n = 0, 0, 100
    for i in range(n):
        x, wx = _clustered(rng, tau=0.6)
        y, wy = _clustered(rng, tau=0.6)
        _, _, _, p = K.block_median_test(x, y, wx, wy, alpha=0.05, n_boot=199, seed=i,
                                         block_weeks=4)
        block_rej += p < 0.05
        rank_rej += stats.brunnermunzel(x, y).pvalue < 0.05
    assert rank_rej / n > 0.25
    assert block_rej / n <= 0.12


def test_ci_and_p_value_agree():
    rng = np.random.default_rng(3)
    draws = rng.normal(0.5, 0.25, 999)
    se, lo, _, p = B.wald(0.5, draws, 0.05, df=12)
    assert (lo > 0) == (p < 0.05)
    se2, lo2, _, p2 = B.wald(0.5, draws, 0.05, df=12, extra_sd=0.5)
    assert se2 == pytest.approx(np.hypot(se, 0.5))
    assert (lo2 > 0) == (p2 < 0.05) and p2 > p
    assert B.wald(0.5, np.full(50, 0.5), 0.05) == (None, None, None, None)


def test_weighted_kaplan_meier_with_unit_weights_is_the_ordinary_one():
    rng = np.random.default_rng(5)
    t = np.round(rng.exponential(30, 200))
    e = rng.random(200) < 0.7
    med, area = B.km_weighted(t, e, np.ones((1, 200)), tau=40.0)
    times, surv = S.km_curve(t, e)
    assert med[0] == S.km_median(times, surv)
    assert area[0] == pytest.approx(S.rmst(times, surv, 40.0))


def test_heterogeneity_test_separates_drifting_from_exchangeable_levels():
    rng = np.random.default_rng(11)
    x, w = _clustered(rng, tau=1.0)
    y, wy = _clustered(rng, tau=1.0)
    assert B.heterogeneity_p([x, y], [w, wy], 4) < 0.01
    x0, w0 = _clustered(rng, tau=0.0)
    y0, wy0 = _clustered(rng, tau=0.0)
    assert B.heterogeneity_p([x0, y0], [w0, wy0], 4) > 0.01


# ---- workload gate and ramp-up ----------------------------------------------------------------

def _load_log(per_day_before: float, per_day_after: float, med_before: float,
              med_after: float, seed: int = 2) -> pd.DataFrame:
    """Cases from 2024-01-01 to 2025-01-01 (export), change 2024-07-01; Poisson arrivals at
    the given daily rates and log-normal durations (σ 0.5) with the given medians."""
    rng = np.random.default_rng(seed)
    t0, change, cut = (pd.Timestamp("2024-01-01 08:00"), pd.Timestamp("2024-07-01"),
                       pd.Timestamp("2025-01-01"))
    rows = []
    i = 0
    for day in range(366):
        start_day = t0 + pd.Timedelta(days=day)
        after = start_day >= change
        for _ in range(rng.poisson(per_day_after if after else per_day_before)):
            s = start_day + pd.Timedelta(minutes=float(rng.uniform(0, 480)))
            d = rng.lognormal(np.log(med_after if after else med_before), 0.5)
            case = f"C{i:05d}"
            i += 1
            rows.append((case, "Antrag eingegangen", s.strftime("%Y-%m-%d %H:%M")))
            if s + pd.Timedelta(days=d) < cut:
                rows.append((case, END, (s + pd.Timedelta(days=d)).strftime("%Y-%m-%d %H:%M")))
    return make_log(rows)


@pytest.fixture(scope="module")
def surge_log():
    """+60 % new cases after the change and durations 40 % longer: a surge, no process
    change."""
    return _load_log(1.5, 2.4, 30.0, 42.0)


def test_a_surge_makes_slower_durations_confounded_not_slower(surge_log):
    r = compare(surge_log, change="2024-07-01", end_activities=[END], n_boot=199,
                checks=False)
    load = r.context["workload"]
    assert load["change"] > 0.15 and load["significant"]
    d = r.kpi("case_duration")
    assert d.significant and d.difference > 0
    assert d.verdict == "confounded" and d.extra["verdict_unadjusted"] == "slower"
    assert "workload" in d.text and "not attributable" in d.text
    assert any("workload" in w for w in r.checks["warnings"]) or not r.checks["warnings"]
    assert r.to_dict()["kpis"][0]["verdict"] == "confounded"


def test_faster_despite_more_work_is_kept():
    """More arrivals and yet shorter durations: the workload cannot explain it."""
    log = _load_log(1.5, 2.4, 42.0, 25.0, seed=4)
    r = compare(log, change="2024-07-01", end_activities=[END], n_boot=199, checks=False)
    assert r.context["workload"]["change"] > 0.15 and r.context["workload"]["significant"]
    assert r.kpi("case_duration").verdict == "faster"


def test_equal_workload_leaves_verdicts_alone():
    log = _load_log(2.5, 2.5, 30.0, 30.0, seed=6)
    r = compare(log, change="2024-07-01", end_activities=[END], n_boot=199, checks=False)
    assert abs(r.context["workload"]["change"]) < 0.1
    assert r.kpi("case_duration").verdict == "no_change"
    assert r.context["workload"]["confounded"] == []


def test_completions_during_ramp_up_give_no_verdict(surge_log):
    """Only cases started in the export window: until ~90 % of the first cases are closed
    (a month or two here) completions per week are low by construction. Those weeks are
    excluded; with the change half a year in, the before period keeps enough weeks."""
    r = compare(surge_log, change="2024-07-01", end_activities=[END], n_boot=199,
                checks=False)
    c = r.kpi("completions_per_week")
    ramp = c.extra["ramp_up_weeks_excluded"]
    assert ramp["before"] >= 4 and ramp["after"] == 0
    assert c.extra["weeks_before"] + ramp["before"] >= 25
    # the ramp weeks are not in the mean: it is close to the steady rate of 2 cases a day
    assert c.before == pytest.approx(10.5, rel=0.2)
    flags = [w["ramp_up"] for w in r.weekly]
    assert flags[0] and not flags[-1] and sum(flags) == pytest.approx(ramp["before"], abs=2)
    early = compare(surge_log, change="2024-02-15", end_activities=[END], n_boot=199,
                    checks=False).kpi("completions_per_week")
    assert early.verdict == "not_enough_data" and early.p_value is None
    assert "not enough data" in early.text


@pytest.mark.slow
def test_wait_30_effect_is_found_with_the_truth_in_the_interval():
    from ist_analyse.simulate import simulate

    res = simulate("wait_30", "2024-01-01", 12, seed=1001, scale=0.135, progress=False)
    t = res.truth["target_transitions"][0]
    assert t["transition"] == "eAT bestellt -> eAT geliefert"
    df = t["directly_follows"]
    assert df["median_ratio"] == pytest.approx(0.70, abs=0.04)
    r = compare(res.log, change=res.truth["run"]["change_date"], end_activities=[END],
                checks=False)
    k = r.kpi("wait:eAT bestellt->eAT geliefert")
    assert k.verdict == "faster"
    true = df["after"]["median_days"] - df["before"]["median_days"]
    assert k.ci_low <= true <= k.ci_high
    assert k.extra["period_noise"] == 0.0  # an external party's time does not drift
