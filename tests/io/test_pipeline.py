"""The shared half of every import: mapping, conversion, pairing, protection, ordering."""

import pandas as pd
import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, PrivacyError, SchemaError
from ist_analyse.io.pipeline import build_log
from ist_analyse.io.raw import RawTable
from ist_analyse.log import DTYPES, validate_log
from ist_analyse.privacy import load_or_create_key, pseudonymize

PLAIN = ImportOptions(pseudonymize=False, keep_rare_labels=True)


def raw(rows: list[dict], decimal: str | None = ",", label: str = "line") -> RawTable:
    frame = pd.DataFrame(rows)
    frame["source_row"] = range(2, len(rows) + 2)
    return RawTable(frame, "export.csv", label, "csv", len(rows), decimal=decimal)


def ev(case, act, ts, **extra):
    return {"Vorgangsnummer": case, "Tätigkeit": act, "Zeitpunkt": ts, **extra}


def test_canonical_columns_dtypes_and_order():
    res = build_log(raw([ev("A-2", "Antrag", "02.01.2025 10:00"),
                         ev("A-1", "Entscheidung", "03.01.2025 10:00"),
                         ev("A-1", "Antrag", "01.01.2025 09:00")]), PLAIN)
    log = validate_log(res.log)
    assert log.columns.tolist() == ["case_id", "activity", "timestamp", "source_file",
                                    "source_row"]
    for col in log.columns:
        assert str(log[col].dtype) == DTYPES[col]
    assert log["case_id"].tolist() == ["A-1", "A-1", "A-2"]
    assert log["activity"].tolist() == ["Antrag", "Entscheidung", "Antrag"]
    assert log["source_row"].tolist() == [4, 3, 2]
    assert log["timestamp"].iloc[0] == pd.Timestamp("2025-01-01 08:00", tz="UTC")


def test_bad_date_message_names_file_line_column_value_and_expectation():
    with pytest.raises(SchemaError) as err:
        build_log(raw([ev("A", "x", "01.01.2025 10:00"), ev("A", "y", "31.02.2025 25:61"),
                       ev("A", "z", "kaputt")]), PLAIN)
    e = err.value
    assert (e.code, e.file, e.row, e.column) == (ErrorCode.BAD_TIMESTAMP, "export.csv", 3,
                                                  "Zeitpunkt")
    assert str(e).startswith("export.csv: line 3, column Zeitpunkt: '31.02.2025 25:61' is not "
                             "a date (expected TT.MM.JJJJ HH:MM")
    assert "1 more such row" in e.hint


def test_empty_timestamp_and_empty_case_id():
    with pytest.raises(SchemaError) as err:
        build_log(raw([ev("A", "x", "01.01.2025 10:00"), ev("A", "y", "")]), PLAIN)
    assert (err.value.code, err.value.row) == (ErrorCode.EMPTY_VALUE, 3)
    with pytest.raises(SchemaError) as err:
        build_log(raw([ev(" ", "x", "01.01.2025 10:00")]), PLAIN)
    assert err.value.code == ErrorCode.EMPTY_VALUE and err.value.column == "Vorgangsnummer"


def test_skip_bad_rows_counts_and_lists_them():
    opts = ImportOptions(pseudonymize=False, skip_bad_rows=True)
    res = build_log(raw([ev("A", "x", "01.01.2025 10:00"), ev("A", "y", "31.02.2025"),
                         ev("", "z", "01.01.2025 11:00"), ev("B", "x", "02.01.2025 10:00")]),
                    opts)
    assert len(res.log) == 2
    assert res.report.dropped_rows == 2
    assert [d["line"] for d in res.report.dropped_row_examples] == [3, 4]
    assert res.report.events_read == 4


def test_lifecycle_pairs_fifo_and_keeps_the_rest():
    lc = "lifecycle:transition"
    rows = [
        ev("A", "Prüfung", "01.01.2025 09:00", **{lc: "schedule"}),
        ev("A", "Prüfung", "01.01.2025 10:00", **{lc: "start"}),
        ev("A", "Prüfung", "01.01.2025 10:30", **{lc: "start"}),
        ev("A", "Prüfung", "01.01.2025 11:00", **{lc: "complete"}),
        ev("A", "Prüfung", "01.01.2025 12:00", **{lc: "complete"}),
        ev("A", "Bescheid", "01.01.2025 13:00", **{lc: "start"}),
        ev("A", "Gebühr", "01.01.2025 14:00", **{lc: "complete"}),
    ]
    res = build_log(raw(rows), PLAIN)
    log = res.log
    assert res.report.lifecycle_pairs == 2
    assert res.report.lifecycle_unpaired_start == 1
    assert res.report.lifecycle_other == {"schedule": 1}
    assert res.report.events == 7 and len(log) == 5
    pairs = log[log["activity"] == "Prüfung"].dropna(subset=["start_time"])
    t = lambda s: pd.Timestamp(s, tz="Europe/Berlin").tz_convert("UTC")  # noqa: E731
    assert pairs["start_time"].tolist() == [t("2025-01-01 10:00"), t("2025-01-01 10:30")]
    assert pairs["timestamp"].tolist() == [t("2025-01-01 11:00"), t("2025-01-01 12:00")]
    kept = log[log["lifecycle"].notna()]
    assert sorted(kept["lifecycle"]) == ["schedule", "start"]


def test_status_vocabulary_makes_each_event_a_step_named_activity_plus_status():
    """No standard XES transition in the log (BPI Challenge 2013): the values are statuses."""
    lc = "lifecycle:transition"
    rows = [ev("A", "Queued", "01.01.2025 09:00", **{lc: "Awaiting Assignment"}),
            ev("A", "Accepted", "01.01.2025 10:00", **{lc: "In Progress"}),
            ev("A", "Accepted", "02.01.2025 10:00", **{lc: "Wait - User"}),
            ev("A", "Accepted", "03.01.2025 10:00", **{lc: "In Progress"}),
            ev("A", "Completed", "04.01.2025 10:00", **{lc: "Closed"}),
            ev("B", "Completed", "04.01.2025 11:00", **{lc: None})]
    res = build_log(raw(rows), PLAIN)
    assert res.log["activity"].tolist() == [
        "Queued+Awaiting Assignment", "Accepted+In Progress", "Accepted+Wait - User",
        "Accepted+In Progress", "Completed+Closed", "Completed"]
    assert "lifecycle" not in res.log.columns and "start_time" not in res.log.columns
    rep = res.report
    assert rep.lifecycle_rule == "statuses"
    assert rep.lifecycle_status == {"In Progress": 2, "Awaiting Assignment": 1,
                                    "Wait - User": 1, "Closed": 1}
    assert rep.activity_events["Accepted+In Progress"] == 2
    assert (rep.lifecycle_pairs, rep.lifecycle_other) == (0, {})


def test_one_standard_transition_makes_the_values_transitions():
    """start/complete pair; suspend/resume, assign and a value outside the XES model are
    kept as rows that are not steps, and counted."""
    lc = "lifecycle:transition"
    rows = [ev("A", "Prüfung", "01.01.2025 09:00", **{lc: "assign"}),
            ev("A", "Prüfung", "01.01.2025 10:00", **{lc: "Start"}),
            ev("A", "Prüfung", "01.01.2025 10:10", **{lc: "suspend"}),
            ev("A", "Prüfung", "01.01.2025 10:20", **{lc: "resume"}),
            ev("A", "Prüfung", "01.01.2025 11:00", **{lc: "COMPLETE"}),
            ev("A", "Bescheid", "01.01.2025 12:00", **{lc: "In Progress"})]
    res = build_log(raw(rows), PLAIN)
    rep = res.report
    assert rep.lifecycle_rule == "transitions" and rep.lifecycle_status == {}
    assert rep.lifecycle_pairs == 1
    assert rep.lifecycle_other == {"assign": 1, "suspend": 1, "resume": 1, "in progress": 1}
    steps = res.log[res.log["lifecycle"].isna()]
    assert steps["activity"].tolist() == ["Prüfung"]
    assert len(res.log) == 5


def test_interval_columns_give_start_and_end():
    rows = [ev("A", "Prüfung", "01.01.2025 11:00", Beginn="01.01.2025 10:00")]
    log = build_log(raw(rows), PLAIN).log
    assert log["start_time"].iloc[0] == pd.Timestamp("2025-01-01 09:00", tz="UTC")
    assert log["timestamp"].iloc[0] == pd.Timestamp("2025-01-01 10:00", tz="UTC")


def test_extra_columns_case_attributes_numbers_ids_and_person_columns():
    rows = [ev("A", "x", "01.01.2025 10:00", Verfahren="AE", Gebühr="1.234,50",
               Aktenzeichen_alt="00123", Nachname="Muster", Hinweis="a"),
            ev("A", "y", "02.01.2025 10:00", Verfahren="AE", Gebühr="1.234,50",
               Aktenzeichen_alt="00123", Nachname="Muster", Hinweis="b"),
            ev("B", "x", "03.01.2025 10:00", Verfahren="NE", Gebühr="100",
               Aktenzeichen_alt="00007", Nachname="Beispiel", Hinweis="c")]
    res = build_log(raw(rows), ImportOptions(pseudonymize=False, keep_rare_labels=True))
    log = res.log
    assert res.report.dropped_columns == ["Nachname"]
    assert "nachname" not in "".join(log.columns)
    assert log["case_verfahren"].tolist() == ["AE", "AE", "NE"]
    assert log["case_gebuehr"].tolist() == [1234.5, 1234.5, 100.0]
    assert log["case_aktenzeichen_alt"].tolist() == ["00123", "00123", "00007"]
    assert log["hinweis"].tolist() == ["a", "b", "c"]
    kept = build_log(raw(rows), ImportOptions(pseudonymize=False, drop_person_columns=False,
                                              keep_rare_labels=True, drop_columns=("Hinweis",)))
    assert "case_nachname" in kept.log.columns and "hinweis" not in kept.log.columns


def test_pseudonyms_by_default_and_staff_roles(tmp_path):
    rows = [ev("ABH-1", "x", "01.01.2025 10:00", Bearbeiter="SB01"),
            ev("ABH-2", "x", "01.01.2025 11:00", Bearbeiter="SB02")]
    opts = ImportOptions(key_file=tmp_path / "k", staff_roles={"SB01": "Sachbearbeitung"})
    res = build_log(raw(rows), opts)
    key = load_or_create_key(tmp_path / "k")
    assert set(res.log["case_id"]) == set(pseudonymize(pd.Series(["ABH-1", "ABH-2"]), key))
    assert "SB01" not in set(res.log["resource"])
    assert res.log["resource"].str.startswith("M-").all()
    by_role = res.log.set_index("source_row")["role"]
    assert by_role[2] == "Sachbearbeitung" and pd.isna(by_role[3])
    assert res.report.pseudonymized == ["case_id", "resource"]


def test_ids_keep_leading_zeros_and_number_like_text():
    ids = ["00123", "NA", "null", "TRUE", "1e5", "-0"]
    rows = [ev(i, "x", "01.01.2025 10:00") for i in ids]
    log = build_log(raw(rows), PLAIN).log
    assert sorted(log["case_id"]) == sorted(ids)


def test_integral_float_ids_from_typed_sources_have_no_trailing_zero():
    rows = [{"case_id": 12345.0, "activity": "x", "timestamp": pd.Timestamp("2025-01-01")}]
    log = build_log(raw(rows, decimal=None, label="row"), PLAIN).log
    assert log["case_id"].tolist() == ["12345"]


def test_canonical_parquet_without_pseudonyms_is_protected_on_read(tmp_path):
    """A canonical log written unprotected (simulate, --no-pseudonymize) gets pseudonyms when
    read with the defaults; one written protected keeps its pseudonyms."""
    from ist_analyse.io.export import write_log
    from ist_analyse.io.pipeline import read_log

    rows = [ev("ABH-1", "x", "01.01.2025 10:00", Bearbeiter="SB01"),
            ev("ABH-2", "y", "01.01.2025 11:00", Bearbeiter="SB02")]
    plain = build_log(raw(rows), PLAIN)
    write_log(plain, tmp_path / "plain.parquet")
    again = read_log(tmp_path / "plain.parquet", ImportOptions(key_file=tmp_path / "k"))
    assert again.log["case_id"].str.startswith("V-").all()
    assert again.log["resource"].str.startswith("M-").all()
    assert again.report.pseudonymized == ["case_id", "resource"]
    kept = read_log(tmp_path / "plain.parquet", PLAIN)
    assert sorted(kept.log["case_id"]) == ["ABH-1", "ABH-2"]
    protected = build_log(raw(rows), ImportOptions(key_file=tmp_path / "k"))
    write_log(protected, tmp_path / "p.parquet")
    read_back = read_log(tmp_path / "p.parquet", ImportOptions(key_file=tmp_path / "k"))
    assert sorted(read_back.log["case_id"]) == sorted(protected.log["case_id"])


def _claiming(tmp_path, report_json: bytes, **columns):
    """A Parquet file whose ist-analyse metadata is ``report_json`` (a claim, not a proof)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ist_analyse.io.formats import REPORT_KEY

    data = {"case_id": ["ABH-1", "ABH-1", "ABH-2"], "activity": ["a", "b", "a"],
            "timestamp": pa.array([1, 2, 3], pa.timestamp("us", "UTC")),
            "source_file": ["x.csv"] * 3, "source_row": pa.array([2, 3, 4], pa.int64()),
            **columns}
    table = pa.table(data).replace_schema_metadata({REPORT_KEY: report_json})
    path = tmp_path / "claims.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("meta", [
    b"{not json", b"[1, 2]", b'"text"', b'{"foo": 1}', b"\xff\xfe",
    b'{"source": "x", "format": "csv", "events_read": "3"}',
    b'{"source": "x", "format": "csv", "events_read": 3, "notes": "text"}',
    b'{"source": "x", "format": "csv", "events_read": 3, "pseudonymized": [1]}',
    b"[" * 5000 + b"]" * 5000,
])
def test_parquet_with_damaged_or_foreign_metadata_is_not_trusted(tmp_path, meta):
    """Issue 14: malformed/foreign ist-analyse metadata ended in JSONDecodeError/TypeError."""
    from ist_analyse.io.pipeline import read_log

    path = _claiming(tmp_path, meta)
    res = read_log(path, ImportOptions(key_file=tmp_path / "k", format="parquet"))
    assert res.log["case_id"].str.fullmatch(r"V-[0-9a-f]{32}").all()
    assert sorted(res.log["source_row"]) == [2, 3, 4]
    assert res.report.pseudonymized == ["case_id"]
    assert any("damaged or foreign" in n for n in res.report.notes)


def test_parquet_claiming_pseudonyms_is_pseudonymised(tmp_path):
    """Issue 14: metadata saying 'pseudonymised' was trusted and raw ids were shown. A claim
    without the key check, with another key's check, or with values that are no pseudonyms
    is pseudonymised now; the analyses' Polars path does the same."""
    import json

    from ist_analyse.analysis.instances import load
    from ist_analyse.io.pipeline import read_log
    from ist_analyse.privacy import key_check

    key = load_or_create_key(tmp_path / "k")
    other = load_or_create_key(tmp_path / "other")
    opts = ImportOptions(key_file=tmp_path / "k")
    expected = sorted(pseudonymize(pd.Series(["ABH-1", "ABH-1", "ABH-2"]), key))
    base = {"source": "x.csv", "format": "csv", "events_read": 3,
            "pseudonymized": ["case_id", "resource"]}
    for check in (None, key_check(other), key_check(key)):
        path = _claiming(tmp_path, json.dumps({**base, "key_check": check}).encode(),
                         resource=["SB-1", None, "SB-2"])
        res = read_log(path, opts)
        assert sorted(res.log["case_id"]) == expected, check
        assert res.log["resource"].dropna().str.startswith("M-").all()
        assert res.report.pseudonymized == ["case_id", "resource"]
        frame, _, _, _ = load(path, opts)
        assert sorted(frame["case_id"].to_list()) == expected


def test_parquet_pseudonyms_kept_only_with_the_same_key(tmp_path):
    """A log imported under key k keeps its pseudonyms when read with k (no double hashing);
    read with another key they are pseudonymised again (they cannot be proven)."""
    from ist_analyse.analysis.instances import load
    from ist_analyse.io.export import write_log
    from ist_analyse.io.pipeline import read_log

    rows = [ev("ABH-1", "x", "01.01.2025 10:00", Bearbeiter="SB01"),
            ev("ABH-2", "y", "01.01.2025 11:00", Bearbeiter="SB02")]
    opts = ImportOptions(key_file=tmp_path / "k")
    protected = build_log(raw(rows), opts)
    write_log(protected, tmp_path / "p.parquet")
    same = read_log(tmp_path / "p.parquet", opts)
    assert same.log["case_id"].tolist() == protected.log["case_id"].tolist()
    assert same.log["resource"].tolist() == protected.log["resource"].tolist()
    fast, _, _, _ = load(tmp_path / "p.parquet", opts)
    assert fast["case_id"].to_list() == protected.log["case_id"].tolist()
    other = read_log(tmp_path / "p.parquet", ImportOptions(key_file=tmp_path / "k2"))
    assert not set(other.log["case_id"]) & set(protected.log["case_id"])
    assert other.log["case_id"].str.fullmatch(r"V-[0-9a-f]{32}").all()


def test_parquet_claiming_canonical_without_canonical_columns(tmp_path):
    """A report of ours on a table without source_row/source_file: an ordinary Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ist_analyse.io.formats import REPORT_KEY
    from ist_analyse.io.pipeline import read_log

    table = pa.table({"case_id": ["A-1", "A-1"], "activity": ["a", "b"],
                      "timestamp": pa.array([1, 2], pa.timestamp("us", "UTC"))})
    meta = b'{"source": "x", "format": "csv", "events_read": 2, "pseudonymized": ["case_id"]}'
    pq.write_table(table.replace_schema_metadata({REPORT_KEY: meta}), tmp_path / "c.parquet")
    res = read_log(tmp_path / "c.parquet", ImportOptions(key_file=tmp_path / "k"))
    assert res.log["case_id"].str.startswith("V-").all()
    assert res.log["source_row"].tolist() == [1, 2]
    assert any("no column 'source_file'" in n for n in res.report.notes)


def test_out_of_memory_while_reading_is_an_input_error(tmp_path, monkeypatch):
    """Issue 14: a MemoryError (an .xlsx sheet of ~3 GiB) ended as exit 1."""
    from ist_analyse.errors import InputError
    from ist_analyse.io import pipeline

    def no_memory(*_a, **_k):
        raise MemoryError

    path = tmp_path / "x.csv"
    path.write_text("Aktenzeichen;Tätigkeit;Zeitpunkt\nA;b;01.01.2025 10:00\n")
    monkeypatch.setattr(pipeline, "build_log", no_memory)
    with pytest.raises(InputError) as err:
        pipeline.read_log(path, PLAIN)
    assert err.value.code == ErrorCode.SIZE_LIMIT and err.value.file == str(path)


def test_role_col_naming_staff_ids_is_refused_or_pseudonymised(tmp_path):
    """Issue 14: --role-col Bearbeiter ranked raw staff ids in the workload table."""
    rows = [ev(f"A-{i}", "x", "01.01.2025 10:00", Bearbeiter=f"SB-{i % 3}",
               Kennung=f"SB-{i % 3}", Bearbeiterteam="Team Nord" if i % 2 else "Team Süd")
            for i in range(12)]
    # one value per person: refused, with or without a separate staff column
    for columns in ({"role": "Bearbeiter"}, {"role": "Bearbeiter", "resource": "Kennung"}):
        with pytest.raises(PrivacyError) as info:
            build_log(raw(rows), ImportOptions(columns=columns, key_file=tmp_path / "k"))
        assert info.value.code == ErrorCode.PRIVACY
        assert info.value.column == "Bearbeiter" and info.value.file == "export.csv"
    # teams shared by several staff members: kept, but pseudonymised like staff ids
    res = build_log(raw(rows), ImportOptions(columns={"role": "Bearbeiterteam",
                                                      "resource": "Kennung"},
                                             key_file=tmp_path / "k"))
    assert res.log["role"].str.startswith("M-").all() and res.log["role"].nunique() == 2
    assert "role" in res.report.pseudonymized
    # an ordinary role column stays as it is
    plain = build_log(raw([{**r, "Team": r["Bearbeiterteam"]} for r in rows]),
                      ImportOptions(columns={"role": "Team"}, key_file=tmp_path / "k"))
    assert set(plain.log["role"]) == {"Team Nord", "Team Süd"}
