"""Exports as real systems write them: the German CSV imports with no options; XES and
Parquet read back to the same log; the ground truth sits next to the file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ist_analyse import log as L
from ist_analyse import read_log
from ist_analyse.config import ImportOptions
from ist_analyse.simulate import model as M
from ist_analyse.simulate import simulate
from ist_analyse.simulate.export import CSV_COLUMNS, output_format, truth_path


def test_csv_is_a_german_export(csv_export):
    res, path = csv_export
    data = path.read_bytes()
    text = data.decode("cp1252")
    header = text.split("\r\n", 1)[0]
    assert header.split(";") == list(CSV_COLUMNS)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # umlauts in cp1252
    rows = [line.split(";") for line in text.split("\r\n")[1:] if line]
    assert len(rows) == len(res.log)
    stamps = pd.Series([r[8] for r in rows])
    date_only = stamps.str.fullmatch(r"\d\d\.\d\d\.\d{4}")
    assert stamps.str.fullmatch(r"\d\d\.\d\d\.\d{4}( \d\d:\d\d)?").all()
    assert date_only.sum() == res.truth["export"]["date_only_events"] > 0
    staff = pd.Series([r[9] for r in rows])
    assert staff.str.fullmatch(r"(SB|SP|TL)\d\d|SYSTEM|").all()
    assert (staff == "").sum() > 0  # customers and external parties: no staff id


def test_csv_imports_with_no_options(csv_export):
    res, path = csv_export
    imported = read_log(path, ImportOptions(keep_rare_labels=True))  # compared with the truth
    log, rep = imported.log, imported.report
    roles = {m["role"]: m["column"] for m in rep.mapping}
    assert roles == {"case_id": "Vorgangsnummer", "activity": "Tätigkeit",
                     "timestamp": "Zeitpunkt", "resource": "Bearbeiter"}
    for col in ("case_verfahren", "case_aufenthaltszweck", "case_kanal",
                "case_regionalgruppe", "case_altersgruppe", "case_titel_gueltig_bis"):
        assert col in log.columns, col
    assert rep.dropped_columns == []
    assert rep.date_only == res.truth["export"]["date_only_events"]
    assert len(log) == len(res.log) == res.truth["export"]["events"]
    assert log[L.CASE_ID].nunique() == res.truth["export"]["cases"]
    assert log[L.CASE_ID].str.startswith("V-").all()  # pseudonymised by default
    # the same events at the same times as the API's canonical log
    mine = res.log.sort_values([L.TIMESTAMP, L.ACTIVITY])[[L.ACTIVITY, L.TIMESTAMP]]
    theirs = log.sort_values([L.TIMESTAMP, L.ACTIVITY])[[L.ACTIVITY, L.TIMESTAMP]]
    pd.testing.assert_frame_equal(mine.reset_index(drop=True).astype(str),
                                  theirs.reset_index(drop=True).astype(str))
    # ids kept: the same per-case sequences
    plain = read_log(path, ImportOptions(pseudonymize=False, keep_rare_labels=True)).log
    a = res.log.groupby(L.CASE_ID)[L.ACTIVITY].agg(tuple)
    b = plain.groupby(L.CASE_ID)[L.ACTIVITY].agg(tuple)
    assert a.equals(b.reindex(a.index))


def test_truth_file_is_written_next_to_the_output(csv_export):
    res, path = csv_export
    assert res.truth_file == path.with_name("abh_export.truth.json")
    truth = json.loads(res.truth_file.read_text(encoding="utf-8"))
    assert truth["scenario"]["name"] == "checklist"
    assert truth["export"]["events"] == len(res.log)
    assert truth["run"]["command"].startswith("ist-analyse simulate --scenario checklist")


@pytest.mark.parametrize("suffix", [".xes.gz", ".parquet"])
def test_xes_and_parquet_read_back_to_the_same_log(tmp_path, suffix):
    out = tmp_path / f"abh{suffix}"
    res = simulate("baseline", "2024-01-01", 2, seed=2, scale=0.05, output=out,
                   progress=False)
    assert out.exists() and truth_path(out).exists()
    log = read_log(out, ImportOptions(pseudonymize=False, keep_rare_labels=True)).log
    assert len(log) == len(res.log)
    cols = [L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.RESOURCE, L.ROLE, "case_verfahren"]
    assert str(log[L.TIMESTAMP].dtype) == L.TIMESTAMP_DTYPE
    pd.testing.assert_frame_equal(log[cols].reset_index(drop=True).astype(str),
                                  res.log[cols].reset_index(drop=True).astype(str))
    assert set(log[L.ROLE].dropna()) <= set(M.ROLES)


def test_pm4py_reads_the_xes(tmp_path):
    from ist_analyse._pm4py import pm4py

    out = tmp_path / "abh.xes"
    res = simulate("baseline", "2024-01-01", 2, seed=2, scale=0.05, output=out,
                   progress=False)
    df = pm4py().read_xes(str(out))
    assert df["case:concept:name"].nunique() == res.log[L.CASE_ID].nunique()
    assert "case:verfahren" in df.columns


def test_output_format_from_the_suffix(tmp_path):
    assert output_format("a.csv") == "csv"
    assert output_format("a.XES.GZ") == "xes"
    assert output_format("a.parquet") == "parquet"
    assert truth_path(tmp_path / "x.xes.gz").name == "x.truth.json"
