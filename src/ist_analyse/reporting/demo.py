"""``demo``: the whole chain on the shipped sample logs, in one call.

A new user (and CI) should see what the toolkit does before touching their own data: the
simulated checklist export of an Ausländerbehörde (German CSV, change on 01.07.2024), read with
its mapping file, checked against the Soll model and the rule set, compared before and after
the change, written as a German report (HTML and PDF) and an English one (HTML) in
``reports/demo/``. The sample files are found next to the package in a source checkout.
"""

from __future__ import annotations

from pathlib import Path

from ist_analyse.config import ImportOptions
from ist_analyse.errors import InputError
from ist_analyse.reporting.build import ReportResult, build_reports

#: the change date of the checklist sample (sample_logs/README.md)
DEMO_CHANGE = "2024-07-01"
DEMO_LOG = "sample_logs/abh_checklist_2024.csv"
DEMO_MAPPING = "sample_logs/abh_mapping.toml"
DEMO_MODEL = "models/soll_aufenthaltstitel.bpmn"
DEMO_RULES = "models/abh_rules.toml"


def project_root() -> Path:
    """The checkout holding ``sample_logs/`` and ``models/`` (src layout: three levels up
    from this file; else the current folder)."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (base / DEMO_LOG).is_file():
            return base
    raise InputError("the sample logs were not found", file=DEMO_LOG,
                     hint="run the demo from a checkout of ist-analyse (sample_logs/ and "
                     "models/ must be there)")


def demo(output_dir: str | Path = "reports/demo", *, lang: str = "de", pdf: bool = True,
         progress: bool = True, both_languages: bool = True) -> ReportResult:
    """Run the whole chain on the sample export and write the demo report.

    Args:
        output_dir: folder for ``report.html`` (+ ``report.pdf``) and, with
            ``both_languages``, the other language as ``report_en.html`` / ``report_de.html``
            (HTML only, to keep the demo fast).
        lang: language of the main report (``de`` or ``en``).
        pdf: also write the PDF of the main report.
        progress: show the steps on stderr.
        both_languages: also write the report in the other language.

    Returns:
        the :class:`ReportResult` of the main report (``timings`` has the seconds per step).

    Example:
        >>> demo("reports/demo").html                                # doctest: +SKIP
        PosixPath('reports/demo/report.html')
    """
    root = project_root()
    out = Path(output_dir)
    outputs: dict[str, tuple[str | Path, bool]] = {lang: (out / "report.html", pdf)}
    if both_languages:
        other = "en" if lang == "de" else "de"
        outputs[other] = (out / f"report_{other}.html", False)
    options = ImportOptions(mapping_file=root / DEMO_MAPPING)
    results = build_reports(root / DEMO_LOG, outputs, options, change=DEMO_CHANGE,
                            model=root / DEMO_MODEL, rules=root / DEMO_RULES,
                            title=None, progress=progress)
    main = results[0]
    main.notes.extend(f"also written: {r.html}" for r in results[1:])
    return main
