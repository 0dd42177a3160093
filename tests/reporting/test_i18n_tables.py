"""Formats per language, and the downloads' protection against formula injection."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pandas as pd
import pytest

from ist_analyse.errors import ConfigError
from ist_analyse.reporting.i18n import Texts, check_lang, kpi_label, value_text
from ist_analyse.reporting.tables import download, safe_cell, to_csv, to_xlsx


def test_german_numbers_have_decimal_comma_and_dot_thousands():
    t = Texts("de")
    assert t.num(1234.56, 1) == "1.234,6"
    assert t.int(22826) == "22.826"
    assert t.pct(0.123) == "12,3\u00a0%"
    assert t.signed(-3.25, 1) == "−3,2" or t.signed(-3.25, 1) == "−3,3"
    assert t.p(0.0001) == "< 0,001"


def test_english_numbers():
    t = Texts("en")
    assert t.num(1234.56, 1) == "1,234.6"
    assert t.int(22826) == "22,826"
    assert t.pct(0.123) == "12.3%"


def test_dates_per_language():
    assert Texts("de").date("2025-07-03") == "03.07.2025"
    assert Texts("en").date("2025-07-03") == "2025-07-03"
    assert Texts("de").date("2025-07-03", long=True) == "3. Juli 2025"
    assert Texts("en").date("2025-07-03", long=True) == "3 July 2025"
    # a UTC instant late in the evening is the next day in Berlin
    assert Texts("de").date("2024-06-30T23:30:00+00:00") == "01.07.2024"


def test_suppressed_and_missing_figures():
    t = Texts("de")
    assert t.num(None) == "·"
    assert t.int(float("nan")) == "·"
    assert t.date(None) == "–"


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError):
        check_lang("fr")


def test_kpi_labels_and_units():
    de, en = Texts("de"), Texts("en")
    assert kpi_label(de, "wait:A->B") == "Wartezeit „A“ → „B“"
    assert kpi_label(en, "deadline:BA") == "Deadline “BA”"
    assert value_text(de, -0.15, "share", signed=True) == "−15,0 Pp."
    assert value_text(en, 0.25, "share") == "25.0%"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil.example")'])
def test_formula_cells_get_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_plain_cells_and_numbers_pass():
    assert safe_cell("Antrag") == "Antrag"
    assert safe_cell(-3.5) == -3.5
    assert safe_cell(None) == ""


def test_csv_download_is_protected_and_german():
    frame = pd.DataFrame({"Wert": ['=HYPERLINK("x")', "ok"], "Anteil": [0.5, 0.25]})
    d = download("t", frame, lang="de")
    text = base64.b64decode(d.csv_uri.split(",", 1)[1]).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Wert;Anteil"
    assert lines[1] == '"\'=HYPERLINK(""x"")";0,5'
    assert not any(cell.startswith("=") for line in lines for cell in line.split(";"))


def test_csv_english_uses_comma_and_point():
    data = to_csv([["a", 0.5]], ["x", "y"], lang="en").decode("utf-8-sig")
    assert data.splitlines()[1] == "a,0.5"


def test_xlsx_stores_formulas_as_text():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(to_xlsx([['=HYPERLINK("x")', 2]], ["a", "b"])))
    cell = wb.active["A2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("x")'
    assert wb.active["B2"].value == 2
def test_short_waits_are_shown_in_hours_or_minutes_not_as_zero_days():
    from ist_analyse.reporting.i18n import readable_unit, scaled

    minutes = {"unit": "days", "before": 3 / 1440, "after": 1 / 1440}
    assert readable_unit(minutes) == ("minutes", 1440.0)
    assert scaled(minutes["before"], 1440.0) == pytest.approx(3.0)
    assert readable_unit({"unit": "days", "before": 0.5, "after": 0.2})[0] == "hours"
    assert readable_unit({"unit": "days", "before": 28.2, "after": 0.5}) == ("days", 1.0)
    assert readable_unit({"unit": "share", "before": 0.4, "after": 0.3}) == ("share", 1.0)
    assert readable_unit({"unit": "days", "before": None, "after": None}) == ("days", 1.0)


def test_pictures_speak_the_reports_language(tmp_path):
    """The process map and the difference map of an English report carry English legends
    and English numbers; the German ones German."""
    import html

    import ist_analyse as ia
    from ist_analyse.comparison.diffmap import dot_source
    from tests.conftest import SAMPLE_LOGS

    res = ia.read_log(SAMPLE_LOGS / "abh_checklist_2024.parquet")
    en = ia.discover_process_map(res, None, lang="en", progress=False).dot
    de = ia.discover_process_map(res, None, progress=False).dot
    assert "Times in calendar days" in html.unescape(en) and "End" in en
    assert "Zeiten in Kalendertagen" in html.unescape(de) and "Ende" in de
    assert " days<BR/>" in en and " Tage<BR/>" in de
    dmap = {"edges": [{"from": "A", "to": "B", "status": "faster", "before_median": 12.5,
                       "after_median": 2.25, "before_cases": 40, "after_cases": 40}]}
    assert "12.5 days → 2.2 days" in html.unescape(dot_source(dmap, "en"))
    assert "12,5 Tage → 2,2 Tage" in html.unescape(dot_source(dmap, "de"))
    with pytest.raises(ia.IstAnalyseError):
        ia.discover_process_map(res, None, lang="fr", progress=False)


def test_findings_in_both_languages_with_formatted_counts():
    from ist_analyse.reporting.i18n import FINDINGS

    assert set(FINDINGS["de"]) == set(FINDINGS["en"])
    assert Texts("en").finding("DATE_ONLY", "raw", 22826).startswith("22,826 timestamps")
    assert Texts("de").finding("DATE_ONLY", "raw", 22826).startswith("22.826 Zeitpunkte")
    # an unknown code keeps the analysis' own message
    assert Texts("en").finding("NEW_CODE", "raw message", 3) == "raw message"
    # every finding inspect can make has its sentence in the report
    import re

    import ist_analyse.inspection as inspection

    codes = set(re.findall(r'add\("([A-Z_]+)"', Path(inspection.__file__).read_text("utf-8")))
    assert "NAIVE_TIMESTAMPS" in codes and codes <= set(FINDINGS["de"])


def _note_calls() -> dict[str, set[str]]:
    """The codes of the ``Note(NoteCode.X, text, **values)`` calls in the sources, with the
    value names each passes (read from the code, so a new note cannot be forgotten)."""
    import ast
    from pathlib import Path

    import ist_analyse

    calls: dict[str, set[str]] = {}
    for path in Path(ist_analyse.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Note"):
                code = node.args[0]
                assert (isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name)
                        and code.value.id == "NoteCode"), f"{path}:{node.lineno}: NoteCode.X"
                calls.setdefault(code.attr, set()).update(k.arg for k in node.keywords
                                                          if k.arg is not None)
    return calls


def test_every_note_of_the_analyses_has_a_german_and_an_english_text():
    import datetime as dt
    import string

    from ist_analyse.notes import Note, NoteCode
    from ist_analyse.reporting.i18n import NOTES

    calls = _note_calls()
    assert len(calls) >= 15
    assert set(calls) == set(NoteCode)  # every code is used, and only codes of the registry
    samples = {"int": 1234, "num": 2.5, "pct": 0.5, "pct0": 0.41, "signed_pct0": -0.39,
               "p": 0.0123, "date": dt.date(2024, 7, 1), "names": ["Vorgang abgeschlossen"],
               "counts": {"start": 1234}, "group": "after", "kpis": ["case_duration"],
               "note": Note(NoteCode.NO_START_TIMES, "the log has no start times"), "": "x.csv"}
    for lang in ("de", "en"):
        assert set(NOTES[lang]) == set(NoteCode), lang
        for code, text in NOTES[lang].items():
            fields = {name: spec for _, name, spec, _ in string.Formatter().parse(text) if name}
            assert set(fields) <= calls[code], (lang, code)  # only values the note carries
            out = Texts(lang).note(Note(code, "english", **{n: samples[s]
                                                            for n, s in fields.items()}))
            assert "{" not in out and out != "english"
    assert "1.234" in Texts("de").note(Note(NoteCode.START_AFTER_END, "x", count=1234))
    assert "1,234" in Texts("en").note(Note(NoteCode.START_AFTER_END, "x", count=1234))


def test_a_plain_note_is_marked_as_english_in_the_german_report():
    assert Texts("de").note("some note") == "some note (englisch)"
    assert Texts("en").note("some note") == "some note"
    assert Texts("de")("meth.notes") == "Hinweise der Analyseschritte"


def test_the_comparisons_warnings_in_both_languages():
    """The warnings of ``compare`` are notes: the report fills its own sentence with the raw
    values in its number format (German report: German sentence, 41 %, −39 %)."""
    from ist_analyse.notes import Note, NoteCode

    de, en = Texts("de"), Texts("en")
    open_ = Note(NoteCode.OPEN_SHARE_HIGH, "41% of the after cases are still open ...",
                 share=0.412, group="after")
    assert de.note(open_).startswith("41\u00a0% der Vorgänge der Gruppe „nachher“ sind zum "
                                     "Exportzeitpunkt noch offen")
    assert en.note(open_).startswith("41% of the after cases are still open at the export "
                                     "date")
    arrivals = Note(NoteCode.ARRIVALS_CHANGED, "... changed by -39% ...", change=-0.39)
    assert "um −39\u00a0% verändert" in de.note(arrivals)
    names = ["case_duration", "rework_rate", "wait:A->B", "proc:A", "rework:A", "rework:B"]
    load = Note(NoteCode.WORKLOAD_CONFOUNDED, "the workload ...", weeks=13, change=0.27,
                count=6, kpis=names)
    assert "in den 13 Wochen" in de.note(load) and "um +27\u00a0% verändert" in de.note(load)
    assert de.note(load).endswith("(6 Kennzahlen als „nicht zuzuordnen“ markiert: "
                                  "Verfahrensdauer (Median), Nacharbeitsquote, Wartezeit „A“ → "
                                  "„B“, Bearbeitungszeit „A“, Wiederholung „A“, …).")
    mix = Note(NoteCode.CASE_MIX_SHIFTED, "...", attribute="verfahren", p=3.31e-13)
    assert "(Chi-Quadrat-Test, p < 0,001)" in de.note(mix)
    assert "(chi-square test, p = 0.012)" in en.note(Note(NoteCode.CASE_MIX_SHIFTED, "...",
                                                          attribute="x", p=0.0123))
    title = Note(NoteCode.GROUPS_COMPARED, "before → after", before="before", after="after")
    assert de.note(title) == "vorher → nachher" and en.note(title) == "before → after"
    by = Note(NoteCode.GROUPS_COMPARED, "kanal ≠ online → kanal = online",
              before="kanal ≠ online", after="kanal = online")
    assert de.note(by) == "kanal ≠ online → kanal = online"


@pytest.mark.parametrize(("days", "unit"), [
    ([0.0, 10 / 1440, 40 / 1440, 0.0], "minutes"),   # zeros do not pull the unit down
    ([3 / 24, 20 / 24, 1.5], "hours"),
    ([2.0, 14.0, 0.5], "days"),
    ([], "days"), ([None, float("nan")], "days"),
])
def test_duration_unit_follows_the_typical_value(days, unit):
    from ist_analyse.reporting.i18n import duration_unit

    assert duration_unit(days)[0] == unit


def test_duration_text_in_both_languages():
    de, en = Texts("de"), Texts("en")
    assert de.duration(45 / 1440) == "45 Minuten"
    assert en.duration(5.5 / 24) == "5.5 hours"
    assert de.duration(12.0) == "12 Tage"
    assert de.duration(3.0, "hours") == "72 Stunden"
