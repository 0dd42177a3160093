"""inspect: counts and data-quality findings on a hand-made log whose answers are known."""

import pandas as pd

from ist_analyse.config import ImportOptions
from ist_analyse.inspection import inspect_log
from ist_analyse.io.pipeline import build_log
from ist_analyse.io.raw import RawTable


def tiny():
    rows = [  # (case, activity, time) in source order; lines 2..
        ("A", "Antrag", "01.01.2025 09:00"),          # 2
        ("A", "Prüfung", "02.01.2025 09:00"),         # 3
        ("A", "Prüfung", "02.01.2025 09:00"),         # 4 duplicate of 3
        ("A", "Bescheid", "03.01.2025 09:00"),        # 5
        ("B", "Bescheid", "05.01.2025 09:00"),        # 6 out of order (before 7 in source)
        ("B", "Antrag", "04.01.2025 09:00"),          # 7
        ("C", "Antrag", "01.01.1985 09:00"),          # 8 before 1990, single-event case
        ("D", "Antrag", "01.01.2099 09:00"),          # 9 future, single-event case
        ("E", "Antrag", "06.01.2025 09:00"),          # 10
        ("E", "Prüfung", "06.01.2025 09:00"),         # 11 identical time, other activity
    ]
    frame = pd.DataFrame(rows, columns=["Fall", "Aktivität", "Datum"])
    frame["source_row"] = range(2, 12)
    raw = RawTable(frame, "t.csv", "line", "csv", len(frame))
    return build_log(raw, ImportOptions(pseudonymize=False, keep_rare_labels=True))


def test_counts():
    got = inspect_log(tiny(), end_activities=["Bescheid"], now=pd.Timestamp("2026-01-01",
                                                                               tz="UTC"))
    assert (got.cases, got.events, got.rows) == (5, 10, 10)
    assert got.activities == {"Antrag": 5, "Prüfung": 3, "Bescheid": 2}
    assert got.open_cases == 3  # C, D, E have no Bescheid
    assert got.start == "1985-01-01T09:00:00+01:00"
    assert got.end == "2099-01-01T09:00:00+01:00"


def test_findings_counts_and_lines():
    got = inspect_log(tiny(), now=pd.Timestamp("2026-01-01", tz="UTC"))
    by = {f.code: f for f in got.findings}
    assert got.open_cases is None
    assert (by["DUPLICATE_EVENTS"].count, by["DUPLICATE_EVENTS"].examples) == (1, [4])
    assert (by["SINGLE_EVENT_CASES"].count, by["SINGLE_EVENT_CASES"].examples) == (2, [8, 9])
    assert (by["OUT_OF_ORDER"].count, by["OUT_OF_ORDER"].examples) == (1, [6])
    assert (by["FUTURE_TIMESTAMPS"].count, by["FUTURE_TIMESTAMPS"].examples) == (1, [9])
    assert (by["EARLY_TIMESTAMPS"].count, by["EARLY_TIMESTAMPS"].examples) == (1, [8])
    assert (by["IDENTICAL_TIMESTAMPS"].count, by["IDENTICAL_TIMESTAMPS"].examples) == (1, [11])


def test_clean_log_has_no_findings():
    frame = pd.DataFrame({"case_id": ["A", "A"], "activity": ["x", "y"],
                          "timestamp": ["01.01.2025 10:00", "01.01.2025 11:00"],
                          "source_row": [2, 3]})
    res = build_log(RawTable(frame, "c.csv", "line", "csv", 2), ImportOptions(pseudonymize=False))
    assert inspect_log(res).findings == []


def test_json_document_has_the_promised_keys():
    doc = inspect_log(tiny()).to_dict()
    for key in ("cases", "events", "activities", "start", "end", "open_cases", "findings"):
        assert key in doc
    assert isinstance(doc["findings"], list)
