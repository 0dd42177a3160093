"""Analysis verbs: process maps and variants (discovery), waiting times and bottlenecks,
conformance to the Soll model and rules.

Imported lazily like :mod:`ist_analyse`, so that importing the package costs nothing until a
verb is used (and pm4py loads only when a model is mined).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "bottlenecks": "ist_analyse.analysis.performance",
    "Bottlenecks": "ist_analyse.analysis.performance",
    "discover_process_map": "ist_analyse.analysis.discovery",
    "ProcessMap": "ist_analyse.analysis.discovery",
    "activity_instances": "ist_analyse.analysis.instances",
    "office_days": "ist_analyse.analysis.calendar",
    "render_bottlenecks": "ist_analyse.analysis.render",
    "render_process_map": "ist_analyse.analysis.render",
    "render_soll_ist": "ist_analyse.analysis.render",
    "check_soll_ist": "ist_analyse.analysis.soll_ist",
    "SollIst": "ist_analyse.analysis.soll_ist",
    "check_conformance": "ist_analyse.analysis.conformance",
    "read_model": "ist_analyse.analysis.conformance",
    "check_rules": "ist_analyse.analysis.rules",
    "load_rules": "ist_analyse.analysis.rules",
}

__all__ = [
    "Bottlenecks",
    "ProcessMap",
    "SollIst",
    "activity_instances",
    "bottlenecks",
    "check_conformance",
    "check_rules",
    "check_soll_ist",
    "discover_process_map",
    "load_rules",
    "office_days",
    "read_model",
    "render_bottlenecks",
    "render_process_map",
    "render_soll_ist",
]

if TYPE_CHECKING:
    from ist_analyse.analysis.calendar import office_days
    from ist_analyse.analysis.conformance import check_conformance, read_model
    from ist_analyse.analysis.discovery import ProcessMap, discover_process_map
    from ist_analyse.analysis.instances import activity_instances
    from ist_analyse.analysis.performance import Bottlenecks, bottlenecks
    from ist_analyse.analysis.render import render_bottlenecks, render_process_map, render_soll_ist
    from ist_analyse.analysis.rules import check_rules, load_rules
    from ist_analyse.analysis.soll_ist import SollIst, check_soll_ist


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ist_analyse.analysis' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
