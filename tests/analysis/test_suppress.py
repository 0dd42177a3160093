"""Small-group suppression and office days: the helpers on their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ist_analyse.analysis.calendar import check_land, office_days, public_holidays
from ist_analyse.errors import ConfigError
from ist_analyse.privacy.suppress import check_k_min, suppress_rows


def test_rows_below_k_are_blanked_and_flagged():
    t = pd.DataFrame({"name": ["a", "b", "c"], "cases": [10, 4, 0], "median": [1.5, 2.5, 3.5]})
    out = suppress_rows(t, count="cases", columns=["cases", "median"], k_min=5)
    assert out["suppressed"].tolist() == [False, True, False]  # 0 describes no one
    assert pd.isna(out.loc[1, "cases"]) and pd.isna(out.loc[1, "median"])
    assert out.loc[0, "cases"] == 10 and out["cases"].dtype == "Int64"
    assert t.loc[1, "cases"] == 4  # input untouched


def test_secondary_suppression_when_a_total_is_shown():
    t = pd.DataFrame({"cases": [50, 9, 3, 7], "total": [10.0, 2.0, 1.0, 3.0]})
    out = suppress_rows(t, count="cases", columns=["cases", "total"], k_min=5, total_shown=True)
    assert out["suppressed"].tolist() == [False, False, True, True]  # 7: next smallest
    two = pd.DataFrame({"cases": [50, 3, 2], "total": [1.0, 2.0, 3.0]})
    out2 = suppress_rows(two, count="cases", columns=["total"], k_min=5, total_shown=True)
    assert out2["suppressed"].tolist() == [False, True, True]  # already two: nothing more


def test_rows_and_chaining():
    """A row is blanked whole (no single cell of it): its cells are tied by differences."""
    t = pd.DataFrame({"arrivals": [0, 3, 12], "done": [6, 6, 1]})
    out = suppress_rows(t, count=["arrivals", "done"], columns=["arrivals", "done"], k_min=5)
    assert out["arrivals"].tolist()[0] == 0 and out["suppressed"].tolist() == [False, True, True]
    assert out.loc[1:, ["arrivals", "done"]].isna().all().all()
    again = suppress_rows(out, count="done", columns=["done"], k_min=7)
    assert again["suppressed"].tolist() == [True, True, True]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_k_min_validated(bad):
    with pytest.raises(ConfigError):
        check_k_min(bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=10))
def test_no_published_cell_below_k(counts, k):
    t = pd.DataFrame({"cases": counts, "x": np.arange(len(counts), dtype=float)})
    out = suppress_rows(t, count="cases", columns=["cases", "x"], k_min=k, total_shown=True)
    shown = out["cases"].dropna()
    assert ((shown == 0) | (shown >= k)).all()
    # with a total published, a single hidden row could be recovered by subtraction
    assert int(out["suppressed"].sum()) != 1 or len(out) == 1


# ---- office days --------------------------------------------------------------------------

def d(text: str) -> np.ndarray:
    return np.array([text], dtype="datetime64[us]")


def test_office_days_definition():
    hol = public_holidays("HE", 2025, 2025)
    assert np.datetime64("2025-06-19") in hol  # Fronleichnam in Hessen
    assert np.datetime64("2025-06-19") not in public_holidays("BE", 2025, 2025)
    # Friday 16:00 to Monday 10:00: 8 h + 10 h; to Pfingstmontag (a holiday) only 8 h
    assert office_days(d("2025-06-13T16:00"), d("2025-06-16T10:00"), hol)[0] == \
        pytest.approx(18 / 24)
    assert office_days(d("2025-06-06T16:00"), d("2025-06-09T10:00"), hol)[0] == \
        pytest.approx(8 / 24)
    # within one Saturday: nothing; within one Tuesday: the hours
    assert office_days(d("2025-06-07T08:00"), d("2025-06-07T20:00"), hol)[0] == 0
    assert office_days(d("2025-06-10T08:00"), d("2025-06-10T20:00"), hol)[0] == 0.5
    # two full weeks: 10 office days; over Fronleichnam (19 June 2025): 9
    assert office_days(d("2025-06-23T00:00"), d("2025-07-07T00:00"), hol)[0] == 10
    assert office_days(d("2025-06-16T00:00"), d("2025-06-30T00:00"), hol)[0] == 9
    nat = office_days(np.array(["NaT"], dtype="datetime64[us]"), d("2025-06-10T08:00"), hol)
    assert np.isnan(nat[0])


def test_land_codes():
    assert check_land(" nw ") == "NW"
    with pytest.raises(ConfigError):
        check_land("Hessen")
