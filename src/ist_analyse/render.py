"""Terminal rendering of results for people (``--json`` is for scripts).

Text from the data goes through :func:`~ist_analyse.printable.terminal`: an activity called
``[bold]`` stays text, and an escape sequence in it is shown, not obeyed by the terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ist_analyse.inspection import Inspection
from ist_analyse.printable import terminal


def _fmt_int(n: int | None) -> str:
    return "–" if n is None else f"{n:,}".replace(",", ".")


def render_inspection(result: Inspection, console: Console | None = None) -> None:
    """Print an inspection as a short German-style summary with tables."""
    con = console or Console(highlight=False)
    con.print(f"[bold]{terminal(result.source)}[/bold] ({result.format})")
    summary = Table.grid(padding=(0, 2))
    summary.add_row("cases", _fmt_int(result.cases))
    summary.add_row(f"events ({result.row_label}s read)", _fmt_int(result.events))
    if result.rows != result.events:
        summary.add_row("activity instances", _fmt_int(result.rows))
    summary.add_row("activities", _fmt_int(len(result.activities)))
    summary.add_row("first event", result.start or "–")
    summary.add_row("last event", result.end or "–")
    open_text = (_fmt_int(result.open_cases)
                 + f" (end: {terminal(', '.join(result.end_activities))})"
                 if result.open_cases is not None else "– (give --end-activity)")
    summary.add_row("open cases", open_text)
    con.print(summary)

    cols = Table(title="Columns", title_justify="left")
    cols.add_column("field")
    cols.add_column("source column")
    cols.add_column("how")
    for row in result.mapping:
        cols.add_row(row["role"], terminal(row["column"]), row["how"])
    for src, new in result.renamed.items():
        cols.add_row(terminal(new), terminal(src), "kept")
    con.print(cols)

    acts = Table(title="Activities", title_justify="left")
    acts.add_column("activity")
    acts.add_column("events", justify="right")
    for name, n in result.activities.items():
        acts.add_row(terminal(name), _fmt_int(n))
    con.print(acts)

    priv = result.privacy
    if priv["pseudonymized"]:
        con.print("pseudonymised: " + terminal(", ".join(priv["pseudonymized"])))
    for col in priv["dropped_columns"]:
        reason = priv["dropped_reasons"].get(col, "identifies persons")
        con.print(f"dropped: {terminal(col)} ({terminal(reason)})")
    for col, n in priv["rare_labels"].items():
        con.print(f"rare labels: {n} label(s) of {terminal(col)} used by too few cases, "
                  "shown as one group")
    for note in result.notes:
        con.print(f"note: {terminal(note)}")
    label = result.row_label
    for e in result.implausible_date_examples[:5]:
        con.print(f"implausible date left out: {label} {e[label]}, {terminal(e['column'])} "
                  f"{terminal(repr(e['value']))} ({e['reason']})")
    if result.findings:
        table = Table(title="Data quality", title_justify="left")
        table.add_column("")
        table.add_column("finding")
        table.add_column(f"{result.row_label}s, e.g.")
        for f in result.findings:
            mark = "!" if f.severity == "warning" else "i"
            table.add_row(mark, terminal(f.message), terminal(", ".join(map(str, f.examples[:5]))))
        con.print(table)
    else:
        con.print("data quality: no findings")
