"""CSV in: dialect and encoding found (or refused with a message), every bad row kept as a row.

- Encoding: a UTF-8 or UTF-16 (LE/BE) byte-order mark says it; otherwise UTF-8 if the start of the
  file decodes as UTF-8, else GBK (read as its superset GB18030).
- Delimiter: `,` `;` tab or `|`, whichever splits the header row into the most cells.
- Line endings: LF, CRLF or CR alone.
- Row numbers are the spreadsheet's: the header row's number plus the record's place after it,
  blank lines counted, so they mean the same as in an xlsx of the same table.
- Well-formed files are read by pyarrow at full speed. At the first record pyarrow cannot take
  (a row with too few or too many cells, a blank line, bytes not in the encoding, a cell over
  MAX_CELL characters) reading goes on from that record with Python's csv module, where each bad
  record becomes a row of blank cells with a `problem` (the chunk reader marks it invalid, with
  its row number) and the rest is screened.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from engine.batch.table_error import TableError

DELIMITERS = (",", ";", "\t", "|")
MAX_CELL = 32_767  # Excel's own limit on a cell's characters
PROBLEM = "problem"  # the extra column naming what is wrong with a record
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: Path, sample: int = 1 << 20) -> str:
    """The file's encoding: by byte-order mark, else utf-8 when the start decodes as UTF-8 (but for
    under 1% stray bytes, which become bad rows), else GBK."""
    with path.open("rb") as handle:
        head = handle.read(sample)
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=False)
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 127) - bad
    return "utf-8" if bad == 0 or bad * 100 < wide else "gb18030"  # a few stray bytes stay bad rows


def text_of(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text; bytes not in the encoding become lone surrogates, found per record."""
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="surrogateescape", newline="")


def undecodable(cells: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell)


def first_records(path: Path, encoding: str, n: int = 12) -> list[str]:
    """The first lines of the file (for the delimiter and the header row)."""
    with text_of(path, encoding) as handle:
        lines = []
        for line in handle:
            lines.append(line.lstrip("\ufeff").rstrip("\r\n"))
            if len(lines) >= n:
                break
    return lines


def delimiter_of(lines: list[str]) -> str:
    """The delimiter that splits some line (the header, under any title rows) into the most cells."""
    counts = {d: max((len(next(csv.reader([line], delimiter=d), [])) for line in lines), default=0) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def csv_chunks(
    path: Path, chunk_rows: int, header_at: int, delimiter: str, encoding: str
) -> Iterator[tuple[list[str], pa.Table]]:
    """(headers, table) per chunk; the header is record `header_at` (0-based, title rows above it)."""
    with text_of(path, encoding) as handle:
        records = csv.reader(handle, delimiter=delimiter)
        for _ in range(header_at):
            next(records, None)
        headers = [h.lstrip("\ufeff") for h in next(records, [])]
    if not any(h.strip() for h in headers):
        raise TableError(f"{path}: no header row", f"{path}：缺少表头行")
    if undecodable(headers):
        raise TableError(
            f"{path}: the header row is not {encoding} text; save the file as UTF-8 or GBK",
            f"{path}：表头行不是 {encoding} 编码的文本，请另存为 UTF-8 或 GBK",
        )
    done = 0
    try:
        for table in fast(path, chunk_rows, header_at + 1, delimiter, encoding, len(headers)):
            done += table.num_rows
            yield headers, table
        return
    except (pa.ArrowInvalid, UnicodeDecodeError):
        pass  # a record pyarrow cannot take: go on record by record from here
    yield from (
        (headers, t) for t in careful(path, chunk_rows, header_at + 1 + done, delimiter, encoding, len(headers))
    )


def fast(path: Path, chunk_rows: int, skip: int, delimiter: str, encoding: str, width: int) -> Iterator[pa.Table]:
    """pyarrow's reader; raises at the first record it cannot take. Only whole batches are yielded."""
    names = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=skip,
            encoding=encoding,
            block_size=max(1 << 20, chunk_rows * 200),
            use_threads=False,  # parsed in the thread that iterates it (the screening's reader), not in Arrow's pool
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        if any(_long(column) for column in batch.columns):
            raise pa.ArrowInvalid("a cell is too long")
        pending.append(batch)
        count += batch.num_rows
        if count >= chunk_rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield without_blank_tail(pa.Table.from_batches(pending))


def _long(column: pa.Array) -> bool:
    """Any cell longer than MAX_CELL characters (counted only when some cell has more bytes than that)."""
    most_bytes = pc.max(pc.binary_length(column)).as_py()  # read from the offsets
    if most_bytes is None or most_bytes <= MAX_CELL:
        return False
    biggest = pc.max(pc.utf8_length(column)).as_py()
    return biggest is not None and biggest > MAX_CELL


def careful(path: Path, chunk_rows: int, skip: int, delimiter: str, encoding: str, width: int) -> Iterator[pa.Table]:
    """Record by record from record `skip`: bad records become blank rows with a `problem`."""
    rows: list[list[str | None]] = []
    problems: list[str | None] = []
    blank_run: list[int] = []  # blank records, kept only if a record follows them
    with text_of(path, encoding) as handle:
        records = csv.reader(handle, delimiter=delimiter)
        for _ in range(skip):
            next(records, None)
        while True:
            try:
                cells = next(records, None)
            except csv.Error:  # e.g. a cell over the csv module's field limit
                cells, problem = None, "too_long"
            else:
                if cells is None:
                    break
                problem = check(cells, width, encoding)
            if cells == []:
                blank_run.append(1)
                continue
            for _ in blank_run:
                rows.append([None] * width)
                problems.append(None)
            blank_run = []
            rows.append(cells + [None] * (width - len(cells)) if problem is None else [None] * width)
            problems.append(problem)
            if len(rows) >= chunk_rows:
                yield table_of(rows, problems, width)
                rows, problems = [], []
    if rows:
        yield without_blank_tail(table_of(rows, problems, width))


def check(cells: list[str], width: int, encoding: str) -> str | None:
    """What is wrong with a record, as a code the chunk reader words; None if nothing."""
    if undecodable(cells):
        return f"undecodable:{encoding}"
    if len(cells) != width:
        return f"cells:{len(cells)}:{width}"
    if any(len(c) > MAX_CELL for c in cells):
        return "too_long"
    return None


def without_blank_tail(table: pa.Table) -> pa.Table:
    """The table without its trailing rows of blank cells (an xlsx has no such rows either)."""
    filled = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        filled |= column.is_valid().to_numpy(zero_copy_only=False)
    last = np.flatnonzero(filled)
    return table.slice(0, int(last[-1]) + 1 if len(last) else 0)


def table_of(rows: list[list[str | None]], problems: list[str | None], width: int) -> pa.Table:
    columns = [pa.array([(r[i] or None) for r in rows], type=pa.string()) for i in range(width)]
    return pa.table(columns + [pa.array(problems, type=pa.string())], names=[*(f"c{i}" for i in range(width)), PROBLEM])


def problem_words(code: str) -> tuple[str, str]:
    """(zh, en) for a problem code."""
    kind, *rest = code.split(":")
    if kind == "cells":
        return (
            f"该行有 {rest[0]} 个单元格，表头有 {rest[1]} 列，整行未读取",
            f"the row has {rest[0]} cells and the header {rest[1]} columns; the row was not read",
        )
    if kind == "undecodable":
        return (
            f"该行含有非 {rest[0]} 编码的字节，整行未读取",
            f"the row has bytes that are not {rest[0]}; the row was not read",
        )
    return (
        f"该行有单元格超过 {MAX_CELL} 个字符，整行未读取",
        f"a cell of the row is over {MAX_CELL} characters; the row was not read",
    )
