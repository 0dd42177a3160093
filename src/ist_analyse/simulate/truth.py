"""Ground truth of a simulation run: what is really true in the log, before and after.

An analysis of the exported log sees cases cut at the export date. The simulator does not
stop there: it keeps running (with new arrivals, so the load stays realistic) until every case
of the export has closed, and records their complete future. The truth is computed from those
complete records, with the timestamps exactly as the export shows them (date-only events at
midnight, times to the minute), so a perfect analysis of an uncensored log would find exactly
these numbers.

Cohorts are defined by case start (the first event of a case, as in
research/comparison_methods.md §7): ``before`` = cases starting in [start, change), ``after``
= cases starting in [change, export). Every case of a cohort counts, including those still
open at the export date. Durations are in days (24 h), waits on site in minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import __version__
from ist_analyse import log as L
from ist_analyse.simulate import model as M
from ist_analyse.simulate.params import Scenario, params_dict

#: (name, from, to): waits between steps, each occurrence of ``from`` to the next ``to``
KEY_TRANSITIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Vorlauf Termin", M.TERMINANFRAGE, (M.CHECK_IN,)),
    ("Terminvergabe", M.TERMINANFRAGE, (M.TERMIN_VERGEBEN,)),
    ("Erste Reaktion", M.ANTRAG, (M.PRUEFUNG,)),
    ("Nachreichung", M.NACHGEFORDERT, (M.NACHGEREICHT,)),
    ("Prüfung nach Nachreichung", M.NACHGEREICHT, (M.PRUEFUNG,)),
    ("BA-Beteiligung", M.BA_ANGEFRAGT, (M.BA_ERTEILT, M.BA_FINGIERT, M.BA_VERSAGT)),
    ("Sicherheitsabfrage", M.SICHERHEIT_GESTELLT, (M.SICHERHEIT_ERGEBNIS,)),
    ("Antrag bis Entscheidung", M.ANTRAG, (M.ERTEILUNG, M.ABLEHNUNG)),
    ("Entscheidung bis Bestellung", M.ERTEILUNG, (M.EAT_BESTELLT,)),
    ("eAT-Produktion", M.EAT_BESTELLT, (M.EAT_GELIEFERT,)),
    ("Aushändigung", M.EAT_GELIEFERT, (M.EAT_AUSGEHAENDIGT,)),
    ("Abschluss", M.EAT_AUSGEHAENDIGT, (M.ABGESCHLOSSEN,)),
)

#: KPIs (per cohort) and what they mean; the first ones are the headline KPIs
KPI_DOC = {
    "cases": "cases starting in the period",
    "open_at_export": "of these, still open at the export date",
    "e2e_median_days": "median days from the first event to 'Vorgang abgeschlossen'",
    "e2e_mean_days": "mean of the same",
    "e2e_p90_days": "90th percentile of the same",
    "decision_median_days": "median days from 'Antrag eingegangen' to the decision",
    "share_decision_over_90_days": "share of decided cases decided > 90 days after the "
                                   "application (§75 VwGO risk)",
    "rework_share": "share of cases with >= 1 'Unterlagen nachgefordert'",
    "rework_loops_mean": "mean number of document requests per case",
    "no_show_share": "'Termin nicht wahrgenommen' per 'Termin vergeben'",
    "enquiries_per_case": "mean 'Sachstandsanfrage' per case",
    "fiktion_share": "share of cases with >= 1 Fiktionsbescheinigung",
    "decided_after_expiry_share": "share of timely applications (with a title that "
                                  "expires) decided after the expiry date",
    "after_expiry_without_fiktion": "of these cases, decided after expiry without any "
                                    "Fiktionsbescheinigung (compliance flag)",
    "onsite_wait_median_min": "median minutes from 'Vorsprache/Check-in' to the next step "
                              "at the desk",
    "appointment_lead_median_days": "median days from 'Terminanfrage gestellt' to the visit",
    "rejection_share": "share of decided cases rejected",
    "ba_fiction_share": "share of BA requests ending in 'BA-Zustimmung fingiert'",
}
HEADLINE = ("e2e_median_days", "decision_median_days", "share_decision_over_90_days",
            "rework_share", "onsite_wait_median_min", "appointment_lead_median_days",
            "enquiries_per_case", "fiktion_share")


def _iso(ts: pd.Timestamp | dt.datetime | None) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).isoformat()


def _days(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86400.0


def _r(x: Any, nd: int = 4) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        return None if np.isnan(x) else round(float(x), nd)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def case_facts(events: pd.DataFrame, cases: pd.DataFrame, origin: dt.date) -> pd.DataFrame:
    """One row per case with the complete-future facts the KPIs are made of."""
    ev = events
    g = ev.groupby(L.CASE_ID, sort=False)
    acts = ev[L.ACTIVITY]
    ts = ev[L.TIMESTAMP]

    def first(*names: str) -> pd.Series:
        m = acts.isin(names)
        return ts[m].groupby(ev.loc[m, L.CASE_ID]).min()

    def count(name: str) -> pd.Series:
        m = acts == name
        return m.groupby(ev[L.CASE_ID]).sum()

    facts = pd.DataFrame({"start": g[L.TIMESTAMP].min()})
    facts["end"] = first(M.ABGESCHLOSSEN)
    facts["antrag"] = first(M.ANTRAG)
    facts["decision"] = first(M.ERTEILUNG, M.ABLEHNUNG)
    facts["rejected"] = count(M.ABLEHNUNG) > 0
    facts["nachforderungen"] = count(M.NACHGEFORDERT)
    facts["sachstand"] = count(M.SACHSTAND)
    facts["fiktion"] = count(M.FIKTION)
    facts["termine"] = count(M.TERMIN_VERGEBEN)
    facts["no_shows"] = count(M.NO_SHOW)
    facts["ba_requests"] = count(M.BA_ANGEFRAGT)
    facts["ba_fiction"] = count(M.BA_FINGIERT)
    cut = ev["cut"].to_numpy(bool)
    facts["events_exported"] = (~ev["cut"]).groupby(ev[L.CASE_ID]).sum()
    facts["open_at_export"] = pd.Series(cut, index=ev.index).groupby(ev[L.CASE_ID]).any()
    c = cases.set_index("case_id")
    facts = facts.join(c[["case_verfahren", "case_kanal", "late", "new_process",
                          "expiry_min"]])
    base = pd.Timestamp(dt.datetime.combine(origin, dt.time()), tz="Europe/Berlin")
    expiry = pd.to_timedelta(facts["expiry_min"], unit="m")
    facts["expiry"] = (base + expiry).dt.tz_convert("UTC").astype(L.TIMESTAMP_DTYPE)
    facts["e2e_days"] = _days(facts["end"] - facts["start"])
    facts["decision_days"] = _days(facts["decision"] - facts["antrag"])
    return facts


def _kpis(f: pd.DataFrame, trans: pd.DataFrame) -> dict[str, Any]:
    decided = f[f["decision"].notna()]
    timely = f[f["expiry"].notna() & ~f["late"].astype(bool) & f["decision"].notna()]
    after_expiry = timely[timely["decision"] > timely["expiry"]]
    onsite = trans[trans["name"] == "Wartezeit vor Ort"]["minutes"]
    lead = trans[trans["name"] == "Vorlauf Termin"]["days"]
    termine = f["termine"].sum()
    return {
        "cases": len(f),
        "open_at_export": int(f["open_at_export"].sum()),
        "e2e_median_days": _r(f["e2e_days"].median()),
        "e2e_mean_days": _r(f["e2e_days"].mean()),
        "e2e_p90_days": _r(f["e2e_days"].quantile(0.9)),
        "decision_median_days": _r(decided["decision_days"].median()),
        "share_decision_over_90_days": _r((decided["decision_days"] > 90).mean()),
        "rework_share": _r((f["nachforderungen"] > 0).mean()),
        "rework_loops_mean": _r(f["nachforderungen"].mean()),
        "no_show_share": _r(f["no_shows"].sum() / termine if termine else float("nan")),
        "enquiries_per_case": _r(f["sachstand"].mean()),
        "fiktion_share": _r((f["fiktion"] > 0).mean()),
        "decided_after_expiry_share": _r(len(after_expiry) / len(timely) if len(timely)
                                         else float("nan")),
        "after_expiry_without_fiktion": int((after_expiry["fiktion"] == 0).sum()),
        "onsite_wait_median_min": _r(onsite.median(), 2),
        "appointment_lead_median_days": _r(lead.median()),
        "rejection_share": _r(decided["rejected"].mean()),
        "ba_fiction_share": _r(f["ba_fiction"].sum() / f["ba_requests"].sum()
                               if f["ba_requests"].sum() else float("nan")),
    }


def transitions(events: pd.DataFrame) -> pd.DataFrame:
    """Every occurrence of a key transition: case, name, days, minutes (complete future)."""
    ev = events[[L.CASE_ID, L.ACTIVITY, L.TIMESTAMP]].reset_index(drop=True)
    ev["pos"] = np.arange(len(ev), dtype=np.int64)
    out = []
    for name, a, targets in KEY_TRANSITIONS:
        left = ev[ev[L.ACTIVITY] == a]
        right = ev[ev[L.ACTIVITY].isin(targets)]
        if left.empty or right.empty:
            continue
        m = pd.merge_asof(left, right[[L.CASE_ID, "pos", L.TIMESTAMP]]
                          .rename(columns={L.TIMESTAMP: "to_ts", "pos": "to_pos"}),
                          left_on="pos", right_on="to_pos", by=L.CASE_ID,
                          direction="forward", allow_exact_matches=False)
        m = m[m["to_ts"].notna()]
        delta = (m["to_ts"] - m[L.TIMESTAMP]).dt.total_seconds()
        out.append(pd.DataFrame({L.CASE_ID: m[L.CASE_ID].to_numpy(), "name": name,
                                 "days": (delta / 86400).to_numpy(),
                                 "minutes": (delta / 60).to_numpy(),
                                 "from_ts": m[L.TIMESTAMP].to_numpy()}))
    # waiting on site: check-in to the next step of the same visit (same day); a walk-in
    # sent home has no next step that day and does not count
    nxt_case = ev[L.CASE_ID].shift(-1)
    nxt_ts = ev[L.TIMESTAMP].shift(-1)
    m = (ev[L.ACTIVITY] == M.CHECK_IN) & (nxt_case == ev[L.CASE_ID])
    local = ev.loc[m, L.TIMESTAMP].dt.tz_convert("Europe/Berlin").dt.date
    local_next = nxt_ts[m].dt.tz_convert("Europe/Berlin").dt.date
    same = (local.to_numpy() == local_next.to_numpy())
    delta = (nxt_ts[m] - ev.loc[m, L.TIMESTAMP]).dt.total_seconds()[same]
    out.append(pd.DataFrame({L.CASE_ID: ev.loc[m, L.CASE_ID].to_numpy()[same],
                             "name": "Wartezeit vor Ort", "days": (delta / 86400).to_numpy(),
                             "minutes": (delta / 60).to_numpy(),
                             "from_ts": ev.loc[m, L.TIMESTAMP].to_numpy()[same]}))
    if not out:
        return pd.DataFrame(columns=[L.CASE_ID, "name", "days", "minutes", "from_ts"])
    return pd.concat(out, ignore_index=True)


def directly_follows(events: pd.DataFrame) -> pd.DataFrame:
    """Directly-follows pairs: case, from, to, days (complete future)."""
    ev = events[[L.CASE_ID, L.ACTIVITY, L.TIMESTAMP]]
    same = ev[L.CASE_ID].to_numpy()[1:] == ev[L.CASE_ID].to_numpy()[:-1]
    a = ev.iloc[:-1][same]
    b = ev.iloc[1:][same]
    return pd.DataFrame({L.CASE_ID: a[L.CASE_ID].to_numpy(),
                         "from": a[L.ACTIVITY].to_numpy(), "to": b[L.ACTIVITY].to_numpy(),
                         "days": ((b[L.TIMESTAMP].to_numpy() - a[L.TIMESTAMP].to_numpy())
                                  / np.timedelta64(1, "s") / 86400.0)})


def _effect(before: Any, after: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"before": before, "after": after}
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        out["difference"] = _r(after - before)
        out["ratio"] = _r(after / before) if before else None
    return out


def deviations(events: pd.DataFrame, facts: pd.DataFrame) -> dict[str, int]:
    """Deviations from the Soll model and rules in the complete records (cases)."""
    ev = events
    acts = ev[L.ACTIVITY]

    def cases_with(name: str) -> set[str]:
        return set(ev.loc[acts == name, L.CASE_ID])

    ne = set(facts.index[facts["case_verfahren"] == "NE"])
    decided = cases_with(M.ERTEILUNG) | cases_with(M.ABLEHNUNG)
    pair = ev[acts.isin([M.GEBUEHR, M.EAT_BESTELLT])]
    first_ts = pair.groupby([L.CASE_ID, L.ACTIVITY])[L.TIMESTAMP].min().unstack()
    if M.EAT_BESTELLT in first_ts and M.GEBUEHR in first_ts:
        ordered = first_ts[first_ts[M.EAT_BESTELLT].notna()]
        fee_late = int((ordered[M.GEBUEHR].isna()
                        | (ordered[M.GEBUEHR] > ordered[M.EAT_BESTELLT])).sum())
    else:
        fee_late = 0
    f = facts
    timely = f[f["expiry"].notna() & ~f["late"].astype(bool) & f["decision"].notna()]
    after_expiry = timely[timely["decision"] > timely["expiry"]]
    checkins = (acts == M.CHECK_IN).groupby(ev[L.CASE_ID]).sum()
    return {
        "NE-Entscheidung ohne Sicherheitsabfrage": len(
            (ne & decided) - cases_with(M.SICHERHEIT_ERGEBNIS)),
        "Ablehnung ohne Anhörung": len(cases_with(M.ABLEHNUNG) - cases_with(M.ANHOERUNG)),
        "eAT bestellt vor Gebühr": fee_late,
        "Entscheidung nach Ablauf ohne Fiktionsbescheinigung": int(
            (after_expiry["fiktion"] == 0).sum()),
        "Entscheidung nach Ablauf, Antrag verspätet (keine Fiktion)": int(
            (f["late"].astype(bool) & f["decision"].notna()).sum()),
        "Entscheidung > 90 Tage nach Antrag": int((f["decision_days"] > 90).sum()),
        "Vorsprache mehrfach (weggeschickt)": int(
            ((checkins > 1) & (f["termine"] == 0)).sum()),
        "Sachstandsanfragen (nicht im Soll-Modell)": int((acts == M.SACHSTAND).sum()),
    }


def compute_truth(*, events: pd.DataFrame, cases: pd.DataFrame, scenario: Scenario,
                  office: Any, run: dict[str, Any], with_cases: bool = True
                  ) -> dict[str, Any]:
    """The ground-truth document of one run (JSON-ready)."""
    tz = "Europe/Berlin"
    start_ts = pd.Timestamp(run["start"], tz=tz).tz_convert("UTC")
    change_ts = pd.Timestamp(run["change_date"], tz=tz).tz_convert("UTC")
    export_ts = pd.Timestamp(run["export_date"], tz=tz).tz_convert("UTC")
    facts = case_facts(events, cases, office.cal.origin)
    trans = transitions(events)
    dfg = directly_follows(events)
    cohort = pd.Series(np.where(facts["start"] < change_ts, "before", "after"),
                       index=facts.index)
    trans["cohort"] = cohort.reindex(trans[L.CASE_ID]).to_numpy()
    dfg["cohort"] = cohort.reindex(dfg[L.CASE_ID]).to_numpy()
    kpis = {k: _kpis(facts[cohort == k], trans[trans["cohort"] == k])
            for k in ("before", "after")}
    effects = {k: _effect(kpis["before"][k], kpis["after"][k]) for k in KPI_DOC}

    def trans_stats(df: pd.DataFrame, key: str | list[str]) -> dict[str, Any]:
        keys = [key] if isinstance(key, str) else key
        agg = df.groupby([*keys, "cohort"], sort=False)["days"].agg(["count", "median",
                                                                     "mean"])
        res: dict[str, Any] = {}
        for idx, row in agg.iterrows():
            *name, k = idx
            label = " -> ".join(name)
            entry = res.setdefault(label, {
                c: {"n": 0, "median_days": None, "mean_days": None}
                for c in ("before", "after")})
            entry[k] = {"n": int(row["count"]), "median_days": _r(row["median"]),
                        "mean_days": _r(row["mean"])}
        for entry in res.values():
            mb, ma = entry["before"]["median_days"], entry["after"]["median_days"]
            entry["median_ratio"] = _r(ma / mb) if mb and ma is not None else None
        return res

    key = trans_stats(trans, "name")
    # the same waits assigned by when they start (before or after the change date): the
    # natural view for changes that act on events (staff, routing, external parties)
    by_time = trans.assign(cohort=np.where(pd.to_datetime(trans["from_ts"], utc=True)
                                           < change_ts, "before", "after"))
    by_time = by_time[pd.to_datetime(by_time["from_ts"], utc=True) >= start_ts]
    key_time = trans_stats(by_time, "name")
    for (name, a, targets) in KEY_TRANSITIONS:
        if name in key:
            key[name]["from"] = a
            key[name]["to"] = list(targets)
            key[name]["by_start_of_wait"] = key_time.get(name)
    dfg_stats = trans_stats(dfg, ["from", "to"])
    targets = []
    for a, b in scenario.target_transitions:
        label = f"{a} -> {b}"
        entry = dfg_stats.get(label, {})
        ef = next((v for v in key.values() if v.get("from") == a and b in v.get("to", [])),
                  None)
        targets.append({"transition": label, "directly_follows": entry,
                        "eventually_follows": ef})

    exported = events.loc[~events["cut"]]
    exp_cases = facts[facts["events_exported"] > 0]
    closed = exp_cases[~exp_cases["open_at_export"]]
    exp_cohort = cohort.reindex(closed.index)
    export = {
        "cases": int(exported[L.CASE_ID].nunique()),
        "events": len(exported),
        "open_cases": int(exp_cases["open_at_export"].sum()),
        "closed_cases": len(closed),
        "date_only_events": int(exported["date_only"].sum()),
        "first_event": _iso(exported[L.TIMESTAMP].min()),
        "last_event": _iso(exported[L.TIMESTAMP].max()),
        "end_activity": M.ABGESCHLOSSEN,
        "completed_only_e2e_median_days": {
            k: _r(closed.loc[exp_cohort == k, "e2e_days"].median())
            for k in ("before", "after")},
        "note": "completed-only medians are what a naive analysis of the export finds; "
                "they are biased short where many cases are open (compare kpis)",
    }
    sp, sb, tl = office.sp, office.sb, office.tl
    staff = {}
    for name, pool in (("Servicepoint", sp), ("Sachbearbeitung", sb), ("Teamleitung", tl)):
        staff[name] = {"persons_max": pool.capacity, "tasks": pool.tasks,
                       "utilisation": _r(pool.busy_minutes / max(1.0, pool.avail_minutes)),
                       "mean_wait_hours": _r(pool.wait_minutes / max(1, pool.tasks) / 60, 2)}
    staff["extra_appointments"] = office.book.extra_total
    weekly = _weekly(facts, start_ts, export_ts)
    p0, p1 = office.p0, office.p1
    truth: dict[str, Any] = {
        "generator": f"ist-analyse {__version__} simulate",
        "scenario": {"name": scenario.name, "title": scenario.title, "kind": scenario.kind,
                     "description": scenario.description, "expected": scenario.expected,
                     "ramp_days": scenario.ramp_days,
                     "target_transitions": [f"{a} -> {b}"
                                            for a, b in scenario.target_transitions]},
        "run": run,
        "parameters": {"changed_at_change_date": p0.changed(p1), "before": params_dict(p0)},
        "cohorts": {
            "definition": "by case start (first event of the case, local time); every case "
                          "counts, also those open at the export date (their future was "
                          "simulated past the export date)",
            "before": [run["start"], run["change_date"]],
            "after": [run["change_date"], run["export_date"]]},
        "kpi_definitions": KPI_DOC,
        "kpis": kpis,
        "effects": effects,
        "headline_effects": {k: effects[k] for k in HEADLINE},
        "target_transitions": targets,
        "transitions": key,
        "directly_follows": dfg_stats,
        "deviations": deviations(events, facts),
        "export": export,
        "staff": staff,
        "weekly": weekly,
    }
    if with_cases:
        truth["cases"] = _case_columns(facts, cohort)
    return truth


def _weekly(facts: pd.DataFrame, start: pd.Timestamp, export: pd.Timestamp
            ) -> dict[str, list[Any]]:
    """Cases started, decided and closed per week (Monday, local) of the export period."""
    local = "Europe/Berlin"

    def week(ts: pd.Series) -> pd.Series:
        d = ts.dt.tz_convert(local).dt.tz_localize(None).dt.normalize()
        return d - pd.to_timedelta(d.dt.day_of_week, unit="D")

    first = (pd.Timestamp(start).tz_convert(local).tz_localize(None).normalize())
    first -= pd.Timedelta(days=first.weekday())
    last = pd.Timestamp(export).tz_convert(local).tz_localize(None)
    weeks = pd.date_range(first, last, freq="7D")

    def per_week(ts: pd.Series) -> list[int]:
        ts = ts.dropna()
        counts = week(ts).value_counts()
        return [int(counts.get(w, 0)) for w in weeks]

    return {"week": [w.strftime("%Y-%m-%d") for w in weeks],
            "started": per_week(facts["start"]),
            "decided": per_week(facts["decision"]),
            "closed": per_week(facts["end"])}


def _case_columns(facts: pd.DataFrame, cohort: pd.Series) -> dict[str, list[Any]]:
    """The per-case truth, column-wise (compact JSON)."""
    def iso(col: pd.Series) -> list[str | None]:
        return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in col]

    return {
        "case_id": facts.index.tolist(),
        "cohort": cohort.reindex(facts.index).tolist(),
        "verfahren": facts["case_verfahren"].tolist(),
        "start": iso(facts["start"]),
        "antrag": iso(facts["antrag"]),
        "decision": iso(facts["decision"]),
        "end": iso(facts["end"]),
        "open_at_export": facts["open_at_export"].astype(bool).tolist(),
        "new_process": facts["new_process"].astype(bool).tolist(),
    }
