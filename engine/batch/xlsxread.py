"""One worksheet's cells as text columns, every cell where the sheet has it (row 1 is row 1, column A column A).

The reader is fastexcel (calamine, the Rust xlsx parser, straight into Arrow): it reads a 20,000-row
officer upload in about half the CPU of python-calamine's Python objects converted column by column
(docs/decisions/0004-xlsx-cells-through-fastexcel.md). The reader allocates the sheet's whole
rectangle, so it runs only behind the guard (engine.batch.xlsxguard): `guarded_sheet`.

Cells come as the text a person sees in Excel: 12.0 -> '12', a float to 15 significant digits as Excel
shows it (4130.900000000001 -> '4130.9'), true/false, a date -> 2020-01-05, a date and time ->
2020-01-05T10:30:00, a time of day -> 10:30:00; a blank cell is null. fastexcel writes dates with a
space and times on Excel's day zero, and -0 for a negative zero; `_as_typed` turns those into the
forms above, only in the columns that hold one.
"""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import Any

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.table_error import TableError
from engine.batch.xlsxguard import Sheet, SheetLimits, choose, inspect, sheets_of

Notes = list[tuple[str, str, str]]  # (sheet, zh, en) about the sheets, from xlsxguard.choose

# What fastexcel writes differently from the text above; a column without any of it is left alone.
_ODD = r"^-0$|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
_REWRITES = (
    (r"^-0$", "0"),
    (r"^1899-12-3[01] (\d{2}:\d{2}:\d{2})$", r"\1"),  # a time of day: Excel's day zero carries it
    (r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1"),  # a date
    (r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})", r"\1T\2"),  # a date and time, ISO 8601
)


def guarded_sheet(
    path: Path, wanted: str | None, limits: SheetLimits, limited: bool = False
) -> tuple[Sheet, Notes, list[pa.Array]]:
    """The sheet to screen (xlsxguard.choose), the notes about the others, and its cells — read only after
    the guard has passed the workbook, unless `limited`: in a process whose memory and CPU time are capped
    (engine.batch.isolated) the reader starts on the sheet it will most likely be given while the guard
    scans, both off the GIL, which takes the guard's ≈ 0.7 s of a 20,000-row upload off the wait. The
    guard's verdict still decides: its error wins over whatever the read gave, and a read that breaks the
    process's limits first is explained by the guard run again outside (isolated_chunks' `explain`)."""
    likely = _likely_sheet(path, wanted) if limited else None
    if likely is None:
        sheet, notes = choose(inspect(path, limits), wanted, path.name)
        return sheet, notes, sheet_text(path, sheet.name)
    read: dict[str, Any] = {}
    # A daemon thread: when the guard refuses, the process answers and exits without waiting for the read.
    reader = threading.Thread(target=_read_into, args=(read, path, likely), daemon=True)
    reader.start()
    sheet, notes = choose(inspect(path, limits), wanted, path.name)
    reader.join()
    if sheet.name != likely:
        return sheet, notes, sheet_text(path, sheet.name)
    if "error" in read:
        raise read["error"]
    return sheet, notes, read["columns"]


def _likely_sheet(path: Path, wanted: str | None) -> str | None:
    """The sheet named, or the first visible one (None when the workbook cannot even list its sheets: the
    guard then says why)."""
    try:
        with zipfile.ZipFile(path) as book:
            sheets = sheets_of(book, path.name)
    except Exception:  # any failure here is the guard's to report
        return None
    if wanted is not None:
        return wanted if any(s.name == wanted for s in sheets) else None
    return next((s.name for s in sheets if not s.hidden), None)


def _read_into(read: dict[str, Any], path: Path, sheet: str) -> None:
    try:
        read["columns"] = sheet_text(path, sheet)
    except BaseException as e:  # handed to the caller once the guard has passed the workbook (a panic too)
        read["error"] = e


def sheet_text(path: Path, sheet: str) -> list[pa.Array]:
    """The sheet's columns from A to its last used column, each a string array from row 1 to its last used row."""
    try:
        loaded = fastexcel.read_excel(str(path)).load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
        batch = loaded.to_arrow()
    except Exception as e:  # the reader reports corrupt or foreign files in many ways
        raise TableError(f"{path}: cannot read the workbook: {e}", f"{path}：无法读取工作簿：{e}") from None
    if batch.num_columns == 0:
        return []
    # fastexcel starts at the first used column; the columns before it are blank in the sheet.
    leading = loaded.available_columns()[0].absolute_index
    blank = pa.nulls(batch.num_rows, pa.string())
    return [blank] * leading + [_as_typed(column) for column in batch.columns]


def _as_typed(column: pa.Array) -> pa.Array:
    if not pc.any(pc.match_substring_regex(column, _ODD)).as_py():
        return column
    for pattern, replacement in _REWRITES:
        column = pc.replace_substring_regex(column, pattern, replacement)
    return column
