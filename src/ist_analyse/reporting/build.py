"""``report``: the analyses of a log collected into one management report (HTML, PDF).

The log is read once; the same :class:`~ist_analyse.io.pipeline.ImportResult` goes to every
analysis (inspection, process map, bottlenecks, rules, conformance, before/after), so all
sections describe exactly the same cases. This module only collects and formats: every figure
comes from the analysis verbs, which already apply the privacy rules (small groups blanked,
nothing per staff member). The order of the sections is that of issue #8: summary, data basis,
process map, bottlenecks, Soll/Ist and deadlines, before/after, methods.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ist_analyse import __version__
from ist_analyse import log as L
from ist_analyse.analysis.calendar import DEFAULT_LAND, check_land
from ist_analyse.analysis.progress import steps
from ist_analyse.config import ImportOptions, parse_day
from ist_analyse.errors import OutputError
from ist_analyse.files import check_output, input_files, write_text_atomic
from ist_analyse.inspection import LogLike, as_import_result, inspect_log
from ist_analyse.io.pipeline import ImportResult
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy import is_staff_column
from ist_analyse.privacy.suppress import FLAG, K_MIN_DEFAULT, check_k_min, suppress_rows
from ist_analyse.reporting import charts as C
from ist_analyse.reporting.html import render_html
from ist_analyse.reporting.i18n import (
    Texts,
    check_lang,
    duration_unit,
    kpi_label,
    readable_unit,
    scaled,
    unit_label,
    value_text,
)
from ist_analyse.reporting.tables import download

#: seconds the alignments (deviation table) may take; the fitness figure is always complete
ALIGNMENT_BUDGET = 10.0
#: the process map on a printed page stays readable up to about this many transitions
MAP_MAX_EDGES = 36
#: transitions in the bottleneck chart and table
TOP_TRANSITIONS = 12
#: case attributes with at most this many values get a case-mix table
CASE_MIX_MAX_VALUES = 12
CASE_MIX_MAX_ATTRIBUTES = 4
SECTIONS = ("summary", "data", "map", "bottlenecks", "conformance", "comparison", "methods")


@dataclass
class ReportResult:
    """What :func:`report` wrote; ``to_dict()`` is the ``--json`` document."""

    html: Path
    pdf: Path | None
    sections: list[str]
    seconds: float
    lang: str
    notes: list[str] = field(default_factory=list)
    #: seconds per step (reading, map, conformance, PDF ...), to see where time goes
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"html": str(self.html), "pdf": str(self.pdf) if self.pdf else None,
                "sections": list(self.sections), "lang": self.lang,
                "seconds": round(self.seconds, 2), "notes": list(self.notes),
                "timings": {k: round(v, 2) for k, v in self.timings.items()}}


def report(log: LogLike, output: str | Path, options: ImportOptions | None = None, *,
           change: Any = None, model: Any = None, rules: Any = None, lang: str = "de",
           pdf: bool = False, title: str | None = None, k_min: int = K_MIN_DEFAULT,
           working_days: bool = False, land: str = DEFAULT_LAND,
           comparison: dict[str, Any] | None = None,
           progress: bool = False) -> ReportResult:
    """Write the management report of a log: one self-contained HTML file (and a PDF).

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an
            :class:`~ist_analyse.io.pipeline.ImportResult` or a canonical DataFrame.
        output: the HTML file to write (``.html``); the PDF goes next to it as ``.pdf``.
        options: import options when ``log`` is a path (their end activities mark closed
            cases).
        change: change date (``date``, ``JJJJ-MM-TT`` or ``TT.MM.JJJJ``): adds the before/after
            section (:func:`ist_analyse.comparison.compare`).
        model: Soll model (BPMN/PNML path or :class:`~ist_analyse.analysis.conformance.SollModel`).
        rules: rule file (TOML) or rules from :func:`~ist_analyse.analysis.rules.load_rules`.
        lang: ``de`` (default) or ``en``.
        pdf: also write the PDF.
        title: report title (default: the log's file name).
        k_min: figures about fewer cases are suppressed (1 switches that off).
        working_days, land: waiting times in office days of a Land.
        comparison: a ready ``Comparison.to_dict()`` document for the before/after section
            when no ``change`` is given (e.g. two logs compared with ``compare``).
        progress: show the steps on stderr.

    Returns:
        :class:`ReportResult`.

    Raises:
        OutputError: the output is not ``.html``, is an input, or cannot be written;
        ConfigError: a bad option; IstAnalyseError subclasses from reading the inputs.

    Example:
        >>> r = report("sample_logs/abh_checklist_2024.parquet", "out.html")  # doctest: +SKIP
        >>> r.sections                                                     # doctest: +SKIP
        ['summary', 'data', 'map', 'bottlenecks', 'methods']
    """
    return build_reports(log, {lang: (output, pdf)}, options, change=change, model=model,
                         rules=rules, title=title, k_min=k_min, working_days=working_days,
                         land=land, comparison=comparison, progress=progress)[0]


def build_reports(log: LogLike, outputs: dict[str, tuple[str | Path, bool]],
                  options: ImportOptions | None = None, *, change: Any = None,
                  model: Any = None, rules: Any = None, title: str | None = None,
                  k_min: int = K_MIN_DEFAULT, working_days: bool = False,
                  land: str = DEFAULT_LAND, comparison: dict[str, Any] | None = None,
                  progress: bool = False) -> list[ReportResult]:
    """The analyses once, then one report per language: ``outputs`` maps a language to its
    HTML path and whether to write the PDF too (the demo writes German and English)."""
    started = time.monotonic()
    k_min = check_k_min(k_min)
    land = check_land(land)
    inputs = input_files(log, model, rules, options=options)
    targets: list[tuple[Texts, Path, Path | None]] = []
    for lang, (out, want_pdf) in outputs.items():
        output = Path(out)
        if output.suffix.lower() not in (".html", ".htm"):
            raise OutputError("the report is written as HTML", file=output,
                              hint="name the output .html, e.g. -o reports/bericht.html")
        check_output(output, inputs)
        pdf_path = output.with_suffix(".pdf") if want_pdf else None
        if pdf_path is not None:
            check_output(pdf_path, inputs)
        targets.append((Texts(check_lang(lang)), output, pdf_path))
    change_date = parse_change(change) if change is not None else None
    if options is not None:
        options = options.with_mapping_file()
    n_steps = (4 + bool(rules or model) + (change_date is not None)
               + sum(2 + (p is not None) for _, _, p in targets))
    notes: list[str] = []
    timings: dict[str, float] = {}
    results: list[ReportResult] = []
    with steps(n_steps, "reading the log", progress) as bar:
        clock = [time.monotonic(), "reading the log"]

        def advance(description: str) -> None:
            now = time.monotonic()
            timings[str(clock[1])] = timings.get(str(clock[1]), 0.0) + now - float(clock[0])
            clock[:] = [now, description]
            bar(description)

        res = as_import_result(log, options)
        advance("data quality")
        ins = inspect_log(res, options)
        advance("process map")
        from ist_analyse.analysis.discovery import discover_process_map

        maps: dict[str, Any] = {}  # the process map per report language (its legend, numbers)
        for lang in dict.fromkeys(texts.lang for texts, _, _ in targets):
            maps[lang] = discover_process_map(
                res, None, options, kind="dfg", max_edges=MAP_MAX_EDGES,
                working_days=working_days, land=land, k_min=k_min,
                title=title or _source_name(res), lang=lang, progress=False)
        advance("bottlenecks")
        from ist_analyse.analysis.performance import bottlenecks

        bott = bottlenecks(res, options, working_days=working_days, land=land, k_min=k_min,
                           progress=False)
        rule_res = conf = None
        closed = _closed_cases(res, ins.end_activities)
        if rules or model:
            advance("Soll/Ist: rules, deadlines, conformance")
            from ist_analyse.analysis.soll_ist import check_soll_ist

            with _quiet_pm4py():
                soll_ist = check_soll_ist(res, options, model=model, rules=rules,
                                          method="token-replay", time_budget=ALIGNMENT_BUDGET,
                                          land=land, k_min=k_min, precision=False)
            rule_res, conf = soll_ist.rules, soll_ist.model
            notes.extend(n for n in soll_ist.notes if n not in notes)
        cmp_doc = comparison
        if change_date is not None:
            advance("before/after comparison")
            cmp_doc = _run_compare(res, options, change_date, rules, k_min, land)
        for texts, output, pdf_path in targets:
            advance(f"charts ({texts.lang})")
            pmap = maps[texts.lang]
            map_svg = _map_svg(pmap)
            if map_svg is None and not any(getattr(n, "code", None) == NoteCode.NO_GRAPHVIZ
                                           for n in notes):
                notes.append(Note(NoteCode.NO_GRAPHVIZ, "Graphviz is not installed (the "
                                  "'dot' program was not found): the report shows tables "
                                  "instead of process maps; install Graphviz (apt install "
                                  "graphviz) for the maps"))
            ctx: dict[str, Any] = {}
            ctx["summary"] = _summary(texts, ins, res, bott, rule_res, conf, cmp_doc,
                                      change_date, closed, k_min)
            ctx["data"] = _data_basis(texts, ins, res, k_min)
            ctx["map"] = _map_section(texts, pmap, map_svg)
            ctx["bottlenecks"] = _bottleneck_section(texts, bott, change_date)
            sections = ["summary", "data", "map", "bottlenecks"]
            ctx["conformance"] = None
            if rule_res is not None or conf is not None:
                ctx["conformance"] = _conformance_section(texts, conf, rule_res, closed)
                sections.append("conformance")
            ctx["comparison"] = None
            if cmp_doc is not None or change_date is not None:
                ctx["comparison"] = _comparison_section(texts, cmp_doc, change_date)
                sections.append("comparison")
            sections.append("methods")
            ctx["methods"] = _methods(texts, bott, pmap, conf, rule_res, cmp_doc, k_min, land,
                                      working_days, ins, notes)
            ctx["sections"] = sections
            ctx["lang"] = texts.lang
            ctx["title"] = title if title is not None else texts("title",
                                                                 source=_source_name(res))
            ctx["subtitle"] = texts("subtitle", date=texts.date(dt.date.today(), long=True))
            advance(f"HTML ({texts.lang})")
            ctx["methods"]["software"] = texts("meth.software", version=__version__,
                                               seconds=texts.num(time.monotonic() - started,
                                                                 0))
            html = render_html(ctx, texts)
            write_text_atomic(output, html)
            if pdf_path is not None:
                advance(f"PDF ({texts.lang})")
                from ist_analyse.reporting.pdf import write_pdf

                write_pdf(html, pdf_path)
            results.append(ReportResult(html=output, pdf=pdf_path, sections=sections,
                                        seconds=0.0, lang=texts.lang, notes=list(notes)))
        advance("done")
    total = time.monotonic() - started
    for r in results:
        r.seconds = total
        r.timings = dict(timings)
    return results


# ---- inputs -------------------------------------------------------------------------------

def parse_change(value: Any) -> dt.date:
    """A change date from ``date``/``datetime``, ``JJJJ-MM-TT`` or ``TT.MM.JJJJ``."""
    return parse_day(value, "change date")


def _source_name(res: ImportResult) -> str:
    return Path(str(res.report.source)).name


def _run_compare(res: ImportResult, options: ImportOptions | None, change: dt.date,
                 rules: Any, k_min: int, land: str) -> dict[str, Any]:
    """The before/after comparison (its difference map is drawn per report language)."""
    from ist_analyse.comparison import compare

    return compare(res, options=options, change=change.isoformat(), rules=rules, k_min=k_min,
                   land=land, progress=False).to_dict()


@contextlib.contextmanager
def _quiet_pm4py() -> Iterator[None]:
    """pm4py draws tqdm bars on stderr during token replay; the report has its own."""
    from ist_analyse._pm4py import pm4py

    pm4py()  # imported through our wrapper (no banner on stdout)
    import pm4py.util.constants as consts

    old = consts.SHOW_PROGRESS_BAR
    consts.SHOW_PROGRESS_BAR = False
    try:
        yield
    finally:
        consts.SHOW_PROGRESS_BAR = old


def _closed_cases(res: ImportResult, ends: list[str]) -> pd.Index | None:
    """Case ids with an end activity (``None`` without end activities: all count)."""
    if not ends:
        return None
    df = res.log
    return pd.Index(df.loc[df[L.ACTIVITY].isin(ends), L.CASE_ID].unique())


def _case_durations(res: ImportResult, closed: pd.Index | None) -> np.ndarray:
    """Days from first to last event of each closed case (every case without end
    activities)."""
    df = res.log
    span = df.groupby(L.CASE_ID, observed=True, sort=False)[L.TIMESTAMP].agg(["min", "max"])
    if closed is not None:
        span = span[span.index.isin(closed)]
    return ((span["max"] - span["min"]).dt.total_seconds() / 86400).to_numpy()


# ---- sections -----------------------------------------------------------------------------

def _summary(texts: Texts, ins: Any, res: ImportResult, bott: Any, rule_res: Any, conf: Any,
             cmp_doc: dict[str, Any] | None, change: dt.date | None, closed: pd.Index | None,
             k_min: int) -> dict[str, Any]:
    t = texts
    facts: list[str] = [t("sum.intro", cases=t.int(ins.cases), events=t.int(ins.rows),
                          start=t.date(ins.start), end=t.date(ins.end))]
    if ins.open_cases is not None and ins.cases:
        facts.append(t("sum.open", open=t.int(ins.open_cases),
                       share=t.pct(ins.open_cases / ins.cases)))
    durations = _case_durations(res, closed)
    if len(durations) >= k_min:
        unit, _ = duration_unit(durations)
        facts.append(t("sum.duration", median=t.duration(np.median(durations), unit),
                       p90=t.duration(np.quantile(durations, 0.9), unit)))
    trans = bott.transitions
    shown = trans[trans["total_wait_days"].notna()]
    if len(shown):
        top = shown.iloc[0]
        facts.append(t("sum.bottleneck", a=_name(top["from"]), b=_name(top["to"]),
                       median=t.duration(top["median_wait_days"]),
                       share=t.pct(top["share"], 0)))
    acts = bott.activities
    rw = acts[acts["rework_share"].notna() & (acts["rework_cases"].fillna(0) > 0)]
    if len(rw):
        top = rw.sort_values(["rework_share", "activity"], ascending=[False, True]).iloc[0]
        facts.append(t("sum.rework", activity=top["activity"], share=t.pct(top["rework_share"])))
    if conf is not None and conf.log_fitness is not None:
        facts.append(t("sum.fitness", fitness=t.pct(conf.log_fitness)))
    if rule_res is not None:
        worst = None
        for r in rule_res.rules:
            if r.kind == "deadline" and r.share is not None and r.checked:
                if worst is None or r.share > worst.share:
                    worst = r
        if worst is not None and worst.share > 0:
            late = (worst.violations or 0) + (worst.overdue_open or 0)
            facts.append(t("sum.rule", name=worst.name, late=t.int(late),
                           checked=t.int(worst.checked), share=t.pct(worst.share)))
    comparison: list[str] = []
    if cmp_doc is not None:
        comparison = _kpi_sentences(t, cmp_doc)
    elif change is not None:
        comparison = [t("sum.no_comparison", date=t.date(change))]
    not_proven = ["np.cause", "np.open", "np.data"]
    if cmp_doc is not None or change is not None:
        not_proven.append("np.compare")
    not_proven.append("np.staff")
    return {"facts": facts, "comparison": comparison,
            "not_proven": [t(k) for k in not_proven]}


def _kpi_sentences(t: Texts, doc: dict[str, Any], limit: int = 4) -> list[str]:
    """Plain sentences for the headline KPIs: the case duration first, then significant
    ones."""
    kpis = [k for k in doc.get("kpis") or [] if not k.get("suppressed")]
    first = [k for k in kpis if k.get("kpi") == "case_duration"]

    def rank(k: dict[str, Any]) -> tuple[int, float]:
        # overall figures before single steps; within a group the largest change first
        name = str(k.get("kpi"))
        group = 0 if name in ("rework_rate", "completions_per_week") else (
            1 if k.get("kind") == "deadline" else 2)
        size = abs(float(k.get("difference") or 0.0))
        return group, -(size * 100 if k.get("unit") == "share" else size)

    rest = sorted((k for k in kpis if k.get("kpi") != "case_duration" and k.get("significant")
                   and k.get("verdict") not in (None, "no_change", "not_enough_data")
                   and not (k.get("unit") == "days" and abs(k.get("difference") or 0) < 1)),
                  key=rank)
    out = []
    for k in (first + rest)[:limit]:
        if k.get("before") is None or k.get("after") is None:
            continue
        unit = k.get("unit")
        values = {"label": kpi_label(t, k["kpi"]),
                  "before": value_text(t, k["before"], unit),
                  "after": value_text(t, k["after"], unit),
                  "unit": unit_label(t, unit) if unit != "share" else "",
                  "verdict": t(f"verdict.{k.get('verdict') or 'no_change'}")}
        if k.get("ci_low") is not None and k.get("ci_high") is not None:
            days = " " + unit_label(t, unit) if unit == "days" else ""
            values.update(diff=value_text(t, k.get("difference"), unit, signed=True) + days,
                          lo=value_text(t, k["ci_low"], unit, signed=True),
                          hi=value_text(t, k["ci_high"], unit, signed=True))
            out.append(_tidy(t("sum.kpi", **values)))
        else:
            out.append(_tidy(t("sum.kpi_nosig", **values)))
    return out


def _tidy(text: str) -> str:
    return re.sub(r"\s+([),.])", r"\1", re.sub(r"  +", " ", text)).replace("( ", "(")


def _name(value: Any) -> str:
    return "Start" if value is None or pd.isna(value) else str(value)


def _data_basis(texts: Texts, ins: Any, res: ImportResult, k_min: int) -> dict[str, Any]:
    t = texts
    rep = res.report
    facts = [
        (t("data.source"), f"{Path(str(ins.source)).name} ({ins.format})"),
        (t("data.period"), f"{t.date(ins.start)} – {t.date(ins.end)}"),
        (t("data.cases"), t.int(ins.cases)),
        (t("data.events"), t.int(ins.rows)),
        (t("data.activities"), t.int(len(ins.activities))),
        (t("data.open"), t.int(ins.open_cases) if ins.open_cases is not None
         else t("data.open_unknown")),
    ]
    if ins.end_activities:
        facts.append((t("data.end"), ", ".join(ins.end_activities)))
    findings = [{"text": t.finding(f.code, f.message, f.count), "severity": f.severity,
                 "count": t.int(f.count),
                 "examples": ", ".join(str(x) for x in f.examples[:5])}
                for f in ins.findings]
    privacy = []
    pseudo = ins.privacy.get("pseudonymized") or []
    privacy.append(t("data.pseudonymized", cols=", ".join(pseudo)) if pseudo
                   else t("data.not_pseudonymized"))
    dropped = ins.privacy.get("dropped_columns") or []
    privacy.append(t("data.dropped_cols", cols=", ".join(dropped)) if dropped
                   else t("data.no_dropped_cols"))
    rare = ins.privacy.get("rare_labels") or {}
    if rare:
        privacy.append(t("data.rare_labels", k=k_min, cols=", ".join(
            f"{col} ({t.int(n)})" for col, n in rare.items())))
    if rep.dropped_rows:
        privacy.append(t("data.dropped_rows", n=t.int(rep.dropped_rows)))
    privacy.append(t("data.k_min", k=k_min))
    return {"facts": facts, "findings": findings, "privacy": privacy,
            "case_mix": _case_mix(t, res.log, k_min, skip=set(rep.pseudonymized))}


def _case_mix(t: Texts, df: pd.DataFrame, k_min: int,
              skip: Collection[str] = ()) -> list[dict[str, Any]]:
    """Value counts of the first few categorical case attributes, small groups blanked.

    Ids are no attributes: the case id and staff ids (``case:responsible``, ``Bearbeitet
    von``; pseudonymised or not) are left out, so no table counts cases per staff member.
    """
    attrs = [c for c in df.columns if str(c).startswith(L.CASE_PREFIX)
             and c != L.CASE_ID and c not in skip and not is_staff_column(str(c))]
    if not attrs:
        return []
    cases = df.drop_duplicates(L.CASE_ID)
    out = []
    for col in attrs:
        values = cases[col].astype("string")
        n_values = values.nunique(dropna=True)
        if not 1 < n_values <= CASE_MIX_MAX_VALUES:
            continue
        vc = values.fillna("–").value_counts()
        n = np.array(vc.to_numpy(dtype="int64"), copy=True)
        counts = pd.DataFrame({"value": [str(v) for v in vc.index], "cases": n,
                               "share": n / n.sum()})
        counts = suppress_rows(counts, count="cases", columns=["cases", "share"], k_min=k_min,
                               total_shown=True)
        name = str(col)[len(L.CASE_PREFIX):]
        rows = [{"value": str(r["value"]), "cases": t.int(r["cases"]),
                 "share": t.pct(r["share"])} for r in counts.to_dict("records")]
        table = counts[["value", "cases", "share"]].rename(
            columns={"value": t("data.value"), "cases": t("data.cases"),
                     "share": t("data.share")})
        out.append({"title": t("data.case_mix", attribute=name), "rows": rows,
                    "download": download(f"fallmix_{name}" if t.lang == "de"
                                         else f"case_mix_{name}", table, lang=t.lang)})
        if len(out) >= CASE_MIX_MAX_ATTRIBUTES:
            break
    return out


def _svg(source: str) -> bytes | None:
    """A map drawn by Graphviz as SVG (labels are escaped by :mod:`..dot`); ``None`` without
    Graphviz: the report then shows the map's transitions as a table."""
    from ist_analyse.analysis import dot as D

    try:
        return D.draw(source, "svg")
    except D.GraphvizMissing:
        return None


def _map_svg(pmap: Any) -> bytes | None:
    return _svg(pmap.dot)


def _map_section(texts: Texts, pmap: Any, svg: bytes | None) -> dict[str, Any]:
    t = texts
    caption = t("map.caption", shown=t.int(pmap.edges_shown), total=t.int(pmap.edges_total),
                coverage=t.pct(pmap.coverage_achieved, 0))
    chart = table = None
    if svg is not None:
        chart = C.svg_file(svg, t("map.alt", n=pmap.activities_shown, e=pmap.edges_shown),
                           caption)
    else:
        from ist_analyse.analysis.dot import words

        w = words(t.lang)
        shown = pmap.edges[pmap.edges["shown"]]
        unit, f = duration_unit(shown["median_wait_days"])
        table = {"caption": caption, "note": t("map.no_graphviz"), "unit": t(f"unit.{unit}"),
                 "rows": [
            {"from": w["start"] if pd.isna(e["from"]) else e["from"],
             "to": w["end"] if pd.isna(e["to"]) else e["to"], "cases": t.int(e["cases"]),
             "median": t.num(scaled(e["median_wait_days"], f)),
             "p90": t.num(scaled(e["p90_wait_days"], f))}
            for e in shown.to_dict("records")]}
    variants = []
    listed = pmap.to_dict()["variants"][:8]
    v_unit, v_f = duration_unit([v.get("median_duration_days") for v in listed])
    for v in listed:
        acts = v.get("activities")
        variants.append({
            "rank": v.get("rank") if v.get("rank") is not None else "",
            "path": " → ".join(acts) if acts else t("map.other"),
            "cases": t.int(v.get("cases")), "share": t.pct(v.get("share")),
            "duration": t.num(scaled(v.get("median_duration_days"), v_f),
                              0 if v_unit != "hours" else 1)})
    return {"chart": chart, "table": table, "variants": variants,
            "variants_unit": t(f"unit.{v_unit}"),
            "wide": _is_wide(svg) if svg is not None else False}


def _is_wide(svg: bytes) -> bool:
    """Whether a Graphviz SVG is wider than tall: it then gets a landscape page in the PDF, a
    tall map a portrait page of its own (either way as large as the page allows)."""
    m = re.search(rb'<svg[^>]*\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', svg[:2000])
    return m is None or float(m.group(1)) >= float(m.group(2))


def _bottleneck_section(texts: Texts, bott: Any, change: dt.date | None) -> dict[str, Any]:
    t = texts
    trans = bott.transitions
    top = trans.head(TOP_TRANSITIONS)
    unit, f = duration_unit(top["median_wait_days"])
    rows = [{"from": _name(r["from"]), "to": "Ende" if pd.isna(r["to"]) else r["to"],
             "cases": t.int(r["cases"]), "median": t.num(scaled(r["median_wait_days"], f)),
             "p90": t.num(scaled(r["p90_wait_days"], f)), "share": t.pct(r["share"])}
            for r in top.to_dict("records")]
    table = trans[["from", "to", "cases", "occurrences", "median_wait_days", "p90_wait_days",
                   "mean_wait_days", "total_wait_days", "share", FLAG]]
    acts = bott.activities
    rw = acts[acts["rework_share"].notna() & (acts["rework_cases"].fillna(0) > 0)]
    rw = rw.sort_values(["rework_share", "activity"], ascending=[False, True]).head(8)
    rework = [{"activity": r["activity"], "cases": t.int(r["rework_cases"]),
               "share": t.pct(r["rework_share"])} for r in rw.to_dict("records")]
    return {
        "rows": rows,
        "unit": t(f"unit.{unit}"),
        "chart": C.waiting_bars(trans, t, TOP_TRANSITIONS),
        "weekly": C.weekly_series(bott.weekly, t, change),
        "rework": rework,
        "download": download("engpaesse" if t.lang == "de" else "bottlenecks", table,
                             lang=t.lang),
    }


def _conformance_section(texts: Texts, conf: Any, rule_res: Any,
                         closed: pd.Index | None) -> dict[str, Any]:
    t = texts
    out: dict[str, Any] = {"facts": [], "deviations": [], "sentences": [], "rules": [],
                           "deviation_download": None, "rule_download": None,
                           "closed_only": closed is not None and conf is not None}
    if conf is not None:
        d = conf.to_dict()
        out["facts"].append(t("conf.model", source=Path(str(d["model"]["source"])).name,
                              n=t.int(len(d["model"]["activities"]))))
        out["facts"].append(t("conf.fitness", fitness=t.pct(d["log_fitness"]),
                              fitting=t.pct(d["fitting_share"])))
        out["facts"].append(t("conf.aligned", variants=t.int(d["variants_aligned"]),
                              total=t.int(d["variants_total"]),
                              share=t.pct(d["cases_aligned_share"]),
                              budget=t.num(d["time_budget"], 0)))
        kinds = (("skipped", "skipped_cases"), ("extra", "extra_cases"),
                 ("order", "wrong_order_cases"))
        devs = sorted(d["deviations"], key=lambda r: (-max(r[c] or 0 for _, c in kinds),
                                                      r["activity"]))
        for r in devs[:15]:
            out["deviations"].append({"activity": r["activity"],
                                      **{k: t.int(r[c]) for k, c in kinds}})
        for r in devs[:6]:
            for k, c in kinds:
                if r[c]:
                    out["sentences"].append(t(f"conf.{k}_text", activity=r["activity"],
                                              n=t.int(r[c])))
        frame = pd.DataFrame(d["deviations"])
        if len(frame):
            out["deviation_download"] = download(
                "abweichungen" if t.lang == "de" else "deviations",
                frame[["activity", "skipped_cases", "skipped_moves", "extra_cases",
                       "extra_moves", "wrong_order_cases", "wrong_order_moves",
                       "suppressed"]], lang=t.lang)
    if rule_res is not None:
        for r in rule_res.rules:
            out["rules"].append({
                "name": r.name, "kind": t(f"kind.{r.kind}"), "checked": t.int(r.checked),
                "violations": t.int(r.violations),
                "overdue": t.int(r.overdue_open) if r.kind == "deadline" else "–",
                "share": t.pct(r.share),
                "median": t.num(r.median_days) if r.kind == "deadline" else "–",
                "limit": t.num(r.max_days_limit, 0) if r.max_days_limit is not None else "–",
                "bad": bool(r.violations or r.overdue_open)})
        frame = rule_res.table()
        out["rule_download"] = download(
            "regeln" if t.lang == "de" else "rules",
            frame[["name", "kind", "checked", "violations", "overdue_open", "pending", "share",
                   "median_days", "p90_days", "max_days_limit", "suppressed"]], lang=t.lang)
    return out


def _comparison_section(texts: Texts, doc: dict[str, Any] | None,
                        change: dt.date | None) -> dict[str, Any]:
    t = texts
    if doc is None:
        return {"missing": t("cmp.missing", date=t.date(change))}
    periods = doc.get("periods") or {}
    change_date = change
    if change_date is None and periods.get("change_date"):
        change_date = parse_change(str(periods["change_date"])[:10])
    washout = periods.get("washout_days")
    intro = t("cmp.intro", date=t.date(change_date),
              washout=t("cmp.washout", days=t.int(washout)) if washout else "")
    period_rows = []
    for key in ("before", "after"):
        p = periods.get(key) or {}
        if not p:
            continue
        period_rows.append({"label": t(f"cmp.{key}"),
                            "span": f"{t.date(p.get('start'))} – {t.date(p.get('end'))}",
                            "cases": t.int(p.get("cases")), "open": t.int(p.get("open_cases")),
                            "open_share": t.pct(p.get("open_share"))})
    all_kpis = doc.get("kpis") or []
    shown_kpis = headline_kpis(all_kpis)
    kpi_rows = []
    for k in shown_kpis:
        unit, f = readable_unit(k)
        k = {**k, **{key: scaled(k.get(key), f) for key in
                     ("before", "after", "difference", "ci_low", "ci_high")}, "unit": unit}
        sup = bool(k.get("suppressed"))
        ci = (f"{value_text(t, k.get('ci_low'), unit, signed=True)} … "
              f"{value_text(t, k.get('ci_high'), unit, signed=True)}"
              if k.get("ci_low") is not None and k.get("ci_high") is not None else "–")
        unit_text = unit_label(t, unit)
        kpi_rows.append({
            "label": kpi_label(t, str(k.get("kpi"))) + (f" ({unit_text})" if unit_text else ""),
            "before": value_text(t, k.get("before"), unit),
            "after": value_text(t, k.get("after"), unit),
            "difference": value_text(t, k.get("difference"), unit, signed=True),
            "ci": ci if not sup else "·", "p": t.p(k.get("p_adjusted")) if not sup else "·",
            "verdict": t(f"verdict.{k.get('verdict') or 'not_enough_data'}"),
            # highlighted: a verdict about the change (a "confounded" difference is
            # significant too, but is explained by the workload, not by the change)
            "significant": k.get("verdict") in ("faster", "slower", "higher", "lower"),
            "n": f"{t.int(k.get('n_before'))} / {t.int(k.get('n_after'))}"})
        if k.get("kpi") == "case_duration" and k.get("rmst_before") is not None:
            horizon = t.num(k.get("horizon_days"), 0)
            rlo, rhi = k.get("rmst_ci_low"), k.get("rmst_ci_high")
            kpi_rows.append({
                "label": t("kpi.rmst", h=horizon) + f" ({unit_label(t, 'days')})",
                "before": t.num(k.get("rmst_before")), "after": t.num(k.get("rmst_after")),
                "difference": t.signed(k.get("rmst_difference")),
                "ci": (f"{t.signed(rlo)} … {t.signed(rhi)}"
                       if rlo is not None and rhi is not None else "–"),
                "p": "–", "verdict": "", "significant": False, "n": ""})
    ctx_doc = doc.get("context") or {}
    mix = ctx_doc.get("case_mix") or None
    case_mix = None
    if mix and mix.get("rows"):
        p = mix.get("p_value")
        case_mix = {
            "title": t("cmp.case_mix", attribute=mix.get("attribute", "")),
            "rows": [{"value": str(r.get("value")), "before": t.pct(r.get("before_share")),
                      "after": t.pct(r.get("after_share")), "n_before": t.int(r.get("before_n")),
                      "n_after": t.int(r.get("after_n"))} for r in mix["rows"]],
            "text": t("cmp.case_mix_shifted" if mix.get("shifted") else "cmp.case_mix_stable",
                      p=t.p(p)),
            "download": download(
                "fallmix_vergleich" if t.lang == "de" else "case_mix_comparison",
                pd.DataFrame(mix["rows"]), lang=t.lang)}
    weekly = pd.DataFrame(doc.get("weekly") or [])
    weekly_chart = (C.weekly_series(weekly, t, change_date, title_key="cmp.weekly_title")
                    if len(weekly) else None)
    km = C.survival_curves(doc.get("survival") or {}, t)
    diff = doc.get("difference_map") or {}
    svg = diff_table = None
    if diff.get("edges"):
        from ist_analyse.comparison.diffmap import WORDS, dot_source, drawn_edges

        svg = _svg(dot_source(diff, t.lang))
        if svg is None:
            words = {**{v: t(f"verdict.{v}") for v in ("faster", "slower", "confounded")},
                     "new": WORDS[t.lang]["new"], "gone": WORDS[t.lang]["gone"]}
            diff_table = {"note": t("map.no_graphviz"), "rows": [
                {"from": e["from"], "to": e["to"], "status": words[e["status"]],
                 "before": t.num(e.get("before_median")), "after": t.num(e.get("after_median"))}
                for e in drawn_edges(diff["edges"]) if e["status"] in words]}
    diffmap = (C.svg_file(svg, t("cmp.diffmap_alt"), t("cmp.diffmap"))
               if isinstance(svg, bytes) else None)
    checks = doc.get("checks") or {}
    check_lines = []
    for c in checks.get("placebo") or []:
        check_lines.append(t("cmp.placebo", date=t.date(c.get("date")),
                             kpi=kpi_label(t, str(c.get("kpi"))),
                             result=t("cmp.sig_yes" if c.get("significant") else "cmp.sig_no"),
                             p=t.p(c.get("p_value"))))
    for c in checks.get("shifted") or []:
        check_lines.append(t("cmp.shifted", weeks=t.signed(c.get("shift_weeks"), 0),
                             diff=t.signed(c.get("difference")), p=t.p(c.get("p_value"))))
    kpi_frame = pd.DataFrame(all_kpis)
    if len(kpi_frame):
        kpi_frame = kpi_frame.drop(columns=[c for c in ("text",) if c in kpi_frame.columns])
    return {
        "more_kpis": (t("cmp.more_kpis", n=t.int(len(all_kpis) - len(shown_kpis)))
                      if len(all_kpis) > len(shown_kpis) else None),
        "missing": None, "intro": intro, "periods": period_rows, "kpis": kpi_rows,
        "case_mix": case_mix, "weekly": weekly_chart, "km": km, "diffmap": diffmap,
        "diff_table": diff_table,
        # like the process map, a page of its own in the PDF (landscape when wide)
        "diffmap_wide": _is_wide(svg) if isinstance(svg, bytes) else False,
        "checks": check_lines, "warnings": [t.note(w) for w in checks.get("warnings") or []],
        "kpi_download": download("vergleich" if t.lang == "de" else "comparison",
                                 kpi_frame, lang=t.lang) if len(kpi_frame) else None,
    }


def headline_kpis(kpis: list[dict[str, Any]], waits: int = 8) -> list[dict[str, Any]]:
    """The KPIs of the report's table: duration, rates, rework rate and deadlines, repeated
    steps and transitions only where the change is significant (the largest ``waits``
    waiting/processing changes); the complete list is in the download."""
    keep: set[int] = set()
    for i, k in enumerate(kpis):
        name = str(k.get("kpi", ""))
        if k.get("kind") in ("duration", "rate", "deadline") or name == "rework_rate":
            keep.add(i)
        elif name.startswith("rework:") and k.get("significant"):
            keep.add(i)
    timed = [(abs(float(k.get("difference") or 0.0)), i) for i, k in enumerate(kpis)
             if k.get("kind") in ("wait", "processing") and k.get("significant")
             and not k.get("suppressed")]
    keep.update(i for _, i in sorted(timed, reverse=True)[:waits])
    return [k for i, k in enumerate(kpis) if i in keep]


def _methods(texts: Texts, bott: Any, pmap: Any, conf: Any, rule_res: Any,
             cmp_doc: dict[str, Any] | None, k_min: int, land: str, working_days: bool,
             ins: Any, notes: list[str]) -> dict[str, Any]:
    t = texts
    unit = t("meth.working_days", land=land) if working_days else t("meth.calendar_days")
    items = [t("meth.waiting", unit=unit),
             t("meth.duration", end=", ".join(ins.end_activities) or "–"),
             t("meth.map", coverage=t.pct(pmap.coverage, 0))]
    if conf is not None:
        items.append(t("meth.conformance"))
    if rule_res is not None:
        items.append(t("meth.rules"))
    if cmp_doc is not None:
        items.append(t("meth.compare", alpha=t.num(cmp_doc.get("alpha", 0.05), 2)))
    items.append(t("meth.privacy", k=k_min))
    # one line per English text; of equal texts a Note wins over a plain string (a comparison
    # read back from JSON), so that the report can write it in its own language
    unique: dict[str, str] = {}
    for n in [*bott.notes, *pmap.notes, *(conf.notes if conf is not None else []),
              *(rule_res.notes if rule_res is not None else []),
              *((cmp_doc or {}).get("notes") or []), *notes]:
        if n not in unique or isinstance(n, Note):
            unique[n] = n
    return {"items": items, "notes": [t.note(n) for n in unique.values()], "software": ""}
