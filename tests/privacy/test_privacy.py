"""Keyed pseudonyms, key handling, person columns."""

import base64
import hashlib
import os
import stat

import pandas as pd
import pytest

from ist_analyse.errors import ErrorCode, PrivacyError
from ist_analyse.io.mapping import KNOWN_NAMES
from ist_analyse.privacy import (
    is_person_column,
    is_staff_column,
    load_or_create_key,
    pseudonymize,
)


def test_key_created_once_with_private_mode(tmp_path):
    path = tmp_path / "sub" / "k.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_damaged_key_refused(tmp_path):
    path = tmp_path / "k.key"
    path.write_text("not a key")
    with pytest.raises(PrivacyError):
        load_or_create_key(path)


def test_same_key_same_pseudonym_other_key_other_pseudonym(tmp_path):
    ids = pd.Series(["ABH-2024-00001", "ABH-2024-00002", "ABH-2024-00001 ", None])
    k1, k2 = load_or_create_key(tmp_path / "a"), load_or_create_key(tmp_path / "b")
    p1, p1b, p2 = pseudonymize(ids, k1), pseudonymize(ids, k1), pseudonymize(ids, k2)
    assert p1.tolist() == p1b.tolist()
    assert p1[0] == p1[2]  # canonical form: surrounding blanks do not matter
    assert p1[0] != p1[1]
    assert pd.isna(p1[3])
    assert set(p1.dropna()).isdisjoint(set(p2.dropna()))
    assert p1[0].startswith("V-") and len(p1[0]) == 2 + 32


def test_enumeration_attack_fails_without_key(tmp_path):
    """A plain hash of a file number is reversed by enumerating the number space; ours is not."""
    candidates = [f"ABH-2024-{i:05d}" for i in range(100_000)]
    secret = ["ABH-2024-00042", "ABH-2024-31337", "ABH-2024-99999"]
    # the attack works against an unkeyed hash (proves the test can succeed) ...
    plain = {hashlib.sha256(c.encode()).hexdigest(): c for c in candidates}
    assert [plain[hashlib.sha256(s.encode()).hexdigest()] for s in secret] == secret
    # ... and finds nothing against the keyed pseudonyms, whatever hash truncation it tries
    pseud = pseudonymize(pd.Series(secret), load_or_create_key(tmp_path / "k"))
    bodies = {p[2:] for p in pseud}
    for c in candidates:
        assert hashlib.sha256(c.encode()).digest()[:16].hex() not in bodies


@pytest.mark.parametrize("name", ["Nachname", "Vorname", "Geb.-Datum", "Geburtsdatum",
                                  "AZR-Nummer", "Anschrift", "E-Mail", "Bemerkung",
                                  "case:Familienname", "Passnummer", "Telefon"])
def test_person_columns(name):
    assert is_person_column(name)


@pytest.mark.parametrize("name", ["Vorgangsnummer", "Verfahrensart", "Staatsangehörigkeit",
                                  "Kanal", "Altersgruppe", "case:AMOUNT_REQ"])
def test_not_person_columns(name):
    assert not is_person_column(name)


@pytest.mark.parametrize("kind", ["empty", "blank", "dangling", "folder", "garbage", "short",
                                  "huge"])
def test_unusable_key_file_refused_naming_it(tmp_path, kind):
    """Issue 14: an empty or dangling key file recursed endlessly (exit 1); never replaced."""
    path = tmp_path / "k.key"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "blank":
        path.write_bytes(b" \n")
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "folder":
        path.mkdir()
    elif kind == "garbage":
        path.write_bytes(b"\xff\x00" * 20)
    elif kind == "short":
        path.write_bytes(base64.b64encode(b"x" * 16) + b"\n")
    else:
        path.write_bytes(b"A" * 100_000)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(PrivacyError) as info:
        load_or_create_key(path)
    assert info.value.code == ErrorCode.PRIVACY
    assert info.value.file == str(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created or replaced


def test_key_created_by_a_concurrent_run_is_used(tmp_path, monkeypatch):
    path = tmp_path / "k.key"
    theirs = base64.b64encode(b"t" * 32) + b"\n"
    real_link = os.link

    def link_after_other(src, dst):  # the other run wins the race
        path.write_bytes(theirs)
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link_after_other)
    assert load_or_create_key(path) == b"t" * 32
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]  # no temporary file left


# Headers seen in real exports (issue 14): every one names a person of the public or one of
# their identifiers, and must be dropped by default.
PERSON_HEADERS = [
    "geb.", "Geb.-Dat.", "Tel.-Nr.", "Mobilnummer", "Ausweis-Nr.", "Reisepass", "Kontonummer",
    "Name des Antragstellers", "Antragsteller Name", "Antragstellername", "Kundenname",
    "Vorname", "Nachname", "Anschrift", "Straße", "Str.", "PLZ", "Postleitzahl", "IBAN", "BIC",
    "Steuer-ID", "AZR-Nr.", "AZR-Nummer", "Personalausweisnummer", "Passnr", "E-Mail-Adresse",
    "Mail", "Handy", "Telefonnummer", "Fax", "Date of Birth", "birthDate", "firstName",
    "Applicant name", "Customer name", "Phone", "Mobile", "Street address", "Name", "Wohnort",
    "Geburtsort", "Kundennummer", "case:Nachname", "Bemerkungen",
]
# Canonical and harmless headers: none may be taken for a person column.
NOT_PERSON_HEADERS = [
    *(n for names in KNOWN_NAMES.values() for n in names),
    "Vorgangsname", "Aktivitätsname", "Name der Leistung", "Team Name", "Status name",
    "Aufenthaltszweck", "Gebühr", "Gebühren", "Staatsangehörigkeit", "Kanal", "Hotel",
    "Passierschein", "Gültig von", "Standort", "Rechtsgrundlage", "Altersgruppe",
    "Bearbeitet von", "Personalnummer", "Pers.-Nr.", "Erfasst von", "Antragsart",
]


@pytest.mark.parametrize("name", PERSON_HEADERS)
def test_person_headers_of_real_exports(name):
    assert is_person_column(name)


@pytest.mark.parametrize("name", NOT_PERSON_HEADERS)
def test_no_false_person_columns(name):
    assert not is_person_column(name)


@pytest.mark.parametrize("name", ["Bearbeitet von", "Personalnummer", "Pers.-Nr.",
                                  "Erfasst von", "created by", "case:responsible",
                                  "Zuständige Sachbearbeiterin", "Benutzer"])
def test_staff_headers(name):
    assert is_staff_column(name)


@pytest.mark.parametrize("name", ["Gültig von", "Datum von", "Aufenthaltszweck", "Nachname"])
def test_not_staff_headers(name):
    assert not is_staff_column(name)
