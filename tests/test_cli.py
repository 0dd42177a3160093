"""The installed command line: exit codes, clean --json, messages, start-up cost."""

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SAMPLE_LOGS


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ist_analyse", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_is_fast_and_does_not_load_pandas_or_pm4py():
    code = ("import sys, ist_analyse.cli; "
            "print(sorted(m for m in ('pandas', 'pm4py', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
    res = run("--help")
    assert res.returncode == 0
    assert "inspect" in res.stdout and "import" in res.stdout


def test_every_command_has_help_and_the_shared_import_options():
    for cmd in ("inspect", "import", "discover", "bottlenecks"):
        res = run(cmd, "--help")
        assert res.returncode == 0, res.stderr
        for opt in ("--sep", "--encoding", "--date-format", "--mapping", "--case-col",
                    "--skip-bad-rows", "--no-pseudonymize", "--json", "--table", "--query"):
            assert opt in res.stdout, (cmd, opt)


@pytest.fixture(scope="module")
def pm4py_receipt():
    import pm4py

    df = pm4py.read_xes(str(SAMPLE_LOGS / "receipt.xes.gz"))
    return {"cases": df["case:concept:name"].nunique(), "events": len(df),
            "activities": df["concept:name"].value_counts().to_dict()}


@pytest.mark.parametrize("name", ["receipt.xes.gz", "receipt_export_de.csv"])
def test_inspect_json_is_one_document_and_matches_pm4py(name, pm4py_receipt):
    res = run("inspect", str(SAMPLE_LOGS / name), "--json", "--keep-rare-labels")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # the whole of stdout is one JSON document
    for key in ("cases", "events", "activities", "start", "end", "open_cases", "findings"):
        assert key in doc
    assert doc["cases"] == pm4py_receipt["cases"] == 1434
    assert doc["events"] == pm4py_receipt["events"] == 8577
    assert doc["activities"] == pm4py_receipt["activities"]
    assert doc["open_cases"] is None


def test_inspect_open_cases_with_end_activities():
    res = run("inspect", str(SAMPLE_LOGS / "receipt.xes.gz"), "--json", "--end-activity",
              "T10 Determine necessity to stop indication")
    doc = json.loads(res.stdout)
    import pm4py

    df = pm4py.read_xes(str(SAMPLE_LOGS / "receipt.xes.gz"))
    closed = df.loc[df["concept:name"] == "T10 Determine necessity to stop indication",
                    "case:concept:name"].nunique()
    assert doc["open_cases"] == 1434 - closed


def test_inspect_human_output(tmp_path):
    res = run("inspect", str(SAMPLE_LOGS / "receipt_export_de.csv"))
    assert res.returncode == 0, res.stderr
    assert "1.434" in res.stdout and "Vorgangsnummer" in res.stdout
    assert "WABO-" not in res.stdout  # pseudonymised


def write_csv(path: Path, text: str, encoding: str = "cp1252") -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def test_bad_date_exit_2_with_line_and_column(tmp_path):
    f = write_csv(tmp_path / "export.csv", "Vorgangsnummer;Tätigkeit;Zeitpunkt\n"
                  "A-1;Antrag eingegangen;03.07.2025 14:05\n"
                  "A-1;Entscheidung;31.02.2025 25:61\n")
    res = run("inspect", str(f))
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    assert "export.csv: line 3, column Zeitpunkt: '31.02.2025 25:61' is not a date" in res.stderr
    assert "expected TT.MM.JJJJ HH:MM" in res.stderr
    debug = run("--debug", "inspect", str(f))
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_skip_bad_rows_reports_lines(tmp_path):
    f = write_csv(tmp_path / "export.csv", "Vorgangsnummer;Tätigkeit;Zeitpunkt\n"
                  "A-1;Antrag eingegangen;03.07.2025 14:05\n"
                  "A-1;Entscheidung;31.02.2025 25:61\n"
                  "A-2;Antrag eingegangen;04.07.2025\n")
    res = run("inspect", str(f), "--skip-bad-rows", "--json")
    doc = json.loads(res.stdout)
    assert doc["dropped_rows"] == 1
    assert doc["dropped_row_examples"][0]["line"] == 3
    skipped = next(x for x in doc["findings"] if x["code"] == "ROWS_SKIPPED")
    assert skipped["examples"] == [3]
    assert doc["events"] == 3 and doc["rows"] == 2


@pytest.mark.parametrize("content,needle", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, ""),
    ("Fall;Was;Wann\nA;x;01.01.2025\n".encode("cp1252"), "no column for the required field"),
])
def test_unreadable_inputs_exit_2(tmp_path, content, needle):
    f = tmp_path / "export.csv"
    f.write_bytes(content)
    res = run("inspect", str(f))
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("ist-analyse: ") and str(f) in res.stderr
    assert needle in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_column_lists_found_columns_and_closest_match(tmp_path):
    f = write_csv(tmp_path / "x.csv", "Vorgangsnummer;Taetigkeitt;Zeitpunkt\nA;b;01.01.2025\n")
    res = run("inspect", str(f))
    assert res.returncode == 2
    assert "Vorgangsnummer, Taetigkeitt, Zeitpunkt" in res.stderr
    assert "closest match: 'Taetigkeitt'" in res.stderr
    ok = run("inspect", str(f), "--activity-col", "Taetigkeitt", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["cases"] == 1


def test_missing_file_and_usage_errors():
    res = run("inspect", "/nonexistent/export.csv")
    assert res.returncode == 2 and "/nonexistent/export.csv: file not found" in res.stderr
    assert run("inspect").returncode == 2  # missing argument: click's usage error
    assert run("frobnicate").returncode == 2


def test_mapping_file(tmp_path):
    f = write_csv(tmp_path / "x.csv", "Nr;Schritt;Wann;Wer\n"
                  "1;Antrag;01/02/2025 10:00;SB-07\n1;Bescheid;01/03/2025 10:00;SB-08\n")
    m = tmp_path / "map.toml"
    m.write_text('[columns]\ncase_id = "Nr"\nactivity = "Schritt"\ntimestamp = "Wann"\n'
                 'resource = "Wer"\n[csv]\ndate_format = "MM/TT/JJJJ HH:MM"\n'
                 '[import]\nend_activities = ["Bescheid"]\n', encoding="utf-8")
    res = run("inspect", str(f), "--mapping", str(m), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["open_cases"] == 0
    assert doc["start"] == "2025-01-02T10:00:00+01:00"
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns\n", encoding="utf-8")
    res = run("inspect", str(f), "--mapping", str(bad))
    assert res.returncode == 2 and "bad.toml: line 1" in res.stderr


def test_import_writes_parquet_atomically_and_keeps_pseudonyms(tmp_path):
    src = tmp_path / "receipt.xes.gz"
    src.write_bytes((SAMPLE_LOGS / "receipt.xes.gz").read_bytes())
    before = sha(src)
    out = tmp_path / "out" / "log.parquet"
    res = run("import", str(src), "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == 8577
    assert sha(src) == before
    assert [p.name for p in out.parent.iterdir()] == ["log.parquet"]  # no temp files left
    log = pd.read_parquet(out)
    assert len(log) == 8577 and log["case_id"].str.startswith("V-").all()
    again = json.loads(run("inspect", str(out), "--json").stdout)
    assert again["cases"] == 1434 and again["events"] == 8577
    first = json.loads(run("import", str(out), "-o", str(tmp_path / "b.parquet"),
                           "--json").stdout)
    assert first["rows"] == 8577
    assert set(pd.read_parquet(tmp_path / "b.parquet")["case_id"]) == set(log["case_id"])


def test_import_refuses_to_overwrite_its_input(tmp_path):
    src = tmp_path / "log.parquet"
    assert run("import", str(SAMPLE_LOGS / "receipt.xes.gz"), "-o", str(src)).returncode == 0
    before = sha(src)
    res = run("import", str(src), "-o", str(src))
    assert res.returncode == 2 and "overwrite the input" in res.stderr
    assert sha(src) == before


def test_internal_error_is_exit_1_without_traceback(monkeypatch, capsys):
    from ist_analyse import cli, inspection

    def boom(*a, **k):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(inspection, "inspect_log", boom)
    with pytest.raises(SystemExit) as exc:
        cli.main(["inspect", str(SAMPLE_LOGS / "receipt.xes.gz")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaputt" in err and "Traceback" not in err


def run_without_graphviz(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI on a PATH without Graphviz's 'dot' (a locked-down office PC)."""
    import os

    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "PATH": str(empty)}
    return subprocess.run([sys.executable, "-m", "ist_analyse", *args], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)


def test_without_graphviz_text_commands_work_and_pictures_exit_2_after_the_results(tmp_path):
    log = str(SAMPLE_LOGS / "receipt_export_de.csv")
    res = run_without_graphviz(tmp_path, "bottlenecks", log, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["transitions"]
    res = run_without_graphviz(tmp_path, "discover", log, "-o", "karte.svg", "--json")
    assert res.returncode == 2
    doc = json.loads(res.stdout)  # the results came first, as one JSON document
    assert doc["edges"] and doc["variants"] and doc["output"] is None
    assert "apt install graphviz" in res.stderr and "internal error" not in res.stderr
    assert not (tmp_path / "karte.svg").exists()
    res = run_without_graphviz(tmp_path, "discover", log, "-o", "karte.svg")
    assert res.returncode == 2 and "Variants" in res.stdout


def test_without_graphviz_the_report_shows_tables_and_says_so(tmp_path):
    log = str(SAMPLE_LOGS / "receipt_export_de.csv")
    res = run_without_graphviz(tmp_path, "report", log, "-o", "out/bericht.html",
                               "--change", "2011-06-01")
    assert res.returncode == 0, res.stderr
    assert "Graphviz is not installed" in res.stderr and "tmp" not in res.stderr
    html = (tmp_path / "out" / "bericht.html").read_text("utf-8")
    assert "Graphviz ist auf diesem Rechner nicht installiert" in html
    assert "Graphviz ist nicht installiert: Der Bericht zeigt Tabellen" in html


# ---- privacy against a real export: person data typed where it does not belong ------------

SECRETS = ["Mustermann", "0171 9876543", "12.03.1985", "example.org", "DE89370400440532013000",
           "Sonderfall", "C01X00T47", "0171 234567"]
IBANS = ["DE89370400440532013000", "DE02120300000000202051", "DE02500105170137075030",
         "DE12500105170648489890", "DE02100500000054540402", "DE02300209000106531065",
         "DE02200505501015871393", "DE02700100800030876808", "DE75512108001245126199",
         "DE10500105174381654963"]


def leaky_export(path: Path) -> Path:
    """Ten cases; person data under telling headers, under neutral headers, and typed into
    one case's activity label and one case's purpose."""
    rows = ["Vorgangsnummer;Tätigkeit;Zeitpunkt;Bearbeiter;geb.;Tel.-Nr.;Kontakt;Feld 7;"
            "Info 1;Info 2;Info 3;Bearbeitet von;Aufenthaltszweck"]
    for i in range(10):
        zweck = ("Sonderfall Erika Mustermann" if i == 3
                 else "Studium" if i < 6 else "Erwerbstätigkeit")
        extra = [f"SB-0{i % 3}", f"{i + 1:02d}.0{i % 9 + 1}.19{60 + i}",
                 f"0171 {2345670 + i}", f"person{i}@example.org", IBANS[i],
                 f"0171 {2345670 + i}", f"{i + 1:02d}.0{i % 9 + 1}.19{60 + i}",
                 f"C01X00T4{i}", f"SB-0{i % 3}", zweck]
        acts = ["Antrag eingegangen", "Prüfung", "Bescheid erstellt"]
        if i == 3:
            acts.insert(2, "Rückruf Max Mustermann geb. 12.03.1985 Tel. 0171 9876543")
        rows += [";".join([f"ABH-{i:04d}", a, f"{j + 1:02d}.0{i % 9 + 1}.2025 1{j}:00", *extra])
                 for j, a in enumerate(acts)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _report_texts(html: Path) -> str:
    """The report's HTML plus the decoded content of every download it embeds."""
    import base64
    import io
    import re
    import zipfile

    text = html.read_text(encoding="utf-8")
    parts = [text]
    for kind, data in re.findall(r'href="data:([^;,"]+)[^,"]*;base64,([^"]+)"', text):
        raw = base64.b64decode(data)
        if kind == "text/csv":
            parts.append(raw.decode("utf-8-sig"))
        else:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                parts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    assert len(parts) > 1  # the report has downloads to search
    return "\n".join(parts)


def test_person_data_appears_in_no_output(tmp_path, monkeypatch):
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(tmp_path / "key"))
    src = leaky_export(tmp_path / "export.csv")
    outputs: dict[str, str] = {}
    for cmd, extra in (("inspect", []), ("bottlenecks", []),
                       ("discover", ["-o", str(tmp_path / "map.svg")]),
                       ("import", ["-o", str(tmp_path / "log.parquet")])):
        res = run(cmd, str(src), "--json", *extra)
        assert res.returncode == 0, res.stderr
        outputs[cmd] = res.stdout + res.stderr
    outputs["map"] = (tmp_path / "map.svg").read_text(encoding="utf-8")
    outputs["parquet"] = (tmp_path / "log.parquet").read_bytes().decode("latin-1")
    res = run("report", str(src), "-o", str(tmp_path / "r" / "bericht.html"), "--pdf")
    assert res.returncode == 0, res.stderr
    outputs["report"] = _report_texts(tmp_path / "r" / "bericht.html")
    pdf = subprocess.run(["pdftotext", str(tmp_path / "r" / "bericht.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert "Prüfung" in pdf  # the text layer is readable
    outputs["pdf"] = pdf
    for name, text in outputs.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    doc = json.loads(outputs["inspect"])
    assert doc["activities"] == {"Antrag eingegangen": 10, "Prüfung": 10,
                                 "Bescheid erstellt": 10, "(seltene Bezeichnungen: 1)": 1}
    # the purpose of case 3 and one used by four cases are pooled; five cases are "Studium"
    assert doc["privacy"]["rare_labels"] == {"activity": 1, "case_aufenthaltszweck": 2}
    reasons = doc["privacy"]["dropped_reasons"]
    assert set(reasons) == {"geb.", "Tel.-Nr.", "Kontakt", "Feld 7", "Info 1", "Info 2",
                            "Info 3"}
    assert "e-mail" in reasons["Kontakt"] and "IBAN" in reasons["Feld 7"]
    assert "phone" in reasons["Info 1"] and "birth" in reasons["Info 2"]
    assert "passport" in reasons["Info 3"]
    assert "case_bearbeitet_von" in doc["privacy"]["pseudonymized"]
    # explicitly kept, everything is there again
    res = run("inspect", str(src), "--json", "--keep-person-columns", "--keep-rare-labels")
    kept = json.loads(res.stdout)
    assert kept["privacy"]["dropped_columns"] == [] and kept["privacy"]["rare_labels"] == {}
    assert any("Mustermann" in a for a in kept["activities"])


def test_no_output_replaces_any_input(tmp_path, monkeypatch):
    """Log, other log, mapping, model, rules and the pseudonym key (named or default) are all
    protected from every output option, also through symlinks and hard links."""
    repo = SAMPLE_LOGS.parent
    log = tmp_path / "log.csv"
    log.write_bytes((SAMPLE_LOGS / "receipt_export_de.csv").read_bytes())
    mapping = tmp_path / "m.svg"  # a TOML file may have any name
    mapping.write_text('[import]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_bytes((repo / "models" / "abh_rules.toml").read_bytes())
    os.link(rules, tmp_path / "rules.svg")
    (tmp_path / "other.svg").symlink_to(log)
    (tmp_path / "map.pdf").symlink_to(mapping)
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(tmp_path / "default.svg"))
    named_key = tmp_path / "k.parquet"
    assert run("inspect", str(log), "--key-file", str(named_key)).returncode == 0
    assert run("inspect", str(log)).returncode == 0  # creates the default key
    files = [log, mapping, rules, named_key, tmp_path / "default.svg"]
    before = [sha(f) for f in files]
    attempts = [
        ("import", str(log), "--key-file", str(named_key), "-o", str(named_key)),
        ("discover", str(log), "--mapping", str(mapping), "-o", str(mapping)),
        ("discover", str(log), "-o", str(tmp_path / "default.svg")),
        ("conformance", str(log), "--rules", str(rules), "--model",
         str(repo / "models" / "soll_aufenthaltstitel.bpmn"), "-o", str(tmp_path / "rules.svg")),
        ("compare", str(log), str(log), "--map", str(tmp_path / "other.svg")),
        ("report", str(log), "--mapping", str(mapping), "-o", str(tmp_path / "map.html"),
         "--pdf"),
    ]
    for args in attempts:
        res = run(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert "overwrite the input" in res.stderr, (args, res.stderr)
    assert [sha(f) for f in files] == before
    assert not (tmp_path / "map.html").exists()


def test_simulate_checks_the_truth_file_before_simulating(tmp_path):
    (tmp_path / "x.truth.json").mkdir()
    res = run("simulate", "--months", "1", "--scale", "0.05", "-o", str(tmp_path / "x.csv"))
    assert res.returncode == 2 and "x.truth.json" in res.stderr
    assert not (tmp_path / "x.csv").exists()


#: a child process that stops in the middle of writing (the temporary file is there, the
#: target is not), says so on stdout and waits for the test's signal
STALL = """
import functools, importlib, sys
target = functools.reduce(getattr, {owner!r}, importlib.import_module({module!r}))
real = getattr(target, {name!r})

def stalled(*args, **kwargs):
    result = real(*args, **kwargs)
    print("writing", flush=True)
    sys.stdin.readline()
    return result

setattr(target, {name!r}, stalled)
from ist_analyse.cli import main
main(sys.argv[1:])
"""


def interrupted(tmp_path: Path, where: str, sig: int, *args: str
                ) -> tuple[subprocess.CompletedProcess, list[str], list[str]]:
    """Run the command in a child that stalls inside ``where`` (``module:Class.function``),
    send ``sig`` once it does; return the result and the files under ``tmp_path`` while it
    stalled and after it ended."""
    module, _, path = where.partition(":")
    *owner, name = path.split(".")
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    code = STALL.format(module=module, owner=owner, name=name)
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline() == "writing\n"
    during = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    child.send_signal(sig)
    out, err = child.communicate(timeout=300)
    after = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    return subprocess.CompletedProcess(child.args, child.returncode, out, err), during, after


@pytest.mark.parametrize(("sig", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_interrupted_import_leaves_no_temporary_file(tmp_path, sig, code):
    out = tmp_path / "out" / "log.parquet"
    res, during, after = interrupted(tmp_path, "pyarrow.parquet:write_table",
                                     getattr(signal, sig), "import",
                                     str(SAMPLE_LOGS / "receipt.xes.gz"), "-o", str(out))
    assert any(p.startswith("out/.log.parquet.") and p.endswith(".tmp") for p in during)
    assert res.returncode == code, res.stderr
    assert f"interrupted ({sig})" in res.stderr and "Traceback" not in res.stderr
    assert after == ["out", "tmpdir"]  # no target, no temporary file


def test_interrupted_pdf_keeps_the_finished_html_and_no_partial_pdf(tmp_path):
    out = tmp_path / "out" / "r.html"
    res, during, after = interrupted(
        tmp_path, "weasyprint.document:Document.write_pdf", signal.SIGTERM,
        "report", str(SAMPLE_LOGS / "receipt.xes.gz"), "-o", str(out), "--pdf")
    assert any(p.startswith("out/.r.pdf.") for p in during)
    assert res.returncode == 143, res.stderr
    assert "out/r.html" in after and not any(p.endswith((".pdf", ".tmp")) for p in after)
    assert (tmp_path / "out" / "r.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_role_col_with_staff_ids_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("IST_ANALYSE_KEY_FILE", str(tmp_path / "key"))
    src = leaky_export(tmp_path / "export.csv")
    res = run("bottlenecks", str(src), "--role-col", "Bearbeiter", "--json")
    assert res.returncode == 2 and res.stdout == ""
    assert "Bearbeiter" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("suffix", ["csv", "xes"])
def test_implausible_dates_never_crash_a_command(tmp_path, suffix):
    """One event each in 1948, 0001-01-01+14:00, 9999-12-31-12:00 and a naive 9999-12-31:
    every command exits 0, says how many events were left out, and no period reaches them."""
    odd = ["1948-05-01T10:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
           "9999-12-31T00:00:00"]
    rows = []
    for c in range(12):
        day = 4 + c
        rows += [(f"C{c}", "Antrag", f"2024-03-{day:02d}T09:00:00"),
                 (f"C{c}", "Prüfung", f"2024-03-{day + 1:02d}T11:00:00"),
                 (f"C{c}", "Bescheid", f"2024-03-{day + 3:02d}T09:00:00")]
    rows += [(f"C{i}", "Nachtrag", v) for i, v in enumerate(odd)]
    if suffix == "csv":
        text = "case;activity;timestamp\n" + "".join(";".join(r) + "\n" for r in rows)
    else:
        traces = {}
        for case, act, ts in rows:
            traces.setdefault(case, []).append(
                f'<event><string key="concept:name" value="{act}"/>'
                f'<date key="time:timestamp" value="{ts}"/></event>')
        text = ('<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0">' + "".join(
            f'<trace><string key="concept:name" value="{c}"/>{"".join(e)}</trace>'
            for c, e in traces.items()) + "</log>")
    log = tmp_path / f"odd.{suffix}"
    log.write_text(text, encoding="utf-8")
    res = run("inspect", str(log), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["implausible_dates"] == 4
    assert (doc["start"][:10], doc["end"][:10]) == ("2024-03-04", "2024-03-18")
    for args in (["bottlenecks"], ["discover", "-o", str(tmp_path / "m.svg")],
                 ["compare", "--change", "2024-03-10"],
                 ["report", "-o", str(tmp_path / "r" / "r.html"), "--pdf"]):
        res = run(*args, str(log))
        assert res.returncode == 0, (args, res.stderr)
        if args[0] != "report":
            assert "4 events with implausible dates" in res.stdout, args
