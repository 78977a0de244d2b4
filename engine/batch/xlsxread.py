"""One worksheet's cells as text columns, every cell where the sheet has it (row 1 is row 1, column A column A).

The reader is fastexcel (calamine, the Rust xlsx parser, straight into Arrow): it reads a 20,000-row
officer upload in about half the CPU of python-calamine's Python objects converted column by column
(docs/decisions/0004-xlsx-cells-through-fastexcel.md). Callers pass the sheet the guard
(engine.batch.xlsxguard) has inspected: the reader allocates the sheet's whole rectangle.

Cells come as the text a person sees in Excel: 12.0 -> '12', a float to 15 significant digits as Excel
shows it (4130.900000000001 -> '4130.9'), true/false, a date -> 2020-01-05, a date and time ->
2020-01-05T10:30:00, a time of day -> 10:30:00; a blank cell is null. fastexcel writes dates with a
space and times on Excel's day zero, and -0 for a negative zero; `_as_typed` turns those into the
forms above, only in the columns that hold one.
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.table_error import TableError

# What fastexcel writes differently from the text above; a column without any of it is left alone.
_ODD = r"^-0$|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
_REWRITES = (
    (r"^-0$", "0"),
    (r"^1899-12-3[01] (\d{2}:\d{2}:\d{2})$", r"\1"),  # a time of day: Excel's day zero carries it
    (r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1"),  # a date
    (r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})", r"\1T\2"),  # a date and time, ISO 8601
)


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
