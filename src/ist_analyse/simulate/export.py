"""From simulation records to event logs: the canonical DataFrame, and files as real systems
write them.

- **German CSV** (``.csv``): ``;``-separated, Windows-1252, CRLF, German headers, one row per
  event, local time as ``TT.MM.JJJJ HH:MM``. The quirks of real exports are there on purpose:
  the ``Bearbeiter`` column holds staff ids (``SB07``, ``SP02``, ``SYSTEM``) and is empty for
  events of customers and external parties; events booked from paper or by an interface carry
  only a date (``TT.MM.JJJJ``: documents received by post, fee paid by transfer, eAT delivered,
  BA consent deemed granted, recognition notice); cases are cut at the export date, so many
  are still open. No role column: roles come from the staff table of a mapping file
  (``sample_logs/abh_mapping.toml``), as in a real office.
- **XES** (``.xes``, ``.xes.gz``): written by pm4py's own writer; case attributes are trace
  attributes, ``org:role`` is set.
- **Parquet** (``.parquet``): the canonical log of :mod:`ist_analyse.log`, with the import
  report as metadata, so ``read_log`` loads it unchanged.

The canonical log of the API holds exactly what a reader of the CSV gets (minus
pseudonymisation): date-only events at local midnight, times to the minute, UTC.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import log as L
from ist_analyse.errors import OutputError
from ist_analyse.files import atomic_path, check_output
from ist_analyse.simulate.calendar import DAY
from ist_analyse.simulate.model import ACTIVITIES, ROLES, Office

TIMEZONE = "Europe/Berlin"

#: canonical case attribute -> German export header (the CSV importer maps it back)
CASE_HEADERS = {
    "case_verfahren": "Verfahren",
    "case_aufenthaltszweck": "Aufenthaltszweck",
    "case_kanal": "Kanal",
    "case_regionalgruppe": "Regionalgruppe",
    "case_altersgruppe": "Altersgruppe",
    "case_titel_gueltig_bis": "Titel gültig bis",
}
CSV_COLUMNS = ("Vorgangsnummer", *CASE_HEADERS.values(), "Tätigkeit", "Zeitpunkt",
               "Bearbeiter")

FORMATS = {".csv": "csv", ".xes": "xes", ".gz": "xes", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Frames:
    """All events of the recorded cases (with their complete future) and the case table."""

    events: pd.DataFrame  # canonical columns + t_true (minutes), date_only, cut (bool)
    cases: pd.DataFrame  # one row per recorded case: attributes and simulation facts


def output_format(path: str | Path) -> str:
    """``csv``, ``xes`` or ``parquet`` from the file name.

    Raises:
        OutputError: the suffix is none of .csv, .xes, .xes.gz, .parquet.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"] and suffixes[-2:-1] != [".xes"]:
        raise OutputError("only XES may be gzip-compressed (.xes.gz)", file=path)
    fmt = FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise OutputError(f"unknown output format '{path.suffix or path.name}'", file=path,
                          hint="use .csv (German export), .xes, .xes.gz or .parquet")
    return fmt


def truth_path(path: str | Path) -> Path:
    """``abh.csv`` -> ``abh.truth.json``; ``abh.xes.gz`` -> ``abh.truth.json``."""
    path = Path(path)
    name = path.name
    for suffix in (".xes.gz", ".xes", ".csv", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".truth.json")


def build_frames(office: Office, scenario_name: str) -> Frames:
    """Turn the office's records into the event table and the case table."""
    rec = office.rec
    n = len(rec.t)
    case_no = np.asarray(rec.case, dtype=np.int64)
    t_true = np.asarray(rec.t, dtype=np.float64)
    order = np.lexsort((np.arange(n), t_true, case_no))
    case_no, t_true = case_no[order], t_true[order]
    act = np.asarray(rec.act, dtype=np.int16)[order]
    role = np.asarray(rec.role, dtype=np.int16)[order]
    date_only = np.asarray(rec.date_only, dtype=bool)[order]
    res = np.asarray(rec.res, dtype=object)[order]

    day = np.floor(t_true / DAY)
    prev_same = np.zeros(n, bool)
    prev_same[1:] = case_no[1:] == case_no[:-1]
    prev_day = np.empty(n)
    prev_day[0] = -1
    prev_day[1:] = day[:-1]
    # a date-only event keeps its time if the case had an earlier event that day: otherwise
    # midnight would put it before that event
    trunc = date_only & ~(prev_same & (prev_day == day))
    shown = np.where(trunc, day * DAY, np.floor(t_true))
    origin = np.datetime64(office.cal.origin.isoformat(), "m")
    local = pd.DatetimeIndex(origin + shown.astype("timedelta64[m]"))
    utc = (local.tz_localize(TIMEZONE, ambiguous=np.ones(n, bool),
                             nonexistent="shift_forward")
           .tz_convert("UTC").astype(L.TIMESTAMP_DTYPE))

    cases = _case_table(office)
    ids = cases.set_index("case_no")["case_id"]
    events = pd.DataFrame({
        L.CASE_ID: pd.array(ids.reindex(case_no).to_numpy(), dtype="string"),
        L.ACTIVITY: pd.array(np.asarray(ACTIVITIES, dtype=object)[act], dtype="string"),
        L.TIMESTAMP: utc,
        L.RESOURCE: pd.array(res, dtype="string"),
        L.ROLE: pd.array(np.asarray(ROLES, dtype=object)[role], dtype="string"),
    })
    attrs = cases.set_index("case_no")[list(CASE_HEADERS)]
    for col in CASE_HEADERS:
        events[col] = pd.array(attrs[col].reindex(case_no).to_numpy(), dtype="string")
    events["t_true"] = t_true
    events["date_only"] = trunc
    events["cut"] = t_true >= office.export
    events[L.SOURCE_FILE] = pd.Categorical([f"simulate:{scenario_name}"] * n)
    events[L.SOURCE_ROW] = pd.array(np.arange(1, n + 1), dtype="Int64")
    return Frames(events, cases)


def _case_table(office: Office) -> pd.DataFrame:
    cal = office.cal
    rows: list[dict[str, Any]] = []
    for c in office.cases:
        if not c.record:
            continue
        expiry = None
        if c.expiry is not None:
            expiry = cal.date_of(c.expiry).strftime("%d.%m.%Y")
        rows.append({
            "case_no": c.no, "case_id": c.id,
            "case_verfahren": c.procedure, "case_aufenthaltszweck": c.purpose,
            "case_kanal": c.channel, "case_regionalgruppe": c.region,
            "case_altersgruppe": c.age, "case_titel_gueltig_bis": expiry,
            "expiry_min": c.expiry, "late": c.late, "new_process": c.new,
            "needs_ba": c.needs_ba, "needs_security": c.needs_security,
            "reject_reason": c.reject, "simple": c.simple,
            "closed_min": c.closed,
        })
    return pd.DataFrame(rows, columns=[
        "case_no", "case_id", *CASE_HEADERS, "expiry_min", "late", "new_process", "needs_ba",
        "needs_security", "reject_reason", "simple", "closed_min"])


def canonical(events: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """The canonical event log (:mod:`ist_analyse.log`) of an event table."""
    keep = [L.CASE_ID, L.ACTIVITY, L.TIMESTAMP, L.RESOURCE, L.ROLE, *CASE_HEADERS]
    out = events[keep].copy()
    if source is None:
        source = str(events[L.SOURCE_FILE].iloc[0]) if len(events) else "simulate"
    out[L.SOURCE_FILE] = pd.Categorical([source] * len(out))
    out[L.SOURCE_ROW] = pd.array(np.arange(1, len(out) + 1), dtype="Int64")
    return L.validate_log(L.finalize_log(out))


# ---- writers ------------------------------------------------------------------------------------

def write_log(events: pd.DataFrame, path: str | Path, *, description: str) -> Path:
    """Write the exported events (``cut`` rows left out) in the format the suffix names."""
    path = Path(path)
    fmt = output_format(path)
    check_output(path)
    exported = events.loc[~events["cut"]].reset_index(drop=True)
    if fmt == "csv":
        return write_csv_de(exported, path)
    if fmt == "xes":
        return write_xes(exported, path)
    return write_parquet(exported, path, description=description)


def csv_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The rows of the German CSV export (text, as the case system writes them)."""
    local = events[L.TIMESTAMP].dt.tz_convert(TIMEZONE)
    stamp = local.dt.strftime("%d.%m.%Y %H:%M").astype(object)
    dates = local.dt.strftime("%d.%m.%Y").astype(object)
    only = events["date_only"].to_numpy(bool)
    stamp = np.where(only, dates, stamp)
    out = {"Vorgangsnummer": events[L.CASE_ID].astype(object)}
    for col, header in CASE_HEADERS.items():
        out[header] = events[col].astype(object)
    out["Tätigkeit"] = events[L.ACTIVITY].astype(object)
    out["Zeitpunkt"] = stamp
    out["Bearbeiter"] = events[L.RESOURCE].astype(object)
    return pd.DataFrame(out, columns=list(CSV_COLUMNS)).fillna("")


def write_csv_de(events: pd.DataFrame, path: Path) -> Path:
    text = csv_frame(events).to_csv(sep=";", index=False, lineterminator="\r\n")
    data = text.encode("cp1252")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_xes(events: pd.DataFrame, path: Path) -> Path:
    from ist_analyse._pm4py import pm4py, to_pm4py

    log = canonical(events).drop(columns=[L.SOURCE_FILE, L.SOURCE_ROW])
    df = to_pm4py(log)
    for col in df.columns:  # pm4py's writer wants plain objects, not pandas' string dtype
        if str(df[col].dtype) == "string":
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    suffix = ".xes.gz" if path.name.lower().endswith(".gz") else ".xes"
    with atomic_path(path) as tmp:
        target = tmp.with_name(tmp.name + suffix)  # pm4py compresses by the suffix
        try:
            # pm4py's own line-by-line writer: its optional Rust backend (rustxes 0.2)
            # writes microsecond timestamps as dates in 1970
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")  # and pm4py's own progress bar: silence
                pm4py().write_xes(df, str(target), case_id_key="case:concept:name",
                                  variant_str="line_by_line")
            target.replace(tmp)
        finally:
            target.unlink(missing_ok=True)
    return path


def write_parquet(events: pd.DataFrame, path: Path, *, description: str) -> Path:
    from ist_analyse.io.export import write_log as write_canonical
    from ist_analyse.io.pipeline import ImportReport, ImportResult

    log = canonical(events, source=path.name)
    report = ImportReport(source=path.name, format="simulation", events_read=len(log),
                          rows=len(log), events=len(log),
                          activity_events=log[L.ACTIVITY].value_counts().to_dict(),
                          notes=[description, "synthetic: case and staff ids are not "
                                 "pseudonymised (they belong to nobody)"])
    report.date_only = int(events["date_only"].sum())
    write_canonical(ImportResult(log, report), path)
    return path
