"""Which source column plays which canonical role: explicit mapping first, then known names.

Case systems export the same thing under many names (Aktenzeichen, Vorgangsnummer, Fall-Nr.);
process-mining tools use the XES keys. Known names are compared after folding case, umlauts and
punctuation, so ``Tätigkeit``, ``TAETIGKEIT`` and ``taetigkeit`` all match.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ist_analyse.errors import ErrorCode, MappingError

#: Known header names per role, most specific first. Folded with :func:`fold`.
KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "case_id": (
        "case:concept:name", "case_id", "caseid", "case", "case id", "case number",
        "aktenzeichen", "az", "vorgangsnummer", "vorgangsnr", "vorgangs-nr", "vorgang",
        "vorgangs-id", "vorgangsid", "fallnummer", "fallnr", "fall-nr", "fall", "fall-id",
        "antragsnummer", "antragsnr", "antrags-id", "geschaeftszeichen", "verfahrensnummer",
    ),
    "activity": (
        "concept:name", "activity", "activity name", "event", "task",
        "taetigkeit", "aktivitaet", "bearbeitungsschritt", "schritt", "vorgangsschritt",
        "ereignis", "aktion", "status", "statusaenderung",
    ),
    "timestamp": (
        "time:timestamp", "timestamp", "complete timestamp", "end_time", "end time", "end",
        "zeitpunkt", "zeitstempel", "datum/uhrzeit", "datum uhrzeit", "datum", "zeit",
        "ende", "endzeit", "erledigt am", "abgeschlossen am", "buchungsdatum",
    ),
    "start_time": (
        "start_timestamp", "start_time", "start timestamp", "start time", "start",
        "beginn", "startzeit", "begonnen am", "anfang",
    ),
    "resource": (
        "org:resource", "resource", "user", "bearbeiter", "bearbeiterin", "sachbearbeiter",
        "sachbearbeiterin", "mitarbeiter", "mitarbeiterin", "benutzer", "benutzerkennung",
        "kennung", "bearbeiterkennung",
    ),
    "role": ("org:role", "role", "rolle", "team", "sachgebiet", "funktion"),
    "org_unit": (
        "org:group", "org_unit", "organisationseinheit", "org-einheit", "orgeinheit",
        "abteilung", "referat", "amt", "dienststelle", "fachbereich",
    ),
    "lifecycle": ("lifecycle:transition", "lifecycle", "lebenszyklus", "transition"),
}

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(name: str) -> str:
    """Fold a header for comparison: lower case, umlauts spelled out, only letters and digits
    (``:`` kept, it separates XES prefixes)."""
    text = unicodedata.normalize("NFC", str(name)).strip().lower().translate(_UMLAUTS)
    return re.sub(r"[^a-z0-9:]", "", text)


def fold_words(name: str) -> list[str]:
    """A header as folded words (XES ``case:`` prefix removed): ``Geb.-Dat.`` -> ``geb dat``,
    ``birthDate`` -> ``birth date``, ``Name des Antragstellers`` -> three words."""
    text = re.sub(r"([a-zäöüß])([A-ZÄÖÜ])", r"\1 \2",
                  unicodedata.normalize("NFC", str(name).removeprefix("case:")))
    return [w for w in re.split(r"[^a-z0-9]+", text.lower().translate(_UMLAUTS)) if w]


def slug(name: str) -> str:
    """A plain name for an extra column: ``Aufenthalts-Zweck`` -> ``aufenthalts_zweck``."""
    text = unicodedata.normalize("NFC", str(name)).strip().lower().translate(_UMLAUTS)
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text or "column"


_KNOWN_FOLDED = {role: [fold(n) for n in names] for role, names in KNOWN_NAMES.items()}
_ALL_KNOWN = frozenset(n for names in _KNOWN_FOLDED.values() for n in names)


def names_a_known_column(fields: Iterable[str], mapped: Iterable[str] = ()) -> bool:
    """True if one of ``fields`` is a known column name or one the mapping names: the record
    is a header (used to tell a title line above the header from the header itself)."""
    wanted = _ALL_KNOWN | {fold(m) for m in mapped}
    return any(fold(f) in wanted for f in fields)


@dataclass
class ResolvedMapping:
    """The outcome of mapping: role -> source column, and how each was found."""

    roles: dict[str, str] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)  # role -> "mapping" | "recognised"

    def as_rows(self) -> list[dict[str, str]]:
        return [{"role": r, "column": c, "how": self.how[r]} for r, c in self.roles.items()]


def resolve_columns(
    columns: Iterable[str],
    explicit: Mapping[str, str],
    *,
    file: str,
    required: Iterable[str] = ("case_id", "activity", "timestamp"),
) -> ResolvedMapping:
    """Map source columns to canonical roles.

    Explicit names win; they must exist (case-insensitive match allowed). Every other role is
    filled from :data:`KNOWN_NAMES` by the most specific match. A source column serves at most
    one role.

    Raises:
        MappingError: an explicitly named column is absent, or a required role has no column;
            the message lists the columns found and the closest match.
    """
    cols = [str(c) for c in columns]
    folded = {}
    for c in cols:
        folded.setdefault(fold(c), c)
    result = ResolvedMapping()
    used: set[str] = set()
    for role, name in explicit.items():
        col = name if name in cols else folded.get(fold(name))
        if col is None:
            raise MappingError(
                f"column '{name}' (mapped to {role}) not found",
                file=file, hint=_found_hint(cols, name))
        result.roles[role] = col
        result.how[role] = "mapping"
        used.add(col)
    for role, candidates in _KNOWN_FOLDED.items():
        if role in result.roles:
            continue
        for cand in candidates:
            col = folded.get(cand)
            if col is not None and col not in used:
                result.roles[role] = col
                result.how[role] = "recognised"
                used.add(col)
                break
    for role in required:
        if role not in result.roles:
            guess = _closest(cols, KNOWN_NAMES[role], used)
            hint = f"columns found: {', '.join(cols) or '(none)'}"
            if guess:
                hint += f"; closest match: '{guess}' (use --{role.replace('_', '-')}-col "
                hint += f"'{guess}' or [columns] {role} = \"{guess}\" in a mapping file)"
            else:
                hint += (f"; name the column with --{role.replace('_', '-')}-col or in a "
                         "mapping file")
            raise MappingError(f"no column for the required field '{role}'", file=file,
                               hint=hint, code=ErrorCode.MISSING_COLUMN)
    return result


def _closest(cols: list[str], names: Iterable[str], used: set[str]) -> str | None:
    free = [c for c in cols if c not in used]
    best, best_score = None, 0.0
    for c in free:
        for n in names:
            score = difflib.SequenceMatcher(None, fold(c), fold(n)).ratio()
            if score > best_score:
                best, best_score = c, score
    return best if best_score >= 0.6 else None


def _found_hint(cols: list[str], name: str) -> str:
    close = difflib.get_close_matches(name, cols, n=1, cutoff=0.5)
    hint = f"columns found: {', '.join(cols) or '(none)'}"
    if close:
        hint += f"; closest match: '{close[0]}'"
    return hint
