"""The XES reader: real logs against pm4py, and hostile XML (reliability anchors F1, F4,
holdout cases #1, #2, #10). Every hostile file is generated here, in tmp_path."""

from __future__ import annotations

import gzip
import random
import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from ist_analyse.config import ImportOptions
from ist_analyse.errors import ErrorCode, InputError, IstAnalyseError
from ist_analyse.io import xes as xes_module
from ist_analyse.io.raw import RawTable
from ist_analyse.io.xes import MAX_DEPTH, read_xes_raw
from tests.conftest import in_ci

OPTS = ImportOptions()
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def event(activity: str, ts: str = "2024-03-01T09:00:00.000+01:00", **extra: str) -> str:
    attrs = "".join(f'    <string key="{k.replace("__", ":")}" value="{v}"/>\n'
                    for k, v in extra.items())
    return (f'  <event>\n    <string key="concept:name" value="{activity}"/>\n'
            f'    <date key="time:timestamp" value="{ts}"/>\n{attrs}  </event>\n')


def trace(case: str | None, *events: str, attrs: str = "") -> str:
    name = f'  <string key="concept:name" value="{case}"/>\n' if case is not None else ""
    return f"<trace>\n{name}{attrs}{''.join(events)}</trace>\n"


def xes(*traces: str, head: str = "", prolog: str = DECL) -> str:
    return f'{prolog}<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n' \
           f"{head}{''.join(traces)}</log>\n"


def write(tmp_path: Path, text: str | bytes, name: str = "log.xes") -> Path:
    path = tmp_path / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def read(path: Path, **options) -> RawTable:
    return read_xes_raw(path, ImportOptions(**options) if options else OPTS)


def fails(path: Path, code: ErrorCode, **options) -> InputError:
    with pytest.raises(InputError) as info:
        read(path, **options)
    err = info.value
    assert err.code == code, str(err)
    assert err.file == str(path)
    return err


@pytest.fixture(autouse=True, params=["c", "python"])
def engine(request, monkeypatch) -> str:
    """Every test runs twice: with the C scanner in front of the Python reader (what users
    get where the extension is built) and with the Python reader alone."""
    if request.param == "c" and xes_module._xesscan is None:
        pytest.skip("the C scanner is not built here")
    monkeypatch.setattr(xes_module, "FAST", request.param == "c")
    return request.param


def test_c_scanner_is_built_in_ci():
    """CI installs a compiler (scripts/install.sh): the fast path must really be tested."""
    if xes_module._xesscan is None:
        if in_ci():
            pytest.fail("ist_analyse.io._xesscan was not built (setup.py, optional extension)")
        pytest.skip("the C scanner is not built here")


@pytest.mark.c_engine_only
def test_c_scanner_reads_plain_xes_without_the_python_reader(tmp_path, monkeypatch, engine):

    def no_python_reader(*_a, **_k):
        raise AssertionError("the Python reader was used")

    monkeypatch.setattr(xes_module._Reader, "read", no_python_reader)
    path = write(tmp_path, xes(trace("c1", event("a"), event("b", org__resource="R1")),
                               trace("c2", event("a"))), name="log.xes.gz")
    raw = read(path)
    assert raw.frame["concept:name"].tolist() == ["a", "b", "a"]
    assert raw.frame["org:resource"].tolist() == [None, "R1", None]
    assert raw.frame["case:concept:name"].tolist() == ["c1", "c1", "c2"]
    assert raw.frame["source_row"].tolist() == [1, 2, 3]
    assert any(n.startswith("gzip: ") for n in raw.notes)


@pytest.mark.parametrize("name", ["08_receipt.xes.gz", "roadtraffic100traces.xes.gz",
                                  "12_roadtraffic_1t_per_variant.xes.gz", "bpic2012_2000.xes.gz"])
@pytest.mark.c_engine_only
def test_c_scanner_equals_python_reader_on_real_logs(real_logs, name, monkeypatch, engine):
    fast = read(real_logs / name)
    monkeypatch.setattr(xes_module, "FAST", False)
    slow = read(real_logs / name)
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert fast.frame.equals(slow.frame)
    assert (fast.events_read, fast.notes, fast.dropped) == (slow.events_read, slow.notes,
                                                            slow.dropped)


def assert_located(err: InputError) -> None:
    """Line in ``row`` (row_label "line") and a column in the message."""
    assert err.row is not None and err.row >= 1, str(err)
    assert err.row_label == "line"
    assert "(column " in err.message, str(err)


# ---------------------------------------------------------------------------------------------
# real logs: the same cases, events and activity counts as pm4py


REAL_LOGS = ["08_receipt.xes.gz", "roadtraffic100traces.xes.gz",
             "12_roadtraffic_1t_per_variant.xes.gz", "bpic2012_2000.xes.gz"]
EXPECTED = {"08_receipt.xes.gz": (1434, 8577), "roadtraffic100traces.xes.gz": (100, 390),
            "12_roadtraffic_1t_per_variant.xes.gz": (231, 1891),
            "bpic2012_2000.xes.gz": (2000, 42452)}


@pytest.mark.parametrize("name", REAL_LOGS)
def test_real_log_matches_pm4py(real_logs, name):
    pm4py = pytest.importorskip("pm4py")
    path = real_logs / name
    raw = read(path)
    ref = pm4py.read_xes(str(path))
    frame = raw.frame
    cases, events = EXPECTED[name]
    assert raw.events_read == len(frame) == len(ref) == events
    assert frame["case:concept:name"].nunique() == ref["case:concept:name"].nunique() == cases
    assert Counter(frame["concept:name"]) == Counter(ref["concept:name"])
    # every column pm4py sees is there too, under the same XES key
    assert set(ref.columns) <= set(frame.columns)
    assert frame["source_row"].tolist() == list(range(1, events + 1))
    assert raw.row_label == "event" and raw.format == "xes"
    # per case event counts agree
    assert Counter(frame["case:concept:name"]) == Counter(ref["case:concept:name"])
    # values are raw strings (timestamps stay ISO text), None where absent
    ts = frame["time:timestamp"].iloc[0]
    assert isinstance(ts, str) and ts[:4].isdigit() and "T" in ts


def test_real_log_values_and_trace_attributes(real_logs):
    raw = read(real_logs / "08_receipt.xes.gz")
    first = raw.frame.iloc[0]
    assert first["case:concept:name"] == "case-10011"
    assert first["concept:name"] == "Confirmation of receipt"
    assert first["time:timestamp"] == "2011-10-11T13:45:40.276+02:00"
    assert first["org:resource"] == "Resource21"
    assert first["lifecycle:transition"] == "complete"
    assert first["case:channel"] == "Internet"
    assert first["case:enddate"] is None
    # <global> defaults (value "UNKNOWN") are not events and are not filled in
    assert "UNKNOWN" not in set(raw.frame["concept:name"])


def test_truncated_real_log(real_logs, tmp_path):
    data = gzip.decompress((real_logs / "08_receipt.xes.gz").read_bytes())
    cut = data[: int(len(data) * 0.4)]
    err = fails(write(tmp_path, cut), ErrorCode.XML_SYNTAX)
    assert_located(err)
    assert err.row == cut.count(b"\n") + 1
    assert "unexpected end of file" in err.message


# ---------------------------------------------------------------------------------------------
# the frame


def test_columns_values_and_source_row(tmp_path):
    text = xes(
        trace("A-1", event("Antrag", org__resource="SB-01", lifecycle__transition="start"),
              event("Antrag", org__resource="SB-01", lifecycle__transition="complete"),
              attrs='  <int key="Gebühr" value="100"/>\n'),
        trace("A-2", event("Prüfung", Bemerkung="eilig")),
        head='  <extension name="Concept" prefix="concept" uri="http://x/concept.xesext"/>\n'
             '  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>\n'
             '  <classifier name="Activity" keys="concept:name"/>\n'
             '  <string key="meta:source" value="Ausländerbehörde"/>\n')
    raw = read(write(tmp_path, text))
    df = raw.frame
    assert raw.events_read == 3 and len(df) == 3
    assert df["case:concept:name"].tolist() == ["A-1", "A-1", "A-2"]
    assert df["concept:name"].tolist() == ["Antrag", "Antrag", "Prüfung"]
    assert df["time:timestamp"].tolist() == ["2024-03-01T09:00:00.000+01:00"] * 3
    assert df["org:resource"].tolist() == ["SB-01", "SB-01", None]
    assert df["lifecycle:transition"].tolist() == ["start", "complete", None]
    assert df["Bemerkung"].tolist() == [None, None, "eilig"]
    assert df["case:Gebühr"].tolist() == ["100", "100", None]
    assert df["source_row"].tolist() == [1, 2, 3]
    assert "meta:source" not in df.columns and "case:meta:source" not in df.columns
    assert df.columns[0] == "case:concept:name" and df.columns[-1] == "source_row"
    assert all(isinstance(v, str) for v in df["concept:name"])
    assert (raw.row_label, raw.format) == ("event", "xes")
    assert raw.source_file == str(tmp_path / "log.xes")
    assert raw.dropped == []


@pytest.mark.parametrize(("zone", "hour_utc"), [("Europe/Berlin", 8), ("UTC", 9),
                                               ("America/New_York", 14)])
def test_naive_timestamps_follow_timezone_and_are_a_finding(tmp_path, zone, hour_utc):
    """BPI Challenge-style dates without an offset: read in --timezone, counted, reported;
    the same with both engines (the fixture runs this with each)."""
    from ist_analyse.inspection import inspect_log
    from ist_analyse.io.pipeline import read_log

    path = write(tmp_path, xes(trace("A-1", event("a", "2024-03-01T09:00:00.000"),
                                     event("b", "2024-03-01T10:00:00.000+01:00"),
                                     event("c", "2024-03-01T09:30:00"))))
    opts = ImportOptions(timezone=zone, pseudonymize=False, keep_rare_labels=True)
    res = read_log(path, opts)
    hours = dict(zip(res.log["activity"], res.log["timestamp"].dt.hour, strict=True))
    assert hours == {"a": hour_utc, "b": 9, "c": hour_utc}
    assert (res.report.naive_timestamps, res.report.zoned_timestamps) == (2, 1)
    found = {f.code: f for f in inspect_log(path, opts).findings}["NAIVE_TIMESTAMPS"]
    assert found.count == 2 and zone in found.message


def test_zoned_xes_timestamps_give_no_naive_finding(tmp_path):
    from ist_analyse.inspection import inspect_log

    path = write(tmp_path, xes(trace("A-1", event("a"), event("b"))))
    assert "NAIVE_TIMESTAMPS" not in {f.code for f in inspect_log(path).findings}


def test_trace_attributes_after_events_apply_to_all_events(tmp_path):
    text = xes("<trace>" + event("a") + event("b")
               + '<string key="concept:name" value="late"/><string key="x" value="1"/></trace>',
               trace("next", event("c")))
    df = read(write(tmp_path, text)).frame
    assert df["case:concept:name"].tolist() == ["late", "late", "next"]
    assert df["case:x"].tolist() == ["1", "1", None]


def test_same_key_twice_last_wins(tmp_path):
    text = xes(trace("c", event("a", org__resource="first").replace(
        "</event>", '<string key="org:resource" value="second"/></event>')))
    assert read(write(tmp_path, text)).frame["org:resource"].tolist() == ["second"]


def test_trace_without_events_gives_no_rows(tmp_path):
    text = xes(trace("empty"), trace("c1", event("a")), trace("also-empty"))
    raw = read(write(tmp_path, text))
    assert raw.frame["case:concept:name"].tolist() == ["c1"]
    assert raw.events_read == 1
    assert any("traces without events" in n and "2" in n for n in raw.notes)


def test_log_without_any_trace_gives_an_empty_frame(tmp_path):
    raw = read(write(tmp_path, xes()))
    assert len(raw.frame) == 0 and raw.events_read == 0
    assert "source_row" in raw.frame.columns


def test_entities_decode(tmp_path):
    """pm4py #563: &amp; &lt; and character references decode in every value and key."""
    text = xes(trace("A&amp;B",
                     event("Prüfung &lt;dringend&gt;", note="&quot;x&quot; &apos;y&apos;",
                           sign="&#228;&#x20AC;"),
                     attrs='<string key="K&amp;K" value="1 &lt; 2"/>'))
    df = read(write(tmp_path, text)).frame
    row = df.iloc[0]
    assert row["case:concept:name"] == "A&B"
    assert row["concept:name"] == "Prüfung <dringend>"
    assert row["note"] == "\"x\" 'y'"
    assert row["sign"] == "ä€"
    assert row["case:K&K"] == "1 < 2"


@pytest.mark.parametrize("variant", ["iterparse", "rustxes"])
def test_entities_agree_with_pm4py(tmp_path, variant):
    """Holdout #10 entities_amp: the same values as pm4py's pinned parsers (differential)."""
    pm4py = pytest.importorskip("pm4py")
    if variant == "rustxes":
        pytest.importorskip("rustxes")
    text = xes(trace("A&amp;B",
                     event("Prüfung &lt;eilig&gt; &amp; Co", "2024-03-01T09:00:00+01:00",
                           org__resource="&#228;&#x20AC;"),
                     event("x&quot;y", "2024-03-01T08:00:00Z"),
                     event("ohne Zone", "2024-03-01T10:00:00")))
    path = write(tmp_path, text)
    ours = read(path).frame
    ref = pm4py.read_xes(str(path), variant=variant)
    for col in ("case:concept:name", "concept:name"):
        assert ours[col].tolist() == ref[col].tolist()
    assert ours["org:resource"].tolist()[0] == ref["org:resource"].tolist()[0] == "ä€"
    # timestamps stay raw text here, whatever their offset; the pipeline decides
    assert ours["time:timestamp"].tolist() == ["2024-03-01T09:00:00+01:00",
                                               "2024-03-01T08:00:00Z", "2024-03-01T10:00:00"]


def test_undefined_entity_is_a_syntax_error(tmp_path):
    err = fails(write(tmp_path, xes(trace("c", event("a&nbsp;b")))), ErrorCode.XML_SYNTAX)
    assert_located(err)
    assert err.row == 6


def test_nested_attributes_do_not_crash(tmp_path):
    """pm4py #566: <list> / <container> / attributes with child attributes."""
    nested_event = event("a").replace("</event>", """
    <list key="Dokumente">
      <values>
        <string key="doc" value="Pass"/>
        <list key="inner"><values><string key="deep" value="x"/></values></list>
      </values>
    </list>
    <container key="Adresse"><string key="Ort" value="Berlin"/></container>
    <string key="Status" value="offen"><string key="Grund" value="fehlt"/></string>
  </event>""")
    text = xes(trace("c", nested_event, event("b"),
                     attrs='<list key="tags"><values><string key="t" value="1"/></values></list>'))
    raw = read(write(tmp_path, text))
    df = raw.frame
    assert df["concept:name"].tolist() == ["a", "b"]
    assert df["Status"].tolist() == ["offen", None]  # the parent keeps its own value
    for skipped in ("doc", "deep", "Ort", "Grund", "Dokumente", "Adresse", "inner", "t",
                    "case:tags", "case:t"):
        assert skipped not in df.columns
    assert any("nested XES attributes skipped" in n for n in raw.notes)


def test_comments_cdata_and_processing_instructions_are_ignored(tmp_path):
    text = xes(trace("c", "<!-- <event><string key='concept:name' value='ghost'/></event> -->",
                     "<![CDATA[<event>ghost</event>]]>", "<?pi data?>", event("a")))
    df = read(write(tmp_path, text)).frame
    assert df["concept:name"].tolist() == ["a"]


def test_single_quotes_attribute_order_and_whitespace(tmp_path):
    text = xes("<trace><string value='c1' key='concept:name' />"
               "<event>\n<string\n value = \"a\"\n key=\"concept:name\"/></event></trace>")
    df = read(write(tmp_path, text)).frame
    assert df.iloc[0][["case:concept:name", "concept:name"]].tolist() == ["c1", "a"]


def test_iso_8859_1_and_bom(tmp_path):
    text = xes(trace("Müller", event("Prüfung")),
               prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n')
    df = read(write(tmp_path, text.encode("latin-1"))).frame
    assert df.iloc[0][["case:concept:name", "concept:name"]].tolist() == ["Müller", "Prüfung"]
    bom = b"\xef\xbb\xbf" + xes(trace("Ä", event("ß"))).encode()
    df = read(write(tmp_path, bom, "bom.xes")).frame
    assert df.iloc[0][["case:concept:name", "concept:name"]].tolist() == ["Ä", "ß"]


def test_utf16_with_bom(tmp_path):
    text = xes(trace("Müller", event("Prüfung")),
               prolog='<?xml version="1.0" encoding="UTF-16"?>\n')
    df = read(write(tmp_path, text.encode("utf-16"))).frame
    assert df.iloc[0][["case:concept:name", "concept:name"]].tolist() == ["Müller", "Prüfung"]


def test_prefixed_xes_namespace(tmp_path):
    text = (DECL + '<xes:log xmlns:xes="http://www.xes-standard.org/"><xes:trace>'
            '<xes:string key="concept:name" value="c1"/><xes:event>'
            '<xes:string key="concept:name" value="a"/></xes:event></xes:trace></xes:log>')
    df = read(write(tmp_path, text)).frame
    assert df[["case:concept:name", "concept:name"]].values.tolist() == [["c1", "a"]]


def test_gzip_is_detected_by_magic_bytes_not_suffix(tmp_path):
    text = xes(trace("c", event("a")))
    gz_named_xes = tmp_path / "really_gzip.xes"
    gz_named_xes.write_bytes(gzip.compress(text.encode()))
    assert read(gz_named_xes).frame["concept:name"].tolist() == ["a"]
    plain_named_gz = tmp_path / "plain.xes.gz"
    plain_named_gz.write_text(text, encoding="utf-8")
    assert read(plain_named_gz).frame["concept:name"].tolist() == ["a"]


def test_trace_without_case_id(tmp_path):
    text = xes(trace("c1", event("a")), trace(None, event("b"), event("c")),
               trace("c3", event("d")))
    path = write(tmp_path, text)
    err = fails(path, ErrorCode.XML_STRUCTURE)
    assert err.row == 10 and "concept:name" in err.message
    raw = read(path, skip_bad_rows=True)
    assert raw.frame["concept:name"].tolist() == ["a", "d"]
    assert raw.frame["source_row"].tolist() == [1, 4]
    assert raw.frame["case:concept:name"].tolist() == ["c1", "c3"]
    assert raw.events_read == 4
    assert [d.row for d in raw.dropped] == [2, 3]


# ---------------------------------------------------------------------------------------------
# hostile XML: DTDs and entities (anchor F1, holdout #1 and #2)


@pytest.fixture
def canary(tmp_path) -> tuple[Path, str]:
    token = "CANARY-" + "".join(random.Random(7).choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
                                                        k=32))
    path = tmp_path / "canary.txt"
    path.write_text(token, encoding="ascii")
    return path, token


def assert_no_canary(err: IstAnalyseError, token: str) -> None:
    assert token not in str(err)
    assert token not in repr(err.to_dict())


def test_xxe_local_file_is_refused(tmp_path, canary):
    path, token = canary
    doctype = f'<!DOCTYPE log [<!ENTITY x SYSTEM "file://{path}">]>\n'
    # in attribute values (holdout #1) and, because XML forbids external entities in
    # attribute values, also as element text, where a careless parser does expand them
    text = xes(trace("&x;", event("a", org__resource="&x;")), trace("b", event("b")),
               trace("c", event("c")), prolog=DECL + doctype)
    err = fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN)
    assert err.row == 2
    assert_no_canary(err, token)
    in_text = xes(trace("b", event("b").replace("</event>", '<string key="n">&x;</string>'
                                                            "</event>")),
                  prolog=DECL + doctype)
    path_text = write(tmp_path, in_text, "text.xes")
    assert_no_canary(fails(path_text, ErrorCode.XML_DTD_FORBIDDEN), token)
    # the hostile file is live: an unsafe lxml setting really copies the canary into the data
    etree = pytest.importorskip("lxml.etree")
    leaked = [el.text for _, el in etree.iterparse(
        str(path_text), resolve_entities=True, load_dtd=True, no_network=True)]
    assert token in leaked


def test_xxe_relative_path_is_refused(tmp_path, canary):
    _, token = canary
    text = xes(trace("&x;", event("a")),
               prolog=DECL + '<!DOCTYPE log [<!ENTITY x SYSTEM "canary.txt">]>\n')
    assert_no_canary(fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN), token)


def test_xxe_in_gzip_is_refused(tmp_path, canary):
    path, token = canary
    text = xes(trace("&x;", event("a")),
               prolog=DECL + f'<!DOCTYPE log [<!ENTITY x SYSTEM "file://{path}">]>\n')
    err = fails(write(tmp_path, text, "log.xes.gz"), ErrorCode.XML_DTD_FORBIDDEN)
    assert_no_canary(err, token)


def test_parameter_entity_is_refused(tmp_path, canary):
    path, token = canary
    doctype = f'<!DOCTYPE log [<!ENTITY % p SYSTEM "file://{path}"> %p;]>\n'
    err = fails(write(tmp_path, xes(trace("c", event("a")), prolog=DECL + doctype)),
                ErrorCode.XML_DTD_FORBIDDEN)
    assert_no_canary(err, token)


def test_external_dtd_is_refused_without_a_connection(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        for url in (f"http://127.0.0.1:{port}/x.dtd", "http://127.0.0.1:9/x.dtd"):
            text = xes(trace("c", event("a")),
                       prolog=DECL + f'<!DOCTYPE log SYSTEM "{url}">\n')
            t0 = time.monotonic()
            fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN)
            assert time.monotonic() - t0 < 2
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected


def test_public_dtd_and_empty_doctype_are_refused(tmp_path):
    for doctype in ('<!DOCTYPE log PUBLIC "-//X//DTD X//EN" "http://127.0.0.1:9/x.dtd">',
                    "<!DOCTYPE log>", "<!DOCTYPE log []>"):
        text = xes(trace("c", event("a")), prolog=DECL + doctype + "\n")
        fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN)


def test_billion_laughs_is_refused_quickly(tmp_path):
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE log [" + "".join(ents) + "]>\n"
    text = xes(trace("&lol9;", event("&lol9;")), prolog=DECL + doctype)
    t0 = time.monotonic()
    fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN)
    assert time.monotonic() - t0 < 5


def test_quadratic_blowup_is_refused_quickly(tmp_path):
    doctype = f'<!DOCTYPE log [<!ENTITY a "{"x" * 50_000}">]>\n'
    text = xes(trace("c", event("&a;" * 20_000)), prolog=DECL + doctype)
    t0 = time.monotonic()
    fails(write(tmp_path, text), ErrorCode.XML_DTD_FORBIDDEN)
    assert time.monotonic() - t0 < 5


def test_entity_declared_after_root_cannot_sneak_in(tmp_path):
    # no DOCTYPE: an ENTITY declaration inside the document is plain bad XML
    text = xes(trace("c", '<!ENTITY x "y">', event("a")))
    assert_located(fails(write(tmp_path, text), ErrorCode.XML_SYNTAX))


def test_gzip_bomb_hits_the_size_limit(tmp_path):
    path = tmp_path / "bomb.xes.gz"
    block = b" " * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as gz:
        gz.write(b'<?xml version="1.0"?>\n<log>')
        for _ in range(64):  # 64 MB of blanks inside <log>, ~64 kB compressed
            gz.write(block)
        gz.write(b"</log>")
    assert path.stat().st_size < 200_000
    t0 = time.monotonic()
    err = fails(path, ErrorCode.SIZE_LIMIT, max_bytes=4 << 20)
    assert time.monotonic() - t0 < 5
    assert "4,194,304" in err.message and "max_bytes" in err.message


def test_size_limit_counts_decompressed_bytes_only_for_gzip(tmp_path):
    text = xes(*(trace(f"c{i}", event("a")) for i in range(50)))
    assert len(text) > 1000
    assert len(read(write(tmp_path, text), max_bytes=1000).frame) == 50
    fails(write(tmp_path, text, "log.xes.gz"), ErrorCode.SIZE_LIMIT, max_bytes=1000)


def test_deep_nesting_is_refused(tmp_path):
    depth = 100_000
    nested = '<list key="l">' * depth + "</list>" * depth
    text = xes(trace("c", event("a").replace("</event>", nested + "</event>")))
    t0 = time.monotonic()
    err = fails(write(tmp_path, text), ErrorCode.XML_STRUCTURE)
    assert time.monotonic() - t0 < 5
    assert str(MAX_DEPTH) in err.message and "limit" in err.message
    assert_located(err)


def test_nesting_below_the_limit_is_fine(tmp_path):
    nested = '<list key="l">' * 50 + "</list>" * 50
    text = xes(trace("c", event("a").replace("</event>", nested + "</event>")))
    assert len(read(write(tmp_path, text)).frame) == 1


# ---------------------------------------------------------------------------------------------
# structurally broken files (holdout #10)


def test_truncated_file_names_line_and_column(tmp_path):
    full = xes(*(trace(f"c{i}", event("a"), event("b")) for i in range(60)))
    lines = full.splitlines(keepends=True)
    # cut in the middle of the 40th trace, inside an event
    start_40 = [i for i, line in enumerate(lines) if line.startswith("<trace>")][39]
    cut = "".join(lines[: start_40 + 4]) + "    <string key="
    err = fails(write(tmp_path, cut), ErrorCode.XML_SYNTAX)
    assert_located(err)
    assert err.row == start_40 + 5
    assert "unexpected end of file inside <event>" in err.message
    assert str(err).startswith(f"{tmp_path / 'log.xes'}: line {err.row}: ")


def test_truncated_between_traces(tmp_path):
    full = xes(trace("c1", event("a")), trace("c2", event("b")))
    cut = full[: full.index("<trace>", 10)]
    err = fails(write(tmp_path, cut), ErrorCode.XML_SYNTAX)
    assert "inside <log>" in err.message
    assert_located(err)


def test_truncated_gzip_stream(tmp_path):
    data = gzip.compress(xes(*(trace(f"c{i}", event("a")) for i in range(2000))).encode())
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    err = fails(path, ErrorCode.XML_SYNTAX)
    assert_located(err)
    assert "gzip" in (err.hint or "")


def test_gzip_without_trailer(tmp_path):
    data = gzip.compress(xes(trace("c", event("a"))).encode())
    path = tmp_path / "notrailer.xes.gz"
    path.write_bytes(data[:-8])  # CRC and size missing: the XML itself is complete
    fails(path, ErrorCode.WRONG_FORMAT)


def test_damaged_gzip(tmp_path):
    data = bytearray(gzip.compress(xes(*(trace(f"c{i}", event("a")) for i in range(500)))
                                   .encode()))
    data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
    path = tmp_path / "damaged.xes.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.code in (ErrorCode.WRONG_FORMAT, ErrorCode.XML_SYNTAX)


def test_two_logs(tmp_path):
    one = xes(trace("c1", event("a")))
    err = fails(write(tmp_path, one + one.replace(DECL, "")), ErrorCode.XML_STRUCTURE)
    assert_located(err)
    assert err.row == one.count("\n") + 1
    assert "one <log>" in err.message


def test_log_inside_log(tmp_path):
    text = xes(trace("c", event("a"))).replace("</log>", "<log></log></log>")
    assert_located(fails(write(tmp_path, text), ErrorCode.XML_STRUCTURE))


def test_event_outside_a_trace(tmp_path):
    text = xes(trace("c1", event("a")), event("loose"))
    err = fails(write(tmp_path, text), ErrorCode.XML_STRUCTURE)
    assert_located(err)
    assert err.row == 10 and "outside a <trace>" in err.message


def test_trace_inside_trace_and_event_inside_event(tmp_path):
    text = xes(trace("c1", trace("c2", event("a"))))
    assert_located(fails(write(tmp_path, text), ErrorCode.XML_STRUCTURE))
    text = xes(trace("c1", event("a").replace("</event>", event("b") + "</event>")))
    assert_located(fails(write(tmp_path, text), ErrorCode.XML_STRUCTURE))


def test_mismatched_tag(tmp_path):
    text = xes(trace("c", event("a"))).replace("</trace>", "</event>")
    assert_located(fails(write(tmp_path, text), ErrorCode.XML_SYNTAX))


def test_root_is_not_log(tmp_path):
    err = fails(write(tmp_path, DECL + "<html><body>hi</body></html>"), ErrorCode.WRONG_FORMAT)
    assert "<html>" in err.message


# ---------------------------------------------------------------------------------------------
# not XES at all


def test_empty_file(tmp_path):
    fails(write(tmp_path, b""), ErrorCode.EMPTY_FILE)
    fails(write(tmp_path, b"  \n\t\n", "blank.xes"), ErrorCode.EMPTY_FILE)
    fails(write(tmp_path, b"", "empty.xes.gz"), ErrorCode.EMPTY_FILE)


def test_xml_declaration_only(tmp_path):
    err = fails(write(tmp_path, DECL), ErrorCode.WRONG_FORMAT)
    assert err.row is not None


def test_binary_garbage(tmp_path):
    data = b"\x00" + random.Random(3).randbytes(4096)
    fails(write(tmp_path, data), ErrorCode.WRONG_FORMAT)
    # garbage that happens to start like XML is a syntax error with a position
    assert_located(fails(write(tmp_path, b"<" + data, "lt.xes"), ErrorCode.XML_SYNTAX))
    # garbage inside gzip
    fails(write(tmp_path, data, "garbage.xes.gz"), ErrorCode.WRONG_FORMAT)


def test_csv_renamed_to_xes(tmp_path):
    csv = "Vorgang;Tätigkeit;Zeitpunkt\nA-1;Antrag;01.03.2024 09:00\n"
    err = fails(write(tmp_path, csv.encode("utf-8")), ErrorCode.WRONG_FORMAT)
    assert "CSV" in (err.hint or "")


def test_other_files_renamed(tmp_path):
    fails(write(tmp_path, b"PK\x03\x04" + b"\x00" * 100, "excel.xes"), ErrorCode.WRONG_FORMAT)
    fails(write(tmp_path, b'{"events": []}', "json.xes"), ErrorCode.WRONG_FORMAT)
    fails(write(tmp_path, gzip.compress(b"a;b\n1;2\n"), "csv.xes.gz"), ErrorCode.WRONG_FORMAT)


def test_missing_file_and_folder(tmp_path):
    fails(tmp_path / "nope.xes", ErrorCode.FILE_NOT_FOUND)
    fails(tmp_path, ErrorCode.FILE_NOT_FOUND)


def test_source_row_attribute_is_refused(tmp_path):
    text = xes(trace("c", event("a", source_row="7")))
    with pytest.raises(InputError) as info:
        read(write(tmp_path, text))
    assert info.value.code == ErrorCode.DUPLICATE_HEADER


# ---------------------------------------------------------------------------------------------
# only InputError, whatever the bytes (anchor table row 22)


def test_random_mutations_raise_only_input_errors(tmp_path):
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    base = xes(trace("c1", event("a", org__resource="r")), trace("c2", event("b"))).encode()

    @hypothesis.settings(max_examples=300, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.lists(st.tuples(st.integers(0, len(base)), st.integers(0, 8),
                                         st.binary(max_size=6)), max_size=4),
                      st.booleans())
    def check(edits, compress):
        data = bytearray(base)
        for pos, length, repl in edits:
            data[pos:pos + length] = repl
        path = tmp_path / ("fuzz.xes.gz" if compress else "fuzz.xes")
        path.write_bytes(gzip.compress(bytes(data)) if compress else bytes(data))
        try:
            raw = read(path)
        except InputError:
            return
        assert len(raw.frame) == raw.events_read - len(raw.dropped)
        if xes_module.FAST:  # whatever the C scanner accepts, it reads as the Python reader
            xes_module.FAST = False
            try:
                slow = read(path)
            finally:
                xes_module.FAST = True
            assert raw.frame.equals(slow.frame) and raw.notes == slow.notes

    check()


def test_unknown_declared_encoding(tmp_path):
    path = write(tmp_path, xes(trace("c1", event("a")),
                               prolog='<?xml version="1.0" encoding="AUTF-8"?>\n'))
    err = fails(path, ErrorCode.XML_SYNTAX)
    assert "unknown encoding" in err.message and err.row == 1


def test_repeated_keys_are_counted_not_silent(tmp_path):
    """Issue 14: the same key twice in an event, or two case ids in one trace, were resolved
    silently. The last value still wins (as in pm4py), but each is counted, with the events
    concerned, and the C scanner leaves such files to the Python reader (same result)."""
    twice = event("a", org__resource="first").replace(
        "</event>", '<string key="org:resource" value="second"/></event>')
    two_ids = trace("c2", event("b"), event("c"),
                    attrs='  <string key="concept:name" value="c3"/>\n'
                          '  <string key="x" value="1"/><string key="x" value="2"/>\n')
    raw = read(write(tmp_path, xes(trace("c1", event("z"), twice), two_ids)))
    assert raw.frame["org:resource"].tolist() == [None, "second", None, None]
    assert raw.frame["case:concept:name"].tolist() == ["c1", "c1", "c3", "c3"]
    assert raw.frame["case:x"].tolist() == [None, None, "2", "2"]
    assert raw.repeated_keys == {"event": 1, "trace": 1, "case id": 1}
    assert raw.repeated_key_rows == [2, 3]


def test_repeated_keys_are_a_finding_in_inspect(tmp_path):
    from ist_analyse.inspection import inspect_log

    two_ids = trace("c2", event("b"), attrs='  <string key="concept:name" value="c3"/>\n')
    path = write(tmp_path, xes(trace("c1", event("a")), two_ids))
    found = {f.code: f for f in inspect_log(path, ImportOptions(pseudonymize=False)).findings}
    assert found["REPEATED_KEYS"].count == 1
    assert found["REPEATED_KEYS"].examples == [2]


@pytest.mark.parametrize("opening,closing", [("<!--", "-->"), ('<string key="x" value="', '"/>'),
                                             ("<?pi ", "?>")])
def test_huge_token_refused_fast(tmp_path, opening, closing):
    """Issue 14: an 8 MB gzip holding one huge XML comment ran 14 minutes at 2.2 GB without
    reaching the size cap (expat < 2.6 parses an unfinished token again with every chunk).
    A token longer than MAX_TOKEN is refused as soon as that much is decompressed."""
    path = tmp_path / "comment.xes.gz"
    block = b"a" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as gz:
        gz.write(f'{DECL}<log>\n<trace>\n<string key="concept:name" value="c"/>\n'
                 f"{opening}".encode())
        for _ in range((xes_module.MAX_TOKEN >> 20) * 4):  # four times the limit
            gz.write(block)
        gz.write(f"{closing}</trace></log>".encode())
    err = fails(path, ErrorCode.SIZE_LIMIT)
    assert err.row == 5  # where the token starts
def test_extreme_dates_are_left_out_and_counted(tmp_path, engine):
    """0001-01-01+14:00 and 9999-12-31-12:00 lie outside Python's datetime once in UTC; both
    readers give them to the import, which leaves them out with their event numbers."""
    from ist_analyse.io.pipeline import build_log

    path = write(tmp_path, xes(
        trace("A", event("Antrag", "2024-03-01T09:00:00+01:00"),
              event("Nachtrag", "0001-01-01T00:00:00+14:00"),
              event("Bescheid", "2024-03-05T09:00:00+01:00")),
        trace("B", event("Antrag", "2024-03-02T09:00:00+01:00"),
              event("Nachtrag", "9999-12-31T23:59:59-12:00"),
              event("Bescheid", "2024-03-06T09:00:00+01:00"))))
    res = build_log(read(path), ImportOptions(pseudonymize=False))
    assert len(res.log) == 4
    assert [(e["event"], e["reason"]) for e in res.report.implausible_date_examples] == [
        (2, "before 1900"), (5, "after 2100")]
