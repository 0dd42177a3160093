"""Privacy at import: keyed pseudonyms, person columns dropped, staff shown only as roles.

Authority case data are personal data, and any figure per staff member is co-determination
territory (domain.md §8). So the defaults protect: case and staff ids become HMAC-SHA256
pseudonyms under a secret key that stays in the office (a plain hash of ``ABH-2024-00001`` is
reversed by enumerating 10^5 candidates in a second; a keyed hash is not), and columns that
identify persons are dropped with a notice. The same key gives the same pseudonyms, so two
exports of the same office can be joined; destroying the key makes the outputs unlinkable.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import os
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from ist_analyse.config import default_key_file
from ist_analyse.errors import PrivacyError
from ist_analyse.io.mapping import fold, fold_words

if TYPE_CHECKING:  # pandas loads on first use: the Polars path of the analyses checks
    import pandas as pd  # pseudonyms (is_pseudonym_pattern, same_key) without it

KEY_BYTES = 32
#: Prefixes of the pseudonyms of case ids and of staff ids.
CASE_PSEUDONYM, STAFF_PSEUDONYM = "V-", "M-"

#: Folded header names of columns that identify persons (or may, like free text).
PERSON_COLUMNS = frozenset(fold(n) for n in (
    "name", "vorname", "nachname", "familienname", "geburtsname", "vollstaendiger name",
    "kundenname", "antragsteller", "antragstellerin", "kunde", "firstname", "first name",
    "lastname", "last name", "surname", "full name", "fullname",
    "geburtsdatum", "geb.-datum", "gebdatum", "geburtstag", "geburtsort", "birthdate",
    "birth date", "date of birth", "dateofbirth", "dob",
    "anschrift", "adresse", "strasse", "hausnummer", "wohnort", "address", "street",
    "e-mail", "email", "mail", "telefon", "telefonnummer", "tel", "mobil", "handy", "phone",
    "azr", "azr-nummer", "azrnummer", "azr-nr", "azrnr", "passnummer", "reisepassnummer",
    "passnr", "ausweisnummer", "passport", "passport number", "iban", "steuer-id",
    "steueridentifikationsnummer", "sozialversicherungsnummer",
    "bemerkung", "bemerkungen", "kommentar", "notiz", "notizen", "freitext", "comment",
    "comments", "note", "notes",
))
#: Fragments that mark a person column anywhere in a folded header: long enough to be
#: unambiguous inside German compounds (``Mobilnummer``, ``Kontoinhaber``, ``Personalausweis``).
PERSON_FRAGMENTS = (
    "geburts", "gebdat", "birth", "vorname", "nachname", "familienname", "firstname",
    "lastname", "surname", "fullname", "anschrift", "adresse", "address", "strasse", "street",
    "wohnort", "postleitzahl", "hausnummer", "hausnr", "email", "telefon", "phone", "mobilnr",
    "mobilnummer", "mobiltel", "handy", "faxnummer", "ausweis", "reisepass", "passnummer",
    "passnr", "passport", "azr", "konto", "iban", "bankverbindung", "steuerid",
    "steueridentifikation", "steuernummer", "taxid", "sozialversicherung",
    "rentenversicherungsnummer", "kundennummer", "kundennr", "bemerkung", "kommentar",
    "freitext",
)
#: Header words that mark a person column only as a whole word; inside a compound they are
#: too short to be sure (``Pass`` in ``Passierschein``, ``Tel`` in ``Hotel``, ``Geb`` in
#: ``Gebühr``, ``PLZ`` in nothing but better safe).
PERSON_TOKENS = frozenset((
    "name", "namen", "geb", "gebdat", "geboren", "dob", "tel", "telnr", "fon", "fax",
    "mobil", "mobile", "mail", "pass", "plz", "str", "bic", "svnr", "antragsteller",
    "antragstellerin", "antragstellers", "kunde", "kunden", "applicant", "customer", "person",
    "ehegatte", "ehegattin",
))
#: With these words beside it, ``name`` names a thing, not a person (``Name der Leistung``,
#: ``Team name``); compounds such as ``Vorgangsname`` or ``Aktivitätsname`` are one word and
#: are person columns only after a person word (:data:`PERSON_NAME_PREFIXES`).
NAMED_THINGS = (
    "concept", "vorgang", "verfahren", "aktivitaet", "activity", "schritt", "step", "ereignis",
    "event", "status", "prozess", "process", "team", "rolle", "role", "org", "amt", "behoerde",
    "abteilung", "referat", "dienststelle", "standort", "location", "datei", "file",
    "dokument", "document", "leistung", "produkt", "product", "anliegen", "formular", "form",
    "zweck", "titel", "task", "aufgabe", "queue", "kanal", "channel", "system", "tabelle",
    "table", "spalte", "column", "feld", "field",
)
#: Compounds ending in ``name`` that name a person: ``Antragstellername``, ``Kundenname``.
PERSON_NAME_PREFIXES = ("antragsteller", "kunde", "person", "ehegatt", "ruf", "maedchen",
                        "geburt", "vater", "mutter", "kind", "applicant", "customer")

#: Fragments of headers holding staff ids besides the resource column (XES
#: ``case:responsible``, ``Personalnummer``, ``Bearbeitet von``): pseudonymised like
#: ``resource``, not dropped, so they still link.
STAFF_FRAGMENTS = ("responsible", "verantwortlich", "zustaendig", "sachbearbeiter",
                   "bearbeiter", "mitarbeiter", "owner", "assignee", "resource", "kennung",
                   "benutzer", "personalnummer", "personalnr", "persnr")
#: ``<participle> von`` / ``<participle> by`` names who did it (``Bearbeitet von``,
#: ``Erfasst von``, ``created by``); ``Gültig von`` is a date and stays what it is.
STAFF_PARTICIPLES = frozenset((
    "bearbeitet", "erledigt", "erfasst", "angelegt", "geaendert", "geprueft", "freigegeben",
    "erstellt", "zugewiesen", "unterschrieben", "abgeschlossen", "entschieden", "created",
    "modified", "updated", "approved", "assigned", "processed", "edited", "closed",
))


def is_staff_column(name: str) -> bool:
    """True for headers such as ``case:responsible``, ``Zuständige Sachbearbeiterin``,
    ``Personalnummer`` or ``Bearbeitet von``."""
    f = fold(name.removeprefix("case:"))
    if any(frag in f for frag in STAFF_FRAGMENTS):
        return True
    words = fold_words(name)
    return (len(words) >= 2 and words[-1] in ("von", "by")
            and words[-2] in STAFF_PARTICIPLES)


def is_person_column(name: str) -> bool:
    """True for headers that name a person of the public or their identifiers.

    Recognised by the whole folded header (``Nachname``), by a fragment anywhere in it
    (``Mobilnummer``, ``Geb.-Datum``, ``Ausweis-Nr.``, ``Kontonummer``), by a whole word
    (``geb.``, ``Tel.-Nr.``, ``PLZ``, ``Name des Antragstellers``), or as a compound of a
    person word and ``name`` (``Antragstellername``). Staff-id columns are not person
    columns: they are pseudonymised (:func:`is_staff_column`), checked first by the import.
    """
    f = fold(name.removeprefix("case:"))
    if f in PERSON_COLUMNS or any(frag in f for frag in PERSON_FRAGMENTS):
        return True
    words = fold_words(name)
    for i, word in enumerate(words):
        if word in ("name", "namen"):
            others = words[:i] + words[i + 1:]
            if not any(thing in w for w in others for thing in NAMED_THINGS):
                return True
        elif word in PERSON_TOKENS:
            return True
        elif word.endswith("name") and word[:-4].startswith(PERSON_NAME_PREFIXES):
            return True
    return False


def load_or_create_key(path: Path | None = None) -> bytes:
    """Return the pseudonym key, creating a random 256-bit key (mode 0600) on first use.

    The key file lives outside every output folder (default: the user's config directory) and
    is never printed or written into a result. A key file that exists but cannot be used
    (empty, not 32 bytes of base64, a folder, a symbolic link to nothing) is refused with a
    :class:`PrivacyError`, never replaced: a new key would silently give other pseudonyms, and
    the link to earlier exports would be lost.

    A new key is written to a temporary file and then hard-linked to its name, so the key file
    appears whole or not at all: a run started at the same moment reads the complete key of
    the other, never an empty file.
    """
    path = Path(path) if path is not None else default_key_file()
    key = _read_key(path)
    if key is not None:
        return key
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    except OSError as exc:
        raise PrivacyError(f"cannot create the pseudonym key: {exc.strerror}",
                           file=path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(key) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:  # created by a concurrent run: use theirs
        key = _read_key(path)
        if key is None:
            raise PrivacyError("the pseudonym key file vanished while it was created",
                               file=path) from None
    except OSError as exc:
        raise PrivacyError(f"cannot create the pseudonym key: {exc.strerror}",
                           file=path) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return key


#: A key file is one line of base64 (45 bytes); anything much longer is not a key file.
_KEY_FILE_MAX = 1024


def _read_key(path: Path) -> bytes | None:
    """The key stored at ``path``; ``None`` if there is no file; PrivacyError if unusable."""
    damaged = "restore it from a backup; a new key (delete the file) would give different " \
              "pseudonyms, unlinkable to earlier exports"
    try:
        with open(path, "rb") as fh:
            data = fh.read(_KEY_FILE_MAX + 1)
    except FileNotFoundError:
        if path.is_symlink():
            raise PrivacyError("the pseudonym key file is a symbolic link to a file that does "
                               "not exist", file=path, hint=damaged) from None
        return None
    except OSError as exc:
        raise PrivacyError(f"cannot read the pseudonym key: {exc.strerror}",
                           file=path) from exc
    if not data.strip():
        raise PrivacyError("the pseudonym key file is empty", file=path, hint=damaged)
    try:
        key = base64.b64decode(data.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise PrivacyError("the pseudonym key file is damaged (expected 32 bytes, base64)",
                           file=path, hint=damaged)
    return key


def key_check(key: bytes) -> str:
    """A fingerprint of the key, stored with a pseudonymised log (``ImportReport.key_check``).

    When the log is read again it proves that its pseudonyms were made with the key in use,
    so they are kept, not hashed again; anything else is pseudonymised anew (metadata is
    checked, never trusted). It is an HMAC of a fixed text under the key: it reveals nothing
    about the key and cannot be computed without it.
    """
    return hmac.digest(key, b"ist-analyse pseudonym key check", "sha256")[:16].hex()


def same_key(stored: object, key: bytes) -> bool:
    """True if ``stored`` (from a file's metadata) is the :func:`key_check` of ``key``."""
    return isinstance(stored, str) and hmac.compare_digest(stored, key_check(key))


def pseudonym_pattern(prefix: str) -> str:
    """The regular expression a whole pseudonym with ``prefix`` matches (no anchors)."""
    return f"{prefix}[0-9a-f]{{32}}"


def pseudonymize(values: pd.Series, key: bytes, prefix: str = "V-") -> pd.Series:
    """Replace each value by ``prefix`` + 32 hex digits of HMAC-SHA256 (128 bits).

    Values are canonicalised first (surrounding blanks removed, Unicode NFC), so ``ABH-1 `` and
    ``ABH-1`` get one pseudonym. Missing values stay missing. Each distinct value is hashed once.
    """
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = pd.array([*pseudonyms(uniques.tolist(), key, prefix), pd.NA], dtype="string")
    return pd.Series(table[codes], index=values.index, dtype="string")


def pseudonyms(distinct: list[object], key: bytes, prefix: str) -> list[str]:
    """The pseudonym of each value (the one rule behind :func:`pseudonymize`, for callers
    that hold the distinct values themselves, such as the Polars path of the analyses)."""
    digest, nfc = hmac.digest, unicodedata.normalize
    return [prefix + digest(key, nfc("NFC", str(u).strip()).encode("utf-8"), "sha256")[:16].hex()
            for u in distinct]
