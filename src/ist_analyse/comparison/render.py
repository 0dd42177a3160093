"""Terminal output of ``compare`` and ``compare --plan`` for people (``--json`` is for scripts).

Like :mod:`ist_analyse.analysis.render`: rich tables on stdout, German number formats,
suppressed figures as "·", text from the data escaped. Words are English like the other
commands (the report generator translates); ``confounded`` means the workload changed at the
same time in the direction that explains the difference (:mod:`.kpis`). Only KPIs with a
verdict or a headline KPI are listed; transitions without enough data are counted, not listed.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ist_analyse.analysis.dot import de_int, de_num
from ist_analyse.analysis.render import _console, _dur, _pct
from ist_analyse.comparison.core import Comparison
from ist_analyse.comparison.plan import Plan
from ist_analyse.printable import terminal as escape  # visible() + rich markup
from ist_analyse.privacy.suppress import MARK

_MARKS = {"faster": "[green]faster[/green]", "slower": "[red]slower[/red]",
          "higher": "higher", "lower": "lower", "no_change": "no clear change",
          "not_enough_data": "not enough data",
          "confounded": "[yellow]confounded (workload)[/yellow]"}


def _value(x: object, unit: str) -> str:
    if x is None:
        return MARK
    if unit == "share":
        return _pct(x)
    if unit == "days":
        return _dur(x)
    return de_num(float(x), 1)  # type: ignore[arg-type]


def _diff(x: object, unit: str) -> str:
    if x is None:
        return MARK
    v = float(x)  # type: ignore[arg-type]
    sign = "+" if v >= 0 else "−"
    if unit == "share":
        return f"{sign}{de_num(abs(100 * v), 1)} pp"
    if unit == "days":
        return sign + _dur(abs(v))
    return sign + de_num(abs(v), 1)


def _p(x: object) -> str:
    if x is None:
        return "–"
    v = float(x)  # type: ignore[arg-type]
    return "< 0,001" if v < 0.001 else de_num(v, 3)


def render_comparison(result: Comparison, console: Console | None = None) -> None:
    """Print the periods, the KPI table, context, checks and warnings."""
    con = console or _console()
    per = result.periods
    con.print(f"[bold]{escape(result.source)}[/bold]: comparison ({per['mode']})"
              + (f", change {per['change_date']}" if per.get("change_date") else "")
              + (f", washout {per['washout_days']} days" if per.get("washout_days") else ""))
    for side in ("before", "after"):
        p = per[side]
        con.print(f"  {side}: {escape(str(p['label']))}, cases started {p['start']} – "
                  f"{p['end']}: {de_int(p['cases'])} cases, {de_int(p['open_cases'])} open "
                  f"({_pct(p['open_share'])})")
    t = Table(title=f"KPIs ({100 * (1 - result.alpha):.0f} % confidence intervals; "
              "transitions adjusted for multiple testing)", title_justify="left")
    for col in ("KPI", "before", "after", "difference", "CI", "p", "n before", "n after",
                "verdict"):
        t.add_column(col, justify="left" if col in ("KPI", "verdict") else "right")
    hidden = 0
    for k in result.kpis:
        if k.family == "transition" and k.verdict == "not_enough_data":
            hidden += 1
            continue
        ci = (f"{_diff(k.ci_low, k.unit)} … {_diff(k.ci_high, k.unit)}"
              if k.ci_low is not None else "–")
        t.add_row(escape(k.kpi), _value(k.before, k.unit), _value(k.after, k.unit),
                  _diff(k.difference, k.unit), ci, _p(k.p_adjusted), de_int(k.n_before),
                  de_int(k.n_after), _MARKS.get(k.verdict, k.verdict))
    con.print(t)
    if hidden:
        con.print(f"{hidden} further transitions or steps: too few cases in a group for a "
                  "verdict")
    dur = result.kpi("case_duration")
    if dur.extra.get("rmst_before") is not None:
        con.print(f"restricted mean duration up to {de_num(dur.extra['horizon_days'], 0)} "
                  f"days: {_dur(dur.extra['rmst_before'])} → {_dur(dur.extra['rmst_after'])} "
                  f"({_diff(dur.extra['rmst_difference'], 'days')}, CI "
                  f"{_diff(dur.extra['rmst_ci_low'], 'days')} … "
                  f"{_diff(dur.extra['rmst_ci_high'], 'days')})")
    mix = result.context.get("case_mix", {})
    if mix.get("attribute"):
        con.print(f"case mix ({escape(mix['attribute'])}): chi-square p = {_p(mix['p_value'])}"
                  + (" — shifted, see per case type below" if mix["shifted"] else ""))
        for r in result.context.get("stratified", []):
            con.print(f"  {escape(str(r['value']))}: {_value(r['before_median'], 'days')} → "
                      f"{_value(r['after_median'], 'days')} (log-rank p = {_p(r['p_value'])})")
    chk = result.checks
    for p in chk.get("placebo", []):
        con.print(f"placebo {p['date']} {p['kpi']}: p = {_p(p['p_value'])}")
    for s in chk.get("shifted", []):
        con.print(f"change date {s['shift_weeks']:+d} weeks: difference "
                  f"{_diff(s['difference'], 'days')}, p = {_p(s['p_value'])}")
    if result.difference_map.get("file"):
        con.print(f"difference map: {escape(result.difference_map['file'])}")
    for w in chk.get("warnings", []):
        con.print(f"[yellow]warning:[/yellow] {escape(w)}")
    for n in result.notes:
        con.print(f"note: {escape(n)}")


def render_plan(plan: Plan, console: Console | None = None) -> None:
    """Print how many weeks after a go-live are needed, and the detectable effects."""
    con = console or _console()
    con.print(f"[bold]{escape(plan.source)}[/bold]: {de_int(plan.cases)} cases, "
              f"{de_num(plan.arrivals_per_week, 1)} new cases per week, median duration "
              f"{_value(plan.median_days, 'days')}")
    t = Table(title=f"Power to detect durations {plan.effect:.0%} shorter (log-rank, "
              f"alpha {plan.alpha}, {plan.n_sim} simulated logs each)", title_justify="left")
    for col in ("weeks after go-live", "new cases", "power"):
        t.add_column(col, justify="right")
    for r in plan.rows:
        t.add_row(str(r["weeks"]), de_num(r["after_cases"], 0), _pct(r["power"]))
    con.print(t)
    if plan.weeks_needed is not None:
        con.print(f"needed: about {plan.weeks_needed} weeks after the go-live for "
                  f"{plan.power:.0%} power")
    else:
        con.print(f"{plan.power:.0%} power is not reached within {plan.rows[-1]['weeks']} "
                  "weeks at the current volume")
    for m in plan.mde:
        eff = "more than 70 %" if m["effect"] is None else f"{m['effect']:.0%}"
        con.print(f"minimum detectable reduction after {m['weeks']} weeks: {eff}")
    rw = plan.rework
    if rw.get("cases_needed"):
        con.print(f"rework share {_pct(rw['baseline'])} → {_pct(rw['target'])}: "
                  f"{de_int(rw['cases_needed'])} new cases, about {rw['weeks_needed']} weeks")
    con.print(f"method: {plan.method}")
    for n in plan.notes:
        con.print(f"note: {escape(n)}")
