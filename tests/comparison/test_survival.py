"""Kaplan–Meier, log-rank and RMST against SciPy and statsmodels on hand-made data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ist_analyse.comparison import survival as S

# closed at 1, 2, 3, 5, 8; open (censored) at 4, 6, 9; tie of a closing and an open case at 3
TIME = np.array([1, 2, 3, 3, 4, 5, 6, 8, 9], dtype=float)
EVENT = np.array([1, 1, 1, 0, 0, 1, 0, 1, 0], dtype=bool)


def test_km_curve_and_median_match_scipy():
    times, surv = S.km_curve(TIME, EVENT)
    sf = stats.ecdf(stats.CensoredData(uncensored=TIME[EVENT], right=TIME[~EVENT])).sf
    np.testing.assert_allclose(times, sf.quantiles)
    np.testing.assert_allclose(surv, sf.probabilities)
    # by hand: S(1)=8/9, S(2)=7/9, S(3)=7/9*6/7=2/3, S(5)=2/3*3/4=1/2 -> median 5
    assert surv[times == 3][0] == pytest.approx(2 / 3)
    assert S.km_median(times, surv) == 5.0


def test_median_not_reached_is_none():
    times, surv = S.km_curve(np.array([1.0, 2, 3, 4]), np.array([1, 0, 0, 0], dtype=bool))
    assert S.km_median(times, surv) is None


def test_vectorised_bootstrap_km_equals_scipy_on_the_original_sample():
    enc = S._encode(TIME, EVENT)
    med, area = S.km_batch(enc[None, :], tau=7.0)
    times, surv = S.km_curve(TIME, EVENT)
    assert med[0] == S.km_median(times, surv)
    assert area[0] == pytest.approx(S.rmst(times, surv, 7.0))
    # RMST by hand: 1*1 + 8/9*1 + 7/9*1 + 2/3*2 + 1/2*2 (from 5 to 7)
    assert area[0] == pytest.approx(1 + 8 / 9 + 7 / 9 + 4 / 3 + 1)


def test_vectorised_km_on_random_samples_with_ties():
    rng = np.random.default_rng(5)
    for _ in range(20):
        t = rng.integers(1, 15, 40).astype(float)
        e = rng.random(40) < 0.7
        med, _ = S.km_batch(S._encode(t, e)[None, :], tau=10.0)
        expected = S.km_median(*S.km_curve(t, e))
        assert (np.isnan(med[0]) and expected is None) or med[0] == expected


def test_logrank_matches_scipy_and_statsmodels():
    from statsmodels.duration.survfunc import survdiff

    rng = np.random.default_rng(1)
    tb, ta = rng.exponential(10, 50), rng.exponential(6, 60)
    eb, ea = rng.random(50) < 0.8, rng.random(60) < 0.6
    p = S.logrank_p((tb, eb), (ta, ea))
    ref = stats.logrank(stats.CensoredData(uncensored=tb[eb], right=tb[~eb]),
                        stats.CensoredData(uncensored=ta[ea], right=ta[~ea])).pvalue
    assert p == pytest.approx(ref)
    _, p_sm = survdiff(np.concatenate([tb, ta]), np.concatenate([eb, ea]).astype(int),
                       np.r_[np.zeros(50), np.ones(60)])
    assert p == pytest.approx(p_sm, rel=1e-6)


def test_bootstrap_ci_covers_the_median_difference_and_is_reproducible():
    rng = np.random.default_rng(2)
    tb, ta = rng.lognormal(np.log(50), 0.5, 300), rng.lognormal(np.log(35), 0.5, 300)
    eb = ea = np.ones(300, dtype=bool)
    a = S.compare_survival((tb, eb), (ta, ea), n_boot=499, seed=4)
    b = S.compare_survival((tb, eb), (ta, ea), n_boot=499, seed=4)
    assert a.median_ci == b.median_ci
    lo, hi = a.median_ci
    assert lo < a.median_difference < hi
    assert lo < -15 < hi  # the true difference of the medians
    assert a.rmst_ci[0] < a.rmst_difference < a.rmst_ci[1]
    assert a.p_value < 1e-6


def test_curve_points_are_thinned_and_cut_at_k_min():
    rng = np.random.default_rng(3)
    t = rng.exponential(10, 2000)
    e = np.ones(2000, dtype=bool)
    pts = S.curve_points(*S.km_curve(t, e), t, k_min=5)
    assert len(pts) <= S.MAX_CURVE_POINTS
    assert pts[0] == {"days": 0.0, "survival": 1.0}
    assert pts[-1]["survival"] >= 4 / 2000  # the last 4 cases are not drawn
