"""Mutation fuzzing of every file importer: exit 0 or 2, never 1, never a traceback.

Each test starts from a small valid file of its format, mutates it (bytes flipped, spans cut,
duplicated or truncated, tokens inserted that parsers trip over: separators, quotes, line
breaks, byte order marks, NUL, undecodable bytes, XML tags, entities, comments) and runs
``ist-analyse inspect --json`` in-process on the result. The promise (README, errors): a bad
input gives one message and exit code 2; exit code 1 is a bug.

Bounded for CI (a fixed, derandomized sequence, about a minute in all). For a longer hunt:
``IST_ANALYSE_FUZZ_EXAMPLES=5000 pytest tests/io/test_fuzz.py`` (random sequences, each
failure printed with the input that caused it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ist_analyse.cli import main
from ist_analyse.io.formats import REPORT_KEY

_LONG = int(os.environ.get("IST_ANALYSE_FUZZ_EXAMPLES", "0"))


def _settings(examples: int):  # type: ignore[no-untyped-def]
    return settings(max_examples=_LONG or examples, deadline=None, derandomize=not _LONG,
                    database=None, suppress_health_check=list(HealthCheck), print_blob=True)


#: ``SKIP[:flag]``: the option that leaves bad rows out, or nothing
SKIP = ("--skip-bad-rows",)


def run_cli(path: Path, *extra: str) -> tuple[int, str, str]:
    """``ist-analyse inspect PATH --json`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["inspect", str(path), "--json", *extra])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_clean(path: Path, *extra: str) -> None:
    code, out, err = run_cli(path, *extra)
    assert code in (0, 2), f"exit {code}: {err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    if code == 0:
        json.loads(out)  # one JSON document
    else:
        assert err.startswith("ist-analyse: ") and not out.strip(), (out[:500], err[:500])


# --------------------------------------------------------------------------------------------
# mutations

_COMMON = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xff", b"\x81", b"\xc3", b"\r", b"\n",
           b"\r\n", b" ", b"\t", b"\x1a", b"\xe2\x80\xa8"]
CSV_TOKENS = [*_COMMON, b";", b",", b'"', b'""', b"sep=;\n", b"01.02.2025", b"31.02.2025 25:61",
              b"Aktenzeichen", b"source_row", b"=1+1", b"\\", b"'", b"#NV"]
XML_TOKENS = [*_COMMON, b"<", b">", b"/>", b"<event>", b"</event>", b"<trace>", b"</trace>",
              b"<log>", b"</log>", b'<string key="concept:name" value="x"/>',
              b'<date key="time:timestamp" value="2025-13-01"/>', b"<!--", b"-->", b"<![CDATA[",
              b"]]>", b"&amp;", b"&x;", b"&#0;", b"&#x110000;",
              b'<!DOCTYPE log [<!ENTITY x "y">]>', b"<?xml version='1.0'?>", b'encoding="latin-1"',
              b"<list>", b'key="source_row"', b'"', b"'"]


@st.composite
def mutated(draw, data: bytes, tokens: list[bytes]) -> bytes:  # type: ignore[no-untyped-def]
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "token", "cut", "dup", "truncate"]))
        pos = draw(st.integers(0, len(buf)))
        if kind == "flip" and buf:
            i = min(pos, len(buf) - 1)
            buf[i] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "token":
            buf[pos:pos] = draw(st.sampled_from(tokens)) * draw(st.integers(1, 3))
        elif kind == "cut":
            del buf[pos:pos + draw(st.integers(1, 40))]
        elif kind == "dup":
            buf[pos:pos] = buf[pos:pos + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del buf[pos:]
    return bytes(buf)


# --------------------------------------------------------------------------------------------
# seeds

CSV_SEED = (
    "Aktenzeichen;Tätigkeit;Zeitpunkt;Bearbeiter;Bemerkung;Betrag\r\n"
    "ABH-2025-0001;Antrag eingegangen;01.12.2025 08:15;SB-01;\"Notiz; mit\r\nUmbruch\";1,5\r\n"
    "ABH-2025-0001;Prüfung;02.12.2025 10:00;SB-02;;2\r\n"
    "ABH-2025-0002;Antrag eingegangen;03.12.2025 09:00;SB-01;;\r\n"
    "ABH-2025-0002;Bescheid erstellt;04.12.2025 14:30;SB-03;\"\"\"Zitat\"\"\";3,25\r\n"
).encode()


def _xes_seed() -> bytes:
    def event(act: str, ts: str, res: str, extra: str = "") -> str:
        return (f'<event><string key="concept:name" value="{act}"/>'
                f'<string key="lifecycle:transition" value="complete"/>'
                f'<string key="org:resource" value="{res}"/>'
                f'<date key="time:timestamp" value="{ts}"/>{extra}</event>\n')

    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
            '<extension name="Concept" prefix="concept" uri="http://x/concept.xesext"/>\n'
            '<global scope="event"><string key="concept:name" value="__INVALID__"/></global>\n'
            '<trace><string key="concept:name" value="c1"/>'
            '<string key="responsible" value="SB-9"/>\n'
            + event("Antrag", "2025-12-01T08:15:00.000+01:00", "SB-01",
                    '<int key="Betrag" value="3"/><list key="l"><values><string key="a" '
                    'value="b"/></values></list>')
            + event("Prüfung &amp; Bescheid", "2025-12-02T10:00:00+01:00", "SB-02")
            + '</trace>\n<trace><string key="concept:name" value="c2"/>\n'
            + event("Antrag", "2025-12-03T09:00:00Z", "SB-01")
            + "</trace>\n</log>\n").encode("utf-8")


XES_SEED = _xes_seed()


def _xlsx_seed(path: Path) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Auswertung Dezember"])
    ws.append(["Aktenzeichen", "Tätigkeit", "Zeitpunkt", "Bearbeiter", "Anzahl"])
    ws.append(["ABH-1", "Antrag", dt.datetime(2025, 12, 1, 8, 15), "SB-01", 1])
    ws.append(["ABH-1", "Prüfung", dt.datetime(2025, 12, 2, 10, 0), "SB-02", 2.5])
    ws.append(["ABH-2", "Antrag", "03.12.2025 09:00", "SB-01", None])
    wb.save(path)
    return path.read_bytes()


# --------------------------------------------------------------------------------------------
# the tests


def test_fuzz_csv(tmp_path):
    path = tmp_path / "export.csv"

    @_settings(120)
    @given(mutated(CSV_SEED, CSV_TOKENS), st.booleans())
    def check(data: bytes, skip: bool) -> None:
        path.write_bytes(data)
        assert_clean(path, "--key-file", str(tmp_path / "k"), *SKIP[:skip])

    check()


def test_fuzz_xes(tmp_path):
    plain, packed = tmp_path / "log.xes", tmp_path / "log.xes.gz"

    @_settings(120)
    @given(mutated(XES_SEED, XML_TOKENS), st.booleans(), st.booleans())
    def check(data: bytes, compress: bool, skip: bool) -> None:
        path = packed if compress else plain
        path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
        assert_clean(path, "--key-file", str(tmp_path / "k"), *SKIP[:skip])

    check()


def test_fuzz_gzip_bytes(tmp_path):
    """The compressed stream itself damaged: CRC, length, truncation, garbage after it."""
    seed = gzip.compress(XES_SEED, mtime=0)
    path = tmp_path / "log.xes.gz"

    @_settings(40)
    @given(mutated(seed, _COMMON))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        assert_clean(path, "--key-file", str(tmp_path / "k"))

    check()


def test_fuzz_xlsx_parts(tmp_path):
    """The XML inside a valid archive mutated (sheet, shared strings, styles, workbook)."""
    seed = _xlsx_seed(tmp_path / "seed.xlsx")
    with zipfile.ZipFile(io.BytesIO(seed)) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    names = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    path = tmp_path / "export.xlsx"

    @_settings(100)
    @given(st.sampled_from(names), st.data(), st.booleans())
    def check(name: str, data: st.DataObject, skip: bool) -> None:
        changed = data.draw(mutated(parts[name], XML_TOKENS))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for part, content in parts.items():
                zout.writestr(part, changed if part == name else content)
        assert_clean(path, "--key-file", str(tmp_path / "k"), *SKIP[:skip])

    check()


def test_fuzz_xlsx_bytes(tmp_path):
    """The archive's bytes mutated: headers, directory, compressed data."""
    seed = _xlsx_seed(tmp_path / "seed.xlsx")
    path = tmp_path / "export.xlsx"

    @_settings(60)
    @given(mutated(seed, [*_COMMON, b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"]))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        assert_clean(path, "--key-file", str(tmp_path / "k"))

    check()


# Parquet: byte mutations almost always give "not a Parquet file"; the interesting inputs are
# well-formed files with odd schemas, values and metadata.

_NAMES = ["case_id", "activity", "timestamp", "start_time", "resource", "role", "lifecycle",
          "source_file", "source_row", "Aktenzeichen", "Tätigkeit", "Zeitpunkt", "Bearbeiter",
          "concept:name", "case:concept:name", "time:timestamp", "Nachname", "case_x",
          "__index_level_0__", "", " "]


def _column(kind: str, n: int, draw) -> pa.Array:  # type: ignore[no-untyped-def]
    texts = st.one_of(st.none(), st.sampled_from(["A-1", "A-2", " ", "", "V-" + "0" * 32,
                                                  "01.12.2025 10:00", "2025-12-01T10:00Z",
                                                  "x\x00y", "ä" * 3, "NaT"]))
    if kind == "string":
        return pa.array(draw(st.lists(texts, min_size=n, max_size=n)), pa.string())
    if kind == "large_string":
        return pa.array(draw(st.lists(texts, min_size=n, max_size=n)), pa.large_string())
    if kind == "dictionary":
        return pa.array(draw(st.lists(texts, min_size=n, max_size=n)),
                        pa.string()).dictionary_encode()
    if kind == "int":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)),
                                      min_size=n, max_size=n)), pa.int64())
    if kind == "float":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.floats()), min_size=n,
                                      max_size=n)), pa.float64())
    if kind == "bool":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n,
                                      max_size=n)), pa.bool_())
    if kind in ("ts_utc", "ts_naive", "ts_berlin"):
        values = draw(st.lists(st.one_of(st.none(), st.integers(-2**62, 2**62)), min_size=n,
                               max_size=n))
        tz = {"ts_utc": "UTC", "ts_naive": None, "ts_berlin": "Europe/Berlin"}[kind]
        # Parquet stores seconds as milliseconds: "s" would overflow in the writer
        return pa.array(values, pa.timestamp(draw(st.sampled_from(["ms", "us", "ns"])), tz=tz))
    if kind == "date":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.dates()), min_size=n,
                                      max_size=n)), pa.date32())
    if kind == "binary":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.binary(max_size=5)), min_size=n,
                                      max_size=n)), pa.binary())
    if kind == "decimal":
        return pa.array([None] * n, pa.decimal128(10, 2))
    if kind == "null":
        return pa.nulls(n)
    if kind == "duration":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.integers(-2**40, 2**40)),
                                      min_size=n, max_size=n)), pa.duration("s"))
    if kind == "list":
        return pa.array(draw(st.lists(st.one_of(st.none(), st.lists(st.integers(0, 9),
                                                                     max_size=3)),
                                      min_size=n, max_size=n)), pa.list_(pa.int64()))
    if kind == "struct":
        return pa.array([{"a": i, "b": None} for i in range(n)])
    raise AssertionError(kind)


_KINDS = ["string", "large_string", "dictionary", "int", "float", "bool", "ts_utc", "ts_naive",
          "ts_berlin", "date", "binary", "decimal", "null", "duration", "list", "struct"]
_REPORTS = [None, b"", b"{", b"[]", b"null", b'{"source": "x"}',
            b'{"source": "x", "format": "csv", "events_read": 3}',
            b'{"source": "x", "format": "csv", "events_read": 3, "pseudonymized": ["case_id"],'
            b' "key_check": "00"}',
            b'{"source": "x", "format": "csv", "events_read": 3, "notes": 5}',
            b'{"source": 1, "format": "csv", "events_read": 3}', b"\xff\xfe\x00"]


def test_fuzz_parquet_schemas(tmp_path):
    path = tmp_path / "log.parquet"

    @_settings(150)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        n = data.draw(st.integers(0, 4))
        names = data.draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=7,
                                   unique=True))
        columns = {name: _column(data.draw(st.sampled_from(_KINDS)), n, data.draw)
                   for name in names}
        table = pa.table(columns)
        report = data.draw(st.sampled_from(_REPORTS))
        if report is not None:
            table = table.replace_schema_metadata({REPORT_KEY: report})
        pq.write_table(table, path)
        extra = ["--key-file", str(tmp_path / "k")]
        if data.draw(st.booleans()):
            extra.append("--no-pseudonymize")
        assert_clean(path, *extra)

    check()


def test_fuzz_parquet_bytes(tmp_path):
    table = pa.table({"case_id": ["A-1", "A-1", "A-2"], "activity": ["a", "b", "a"],
                      "timestamp": pa.array([1, 2, 3], pa.timestamp("us", "UTC"))})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    seed = buf.getvalue()
    path = tmp_path / "log.parquet"

    @_settings(60)
    @given(mutated(seed, [*_COMMON, b"PAR1"]))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        assert_clean(path, "--key-file", str(tmp_path / "k"))

    check()
