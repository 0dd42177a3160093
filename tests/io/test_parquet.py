"""Parquet reader: round trip, order and numbering, and files that are not (good) Parquet."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError
from ist_analyse.io.parquet import read_parquet_raw

BERLIN = dt.timezone(dt.timedelta(hours=1))


def _german_table() -> pa.Table:
    return pa.table({
        "Vorgangsnummer": ["ABH-2024-0001", "ABH-2024-0001", "ABH-2024-0002", "0042"],
        "Tätigkeit": ["Antrag eingegangen", "Prüfung", "Antrag eingegangen", None],
        "Zeitpunkt": pa.array([dt.datetime(2024, 3, 1, 8, 15, tzinfo=BERLIN),
                               dt.datetime(2024, 3, 4, 10, 0, tzinfo=BERLIN),
                               None,
                               dt.datetime(2024, 3, 5, 11, 5, tzinfo=BERLIN)],
                              type=pa.timestamp("us", tz="Europe/Berlin")),
        "Lokal": pa.array([dt.datetime(2024, 3, 1, 8, 15)] * 4, type=pa.timestamp("ms")),
        "Dauer in Tagen": [1.5, None, 3.0, 0.25],
        "Eingang": [dt.date(2024, 3, 1), None, dt.date(2024, 3, 2), dt.date(2024, 3, 5)],
        "Bearbeiter": pa.array(["SB-07", "SB-12", "SB-07", "SB-12"]).dictionary_encode(),
    })


def test_round_trip(tmp_path):
    path = tmp_path / "log.parquet"
    table = _german_table()
    pq.write_table(table, path, row_group_size=3)  # two row groups
    raw = read_parquet_raw(path, ImportOptions())
    assert raw.format == "parquet"
    assert raw.row_label == "row"
    assert raw.events_read == 4
    assert raw.source_file == str(path)
    f = raw.frame
    assert list(f.columns) == [*table.column_names, "source_row"]
    assert f["source_row"].tolist() == [1, 2, 3, 4]
    assert f["source_row"].dtype == "int64"
    assert f["Vorgangsnummer"].tolist() == table.column("Vorgangsnummer").to_pylist()
    assert f["Tätigkeit"].iloc[1] == "Prüfung" and pd.isna(f["Tätigkeit"].iloc[3])
    assert isinstance(f["Zeitpunkt"].dtype, pd.DatetimeTZDtype)
    assert f["Zeitpunkt"].iloc[0] == pd.Timestamp("2024-03-01 07:15", tz="UTC")
    assert pd.isna(f["Zeitpunkt"].iloc[2])
    assert f["Lokal"].iloc[0] == pd.Timestamp("2024-03-01 08:15")
    assert f["Lokal"].dt.tz is None
    assert f["Dauer in Tagen"].iloc[3] == 0.25
    assert f["Eingang"].dtype.kind == "M"  # dates become timestamps, as from PostgreSQL
    assert f["Eingang"].iloc[0] == pd.Timestamp("2024-03-01") and pd.isna(f["Eingang"].iloc[1])
    assert not isinstance(f["Bearbeiter"].dtype, pd.CategoricalDtype)
    assert f["Bearbeiter"].tolist() == ["SB-07", "SB-12", "SB-07", "SB-12"]


def test_pandas_written_file_with_index(tmp_path):
    path = tmp_path / "pandas.parquet"
    df = pd.DataFrame({"Vorgangsnummer": ["A", "B", "C"], "Tätigkeit": ["x", "y", "z"]},
                      index=[10, 5, 7])
    df.to_parquet(path, index=True)
    raw = read_parquet_raw(path)
    assert list(raw.frame.columns) == ["Vorgangsnummer", "Tätigkeit", "source_row"]
    assert raw.frame["Vorgangsnummer"].tolist() == ["A", "B", "C"]
    assert raw.frame.index.equals(pd.RangeIndex(3))


def test_many_row_groups_keep_order(tmp_path):
    n = 30_000
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"i": list(range(n))}), path, row_group_size=1_000)
    raw = read_parquet_raw(path)
    assert raw.events_read == n
    assert raw.frame["i"].tolist() == list(range(n))
    assert raw.frame["source_row"].tolist() == list(range(1, n + 1))


def test_empty_table_keeps_columns(tmp_path):
    path = tmp_path / "leer.parquet"
    pq.write_table(_german_table().slice(0, 0), path)
    raw = read_parquet_raw(path)
    assert raw.events_read == 0
    assert "Vorgangsnummer" in raw.frame.columns and "source_row" in raw.frame.columns


@pytest.mark.parametrize(("content", "looks_like"), [
    ("Vorgangsnummer;Tätigkeit;Zeitpunkt\nABH-1;Antrag;01.03.2024 08:15\n".encode(), "text"),
    (b'<?xml version="1.0"?><log/>', "XML"),
    (b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
])
def test_not_a_parquet_file(tmp_path, content, looks_like):
    path = tmp_path / "export.parquet"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_parquet_raw(path)
    assert info.value.code == ErrorCode.WRONG_FORMAT
    assert looks_like in (info.value.hint or "")


def test_truncated_and_damaged_files(tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(_german_table(), good)
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as info:
        read_parquet_raw(cut)
    assert info.value.code == ErrorCode.WRONG_FORMAT
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(data[:4] + b"\x00" * (len(data) - 12) + data[-8:])
    with pytest.raises(InputError) as info:
        read_parquet_raw(damaged)
    assert info.value.code == ErrorCode.WRONG_FORMAT


def test_empty_missing_and_directory(tmp_path):
    empty = tmp_path / "leer.parquet"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_parquet_raw(empty)
    assert info.value.code == ErrorCode.EMPTY_FILE
    with pytest.raises(InputError) as info:
        read_parquet_raw(tmp_path / "fehlt.parquet")
    assert info.value.code == ErrorCode.FILE_NOT_FOUND
    with pytest.raises(InputError) as info:
        read_parquet_raw(tmp_path)
    assert info.value.code == ErrorCode.WRONG_FORMAT


def test_declared_size_limit(tmp_path):
    path = tmp_path / "gross.parquet"
    pq.write_table(pa.table({"text": ["Antrag eingegangen " * 50] * 2_000}), path)
    assert path.stat().st_size < 100_000  # compresses well
    with pytest.raises(InputError) as info:
        read_parquet_raw(path, ImportOptions(max_bytes=1_000_000))
    assert info.value.code == ErrorCode.SIZE_LIMIT
    assert read_parquet_raw(path).events_read == 2_000


def test_source_row_column_name_is_reserved(tmp_path):
    path = tmp_path / "sr.parquet"
    pq.write_table(pa.table({"source_row": [1, 2], "a": ["x", "y"]}), path)
    with pytest.raises(InputError) as info:
        read_parquet_raw(path)
    assert info.value.code == ErrorCode.DUPLICATE_HEADER


def test_nested_columns_become_json_text(tmp_path):
    """Issue 14: list/struct columns ended in 'unhashable type' (exit 1)."""
    from ist_analyse.io.pipeline import read_log

    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({
        "case_id": ["A-1", "A-1"], "activity": ["a", "b"],
        "timestamp": pa.array([1, 2], pa.timestamp("us", "UTC")),
        "Liste": pa.array([[1, 2], None]), "Objekt": pa.array([{"x": "ä"}, {"x": None}]),
        "Karte": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
    }), path)
    raw = read_parquet_raw(path, ImportOptions())
    assert raw.frame["Liste"][0] == "[1, 2]" and pd.isna(raw.frame["Liste"][1])
    assert raw.frame["Objekt"].tolist() == ['{"x": "ä"}', '{"x": null}']
    assert raw.frame["Karte"].tolist() == ['[["k", 1]]', "[]"]
    assert any("Liste, Objekt, Karte" in n for n in raw.notes)
    res = read_log(path, ImportOptions(pseudonymize=False, keep_rare_labels=True))
    assert "[1, 2]" in res.log["case_liste"].tolist()


def test_binary_columns_become_text(tmp_path):
    """Found by tests/io/test_fuzz.py: a binary column with bytes that are not UTF-8 ended in
    UnicodeDecodeError (exit 1)."""
    path = tmp_path / "bin.parquet"
    pq.write_table(pa.table({"case_id": pa.array([b"A-1", b"\x80"], pa.binary()),
                             "activity": ["a", "b"],
                             "timestamp": pa.array([1, 2], pa.timestamp("us", "UTC"))}), path)
    raw = read_parquet_raw(path, ImportOptions())
    assert raw.frame["case_id"].tolist() == ["A-1", "\\x80"]
    assert any("binary columns" in n and "case_id" in n for n in raw.notes)
