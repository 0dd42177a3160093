"""Process maps a manager can read: directly-follows map, BPMN, Petri net, and the variants.

The directly-follows map shows each activity with its frequency and each transition with its
frequency and its median and 90th-percentile waiting time, thicker where more cases pass and
redder where they wait longer. It is simplified by *coverage*: transitions are taken in order of
the number of cases that use them until the shown ones contain the complete path of at least
``coverage`` of all cases (0.8 = the paths of 80 % of the cases), so a log with 40 activities
and hundreds of rare detours stays readable. BPMN models and Petri nets come from pm4py's
inductive miner. Frequencies and waiting times are computed on Polars, like
:func:`~ist_analyse.analysis.performance.bottlenecks`; pm4py is only the discovery algorithm.

Privacy: an activity or transition with fewer than ``k_min`` cases shows "·" instead of figures;
variants with fewer than ``k_min`` cases are never listed (they are pooled).
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from ist_analyse.analysis import dot as D
from ist_analyse.analysis import instances as I
from ist_analyse.analysis.calendar import DEFAULT_LAND, check_land, office_days, public_holidays
from ist_analyse.analysis.performance import rank, records, transition_stats
from ist_analyse.analysis.progress import steps
from ist_analyse.config import DEFAULT_TIMEZONE, ImportOptions
from ist_analyse.errors import ConfigError, OutputError
from ist_analyse.files import check_output, write_atomic
from ist_analyse.inspection import LogLike
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import FLAG, K_MIN_DEFAULT, MARK, check_k_min, suppress_rows

Kind = Literal["dfg", "bpmn", "petri"]
Miner = Literal["auto", "imf", "imd"]
KINDS = ("dfg", "bpmn", "petri")
MINERS = ("auto", "imf", "imd")
#: up to this many variants "auto" runs IMf on the variants (well under 5 s here); above it,
#: IMd on the directly-follows graph (pm4py's IM/IMf need 10-30 s on bpic2012's 4,366 variants)
IMF_MAX_VARIANTS = 1000


@dataclass
class ProcessMap:
    """The result of :func:`discover_process_map`; ``to_dict()`` is the ``--json`` document.

    Attributes:
        dot: the Graphviz source of the drawing (render it with any Graphviz tool).
        model_class: ``directly-follows graph``, ``BPMN`` or ``Petri net``.
        algorithm: how the model was made, in words (which miner and variant).
        edges: every transition of the log incl. ``Start``/``Ende`` edges (``from``/``to``
            missing): ``cases``, ``occurrences``, ``median_wait_days``, ``p90_wait_days``,
            ``shown`` (kept by the coverage rule), ``suppressed``.
        variants: the most frequent variants (each with at least ``k_min`` cases): ``rank``,
            ``cases``, ``share``, ``median_duration_days``, ``activities``; a last row
            ``other`` pools all variants not listed.
    """

    source: str
    kind: str
    model_class: str
    algorithm: str
    dot: str
    output: str | None
    unit: str
    k_min: int
    cases: int
    activities_total: int
    activities_shown: int
    edges_total: int
    edges_shown: int
    coverage: float | None
    coverage_achieved: float | None
    noise: float | None
    edges: pd.DataFrame
    variants: pd.DataFrame
    variants_total: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        variants = records(self.variants)
        for v in variants:
            v["activities"] = list(v["activities"]) if v["activities"] is not None else None
        return {
            "source": self.source, "kind": self.kind, "model_class": self.model_class,
            "algorithm": self.algorithm, "output": self.output, "unit": self.unit,
            "k_min": self.k_min, "cases": self.cases,
            "activities_total": self.activities_total,
            "activities_shown": self.activities_shown, "edges_total": self.edges_total,
            "edges_shown": self.edges_shown, "coverage": self.coverage,
            "coverage_achieved": self.coverage_achieved, "noise": self.noise,
            "edges": records(self.edges), "variants_total": self.variants_total,
            "variants": variants, "notes": list(self.notes),
        }


def discover_process_map(log: LogLike, output: str | Path | None = None,
                         options: ImportOptions | None = None, *, kind: Kind = "dfg",
                         coverage: float = 0.8, noise: float = 0.2, miner: Miner = "auto",
                         top_variants: int = 10, working_days: bool = False,
                         land: str = DEFAULT_LAND, k_min: int = K_MIN_DEFAULT,
                         timezone: str | None = None, title: str | None = None,
                         max_edges: int | None = None, lang: str = "de",
                         progress: bool | None = None) -> ProcessMap:
    """Discover a process map (or BPMN model, or Petri net) and the main variants of a log.

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an
            :class:`~ist_analyse.io.pipeline.ImportResult`, or a canonical DataFrame.
        output: write the drawing here (``.svg``, ``.png`` or ``.pdf``), atomically; ``None``
            only returns the Graphviz source.
        options: import options when ``log`` is a path.
        kind: ``dfg`` (directly-follows map with frequencies and waiting times), ``bpmn`` or
            ``petri`` (pm4py inductive miner).
        coverage: the map shows the transitions that contain the complete paths of at least
            this share of cases (0 < coverage <= 1; 1 shows everything). DFG only.
        noise: noise threshold of the inductive miner (IMf), 0 <= noise < 1.
        miner: ``imf`` (pm4py IMf on the variants), ``imd`` (pm4py IMd on the directly-follows
            graph, fast on any log, no noise filter) or ``auto`` (IMf up to
            :data:`IMF_MAX_VARIANTS` variants, else IMd). The result says which ran.
        top_variants: how many variants to list.
        working_days, land: waiting times in office days of a Land instead of calendar days.
        k_min: figures about fewer cases are shown as "·" (1 switches that off).
        timezone: local time zone for office days (default: the options' or Europe/Berlin).
        title: a title printed on the map (default: the log's name).
        lang: language of the drawing's legend and numbers, ``de`` (default) or ``en``.
        max_edges: show at most this many transitions (DFG): the coverage is lowered until
            they fit, and ``coverage_achieved`` says what the map then holds. For a map that
            must stay readable on a page.
        progress: show a progress bar on stderr (default: when stderr is a terminal).

    Returns:
        :class:`ProcessMap`.

    Raises:
        ConfigError: an option is out of range; OutputError: the output cannot be written
            or has another suffix than .svg/.png/.pdf/.bpmn/.pnml;
            :class:`~ist_analyse.analysis.dot.GraphvizMissing`: Graphviz is not installed (its
            ``result`` is the complete :class:`ProcessMap`, without the drawing);
            IstAnalyseError subclasses from reading.

    Example:
        >>> m = discover_process_map("sample_logs/receipt.xes.gz", "map.svg")  # doctest: +SKIP
        >>> m.algorithm, m.edges_shown, m.coverage_achieved                     # doctest: +SKIP
    """
    k_min = check_k_min(k_min)
    if kind not in KINDS:
        raise ConfigError(f"unknown kind '{kind}'", hint="use dfg, bpmn or petri")
    if miner not in MINERS:
        raise ConfigError(f"unknown miner '{miner}'", hint="use auto, imf or imd")
    if not (isinstance(coverage, int | float) and 0 < coverage <= 1):
        raise ConfigError(f"coverage must be a share between 0 and 1, got {coverage!r}",
                          hint="e.g. --coverage 0.8 for the paths of 80 % of the cases")
    if not (isinstance(noise, int | float) and 0 <= noise < 1):
        raise ConfigError(f"the noise threshold must be between 0 and 1, got {noise!r}")
    if max_edges is not None and (isinstance(max_edges, bool) or max_edges < 1):
        raise ConfigError(f"the maximum number of transitions must be >= 1, got {max_edges!r}")
    if isinstance(top_variants, bool) or top_variants < 0:
        raise ConfigError(f"the number of variants must be >= 0, got {top_variants!r}")
    land = check_land(land)
    w = D.words(lang)
    model_file = _model_file(output, kind)
    inputs = D.check_drawing(None if model_file else output, log, options=options)
    if model_file:
        check_output(Path(output), inputs)  # type: ignore[arg-type]
    if options is not None:
        options = options.with_mapping_file()
    tz = timezone or (options.timezone if options else DEFAULT_TIMEZONE)
    with steps(5 if kind != "dfg" else 4, "reading the log", progress) as advance:
        frame, source_name, staff, left_out = I.load(log, options)
        advance("directly-follows graph and waiting times")
        inst = I.activity_instances(frame, working_days=working_days, land=land, timezone=tz,
                                    source=source_name, has_staff_ids=staff,
                                    dates_left_out=left_out)
        del frame
        edges = _edges(inst, k_min)
        nodes = _nodes(inst, k_min)
        edges, achieved = _apply_coverage(inst, edges, coverage, max_edges)
        # published order must not reveal the size of a suppressed edge: those go last
        edges = rank(edges.drop(columns=["rank"]), "cases", ["from", "to"])
        advance("variants")
        var_table, var_counts = _variants(inst, k_min, top_variants)
        notes = inst.notes()
        office = working_days
        legend_unit = w["office"].format(land=land) if office else w["calendar"]
        name = title if title is not None else Path(inst.source).name
        if kind == "dfg":
            model_class = "directly-follows graph"
            algorithm = ("directly-follows graph computed with Polars; transitions kept by "
                         f"coverage {coverage:g} (complete paths of "
                         f"{achieved:.1%} of cases shown)")
            advance("drawing")
            shown_line = w["shown"].format(
                shown=D.fmt_int(int(edges["shown"].sum()), lang),
                total=D.fmt_int(len(edges), lang),
                pct=D.de_num(100 * achieved) if lang == "de" else f"{100 * achieved:.1f}",
                cases=D.fmt_int(inst.cases, lang))
            source = _dfg_dot(nodes, edges, name, legend_unit, office, k_min, shown_line, lang)
        else:
            advance("inductive miner (pm4py)")
            tree, algorithm = _mine(inst, var_counts, noise, miner)
            model = _model(tree, kind)
            advance("drawing")
            source, model_class = _model_dot(model, kind, nodes, name, algorithm, k_min, lang)
        written = missing = None
        if model_file:
            notes.extend(_write_model(model, kind, Path(output), inputs))  # type: ignore[arg-type]
            written = str(output)
        elif output is not None:
            try:
                D.render(source, output, inputs)
                written = str(output)
            except D.GraphvizMissing as err:
                missing = err
    shown = edges[edges["shown"]]
    acts_shown = set(shown["from"].dropna()) | set(shown["to"].dropna())
    return D.finish(ProcessMap(
        source=inst.source, kind=kind, model_class=model_class, algorithm=algorithm,
        dot=source, output=written, unit=inst.unit, k_min=k_min, cases=inst.cases,
        activities_total=len(nodes),
        activities_shown=len(acts_shown) if kind == "dfg" else len(nodes),
        edges_total=len(edges), edges_shown=int(edges["shown"].sum()),
        coverage=coverage if kind == "dfg" else None,
        coverage_achieved=achieved if kind == "dfg" else None,
        noise=noise if kind != "dfg" else None, edges=edges, variants=var_table,
        variants_total=len(var_counts), notes=notes), missing)


# ---- directly-follows graph ---------------------------------------------------------------

def _edges(inst: I.Instances, k_min: int) -> pd.DataFrame:
    """All edges: transitions with waiting figures, plus Start -> first and last -> End."""
    trans = transition_stats(inst)[["from", "to", "cases", "occurrences", "median_wait_days",
                                    "p90_wait_days"]]
    f = inst.frame
    first = f.filter(pl.col(I.PREV_ACT).is_null()).group_by(I.ACT).agg(
        pl.col(I.CASE).n_unique().alias("cases"), pl.len().alias("occurrences"))
    last = f.group_by(I.CASE).agg(pl.col(I.ACT).last()).group_by(I.ACT).agg(
        pl.col(I.CASE).n_unique().alias("cases"), pl.len().alias("occurrences"))
    start = (first.with_columns(pl.col(I.ACT).cast(pl.String)).to_pandas()
             .rename(columns={I.ACT: "to"}).assign(**{"from": None}))
    end = (last.with_columns(pl.col(I.ACT).cast(pl.String)).to_pandas()
           .rename(columns={I.ACT: "from"}).assign(to=None))
    edges = pd.concat([trans, start, end], ignore_index=True)
    for col in ("cases", "occurrences"):
        edges[col] = edges[col].astype("int64")
    edges["from"] = edges["from"].astype(object)
    edges["to"] = edges["to"].astype(object)
    edges = edges.sort_values(["cases", "occurrences", "from", "to"],
                              ascending=[False, False, True, True], na_position="first",
                              kind="stable", ignore_index=True)
    edges["rank"] = np.arange(len(edges))
    return suppress_rows(edges, count="cases", k_min=k_min,
                         columns=["cases", "occurrences", "median_wait_days", "p90_wait_days"])


def _nodes(inst: I.Instances, k_min: int) -> pd.DataFrame:
    g = (inst.frame.group_by(I.ACT).agg(pl.len().alias("instances"),
                                        pl.col(I.CASE).n_unique().alias("cases"))
         .with_columns(pl.col(I.ACT).cast(pl.String)).to_pandas())
    g[I.ACT] = g[I.ACT].astype(object)
    g = g.sort_values(["instances", I.ACT], ascending=[False, True], ignore_index=True)
    return suppress_rows(g, count="cases", columns=["instances", "cases"], k_min=k_min)


def _apply_coverage(inst: I.Instances, edges: pd.DataFrame, coverage: float,
                    max_edges: int | None = None) -> tuple[pd.DataFrame, float]:
    """Mark the most used edges that contain the complete paths of ``coverage`` of all cases.

    An edge's rank orders edges by cases (most first). A case is covered by the first K edges
    when the highest rank among its edges is below K; K is the smallest number that covers
    ``coverage`` of the cases, or ``max_edges`` if that is smaller (a map for a printed page:
    the achieved coverage is then lower, and returned).
    """
    f = inst.frame
    if not len(f):
        edges["shown"] = False
        return edges, 1.0
    act, prev = pl.col(I.ACT).cast(pl.String), pl.col(I.PREV_ACT).cast(pl.String)
    per_case = pl.concat([
        f.filter(pl.col(I.PREV_ACT).is_not_null()).select(
            pl.col(I.CASE), prev.alias("from"), act.alias("to")),
        f.filter(pl.col(I.PREV_ACT).is_null()).select(
            pl.col(I.CASE), pl.lit(None, pl.String).alias("from"), act.alias("to")),
        f.group_by(I.CASE).agg(pl.col(I.ACT).last()).select(
            pl.col(I.CASE), act.alias("from"), pl.lit(None, pl.String).alias("to")),
    ])
    ranks = pl.from_pandas(edges[["from", "to", "rank"]].astype({"from": "string",
                                                                "to": "string"}))
    worst = (per_case.join(ranks, on=["from", "to"], how="left", nulls_equal=True)
             .group_by(I.CASE).agg(pl.col("rank").max()).get_column("rank").to_numpy())
    worst = np.sort(worst)
    need = max(1, math.ceil(coverage * len(worst) - 1e-9))
    k = int(worst[need - 1]) + 1
    if max_edges is not None:
        k = min(k, max_edges)
    achieved = float(np.searchsorted(worst, k, side="left") / len(worst))
    edges = edges.copy()
    edges["shown"] = edges["rank"] < k
    return edges, achieved


def _dfg_dot(nodes: pd.DataFrame, edges: pd.DataFrame, title: str, legend_unit: str,
             office: bool, k_min: int, shown_line: str = "", lang: str = "de") -> str:
    w = D.words(lang)
    shown = edges[edges["shown"]]
    names = set(shown["from"].dropna()) | set(shown["to"].dropna())
    ids = {name: f"n{i}" for i, name in enumerate(nodes["activity"]) if name in names}
    n_max = float(nodes["instances"].max()) if nodes["instances"].notna().any() else 0.0
    legend = ((f"{D.html_text(shown_line, 200)}<BR/>" if shown_line else "")
              + f"{D.html_text(w['edges'], 200)} {D.html_text(legend_unit, 100)}.<BR/>"
              + D.html_text(w["suppressed"].format(mark=MARK, k=k_min), 200))
    g = D.new_graph(title, legend)
    g.node("start", label=w["start"], shape="circle", style="filled", fillcolor="#d9f0d3",
           width="0.6", fixedsize="true")
    g.node("end", label=w["end"], shape="doublecircle", style="filled", fillcolor="#f0d9d9",
           width="0.6", fixedsize="true")
    for _, row in nodes.iterrows():
        if row["activity"] not in ids:
            continue
        fill, font = D.node_fill(row["instances"], n_max)
        label = (f'<{D.html_text(row["activity"])}<BR/>'
                 f'<FONT POINT-SIZE="9">{D.fmt_int(row["instances"], lang)}×</FONT>>')
        g.node(ids[row["activity"]], label=label, shape="box", style="rounded,filled",
               fillcolor=fill, fontcolor=font, margin="0.15,0.06")
    inner = shown[shown["from"].notna() & shown["to"].notna()]
    medians = inner["median_wait_days"].dropna().to_numpy(dtype=float)
    bounds = (np.quantile(medians, [0.2, 0.4, 0.6, 0.8]).tolist() if len(medians) else [])
    occ_max = float(shown["occurrences"].max()) if shown["occurrences"].notna().any() else 1.0
    for _, e in shown.iterrows():
        tail = "start" if e["from"] is None or pd.isna(e["from"]) else ids[e["from"]]
        head = "end" if e["to"] is None or pd.isna(e["to"]) else ids[e["to"]]
        hidden = bool(e[FLAG])
        width = 1.0 if hidden else 0.8 + 5.0 * math.sqrt(float(e["occurrences"]) / occ_max)
        if tail == "start" or head == "end":
            label = f"<{D.fmt_int(e['cases'], lang)}>"
            colour = "#8c8c8c"
        elif hidden:
            label = f"<{MARK}>"
            colour = D.SUPPRESSED_COLOUR
        else:
            label = (f"<{D.fmt_int(e['occurrences'], lang)}×<BR/>"
                     f"Median {D.fmt_duration(e['median_wait_days'], office, lang)}<BR/>"
                     f"P90 {D.fmt_duration(e['p90_wait_days'], office, lang)}>")
            colour = D.wait_colour(float(e["median_wait_days"]), bounds)
        g.edge(tail, head, label=label, penwidth=f"{width:.2f}", color=colour,
               fontcolor="#333333", style="dashed" if hidden else "solid")
    return g.source


# ---- variants -----------------------------------------------------------------------------

def _variants(inst: I.Instances, k_min: int,
              top: int) -> tuple[pd.DataFrame, Counter[tuple[str, ...]]]:
    """The ``top`` most frequent variants with at least ``k_min`` cases, and one pooled row."""
    f = inst.frame
    cols = ["rank", "cases", "share", "median_duration_days", "length", "activities", "path"]
    if not len(f):
        return pd.DataFrame(columns=[*cols, FLAG]), Counter()
    seq = f.group_by(I.CASE, maintain_order=True).agg(
        pl.col(I.ACT).cast(pl.String).alias("acts"), pl.col(I.START).min().alias("s"),
        pl.col(I.END).max().alias("e"))
    if inst.working_days:
        years = (seq["s"].min().year - 1, seq["e"].max().year + 1)
        hol = public_holidays(inst.land or DEFAULT_LAND, *years)
        local = seq.select(
            pl.col(c).dt.convert_time_zone(inst.timezone).dt.replace_time_zone(None)
            for c in ("s", "e"))
        dur = office_days(local["s"].to_numpy(), local["e"].to_numpy(), hol)
        seq = seq.with_columns(pl.Series("d", dur, dtype=pl.Float64))
    else:
        seq = seq.with_columns(
            ((pl.col("e") - pl.col("s")).dt.total_microseconds() / 1e6 / I.DAY_SECONDS)
            .alias("d"))
    seq = seq.with_columns(pl.col("acts").list.join("\x1f").alias("key"))
    var = (seq.group_by("key").agg(pl.len().alias("cases"), pl.col("acts").first(),
                                   pl.col("d").median().alias("median_duration_days"))
           .sort(["cases", "key"], descending=[True, False]))
    counts: Counter[tuple[str, ...]] = Counter(
        {tuple(a): int(n) for a, n in zip(var["acts"].to_list(), var["cases"].to_list(),
                                          strict=True)})
    total = inst.cases
    listed = var.filter(pl.col("cases") >= k_min).head(top)
    rest = seq.join(listed.select("key"), on="key", how="anti")
    rows = [{"rank": i + 1, "cases": int(r["cases"]), "share": r["cases"] / total,
             "median_duration_days": r["median_duration_days"], "length": len(r["acts"]),
             "activities": list(r["acts"]), "path": " → ".join(r["acts"])}
            for i, r in enumerate(listed.iter_rows(named=True))]
    if len(rest):
        n_rest = len(rest)
        rows.append({"rank": None, "cases": n_rest, "share": n_rest / total,
                     "median_duration_days": rest["d"].median(), "length": None,
                     "activities": None,
                     "path": f"other variants ({rest['key'].n_unique()})"})
    table = pd.DataFrame(rows, columns=cols)
    table["rank"] = table["rank"].astype("Int64")
    table["length"] = table["length"].astype("Int64")
    table = suppress_rows(table, count="cases", k_min=k_min,
                          columns=["cases", "share", "median_duration_days"])
    return table, counts


# ---- inductive miner (pm4py) --------------------------------------------------------------

def _mine(inst: I.Instances, variants: Counter[tuple[str, ...]], noise: float,
          miner: str) -> tuple[Any, str]:
    """A process tree from pm4py's inductive miner, and a sentence saying which one ran."""
    from ist_analyse._pm4py import pm4py

    chosen = miner
    if miner == "auto":
        chosen = "imf" if len(variants) <= IMF_MAX_VARIANTS else "imd"
    with contextlib.redirect_stdout(sys.stderr):
        pm = pm4py()
        if chosen == "imf":
            inductive = pm.algo.discovery.inductive
            params = {"noise_threshold": float(noise), "multiprocessing": False}
            data = inductive.dtypes.im_ds.IMDataStructureUVCL(variants)
            tree = inductive.variants.imf.IMFUVCL(params).apply(data, params)
            generic = pm.objects.process_tree.utils.generic
            tree = generic.fold(tree)
            generic.tree_sort(tree)
            algorithm = (f"pm4py inductive miner, infrequent variant IMf (noise threshold "
                         f"{noise:g}) on the {len(variants):,} variants of the log")
        else:
            dfg = pm.objects.dfg.obj.DFG()
            f = inst.frame
            act = pl.col(I.ACT).cast(pl.String)
            pairs = (f.filter(pl.col(I.PREV_ACT).is_not_null())
                     .group_by(pl.col(I.PREV_ACT).cast(pl.String), act).len())
            for a, b, n in pairs.iter_rows():
                dfg.graph[(a, b)] = int(n)
            firsts = f.filter(pl.col(I.PREV_ACT).is_null()).group_by(act).len()
            for a, n in firsts.iter_rows():
                dfg.start_activities[a] = int(n)
            last = f.group_by(I.CASE).agg(act.last()).group_by(I.ACT).len()
            for a, n in last.iter_rows():
                dfg.end_activities[a] = int(n)
            tree = pm.discover_process_tree_inductive(dfg, multi_processing=False)
            why = (f"; {len(variants):,} variants are more than IMf handles in seconds "
                   f"(auto switches above {IMF_MAX_VARIANTS:,})" if miner == "auto" else "")
            algorithm = ("pm4py inductive miner, directly-follows variant IMd on the "
                         "directly-follows graph (same model class as IM: a process tree; "
                         f"the noise threshold does not apply to IMd){why}")
    return tree, algorithm


#: model files ``discover`` writes, by suffix, and the kind each holds
MODEL_SUFFIXES = {".bpmn": "bpmn", ".pnml": "petri"}


def _model_file(output: str | Path | None, kind: str) -> bool:
    """Whether ``output`` asks for the model itself (.bpmn, .pnml) rather than a drawing."""
    if output is None:
        return False
    wants = MODEL_SUFFIXES.get(Path(output).suffix.lower())
    if wants is None:
        return False
    if wants != kind:
        raise OutputError(f"a {kind} result cannot be saved as '{Path(output).suffix}'",
                          file=output, hint=f"use --kind {wants} to save a "
                          f"{'BPMN model' if wants == 'bpmn' else 'Petri net'}, or name the "
                          "output .svg, .png or .pdf for a drawing")
    return True


def _model(tree: Any, kind: str) -> Any:
    """The process tree as a pm4py BPMN model, or as Petri net ``(net, im, fm)``."""
    from ist_analyse._pm4py import pm4py

    with contextlib.redirect_stdout(sys.stderr):
        pm = pm4py()
        return pm.convert_to_bpmn(tree) if kind == "bpmn" else pm.convert_to_petri_net(tree)


def _write_model(model: Any, kind: str, output: Path, inputs: list[Any]) -> list[str]:
    """Write the model as BPMN 2.0 XML or PNML (pm4py's exporters), atomically.

    ``conformance --model`` reads either back. A BPMN file gets pm4py's diagram layout, which
    needs Graphviz; without it the file is written without layout coordinates (modelling tools
    lay it out on import) and a note says so. Returns the notes.
    """
    import graphviz

    from ist_analyse._pm4py import pm4py

    notes: list[str] = []
    with contextlib.redirect_stdout(sys.stderr):
        pm4py()
        if kind == "bpmn":
            from pm4py.objects.bpmn.exporter.variants.etree import get_xml_string
            from pm4py.objects.bpmn.layout import layouter

            try:
                model = layouter.apply(model)
            except graphviz.ExecutableNotFound:
                notes.append(Note(NoteCode.MODEL_WITHOUT_LAYOUT, "Graphviz is not installed: "
                                  f"{output.name} has no diagram layout (a modelling tool lays "
                                  "it out on import)", file=output.name))
            data = get_xml_string(model)
        else:
            from pm4py.objects.petri_net.exporter.variants.pnml import export_petri_as_string

            data = export_petri_as_string(*model)
    write_atomic(output, lambda fh: fh.write(data))
    return notes


def _model_dot(model: Any, kind: str, nodes: pd.DataFrame, title: str, algorithm: str,
               k_min: int, lang: str = "de") -> tuple[str, str]:
    from ist_analyse._pm4py import pm4py

    counts = {r["activity"]: r["instances"] for _, r in nodes.iterrows()}
    w = D.words(lang)
    legend = (f"{D.html_text(algorithm, 110)}<BR/>"
              + D.html_text(w["suppressed"].format(mark=MARK, k=k_min), 200))
    g = D.new_graph(title, legend)

    def task_label(name: str) -> str:
        n = counts.get(name)
        return (f'<{D.html_text(name)}<BR/>'
                f'<FONT POINT-SIZE="9">{D.fmt_int(n, lang)}×</FONT>>')

    with contextlib.redirect_stdout(sys.stderr):
        pm = pm4py()
        if kind == "bpmn":
            bpmn = pm.objects.bpmn.obj.BPMN
            ids: dict[Any, str] = {}
            for i, node in enumerate(model.get_nodes()):
                ids[node] = f"n{i}"
                if isinstance(node, bpmn.StartEvent):
                    g.node(ids[node], label="", shape="circle", width="0.35",
                           style="filled", fillcolor="#d9f0d3", xlabel=w["start"])
                elif isinstance(node, bpmn.EndEvent):
                    g.node(ids[node], label="", shape="circle", width="0.35", penwidth="3",
                           style="filled", fillcolor="#f0d9d9", xlabel=w["end"])
                elif isinstance(node, bpmn.Task):
                    g.node(ids[node], label=task_label(node.get_name()), shape="box",
                           style="rounded,filled", fillcolor="#eff3ff", margin="0.15,0.06")
                else:
                    sign = ("+" if isinstance(node, bpmn.ParallelGateway) else
                            "○" if isinstance(node, bpmn.InclusiveGateway) else "×")
                    g.node(ids[node], label=sign, shape="diamond", width="0.45",
                           height="0.45", fixedsize="true", style="filled",
                           fillcolor="#fff7bc")
            for flow in model.get_flows():
                g.edge(ids[flow.get_source()], ids[flow.get_target()])
            return g.source, "BPMN"
        net, im, fm = model
        ids = {}
        for i, place in enumerate(sorted(net.places, key=lambda p: str(p.name))):
            ids[place] = f"p{i}"
            token = "●" if place in im else ""
            g.node(ids[place], label=token, shape="doublecircle" if place in fm else "circle",
                   width="0.3", fixedsize="true", fontsize="14")
        for i, trans in enumerate(sorted(net.transitions, key=lambda t: str(t.name))):
            ids[trans] = f"t{i}"
            if trans.label is None:
                g.node(ids[trans], label="", shape="box", style="filled", fillcolor="black",
                       width="0.12", height="0.35", fixedsize="true")
            else:
                g.node(ids[trans], label=task_label(trans.label), shape="box",
                       style="filled", fillcolor="#eff3ff", margin="0.15,0.06")
        for arc in sorted(net.arcs, key=lambda a: (ids[a.source], ids[a.target])):
            g.edge(ids[arc.source], ids[arc.target])
        return g.source, "Petri net"

