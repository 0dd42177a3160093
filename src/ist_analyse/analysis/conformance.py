"""Conformance: how far the recorded cases (Ist) follow a target model (Soll).

:func:`read_model` reads the Soll model from BPMN 2.0 XML (bpmn.io, Camunda Modeler, Signavio)
or from PNML and converts it to a Petri net with pm4py. Model files are untrusted input, read as
carefully as logs: a document type declaration or entity declaration anywhere before the root
element is refused before any XML parser sees the file (no entity expansion, no external
entities), the size is capped, and our own structure check parses with lxml with entity
resolution, DTD loading and network access switched off. BPMN elements pm4py cannot convert
faithfully (inclusive and complex gateways, event-based gateways, boundary events, call
activities ...) are refused with their id and type, not with a stack trace.

Modelling tools export more than the control flow: text annotations and their associations,
groups, data objects and data stores with their data associations, lanes, pools with message
flows to other participants, tool metadata (``extensionElements``), documentation and the
diagram layout. None of it changes which orders of steps the model allows, and pm4py's BPMN
importer stumbles over some of it (an association to a data object ends in an
``AttributeError``). So :func:`read_model` hands pm4py a copy with only the process's flow nodes
and sequence flows; what it left out is counted in ``SollModel.ignored`` and named in a note. A
sequence flow whose end is not a flow node of the process, a flow node without id, or a model
with two pools that each hold a process are refused with the element's id and line.

:func:`check_conformance` compares a canonical log with the model. Only completed activity
instances take part: rows with a ``lifecycle`` value (unpaired ``start``, ``schedule`` ...) are
dropped first, and a note says how many. Then, exactly as pm4py computes them:

``method="token-replay"``
    ``log_fitness`` is pm4py's ``fitness_token_based_replay(...)["log_fitness"]`` (the token
    based fitness of the whole log), ``fitting_share`` its share of fitting cases.
``method="alignments"``
    Alignments are computed once per variant (distinct activity sequence), in descending order
    of frequency, with pm4py's default costs (synchronous move 0, log move and visible model
    move 10000, silent model move 1), and weighted by the number of cases of the variant. They
    are optimal alignments found by A* on the model's reachability graph, built once per model
    (see ``_align_on_graph``); a model with more than ``MAX_MARKINGS`` reachable markings is
    aligned with pm4py's own ``alignments.apply_trace`` instead. Both find the minimal cost, so
    the fitness figures are pm4py's to the last digit. When the alignments take longer than a
    second, the rest of the work is spread over a pool of worker processes (``workers``); the
    result does not depend on it.
    ``log_fitness`` is pm4py's ``fitness_alignments(...)["log_fitness"]``:
    ``1 - sum(cost) / sum(best worst cost)`` over all cases; ``average_trace_fitness`` the mean
    of the cases' fitness values (pm4py's ``average_trace_fitness``); ``fitting_share`` the
    share of cases with fitness 1.

``time_budget`` (seconds) bounds the alignment work: variants are aligned from the most to the
least frequent until the budget is used (every worker stops at the same deadline; a variant
whose alignment was not finished does not count). ``variants_aligned`` of ``variants_total`` and
``cases_aligned_share`` say how much was aligned; alignment figures then describe the aligned
variants only, and a note says so. The deviation table always comes from the alignments (also
with ``method="token-replay"``, whose fitness figure is complete regardless of the budget):

* a *model move* on a visible transition ("skipped in N cases"): the model requires the
  activity, the case does not have it at that point;
* a *log move* ("done without the model allowing it in N cases"): the case has the activity
  where the model does not allow it.
* both in the same case ("in the wrong order in N cases"): a log move and a model move of the
  same activity are paired into one step done at the wrong point, and not counted as skipped
  or extra.

Every count is a number of cases (a case with the same deviation twice counts once; ``*_moves``
counts the moves). Privacy: a count of 1 to ``k_min - 1`` cases is blanked and the row marked
``suppressed``; deviating variants with fewer than ``k_min`` cases are pooled into one row.
Example case ids (at most 5) are those of the log, keyed pseudonyms with the default import
settings, and are given for published counts only.
"""

from __future__ import annotations

import contextlib
import heapq
import multiprocessing
import os
import pickle
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ist_analyse import log as L
from ist_analyse._pm4py import pm4py, to_pm4py
from ist_analyse.analysis.progress import steps
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, ModelError
from ist_analyse.inspection import LogLike, as_import_result
from ist_analyse.notes import Note, NoteCode
from ist_analyse.privacy.suppress import K_MIN_DEFAULT, check_k_min

METHODS = ("token-replay", "alignments")
#: model files larger than this are refused (a hand-drawn Soll model is a few hundred kB)
MAX_MODEL_BYTES = 20 * 1024 * 1024
#: at most this many example case ids per row
MAX_EXAMPLES = 5
#: at most this many deviating variants are listed (the rest is pooled)
MAX_VARIANTS = 10
#: token-replay precision is computed by default up to this many events
PRECISION_MAX_EVENTS = 50_000
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: BPMN elements whose semantics pm4py's Petri-net conversion does not preserve
UNSUPPORTED_BPMN = {
    "inclusiveGateway": "inclusive (OR) gateway",
    "complexGateway": "complex gateway",
    "eventBasedGateway": "event-based gateway",
    "boundaryEvent": "boundary event",
    "callActivity": "call activity",
    "adHocSubProcess": "ad-hoc sub-process",
    "transaction": "transaction",
}
#: BPMN flow nodes counted as model elements
_BPMN_NODES = re.compile(r"(?i).*(task|event|gateway|subprocess)$")
#: BPMN elements that do not affect the control flow: left out before pm4py reads the model;
#: those a modeller draws are counted and named in a note, the rest (tool metadata, layout,
#: documentation, definitions behind a drawn element) silently
IGNORED_BPMN = ("textAnnotation", "association", "group", "dataObjectReference",
                "dataStoreReference", "dataInputAssociation", "dataOutputAssociation", "lane",
                "participant", "messageFlow")
_IGNORED_QUIETLY = ("extensionElements", "documentation", "BPMNDiagram", "category",
                    "dataObject", "dataStore", "ioSpecification", "property", "laneSet",
                    "collaboration")
_SKIP = ">>"


@dataclass
class SollModel:
    """A target model as a Petri net with initial and final marking."""

    net: Any
    initial_marking: Any
    final_marking: Any
    kind: str  # "bpmn" | "pnml"
    elements: int  # BPMN flow nodes, or places + transitions of a PNML net
    source: str = ""
    #: BPMN elements left out because they do not affect the control flow, by element type
    ignored: dict[str, int] = field(default_factory=dict)
    #: per-model work reused by every check (reachability graph, best worst cost)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def activities(self) -> list[str]:
        """The labels of the visible transitions, sorted."""
        return sorted({t.label for t in self.net.transitions if t.label is not None})

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "elements": self.elements,
                "places": len(self.net.places), "transitions": len(self.net.transitions),
                "activities": self.activities, "ignored": dict(self.ignored)}

    def notes(self) -> list[str]:
        """What was left out of the model file, in words."""
        if not self.ignored:
            return []
        what = ", ".join(f"{n} {k}" for k, n in self.ignored.items())
        return [Note(NoteCode.MODEL_ELEMENTS_IGNORED, "model elements that do not affect the "
                     f"control flow were ignored ({what})", counts=dict(self.ignored))]


@dataclass
class Deviation:
    """Deviations of one activity, counted in cases of the aligned variants."""

    activity: str
    skipped_cases: int | None
    skipped_moves: int | None
    extra_cases: int | None
    extra_moves: int | None
    text: str
    skipped_examples: list[str] = field(default_factory=list)
    extra_examples: list[str] = field(default_factory=list)
    suppressed: bool = False
    #: done, but where the model does not allow it and missing where the model wants it, in
    #: the same case: a step in the wrong order (one log move + one model move, paired)
    wrong_order_cases: int | None = 0
    wrong_order_moves: int | None = 0
    wrong_order_examples: list[str] = field(default_factory=list)


@dataclass
class DeviatingVariant:
    """A variant with at least one deviation; ``pooled`` rows gather the small ones."""

    activities: list[str]
    cases: int
    fitness: float | None
    skipped: list[str]
    extra: list[str]
    examples: list[str] = field(default_factory=list)
    pooled: bool = False
    variants: int = 1


@dataclass
class Conformance:
    """The result of :func:`check_conformance`; ``to_dict()`` is the ``--json`` document."""

    method: str
    model: dict[str, Any]
    cases: int
    events: int
    log_fitness: float | None
    fitting_share: float | None
    average_trace_fitness: float | None
    precision: float | None
    variants_total: int
    variants_aligned: int
    cases_aligned_share: float
    deviations: list[Deviation]
    deviating_variants: list[DeviatingVariant]
    k_min: int
    time_budget: float | None
    seconds: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- reading models


def read_model(path: str | Path) -> SollModel:
    """Read a Soll model from BPMN 2.0 XML or PNML and convert it to a Petri net.

    Raises:
        ModelError: missing or oversized file, a DOCTYPE/ENTITY declaration, not XML, a root
            element that is neither BPMN ``definitions`` nor ``pnml``, an unsupported BPMN
            element (named by id and type), or a model pm4py cannot convert.
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise ModelError("model file not found", file=name, code=ErrorCode.FILE_NOT_FOUND)
    size = p.stat().st_size
    if size == 0:
        raise ModelError("model file is empty", file=name, code=ErrorCode.EMPTY_FILE)
    if size > MAX_MODEL_BYTES:
        raise ModelError(f"model file is {size / 1e6:.1f} MB, more than the limit of "
                         f"{MAX_MODEL_BYTES / 1e6:.0f} MB", file=name)
    data = p.read_bytes()
    _refuse_declarations(data, name)
    root = _safe_parse(data, name)
    local = _local(root.tag)
    if local == "definitions" and _ns(root.tag) == BPMN_NS:
        return _read_bpmn(p, root, name)
    if local == "pnml":
        return _read_pnml(p, root, name)
    raise ModelError(f"the root element is <{local}>, neither BPMN 2.0 <definitions> nor <pnml>",
                     file=name, hint="export the model as BPMN 2.0 XML or as PNML")


def _refuse_declarations(data: bytes, name: str) -> None:
    """Refuse ``<!DOCTYPE``/``<!ENTITY`` anywhere before the root element."""
    text = _prolog_text(data)
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            return
        if text.startswith("<?", lt):
            end = text.find("?>", lt)
        elif text.startswith("<!--", lt):
            end = text.find("-->", lt)
        elif text.startswith("<!", lt):
            raise ModelError("the model file declares a document type or entities "
                             f"({text[lt:lt + 10].strip()!r}), which is refused for safety",
                             file=name, hint="modelling tools do not write these; export the "
                             "model again as BPMN 2.0 XML or PNML")
        else:
            return  # the root element
        if end < 0:
            return  # unterminated: the XML parser reports it
        pos = end + 2


def _prolog_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", errors="replace")
    # ASCII-compatible encodings (UTF-8, Latin-1 ...): the markup characters are single bytes
    return data.decode("latin-1")


def _safe_parse(data: bytes, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise ModelError(f"not a well-formed XML model: {exc.msg}", file=name, row=line,
                         code=ErrorCode.MODEL,
                         hint="export the model as BPMN 2.0 XML or as PNML") from None


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return str(tag)[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _read_bpmn(path: Path, root: Any, name: str) -> SollModel:
    for el in root.iter():
        local = _local(el.tag)
        if _ns(el.tag) == BPMN_NS and local in UNSUPPORTED_BPMN:
            label = el.get("name")
            what = f"{UNSUPPORTED_BPMN[local]} <{local}> id={el.get('id')!r}"
            if label:
                what += f" ({label!r})"
            raise ModelError(f"the model contains an {what}, which cannot be converted to a "
                             "Petri net faithfully", file=name, row=el.sourceline,
                             hint="model the choice with exclusive (XOR) and parallel (AND) "
                             "gateways")
    flow, ignored = _control_flow(root, name)
    nodes = sum(1 for el in flow.iter() if _is_flow_node(el))
    if nodes == 0:
        raise ModelError("the BPMN file contains no tasks, events or gateways", file=name)
    pm = pm4py()
    from pm4py.objects.bpmn.importer.variants.lxml import import_xml_tree_from_root

    try:
        net, im, fm = pm.convert_to_petri_net(import_xml_tree_from_root(flow))
    except Exception as exc:  # pm4py raises bare exceptions for models it cannot handle
        raise ModelError(f"pm4py cannot convert this BPMN model: {type(exc).__name__}: {exc}",
                         file=name) from None
    return _checked(SollModel(net, im, fm, "bpmn", nodes, name, ignored=ignored), name)


def _is_flow_node(el: Any) -> bool:
    local = _local(el.tag)
    return (_ns(el.tag) == BPMN_NS and bool(_BPMN_NODES.match(local))
            and "definition" not in local.lower())


def _control_flow(root: Any, name: str) -> tuple[Any, dict[str, int]]:
    """A copy of the model with only flow nodes and sequence flows, and what was left out.

    Refuses (with id and line) what pm4py would silently misread or fail on: two processes
    with flow nodes, a flow node without id, a sequence flow whose end is no flow node.
    """
    import copy

    from lxml import etree

    flow = copy.deepcopy(root)
    ignored: dict[str, int] = {}
    drop = []
    for el in flow.iter():
        if not isinstance(el.tag, str):  # processing instruction
            drop.append(el)
            continue
        local = _local(el.tag)
        if local in IGNORED_BPMN and _ns(el.tag) == BPMN_NS:
            # the pool that holds the process is not left out: only the other participants
            if not (local == "participant" and el.get("processRef")):
                ignored[local] = ignored.get(local, 0) + 1
            drop.append(el)
        elif local in _IGNORED_QUIETLY or _ns(el.tag) not in (BPMN_NS, ""):
            drop.append(el)
    for el in drop:
        # counted above also when nested in a dropped parent (lanes in a laneSet)
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    processes = [p for p in flow if _local(p.tag) == "process"
                 and any(_is_flow_node(el) for el in p.iter())]
    if len(processes) > 1:
        ids = ", ".join(repr(p.get("id")) for p in processes)
        raise ModelError(f"the model has {len(processes)} pools with their own process "
                         f"({ids}); a Soll model is one process", file=name,
                         row=processes[1].sourceline,
                         hint="export the pool of the authority alone, or draw the other "
                              "participants as collapsed (black-box) pools")
    ids = set()
    for el in flow.iter():
        if _is_flow_node(el):
            if not el.get("id"):
                raise ModelError(f"the <{_local(el.tag)}> {el.get('name') or ''!r} has no id",
                                 file=name, row=el.sourceline)
            ids.add(el.get("id"))
    for el in flow.iter(etree.QName(BPMN_NS, "sequenceFlow").text):
        for end in ("sourceRef", "targetRef"):
            if el.get(end) not in ids:
                raise ModelError(f"sequence flow id={el.get('id')!r}: its {end} "
                                 f"{el.get(end)!r} is not a task, event or gateway of the "
                                 "process", file=name, row=el.sourceline)
    return flow, dict(sorted(ignored.items()))


def _read_pnml(path: Path, root: Any, name: str) -> SollModel:
    nets = [el for el in root.iter() if _local(el.tag) == "net"]
    if not nets:
        raise ModelError("the PNML file contains no <net>", file=name)
    pm = pm4py()
    try:
        net, im, fm = pm.read_pnml(str(path))
    except Exception as exc:
        raise ModelError(f"pm4py cannot read this PNML net: {type(exc).__name__}: {exc}",
                         file=name) from None
    model = SollModel(net, im, fm, "pnml", len(net.places) + len(net.transitions), name)
    return _checked(model, name)


def _checked(model: SollModel, name: str) -> SollModel:
    if not model.activities:
        raise ModelError("the model has no labelled (visible) activities", file=name)
    if not model.initial_marking:
        raise ModelError("the model has no initial marking (no start place)", file=name)
    if not model.final_marking:
        raise ModelError("the model has no final marking (no end place)", file=name,
                         hint="PNML: add a <finalmarkings> section")
    return model


# --------------------------------------------------------------------------- conformance


def check_conformance(log: LogLike, model: SollModel | str | Path, *,
                      method: str = "token-replay", time_budget: float | None = None,
                      k_min: int = K_MIN_DEFAULT, precision: bool | None = None,
                      options: ImportOptions | None = None, workers: int | None = None,
                      progress: bool | None = False) -> Conformance:
    """Compare a log with a Soll model: fitness, fitting cases, deviations per activity.

    Args:
        log: a file path or ``postgresql://`` URL (read with ``options``), an
            :class:`~ist_analyse.io.pipeline.ImportResult` or a canonical DataFrame.
        model: a :class:`SollModel` or the path of a BPMN/PNML file.
        method: ``"token-replay"`` or ``"alignments"``: how ``log_fitness`` is computed.
        time_budget: seconds for the alignments (``None``: align every variant).
        k_min: minimum group size for published counts (1 switches suppression off).
        precision: compute pm4py's token-replay precision (``None``: only for logs of at most
            ``PRECISION_MAX_EVENTS`` events).
        options: import options when ``log`` is a path.
        workers: processes for the alignments (``None``: this process first, then all usable
            cores, at most 8, if the alignments take longer than ``PARALLEL_AFTER_S``; ``1``:
            only this process). The result does not depend on it.
        progress: show a progress bar on stderr counting the aligned variants (``None``: only
            when stderr is a terminal).
    """
    if method not in METHODS:
        raise ConfigError(f"unknown conformance method {method!r}",
                          hint=f"one of: {', '.join(METHODS)}")
    if time_budget is not None and not time_budget >= 0:
        raise ConfigError(f"the time budget must be >= 0 seconds, got {time_budget!r}")
    k_min = check_k_min(k_min)
    started = time.monotonic()
    soll = model if isinstance(model, SollModel) else read_model(model)
    df = as_import_result(log, options).log
    notes: list[str] = soll.notes()
    if L.LIFECYCLE in df.columns:
        pending = df[L.LIFECYCLE].notna()
        if pending.any():
            count = int(pending.sum())
            notes.append(Note(NoteCode.LIFECYCLE_PENDING, f"{count} events that are not "
                              "completed activity instances (lifecycle start/schedule ...) "
                              "were left out", count=count))
            df = df[~pending]
    df = df.reset_index(drop=True)
    if df.empty:
        raise ConfigError("the log has no completed activity instances to compare")
    pdf = to_pm4py(df)
    net, im, fm = soll.net, soll.initial_marking, soll.final_marking
    pm = pm4py()

    ordered, n_cases = _variants(pdf)

    aligned = _align_variants(ordered, soll, time_budget, workers=workers,
                              progress=progress)
    n_aligned = len(aligned)
    cases_aligned = sum(len(cases) for _, cases, _ in aligned)
    share_aligned = cases_aligned / n_cases
    sum_cost = sum(len(c) * a["cost"] for _, c, a in aligned)
    sum_bwc = sum(len(c) * a["bwc"] for _, c, a in aligned)
    ali_fitness = (1.0 - sum_cost / sum_bwc if sum_bwc > 0 else 0.0) if aligned else None
    ali_avg = (sum(len(c) * a["fitness"] for _, c, a in aligned) / cases_aligned
               if aligned else None)
    ali_fit = (sum(len(c) for _, c, a in aligned if a["fitness"] == 1.0) / cases_aligned
               if aligned else None)
    if n_aligned < len(ordered):
        notes.append(Note(
            NoteCode.ALIGNMENT_TIME_BUDGET,
            f"time budget of {time_budget:g} s: {n_aligned} of {len(ordered)} variants "
            f"aligned, covering {cases_aligned} of {n_cases} cases "
            f"({share_aligned:.1%}); alignment figures and the deviation table "
            "describe these cases only", seconds=time_budget, variants_aligned=n_aligned,
            variants=len(ordered), cases_aligned=cases_aligned, cases=n_cases,
            share=share_aligned))

    with _pm4py_errors(soll.source), _no_pm4py_progress_bars():
        if method == "token-replay":
            tbr = pm.fitness_token_based_replay(pdf, net, im, fm)
            log_fitness: float | None = float(tbr["log_fitness"])
            fitting: float | None = float(tbr["percentage_of_fitting_traces"]) / 100.0
            avg = float(tbr["average_trace_fitness"])
        else:
            log_fitness, fitting, avg = ali_fitness, ali_fit, ali_avg
        prec = None
        if precision or (precision is None and len(pdf) <= PRECISION_MAX_EVENTS):
            prec = float(pm.precision_token_based_replay(pdf, net, im, fm))
        elif precision is None:
            notes.append(Note(NoteCode.PRECISION_SKIPPED, "precision not computed for more "
                              f"than {PRECISION_MAX_EVENTS} events (precision=True forces it)",
                              events=PRECISION_MAX_EVENTS))

    return Conformance(
        method=method, model=soll.to_dict(), cases=n_cases, events=len(pdf),
        log_fitness=log_fitness, fitting_share=fitting, average_trace_fitness=avg,
        precision=prec, variants_total=len(ordered), variants_aligned=n_aligned,
        cases_aligned_share=share_aligned, deviations=_deviation_table(aligned, k_min),
        deviating_variants=_deviating_variants(aligned, k_min), k_min=k_min,
        time_budget=time_budget, seconds=round(time.monotonic() - started, 3), notes=notes)


@contextlib.contextmanager
def _no_pm4py_progress_bars() -> Iterator[None]:
    """Switch pm4py's tqdm bars off for our calls: our own bar (``progress=True``) is the one."""
    from pm4py.util import constants

    before = constants.SHOW_PROGRESS_BAR
    constants.SHOW_PROGRESS_BAR = False
    try:
        yield
    finally:
        constants.SHOW_PROGRESS_BAR = before


def _variants(pdf: pd.DataFrame) -> tuple[list[tuple[tuple[str, ...], list[str]]], int]:
    """(activity sequence, case ids) per variant, most frequent first; and the number of cases.

    One pass over plain lists: a pandas ``groupby(...).agg(tuple)`` calls Python once per case
    (1-2 s for a year of a large office). Cases keep their order of first appearance.
    """
    codes, uniques = pd.factorize(pdf["case:concept:name"], sort=False)
    seqs: list[list[str]] = [[] for _ in range(len(uniques))]
    for code, act in zip(codes.tolist(), pdf["concept:name"].tolist(), strict=True):
        seqs[code].append(act)
    variants: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for case, seq in zip(uniques.tolist(), seqs, strict=True):
        variants[tuple(seq)].append(str(case))
    ordered = sorted(variants.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return ordered, len(uniques)


class _pm4py_errors:
    """Turn pm4py's bare exceptions about the model into a :class:`ModelError`."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: Any, exc: Any, tb: Any) -> bool:
        if exc is not None and not isinstance(exc, ModelError | ConfigError):
            raise ModelError(f"pm4py cannot check conformance against this model: "
                             f"{typ.__name__}: {exc}", file=self.source or None) from exc
        return False


def _align_variants(ordered: list[tuple[tuple[str, ...], list[str]]], soll: SollModel,
                    budget: float | None, *, workers: int | None = None,
                    progress: bool | None = False,
                    engine: str = "auto"
                    ) -> list[tuple[tuple[str, ...], list[str], dict[str, Any]]]:
    """Align each variant once with pm4py's default costs, most frequent first, within the budget.

    The budget covers all alignment work, including building the reachability graph (once per
    model, not interrupted: at most a few seconds up to ``MAX_MARKINGS``). With more
    than one worker the (remaining) variants go in chunks, most frequent first, to a process
    pool; every worker stops at the same deadline, and only variants whose alignment finished
    are returned (in frequency order), so ``variants_aligned`` counts exactly what was aligned.
    """
    started = time.monotonic()
    deadline = None if budget is None else started + budget
    if deadline is not None and time.monotonic() >= deadline:
        return []
    aligner = _aligner(soll, engine)
    indexed = [(i, trace) for i, (trace, _cases) in enumerate(ordered)]
    results: dict[int, dict[str, Any]] = {}
    n_workers = min(_workers(workers), max(1, len(ordered)))
    # workers=None: start in this process and hand the rest to a pool only when the work
    # turns out to be long, so that small logs do not pay for starting processes
    handover = PARALLEL_AFTER_S if workers is None and n_workers > 1 else None
    what = f"aligning {len(ordered)} variants"
    pos = 0
    if n_workers == 1 or handover is not None:
        with steps(len(ordered), what, enabled=progress) as advance:
            for idx, trace in indexed:
                if deadline is not None and time.monotonic() >= deadline:
                    return _in_order(ordered, results)
                if handover is not None and time.monotonic() - started > handover:
                    break
                res = aligner.align(trace, deadline)
                if res is None:  # the deadline passed during this variant
                    return _in_order(ordered, results)
                results[idx] = res
                pos += 1
                advance(f"{what}: {len(results)} done")
    rest = indexed[pos:]
    if rest:
        size = max(1, min(50, -(-len(rest) // (n_workers * 8))))
        chunks = [rest[k:k + size] for k in range(0, len(rest), size)]
        # fork (where available) starts workers with pm4py already imported and its banner
        # already printed; the pool is started before the progress bar's thread exists
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(pickle.dumps(aligner),)) as pool:
            futures = [pool.submit(_align_chunk, chunk, deadline) for chunk in chunks]
            try:
                with steps(len(ordered), what, enabled=progress) as advance:
                    for _ in range(len(results)):
                        advance(f"{what}: {len(results)} done")
                    for fut in as_completed(futures):
                        with _pm4py_errors(soll.source):
                            done = fut.result()
                        for idx, res in done:
                            results[idx] = res
                            advance(f"{what}: {len(results)} done")
            except BaseException:  # an error or Ctrl-C: do not wait for the queued chunks
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return _in_order(ordered, results)


def _in_order(ordered: list[tuple[tuple[str, ...], list[str]]],
              results: dict[int, dict[str, Any]]
              ) -> list[tuple[tuple[str, ...], list[str], dict[str, Any]]]:
    return [(ordered[i][0], ordered[i][1], results[i]) for i in sorted(results)]


def _aligner(soll: SollModel, engine: str) -> _Aligner:
    """The aligner of a model, built once per model object (graph and best worst cost)."""
    cached = soll._cache.get(("aligner", engine))
    if cached is not None:
        return cached
    pm4py()  # imported with stdout guarded
    from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
    from pm4py.objects.petri_net.utils import check_soundness
    from pm4py.util import exec_utils
    from pm4py.util.lp import solver

    net, im, fm, source = soll.net, soll.initial_marking, soll.final_marking, soll.source
    graph = (_reachability_graph(net, im, fm) if engine == "auto" else None)
    unsound = ModelError("the Petri net of the model is not easy sound (the final marking "
                         "cannot be reached from the initial one): alignments are impossible",
                         file=source or None)
    variant = ali.DEFAULT_VARIANT
    with _pm4py_errors(source):
        if graph is not None:
            if graph.final < 0 or graph.visible_to_end[graph.initial] == _INF:
                raise unsound
        elif (solver.DEFAULT_LP_SOLVER_VARIANT is not None
                and exec_utils.get_variant(variant) is not ali.variants.dijkstra_semantics
                and not check_soundness.check_easy_soundness_net_in_fin_marking(net, im, fm)):
            raise unsound
        params = {"pm4py:param:activity_key": "concept:name"}
        bwc = exec_utils.get_variant(variant).get_best_worst_cost(net, im, fm,
                                                                  parameters=params)
    if bwc is None and graph is not None:  # pm4py gave up; the graph has the same figure
        bwc = graph.model_cost
    if bwc is None:
        raise unsound
    aligner = _Aligner(graph, None if graph is not None else net,
                       None if graph is not None else im, None if graph is not None else fm,
                       int(bwc), source)
    soll._cache[("aligner", engine)] = aligner
    return aligner


# --------------------------------------------------------------------------- alignment engine
#
# pm4py's default alignment (A* on the synchronous product with an LP heuristic per state)
# rebuilds the product net and solves linear programs for every trace: 0.1-8 s per variant on
# the receipt model, whose BPMN conversion has 69 silent transitions. The same optimal cost comes
# much cheaper from the reachability graph of the model, which is built once per model: a
# shortest path over (marking, trace position) with pm4py's default costs (sync 0, log move and
# visible model move 10000, silent model move 1). Any optimal alignment has the same cost, so
# the fitness figures are pm4py's exactly; only the choice between equally cheap alignments
# (which pm4py leaves to its queue order) may differ. Nets whose reachability graph is too large
# or unbounded are aligned with pm4py's own default algorithm instead.

#: build the reachability graph of a model up to this many markings, else fall back to pm4py
MAX_MARKINGS = 20_000
#: a place holding more tokens than this marks the net as unbounded for our purposes
MAX_TOKENS = 64
#: with ``workers=None``, alignments still running after this many seconds in this process
#: continue in a process pool (starting one costs about 0.1-0.5 s)
PARALLEL_AFTER_S = 1.0
_LOG_MOVE = _MODEL_MOVE = 10_000  # pm4py's align_utils.STD_MODEL_LOG_MOVE_COST
_TAU_MOVE = 1  # pm4py's align_utils.STD_TAU_COST
_INF = float("inf")


@dataclass
class _Graph:
    """The reachability graph of a net: plain tuples, cheap to pickle to worker processes."""

    labels: dict[str, int]  # visible label -> label id
    names: list[str]  # label id -> label
    edges: list[tuple[tuple[int, int, int], ...]]  # marking -> (label id or -1, cost, target)
    initial: int
    final: int
    visible_to_end: list[float]  # fewest visible transitions from a marking to the final one
    taus_to_end: list[float]  # fewest silent transitions from a marking to the final one
    reachable_labels: list[int]  # bit set of the labels that can still fire on a way to the end
    model_cost: float  # cheapest model-only run (pm4py's best worst cost)


def _reachability_graph(net: Any, im: Any, fm: Any, max_markings: int = MAX_MARKINGS,
                        deadline: float | None = None) -> _Graph | None:
    """The reachability graph, or ``None`` if the net has too many markings or is unbounded.

    Places and transitions are ordered by name (then label) so that the graph, and hence every
    alignment, is the same in every process that receives it.
    """
    places = sorted(net.places, key=lambda p: str(p.name))
    pidx = {p: i for i, p in enumerate(places)}
    trans = sorted(net.transitions, key=lambda t: (str(t.name), str(t.label)))
    names = sorted({t.label for t in trans if t.label is not None})
    labels = {a: i for i, a in enumerate(names)}
    moves = []
    for t in trans:
        pre: dict[int, int] = defaultdict(int)
        delta: dict[int, int] = defaultdict(int)
        for arc in t.in_arcs:
            pre[pidx[arc.source]] += arc.weight
            delta[pidx[arc.source]] -= arc.weight
        for arc in t.out_arcs:
            delta[pidx[arc.target]] += arc.weight
        lab = -1 if t.label is None else labels[t.label]
        moves.append((tuple(pre.items()), tuple((p, d) for p, d in delta.items() if d),
                      lab, _TAU_MOVE if lab < 0 else _MODEL_MOVE))

    def vector(marking: Any) -> tuple[int, ...]:
        v = [0] * len(places)
        for p, n in marking.items():
            v[pidx[p]] = n
        return tuple(v)

    start, end = vector(im), vector(fm)
    index = {start: 0}
    queue = [start]
    edges: list[tuple[tuple[int, int, int], ...]] = []
    while len(edges) < len(queue):
        if deadline is not None and len(edges) % 1024 == 0 and time.monotonic() > deadline:
            return None
        m = queue[len(edges)]
        out = []
        for pre, delta, lab, cost in moves:
            if all(m[p] >= n for p, n in pre):
                nm = list(m)
                for p, d in delta:
                    nm[p] += d
                    if nm[p] > MAX_TOKENS:
                        return None
                key = tuple(nm)
                target = index.get(key)
                if target is None:
                    if len(queue) >= max_markings:
                        return None
                    target = index[key] = len(queue)
                    queue.append(key)
                out.append((lab, cost, target))
        edges.append(tuple(out))
    n = len(queue)
    final = index.get(end, -1)
    visible: list[float] = [_INF] * n
    taus: list[float] = [_INF] * n
    reach = [0] * n
    model_cost: float = _INF
    if final >= 0:
        back: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for m, out in enumerate(edges):
            for lab, cost, target in out:
                back[target].append((lab, cost, m))
        visible = _backward_distances(back, final, n, lambda lab, cost: 0 if lab < 0 else 1)
        taus = _backward_distances(back, final, n, lambda lab, cost: 1 if lab < 0 else 0)
        dist = _backward_distances(back, final, n, lambda lab, cost: cost)
        model_cost = dist[0]
        # labels that can still fire on some way to the end: a fixpoint over the graph
        changed = True
        while changed:
            changed = False
            for m in range(n):
                if visible[m] == _INF:
                    continue
                bits = reach[m]
                for lab, _cost, target in edges[m]:
                    if visible[target] != _INF:
                        bits |= reach[target] | (1 << lab if lab >= 0 else 0)
                if bits != reach[m]:
                    reach[m] = bits
                    changed = True
    # edges into markings from which the end cannot be reached are never part of an alignment
    edges = [tuple(e for e in out if visible[e[2]] != _INF) for out in edges]
    return _Graph(labels, names, edges, 0, final, visible, taus, reach, model_cost)


def _backward_distances(back: list[list[tuple[int, int, int]]], final: int, n: int,
                        weight: Any) -> list[float]:
    """Cheapest way from every marking to the final one (Dijkstra on the reversed graph)."""
    dist: list[float] = [_INF] * n
    dist[final] = 0
    heap = [(0, final)]
    while heap:
        d, m = heapq.heappop(heap)
        if d > dist[m]:
            continue
        for lab, cost, source in back[m]:
            nd = d + weight(lab, cost)
            if nd < dist[source]:
                dist[source] = nd
                heapq.heappush(heap, (nd, source))
    return dist


def _align_on_graph(g: _Graph, trace: tuple[str, ...], deadline: float | None
                    ) -> dict[str, Any] | None:
    """An optimal alignment of one trace by A* over (marking, position); ``None`` past deadline.

    The heuristic is admissible: from marking ``m`` at position ``i``, every remaining event
    whose activity can no longer fire is a log move, the visible transitions still needed to
    reach the end beyond the remaining events are model moves, and the silent transitions on
    the way to the end cost at least their fewest number.
    """
    n = len(trace)
    acts = [g.labels.get(a, -2) for a in trace]  # -2: not in the model, always a log move
    # suffix[i]: how often each label occurs from position i on (label -2 included)
    suffix: list[tuple[tuple[int, int], ...]] = [()] * (n + 1)
    counts: dict[int, int] = {}
    for i in range(n - 1, -1, -1):
        counts[acts[i]] = counts.get(acts[i], 0) + 1
        suffix[i] = tuple(counts.items())
    visible, taus, reach = g.visible_to_end, g.taus_to_end, g.reachable_labels
    edges, final = g.edges, g.final
    dead_memo: dict[tuple[int, int], int] = {}  # many markings share their set of labels

    def h(m: int, i: int) -> float:
        bits = reach[m]
        dead = dead_memo.get((bits, i))
        if dead is None:
            dead = dead_memo[(bits, i)] = sum(c for a, c in suffix[i]
                                              if a < 0 or not bits >> a & 1)
        return _LOG_MOVE * (dead + max(0, visible[m] - (n - i - dead))) + taus[m]

    if visible[g.initial] == _INF:
        return None
    width = n + 1  # a state (marking m, position i) is the integer m * width + i
    best = {g.initial * width: 0}
    parent: dict[int, tuple[int, int, int]] = {}
    counter = 0
    heap = [(h(g.initial, 0), 0, 0, g.initial, 0)]
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        counter += 1
        if deadline is not None and counter % 512 == 0 and time.monotonic() > deadline:
            return None
        _f, _neg_i, cost, m, i = pop(heap)
        here = m * width + i
        if cost > best[here]:
            continue
        if m == final and i == n:
            return {"alignment": _path(g, trace, parent, here, width), "cost": cost}
        out = edges[m]
        if i < n:
            a = acts[i]
            succ = [(_LOG_MOVE, m, 0, a)]  # (cost, marking, kind, label); kind 0: log move
            succ += [(0, target, 1, lab) for lab, _c, target in out if lab == a]
            for c, nm, kind, lab in succ:
                key = nm * width + i + 1
                nc = cost + c
                if nc < best.get(key, _INF):
                    best[key] = nc
                    parent[key] = (here, kind, lab)
                    push(heap, (nc + h(nm, i + 1), -i - 1, nc, nm, i + 1))
        for lab, c, nm in out:  # model moves (kind 2)
            key = nm * width + i
            nc = cost + c
            if nc < best.get(key, _INF):
                best[key] = nc
                parent[key] = (here, 2, lab)
                push(heap, (nc + h(nm, i), -i, nc, nm, i))
    return None


def _path(g: _Graph, trace: tuple[str, ...], parent: dict[int, tuple[int, int, int]],
          state: int, width: int) -> list[tuple[Any, Any]]:
    """The moves as pm4py writes them: (event, ``>>``), (``>>``, label or None), (a, a)."""
    out: list[tuple[Any, Any]] = []
    while state in parent:
        prev, kind, lab = parent[state]
        i = prev % width
        if kind == 0:
            out.append((trace[i], _SKIP))
        elif kind == 1:
            out.append((trace[i], g.names[lab]))
        else:
            out.append((_SKIP, g.names[lab] if lab >= 0 else None))
        state = prev
    out.reverse()
    return out


@dataclass
class _Aligner:
    """Everything one process needs to align variants: built once, sent once per worker."""

    graph: _Graph | None
    net: Any
    im: Any
    fm: Any
    bwc: int
    source: str

    def align(self, trace: tuple[str, ...], deadline: float | None) -> dict[str, Any] | None:
        """Align one variant; fitness and ``bwc`` exactly as pm4py's ``apply_trace`` sets them."""
        if self.graph is not None:
            res = _align_on_graph(self.graph, trace, deadline)
        else:
            res = self._align_pm4py(trace, deadline)
        if res is None:
            return None
        # pm4py: ltrace_bwc = sum(trace cost function) + best worst cost, fitness from the
        # integer quotients by the move cost
        ltrace_bwc = _LOG_MOVE * len(trace) + self.bwc
        den = ltrace_bwc // _LOG_MOVE
        res["fitness"] = 1 - (res["cost"] // _LOG_MOVE) / den if den > 0 else 0
        res["bwc"] = ltrace_bwc
        return res

    def _align_pm4py(self, trace: tuple[str, ...], deadline: float | None
                     ) -> dict[str, Any] | None:
        from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
        from pm4py.objects.log.obj import Event, Trace

        params: dict[Any, Any] = {"pm4py:param:activity_key": "concept:name",
                                  ali.Parameters.BEST_WORST_COST_INTERNAL: self.bwc,
                                  ali.Parameters.SHOW_PROGRESS_BAR: False}
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            params[ali.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = left
        with _pm4py_errors(self.source):
            res = ali.apply_trace(Trace([Event({"concept:name": a}) for a in trace]),
                                  self.net, self.im, self.fm, parameters=params,
                                  variant=ali.DEFAULT_VARIANT)
        if res is None:
            return None
        return {"alignment": res["alignment"], "cost": res["cost"]}


_WORKER: _Aligner | None = None


def _init_worker(blob: bytes) -> None:
    """Worker start: stdout goes to stderr before anything (pm4py's banner on import included)
    could print, so ``--json`` stays one document; then unpickle the aligner, once."""
    global _WORKER
    sys.stdout = sys.stderr
    _WORKER = pickle.loads(blob)
    constants = sys.modules.get("pm4py.util.constants")
    if constants is not None:
        constants.SHOW_PROGRESS_BAR = False


def _align_chunk(chunk: list[tuple[int, tuple[str, ...]]], deadline: float | None
                 ) -> list[tuple[int, dict[str, Any]]]:
    """Align a chunk of variants in a worker until done or past the deadline."""
    assert _WORKER is not None
    out = []
    for idx, trace in chunk:
        if deadline is not None and time.monotonic() >= deadline:
            break
        res = _WORKER.align(trace, deadline)
        if res is None:
            break
        out.append((idx, res))
    return out


def _workers(requested: int | None) -> int:
    if requested is not None:
        if requested < 1:
            raise ConfigError(f"workers must be at least 1, got {requested!r}")
        return requested
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _moves(alignment: list[tuple[Any, Any]]) -> tuple[list[str], list[str]]:
    skipped = [m for lg, m in alignment if lg == _SKIP and m is not None and m != _SKIP]
    extra = [lg for lg, m in alignment if m == _SKIP and lg != _SKIP]
    return skipped, extra


def _small(n: int, k_min: int) -> bool:
    return 1 <= n < k_min


def _deviation_table(aligned: list[tuple[tuple[str, ...], list[str], dict[str, Any]]],
                     k_min: int) -> list[Deviation]:
    """Per activity, in cases: skipped, done without the model allowing it, in the wrong order.

    Within one case, a log move and a model move of the same activity are one step done at the
    wrong point ("in the wrong order"), counted once as such and not as skipped plus extra;
    moves left over after that pairing are skipped or extra steps.
    """
    kinds = ("skipped", "extra", "order")
    acc: dict[str, dict[str, list[Any]]] = {}
    for _, cases, res in aligned:  # most frequent variant first: examples from the big ones
        skipped, extra = _moves(res["alignment"])
        counts = {"skipped": {}, "extra": {}, "order": {}}
        for act in set(skipped) | set(extra):
            s_n, e_n = skipped.count(act), extra.count(act)
            paired = min(s_n, e_n)
            for kind, n in (("skipped", s_n - paired), ("extra", e_n - paired),
                            ("order", paired)):
                if n:
                    counts[kind][act] = n
        for kind in kinds:
            for act, n in counts[kind].items():
                row = acc.setdefault(act, {k: [0, 0, []] for k in kinds})
                row[kind][0] += len(cases)
                row[kind][1] += len(cases) * n
                row[kind][2].extend(cases[:MAX_EXAMPLES - len(row[kind][2])])
    out = []
    for act, row in acc.items():
        (s_cases, s_moves, s_ex), (e_cases, e_moves, e_ex), (o_cases, o_moves, o_ex) = (
            row["skipped"], row["extra"], row["order"])
        small_s, small_e, small_o = (_small(s_cases, k_min), _small(e_cases, k_min),
                                     _small(o_cases, k_min))

        def n(cases: int, small: bool) -> str:
            return f"{'fewer than ' + str(k_min) if small else cases} cases"

        parts = []
        if s_cases:
            parts.append(f"skipped in {n(s_cases, small_s)}")
        if e_cases:
            parts.append(f"done without the model allowing it in {n(e_cases, small_e)}")
        if o_cases:
            parts.append(f"in the wrong order in {n(o_cases, small_o)}")
        out.append(Deviation(
            activity=act,
            skipped_cases=None if small_s else s_cases,
            skipped_moves=None if small_s else s_moves,
            extra_cases=None if small_e else e_cases,
            extra_moves=None if small_e else e_moves,
            text=f"{act}: " + "; ".join(parts),
            skipped_examples=[] if small_s else s_ex,
            extra_examples=[] if small_e else e_ex,
            suppressed=small_s or small_e or small_o,
            wrong_order_cases=None if small_o else o_cases,
            wrong_order_moves=None if small_o else o_moves,
            wrong_order_examples=[] if small_o else o_ex))
    out.sort(key=lambda d: (-max(d.skipped_cases or 0, d.extra_cases or 0,
                                 d.wrong_order_cases or 0), d.activity))
    return out


def _deviating_variants(aligned: list[tuple[tuple[str, ...], list[str], dict[str, Any]]],
                        k_min: int) -> list[DeviatingVariant]:
    rows: list[DeviatingVariant] = []
    pooled_cases = pooled_variants = 0
    for trace, cases, res in aligned:  # already in descending frequency
        if res["fitness"] == 1.0:
            continue
        if _small(len(cases), k_min) or len(rows) >= MAX_VARIANTS:
            pooled_cases += len(cases)
            pooled_variants += 1
            continue
        skipped, extra = _moves(res["alignment"])
        rows.append(DeviatingVariant(list(trace), len(cases), float(res["fitness"]),
                                     sorted(set(skipped)), sorted(set(extra)),
                                     cases[:MAX_EXAMPLES]))
    if pooled_variants:
        rows.append(DeviatingVariant([], pooled_cases, None, [], [], [], pooled=True,
                                     variants=pooled_variants))
    return rows


def frame(rows: list[Deviation] | list[DeviatingVariant]) -> pd.DataFrame:
    """A table of deviations or deviating variants as a DataFrame (for printing)."""
    return pd.DataFrame([asdict(r) for r in rows])
