"""Import and privacy settings: defaults, then a mapping file (TOML), then explicit options.

One frozen dataclass carries every setting an importer needs, so that the CLI, notebooks and
tests describe an import the same way. A mapping file fills whatever the caller left unset;
an option given explicitly (CLI flag or keyword) always wins.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ist_analyse.errors import ConfigError

#: Canonical roles a source column can be mapped to (see :mod:`ist_analyse.log`).
MAPPABLE_ROLES = (
    "case_id",
    "activity",
    "timestamp",
    "start_time",
    "resource",
    "role",
    "org_unit",
    "lifecycle",
)

FORMATS = ("csv", "excel", "xes", "parquet", "postgresql", "duckdb")

DEFAULT_TIMEZONE = "Europe/Berlin"

#: Minimum group size: no figure and no label describes fewer cases (domain.md §8: k >= 5).
K_MIN_DEFAULT = 5

#: Decompressed-size cap for compressed inputs (.xes.gz, .xlsx): a gzip or zip bomb is refused.
DEFAULT_MAX_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class ImportOptions:
    """How to read one event-log source. Every field left ``None`` is guessed or defaulted.

    Attributes:
        format: force a reader ("csv", "excel", "xes", "parquet", "postgresql", "duckdb");
            by default chosen from the file suffix or the URL scheme.
        sep, encoding, decimal: CSV dialect; guessed when ``None`` (";" "," or tab; UTF-8,
            UTF-8 with BOM or cp1252; "," when the separator is ";").
        date_format: strftime format (``%d.%m.%Y %H:%M``) or German notation
            (``TT.MM.JJJJ HH:MM``) for text timestamps; guessed per column when ``None``.
        timezone: the zone naive local timestamps are read in.
        sheet: Excel sheet name or 1-based number (default: the first sheet).
        table, query: what to read from a database (exactly one of them).
        mapping_file: TOML file with column names, dialect, staff roles, privacy lists.
        columns: canonical role -> source column name, overriding auto-recognition.
        end_activities: activities that close a case; a case without one is "open".
        skip_bad_rows: drop unreadable rows (counted and reported) instead of failing.
        pseudonymize: replace case ids and staff ids by keyed pseudonyms (default on).
        drop_person_columns: drop columns that identify persons (default on).
        key_file: where the pseudonym key lives (default: user config directory).
        staff_roles: staff id -> role or team, so figures can be shown per role.
        drop_columns, keep_columns: extra columns to drop / to keep despite the person rules.
        keep_rare_labels: keep activity labels and attribute values that fewer than ``k_min``
            cases use (default: replaced by one counted group, ``(seltene Bezeichnungen: N)``).
        k_min: minimum group size for that rule (the analyses' ``k_min`` is passed on).
        max_bytes: cap on the decompressed size of compressed inputs.
        export_time: when the source was exported (default: now); events after it are
            implausible and left out (:func:`ist_analyse.io.dates.implausible_dates`).
    """

    format: str | None = None
    sep: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    date_format: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    sheet: str | None = None
    table: str | None = None
    query: str | None = None
    mapping_file: Path | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    end_activities: tuple[str, ...] = ()
    skip_bad_rows: bool = False
    pseudonymize: bool = True
    drop_person_columns: bool = True
    key_file: Path | None = None
    staff_roles: Mapping[str, str] = field(default_factory=dict)
    drop_columns: tuple[str, ...] = ()
    keep_columns: tuple[str, ...] = ()
    keep_rare_labels: bool = False
    k_min: int = K_MIN_DEFAULT
    max_bytes: int = DEFAULT_MAX_BYTES
    export_time: dt.datetime | None = None

    def with_mapping_file(self) -> ImportOptions:
        """Fill unset fields from :attr:`mapping_file`; explicit settings win."""
        if self.mapping_file is None:
            return self
        from_file = load_mapping_file(self.mapping_file)
        defaults = ImportOptions()
        updates: dict[str, Any] = {}
        for name, value in from_file.items():
            current = getattr(self, name)
            if name in ("columns", "staff_roles"):
                updates[name] = {**value, **current}
            elif name in ("drop_columns", "keep_columns", "end_activities"):
                updates[name] = tuple(dict.fromkeys((*value, *current)))
            elif current == getattr(defaults, name):
                updates[name] = value
        return replace(self, **updates)


_FILE_SECTIONS: dict[str, dict[str, str]] = {
    "csv": {"sep": "sep", "encoding": "encoding", "decimal": "decimal",
            "date_format": "date_format"},
    "import": {"format": "format", "timezone": "timezone", "sheet": "sheet", "table": "table",
               "query": "query", "end_activities": "end_activities",
               "date_format": "date_format", "skip_bad_rows": "skip_bad_rows"},
    "privacy": {"drop_columns": "drop_columns", "keep_columns": "keep_columns",
                "pseudonymize": "pseudonymize", "drop_person_columns": "drop_person_columns",
                "keep_rare_labels": "keep_rare_labels", "key_file": "key_file"},
}


def load_mapping_file(path: Path) -> dict[str, Any]:
    """Read a mapping file and return the ImportOptions fields it sets.

    Format (every section optional)::

        [columns]                 # canonical role = source column
        case_id = "Vorgangsnummer"
        activity = "Tätigkeit"
        timestamp = "Zeitpunkt"

        [csv]
        sep = ";"
        encoding = "cp1252"
        decimal = ","
        date_format = "TT.MM.JJJJ HH:MM"

        [import]
        end_activities = ["Vorgang abgeschlossen"]

        [staff]                   # staff id = role or team
        "SB-07" = "Sachbearbeitung"

        [privacy]
        drop_columns = ["Bemerkung"]
        keep_columns = []
    """
    path = Path(path)
    _, data = read_toml(path, "mapping file")
    known = {"columns", "staff", *_FILE_SECTIONS}
    for section in data:
        if section not in known:
            raise ConfigError(
                f"unknown section [{section}]", file=path,
                hint=f"known sections: {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    columns = data.get("columns", {})
    _check_table(columns, "columns", path)
    for role, col in columns.items():
        if role not in MAPPABLE_ROLES:
            raise ConfigError(f"[columns] names unknown role '{role}'", file=path,
                              hint=f"roles: {', '.join(MAPPABLE_ROLES)}")
        if not isinstance(col, str) or not col:
            raise ConfigError(f"[columns] {role} must be a column name (text)", file=path)
    if columns:
        out["columns"] = dict(columns)
    staff = data.get("staff", {})
    _check_table(staff, "staff", path)
    if staff:
        out["staff_roles"] = {str(k): str(v) for k, v in staff.items()}
    valid_names = {f.name for f in fields(ImportOptions)}
    for section, keys in _FILE_SECTIONS.items():
        table = data.get(section, {})
        _check_table(table, section, path)
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"[{section}] has unknown key '{key}'", file=path,
                                  hint=f"known keys: {', '.join(sorted(keys))}")
            name = keys[key]
            assert name in valid_names
            if name in ("end_activities", "drop_columns", "keep_columns"):
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"[{section}] {key} must be a list of texts", file=path)
                value = tuple(value)
            elif name in ("skip_bad_rows", "pseudonymize", "drop_person_columns",
                          "keep_rare_labels"):
                if not isinstance(value, bool):
                    raise ConfigError(f"[{section}] {key} must be true or false", file=path)
            elif name == "key_file":
                value = Path(os.path.expanduser(str(value)))
            elif not isinstance(value, str | int):
                raise ConfigError(f"[{section}] {key} must be a text", file=path)
            else:
                value = str(value)
            out[name] = value
    return out


def read_toml(path: Path, what: str) -> tuple[str, dict[str, Any]]:
    """Read a TOML file a user wrote; return its text and data.

    Raises:
        ConfigError: missing, not UTF-8, or not TOML; a syntax error names line and column.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} is not UTF-8 text", file=path) from exc
    except OSError as exc:  # a folder, no permission
        raise ConfigError(f"cannot read the {what}: {exc.strerror}", file=path) from None
    try:
        return text, tomllib.loads(text)
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"not valid TOML: values nested too deeply (a {what} needs two "
                          "levels)", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 puts the position only into the text: "Invalid value (at line 2, column 7)"
        m = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
        if m:
            raise ConfigError(f"not valid TOML: {m.group(1)} (column {m.group(3)})", file=path,
                              row=int(m.group(2))) from exc
        raise ConfigError(f"not valid TOML: {exc}", file=path) from exc


def _check_table(value: Any, section: str, path: Path) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"[{section}] must be a table", file=path)


_GERMAN_TOKENS = [("JJJJ", "%Y"), ("YYYY", "%Y"), ("TT", "%d"), ("DD", "%d"), ("MM", "%m"),
                  ("JJ", "%y"), ("hh", "%H"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"),
                  ("SS", "%S")]


def normalize_date_format(fmt: str) -> str:
    """Accept strftime (``%d.%m.%Y %H:%M``) or German notation (``TT.MM.JJJJ HH:MM``).

    In German notation ``MM`` before the time part is the month and after ``HH:`` the minute,
    as users write it.
    """
    if "%" in fmt:
        return fmt
    date_part, _, time_part = fmt.partition(" ")
    out = date_part
    for token, code in _GERMAN_TOKENS[:6]:
        out = out.replace(token, code)
    if time_part:
        t = time_part
        t = re.sub(r"HH|hh", "%H", t)
        t = re.sub(r"MM|mm", "%M", t)
        t = re.sub(r"SS|ss", "%S", t)
        out += " " + t
    if "%" not in out:
        raise ConfigError(f"date format '{fmt}' has no date fields",
                          hint="use e.g. 'TT.MM.JJJJ HH:MM' or '%d.%m.%Y %H:%M'")
    return out


def german_date_notation(fmt: str) -> str:
    """The reverse of :func:`normalize_date_format`, for messages users understand."""
    table = {"%d": "TT", "%m": "MM", "%Y": "JJJJ", "%y": "JJ", "%H": "HH", "%M": "MM",
             "%S": "SS"}
    return re.sub(r"%[dmYyHMS]", lambda m: table[m.group(0)], fmt)


def default_key_file() -> Path:
    """Where the pseudonym key lives unless told otherwise: outside any output folder."""
    env = os.environ.get("IST_ANALYSE_KEY_FILE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ist-analyse" / "pseudonym.key"


def parse_day(value: Any, what: str = "date") -> dt.date:
    """A calendar day from ``date``/``datetime``, ``JJJJ-MM-TT`` or ``TT.MM.JJJJ`` (the two ways
    German users write a date on the command line); ``what`` names it in the error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", text):
            return dt.datetime.strptime(text, "%d.%m.%Y").date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"the {what} {text!r} is not a date",
                          hint="write it as JJJJ-MM-TT or TT.MM.JJJJ, e.g. 2024-07-01") from None
