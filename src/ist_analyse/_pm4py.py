"""The only module that imports pm4py: column names and return shapes are translated here.

pm4py wants XES names (``case:concept:name``, ``concept:name``, ``time:timestamp``); the rest of
ist-analyse speaks the canonical schema of :mod:`ist_analyse.log`. Importing pm4py costs about
3 s, so it happens on first use only, with stdout guarded so ``--json`` output stays clean.
"""

from __future__ import annotations

import contextlib
import sys
from types import ModuleType

import pandas as pd

from ist_analyse import log as L

#: canonical column -> pm4py/XES column
PM4PY_NAMES = {
    L.CASE_ID: "case:concept:name",
    L.ACTIVITY: "concept:name",
    L.TIMESTAMP: "time:timestamp",
    L.START_TIME: "start_timestamp",
    L.RESOURCE: "org:resource",
    L.ROLE: "org:role",
    L.ORG_UNIT: "org:group",
    L.LIFECYCLE: "lifecycle:transition",
}

_pm4py: ModuleType | None = None


def pm4py() -> ModuleType:
    """Import pm4py once, keeping anything it prints away from stdout."""
    global _pm4py
    if _pm4py is None:
        with contextlib.redirect_stdout(sys.stderr):
            import pm4py as module
        _pm4py = module
    return _pm4py


def to_pm4py(log: pd.DataFrame) -> pd.DataFrame:
    """A pm4py-ready copy of a canonical log: XES column names, case attributes as ``case:*``.

    Example:
        >>> import pm4py                                    # doctest: +SKIP
        >>> pm4py.discover_dfg(to_pm4py(log))               # doctest: +SKIP
    """
    renames = {c: n for c, n in PM4PY_NAMES.items() if c in log.columns}
    for col in log.columns:
        if col.startswith(L.CASE_PREFIX) and col != L.CASE_ID:
            renames[col] = "case:" + col[len(L.CASE_PREFIX):]
    out = log.rename(columns=renames)
    out["case:concept:name"] = out["case:concept:name"].astype(str)
    out["concept:name"] = out["concept:name"].astype(str)
    return out
