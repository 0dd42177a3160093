"""Analysis verbs: process maps and variants (discovery), waiting times and bottlenecks.

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
}

__all__ = [
    "Bottlenecks",
    "ProcessMap",
    "activity_instances",
    "bottlenecks",
    "discover_process_map",
    "office_days",
    "render_bottlenecks",
    "render_process_map",
]

if TYPE_CHECKING:
    from ist_analyse.analysis.calendar import office_days
    from ist_analyse.analysis.discovery import ProcessMap, discover_process_map
    from ist_analyse.analysis.instances import activity_instances
    from ist_analyse.analysis.performance import Bottlenecks, bottlenecks
    from ist_analyse.analysis.render import render_bottlenecks, render_process_map


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ist_analyse.analysis' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
