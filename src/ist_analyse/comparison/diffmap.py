"""The difference process map: which transitions got faster, slower, appeared or disappeared.

Every directly-follows transition seen in either group with at least ``k_min`` cases is an
edge. Its status:

* ``faster`` / ``slower``: its ``wait:A->B`` KPI is significant after Benjamini–Hochberg
  correction (p-values from the block bootstrap over weeks, :mod:`.blocks`) *and* the median
  moved by at least 10 % and at least a day (:func:`.kpis.relevant_change`); green / red;
* ``confounded``: significant and relevant, but in the direction a workload change at the
  same time explains (:mod:`.kpis`); amber dashed;
* ``new`` / ``gone``: no case took it in one group, at least ``k_min`` in the other; blue
  dashed / grey dotted;
* ``insufficient``: too few observations for a verdict (grey dashed, "zu wenig Daten");
* ``unchanged``: compared, no significant and relevant change (light grey).

Only colour carries the verdict; the label shows the medians before → after. The drawing uses
the same safe labels and Graphviz call as :mod:`ist_analyse.analysis.dot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ist_analyse.analysis import dot as D
from ist_analyse.comparison import kpis as K
from ist_analyse.notes import Note
from ist_analyse.privacy.suppress import MARK

COLOURS = {"faster": "#1a9850", "slower": "#d73027", "new": "#4575b4", "gone": "#969696",
           "unchanged": "#cccccc", "insufficient": "#bdbdbd", "confounded": "#e08214"}
STYLES = {"new": "dashed", "gone": "dotted", "insufficient": "dashed", "confounded": "dashed"}
#: at most this many edges are drawn: every changed one, then the most used unchanged ones
MAX_DRAWN = 40
_CHANGED = ("faster", "slower", "confounded", "new", "gone")


def difference_map(rows: list[K.Kpi], seen: dict[tuple[str, str], list[int]], *, k_min: int,
                   min_n: int, title: str = "") -> dict[str, Any]:
    """The ``difference_map`` part of the JSON document (``file`` is filled in when drawn)."""
    waits = {tuple(k.kpi[5:].split("->", 1)): k for k in rows if k.kind == "wait"}
    edges = []
    for (a, b), (nb, na) in sorted(seen.items()):
        if max(nb, na) < k_min:
            continue
        k = waits.get((a, b))
        if nb == 0:
            status = "new"
        elif na == 0:
            status = "gone"
        elif k is None or k.verdict == "not_enough_data":
            status = "insufficient"
        elif k.verdict in ("faster", "slower", "confounded"):
            status = k.verdict
        else:
            status = "unchanged"

        def show(n: int) -> int | None:
            return None if 1 <= n < k_min else n

        edges.append({"from": a, "to": b, "status": status,
                      "before_median": k.before if k is not None else None,
                      "after_median": k.after if k is not None else None,
                      "p_adjusted": k.p_adjusted if k is not None else None,
                      "before_cases": show(nb), "after_cases": show(na)})
    return {"edges": edges, "file": None, "title": title}


def _median(x: float | None, lang: str = "de") -> str:
    return MARK if x is None else D.fmt_duration(x, lang=lang)


#: the words of the difference map, German (default) and English
WORDS = {
    "de": {"legend": "Kanten: Median-Wartezeit vorher → nachher. Grün = schneller, rot = "
                     "langsamer (signifikant nach Benjamini–Hochberg, ≥ 10 % und ≥ 1 Tag), "
                     "orange gestrichelt = durch geänderte Arbeitslast erklärbar, blau "
                     "gestrichelt = neu, grau gepunktet = entfallen, hellgrau = keine klare "
                     "Änderung, grau gestrichelt = zu wenig Daten. Gezeigt: {shown} von {total} "
                     "Übergängen (alle geänderten, dazu die häufigsten übrigen).",
           "title": "Vorher/Nachher", "new": "neu", "gone": "entfallen"},
    "en": {"legend": "Arrows: median wait before → after. Green = faster, red = slower "
                     "(significant after Benjamini–Hochberg, ≥ 10 % and ≥ 1 day), orange dashed "
                     "= explained by a workload change, blue dashed = new, grey dotted = gone, "
                     "light grey = no clear change, grey dashed = not enough data. Shown: "
                     "{shown} of {total} transitions (every changed one, then the most used "
                     "others).",
           "title": "Before/after", "new": "new", "gone": "gone"},
}


def drawn_edges(edges: list[dict[str, Any]], limit: int = MAX_DRAWN) -> list[dict[str, Any]]:
    """The edges worth drawing: every changed one (faster, slower, confounded, new, gone),
    then the most used unchanged or undecided ones as context, ``limit`` in all (more than
    that make a map nobody can read; the JSON document keeps every edge)."""
    changed = [e for e in edges if e["status"] in _CHANGED]
    rest = sorted((e for e in edges if e["status"] not in _CHANGED),
                  key=lambda e: -max(e.get("before_cases") or 0, e.get("after_cases") or 0))
    return changed + rest[:max(0, limit - len(changed))]


def dot_source(dmap: dict[str, Any], lang: str = "de") -> str:
    """Graphviz source of the difference map (all data text escaped by :mod:`.dot`), with
    the legend and numbers in ``lang`` (``de`` or ``en``).

    Only changed edges carry a label (median before → after, or "neu"/"entfallen"); the
    unchanged ones are thin grey context lines."""
    D.words(lang)  # refuses an unknown language
    w = WORDS[lang]
    edges = drawn_edges(dmap["edges"])
    legend = w["legend"].format(shown=len(edges), total=len(dmap["edges"]))
    title = dmap.get("title")
    if isinstance(title, Note):  # "before → after": the groups' names in ``lang``
        from ist_analyse.reporting.i18n import Texts

        title = Texts(lang).note(title)
    g = D.new_graph(title or w["title"], D.html_text(legend, 110))
    names = sorted({e["from"] for e in edges} | {e["to"] for e in edges})
    ids = {n: f"n{i}" for i, n in enumerate(names)}
    for n in names:
        g.node(ids[n], label=f"<{D.html_text(n)}>", shape="box", style="rounded,filled",
               fillcolor="#eff3ff", margin="0.15,0.06")
    for e in edges:
        status = e["status"]
        if status in ("new", "gone"):
            label = w[status]
        elif status in _CHANGED:
            label = (f"{_median(e['before_median'], lang)} → "
                     f"{_median(e['after_median'], lang)}")
        else:
            label = ""
        width = "2.5" if status in ("faster", "slower") else "1.2"
        g.edge(ids[e["from"]], ids[e["to"]],
               label=f"<{D.html_text(label, 40)}>" if label else "",
               color=COLOURS[status], fontcolor="#333333", penwidth=width,
               style=STYLES.get(status, "solid"))
    return g.source


def write_map(dmap: dict[str, Any], output: str | Path,
              inputs: Sequence[str | Path] = (), lang: str = "de") -> Path:
    """Draw the difference map to ``output`` (.svg/.png/.pdf) atomically."""
    return D.render(dot_source(dmap, lang), output, inputs)
