"""inspect: counts and data-quality findings on a hand-made log whose answers are known."""

import pandas as pd
import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError
from ist_analyse.inspection import inspect_log
from ist_analyse.io.pipeline import build_log
from ist_analyse.io.raw import RawTable

KEEP = ImportOptions(pseudonymize=False, keep_rare_labels=True)


def tiny():
    rows = [  # (case, activity, time) in source order; lines 2..
        ("A", "Antrag", "01.01.2025 09:00"),          # 2
        ("A", "Prüfung", "02.01.2025 09:00"),         # 3
        ("A", "Prüfung", "02.01.2025 09:00"),         # 4 duplicate of 3
        ("A", "Bescheid", "03.01.2025 09:00"),        # 5
        ("B", "Bescheid", "05.01.2025 09:00"),        # 6 out of order (before 7 in source)
        ("B", "Antrag", "04.01.2025 09:00"),          # 7
        ("C", "Antrag", "01.01.1985 09:00"),          # 8 before 1990: left out
        ("D", "Antrag", "01.01.2099 09:00"),          # 9 after the export: left out
        ("E", "Antrag", "06.01.2025 09:00"),          # 10
        ("E", "Prüfung", "06.01.2025 09:00"),         # 11 identical time, other activity
    ]
    frame = pd.DataFrame(rows, columns=["Fall", "Aktivität", "Datum"])
    frame["source_row"] = range(2, 12)
    raw = RawTable(frame, "t.csv", "line", "csv", len(frame))
    return build_log(raw, ImportOptions(pseudonymize=False, keep_rare_labels=True,
                                        export_time=pd.Timestamp("2026-01-01", tz="UTC")))


def test_counts():
    got = inspect_log(tiny(), end_activities=["Bescheid"], now=pd.Timestamp("2026-01-01",
                                                                               tz="UTC"))
    assert (got.cases, got.events, got.rows) == (3, 10, 8)  # C and D had only odd dates
    assert got.activities == {"Antrag": 3, "Prüfung": 3, "Bescheid": 2}
    assert got.open_cases == 1  # E has no Bescheid
    assert got.start == "2025-01-01T09:00:00+01:00"  # the period ignores 1985 and 2099
    assert got.end == "2025-01-06T09:00:00+01:00"


def test_findings_counts_and_lines():
    got = inspect_log(tiny(), now=pd.Timestamp("2026-01-01", tz="UTC"))
    by = {f.code: f for f in got.findings}
    assert got.open_cases is None
    assert (by["DUPLICATE_EVENTS"].count, by["DUPLICATE_EVENTS"].examples) == (1, [4])
    assert "SINGLE_EVENT_CASES" not in by
    assert (by["OUT_OF_ORDER"].count, by["OUT_OF_ORDER"].examples) == (1, [6])
    assert (by["IMPLAUSIBLE_DATES"].count, by["IMPLAUSIBLE_DATES"].examples) == (2, [8, 9])
    assert [e["reason"] for e in got.implausible_date_examples] == [
        "before 1990", "after the export date"]
    assert (by["IDENTICAL_TIMESTAMPS"].count, by["IDENTICAL_TIMESTAMPS"].examples) == (1, [11])


def test_clean_log_has_no_findings():
    frame = pd.DataFrame({"case_id": ["A", "A"], "activity": ["x", "y"],
                          "timestamp": ["01.01.2025 10:00", "01.01.2025 11:00"],
                          "source_row": [2, 3]})
    res = build_log(RawTable(frame, "c.csv", "line", "csv", 2), KEEP)
    assert inspect_log(res).findings == []


def test_json_document_has_the_promised_keys():
    doc = inspect_log(tiny()).to_dict()
    for key in ("cases", "events", "activities", "start", "end", "open_cases", "findings"):
        assert key in doc
    assert isinstance(doc["findings"], list)


def _log_with(value: str) -> pd.DataFrame:
    rows = [("A", "Antrag", "2024-03-04T09:00"), ("A", "Bescheid", "2024-03-05T09:00"),
            ("B", "Antrag", "2024-03-06T09:00"), ("B", "Nachtrag", value),
            ("B", "Bescheid", "2024-03-08T09:00")]
    frame = pd.DataFrame(rows, columns=["Fall", "Aktivität", "Datum"])
    frame["source_row"] = range(2, 7)
    return frame


@pytest.mark.parametrize(("value", "reason"), [
    ("1948-05-01T10:00", "before 1990"),
    ("0001-01-01T00:00:00+14:00", "before 1900"),   # year 0 in UTC
    ("9999-12-31T23:59:59-12:00", "after 2100"),    # year 10000 in UTC
    ("9999-12-31", "after 2100"),                   # naive, local time
    ("31.12.9999 23:59", "after 2100"),
])
def test_implausible_dates_left_out_with_line(value, reason):
    res = build_log(RawTable(_log_with(value), "t.csv", "line", "csv", 5),
                    KEEP)
    assert len(res.log) == 4 and 5 not in set(res.log["source_row"])
    assert res.report.implausible_dates == 1
    assert res.report.implausible_date_examples == [
        {"line": 5, "column": "Datum", "value": value, "reason": reason}]
    got = inspect_log(res)
    assert (got.start, got.end) == ("2024-03-04T09:00:00+01:00", "2024-03-08T09:00:00+01:00")


def test_old_log_keeps_its_old_dates():
    """A log whose bulk lies before 1990 (the ProM example log: January 1970) is not
    condemned by the 1990 rule."""
    frame = _log_with("1970-01-03T10:00")
    frame["Datum"] = frame["Datum"].str.replace("2024-03", "1970-01")
    res = build_log(RawTable(frame, "t.csv", "line", "csv", 5), KEEP)
    assert res.report.implausible_dates == 0 and len(res.log) == 5


def test_only_implausible_dates_is_an_input_error():
    frame = _log_with("9999-12-31")
    frame["Datum"] = "9999-12-31"
    with pytest.raises(InputError) as e:
        build_log(RawTable(frame, "t.csv", "line", "csv", 5), KEEP)
    assert e.value.code == ErrorCode.NO_ROWS
