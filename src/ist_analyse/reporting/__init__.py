"""The management report (HTML and PDF) and the demo that runs the whole chain.

``report()`` collects the analyses of one log into a self-contained HTML file (and a PDF);
``demo()`` runs it on the shipped sample logs. matplotlib, Jinja2 and WeasyPrint are imported
only when a report is written.
"""

from __future__ import annotations

from ist_analyse.reporting.build import ReportResult, build_reports, report
from ist_analyse.reporting.demo import demo

__all__ = ["ReportResult", "build_reports", "demo", "report"]
