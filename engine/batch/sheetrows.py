"""Worksheet rows as SpreadsheetML, built column-wise with Arrow, for sheets of many rows.

xlsxwriter lays out the workbook (formats, widths, frozen panes, filters, conditional formats,
charts, the small sheets); the large sheets' rows are generated here and spliced into the sheets'
XML when the workbook is closed. Texts go to the workbook's shared-string table, as Excel itself
writes them: a reason repeated on 20,000 rows is stored once and each cell holds its number. Rows
are kept as small Arrow batches (string numbers and values) in a temporary file until the splice,
when the numbers xlsxwriter's own strings and styles already use are known. Why not a faster
library instead: docs/decisions/0003-workbook-rows-with-arrow.md.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.background import Behind

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
MAX_TEXT = 32_767  # Excel's limit per cell
MONEY = 4  # SpreadsheetML's built-in number format 4: #,##0.00
SLICE = 2_048  # rows turned into XML at a time: compressing one slice overlaps building the next
SHARED_STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"


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
    """One column of a sheet: its values and, for numbers, a built-in number format (0 = General)."""

    values: pa.Array | pa.ChunkedArray
    number_format: int = 0


def escaped(texts: pa.Array) -> pa.Array:
    """Texts as XML character data, column-wise: characters XML 1.0 forbids dropped, cut to Excel's limit."""
    texts = pc.replace_substring_regex(texts, _ILLEGAL.pattern, "")
    texts = pc.utf8_slice_codeunits(texts, 0, MAX_TEXT)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        texts = pc.replace_substring(texts, char, entity)
    return texts


def _is_text(values: pa.Array) -> bool:
    kind = values.type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)


class Strings:
    """The texts of the generated cells, numbered in order of first use (empty texts are no cell)."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.uses = 0

    def ids(self, values: pa.Array) -> pa.Array:
        """Per cell the number of its text (null for an empty cell); each distinct text looked up once."""
        if not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values)
        texts = values.dictionary.cast(pa.string()).to_pylist()
        known = self.number
        ids = np.array([-1 if not t else known.setdefault(t, len(known)) for t in texts] or [-1], dtype=np.int64)
        picked = pa.array(ids).take(values.indices)
        picked = pc.if_else(pc.equal(picked, -1), pa.scalar(None, pa.int64()), picked)
        self.uses += len(picked) - picked.null_count
        return picked

    def xml(self) -> Iterator[bytes]:
        """The `<si>` entries of the texts, in number order, a slice at a time (compressing one can overlap
        building the next: a 20,000-row screening has ≈ 160,000 distinct reason texts)."""
        texts = pa.array(list(self.number), type=pa.string())
        for start in range(0, len(texts), SLICE * 8):
            piece = escaped(texts.slice(start, SLICE * 8))
            yield _concatenated(pc.binary_join_element_wise('<si><t xml:space="preserve">', piece, "</t></si>", ""))


def _cells(col: int, numbers: pa.Array, values: pa.Array, style: int, text: bool) -> pa.Array:
    """`<c>` elements of one column (null where the cell is empty)."""
    head = f'<c r="{letters(col)}'
    if text:  # values: shared-string numbers (already offset)
        return pc.binary_join_element_wise(head, numbers, '" t="s"><v>', values.cast(pa.string()), "</v></c>", "")
    if pa.types.is_boolean(values.type):
        shown = pc.if_else(values, "1", "0")
        return pc.binary_join_element_wise(head, numbers, '" t="b"><v>', shown, "</v></c>", "")
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, values.type))
    kind = f'" s="{style}"><v>' if style else '"><v>'
    return pc.binary_join_element_wise(head, numbers, kind, pc.cast(values, pa.string()), "</v></c>", "")


def rows_xml(batch: pa.Table, first_row: int, text: list[bool], styles: list[int], base: int) -> bytes:
    """`<row>` elements for a stored batch; Excel row numbers from `first_row` (1-based); text columns hold
    shared-string numbers counted from `base`."""
    n = batch.num_rows
    if n == 0:
        return b""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + n, dtype=np.int64)), pa.string())
    cells = []
    for col in range(batch.num_columns):
        values = batch.column(col).combine_chunks()
        if text[col] and base:
            values = pc.add(values, base)
        cells.append(_cells(col, numbers, values, styles[col], text[col]))
    body = pc.binary_join_element_wise(*cells, "", null_handling="replace", null_replacement="")
    return _concatenated(pc.binary_join_element_wise('<row r="', numbers, '">', body, "</row>", ""))


def _concatenated(texts: pa.Array) -> bytes:
    """All the (non-null) strings of an array end to end: its value buffer, without Python strings."""
    texts = texts.cast(pa.large_string())
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64, count=len(texts) + 1, offset=texts.offset * 8)
    return texts.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]


@dataclass
class Rows:
    """Rows for one sheet, appended batch by batch (as Arrow, texts as string numbers) to a temporary file."""

    sheet_index: int  # 1-based position of the sheet in the workbook
    width: int  # number of columns
    next_row: int  # Excel row number of the next row
    strings: Strings
    first_row: int = 0
    text: list[bool] = field(default_factory=list)
    formats: list[int] = field(default_factory=list)
    handle: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115 — closed by splice
    writer: pa.ipc.RecordBatchStreamWriter | None = None

    def __post_init__(self) -> None:
        self.first_row = self.next_row

    def add(self, columns: list[Column]) -> None:
        if not columns or len(columns[0].values) == 0:
            return
        arrays = []
        for column in columns:
            values = column.values
            values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
            arrays.append(self.strings.ids(values) if _is_text(values) else values)
        batch = pa.record_batch(arrays, names=[f"c{i}" for i in range(len(arrays))])
        if self.writer is None:
            self.text = [_is_text(c.values) for c in columns]
            self.formats = [c.number_format for c in columns]
            self.writer = pa.ipc.new_stream(self.handle, batch.schema)
        self.writer.write_batch(batch)
        self.next_row += batch.num_rows

    def write_xml(self, out: IO[bytes], base: int, styles: dict[int, int]) -> None:
        """The stored rows as `<row>` XML, text numbers offset by `base`, number formats as cell styles."""
        if self.writer is None:
            return
        self.writer.close()
        self.handle.seek(0)
        row, style = self.first_row, [styles.get(f, 0) for f in self.formats]
        with Behind(out.write) as behind:
            for batch in pa.ipc.open_stream(self.handle):
                for start in range(0, batch.num_rows, SLICE):
                    piece = pa.Table.from_batches([batch.slice(start, SLICE)])
                    behind.write(rows_xml(piece, row, self.text, style, base))
                    row += piece.num_rows


def splice(path: Path, parts: list[Rows], strings: Strings) -> None:
    """Insert each part's rows at the end of its sheet's `<sheetData>`, their texts at the end of the
    shared-string table and the styles their number formats need at the end of the cell styles,
    rewriting the workbook once."""
    by_name = {f"xl/worksheets/sheet{p.sheet_index}.xml": p for p in parts}
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
            names = old.namelist()
            if strings.number and SHARED_STRINGS not in names:
                raise ValueError("the workbook has no shared-string table to add the rows' texts to")
            base = _count(old.read(SHARED_STRINGS).decode("utf-8"), "uniqueCount") if strings.number else 0
            formats = sorted({f for p in parts for f in p.formats if f})
            styles_xml, styles = _with_styles(old.read(STYLES).decode("utf-8"), formats)
            for item in old.infolist():
                part = by_name.get(item.filename)
                if part is not None:
                    _write_sheet(new, item.filename, old.read(item.filename).decode("utf-8"), part, base, styles)
                elif item.filename == SHARED_STRINGS and strings.number:
                    _write_strings(new, item.filename, old.read(item.filename).decode("utf-8"), strings)
                elif item.filename == STYLES:
                    new.writestr(item, styles_xml.encode("utf-8"))
                else:
                    new.writestr(item, old.read(item.filename))
        shutil.move(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _count(xml: str, attribute: str) -> int:
    found = re.search(rf'\b{attribute}="(\d+)"', xml[:1000])
    return int(found[1]) if found else 0


def _with_styles(xml: str, formats: list[int]) -> tuple[str, dict[int, int]]:
    """styles.xml with one cell style per built-in number format the generated cells use, and their numbers."""
    if not formats:
        return xml, {}
    found = re.search(r'<cellXfs count="(\d+)">', xml)
    if found is None:
        raise ValueError("the workbook's styles have no cell formats to add to")
    first = int(found[1])
    added = "".join(
        f'<xf numFmtId="{f}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' for f in formats
    )
    xml = xml.replace(found[0], f'<cellXfs count="{first + len(formats)}">', 1)
    xml = xml.replace("</cellXfs>", added + "</cellXfs>", 1)
    return xml, {f: first + i for i, f in enumerate(formats)}


def _write_strings(book: zipfile.ZipFile, name: str, xml: str, strings: Strings) -> None:
    count, unique = _count(xml, "count") + strings.uses, _count(xml, "uniqueCount") + len(strings.number)
    head, _, tail = xml.partition("</sst>")
    head = re.sub(r'\bcount="\d+"', f'count="{count}"', head, count=1)
    head = re.sub(r'\buniqueCount="\d+"', f'uniqueCount="{unique}"', head, count=1)
    with book.open(name, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        with Behind(out.write) as behind:
            for piece in strings.xml():
                behind.write(piece)
        out.write(b"</sst>" + tail.encode("utf-8"))


def _write_sheet(book: zipfile.ZipFile, name: str, xml: str, part: Rows, base: int, styles: dict[int, int]) -> None:
    last = max(part.next_row - 1, 1)
    xml = re.sub(
        r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{letters(max(part.width - 1, 0))}{last}"/>', xml, count=1
    )
    if "<sheetData/>" in xml:
        xml = xml.replace("<sheetData/>", "<sheetData></sheetData>", 1)
    head, _, tail = xml.partition("</sheetData>")
    with book.open(name, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        part.write_xml(out, base, styles)
        out.write(b"</sheetData>" + tail.encode("utf-8"))
    part.handle.close()
