"""An officer's workbook read as the text a person sees in Excel, every cell where the sheet has it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from engine.batch.tabular import read_table
from engine.batch.xlsxread import sheet_text

# (what a program wrote into the cell, the text read back)
CELLS = [
    (12.0, "12"),
    (186.4, "186.4"),
    (-0.0, "0"),
    (0.1 + 0.2, "0.3"),
    (4130.900000000001, "4130.9"),  # Excel shows 15 significant digits, and so does the reader
    (0.5, "0.5"),
    (True, "true"),
    (False, "false"),
    ("  text ", "  text "),  # spaces are the table reader's business, not the cell reader's
    ("N/A", "N/A"),
    ("0012", "0012"),
    ("91500105MA5U12345X", "91500105MA5U12345X"),
    (dt.datetime(2020, 1, 5), "2020-01-05"),
    (dt.datetime(2020, 1, 5, 10, 30), "2020-01-05T10:30:00"),
    (dt.time(12, 30), "12:30:00"),
    (None, None),
]


def _write(path: Path, top: int = 0, left: int = 0) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("申报")
    when, clock = book.add_format({"num_format": "yyyy-mm-dd"}), book.add_format({"num_format": "hh:mm"})
    sheet.write(top, left, "h")
    for row, (value, _) in enumerate(CELLS, top + 1):
        if isinstance(value, dt.datetime):
            sheet.write_datetime(row, left, value, when)
        elif isinstance(value, dt.time):
            sheet.write_datetime(row, left, value, clock)
        elif value is not None:
            sheet.write(row, left, value)
    sheet.write(top + len(CELLS) + 1, left, "end")
    book.close()


def test_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    _write(tmp_path / "a.xlsx")
    (column,) = sheet_text(tmp_path / "a.xlsx", "申报")
    assert column.to_pylist() == ["h", *(text for _, text in CELLS), "end"]


def test_blank_rows_and_columns_before_the_table_keep_every_position(tmp_path: Path) -> None:
    """The reader starts at the first used cell; rows and columns before it must come back blank, or the
    row numbers in 数据问题 and the column numbers in header errors would point at the wrong cells."""
    _write(tmp_path / "a.xlsx", top=3, left=2)
    columns = sheet_text(tmp_path / "a.xlsx", "申报")
    assert len(columns) == 3 and columns[0].null_count == columns[1].null_count == len(columns[2])
    assert columns[2].to_pylist()[:4] == [None, None, None, "h"]


def test_a_title_row_and_a_blank_margin_give_excel_row_numbers(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"))
    sheet = book.add_worksheet()
    sheet.write(1, 1, "江北区知识产权资助申报汇总表")  # B2: a title; row 1 and column A are blank
    sheet.write_row(2, 1, ["企业名称", "营业收入（万元）", "从业人员数（人）"])  # B3: the header
    sheet.write_row(3, 1, ["甲公司", 5200, 86])  # row 4: the first applicant
    book.close()
    table = read_table(tmp_path / "b.xlsx")
    assert table.headers == ["", "企业名称", "营业收入（万元）", "从业人员数（人）"]
    assert table.options.first_row == 4
    assert table.chunks[0].to_pylist() == [{"c0": None, "c1": "甲公司", "c2": "5200", "c3": "86"}]
