"""Graphviz drawings of process maps, BPMN models and Petri nets, with safe German labels.

Activity names come from the data and can hold anything: ``<``, ``"``, ``\\``, ``&``, line
breaks. python-graphviz reads a label that looks like ``<...>`` as HTML and Graphviz interprets
backslash escapes in plain labels (reliability_anchors.md §2.2), so every label here is an
HTML-like label built by us, with all data passed through :func:`html_text`: nothing from the
data can add markup or escapes. Node ids are generated (``n0``, ``n1`` ...), never taken from
data. Layout reads top to bottom. Numbers are written the German way (``1.234``, ``3,5 Tage``).

Drawing needs the Graphviz program ``dot``, which locked-down office PCs often lack; the Python
package alone only builds the DOT source. Without it :func:`draw` raises
:class:`GraphvizMissing` (exit 2 with an install hint). It is raised only after the analysis is
done, carrying the result (:func:`finish`), so the CLI still prints the figures it computed,
and the report shows tables instead of maps.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ist_analyse.errors import ConfigError, OutputError
from ist_analyse.files import check_output, input_files, write_atomic
from ist_analyse.printable import visible
from ist_analyse.privacy.suppress import MARK

#: output formats a map can be written in (the file suffix decides)
FORMATS = ("svg", "png", "pdf")
FONT = "Helvetica"
#: short waits blue, long waits red (ColorBrewer RdYlBu, reversed, without the pale middle)
WAIT_COLOURS = ("#4575b4", "#74add1", "#fdae61", "#f46d43", "#d73027")
#: node fill from rare (light) to frequent (dark)
NODE_FILLS = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd")
SUPPRESSED_COLOUR = "#9e9e9e"


def html_text(text: Any, width: int = 28) -> str:
    """Data text for an HTML-like Graphviz label: escaped, unprintable characters shown as
    escapes (:func:`~ist_analyse.printable.visible`; Graphviz's XML parser refuses them), long
    names wrapped at blanks into lines of about ``width`` characters."""
    raw = visible(text).replace("\r", " ").replace("\t", " ")
    lines: list[str] = []
    for part in raw.split("\n"):
        words, line = part.split(" "), ""
        for word in words:
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "<BR/>".join(html.escape(x, quote=True) for x in lines)


def de_int(n: float | int | None) -> str:
    """``1234`` -> ``1.234``; a suppressed figure -> ``·``."""
    if n is None or pd.isna(n):
        return MARK
    return f"{int(n):,}".replace(",", ".")


def de_num(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def fmt_int(n: float | int | None, lang: str = "de") -> str:
    """A count the way ``lang`` writes it (``1.234`` / ``1,234``); suppressed: ``·``."""
    if lang == "de" or n is None or pd.isna(n):
        return de_int(n)
    return f"{int(n):,}"


#: duration units per language: one day, days, office days, hours, minutes
_UNITS = {"de": ("Tag", "Tage", "AT", "Std.", "Min."),
          "en": ("day", "days", "office days", "h", "min")}


def fmt_duration(days: float | None, office: bool = False, lang: str = "de") -> str:
    """A duration in days as text: ``3,2 Tage`` / ``3.2 days``, ``5,5 Std.`` / ``5.5 h``,
    ``12 Min.`` / ``12 min`` (German unless ``lang`` is ``"en"``)."""
    if days is None or pd.isna(days):
        return MARK
    lang = "de" if lang == "de" else "en"
    one, many, office_unit, hour, minute = _UNITS[lang]

    def num(x: float, digits: int) -> str:
        return de_num(x, digits) if lang == "de" else f"{x:,.{digits}f}"

    if days >= 1:
        unit = office_unit if office else (one if round(days, 1) == 1 else many)
        return f"{num(days, 1)} {unit}"
    hours = days * 24
    if hours >= 1:
        return f"{num(hours, 1)} {hour}"
    return f"{num(hours * 60, 0)} {minute}"


#: the words of the drawings, German (default) and English
WORDS = {
    "de": {"start": "Start", "end": "Ende",
           "edges": "Kanten: Häufigkeit (Breite), Median-Wartezeit (Farbe: blau kurz … rot "
                    "lang), P90 = 90 % der Fälle warten kürzer.",
           "suppressed": "{mark} = weniger als {k} Fälle, Zahl unterdrückt.",
           "calendar": "Zeiten in Kalendertagen",
           "office": "Zeiten in Arbeitstagen (AT: Mo–Fr ohne Feiertage {land})",
           "shown": "Gezeigt: {shown} von {total} Übergängen, sie enthalten die vollständigen "
                    "Wege von {pct} % der {cases} Fälle."},
    "en": {"start": "Start", "end": "End",
           "edges": "Arrows: frequency (width), median wait (colour: blue short … red long), "
                    "P90 = 90 % of the cases wait less.",
           "suppressed": "{mark} = fewer than {k} cases, figure suppressed.",
           "calendar": "Times in calendar days",
           "office": "Times in office days (Mon–Fri without public holidays of {land})",
           "shown": "Shown: {shown} of {total} transitions; they hold the complete paths of "
                    "{pct} % of the {cases} cases."},
}
LANGS = tuple(WORDS)


def words(lang: str) -> dict[str, str]:
    """The drawing words of ``lang`` (``de`` or ``en``)."""
    if lang not in WORDS:
        raise ConfigError(f"unknown language {lang!r}", hint="use de or en")
    return WORDS[lang]


def wait_colour(value: float | None, bounds: Sequence[float]) -> str:
    """Colour class of a waiting time, by the quantile ``bounds`` of the shown edges."""
    if value is None or pd.isna(value):
        return SUPPRESSED_COLOUR
    i = sum(value > b for b in bounds)
    return WAIT_COLOURS[min(i, len(WAIT_COLOURS) - 1)]


def node_fill(n: float | None, n_max: float) -> tuple[str, str]:
    """Fill and font colour of an activity node by its frequency."""
    if not n_max or n is None or pd.isna(n):
        return NODE_FILLS[0], "black"
    i = min(len(NODE_FILLS) - 1, int(len(NODE_FILLS) * math.sqrt(n / n_max)))
    return NODE_FILLS[i], ("white" if i >= 4 else "black")


def new_graph(title: str | None = None, legend: str | None = None) -> Any:
    """A top-to-bottom Digraph with our fonts; ``legend`` (already HTML-safe) at the bottom."""
    import graphviz

    g = graphviz.Digraph(engine="dot")
    g.attr("graph", rankdir="TB", fontname=FONT, fontsize="11", nodesep="0.35",
           ranksep="0.45", labelloc="b", labeljust="l", bgcolor="white", newrank="true")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7")
    parts = []
    if title:
        parts.append(f'<B>{html_text(title, 80)}</B>')
    if legend:
        parts.append(legend)
    if parts:
        g.attr("graph", label="<" + "<BR/>".join(parts) + ">")
    return g


def check_drawing(output: str | Path | None, *sources: Any, options: Any = None,
                  what: str = "a map") -> list[Path]:
    """Refuse an output that cannot be a drawing (suffix) or would overwrite an input (the
    ``sources`` and the files of ``options``: :func:`~ist_analyse.files.input_files`), before
    any work is done; returns the input files to pass on to :func:`render`."""
    inputs = input_files(*sources, options=options)
    if output is not None:
        if Path(output).suffix.lower().lstrip(".") not in FORMATS:
            raise OutputError(f"cannot draw {what} as '{Path(output).suffix or output}'",
                              file=output, hint="name the output .svg, .png or .pdf")
        check_output(Path(output), inputs)
    return inputs


class GraphvizMissing(OutputError):
    """The Graphviz program ``dot`` is not installed, so a drawing cannot be made.

    ``result`` holds what the analysis computed before it tried to draw (see :func:`finish`).
    """

    result: Any = None


def draw(source: str, fmt: str, file: str | Path | None = None) -> bytes:
    """Lay out DOT ``source`` with Graphviz; the drawing as ``fmt`` (svg, png, pdf) bytes."""
    import graphviz

    try:
        return graphviz.Source(source, engine="dot").pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizMissing("Graphviz is not installed (the 'dot' program was not found)",
                              file=file, hint="install Graphviz (apt install graphviz; "
                              "Windows: winget install graphviz), or leave out the picture "
                              "output; the results above are complete") from exc
    except graphviz.CalledProcessError as exc:
        msg = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise OutputError("Graphviz could not draw the map" + (f": {msg[-1]}" if msg else ""),
                          file=file) from exc


def render(source: str, output: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Lay out DOT ``source`` with Graphviz and write ``output`` (.svg/.png/.pdf) atomically."""
    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise OutputError(f"cannot draw a map as '{output.suffix or output.name}'",
                          file=output, hint="name the output .svg, .png or .pdf")
    check_output(output, inputs)
    data = draw(source, fmt, output)
    return write_atomic(output, lambda fh: fh.write(data))


def finish(result: Any, missing: GraphvizMissing | None) -> Any:
    """Return ``result``, or raise ``missing`` (the drawing that could not be made) with the
    result attached, so a caller can still show the figures before reporting the error."""
    if missing is not None:
        missing.result = result
        raise missing
    return result
