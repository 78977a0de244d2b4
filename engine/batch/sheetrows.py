"""Worksheet rows as SpreadsheetML, built column-wise with Arrow, for sheets of many rows.

xlsxwriter lays out the workbook (formats, widths, frozen panes, filters, conditional formats,
charts, the small sheets); the large sheets' rows are generated here, a whole column at a time
(each distinct text escaped once, cell references joined by Arrow's string kernels), streamed to
a temporary file and spliced into the sheet's XML when the workbook is closed. Why not a faster
library instead: docs/decisions/0003-workbook-rows-with-arrow.md.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
MAX_TEXT = 32_767  # Excel's limit per cell


def letters(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass
class Column:
    """One column of a sheet: its values and the xf (style) index of its cells (0 = none)."""

    values: pa.Array
    style: int = 0


def escaped(texts: pa.Array) -> pa.Array:
    """Texts as XML character data, column-wise: characters XML 1.0 forbids dropped, cut to Excel's limit."""
    texts = pc.replace_substring_regex(texts, _ILLEGAL.pattern, "")
    texts = pc.utf8_slice_codeunits(texts, 0, MAX_TEXT)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        texts = pc.replace_substring(texts, char, entity)
    return texts


def _text_tails(values: pa.Array) -> pa.Array:
    """Per row the rest of a text cell after its reference: `" t="inlineStr"><is><t>...</t></is></c>` (null = empty);
    each distinct text is escaped once."""
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    texts = values.dictionary.cast(pa.string())
    texts = pc.if_else(pc.equal(texts, ""), pa.scalar(None, pa.string()), texts)
    tails = pc.binary_join_element_wise(
        '" t="inlineStr"><is><t xml:space="preserve">', escaped(texts), "</t></is></c>", ""
    )
    return tails.take(values.indices)


def _number_tails(values: pa.Array, style: int) -> pa.Array:
    kind = values.type
    if pa.types.is_boolean(kind):
        text = pc.if_else(values, "1", "0")
        return pc.binary_join_element_wise('" t="b"><v>', text, "</v></c>", "")
    if pa.types.is_floating(kind):
        values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, kind))
    shown = pc.cast(values, pa.string())
    head = f'" s="{style}"><v>' if style else '"><v>'
    return pc.binary_join_element_wise(head, shown, "</v></c>", "")


def rows_xml(columns: list[Column], first_row: int) -> bytes:
    """`<row>` elements for the columns' values; Excel row numbers from `first_row` (1-based)."""
    n = len(columns[0].values) if columns else 0
    if n == 0:
        return b""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + n, dtype=np.int64)), pa.string())
    cells = []
    for col, column in enumerate(columns):
        values = column.values.combine_chunks() if isinstance(column.values, pa.ChunkedArray) else column.values
        text = (
            pa.types.is_string(values.type)
            or pa.types.is_large_string(values.type)
            or pa.types.is_dictionary(values.type)
        )
        tail = _text_tails(values) if text else _number_tails(values, column.style)
        cells.append(pc.binary_join_element_wise(f'<c r="{letters(col)}', numbers, tail, ""))
    body = pc.binary_join_element_wise(*cells, "", null_handling="replace", null_replacement="")
    rows = pc.binary_join_element_wise('<row r="', numbers, '">', body, "</row>", "")
    return _concatenated(rows)


def _concatenated(texts: pa.Array) -> bytes:
    """All the (non-null) strings of an array end to end: its value buffer, without Python strings."""
    texts = texts.cast(pa.large_string())
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64, count=len(texts) + 1, offset=texts.offset * 8)
    return texts.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]


@dataclass
class Rows:
    """Rows for one sheet, appended batch by batch to a temporary file."""

    sheet_index: int  # 1-based position of the sheet in the workbook
    width: int  # number of columns
    next_row: int  # Excel row number of the next row
    handle: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115 — closed by splice

    def add(self, columns: list[Column]) -> None:
        self.handle.write(rows_xml(columns, self.next_row))
        self.next_row += len(columns[0].values) if columns else 0


def splice(path: Path, parts: list[Rows]) -> None:
    """Insert each part's rows at the end of its sheet's `<sheetData>`, rewriting the workbook once."""
    by_name = {f"xl/worksheets/sheet{p.sheet_index}.xml": p for p in parts}
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
            for item in old.infolist():
                data = old.read(item.filename)
                part = by_name.get(item.filename)
                if part is None:
                    new.writestr(item, data)
                    continue
                _write_sheet(new, item.filename, data.decode("utf-8"), part)
        shutil.move(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_sheet(book: zipfile.ZipFile, name: str, xml: str, part: Rows) -> None:
    last = max(part.next_row - 1, 1)
    xml = re.sub(
        r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{letters(max(part.width - 1, 0))}{last}"/>', xml, count=1
    )
    if "<sheetData/>" in xml:
        xml = xml.replace("<sheetData/>", "<sheetData></sheetData>", 1)
    head, _, tail = xml.partition("</sheetData>")
    with book.open(name, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        part.handle.seek(0)
        shutil.copyfileobj(part.handle, out, 1 << 20)
        out.write(b"</sheetData>" + tail.encode("utf-8"))
    part.handle.close()
