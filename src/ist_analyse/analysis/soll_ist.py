"""The ``conformance`` verb: Ist against Soll, the target model and the legal deadlines at once.

An organisation developer asks one question — "where does practice depart from what we want
and from what the law demands?" — so one call answers both halves: model conformance
(:func:`~ist_analyse.analysis.conformance.check_conformance`) when a Soll model is given, rule
checks (:func:`~ist_analyse.analysis.rules.check_rules`) when a rule file is given. The log is
read once and shared. With ``output`` the Soll model is drawn with its deviations marked:

* a task the cases skipped (model move) is filled orange with a bold border and labelled
  "übersprungen in N Fällen";
* an activity done where the model does not allow it (log move) gets a dashed vermilion border
  and "ohne Modell in N Fällen"; activities that the model does not know at all appear in a
  dashed box "Nicht im Soll-Modell" beside it;
* a task done at the wrong point (a log move and a model move in the same case) gets a dotted
  blue border and "falsche Reihenfolge in N Fällen";
* a task without deviations stays pale blue.

Colours are Okabe–Ito (colour-blind safe) and every state also differs in line style and text,
so a black-and-white print reads the same. Counts below ``k_min`` cases are shown as "·".
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ist_analyse import log as L
from ist_analyse.analysis import dot as D
from ist_analyse.analysis.conformance import Conformance, SollModel, check_conformance, read_model
from ist_analyse.analysis.rules import RuleResults, check_rules
from ist_analyse.config import ImportOptions, parse_day
from ist_analyse.errors import ConfigError
from ist_analyse.inspection import LogLike, as_import_result
from ist_analyse.io.pipeline import ImportResult
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import K_MIN_DEFAULT, MARK, check_k_min

#: Okabe–Ito colours: skipped (orange), extra (vermilion), wrong order (blue), conforming (pale)
SKIPPED_FILL = "#E69F00"
EXTRA_COLOUR = "#D55E00"
ORDER_COLOUR = "#0072B2"
OK_FILL = "#DCEEF8"

#: cases per activity; ``None`` is a suppressed count (fewer than k_min cases)
Counts = dict[str, int | None]


@dataclass
class SollIst:
    """The result of :func:`conformance`; ``to_dict()`` is the ``--json`` document.

    The model part's keys (``log_fitness``, ``fitting_share``, ``deviations`` ...) are at the
    top level and ``null`` without a model; ``rules`` is the list of rule results (empty
    without a rule file), ``rule_check`` the reference date and notes of the rule check.
    """

    source: str
    model: Conformance | None
    rules: RuleResults | None
    picture: str | None
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        keys = ("method", "model", "cases", "events", "log_fitness", "fitting_share",
                "average_trace_fitness", "precision", "variants_total", "variants_aligned",
                "cases_aligned_share", "deviations", "deviating_variants", "time_budget")
        out: dict[str, Any] = {"source": self.source}
        conf = self.model.to_dict() if self.model is not None else {}
        out.update({k: conf.get(k) for k in keys})
        rules = self.rules.to_dict() if self.rules is not None else None
        out["rules"] = rules["rules"] if rules else []
        out["rule_check"] = ({k: v for k, v in rules.items() if k != "rules"}
                             if rules else None)
        out["picture"] = self.picture
        out["k_min"] = (self.model.k_min if self.model is not None
                        else self.rules.k_min if self.rules is not None else None)
        out["seconds"] = self.seconds
        out["notes"] = [*self.notes, *(conf.get("notes") or []),
                        *(rules["notes"] if rules else [])]
        return out


def check_soll_ist(log: LogLike, options: ImportOptions | None = None, *,
                model: SollModel | str | Path | None = None,
                reference: str | None = None, noise: float = 0.2,
                rules: str | Path | None = None, method: str = "alignments",
                time_budget: float | None = None, as_of: Any = None,
                output: str | Path | None = None, land: str = "HE",
                k_min: int = K_MIN_DEFAULT, title: str | None = None,
                include_open: bool = False, precision: bool | None = None,
                progress: bool = False) -> SollIst:
    """Check a log against a Soll model and/or a rule file; optionally draw the deviations.

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an ImportResult or
            a canonical DataFrame.
        options: import options when ``log`` is a path.
        model: the Soll model (BPMN 2.0 XML or PNML path, or a :class:`SollModel`).
        reference: instead of a model file, a reference period ``"FROM:TO"`` (dates as
            ``JJJJ-MM-TT`` or ``TT.MM.JJJJ``, both days included): the model is discovered
            with pm4py's inductive miner from the (closed) cases that started in it, and every
            case of the log is compared with it — "do we still work as we did then?".
        noise: noise threshold of the inductive miner (IMf) for ``reference``.
        rules: a rule file (TOML, format in ``models/abh_rules.toml``).
        method: ``"alignments"`` or ``"token-replay"``: how ``log_fitness`` is computed.
        time_budget: seconds for the alignments (``None``: align every variant).
        as_of: reference date for open cases in deadline rules (default: end of the log).
        output: draw the Soll model with its deviations (.svg/.png/.pdf); needs ``model``.
        land: Land of the public holidays for ``working_days`` rules.
        k_min: counts about fewer cases are suppressed (1 switches that off).
        title: title of the picture (default: the model's file name).
        include_open: compare open cases with the model too. By default, when the end
            activities are known (``options.end_activities``, ``--end-activity`` or the mapping
            file), only closed cases are compared with the model: an open case has not had the
            chance to reach the model's end, and its missing steps would be reported as
            "skipped". Rules always see every case (deadlines count open cases as
            ``overdue_open``).
        precision: compute pm4py's token-replay precision (``None``: for small logs only).
        progress: show the alignment progress on stderr.

    Raises:
        ConfigError: neither model nor rules given, or ``output`` without a model;
        ModelError: the model cannot be read; OutputError: the picture cannot be written.
    """
    started = time.monotonic()
    k_min = check_k_min(k_min)
    if model is not None and reference is not None:
        raise ConfigError("give either a Soll model or a reference period, not both",
                          hint="--model soll.bpmn, or --reference 2024-01-01:2024-06-30")
    if model is None and rules is None and reference is None:
        raise ConfigError("nothing to check against: give a Soll model (or a reference "
                          "period), a rule file or both",
                          hint="--model soll.bpmn and/or --rules rules.toml")
    if output is not None and model is None and reference is None:
        raise ConfigError("a picture of deviations needs a Soll model (--model or --reference)")
    inputs = D.check_drawing(output, log, model, rules, options=options, what="the model")
    if options is not None:
        options = options.with_mapping_file()
    soll = model if isinstance(model, SollModel) or model is None else read_model(model)
    result = as_import_result(log, options)
    conf = None
    notes: list[str] = []
    if soll is not None or reference is not None:
        closed, note = _closed_cases(result, options, include_open)
        if note:
            notes.append(note)
        if reference is not None:
            soll = discover_reference_model(closed, reference, noise=noise,
                                            timezone=options.timezone if options else None)
            notes.append(Note(NoteCode.SOLL_DISCOVERED,
                              f"the Soll model was discovered: {soll.source}",
                              model=soll.source))
        conf = check_conformance(closed, soll, method=method, time_budget=time_budget,
                                 k_min=k_min, precision=precision, **_progress_kw(progress))
    checked = None
    if rules is not None:
        checked = check_rules(result, rules, as_of=as_of, land=land, k_min=k_min,
                              options=options)
    picture = missing = None
    if output is not None and soll is not None and conf is not None:
        source = deviation_dot(soll, conf, title=title)
        try:
            D.render(source, output, inputs)
            picture = str(output)
        except D.GraphvizMissing as err:
            missing = err
    return D.finish(SollIst(source=result.report.source, model=conf, rules=checked,
                            picture=picture, seconds=round(time.monotonic() - started, 3),
                            notes=notes), missing)


def _closed_cases(result: ImportResult, options: ImportOptions | None,
                  include_open: bool) -> tuple[ImportResult, str | None]:
    """The closed cases of the log (those with an end activity), and a note saying so."""
    ends = tuple(options.end_activities) if options is not None else ()
    if include_open:
        return result, Note(NoteCode.OPEN_CASES_INCLUDED, "open cases were compared with "
                            "the Soll model too (include_open)")
    if not ends:
        return result, Note(NoteCode.END_ACTIVITIES_UNKNOWN, "end activities unknown "
                            "(--end-activity or the mapping file): open cases are compared "
                            "with the Soll model too, their missing final steps count as "
                            "skipped")
    df = result.log
    closed = df.loc[df[L.ACTIVITY].isin(ends).to_numpy(), L.CASE_ID].unique()
    keep = df[L.CASE_ID].isin(closed).to_numpy()
    n_open = df.loc[~keep, L.CASE_ID].nunique()
    if n_open == 0:
        return result, None
    if not keep.any():
        raise ConfigError("no case of the log is closed (none has an end activity: "
                          f"{', '.join(ends)}), so none can be compared with the Soll model",
                          hint="check --end-activity, or compare open cases too "
                          "(include_open / --include-open)")
    kept = replace(result, log=df.loc[keep].reset_index(drop=True))
    return kept, Note(NoteCode.OPEN_CASES_NOT_COMPARED, f"{n_open} open cases (without "
                      f"{' / '.join(ends)}) were not compared with the Soll model; the rules "
                      "check them", count=n_open, ends=list(ends))


def discover_reference_model(log: LogLike, period: str, *, noise: float = 0.2,
                             timezone: str | None = None) -> SollModel:
    """A model of how cases that started in ``period`` (``"FROM:TO"``) ran: pm4py's inductive
    miner (IMf with ``noise`` on the variants, IMd for very many variants) as a Petri net."""
    from ist_analyse.analysis import instances as I
    from ist_analyse.analysis.discovery import _mine, _variants

    parts = [p.strip() for p in str(period).split(":")] if period else []
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"the reference period {period!r} is not FROM:TO",
                          hint="e.g. --reference 2024-01-01:2024-06-30")
    first, last = (parse_day(p, "reference period") for p in parts)
    if last < first:
        raise ConfigError(f"the reference period {period!r} ends before it starts")
    if not 0 <= noise < 1:
        raise ConfigError(f"the noise threshold must be between 0 and 1, got {noise!r}")
    tz = timezone or "Europe/Berlin"
    df = as_import_result(log).log
    starts = df.groupby(L.CASE_ID, observed=True, sort=False)[L.TIMESTAMP].min()
    day = starts.dt.tz_convert(tz).dt.date
    cases = starts.index[((day >= first) & (day <= last)).to_numpy()]
    if len(cases) == 0:
        raise ConfigError(f"no case started in the reference period {first:%d.%m.%Y} – "
                          f"{last:%d.%m.%Y}",
                          hint="the log's cases start between "
                          f"{day.min():%d.%m.%Y} and {day.max():%d.%m.%Y}")
    ref = df[df[L.CASE_ID].isin(cases).to_numpy()].reset_index(drop=True)
    if L.LIFECYCLE in ref.columns:
        ref = ref[ref[L.LIFECYCLE].isna().to_numpy()].reset_index(drop=True)
    inst = I.activity_instances(ref, timezone=tz)
    _table, variants = _variants(inst, 1, 0)
    tree, algorithm = _mine(inst, variants, noise, "auto")
    from ist_analyse._pm4py import pm4py

    with contextlib.redirect_stdout(sys.stderr):
        net, im, fm = pm4py().convert_to_petri_net(tree)
    # a Note, so that the report can say in German which cases the model was mined from
    source = Note(NoteCode.REFERENCE_MODEL,
                  f"{len(cases)} cases started {first:%d.%m.%Y} – {last:%d.%m.%Y} ({algorithm})",
                  cases=len(cases), first=first, last=last)
    return SollModel(net, im, fm, "discovered", len(net.places) + len(net.transitions), source)


def _progress_kw(progress: bool) -> dict[str, Any]:
    """Pass ``progress`` on only where :func:`check_conformance` accepts it."""
    import inspect

    return ({"progress": progress}
            if "progress" in inspect.signature(check_conformance).parameters else {})


# ---- the picture --------------------------------------------------------------------------

def _counts(conf: Conformance) -> tuple[Counts, Counts, Counts]:
    """Cases per activity: skipped, extra, wrong order (``None``: suppressed, fewer than k)."""
    skipped: Counts = {}
    extra: Counts = {}
    order: Counts = {}
    for d in conf.deviations:
        for target, cases, words in ((skipped, d.skipped_cases, "skipped"),
                                     (extra, d.extra_cases, "without the model"),
                                     (order, d.wrong_order_cases, "wrong order")):
            if cases:
                target[d.activity] = cases
            elif cases is None and words in d.text:
                target[d.activity] = None
    return skipped, extra, order


def _task_style(name: str, skipped: Counts, extra: Counts, order: Counts) -> dict[str, str]:
    lines = [D.html_text(name)]
    attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": OK_FILL,
             "margin": "0.15,0.06", "penwidth": "1"}
    if name in skipped:
        lines.append(f'<FONT POINT-SIZE="9"><B>übersprungen in {D.de_int(skipped[name])} '
                     'Fällen</B></FONT>')
        attrs.update(fillcolor=SKIPPED_FILL, penwidth="2.5")
    if name in order:
        lines.append(f'<FONT POINT-SIZE="9">falsche Reihenfolge in {D.de_int(order[name])} '
                     'Fällen</FONT>')
        attrs.update(style="rounded,filled,dotted", color=ORDER_COLOUR, penwidth="2.5")
    if name in extra:
        lines.append(f'<FONT POINT-SIZE="9">ohne Modell in {D.de_int(extra[name])} '
                     'Fällen</FONT>')
        attrs.update(style="rounded,filled,dashed", color=EXTRA_COLOUR, penwidth="2.5")
    attrs["label"] = "<" + "<BR/>".join(lines) + ">"
    return attrs


def deviation_dot(soll: SollModel, conf: Conformance, title: str | None = None) -> str:
    """Graphviz source of the Soll model (BPMN as BPMN, PNML as Petri net), deviations marked."""
    skipped, extra, order = _counts(conf)
    aligned = (f"{conf.variants_aligned} von {conf.variants_total} Varianten ausgerichtet "
               f"({D.de_num(100 * conf.cases_aligned_share)} % der Fälle)")
    fitness = ("" if conf.log_fitness is None else
               f"Fitness {D.de_num(conf.log_fitness, 3)} ({conf.method}); ")
    legend = (f"{D.html_text(fitness + aligned, 110)}<BR/>"
              f'<FONT COLOR="{SKIPPED_FILL}">■</FONT> übersprungen (Modell verlangt, Fall hat '
              f'es nicht) · <FONT COLOR="{EXTRA_COLOUR}">┅</FONT> ohne Modell ausgeführt '
              f'(gestrichelt) · <FONT COLOR="{ORDER_COLOUR}">┈</FONT> falsche Reihenfolge '
              f"(gepunktet) · {MARK} = weniger als {conf.k_min} Fälle")
    name = title if title is not None else (
        "Referenzmodell" if soll.kind == "discovered" else Path(soll.source).name)
    g = D.new_graph(name, legend)
    known: set[str] = set()
    with contextlib.redirect_stdout(sys.stderr):
        if soll.kind == "bpmn":
            known = _bpmn_nodes(g, soll, skipped, extra, order)
        else:
            known = _petri_nodes(g, soll, skipped, extra, order)
    unknown = sorted(a for a in extra if a not in known)
    if unknown:
        with g.subgraph(name="cluster_unknown") as c:
            c.attr(label="<<B>Nicht im Soll-Modell</B>>", style="dashed", color=EXTRA_COLOUR,
                   fontname=D.FONT)
            for i, act in enumerate(unknown):
                c.node(f"u{i}", **_task_style(act, {}, extra, {}))
    return g.source


def _bpmn_nodes(g: Any, soll: SollModel, skipped: Counts, extra: Counts,
                order: Counts) -> set[str]:
    from ist_analyse._pm4py import pm4py

    pm = pm4py()
    model = pm.read_bpmn(soll.source)
    bpmn = pm.objects.bpmn.obj.BPMN
    ids: dict[Any, str] = {}
    names: set[str] = set()
    for i, node in enumerate(sorted(model.get_nodes(), key=lambda n: str(n.get_id()))):
        ids[node] = f"n{i}"
        if isinstance(node, bpmn.StartEvent):
            g.node(ids[node], label="", shape="circle", width="0.35", style="filled",
                   fillcolor="#d9f0d3", xlabel="Start")
        elif isinstance(node, bpmn.EndEvent):
            g.node(ids[node], label="", shape="circle", width="0.35", penwidth="3",
                   style="filled", fillcolor="#f0d9d9", xlabel="Ende")
        elif isinstance(node, bpmn.Activity):
            label = node.get_name() or ""
            names.add(label)
            g.node(ids[node], **_task_style(label, skipped, extra, order))
        elif isinstance(node, bpmn.Gateway):
            sign = "+" if isinstance(node, bpmn.ParallelGateway) else "×"
            g.node(ids[node], label=sign, shape="diamond", width="0.45", height="0.45",
                   fixedsize="true", style="filled", fillcolor="#fff7bc")
        else:
            g.node(ids[node], label=D.html_text(node.get_name() or ""), shape="circle",
                   width="0.35")
    for flow in model.get_flows():
        g.edge(ids[flow.get_source()], ids[flow.get_target()])
    return names


def _petri_nodes(g: Any, soll: SollModel, skipped: Counts, extra: Counts,
                 order: Counts) -> set[str]:
    net, im, fm = soll.net, soll.initial_marking, soll.final_marking
    ids: dict[Any, str] = {}
    names: set[str] = set()
    for i, place in enumerate(sorted(net.places, key=lambda p: str(p.name))):
        ids[place] = f"p{i}"
        g.node(ids[place], label="●" if place in im else "",
               shape="doublecircle" if place in fm else "circle", width="0.3",
               fixedsize="true", fontsize="14")
    for i, trans in enumerate(sorted(net.transitions, key=lambda t: str(t.name))):
        ids[trans] = f"t{i}"
        if trans.label is None:
            g.node(ids[trans], label="", shape="box", style="filled", fillcolor="black",
                   width="0.12", height="0.35", fixedsize="true")
        else:
            names.add(trans.label)
            g.node(ids[trans], **_task_style(trans.label, skipped, extra, order))
    for arc in sorted(net.arcs, key=lambda a: (ids[a.source], ids[a.target])):
        g.edge(ids[arc.source], ids[arc.target])
    return names
