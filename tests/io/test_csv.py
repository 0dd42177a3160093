"""CSV reader: German exports, physical line numbers, and every kind of broken file.

Fixtures are written in the tests. Errors are asserted on ``code`` and ``row``, not wording.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ist_analyse.io.csv as csv_reader
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError
from ist_analyse.io.csv import WHITESPACE, read_csv_raw

HEADER = "Vorgangsnummer;Tätigkeit;Zeitpunkt;Bearbeiter"
GERMAN_ROWS = [
    ["ABH-2025-00017", "Antrag eingegangen", "03.07.2025 14:05", "SB-07"],
    ["ABH-2025-00017", "Gebühr 100,00 € bezahlt", "04.07.2025 09:30", "SB-12"],
    ["00123", "„Fiktionsbescheinigung“ ausgestellt – Prüfung", "05.07.2025 11:00", "SB-07"],
    ["ABH-2025-00018", "Übergabe an Ausländerbehörde Köln; Weiterleitung", "06.07.2025 08:00",
     "Müller-Lüdenscheidt"],
]


def write(tmp_path: Path, content: str | bytes, name: str = "export.csv",
          encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def german_csv(newline: str = "\r\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator=newline)
    writer.writerow(HEADER.split(";"))
    writer.writerows(GERMAN_ROWS)
    return buf.getvalue()


def read(path: Path, **kw) -> csv_reader.RawTable:
    return read_csv_raw(path, ImportOptions(**kw))


def cells(raw) -> list[list]:
    cols = [c for c in raw.frame.columns if c != "source_row"]
    return raw.frame[cols].values.tolist()


def lines(raw) -> list[int]:
    return raw.frame["source_row"].tolist()


def error(path: Path, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read(path, **kw)
    return info.value


# --------------------------------------------------------------------------------------------
# encodings


def test_cp1252_german_export_round_trips_exactly(tmp_path):
    raw = read(write(tmp_path, german_csv()))
    assert list(raw.frame.columns) == [*HEADER.split(";"), "source_row"]
    assert cells(raw) == GERMAN_ROWS
    assert lines(raw) == [2, 3, 4, 5]
    assert raw.frame["source_row"].dtype == np.int64
    assert all(raw.frame[c].dtype == object for c in HEADER.split(";"))
    assert raw.format == "csv" and raw.row_label == "line" and raw.decimal == ","
    assert raw.events_read == 4 and raw.dropped == []
    assert any("cp1252" in n for n in raw.notes)
    assert raw.source_file == str(tmp_path / "export.csv")


def test_utf8_bom_gives_identical_frame_and_no_bom_in_names(tmp_path):
    a = read(write(tmp_path, german_csv(), "cp1252.csv", "cp1252"))
    b = read(write(tmp_path, german_csv(), "bom.csv", "utf-8-sig"))
    c = read(write(tmp_path, german_csv(), "plain.csv", "utf-8"))
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert a.frame.equals(b.frame) and a.frame.equals(c.frame)
    assert not any(str(col).startswith("\ufeff") for col in b.frame.columns)
    assert any("utf-8" in n for n in b.notes)


def test_no_mojibake_in_parsed_text(tmp_path):
    raw = read(write(tmp_path, german_csv()))
    text = " ".join(str(v) for v in raw.frame.to_numpy().ravel())
    assert not re.search("Ã|â‚¬|â€", text)


def test_invalid_byte_in_cp1252_file_names_line(tmp_path):
    body = [HEADER] + [f"{i};Prüfung;03.07.2025 14:05;SB-01" for i in range(2, 95)]
    data = "\r\n".join(body).encode("cp1252")
    lines_ = data.split(b"\r\n")
    lines_[89] = lines_[89].replace(b"Pr\xfcfung", b"Pr\x81fung")  # line 90: undefined byte
    err = error(write(tmp_path, b"\r\n".join(lines_)))
    assert err.code == ErrorCode.ENCODING
    assert err.row == 90
    assert "0x81" in str(err)


def test_mixed_encoding_utf8_bytes_in_cp1252_file(tmp_path):
    body = [HEADER] + [f"{i};Prüfung;03.07.2025 14:05;SB-01" for i in range(2, 95)]
    data = [line.encode("cp1252") for line in body]
    data[56] = body[56].encode("utf-8")  # line 57 in UTF-8 inside a cp1252 file
    err = error(write(tmp_path, b"\n".join(data)))
    assert err.code == ErrorCode.ENCODING
    assert err.row == 57
    # with line 90 also broken, the undecodable byte is the error, the mixture the hint
    data[89] = data[89].replace(b"Pr\xfcfung", b"Pr\x81fung")
    err = error(write(tmp_path, b"\n".join(data)))
    assert err.code == ErrorCode.ENCODING and err.row == 90
    assert "57" in (err.hint or "")
    # the user can insist on cp1252 for a mixed file: read as it is
    data[89] = body[89].encode("cp1252")
    raw = read(write(tmp_path, b"\n".join(data)), encoding="cp1252")
    assert len(raw.frame) == 93
    assert any("mojibake" in n for n in raw.notes)


def test_mostly_utf8_file_with_bad_byte_blames_utf8_line(tmp_path):
    body = [HEADER] + [f"{i};Prüfung;03.07.2025 14:05;SB-01" for i in range(2, 30)]
    data = [line.encode("utf-8") for line in body]
    data[19] = data[19].replace("ü".encode(), b"\xfc")  # latin-1 ü in a UTF-8 file
    data[4] = data[4] + "Ł".encode()  # UTF-8 bytes that are also undefined in cp1252 (0x81)
    err = error(write(tmp_path, b"\n".join(data)))
    assert err.code == ErrorCode.ENCODING and err.row == 20


def test_given_encoding_is_strict(tmp_path):
    path = write(tmp_path, german_csv(), encoding="cp1252")
    err = error(path, encoding="utf-8")
    assert err.code == ErrorCode.ENCODING and err.row == 1  # the ä of Tätigkeit
    assert cells(read(path, encoding="cp1252")) == GERMAN_ROWS
    with pytest.raises(ConfigError):
        read(path, encoding="no-such-codec")


def test_bom_with_given_cp1252_is_refused(tmp_path):
    err = error(write(tmp_path, german_csv(), encoding="utf-8-sig"), encoding="cp1252")
    assert err.code == ErrorCode.ENCODING


def test_utf16_with_bom(tmp_path):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\r\n")
    writer.writerow(HEADER.split(";"))
    writer.writerows(GERMAN_ROWS)
    raw = read(write(tmp_path, "\ufeff" + buf.getvalue(), encoding="utf-16-le"))
    assert cells(raw) == GERMAN_ROWS
    assert raw.frame.columns[0] == "Vorgangsnummer"


def test_utf16_without_bom_is_named(tmp_path):
    err = error(write(tmp_path, german_csv(), encoding="utf-16-le"))
    assert err.code == ErrorCode.ENCODING
    assert "UTF-16" in str(err)


# --------------------------------------------------------------------------------------------
# separators, decimal, sep= line


@pytest.mark.parametrize(("sep", "decimal"), [(";", ","), (",", "."), ("\t", ".")])
def test_separator_detected(tmp_path, sep, decimal):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(HEADER.split(";"))
    writer.writerows(GERMAN_ROWS)
    raw = read(write(tmp_path, buf.getvalue()))
    assert cells(raw) == GERMAN_ROWS
    assert raw.decimal == decimal
    assert any("separator" in n and "detected" in n for n in raw.notes)


def test_given_separator_and_decimal(tmp_path):
    raw = read(write(tmp_path, "a|b\n1,5|2\n"), sep="|", decimal=".")
    assert cells(raw) == [["1,5", "2"]]
    assert raw.decimal == "."
    raw = read(write(tmp_path, "a\tb\n1\t2\n"), sep="\\t")
    assert cells(raw) == [["1", "2"]]
    with pytest.raises(ConfigError):
        read(write(tmp_path, "a;b\n1;2\n"), sep=";;")


def test_semicolon_file_with_decimal_commas_is_not_comma_separated(tmp_path):
    content = "Vorgangsnummer;Dauer;Betrag\n1;0,5;1.234,56\n2;1,25;12,00\n3;2;7,5\n"
    raw = read(write(tmp_path, content))
    assert cells(raw) == [["1", "0,5", "1.234,56"], ["2", "1,25", "12,00"], ["3", "2", "7,5"]]
    assert raw.decimal == ","


def test_excel_sep_line_is_honoured_and_counted(tmp_path):
    raw = read(write(tmp_path, "sep=;\r\n" + german_csv()))
    assert list(raw.frame.columns)[:4] == HEADER.split(";")
    assert cells(raw) == GERMAN_ROWS
    assert lines(raw) == [3, 4, 5, 6]
    raw = read(write(tmp_path, "sep=,\na,b\n1;2,3\n"))
    assert cells(raw) == [["1;2", "3"]]


# --------------------------------------------------------------------------------------------
# physical line numbers


def test_quoted_separator_and_newline_keep_later_lines_right(tmp_path):
    content = (HEADER + "\n"
               '1;"Notiz; mit Semikolon";03.07.2025 14:05;SB-01\n'
               '2;"erste Zeile\nzweite Zeile\r\ndritte";03.07.2025 14:06;SB-02\n'
               "\n"
               '3;"Er sagte ""Hallo""";03.07.2025 14:07;SB-03\n'
               "4;ohne;03.07.2025 14:08;SB-04\n")
    raw = read(write(tmp_path, content))
    assert lines(raw) == [2, 3, 7, 8]
    assert cells(raw)[1][1] == "erste Zeile\nzweite Zeile\r\ndritte"
    assert cells(raw)[0][1] == "Notiz; mit Semikolon"
    assert cells(raw)[2][1] == 'Er sagte "Hallo"'


def test_blank_lines_crlf_and_lone_cr(tmp_path):
    raw = read(write(tmp_path, "a;b\r\n\r\n1;2\r\n   \r\n\r\n3;4\r\n\r\n"))
    assert cells(raw) == [["1", "2"], ["3", "4"]]
    assert lines(raw) == [3, 6]
    raw = read(write(tmp_path, "a;b\r1;2\r\r3;4"))  # old Mac line ends, no final break
    assert lines(raw) == [2, 4]
    raw = read(write(tmp_path, "\n\na;b\n1;2\n"))  # blank lines before the header
    assert lines(raw) == [4]


def test_rows_with_only_empty_fields_are_skipped_and_noted(tmp_path):
    raw = read(write(tmp_path, "a;b\n1;2\n;\n ; \n3;4\n"))
    assert cells(raw) == [["1", "2"], ["3", "4"]]
    assert lines(raw) == [2, 5]
    assert raw.events_read == 2
    assert any("only empty fields" in n and "line 3" in n for n in raw.notes)


def test_values_and_headers_are_stripped_empty_is_none(tmp_path):
    raw = read(write(tmp_path, " a ;\tb\xa0\n  x  ;\n\"  \";y\n"))
    assert list(raw.frame.columns) == ["a", "b", "source_row"]
    assert cells(raw) == [["x", None], [None, "y"]]


# --------------------------------------------------------------------------------------------
# broken rows


def test_extra_field_names_physical_line(tmp_path):
    content = HEADER + "\n1;a;t;s\n2;\"x\ny\";t;s\n3;a;t;s;EXTRA\n4;a;t;s\n"
    err = error(write(tmp_path, content))
    assert err.code == ErrorCode.BAD_ROW
    assert err.row == 5
    assert "5 fields, expected 4" in str(err)
    assert HEADER in str(err)


def test_missing_field_names_physical_line(tmp_path):
    err = error(write(tmp_path, HEADER + "\n1;a;t;s\n\n2;a;t\n"))
    assert err.code == ErrorCode.BAD_ROW and err.row == 4
    assert "3 fields, expected 4" in str(err)


def test_skip_bad_rows_counts_add_up(tmp_path):
    content = (HEADER + "\n"
               "1;a;t;s\n"
               "2;a;t;s;EXTRA\n"
               "3;a;t\n"
               "\n"
               "4;a;t;s\n"
               "5;a\x00;t;s\n")
    raw = read(write(tmp_path, content), skip_bad_rows=True)
    assert cells(raw) == [["1", "a", "t", "s"], ["4", "a", "t", "s"]]
    assert lines(raw) == [2, 6]
    assert [d.row for d in raw.dropped] == [3, 4, 7]
    assert raw.events_read == len(raw.frame) + len(raw.dropped) == 5
    assert all(d.reason for d in raw.dropped)


def test_too_long_first_data_row_is_a_bad_row_not_an_index(tmp_path):
    content = "a;b;c\n1;2;3;4\n5;6;7\n"
    err = error(write(tmp_path, content))
    assert err.code == ErrorCode.BAD_ROW and err.row == 2
    raw = read(write(tmp_path, content), skip_bad_rows=True)
    assert cells(raw) == [["5", "6", "7"]]
    assert list(raw.frame.columns) == ["a", "b", "c", "source_row"]


def test_trailing_separator_is_tolerated_and_noted(tmp_path):
    raw = read(write(tmp_path, "a;b;c;\n1;2;3;\n4;5;6\n"))
    assert list(raw.frame.columns) == ["a", "b", "c", "source_row"]
    assert cells(raw) == [["1", "2", "3"], ["4", "5", "6"]]
    raw = read(write(tmp_path, "a;b;c\n1;2;3;\n4;5;6\n"))
    assert cells(raw) == [["1", "2", "3"], ["4", "5", "6"]]
    assert any("trailing separator" in n and "line 2" in n for n in raw.notes)
    # but a value after the trailing separator is an extra field
    err = error(write(tmp_path, "a;b;c;\n1;2;3;\n4;5;6;7\n"))
    assert err.code == ErrorCode.BAD_ROW and err.row == 3


def test_unclosed_quote_at_end(tmp_path):
    content = "a;b;c\n1;2;3\n4;5;\"6\n"
    err = error(write(tmp_path, content))
    assert err.code == ErrorCode.BAD_ROW and err.row == 3
    raw = read(write(tmp_path, content), skip_bad_rows=True)
    assert cells(raw) == [["1", "2", "3"]]
    assert [d.row for d in raw.dropped] == [3]
    assert raw.events_read == 2
    # without a final line break
    err = error(write(tmp_path, "a;b;c\n1;2;3\n4;5;\"6"))
    assert err.code == ErrorCode.BAD_ROW and err.row == 3


def test_unclosed_quote_in_the_middle_swallows_nothing_silently(tmp_path):
    content = "a;b;c\n1;2;3\n4;\"5;6\n7;8;9\n10;11;12\n"
    err = error(write(tmp_path, content))
    assert err.code == ErrorCode.BAD_ROW and err.row == 3
    raw = read(write(tmp_path, content), skip_bad_rows=True)
    assert cells(raw) == [["1", "2", "3"], ["7", "8", "9"], ["10", "11", "12"]]
    assert lines(raw) == [2, 4, 5]
    assert [d.row for d in raw.dropped] == [3]


def test_unclosed_quote_in_header(tmp_path):
    err = error(write(tmp_path, 'a;"b;c\n1;2;3\n'))
    assert err.code == ErrorCode.BAD_ROW and err.row == 1


def test_nul_byte_in_a_field(tmp_path):
    content = "a;b;c\n1;2;3\n4;5\x00;6\n7;8;9\n"
    err = error(write(tmp_path, content))
    assert err.code == ErrorCode.BINARY_FILE and err.row == 3 and err.column == "b"
    raw = read(write(tmp_path, content), skip_bad_rows=True)
    assert lines(raw) == [2, 4]
    assert raw.dropped[0].row == 3


def test_big_field_is_read(tmp_path):
    big = "x" * 300_000
    raw = read(write(tmp_path, f"a;b\n1;\"{big}\"\n2;y\n"))
    assert cells(raw) == [["1", big], ["2", "y"]]


# --------------------------------------------------------------------------------------------
# header, empty files, binary files


def test_duplicate_header(tmp_path):
    err = error(write(tmp_path, "Vorgangsnummer;Status;Zeitpunkt;Status\n1;a;b;c\n"))
    assert err.code == ErrorCode.DUPLICATE_HEADER and err.row == 1
    assert "Status" in str(err)
    err = error(write(tmp_path, "Vorgangsnummer;;Zeitpunkt\n1;a;b\n"))
    assert err.code == ErrorCode.DUPLICATE_HEADER
    assert "column 2" in str(err)
    err = error(write(tmp_path, "a;Status ;Status\n1;2;3\n"))  # equal once stripped
    assert err.code == ErrorCode.DUPLICATE_HEADER
    err = error(write(tmp_path, "a;source_row\n1;2\n"))
    assert err.code == ErrorCode.DUPLICATE_HEADER


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n  \t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path, content):
    assert error(write(tmp_path, content)).code == ErrorCode.EMPTY_FILE


def test_header_only(tmp_path):
    for content in (HEADER, HEADER + "\r\n", HEADER + "\n\n\n", "sep=;\n" + HEADER + "\n"):
        assert error(write(tmp_path, content)).code == ErrorCode.NO_ROWS


def test_png_bytes(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
    err = error(write(tmp_path, png))
    assert err.code == ErrorCode.WRONG_FORMAT
    assert "PNG" in str(err)


def test_xlsx_renamed_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    path = tmp_path / "export.csv"
    wb.save(path)
    err = error(path)
    assert err.code == ErrorCode.WRONG_FORMAT
    assert "xlsx" in str(err).lower()


def test_plain_zip_and_gzip_and_xls(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.csv", "a;b\n1;2\n")
    assert error(write(tmp_path, buf.getvalue())).code == ErrorCode.WRONG_FORMAT
    assert error(write(tmp_path, b"\x1f\x8b\x08\x00" + bytes(50))).code == \
        ErrorCode.WRONG_FORMAT
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    assert "xls" in str(error(write(tmp_path, ole))).lower()


def test_random_binary_garbage(tmp_path):
    rng = np.random.default_rng(7)
    data = rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
    assert error(write(tmp_path, b"x" + data)).code in (ErrorCode.BINARY_FILE,
                                                        ErrorCode.ENCODING)


def test_xml_is_not_csv(tmp_path):
    err = error(write(tmp_path, '<?xml version="1.0"?>\n<log xes.version="1.0"></log>\n'))
    assert err.code == ErrorCode.WRONG_FORMAT


def test_missing_file(tmp_path):
    assert error(tmp_path / "nope.csv").code == ErrorCode.FILE_NOT_FOUND


# --------------------------------------------------------------------------------------------
# values stay text


def test_ids_and_na_like_values_preserved_byte_for_byte(tmp_path):
    ids = ["ABH-2024-00001", "00123", "1e5", "NA", "null", "TRUE", "-0", "N/A", "nan", "#NV",
           "1234567890123456789012345", "0x1F", "1.234,50", "01.02.2024", "АBH-1 (kyrillisch)",
           "Mu\u0308ller", "=1+1"]
    content = "Vorgangsnummer;Wert\n" + "".join(f"{v};{v}\n" for v in ids)
    raw = read(write(tmp_path, content, encoding="utf-8"))
    assert raw.frame["Vorgangsnummer"].tolist() == ids
    assert raw.frame["Wert"].tolist() == ids
    assert all(type(v) is str for v in raw.frame["Wert"])


def test_clean_file_takes_the_fast_path(tmp_path, monkeypatch):
    def no_exact(*args, **kwargs):
        raise AssertionError("exact path used for a clean file")

    monkeypatch.setattr(csv_reader, "_read_exact", no_exact)
    rows = "".join(f"{i:06d};Antrag „{i}“;03.07.2025 14:05;SB-{i % 7}\r\n" for i in range(5000))
    raw = read(write(tmp_path, HEADER + "\r\n" + rows + "\r\n\r\n"))
    assert len(raw.frame) == 5000
    assert lines(raw)[-1] == 5001


def test_holdout_like_broken_export(tmp_path):
    """Reliability anchors, holdout case 5: every defect with its physical line."""
    content = (
        "Vorgangsnummer;Tätigkeit;Betrag;Zeitpunkt\r\n"                    # 1
        "A-1;Antrag;1.234,56;03.07.2025 14:05;zu viel\r\n"                # 2 too long first
        'A-1;"Notiz; mit\r\nUmbruch";12,00;03.07.2025 14:06\r\n'          # 3-4
        "A-2;Prüfung;7,5;04.07.2025 09:00\n"                              # 5 LF only
        "A-2;Prüfung;7,5;04.07.2025 09:00;EXTRA\r\n"                      # 6 extra
        "\r\n"                                                            # 7 blank
        "A-3;Termin;0,5\r\n"                                              # 8 missing
        "A-3;Ter\x00min;0,5;05.07.2025 10:00\r\n"                         # 9 NUL
        "A-4;Bescheid;1,00;06.07.2025 11:00;\r\n"                         # 10 trailing ;
        'A-5;"Ende;1,00;07.07.2025 12:00\r\n'                             # 11 unclosed
    )
    path = write(tmp_path, content)
    err = error(path)
    assert err.code == ErrorCode.BAD_ROW and err.row == 2
    raw = read(path, skip_bad_rows=True)
    assert lines(raw) == [3, 5, 10]
    assert {d.row for d in raw.dropped} == {2, 6, 8, 9, 11}
    assert raw.events_read == len(raw.frame) + len(raw.dropped) == 8
    assert raw.frame["Betrag"].tolist() == ["12,00", "7,5", "1,00"]
    assert raw.frame["Zeitpunkt"].tolist()[-1] == "06.07.2025 11:00"


# --------------------------------------------------------------------------------------------
# properties

CP1252_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ0129 -/.:äöüÄÖÜß€„“”–é;,\"'\n\r\t")), max_size=12)
ID_TEXT = st.from_regex(r"(ABH-20[0-9]{2}-[0-9]{5}|0[0-9]{1,4}|NA|null|TRUE|1e5)",
                        fullmatch=True)


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(ID_TEXT, CP1252_TEXT, CP1252_TEXT, CP1252_TEXT), min_size=1,
                     max_size=12),
       newline=st.sampled_from(["\r\n", "\n"]),
       blank_after=st.sets(st.integers(0, 12), max_size=3))
def test_property_csv_module_tables_round_trip_with_lines(tmp_path, rows, newline,
                                                          blank_after):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator=newline)
    # csv.writer quotes only the characters of its own line terminator; a lone CR in a
    # value written with "\n" endings would be a line break to every CSV reader
    quote_all = csv.writer(out, delimiter=";", lineterminator=newline,
                           quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER.split(";"))
    expected_lines = []
    for i, row in enumerate(rows):
        expected_lines.append(_breaks(out.getvalue()) + 1)
        (quote_all if any("\r" in v for v in row) else writer).writerow(row)
        if i in blank_after:
            out.write(newline)
    data = out.getvalue().encode("cp1252")
    try:
        data.decode("utf-8")
        assume(data.isascii())  # cp1252 bytes that happen to be valid UTF-8 are ambiguous
    except UnicodeDecodeError:
        pass
    path = tmp_path / "prop.csv"
    path.write_bytes(data)
    raw = read_csv_raw(path, ImportOptions())
    expected = [[v.strip(WHITESPACE) or None for v in row] for row in rows]
    assert cells(raw) == expected
    assert lines(raw) == expected_lines
    assert raw.events_read == len(rows)


BODY_TEXT = st.text(alphabet=st.sampled_from(list('ab ;"\n\r\x00,')), max_size=60)


@settings(max_examples=400, deadline=None)
@given(body=BODY_TEXT)
def test_property_fast_path_agrees_with_exact_path(body):
    """Whenever the pyarrow path accepts a file, the csv-module path reads the same."""
    buf = ("A;B;C\n" + body).encode("utf-8")
    try:
        dialect = csv_reader._dialect(buf, ImportOptions(sep=";"), "x.csv")
    except InputError:
        return
    fast = csv_reader._read_fast(buf, dialect) if b"\x00" not in buf else None
    try:
        exact = csv_reader._read_exact(buf.decode("utf-8"), dialect, False, "x.csv")
    except InputError:
        assert fast is None, "the fast path accepted a file the exact path refuses"
        return
    if fast is None:
        return
    assert fast.lines.tolist() == exact.lines.tolist()
    assert [c.tolist() for c in fast.columns] == [c.tolist() for c in exact.columns]
    assert fast.notes == exact.notes


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_file_with_one_cp1252_byte_blames_that_line(tmp_path, bom):
    """Issue 14: a UTF-8-with-BOM CSV with one cp1252 byte on line 3 was blamed on line 1
    (the ä of its header, taken for UTF-8 inside a cp1252 file)."""
    data = ("Aktenzeichen;Tätigkeit;Zeitpunkt\nA-1;Antrag;01.12.2025 10:00\n".encode()
            + b"A-1;Pr\xfcfung;02.12.2025 10:00\n"
            + "A-1;Bescheid ändern;03.12.2025 10:00\n".encode())
    err = error(write(tmp_path, (b"\xef\xbb\xbf" if bom else b"") + data))
    assert err.code == ErrorCode.ENCODING
    assert err.row == 3
    assert "0xFC" in err.message and "byte 7 of the line" in err.message


@pytest.mark.parametrize("title", [
    "Export Fachverfahren ABH, Stand 01.12.2025\n",
    "Export Fachverfahren ABH, Stand 01.12.2025;;\n\n",        # padded by Excel, blank line
    '"Export; Fachverfahren"\nAusländerbehörde Musterstadt\n',  # two title lines, quoted ;
])
def test_title_lines_above_the_header_are_skipped(tmp_path, title):
    """Issue 14: a CSV with a title line above the header was not recognised."""
    body = "Aktenzeichen;Tätigkeit;Zeitpunkt\nA-1;Antrag;01.12.2025 10:00\n" \
           "A-1;Prüfung;02.12.2025 11:00\n"
    raw = read(write(tmp_path, title + body))
    header_line = title.count("\n") + 1
    assert list(raw.frame.columns) == ["Aktenzeichen", "Tätigkeit", "Zeitpunkt", "source_row"]
    assert raw.frame["source_row"].tolist() == [header_line + 1, header_line + 2]
    assert any("title above the header" in n and n.startswith("line 1 ") for n in raw.notes)


def test_title_line_needs_a_known_header_below_it(tmp_path):
    """A one-column first line over columns nobody knows stays the header (as before); a
    mapping naming a column makes it a title."""
    text = "Bericht\nNr;Etappe;Wann\n1;a;01.12.2025 10:00\n"
    err = error(write(tmp_path, text))
    assert err.code == ErrorCode.BAD_ROW and err.row == 2
    raw = read(write(tmp_path, text), columns={"case_id": "Nr"})
    assert raw.frame["source_row"].tolist() == [3]
