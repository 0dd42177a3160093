"""Unprintable characters in the data (control characters, U+FFFE/U+FFFF, bidi overrides,
TeX-like dollars) against every writer: the process map (SVG, via Graphviz's XML parser), the
report (HTML with embedded SVG charts and Excel downloads, PDF), the difference map, the
terminal and ``--json``. Exports are made by hand: a UTF-8 CSV can carry all of them, an XES
file (XML 1.0) only those XML allows."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from ist_analyse.printable import UNPRINTABLE, terminal, visible

#: the steps of the test log; each name carries one kind of trouble
CSV_STEPS = ["Antrag\x07 eingegangen", "Prüfung\x1b[31m", "Nach\x85forderung", "Gebühr $\\alpha$",
             "Bescheid\ufffe", "Versand\uffff", "A\u202eB", "Ende\u2066\x7f"]
#: what an XML 1.0 file (XES) can carry: no C0 controls, no U+FFFE/U+FFFF
XES_STEPS = ["Antrag\x7f eingegangen", "Prü\x85fung", "Gebühr $\\alpha$", "A\u202eB",
             "Ende\u2066"]


def events(steps: list[str]) -> list[tuple[str, str, str]]:
    """60 cases from January to April 2024, each through all steps, with waits that differ
    by case (so that the maps and the comparison have something to show)."""
    rows = []
    for c in range(60):
        day, hour = 1 + c % 28, 8 + c % 9
        month = 1 + c // 20
        for i, step in enumerate(steps):
            d = day + i * (1 + c % 3)
            m, d = month + (d - 1) // 28, (d - 1) % 28 + 1
            rows.append((f"V-{c:03d}", step, f"2024-{m:02d}-{d:02d}T{hour:02d}:{i:02d}:00"))
    return rows


def write_csv(path: Path, steps: list[str]) -> Path:
    lines = ["Vorgang;Tätigkeit;Zeitpunkt"]
    lines += [f"{c};{a};{t}" for c, a, t in events(steps)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xes(path: Path, steps: list[str]) -> Path:
    log = etree.Element("log", {"xes.version": "1.0"})
    traces: dict[str, etree._Element] = {}
    for case, act, stamp in events(steps):
        if case not in traces:
            traces[case] = etree.SubElement(log, "trace")
            etree.SubElement(traces[case], "string", key="concept:name", value=case)
        ev = etree.SubElement(traces[case], "event")
        etree.SubElement(ev, "string", key="concept:name", value=act)
        etree.SubElement(ev, "date", key="time:timestamp", value=stamp + "+01:00")
    path.write_bytes(etree.tostring(log, xml_declaration=True, encoding="UTF-8"))
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ist_analyse", *args], capture_output=True,
                          text=True, timeout=600)


def test_visible_escapes_exactly_the_unprintable():
    assert visible("Antrag\x07 eingegangen") == "Antrag\\x07 eingegangen"
    assert visible("\x1b[31m\x85\x7f\x00") == "\\x1b[31m\\x85\\x7f\\x00"
    assert visible("\ufffe\uffff\u202e\u2066\ud800") == "\\ufffe\\uffff\\u202e\\u2066\\ud800"
    # ordinary text, white space, umlauts, right-to-left scripts and emoji stay as they are
    plain = "Prüfung\tÄnderung\r\nطلب إقامة 👍🏽 1.234,5 €"
    assert visible(plain) == plain
    assert visible(42) == "42"
    assert terminal("[bold]A\x1b") == "\\[bold]A\\x1b"
    # everything XML 1.0 forbids is escaped (§2.2 Char), so every writer can take the text
    forbidden = [chr(c) for c in [*range(0x20), 0xFFFE, 0xFFFF, *range(0xD800, 0xE000)]
                 if chr(c) not in "\t\n\r"]
    assert all(UNPRINTABLE.fullmatch(ch) for ch in forbidden)


def svg_pictures(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in
            re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]


@pytest.mark.parametrize("fmt", ["csv", "xes"])
def test_every_writer_shows_unprintable_characters_as_escapes(tmp_path, fmt):
    steps = CSV_STEPS if fmt == "csv" else XES_STEPS
    log = (write_csv if fmt == "csv" else write_xes)(tmp_path / f"log.{fmt}", steps)
    shown = [visible(s) for s in steps]

    # bottlenecks --json keeps the data exactly (JSON escapes what it must)
    res = run("bottlenecks", str(log), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {r["activity"] for r in doc["activities"]} == set(steps)

    # the terminal gets the escapes, never an escape sequence
    res = run("bottlenecks", str(log))
    assert res.returncode == 0, res.stderr
    assert not UNPRINTABLE.search(res.stdout)
    assert all(s in res.stdout for s in ("Antrag\\x", "A\\u202eB"))

    # the process map: a well-formed SVG that shows each name with its escapes
    res = run("discover", str(log), "-o", str(tmp_path / "map.svg"), "--title", "Titel\x07")
    assert res.returncode == 0, res.stderr
    texts = "".join(etree.parse(str(tmp_path / "map.svg")).getroot().itertext())
    assert all(s.replace(" ", "") in texts.replace(" ", "") for s in shown)

    # the comparison's difference map
    res = run("compare", str(log), "--change", "2024-02-15", "--map", str(tmp_path / "d.svg"),
              "--json")
    assert res.returncode == 0, res.stderr
    json.loads(res.stdout)
    etree.parse(str(tmp_path / "d.svg"))

    # the report: HTML without unprintable characters, every chart a well-formed SVG, and
    # for the CSV also the PDF, whose text shows the escapes
    pdf = ["--pdf"] if fmt == "csv" else []
    res = run("report", str(log), "-o", str(tmp_path / "r.html"), "--change", "2024-02-15",
              *pdf)
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert not UNPRINTABLE.search(html)
    assert "A\\u202eB" in html
    pictures = svg_pictures(html)
    assert len(pictures) >= 3
    for svg in pictures:
        etree.fromstring(svg)
    if pdf:
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Antrag\\x07 eingegangen" in text and "A\\u202eB" in text


def test_cli_messages_show_escapes(tmp_path):
    """The command line's own lines (here: a dropped person column) print data with escapes."""
    log = tmp_path / "log.csv"
    rows = [f"{c};{a};{t};01.01.1990" for c, a, t in events(["A", "B"])]
    log.write_text("Vorgang;Tätigkeit;Zeitpunkt;Geburtsdatum\x1b[2J\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")
    res = run("import", str(log), "-o", str(tmp_path / "log.parquet"))
    assert res.returncode == 0, res.stderr
    assert "column dropped: Geburtsdatum\\x1b[2J" in res.stderr
    assert not UNPRINTABLE.search(res.stderr)
