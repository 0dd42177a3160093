"""Before/after comparison (issue #7): did a process change help, with honest uncertainty.

``compare`` puts the same KPIs side by side for two groups of cases (before/after a change
date, two logs, or two values of a case attribute) with confidence intervals, p-values,
multiple-testing correction and checks of its own conclusions; ``plan_change`` says how long
after a go-live an effect of a given size can be seen. Modules by capability: periods,
survival, kpis, context, timeseries, checks, diffmap, plan, render.
"""

from __future__ import annotations

from ist_analyse.comparison.core import Comparison, compare
from ist_analyse.comparison.plan import Plan, plan_change
from ist_analyse.comparison.render import render_comparison, render_plan

__all__ = ["Comparison", "Plan", "compare", "plan_change", "render_comparison", "render_plan"]
