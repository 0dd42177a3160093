"""The report's charts: waiting per transition, the weekly series, Kaplan–Meier curves.

Drawn with matplotlib's object API on the Agg/SVG backends (no pyplot state, no display), as
SVG embedded as ``data:`` images, so the report stays one file and nothing in a picture can run
script. Colours are the Okabe–Ito palette, which readers with any common colour-vision
deficiency can tell apart, and every series also differs by hatching or line style and marker,
so a black-and-white printout still reads. Each chart carries an alt text that says what a
sighted reader would take from it. Numbers and dates on the axes follow the report's language.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ist_analyse.printable import visible
from ist_analyse.reporting.i18n import Texts, duration_unit
from ist_analyse.reporting.tables import data_uri

#: Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
             "purple": "#CC79A7", "grey": "#999999"}
#: chart width in inches: fits an A4 text column (17 cm) at 100 %
WIDTH = 6.7
FONT_SIZE = 8.5


@dataclass
class Chart:
    """One embedded picture: ``uri`` for ``<img src>``, the alt text and a caption."""

    uri: str
    alt: str
    caption: str


def _figure(height: float, rows: int = 1, sharex: bool = True) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=100)
    axes = fig.subplots(rows, 1, sharex=sharex, squeeze=False)[:, 0]
    for ax in axes:
        ax.tick_params(labelsize=FONT_SIZE)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="both", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    return fig, axes


def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.BytesIO()
    # text as text keeps the files small and searchable; no date, so equal input gives an
    # equal file
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ist-analyse",
                                "font.family": "DejaVu Sans"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return data_uri(buf.getvalue(), "image/svg+xml")


def _num_formatter(texts: Texts, digits: int = 0) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: texts.num(x, digits))


def _date_formatter(texts: Texts) -> Any:
    from babel.dates import format_date
    from matplotlib.dates import num2date
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: format_date(num2date(x).date(), "MMM yy",
                                                     locale=texts.locale))


def _label(a: Any, b: Any, width: int = 38) -> str:
    """A transition as a tick label: data text through :func:`visible` (an SVG must not
    carry control characters)."""
    a = "Start" if a is None or pd.isna(a) else visible(a)
    b = "Ende" if b is None or pd.isna(b) else visible(b)
    return "\n".join(textwrap.wrap(f"{a} → {b}", width=width, max_lines=2, placeholder=" …"))


def waiting_bars(transitions: pd.DataFrame, texts: Texts, top: int = 12) -> Chart | None:
    """Horizontal bars: median waiting per transition (hatched), the 90th percentile behind
    it (dotted), for the ``top`` transitions with the most waiting in total."""
    df = transitions[transitions["median_wait_days"].notna()].head(top)
    if df.empty:
        return None
    labels = [_label(a, b) for a, b in zip(df["from"], df["to"], strict=True)]
    unit, factor = duration_unit(df["median_wait_days"])
    word = texts(f"unit.{unit}")
    med = df["median_wait_days"].astype(float).to_numpy() * factor
    p90 = df["p90_wait_days"].astype(float).to_numpy() * factor
    n = len(df)
    fig, (ax,) = _figure(0.42 * n + 0.9)
    y = list(range(n))[::-1]
    # the 90th percentile as a light outlined bar: dense hatching would cost WeasyPrint
    # seconds per chart and the outline alone reads in black and white
    ax.barh(y, p90, height=0.75, color="#d7ecf8", edgecolor=OKABE_ITO["blue"],
            linewidth=0.8, label=texts("bn.p90_legend"))
    ax.barh(y, med, height=0.45, color=OKABE_ITO["blue"], edgecolor="black", hatch="///",
            linewidth=0.5, label=texts("bn.median_legend"))
    for yi, m in zip(y, med, strict=True):
        ax.text(m, yi, " " + texts.num(m, 1), va="center", ha="left", fontsize=FONT_SIZE - 1)
    # activity names are text, not TeX: 'Gebühr $\\alpha$' must not be parsed as mathtext
    ax.set_yticks(y, labels, fontsize=FONT_SIZE, parse_math=False)
    ax.set_xlabel(texts("bn.xlabel", unit=word), fontsize=FONT_SIZE)
    ax.xaxis.set_major_formatter(_num_formatter(texts))
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=FONT_SIZE, loc="lower right", frameon=True)
    alt = texts("bn.chart_alt", n=n, top=labels[0].replace("\n", " "),
                value=texts.num(med[0], 1), unit=word)
    return Chart(_svg(fig), alt, texts("bn.chart_title"))


def _weeks(values: Sequence[Any]) -> list[dt.date]:
    return [pd.Timestamp(str(v)).date() for v in values]


def weekly_series(weekly: pd.DataFrame, texts: Texts, change: dt.date | None = None,
                  *, title_key: str = "bn.weekly_title") -> Chart | None:
    """Arrivals and completions per week (top), open cases (middle), and, when the table has
    it, the median duration of the cases completed that week (bottom); a vertical line at the
    change date, the washout weeks shaded."""
    if weekly is None or len(weekly) == 0:
        return None
    df = weekly.copy()
    x = _weeks(df["week"])
    has_median = ("median_duration_days" in df.columns
                  and df["median_duration_days"].notna().any())
    rows = 3 if has_median else 2
    fig, axes = _figure(1.6 * rows + 0.6, rows=rows)
    num = lambda col: pd.to_numeric(df[col], errors="coerce").astype(float)  # noqa: E731
    ax = axes[0]
    ax.plot(x, num("arrivals"), color=OKABE_ITO["orange"], linestyle="-", marker="o",
            markersize=2.5, linewidth=1.3, label=texts("week.arrivals"))
    ax.plot(x, num("completions"), color=OKABE_ITO["blue"], linestyle="--", marker="s",
            markersize=2.5, linewidth=1.3, label=texts("week.completions"))
    ax.set_ylabel(texts("week.per_week"), fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE, loc="upper left", ncols=2, frameon=True)
    ax = axes[1]
    ax.plot(x, num("wip"), color=OKABE_ITO["green"], linestyle="-.", linewidth=1.5,
            label=texts("week.wip"))
    ax.set_ylabel(texts("week.open"), fontsize=FONT_SIZE)
    if has_median:
        ax = axes[2]
        ax.plot(x, num("median_duration_days"), color=OKABE_ITO["vermillion"], linestyle=":",
                marker="^", markersize=2.5, linewidth=1.5, label=texts("week.median"))
        ax.set_ylabel(texts("week.median"), fontsize=FONT_SIZE)
    for ax in axes:
        ax.yaxis.set_major_formatter(_num_formatter(texts))
    if "period" in df.columns:
        wash = [d for d, p in zip(x, df["period"], strict=True) if p == "washout"]
        if wash:
            for ax in axes:
                ax.axvspan(wash[0], wash[-1] + dt.timedelta(days=7), facecolor="#eeeeee",
                           edgecolor="#999999", hatch="//", linewidth=0,
                           label=texts("week.washout"))
    if change is not None:
        for ax in axes:
            ax.axvline(change, color="black", linestyle=(0, (5, 2)), linewidth=1.2)
        axes[0].annotate(texts("week.change", date=texts.date(change)), xy=(change, 1.0),
                         xycoords=("data", "axes fraction"), xytext=(3, -2),
                         textcoords="offset points", va="top", fontsize=FONT_SIZE)
    axes[-1].xaxis.set_major_formatter(_date_formatter(texts))
    if title_key == "cmp.weekly_title":
        alt = texts("cmp.weekly_alt", start=texts.date(x[0]), end=texts.date(x[-1]),
                    date=texts.date(change) if change else "–")
    else:
        extra = texts("bn.weekly_alt_change", date=texts.date(change)) if change else ""
        alt = texts("bn.weekly_alt", start=texts.date(x[0]), end=texts.date(x[-1]),
                    change=extra)
    return Chart(_svg(fig), alt, texts(title_key))


def survival_curves(survival: dict[str, Any], texts: Texts) -> Chart | None:
    """Kaplan–Meier curves before (solid) and after (dashed): the share of cases not yet
    completed after x days; the 50 % line marks the medians."""
    before = pd.DataFrame(survival.get("before") or [])
    after = pd.DataFrame(survival.get("after") or [])
    if before.empty and after.empty:
        return None
    fig, (ax,) = _figure(2.9)
    medians = {}
    for name, frame, colour, style in (("before", before, OKABE_ITO["blue"], "-"),
                                       ("after", after, OKABE_ITO["vermillion"], "--")):
        if frame.empty:
            medians[name] = None
            continue
        days = frame["days"].astype(float).to_numpy()
        surv = frame["survival"].astype(float).to_numpy()
        ax.step(days, surv, where="post", color=colour, linestyle=style, linewidth=1.6,
                label=texts(f"cmp.{name}"))
        below = days[surv <= 0.5]
        medians[name] = float(below[0]) if len(below) else None
    ax.axhline(0.5, color=OKABE_ITO["grey"], linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: texts.pct(v, 0)))
    ax.xaxis.set_major_formatter(_num_formatter(texts))
    ax.set_xlabel(texts("cmp.km_x"), fontsize=FONT_SIZE)
    ax.set_ylabel(texts("cmp.km_y"), fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE, frameon=True)
    alt = texts("cmp.km_alt", before=texts.num(medians.get("before"), 0),
                after=texts.num(medians.get("after"), 0))
    return Chart(_svg(fig), alt, texts("cmp.km_title"))


def svg_file(data: bytes, alt: str, caption: str) -> Chart:
    """An SVG made elsewhere (Graphviz process map) as an embedded picture."""
    return Chart(data_uri(data, "image/svg+xml"), alt, caption)
