"""Excel reader: sheets, typed cells, Excel row numbers, and hostile or wrong workbooks.

Workbooks are written with openpyxl in the tests; hostile ones are crafted with zipfile.
"""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import ist_analyse.io.excel as excel_reader
from ist_analyse.config import ImportOptions
from ist_analyse.errors import ConfigError, ErrorCode, InputError
from ist_analyse.io.excel import MAX_ZIP_ENTRIES, read_excel_raw

HEADER = ["Vorgangsnummer", "Tätigkeit", "Zeitpunkt", "Bearbeiter"]
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook(path: Path, rows: list[list], *, title: str = "Export",
             more: dict[str, list[list]] | None = None, hidden: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name, extra_rows in (more or {}).items():
        extra = wb.create_sheet(name)
        for row in extra_rows:
            extra.append(row)
        if name in hidden:
            extra.sheet_state = "hidden"
    wb.save(path)
    return path


def read(path: Path, **kw):
    return read_excel_raw(path, ImportOptions(**kw))


def error(path: Path, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read(path, **kw)
    return info.value


def records(raw) -> list[dict]:
    return raw.frame.to_dict("records")


def rewrite(src: Path, dst: Path, replace: dict[str, bytes] | None = None,
            add: dict[str, bytes] | None = None) -> Path:
    """Copy an .xlsx archive, replacing or adding parts."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def with_shared_strings(tmp_path: Path, sst: bytes, name: str = "sst.xlsx") -> Path:
    """A workbook whose cell A2 reads string 0 of a hand-written sharedStrings.xml."""
    base = workbook(tmp_path / "base.xlsx", [["Vorgangsnummer", "Tätigkeit"], ["X", "A"]])
    with zipfile.ZipFile(base) as zf:
        types = zf.read("[Content_Types].xml").decode()
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    types = types.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                      f'ContentType="{SST_TYPE}"/></Types>')
    sheet = sheet.replace('<c r="A2" t="inlineStr"><is><t>X</t></is></c>',
                          '<c r="A2" t="s"><v>0</v></c>')
    assert '<c r="A2" t="s">' in sheet
    return rewrite(base, tmp_path / name,
                   replace={"[Content_Types].xml": types.encode(),
                            "xl/worksheets/sheet1.xml": sheet.encode()},
                   add={"xl/sharedStrings.xml": sst})


def sst_xml(text: str = "Hallo", prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
            f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
            ).encode()


BILLION_LAUGHS = (
    '<!DOCTYPE sst [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n'.replace("&lol0;", "&lol;")
              for i in range(1, 10))
    + "]>\n")


# --------------------------------------------------------------------------------------------
# sheets


def test_first_sheet_values_and_rows(tmp_path):
    path = workbook(tmp_path / "export.xlsx", [
        HEADER,
        [12345, "Antrag eingegangen", dt.datetime(2025, 7, 3, 14, 5), "SB-07"],
        ["00123", "Gebühr 100,00 € bezahlt", dt.datetime(2025, 7, 4, 9, 30), None],
        [12346.0, "  „Prüfung“  ", "05.07.2025 11:00", True],
        [1.5, "x", dt.date(2025, 7, 6), 42],
    ], more={"Hilfe": [["a"], [1]]})
    raw = read(path)
    assert raw.format == "excel" and raw.row_label == "row"
    assert list(raw.frame.columns) == [*HEADER, "source_row"]
    rows = records(raw)
    assert [r["source_row"] for r in rows] == [2, 3, 4, 5]
    assert [r["Vorgangsnummer"] for r in rows] == ["12345", "00123", "12346", "1.5"]
    assert rows[0]["Zeitpunkt"] == dt.datetime(2025, 7, 3, 14, 5)
    assert rows[0]["Zeitpunkt"].tzinfo is None
    assert rows[2]["Zeitpunkt"] == "05.07.2025 11:00"
    assert rows[3]["Zeitpunkt"] == dt.datetime(2025, 7, 6)
    assert rows[1]["Bearbeiter"] is None
    assert rows[2]["Tätigkeit"] == "„Prüfung“"
    assert rows[2]["Bearbeiter"] == "TRUE" and rows[3]["Bearbeiter"] == "42"
    assert raw.events_read == 4 and raw.dropped == []
    assert raw.source_file == str(path)
    assert any("Export" in n for n in raw.notes)


def test_named_numbered_and_unknown_sheet(tmp_path):
    path = workbook(tmp_path / "w.xlsx", [["a"], [1]], title="Deckblatt",
                    more={"Daten": [HEADER, ["1", "A", "t", "s"]], "2": [["x"], ["y"]]})
    assert records(read(path, sheet="Daten"))[0]["Vorgangsnummer"] == "1"
    assert records(read(path, sheet="daten"))[0]["Vorgangsnummer"] == "1"
    assert records(read(path, sheet="1"))[0]["a"] == "1"
    assert records(read(path, sheet="2"))[0]["x"] == "y"  # a sheet named "2" wins
    err = error(path, sheet="Nope")
    assert err.code == ErrorCode.CONFIG
    assert "Deckblatt" in str(err) and "Daten" in str(err)
    assert error(path, sheet="9").code == ErrorCode.CONFIG


def test_hidden_first_sheet_is_not_the_default(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Versteckt"
    wb.active.append(["geheim"])
    wb.active.append([1])
    wb.active.sheet_state = "hidden"
    visible = wb.create_sheet("Sichtbar")
    visible.append(["a"])
    visible.append([2])
    wb.active = 1
    wb.save(tmp_path / "h.xlsx")
    raw = read(tmp_path / "h.xlsx")
    assert records(raw) == [{"a": "2", "source_row": 2}]
    assert records(read(tmp_path / "h.xlsx", sheet="Versteckt"))[0]["geheim"] == "1"


# --------------------------------------------------------------------------------------------
# header and rows


def test_empty_leading_rows_and_gaps_keep_excel_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for col, name in enumerate(HEADER, 1):
        ws.cell(row=4, column=col, value=name)
    ws.cell(row=5, column=1, value="A-1")
    ws.cell(row=9, column=1, value="A-2")
    ws.cell(row=9, column=4, value="SB-1")
    wb.save(tmp_path / "gaps.xlsx")
    raw = read(tmp_path / "gaps.xlsx")
    assert [r["source_row"] for r in records(raw)] == [5, 9]
    assert records(raw)[1]["Bearbeiter"] == "SB-1"
    assert records(raw)[0]["Tätigkeit"] is None


def test_merged_title_row_above_the_header_is_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Export Vorgänge 2025"
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(HEADER)
    ws.append(["A-1", "Antrag", "03.07.2025 14:05", "SB-1"])
    wb.save(tmp_path / "title.xlsx")
    raw = read(tmp_path / "title.xlsx")
    assert list(raw.frame.columns) == [*HEADER, "source_row"]
    assert records(raw)[0]["source_row"] == 4
    assert any("title" in n and "row 1" in n for n in raw.notes)


def test_merged_two_row_header_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["C1"] = "Vorgang", "Zeit"
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    ws.append(["Nummer", "Tätigkeit", "Datum", "Uhrzeit"])
    ws.append(["1", "A", "03.07.2025", "14:05"])
    wb.save(tmp_path / "twoheader.xlsx")
    err = error(tmp_path / "twoheader.xlsx")
    assert err.code == ErrorCode.DUPLICATE_HEADER and err.row == 1
    assert "B" in str(err)


def test_duplicate_header(tmp_path):
    err = error(workbook(tmp_path / "d.xlsx", [["Status", "x", "Status"], [1, 2, 3]]))
    assert err.code == ErrorCode.DUPLICATE_HEADER
    assert "Status" in str(err)


def test_table_may_start_in_column_b(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, "a", "b"])
    ws.append([None, 1, 2])
    wb.save(tmp_path / "b.xlsx")
    assert records(read(tmp_path / "b.xlsx")) == [{"a": "1", "b": "2", "source_row": 2}]


def test_value_without_header_is_a_bad_row(tmp_path):
    path = workbook(tmp_path / "v.xlsx", [["a", "b"], [1, 2], [3, 4, "stray"], [5, 6]])
    err = error(path)
    assert err.code == ErrorCode.BAD_ROW and err.row == 3
    assert "C3" in str(err)
    raw = read(path, skip_bad_rows=True)
    assert [r["source_row"] for r in records(raw)] == [2, 4]
    assert raw.events_read == len(raw.frame) + len(raw.dropped) == 3


def test_error_cell_names_the_cell(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "b", "c"])
    for i in range(2, 20):
        ws.append([f"A-{i}", i, i])
    ws["C17"] = "#N/A"
    ws["C17"].data_type = "e"
    ws["B19"] = "#DIV/0!"
    ws["B19"].data_type = "e"
    ws["A18"] = "#NV"  # text that looks like an error is text
    wb.save(tmp_path / "err.xlsx")
    err = error(tmp_path / "err.xlsx")
    assert err.code == ErrorCode.BAD_ROW and err.row == 17 and err.row_label == "row"
    assert err.column == "c"
    assert "C17" in str(err) and "#NV" in str(err)
    raw = read(tmp_path / "err.xlsx", skip_bad_rows=True)
    assert [d.row for d in raw.dropped] == [17, 19]
    assert raw.events_read == len(raw.frame) + len(raw.dropped) == 18
    assert "#NV" in raw.frame["a"].tolist()


def test_empty_sheet_header_only_and_empty_file(tmp_path):
    assert error(workbook(tmp_path / "e.xlsx", [])).code == ErrorCode.EMPTY_FILE
    assert error(workbook(tmp_path / "h.xlsx", [HEADER, [], []])).code == ErrorCode.NO_ROWS
    (tmp_path / "zero.xlsx").write_bytes(b"")
    assert error(tmp_path / "zero.xlsx").code == ErrorCode.EMPTY_FILE


def test_shared_strings_are_read(tmp_path):
    raw = read(with_shared_strings(tmp_path, sst_xml("Hallo")))
    assert records(raw)[0]["Vorgangsnummer"] == "Hallo"


# --------------------------------------------------------------------------------------------
# hostile and wrong files


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [["a"], [1]])
    with zipfile.ZipFile(base) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    padding = " " * (30 * 1024 * 1024)  # 30 MiB of blanks, compresses to ~30 KiB
    bomb = sheet.replace("<sheetData>", "<sheetData>" + padding).encode()
    path = rewrite(base, tmp_path / "bomb.xlsx", replace={"xl/worksheets/sheet1.xml": bomb})
    assert path.stat().st_size < 1024 * 1024
    started = time.perf_counter()
    err = error(path, max_bytes=10 * 1024 * 1024)
    assert err.code == ErrorCode.SIZE_LIMIT
    assert time.perf_counter() - started < 5


def test_too_many_entries(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [["a"], [1]])
    extra = {f"xl/media/x{i}.bin": b"" for i in range(MAX_ZIP_ENTRIES)}
    err = error(rewrite(base, tmp_path / "many.xlsx", add=extra))
    assert err.code == ErrorCode.SIZE_LIMIT


def test_entity_bomb_in_shared_strings(tmp_path):
    path = with_shared_strings(tmp_path, sst_xml("&lol9;", BILLION_LAUGHS))
    started = time.perf_counter()
    err = error(path)
    assert err.code == ErrorCode.XML_DTD_FORBIDDEN
    assert "sharedStrings" in str(err)
    assert time.perf_counter() - started < 5


def test_entity_bomb_behind_a_long_comment(tmp_path):
    prolog = "<!--" + "x" * (200 * 1024) + "-->\n" + BILLION_LAUGHS
    err = error(with_shared_strings(tmp_path, sst_xml("&lol9;", prolog)))
    assert err.code == ErrorCode.XML_DTD_FORBIDDEN
    assert "sharedStrings" in str(err)


def test_defusedxml_refuses_entities_even_without_the_prescan(tmp_path, monkeypatch):
    """Second layer: openpyxl parses sheets and shared strings through defusedxml."""
    monkeypatch.setattr(excel_reader, "_refuse_declarations", lambda *args: None)
    started = time.perf_counter()
    err = error(with_shared_strings(tmp_path, sst_xml("&lol9;", BILLION_LAUGHS)))
    assert err.code == ErrorCode.XML_DTD_FORBIDDEN
    assert time.perf_counter() - started < 5


def test_doctype_in_workbook_part(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [["a"], [1]])
    with zipfile.ZipFile(base) as zf:
        part = zf.read("xl/workbook.xml").decode()
    part = part.replace("<workbook", BILLION_LAUGHS + "<workbook", 1)
    err = error(rewrite(base, tmp_path / "wb.xlsx", replace={"xl/workbook.xml": part.encode()}))
    assert err.code == ErrorCode.XML_DTD_FORBIDDEN
    assert "xl/workbook.xml" in str(err)


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-7f3a")
    prolog = f'<!DOCTYPE sst [<!ENTITY x SYSTEM "file://{secret}">]>\n'
    err = error(with_shared_strings(tmp_path, sst_xml("&x;", prolog)))
    assert err.code == ErrorCode.XML_DTD_FORBIDDEN
    assert "CANARY" not in str(err)


def test_forged_row_number_fails_fast(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [["a"], [1], [2]])
    with zipfile.ZipFile(base) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    forged = sheet.replace('<row r="3"><c r="A3"', '<row r="999999999"><c r="A999999999"')
    assert forged != sheet
    path = rewrite(base, tmp_path / "forged.xlsx",
                   replace={"xl/worksheets/sheet1.xml": forged.encode()})
    started = time.perf_counter()
    assert error(path).code == ErrorCode.WRONG_FORMAT
    assert time.perf_counter() - started < 5


def test_csv_renamed_xlsx(tmp_path):
    path = tmp_path / "renamed.csv.xlsx"
    path.write_bytes("Vorgangsnummer;Tätigkeit\n1;Antrag\n".encode("cp1252"))
    err = error(path)
    assert err.code == ErrorCode.WRONG_FORMAT
    assert "csv" in str(err).lower()


def test_old_xls(tmp_path):
    path = tmp_path / "alt.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    err = error(path)
    assert err.code == ErrorCode.WRONG_FORMAT
    assert ".xlsx" in str(err)


def test_real_xlsx_named_xls_is_read_by_content(tmp_path):
    path = workbook(tmp_path / "export.xls", [["a"], [1]])
    assert records(read(path)) == [{"a": "1", "source_row": 2}]


def test_html_table_saved_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>a</td></tr></table></body></html>")
    assert error(path).code == ErrorCode.WRONG_FORMAT


def test_other_zip_archives_and_damaged_zip(tmp_path):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.csv", "a;b\n")
    assert error(path).code == ErrorCode.WRONG_FORMAT
    good = workbook(tmp_path / "good.xlsx", [["a"], [1]])
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[:600])
    assert error(damaged).code == ErrorCode.WRONG_FORMAT


def test_png_named_xlsx(tmp_path):
    path = tmp_path / "bild.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    err = error(path)
    assert err.code == ErrorCode.WRONG_FORMAT and "PNG" in str(err)


def test_missing_file(tmp_path):
    assert error(tmp_path / "nope.xlsx").code == ErrorCode.FILE_NOT_FOUND


def test_refuses_to_open_without_defusedxml(tmp_path, monkeypatch):
    import openpyxl.xml

    path = workbook(tmp_path / "w.xlsx", [["a"], [1]])
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(ConfigError):
        read(path)


# --------------------------------------------------------------------------------------------
# the sheet decoder against openpyxl's own parser


def openpyxl_rows(path: Path) -> dict[int, dict[int, object]]:
    """Non-empty cells as openpyxl's read-only reader gives them, in the reader's form."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    out: dict[int, dict[int, object]] = {}
    for row_number, row in enumerate(ws.iter_rows(), 1):
        for cell in row:
            if getattr(cell, "value", None) is None:
                continue
            if cell.data_type == "e":
                value = ("error", str(cell.value))
            else:
                value = excel_reader._value(cell.value)
                if value is None:
                    continue
            out.setdefault(row_number, {})[cell.column] = value
    wb.close()
    return out


def our_rows(path: Path) -> dict[int, dict[int, object]]:
    with open(path, "rb") as fh:
        book = excel_reader._open_book(fh, str(path))
        try:
            rows = excel_reader._sheet_rows(book, book.sheets[0], str(path),
                                            ImportOptions().max_bytes)
            return {r: {c: ("error", v.code) if isinstance(v, excel_reader._ErrorCell) else v
                        for c, v in cells.items()}
                    for r, cells in rows if cells}
        finally:
            book.archive.close()


@pytest.mark.parametrize("epoch_1904", [False, True])
def test_decoder_matches_openpyxl_on_typed_cells(tmp_path, epoch_1904):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Text", "Zahl", "Datum", "Zeit", "Dauer", "Wahr"])
    ws.append(["  Müller  ", 12345, dt.datetime(2025, 3, 30, 2, 30), dt.time(14, 5),
               dt.timedelta(hours=30, minutes=5), True])
    ws.append(["", 1.5e-7, dt.date(1999, 12, 31), None, None, False])
    ws.append([None, -0.0, dt.datetime(2025, 1, 1), None, None, None])
    ws["B5"] = 10**20
    ws["E3"] = 2.25
    ws["E3"].number_format = "[h]:mm:ss"
    ws["F5"] = "=1+1"  # a formula without a cached value
    wb.save(tmp_path / "typed.xlsx")
    assert our_rows(tmp_path / "typed.xlsx") == openpyxl_rows(tmp_path / "typed.xlsx")


def test_decoder_matches_openpyxl_on_handwritten_cells(tmp_path):
    sst = (f'<sst xmlns="{MAIN_NS}" count="3" uniqueCount="3"><si><t>Antrag</t></si>'
           '<si><r><t>Prüf</t></r><r><rPr><b/></rPr><t>ung</t></r>'
           '<rPh sb="0" eb="1"><t>x</t></rPh></si>'
           '<si><t xml:space="preserve">  </t></si></sst>').encode()
    path = with_shared_strings(tmp_path, sst)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    rows = ('<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c></row>'
            '<row r="4"><c r="A4" t="e"><v>#N/A</v></c><c r="B4" t="str"><v>ok</v></c></row>'
            '<row r="5"><c t="b"><v>0</v></c><c t="n"><v>1E3</v></c><c><v>7</v></c></row>'
            '<row><c r="C6" t="d"><v>2025-07-03T14:05:00</v></c>'
            '<c r="D6" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>'
            '<row r="8"><c r="A8"><f>SUM(1)</f><v>3</v></c><c r="B8" t="s"><v>0</v></c>'
            '<c r="C8" t="inlineStr"/></row>')
    sheet = sheet.replace("</sheetData>", rows + "</sheetData>")
    path = rewrite(path, tmp_path / "hand.xlsx",
                   replace={"xl/worksheets/sheet1.xml": sheet.encode()})
    ours = our_rows(path)
    assert ours == openpyxl_rows(path)
    assert ours[3] == {1: "Prüfung"}
    assert ours[6] == {3: dt.datetime(2025, 7, 3, 14, 5), 4: "ab"}


def _sheet_with(tmp_path: Path, make_rows) -> Path:
    """A workbook whose sheet1 has the rows ``make_rows(part)`` streams into it (compressed
    as it is written, so a sheet of many MiB costs little disk, memory and time)."""
    base = workbook(tmp_path / "base.xlsx", [["a", "b"], [1, 2]])
    dst = tmp_path / "big.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED,
                                                       compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info.filename, zin.read(info.filename))
                continue
            head, _, tail = zin.read(info.filename).partition(b"<sheetData>")
            with zout.open(info.filename, "w", force_zip64=True) as part:
                part.write(head + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a'
                           b'</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row>')
                make_rows(part)
                part.write(b"</sheetData>" + tail.partition(b"</sheetData>")[2])
    return dst


def test_sheet_larger_than_its_share_of_max_bytes_fails_before_parsing(tmp_path):
    """Issue 14: an .xlsx whose sheet unpacks to ~3 GiB ran 8 minutes, then MemoryError.
    The sheet's declared size is checked first (here 8 MiB against 4 MiB = 16 MiB / 4)."""
    row = b"".join(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(1000))

    def rows(part):
        for _ in range(8 * 1024 * 1024 // len(row)):
            part.write(row)

    path = _sheet_with(tmp_path, rows)
    err = error(path, max_bytes=16 * 1024 * 1024)
    assert err.code == ErrorCode.SIZE_LIMIT and err.file == str(path)
    assert "worksheet" in err.message


def test_one_row_of_millions_of_cells_is_refused_while_unpacked(tmp_path, monkeypatch):
    """lxml builds a whole <row> before the reader sees it: a row beyond MAX_ROW_BYTES is
    refused as the bytes arrive, long before its cells fill the memory."""
    monkeypatch.setattr(excel_reader, "MAX_ROW_BYTES", 1 << 20)
    cells = b"<c><v>1</v></c>" * 10_000

    def rows(part):
        part.write(b'<row r="2">')
        for _ in range(30):  # 4.5 MiB in one row
            part.write(cells)
        part.write(b"</row>")

    err = error(_sheet_with(tmp_path, rows))
    assert err.code == ErrorCode.SIZE_LIMIT
    assert "the row after row 1" in err.message
