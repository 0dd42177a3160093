"""Column recognition: German and English export headers, XES keys, explicit mappings."""

import pytest

from ist_analyse.errors import ErrorCode, MappingError
from ist_analyse.io.mapping import fold, resolve_columns, slug


def roles(cols, explicit=None):
    return resolve_columns(cols, explicit or {}, file="x.csv").roles


def test_german_headers_recognised():
    got = roles(["Vorgangsnummer", "Tätigkeit", "Zeitpunkt", "Bearbeiter", "Beginn", "Team"])
    assert got == {"case_id": "Vorgangsnummer", "activity": "Tätigkeit",
                   "timestamp": "Zeitpunkt", "resource": "Bearbeiter", "start_time": "Beginn",
                   "role": "Team"}


def test_xes_names_in_a_table():
    got = roles(["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                 "start_timestamp", "lifecycle:transition"])
    assert got["case_id"] == "case:concept:name"
    assert got["activity"] == "concept:name"
    assert got["start_time"] == "start_timestamp"
    assert got["lifecycle"] == "lifecycle:transition"


def test_spelling_variants_fold_together():
    assert fold("TAETIGKEIT") == fold("Tätigkeit") == fold(" tätigkeit ")
    got = roles(["AKTENZEICHEN", "Aktivität", "Datum"])
    assert got == {"case_id": "AKTENZEICHEN", "activity": "Aktivität", "timestamp": "Datum"}


def test_more_specific_name_wins_and_columns_are_used_once():
    got = roles(["Aktenzeichen", "Status", "Tätigkeit", "Zeitpunkt", "Datum"])
    assert got["activity"] == "Tätigkeit"
    assert got["timestamp"] == "Zeitpunkt"


def test_explicit_mapping_wins_case_insensitively():
    got = roles(["Nr", "Schrittname", "Wann"], {"case_id": "nr", "activity": "Schrittname",
                                               "timestamp": "Wann"})
    assert got == {"case_id": "Nr", "activity": "Schrittname", "timestamp": "Wann"}


def test_missing_required_column_names_found_columns_and_closest_match():
    with pytest.raises(MappingError) as err:
        roles(["Vorgangsnummer", "Taetigkeitt", "Zeitpunkt"])
    e = err.value
    assert e.code == ErrorCode.MISSING_COLUMN
    assert "activity" in e.message
    assert "Vorgangsnummer, Taetigkeitt, Zeitpunkt" in e.hint
    assert "closest match: 'Taetigkeitt'" in e.hint


def test_explicit_column_absent():
    with pytest.raises(MappingError) as err:
        roles(["A", "B"], {"case_id": "Fallnummer"})
    assert "Fallnummer" in str(err.value)


def test_slug():
    assert slug("Aufenthalts-Zweck (§)") == "aufenthalts_zweck"
    assert slug("Straße") == "strasse"
