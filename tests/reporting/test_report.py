"""The report as a whole: sections in order, both languages, escaping, PDF, a real browser."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, OutputError
from ist_analyse.reporting import report
from ist_analyse.reporting.build import _comparison_section, _kpi_sentences, headline_kpis
from ist_analyse.reporting.i18n import Texts
from tests.reporting.conftest import (
    EVIL_ACTIVITY,
    EVIL_ATTRIBUTE,
    MODEL,
    ORDER,
    RULES,
    comparison_doc,
    evil_log,
)

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
ENDS = ImportOptions(end_activities=("Vorgang abgeschlossen",))


def sections_in(html: str) -> list[str]:
    return re.findall(r'data-section="([a-z]+)"', html)


def downloads_in(html: str) -> list[str]:
    """The decoded CSV downloads of a report."""
    return [base64.b64decode(m).decode("utf-8-sig")
            for m in re.findall(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)]


@pytest.fixture(scope="module")
def full_de(sample, tmp_path_factory):
    """The German report of the sample with model, rules, comparison document and PDF."""
    res, opts = sample
    out = tmp_path_factory.mktemp("full") / "bericht.html"
    result = report(res, out, opts, model=MODEL, rules=RULES, comparison=comparison_doc(),
                    pdf=True)
    return result, out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_full_report_has_all_sections_in_order(full_de):
    result, html = full_de
    assert result.sections == ORDER
    assert sections_in(html) == ORDER
    assert result.html.suffix == ".html" and result.pdf == result.html.with_suffix(".pdf")
    d = result.to_dict()
    assert set(d) >= {"html", "pdf", "sections", "seconds", "notes"}
    json.dumps(d)
    # German numbers and dates, the summary's plain sentence with the CI
    assert "01.01.2024" in html
    assert "1.804" in html
    assert "von 74,0 auf 51,0 Tage" in html and "95 %-KI −29,0 bis −16,0" in html
    assert "Was diese Zahlen nicht beweisen" in html


@pytest.mark.slow
def test_report_is_self_contained(full_de):
    _, html = full_de
    assert "<script" not in html.lower()
    assert "Content-Security-Policy" in html
    for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attr.startswith(("data:", "#")), attr
    assert "@import" not in html and "url(http" not in html
    # every picture has an alt text
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) >= 4
    assert all(re.search(r'alt="[^"]{20,}"', i) for i in imgs)


def test_english_report(sample, tmp_path, comparison):
    res, opts = sample
    result = report(res, tmp_path / "report.html", opts, lang="en", comparison=comparison)
    html = result.html.read_text(encoding="utf-8")
    assert result.sections == ["summary", "data", "map", "bottlenecks", "comparison",
                               "methods"]
    assert sections_in(html) == result.sections
    assert '<html lang="en">' in html
    assert "2024-01-01" in html and "1,804" in html
    assert "What these figures do not prove" in html
    assert "from 74.0 to 51.0 days" in html


def test_data_values_are_escaped(tmp_path, comparison):
    result = report(evil_log(), tmp_path / "evil.html", ENDS, comparison=comparison)
    html = result.html.read_text(encoding="utf-8")
    assert EVIL_ACTIVITY not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "Prüfung &amp; Bescheid" in html
    # the process map escapes too (it is embedded as an SVG picture)
    svgs = [base64.b64decode(m).decode("utf-8") for m in
            re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert svgs and all("<script" not in s for s in svgs)


def test_german_report_writes_the_analyses_notes_in_german(tmp_path, comparison):
    no_start = ("the log has no start times: waiting is measured from one completion to the "
                "next and includes the processing of the later step")
    # a comparison read back from JSON has plain strings: one the report's own analyses also
    # make (said once, in German), one it cannot translate (said, and marked as English)
    comparison["notes"] = [no_start, "a note of a newer ist-analyse"]
    result = report(evil_log(), tmp_path / "bericht.html", ENDS, comparison=comparison)
    html = result.html.read_text(encoding="utf-8")
    methods = html[html.index('data-section="methods"'):]
    assert "Hinweise der Analyseschritte</h3>" in methods
    assert ("Die Daten enthalten keine Startzeiten: Die Wartezeit wird vom Abschluss eines "
            "Schritts bis zum Abschluss des nächsten gemessen") in methods
    assert no_start not in html and "the log has no start times" not in html
    assert "a note of a newer ist-analyse (englisch)" in methods


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a log-rank test of 6 vs 6 cases
def test_the_comparisons_warnings_are_written_in_the_reports_language(tmp_path):
    """A report with a change date runs ``compare``: its warnings (English in the JSON) are
    German sentences in the German report and English ones in the English report, and the
    difference map is titled in the report's language."""
    from ist_analyse.reporting.build import build_reports

    de, en = build_reports(evil_log(), {"de": (tmp_path / "bericht.html", False),
                                        "en": (tmp_path / "report.html", False)},
                           ENDS, change="2024-03-10")
    german = de.html.read_text(encoding="utf-8")
    english = en.html.read_text(encoding="utf-8")
    warnings = german[german.index('data-section="comparison"'):
                      german.index('data-section="methods"')]
    assert ('<li class="note">Erst 2 Wochen nach der Änderung: Auswirkungen auf lange '
            'Verfahren sind noch nicht zu sehen.</li>') in warnings
    assert "Placebo-Prüfungen zu kurz (nötig sind 16 Wochen)" in warnings
    assert "weeks after the change" not in german and "placebo checks" not in german
    assert "(englisch)" not in german
    assert ("only 2 weeks after the change: effects on long procedures cannot be seen "
            "yet") in english
    pictures = [base64.b64decode(m).decode("utf-8") for m in
                re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', german)]
    diffmap = [svg for svg in pictures if "Benjamini" in svg]  # its legend
    assert len(diffmap) == 1 and "vorher → nachher" in diffmap[0]
    assert not any("before → after" in svg for svg in pictures)


def test_a_warning_read_back_from_json_is_marked_as_english(comparison):
    sec = _comparison_section(Texts("de"), comparison, None)
    assert sec["warnings"] == ["41 % of the after cases are still open (englisch)"]


def test_downloads_are_protected_against_formulas(tmp_path, comparison):
    result = report(evil_log(), tmp_path / "evil.html", ENDS, comparison=comparison)
    csvs = downloads_in(result.html.read_text(encoding="utf-8"))
    joined = "\n".join(csvs)
    assert "'=HYPERLINK(" in joined
    for text in csvs:
        for line in text.splitlines():
            for cell in line.split(";"):
                assert not cell.lstrip('"').startswith(("=", "+", "@")), cell
    assert EVIL_ATTRIBUTE.replace('"', '""') in joined  # the value is kept, only defused


def test_comparison_section_from_the_contract(comparison):
    t = Texts("de")
    sec = _comparison_section(t, comparison, None)
    labels = [k["label"] for k in sec["kpis"]]
    assert labels[0] == "Verfahrensdauer (Median) (Tage)"
    assert any("RMST" in x for x in labels)
    # a non-significant single transition goes to the download only
    assert not any("Vollständigkeitsprüfung" in x for x in labels)
    assert sec["more_kpis"]
    assert sec["km"] is not None and sec["weekly"] is not None
    assert "14 Tagen" in sec["intro"]
    assert sec["case_mix"]["rows"][1]["value"] == EVIL_ATTRIBUTE
    sentences = _kpi_sentences(t, comparison)
    assert sentences[0].startswith("Verfahrensdauer (Median): von 74,0 auf 51,0 Tage")
    assert len(headline_kpis(comparison["kpis"])) == 5


DIFF_EDGES = [
    {"from": "Antrag", "to": "Prüfung", "status": "faster", "before_median": 12.0,
     "after_median": 5.0, "p_adjusted": 0.001, "before_cases": 80, "after_cases": 90},
    {"from": "Prüfung", "to": "Bescheid", "status": "new", "before_median": None,
     "after_median": 3.0, "p_adjusted": None, "before_cases": 0, "after_cases": 40},
    {"from": "Prüfung", "to": "Ablage", "status": "unchanged", "before_median": 1.0,
     "after_median": 1.0, "p_adjusted": 0.8, "before_cases": 50, "after_cases": 55}]


def test_difference_map_gets_a_page_of_its_own_like_the_process_map(comparison,
                                                                     monkeypatch):
    from ist_analyse.reporting import build

    t = Texts("de")
    assert _comparison_section(t, comparison, None)["diffmap"] is None  # no edges
    comparison["difference_map"]["edges"] = DIFF_EDGES
    for (w, h), wide in (((1375, 1075), True), ((600, 900), False)):
        svg = (f'<svg width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" '
               'xmlns="http://www.w3.org/2000/svg"></svg>').encode()
        monkeypatch.setattr(build, "_svg", lambda source, svg=svg: svg)
        sec = _comparison_section(t, comparison, None)
        assert sec["diffmap"] is not None and sec["diffmap_wide"] is wide


def test_without_graphviz_the_difference_map_is_a_table(comparison, monkeypatch):
    from ist_analyse.analysis import dot

    def missing(*args, **kwargs):
        raise dot.GraphvizMissing("Graphviz is not installed")

    monkeypatch.setattr(dot, "draw", missing)
    comparison["difference_map"]["edges"] = DIFF_EDGES
    sec = _comparison_section(Texts("de"), comparison, None)
    assert sec["diffmap"] is None
    assert sec["diff_table"]["rows"] == [
        {"from": "Antrag", "to": "Prüfung", "status": "schneller", "before": "12,0",
         "after": "5,0"},
        {"from": "Prüfung", "to": "Bescheid", "status": "neu", "before": "·", "after": "3,0"}]


def test_output_must_be_html(tmp_path):
    with pytest.raises(OutputError):
        report(evil_log(), tmp_path / "x.txt", ENDS)


def test_bad_change_date(tmp_path):
    with pytest.raises(ConfigError):
        report(evil_log(), tmp_path / "x.html", ENDS, change="31.02.2024")


def test_pdf_fetcher_refuses_network_and_files():
    from ist_analyse.reporting.pdf import FetchRefused, data_only_fetcher

    fetcher = data_only_fetcher()
    for url in ("http://example.org/x.png", "https://example.org/", "file:///etc/passwd"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


# ---- as a reader sees it --------------------------------------------------------------------

def page_variances(pdf: Path, folder: Path) -> list[float]:
    import matplotlib.image as mpimg

    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(folder / "page")],
                   check=True, timeout=120)
    pages = sorted(folder.glob("page-*.png"))
    return [float(np.var(mpimg.imread(p)[..., :3])) for p in pages]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_pages_are_not_blank(full_de, tmp_path):
    result, _ = full_de
    data = result.pdf.read_bytes()
    assert data.startswith(b"%PDF")
    variances = page_variances(result.pdf, tmp_path)
    assert len(variances) >= 5
    assert all(v > 1e-4 for v in variances), variances


def chromium(url: str, workdir: Path, *extra: str) -> tuple[str, str, list[str]]:
    """Load ``url`` in headless Chromium: the DOM, the console log, and the URLs the page
    itself requested (from Chromium's net log; the browser's own background requests are
    not the page's and are left out). Names resolve nowhere, so nothing can leave."""
    netlog = workdir / "net.json"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={workdir / 'profile'}", "--enable-logging=stderr",
           "--v=0", f"--log-net-log={netlog}", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--hide-scrollbars", *extra, url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    requested = []
    if netlog.exists():
        log = json.loads(netlog.read_text(encoding="utf-8", errors="replace").rstrip()
                         .rstrip(",") + ("" if netlog.read_text().rstrip().endswith("}")
                                         else "]}"))
        start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        for e in log["events"]:
            p = e.get("params") or {}
            if e["type"] == start and "file://" in str(p.get("network_isolation_key", "")):
                requested.append(p.get("url", ""))
    return proc.stdout, "\n".join(console), [u for u in requested if u != url]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_browser_renders_without_console_errors_or_requests(full_de, tmp_path):
    result, _ = full_de
    url = result.html.resolve().as_uri()
    dom, console, requested = chromium(url, tmp_path, "--dump-dom")
    assert console == ""
    assert requested == []
    for s in ORDER:
        assert f'id="{s}"' in dom
    shot = tmp_path / "shot.png"
    chromium(url, tmp_path / "s", f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.exists()
    import matplotlib.image as mpimg

    assert float(np.var(mpimg.imread(shot)[..., :3])) > 1e-3
    keep = Path(__file__).resolve().parents[2] / "reports" / "test-artifacts"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "report_screenshot.png")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_browser_check_would_catch_a_request(full_de, tmp_path):
    """The detector itself: a planted picture from the network is blocked by the CSP (a
    console message) and, without the CSP, shows up as a request of the page."""
    _, html = full_de
    bad = html.replace("<main>", '<main><img src="http://192.0.2.1/x.png" alt="x">', 1)
    with_csp = tmp_path / "with_csp.html"
    with_csp.write_text(bad, encoding="utf-8")
    _, console, _ = chromium(with_csp.as_uri(), tmp_path / "a", "--dump-dom")
    assert "Content Security Policy" in console
    without = tmp_path / "without_csp.html"
    without.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", bad),
                       encoding="utf-8")
    _, _, requested = chromium(without.as_uri(), tmp_path / "b", "--dump-dom")
    assert "http://192.0.2.1/x.png" in requested
