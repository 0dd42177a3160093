"""Properties that must hold for any input (hypothesis)."""

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ist_analyse.config import ImportOptions
from ist_analyse.io.dates import parse_timestamps
from ist_analyse.io.pipeline import read_log
from ist_analyse.privacy import pseudonymize

KEY = bytes(range(32))


@given(st.lists(st.text(min_size=1, max_size=12).filter(lambda s: s.strip()), max_size=30))
def test_pseudonyms_are_deterministic_and_keep_distinctness(ids):
    s = pd.Series(ids, dtype=object)
    a, b = pseudonymize(s, KEY), pseudonymize(s, KEY)
    assert a.tolist() == b.tolist()
    import unicodedata
    canon = [unicodedata.normalize("NFC", i.strip()) for i in ids]
    assert len(set(a)) == len(set(canon))


@given(st.datetimes(min_value=dt.datetime(1991, 1, 1), max_value=dt.datetime(2090, 12, 31)))
def test_german_dates_round_trip(when):
    when = when.replace(second=0, microsecond=0)
    text = when.strftime("%d.%m.%Y %H:%M")
    got = parse_timestamps(pd.Series([text]), fmt=None, timezone="UTC").values.iloc[0]
    assert got == pd.Timestamp(when, tz="UTC")


rows = st.lists(st.tuples(st.sampled_from(["A-1", "A-2", "00017", "B 3"]),
                          st.sampled_from(["Antrag", "Prüfung", "Bescheid „X“"]),
                          st.datetimes(min_value=dt.datetime(2020, 1, 1),
                                       max_value=dt.datetime(2025, 12, 31)),
                          st.booleans()),
                min_size=1, max_size=25)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_no_row_is_lost_silently(tmp_path, data):
    """rows read == rows kept + rows reported as skipped, for any mix of good and bad dates."""
    lines = ["Vorgangsnummer;Tätigkeit;Zeitpunkt"]
    for case, act, when, good in data:
        stamp = when.strftime("%d.%m.%Y %H:%M") if good else "31.02." + str(when.year)
        lines.append(f"{case};{act};{stamp}")
    path = tmp_path / "x.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    n_good = sum(1 for *_, good in data if good)
    if n_good == 0:
        return
    res = read_log(path, ImportOptions(pseudonymize=False, skip_bad_rows=True))
    assert res.report.events_read == len(data)
    assert len(res.log) + res.report.dropped_rows == len(data)
    assert len(res.log) == n_good
    bad_lines = [i + 2 for i, (*_, good) in enumerate(data) if not good]
    assert [d["line"] for d in res.report.dropped_row_examples] == bad_lines[:20]
