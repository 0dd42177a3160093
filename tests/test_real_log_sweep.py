"""Every analysis command on every real public log in the repository: exit 0 or 2, never 1.

The real logs (tests/data/real_logs, README there) were written by nobody on this project: BPI
Challenge 2012 and 2013, a Dutch municipality's permit process, an Italian police authority's
fines, the ProM repair example with cases of minutes in 1970, a plain interval CSV. A real
office's export will be as foreign as these. The installed command line is run as a user runs
it (``python -m ist_analyse``, a process per command), with the options a user would give: the
first half of the log as the reference period of ``conformance``, the middle date as the change
of ``compare``, a PDF report.

Exit code 2 is an honest answer ("this log cannot answer that question": e.g. no activity
instances with both halves); exit code 1 is a bug. A command that succeeds must say something:
``--json`` is one JSON document, ``discover`` shows activities, the report and its PDF exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import REAL_LOGS

LOGS = sorted(p.name for p in REAL_LOGS.iterdir()
              if p.name.endswith((".xes.gz", ".xes", ".csv")))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ist_analyse", *args], capture_output=True,
                          text=True, timeout=600)


def middle(start: str, end: str) -> tuple[str, str]:
    """First day and middle day of the log, as JJJJ-MM-TT."""
    a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return a.date().isoformat(), (a + (b - a) / 2).date().isoformat()


def test_the_sweep_covers_the_logs_the_issue_names():
    for name in ("06_bpic2013_closed.xes.gz", "07_bpic2013_incidents.xes.gz",
                 "03_repairExample.xes.gz", "08_receipt.xes.gz", "interval_event_log.csv"):
        assert name in LOGS


@pytest.mark.slow
@pytest.mark.parametrize("name", LOGS)
def test_every_command_on_a_real_log(real_logs, name, tmp_path):
    log = str(real_logs / name)
    res = run("inspect", log, "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["cases"] > 0 and summary["events"] > 0
    assert summary["start"] and summary["end"], "a real log has a period"
    first, mid = middle(summary["start"], summary["end"])

    commands = {
        "discover": ["discover", log, "-o", str(tmp_path / "map.svg"), "--json"],
        "bottlenecks": ["bottlenecks", log, "--json"],
        "conformance": ["conformance", log, "--reference", f"{first}:{mid}", "--json"],
        "compare": ["compare", log, "--change", mid, "--json"],
        "report": ["report", log, "-o", str(tmp_path / "report" / "report.html"), "--pdf",
                   "--no-progress"],
    }
    problems, outcomes = [], {}
    for cmd, args in commands.items():
        res = run(*args)
        outcomes[cmd] = res.returncode
        if res.returncode not in (0, 2) or "Traceback" in res.stderr:
            problems.append(f"{cmd}: exit {res.returncode}: {res.stderr.strip()[-400:]}")
        elif res.returncode == 2:
            # one short message naming what is wrong, no traceback
            if not res.stderr.startswith("ist-analyse: ") or len(
                    res.stderr.strip().splitlines()) > 3:
                problems.append(f"{cmd}: exit 2 without one short message: {res.stderr}")
            elif "None" in res.stderr:
                problems.append(f"{cmd}: a message shows Python's None: {res.stderr}")
        else:
            problems += succeeded(cmd, args, res, tmp_path)
    assert not problems, "\n".join(problems)
    # the questions any real log can answer are answered, not refused
    assert outcomes["discover"] == outcomes["bottlenecks"] == outcomes["report"] == 0, outcomes


def succeeded(cmd: str, args: list[str], res: subprocess.CompletedProcess,
              tmp_path: Path) -> list[str]:
    """What is wrong with the output of a command that exited with 0."""
    if "--json" in args:
        try:
            doc = json.loads(res.stdout)  # the whole of stdout is one document
        except json.JSONDecodeError as exc:
            return [f"{cmd}: stdout is not one JSON document ({exc}): {res.stdout[:200]!r}"]
        if not isinstance(doc, dict) or not doc:
            return [f"{cmd}: empty JSON"]
    if cmd == "discover":
        if doc["activities_shown"] == 0 or doc["edges_shown"] == 0:
            return [f"discover: an empty map of a real log ({doc['activities_total']} "
                    f"activities, {doc['edges_total']} transitions)"]
        if (tmp_path / "map.svg").stat().st_size == 0:
            return ["discover: empty SVG"]
    if cmd == "bottlenecks" and not doc.get("transitions"):
        return ["bottlenecks: no transition ranked"]
    if cmd == "report":
        html = tmp_path / "report" / "report.html"
        pdf = tmp_path / "report" / "report.pdf"
        if not html.is_file() or html.stat().st_size == 0:
            return ["report: no HTML"]
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            return ["report: no PDF"]
    return []
