"""Conformance: how far the recorded cases (Ist) follow a target model (Soll).

:func:`read_model` reads the Soll model from BPMN 2.0 XML (bpmn.io, Camunda Modeler, Signavio)
or from PNML and converts it to a Petri net with pm4py. Model files are untrusted input, read as
carefully as logs: a document type declaration or entity declaration anywhere before the root
element is refused before any XML parser sees the file (no entity expansion, no external
entities), the size is capped, and our own structure check parses with lxml with entity
resolution, DTD loading and network access switched off. BPMN elements pm4py cannot convert
faithfully (inclusive and complex gateways, event-based gateways, boundary events, call
activities ...) are refused with their id and type, not with a stack trace.

:func:`check_conformance` compares a canonical log with the model. Only completed activity
instances take part: rows with a ``lifecycle`` value (unpaired ``start``, ``schedule`` ...) are
dropped first, and a note says how many. Then, exactly as pm4py computes them:

``method="token-replay"``
    ``log_fitness`` is pm4py's ``fitness_token_based_replay(...)["log_fitness"]`` (the token
    based fitness of the whole log), ``fitting_share`` its share of fitting cases.
``method="alignments"``
    Alignments are computed once per variant (distinct activity sequence), in descending order
    of frequency, with pm4py's own ``alignments.apply_trace`` and default costs, and weighted by
    the number of cases of the variant. ``log_fitness`` is pm4py's
    ``fitness_alignments(...)["log_fitness"]``: ``1 - sum(cost) / sum(best worst cost)`` over
    all cases; ``average_trace_fitness`` the mean of the cases' fitness values (pm4py's
    ``average_trace_fitness``); ``fitting_share`` the share of cases with fitness 1.

``time_budget`` (seconds) bounds the alignment work: variants are aligned from the most to the
least frequent until the budget is used. ``variants_aligned`` of ``variants_total`` and
``cases_aligned_share`` say how much was aligned; alignment figures then describe the aligned
variants only, and a note says so. The deviation table always comes from the alignments (also
with ``method="token-replay"``, whose fitness figure is complete regardless of the budget):

* a *model move* on a visible transition ("skipped in N cases"): the model requires the
  activity, the case does not have it at that point;
* a *log move* ("done without the model allowing it in N cases"): the case has the activity
  where the model does not allow it.

Every count is a number of cases (a case with the same deviation twice counts once; ``*_moves``
counts the moves). Privacy: a count of 1 to ``k_min - 1`` cases is blanked and the row marked
``suppressed``; deviating variants with fewer than ``k_min`` cases are pooled into one row.
Example case ids (at most 5) are those of the log, keyed pseudonyms with the default import
settings, and are given for published counts only.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from copy import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ist_analyse import log as L
from ist_analyse._pm4py import pm4py, to_pm4py
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, ModelError
from ist_analyse.inspection import LogLike, as_import_result
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

    @property
    def activities(self) -> list[str]:
        """The labels of the visible transitions, sorted."""
        return sorted({t.label for t in self.net.transitions if t.label is not None})

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "elements": self.elements,
                "places": len(self.net.places), "transitions": len(self.net.transitions),
                "activities": self.activities}


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
    nodes = 0
    for el in root.iter():
        local = _local(el.tag)
        if _ns(el.tag) != BPMN_NS:
            continue
        if local in UNSUPPORTED_BPMN:
            label = el.get("name")
            what = f"{UNSUPPORTED_BPMN[local]} <{local}> id={el.get('id')!r}"
            if label:
                what += f" ({label!r})"
            raise ModelError(f"the model contains an {what}, which cannot be converted to a "
                             "Petri net faithfully", file=name,
                             hint="model the choice with exclusive (XOR) and parallel (AND) "
                             "gateways")
        if _BPMN_NODES.match(local) and "definition" not in local.lower():
            nodes += 1
    if nodes == 0:
        raise ModelError("the BPMN file contains no tasks, events or gateways", file=name)
    pm = pm4py()
    try:
        bpmn = pm.read_bpmn(str(path))
        net, im, fm = pm.convert_to_petri_net(bpmn)
    except Exception as exc:  # pm4py raises bare exceptions for models it cannot handle
        raise ModelError(f"pm4py cannot convert this BPMN model: {type(exc).__name__}: {exc}",
                         file=name) from None
    return _checked(SollModel(net, im, fm, "bpmn", nodes, name), name)


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
                      options: ImportOptions | None = None) -> Conformance:
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
    notes: list[str] = []
    if L.LIFECYCLE in df.columns:
        pending = df[L.LIFECYCLE].notna()
        if pending.any():
            notes.append(f"{int(pending.sum())} events that are not completed activity "
                         "instances (lifecycle start/schedule ...) were left out")
            df = df[~pending]
    df = df.reset_index(drop=True)
    if df.empty:
        raise ConfigError("the log has no completed activity instances to compare")
    pdf = to_pm4py(df)
    net, im, fm = soll.net, soll.initial_marking, soll.final_marking
    pm = pm4py()

    traces = pdf.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple)
    variants: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for case, trace in traces.items():
        variants[trace].append(str(case))
    ordered = sorted(variants.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    n_cases = len(traces)

    aligned = _align_variants(ordered, net, im, fm, time_budget, soll.source)
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
        notes.append(f"time budget of {time_budget:g} s: {n_aligned} of {len(ordered)} variants "
                     f"aligned, covering {cases_aligned} of {n_cases} cases "
                     f"({share_aligned:.1%}); alignment figures and the deviation table "
                     "describe these cases only")

    with _pm4py_errors(soll.source):
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
            notes.append(f"precision not computed for more than {PRECISION_MAX_EVENTS} events "
                         "(precision=True forces it)")

    return Conformance(
        method=method, model=soll.to_dict(), cases=n_cases, events=len(pdf),
        log_fitness=log_fitness, fitting_share=fitting, average_trace_fitness=avg,
        precision=prec, variants_total=len(ordered), variants_aligned=n_aligned,
        cases_aligned_share=share_aligned, deviations=_deviation_table(aligned, k_min),
        deviating_variants=_deviating_variants(aligned, k_min), k_min=k_min,
        time_budget=time_budget, seconds=round(time.monotonic() - started, 3), notes=notes)


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


def _align_variants(ordered: list[tuple[tuple[str, ...], list[str]]], net: Any, im: Any,
                    fm: Any, budget: float | None, source: str
                    ) -> list[tuple[tuple[str, ...], list[str], dict[str, Any]]]:
    """Align each variant once with pm4py's defaults, most frequent first, within the budget."""
    pm4py()  # imported with stdout guarded
    from pm4py.algo.conformance.alignments.petri_net import algorithm as ali
    from pm4py.objects.log.obj import Event, Trace
    from pm4py.objects.petri_net.utils import check_soundness
    from pm4py.util import exec_utils
    from pm4py.util.lp import solver

    variant = ali.DEFAULT_VARIANT
    params: dict[Any, Any] = {"pm4py:param:activity_key": "concept:name"}
    with _pm4py_errors(source):
        if (solver.DEFAULT_LP_SOLVER_VARIANT is not None
                and exec_utils.get_variant(variant) is not ali.variants.dijkstra_semantics
                and not check_soundness.check_easy_soundness_net_in_fin_marking(net, im, fm)):
            raise ModelError("the Petri net of the model is not easy sound (the final marking "
                             "cannot be reached from the initial one): alignments are "
                             "impossible", file=source or None)
        bwc = exec_utils.get_variant(variant).get_best_worst_cost(net, im, fm,
                                                                  parameters=copy(params))
    params[ali.Parameters.BEST_WORST_COST_INTERNAL] = bwc
    start = time.monotonic()
    out = []
    for trace, cases in ordered:
        p = copy(params)
        if budget is not None:
            left = budget - (time.monotonic() - start)
            if left <= 0:
                break
            p[ali.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = left
        with _pm4py_errors(source):
            res = ali.apply_trace(Trace([Event({"concept:name": a}) for a in trace]),
                                  net, im, fm, parameters=p, variant=variant)
        if res is None:  # the per-trace time limit ran out
            break
        out.append((trace, cases, res))
    return out


def _moves(alignment: list[tuple[Any, Any]]) -> tuple[list[str], list[str]]:
    skipped = [m for lg, m in alignment if lg == _SKIP and m is not None and m != _SKIP]
    extra = [lg for lg, m in alignment if m == _SKIP and lg != _SKIP]
    return skipped, extra


def _small(n: int, k_min: int) -> bool:
    return 1 <= n < k_min


def _deviation_table(aligned: list[tuple[tuple[str, ...], list[str], dict[str, Any]]],
                     k_min: int) -> list[Deviation]:
    acc: dict[str, dict[str, Any]] = {}
    for _, cases, res in aligned:  # most frequent variant first: examples from the big ones
        skipped, extra = _moves(res["alignment"])
        for kind, acts in (("skipped", skipped), ("extra", extra)):
            for act in set(acts):
                row = acc.setdefault(act, {"skipped": [0, 0, []], "extra": [0, 0, []]})
                row[kind][0] += len(cases)
                row[kind][1] += len(cases) * acts.count(act)
                row[kind][2].extend(cases[:MAX_EXAMPLES - len(row[kind][2])])
    out = []
    for act, row in acc.items():
        (s_cases, s_moves, s_ex), (e_cases, e_moves, e_ex) = row["skipped"], row["extra"]
        small_s, small_e = _small(s_cases, k_min), _small(e_cases, k_min)
        parts = []
        if s_cases:
            parts.append(f"skipped in {'fewer than ' + str(k_min) if small_s else s_cases} "
                         "cases")
        if e_cases:
            parts.append("done without the model allowing it in "
                         f"{'fewer than ' + str(k_min) if small_e else e_cases} cases")
        out.append(Deviation(
            activity=act,
            skipped_cases=None if small_s else s_cases,
            skipped_moves=None if small_s else s_moves,
            extra_cases=None if small_e else e_cases,
            extra_moves=None if small_e else e_moves,
            text=f"{act}: " + "; ".join(parts),
            skipped_examples=[] if small_s else s_ex,
            extra_examples=[] if small_e else e_ex,
            suppressed=small_s or small_e))
    out.sort(key=lambda d: (-max(d.skipped_cases or 0, d.extra_cases or 0), d.activity))
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
