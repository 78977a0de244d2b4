"""Hostile and awkward input files, generated (no binary blobs in the repository).

Used by the tests as fixtures; `python tests/hostile.py DIR` writes them all into DIR to try by hand
(`ipcheck screen DIR/far_cell.xlsx -o out.xlsx`, or upload them to the service), including the
full-size decompression bomb of issue 13 (about 7 MB of xlsx holding 1.27 GB of sheet XML).
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["统一社会信用代码", "企业名称", "成立日期", "注册地行政区划代码", "国民经济行业代码"]
ROW = ["91500105MA5U00011E", "示例甲", "2024-03-01", "500105", "M7520"]
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
HIDDEN = ' state="hidden"'
SHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row_xml(number: int, values: list[str]) -> str:
    cells = "".join(cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: list[list[str]], extra: str = "", dimension: str | None = None) -> str:
    body = "".join(row_xml(n, values) for n, values in enumerate(rows, start=1))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{body}{extra}</sheetData></worksheet>'
    )


def write_xlsx(path: Path, sheets: list[tuple[str, str, bool]]) -> Path:
    """A minimal valid workbook: (name, sheet XML, hidden) per sheet, strings inline."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"{HIDDEN if hidden else ""}/>'
        for i, (name, _, hidden) in enumerate(sheets, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{SHEET_TYPE}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
            'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {REL_NS}><sheets>{entries}</sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        for i, (_, xml, _) in enumerate(sheets, 1):
            book.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


def far_cell(path: Path, ref: str = "XFD1048576") -> Path:
    """A few KB: a normal table plus one cell far away (calamine would allocate up to 549 GB)."""
    return write_xlsx(
        path,
        [
            (
                "申报企业",
                sheet_xml(
                    [HEADER, ROW], extra=f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">{cell(ref, "x")}</row>'
                ),
                False,
            )
        ],
    )


def far_cell_without_refs(path: Path, columns: int = 20_000) -> Path:
    """The same trick without r= attributes: one row of many cells, each implicitly after the last."""
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * columns
    return write_xlsx(path, [("申报企业", sheet_xml([HEADER, ROW], extra=f"<row>{cells}</row>"), False)])


def declared_far(path: Path) -> Path:
    """A small table whose <dimension> claims the whole Excel grid."""
    return write_xlsx(path, [("申报企业", sheet_xml([HEADER, ROW], dimension="A1:XFD1048576"), False)])


def bomb(path: Path, xml_bytes: int) -> Path:
    """A workbook whose sheet XML inflates to about `xml_bytes` (highly repetitive rows, deflate level 9)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        write_xlsx_parts(book)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
            sheet.write(row_xml(1, HEADER).encode())
            block = "".join(
                f'<row r="2"><c r="B2" t="inlineStr"><is><t>{"甲" * 60}</t></is></c></row>' for _ in range(2000)
            ).encode()
            for _ in range(max(1, xml_bytes // len(block))):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def write_xlsx_parts(book: zipfile.ZipFile) -> None:
    """Every part of a one-sheet workbook but the sheet itself."""
    tmp = Path(book.filename or "x").with_suffix(".parts.xlsx")
    write_xlsx(tmp, [("申报企业", "", False)])
    with zipfile.ZipFile(tmp) as parts:
        for name in parts.namelist():
            if not name.startswith("xl/worksheets/"):
                book.writestr(name, parts.read(name))
    tmp.unlink()


def hidden_first_sheet(path: Path) -> Path:
    """An empty hidden first sheet, the applicants on the second (used to screen 0 rows)."""
    return write_xlsx(path, [("模板", sheet_xml([]), True), ("申报企业", sheet_xml([HEADER, ROW]), False)])


def two_sheets(path: Path) -> Path:
    """Applicants on two sheets: which one is meant must be said (--sheet)."""
    other = ["91500105MA5U00011E", "示例乙", "2015-06-18", "500105", "C3484"]
    return write_xlsx(
        path,
        [
            ("第一批", sheet_xml([HEADER, ROW]), False),
            ("第二批", sheet_xml([HEADER, other]), False),
            ("备注", sheet_xml([["仅供内部"]]), True),
        ],
    )


def blank_lines_xlsx(path: Path) -> Path:
    """Data rows 2 and 4 with row 3 blank: row numbers must be the spreadsheet's."""
    later = ["", "示例丙", "2024-01-01", "500105", "M7520"]
    xml = sheet_xml([HEADER]).replace("</sheetData>", row_xml(2, ROW) + row_xml(4, later) + "</sheetData>")
    return write_xlsx(path, [("申报企业", xml, False)])


ALL = {
    "far_cell.xlsx": far_cell,
    "zz200000.xlsx": lambda p: far_cell(p, "ZZ200000"),
    "far_cell_without_refs.xlsx": far_cell_without_refs,
    "declared_far.xlsx": declared_far,
    "hidden_first_sheet.xlsx": hidden_first_sheet,
    "two_sheets.xlsx": two_sheets,
    "blank_lines.xlsx": blank_lines_xlsx,
}

if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in ALL.items():
        make(folder / name)
    bomb(folder / "bomb.xlsx", 1_270_000_000)
    for path in sorted(folder.iterdir()):
        print(f"{path}  {path.stat().st_size:,} bytes")
