"""Helpers for the analysis tests: tiny canonical logs written out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from ist_analyse import log as L


def make_log(rows: list[tuple], *, tz: str = "UTC", columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A canonical log from ``(case, activity, end[, start][, extra...])`` tuples.

    Times are ISO strings in ``tz`` (UTC by default); ``columns`` names the fields after
    ``end`` (e.g. ``("start_time", "role", "resource")``).
    """
    names = (L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, *columns)
    df = pd.DataFrame([r + (None,) * (len(names) - len(r)) for r in rows], columns=names)
    for col in (L.TIMESTAMP, L.START_TIME):
        if col in df:
            local = pd.to_datetime(df[col]).astype("datetime64[us]")
            df[col] = local.dt.tz_localize(tz).dt.tz_convert("UTC").astype(L.TIMESTAMP_DTYPE)
    df[L.SOURCE_FILE] = "hand-made"
    df[L.SOURCE_ROW] = range(2, len(df) + 2)
    return L.validate_log(L.finalize_log(df))


@pytest.fixture
def five_waits() -> pd.DataFrame:
    """Five cases A -> B -> C; A->B waits 1, 2, 3, 4, 10 days, B->C waits 1 h each."""
    rows = []
    for i, days in enumerate([1, 2, 3, 4, 10]):
        a = pd.Timestamp("2025-03-03 08:00") + pd.Timedelta(days=i)
        b = a + pd.Timedelta(days=days)
        c = b + pd.Timedelta(hours=1)
        rows += [(f"c{i}", "A", str(a)), (f"c{i}", "B", str(b)), (f"c{i}", "C", str(c))]
    return make_log(rows)


@pytest.fixture(scope="session")
def bpic2012(real_logs) -> pd.DataFrame:
    """BPI Challenge 2012 as a canonical log (read once per test session), every label kept
    (a public log: the tests compare algorithms on all its variants)."""
    import ist_analyse as ia

    return ia.read_log(real_logs / "bpic2012_2000.xes.gz",
                       ia.ImportOptions(keep_rare_labels=True)).log
