"""ist-analyse: process mining for the Ist-Analyse of public-authority workflows.

The public verbs, shared by the CLI and notebooks. Imported lazily, so that ``import
ist_analyse`` (and ``ist-analyse --help``) stays fast: pandas and pm4py load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_log": "ist_analyse.io.pipeline",
    "ImportResult": "ist_analyse.io.pipeline",
    "ImportReport": "ist_analyse.io.pipeline",
    "import_log": "ist_analyse.io.export",
    "inspect_log": "ist_analyse.inspection",
    "Inspection": "ist_analyse.inspection",
    "ImportOptions": "ist_analyse.config",
    "validate_log": "ist_analyse.log",
    "to_pm4py": "ist_analyse._pm4py",
    "IstAnalyseError": "ist_analyse.errors",
    "bottlenecks": "ist_analyse.analysis.performance",
    "Bottlenecks": "ist_analyse.analysis.performance",
    "discover_process_map": "ist_analyse.analysis.discovery",
    "ProcessMap": "ist_analyse.analysis.discovery",
    "simulate": "ist_analyse.simulate",
    "check_soll_ist": "ist_analyse.analysis.soll_ist",
    "compare": "ist_analyse.comparison",
    "Comparison": "ist_analyse.comparison",
    "plan_change": "ist_analyse.comparison",
    "report": "ist_analyse.reporting",
    "demo": "ist_analyse.reporting",
    "ReportResult": "ist_analyse.reporting",
    "SollIst": "ist_analyse.analysis.soll_ist",
}

__all__ = [
    "Bottlenecks",
    "Comparison",
    "ImportOptions",
    "ImportReport",
    "ImportResult",
    "Inspection",
    "IstAnalyseError",
    "ProcessMap",
    "ReportResult",
    "SollIst",
    "__version__",
    "bottlenecks",
    "check_soll_ist",
    "compare",
    "demo",
    "discover_process_map",
    "import_log",
    "inspect_log",
    "plan_change",
    "read_log",
    "report",
    "simulate",
    "to_pm4py",
    "validate_log",
]

if TYPE_CHECKING:
    from ist_analyse._pm4py import to_pm4py
    from ist_analyse.analysis.discovery import ProcessMap, discover_process_map
    from ist_analyse.analysis.performance import Bottlenecks, bottlenecks
    from ist_analyse.analysis.soll_ist import SollIst, check_soll_ist
    from ist_analyse.comparison import Comparison, compare, plan_change
    from ist_analyse.config import ImportOptions
    from ist_analyse.errors import IstAnalyseError
    from ist_analyse.inspection import Inspection, inspect_log
    from ist_analyse.io.export import import_log
    from ist_analyse.io.pipeline import ImportReport, ImportResult, read_log
    from ist_analyse.log import validate_log
    from ist_analyse.reporting import ReportResult, demo, report
    from ist_analyse.simulate import simulate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ist_analyse' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
