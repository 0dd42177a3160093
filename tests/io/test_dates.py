"""Timestamps: day first, explicit formats, DST rules, errors by position."""

import datetime as dt

import pandas as pd
import pytest

from ist_analyse.io.dates import parse_timestamps

BERLIN = "Europe/Berlin"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_day_first_never_swapped():
    # pandas' mixed parsing reads the first as 4 March and the second as 13 April
    raw = pd.Series(["03.04.2024 10:00", "13.04.2024 10:00"])
    got = parse_timestamps(raw, fmt=None, timezone=BERLIN)
    assert got.values.tolist() == [utc("2024-04-03 08:00"), utc("2024-04-13 08:00")]
    assert not got.bad.any()


def test_formats_mix_seconds_minutes_date_only_and_iso():
    raw = pd.Series(["03.07.2025 14:05:30", "03.07.2025 14:05", "03.07.2025",
                     "2025-07-03T14:05:00+00:00", "2025-07-03 14:05"])
    got = parse_timestamps(raw, fmt=None, timezone=BERLIN)
    assert got.values.tolist() == [
        utc("2025-07-03 12:05:30"), utc("2025-07-03 12:05"), utc("2025-07-02 22:00"),
        utc("2025-07-03 14:05"), utc("2025-07-03 12:05")]
    assert got.date_only == 1


def test_winter_and_summer_offsets():
    raw = pd.Series(["15.01.2025 12:00", "15.07.2025 12:00"])
    got = parse_timestamps(raw, fmt=None, timezone=BERLIN).values
    assert got.tolist() == [utc("2025-01-15 11:00"), utc("2025-07-15 10:00")]


def test_dst_fold_read_as_summer_time_and_gap_moved_forward():
    raw = pd.Series(["27.10.2024 02:30", "31.03.2024 02:30", "27.10.2024 03:30"])
    got = parse_timestamps(raw, fmt=None, timezone=BERLIN)
    assert got.values.tolist() == [utc("2024-10-27 00:30"), utc("2024-03-31 01:00"),
                                   utc("2024-10-27 02:30")]
    assert (got.dst_ambiguous, got.dst_nonexistent) == (1, 1)


def test_bad_and_empty_values_are_marked_not_guessed():
    raw = pd.Series(["31.02.2025 10:00", "25:61", "45383", "03.04.24", "", None,
                     "01.01.2025 10:00"])
    got = parse_timestamps(raw, fmt=None, timezone=BERLIN)
    assert got.bad.tolist() == [True, True, True, True, False, False, False]
    assert got.empty.tolist() == [False, False, False, False, True, True, False]
    assert got.expected().startswith("TT.MM.JJJJ")


def test_explicit_format_in_german_notation():
    from ist_analyse.config import normalize_date_format

    fmt = normalize_date_format("MM/TT/JJJJ HH:MM")
    assert fmt == "%m/%d/%Y %H:%M"
    got = parse_timestamps(pd.Series(["04/03/2024 10:15"]), fmt=fmt, timezone=BERLIN)
    assert got.values.iloc[0] == utc("2024-04-03 08:15")


def test_datetime_objects_and_aware_dtypes():
    objs = pd.Series([dt.datetime(2024, 4, 3, 10, 0), "03.04.2024 11:00", None], dtype=object)
    got = parse_timestamps(objs, fmt=None, timezone=BERLIN)
    assert got.values.tolist()[:2] == [utc("2024-04-03 08:00"), utc("2024-04-03 09:00")]
    assert got.empty.tolist() == [False, False, True]
    aware = pd.Series(pd.to_datetime(["2024-04-03 10:00"]).tz_localize("Europe/Berlin"))
    assert parse_timestamps(aware, fmt=None, timezone=BERLIN).values.iloc[0] == utc(
        "2024-04-03 08:00")


@pytest.mark.parametrize("day,month", [(1, 2), (12, 11), (13, 1), (31, 12)])
def test_round_trip_of_generated_dates(day, month):
    text = f"{day:02d}.{month:02d}.2023 09:07"
    got = parse_timestamps(pd.Series([text]), fmt=None, timezone="UTC").values.iloc[0]
    assert (got.day, got.month, got.hour, got.minute) == (day, month, 9, 7)


def test_iso_value_with_an_odd_offset_is_a_bad_date():
    """Found by tests/io/test_fuzz.py: '+1:00' is no offset of the ISO pattern, but pandas
    read it as one, and the naive path failed with TypeError (exit 1)."""
    raw = pd.Series(["2025-12-01T08:15:00.000+1:00", "2025-12-02T10:00:00+01:00",
                     "2025-12-02 10:00"], dtype=object)
    got = parse_timestamps(raw, fmt=None, timezone="Europe/Berlin")
    assert got.bad.tolist() == [True, False, False]
    assert got.values[1] == utc("2025-12-02 09:00") == got.values[2]
