"""Whole imports of the real public logs and of German exports, checked against pm4py."""

import pandas as pd
import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.inspection import inspect_log
from ist_analyse.io.pipeline import read_log

XES_LOGS = ["08_receipt.xes.gz", "roadtraffic100traces.xes.gz",
            "12_roadtraffic_1t_per_variant.xes.gz", "bpic2012_2000.xes.gz"]


def pm4py_counts(df: pd.DataFrame) -> dict:
    return {"cases": df["case:concept:name"].nunique(), "events": len(df),
            "activities": df["concept:name"].value_counts().to_dict()}


def pm4py_case_counts(path):
    """Cases per activity label, by pm4py."""
    import pm4py

    df = pm4py.read_xes(str(path))
    return df.groupby("concept:name")["case:concept:name"].nunique().to_dict()


@pytest.mark.parametrize("name", XES_LOGS)
def test_xes_counts_equal_pm4py(real_logs, name):
    import pm4py

    expected = pm4py_counts(pm4py.read_xes(str(real_logs / name)))
    got = inspect_log(real_logs / name, ImportOptions(keep_rare_labels=True))
    assert got.cases == expected["cases"]
    assert got.events == expected["events"]
    assert got.activities == expected["activities"]
    # by default, labels of fewer than 5 cases are pooled; every event is still counted
    pooled = inspect_log(real_logs / name).activities
    assert sum(pooled.values()) == got.events
    rare = {a for a, n in pm4py_case_counts(real_logs / name).items() if n < 5}
    assert set(pooled) == set(got.activities) - rare | (
        {f"(seltene Bezeichnungen: {len(rare)})"} if rare else set())


def test_bpic2012_lifecycle_pairs(real_logs):
    import pm4py

    df = pm4py.read_xes(str(real_logs / "bpic2012_2000.xes.gz"))
    res = read_log(real_logs / "bpic2012_2000.xes.gz")
    rep = res.report
    lc = df["lifecycle:transition"].str.lower().value_counts()
    # every event is accounted for: pairs count twice, the rest once
    assert rep.events_read == len(df) == 42_452
    assert len(res.log) == len(df) - rep.lifecycle_pairs
    assert rep.lifecycle_pairs + rep.lifecycle_unpaired_start == lc["start"]
    assert rep.lifecycle_other == {k: int(v) for k, v in lc.items()
                                   if k not in ("start", "complete")}
    paired = res.log.dropna(subset=["start_time"])
    assert len(paired) == rep.lifecycle_pairs
    assert (paired["start_time"] <= paired["timestamp"]).all()
    assert paired["activity"].str.startswith("W_").all()


@pytest.mark.parametrize(("name", "events"), [("06_bpic2013_closed.xes.gz", 6_660),
                                               ("07_bpic2013_incidents.xes.gz", 65_533)])
def test_bpic2013_statuses_are_steps_named_as_the_logs_classifier(real_logs, name, events):
    """Every event stays a step; its name is pm4py's 'concept:name+lifecycle:transition'."""
    import pm4py

    df = pm4py.read_xes(str(real_logs / name))
    expected = (df["concept:name"] + "+" + df["lifecycle:transition"]).value_counts()
    got = inspect_log(real_logs / name, ImportOptions(keep_rare_labels=True))
    assert got.events == got.rows == len(df) == events
    assert got.activities == expected.to_dict()
    finding = {f.code: f for f in got.findings}["LIFECYCLE_STATUS"]
    assert finding.count == events
    assert "lifecycle" not in got.columns


def test_interval_csv_yields_start_and_end(real_logs):
    import pm4py

    path = real_logs / "interval_event_log.csv"
    raw = pd.read_csv(path)
    expected = pm4py.format_dataframe(raw.copy(), case_id="case:concept:name",
                                      activity_key="concept:name",
                                      timestamp_key="time:timestamp")
    res = read_log(path, ImportOptions(pseudonymize=False, keep_rare_labels=True))
    log = res.log
    assert len(log) == len(raw) == 8109
    assert log["start_time"].notna().all() and log["timestamp"].notna().all()
    assert log["case_id"].nunique() == expected["case:concept:name"].nunique()
    want = (pd.to_datetime(raw["time:timestamp"], utc=True)
            - pd.to_datetime(raw["start_timestamp"], utc=True)).sort_values().to_numpy()
    got = (log["timestamp"] - log["start_time"]).sort_values().to_numpy()
    assert (got == want).all()


def test_german_csv_written_by_a_test_round_trips(tmp_path):
    """cp1252, ';', dd.mm.yyyy, decimal comma, umlauts and quotes: everything comes back."""
    berlin = "Europe/Berlin"
    truth = pd.DataFrame({
        "Vorgangsnummer": ["ABH-2025-00017", "ABH-2025-00017", "00042", "00042"],
        "Tätigkeit": ["Antrag eingegangen", "Vollständigkeitsprüfung",
                      "Antrag eingegangen", "Entscheidung „Erteilung“"],
        "Zeitpunkt": pd.to_datetime(["2025-03-30 01:59", "2025-03-30 03:01",
                                     "2025-10-26 14:05", "2025-12-31 23:59"]),
        "Bearbeiter": ["SB-01", "SB-02", "SP-01", "SB-01"],
        "Gebühr": [100.0, 100.0, 1234.5, 1234.5],
        "Verfahren": ["AE-Verlängerung", "AE-Verlängerung", "NE §9", "NE §9"],
    })
    out = truth.copy()
    out["Zeitpunkt"] = out["Zeitpunkt"].dt.strftime("%d.%m.%Y %H:%M")
    path = tmp_path / "export.csv"
    out.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252",
               lineterminator="\r\n")
    res = read_log(path, ImportOptions(pseudonymize=False, keep_rare_labels=True))
    log = res.log.sort_values("source_row")
    assert log["case_id"].tolist() == truth["Vorgangsnummer"].tolist()
    assert log["activity"].tolist() == truth["Tätigkeit"].tolist()
    assert log["timestamp"].tolist() == (truth["Zeitpunkt"].dt.tz_localize(berlin)
                                         .dt.tz_convert("UTC").tolist())
    assert log["case_gebuehr"].tolist() == truth["Gebühr"].tolist()
    assert log["case_verfahren"].tolist() == truth["Verfahren"].tolist()
    assert log["source_row"].tolist() == [2, 3, 4, 5]
    assert any("cp1252" in n for n in res.report.notes)


def test_excel_export_round_trips(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Vorgänge"
    ws.append(["Aktenzeichen", "Tätigkeit", "Datum", "Sachbearbeiter", "Name"])
    ws.append([12345, "Antrag eingegangen", dt.datetime(2025, 7, 3, 14, 5), "SB-01", "Muster"])
    ws.append([12345, "Bescheid", "04.07.2025 09:00", "SB-02", "Muster"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    res = read_log(path, ImportOptions(pseudonymize=False, keep_rare_labels=True))
    log = res.log
    assert log["case_id"].tolist() == ["12345", "12345"]
    assert log["timestamp"].tolist() == [pd.Timestamp("2025-07-03 12:05", tz="UTC"),
                                         pd.Timestamp("2025-07-04 07:00", tz="UTC")]
    assert log["source_row"].tolist() == [2, 3]
    assert res.report.dropped_columns == ["Name"]
