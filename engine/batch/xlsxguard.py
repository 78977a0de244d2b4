"""Look at an untrusted xlsx before the reader does: sizes, dimensions and sheets, within limits.

The xlsx reader (calamine, inside fastexcel) allocates the whole rectangle from A1 to the farthest cell at once:
one cell at XFD1048576 asks for 549 GB and aborts the process, and a few MB of zip can hold
gigabytes of sheet XML. So before any sheet is read this module checks, against `SheetLimits`:
- the zip's declared uncompressed sizes (total) and compression ratio (per part);
- each worksheet's declared `<dimension ref=…>` and its actual farthest row and column, found by
  streaming its XML in bounded chunks (a tag longer than a chunk is refused) and counting the
  bytes actually inflated, so a lying zip directory or dimension changes nothing;
- which sheets hold data and which are hidden, so every sheet is either screened or reported.
Exceeding a limit is a `TableError` naming the limit in Chinese and English.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from engine.batch.table_error import LimitError, TableError

CHUNK = 1 << 20
MAX_TAG = 64 * 1024  # no real tag is longer; a longer one is refused, not buffered
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


@dataclass(frozen=True)
class SheetLimits:
    """What a workbook may ask of the reader. The defaults fit the command line on a 24 GB machine
    (about 64 million cells, a million rows of 60 columns); the service passes tighter ones."""

    rows: int = EXCEL_ROWS
    columns: int = 1_000
    cells: int = 64_000_000  # rows x columns of the rectangle the reader allocates (~32 bytes each)
    unzipped_bytes: int = 4 << 30  # all parts of the zip, inflated
    ratio: int = 100  # inflated / compressed, per part (Apache POI's default)
    # With ReadOptions.isolate (the service), the read runs in a child process (engine.batch.isolated)
    # that may map this much memory beyond its own and use this much CPU time.
    memory_bytes: int = 4 << 30
    cpu_seconds: int = 300


class SheetChoice(TableError):
    """Several sheets hold data and none was chosen; `sheets` are the candidates, (name, hidden)."""

    def __init__(self, en: str, zh: str, sheets: list[tuple[str, bool]]) -> None:
        super().__init__(en, zh)
        self.sheets = sheets


@dataclass
class Shape:
    """What a streamed scan of one worksheet found."""

    rows: int = 0  # farthest row number
    columns: int = 0  # farthest column number
    content: bool = False  # any cell with a value
    declared: tuple[int, int] = (0, 0)  # the <dimension ref> corner (rows, columns)
    row: int = 0  # scan state: the current row, for rows and cells without r=
    column: int = 0


@dataclass
class Sheet:
    name: str
    hidden: bool
    part: str
    shape: Shape = field(default_factory=Shape)


def column_number(letters: bytes | str) -> int:
    n = 0
    for c in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + ord(c) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def over(what_en: str, what_zh: str, found: int, limit: int, where: str) -> LimitError:
    return LimitError(
        f"{where}: {what_en} {found:,} is over the limit of {limit:,}; the workbook is not read",
        f"{where}：{what_zh} {found:,} 超过上限 {limit:,}，不读取该工作簿",
    )


# --- the zip -------------------------------------------------------------------


def check_zip(book: zipfile.ZipFile, limits: SheetLimits, where: str) -> None:
    """Declared sizes: the total inflated and each part's ratio."""
    total = sum(i.file_size for i in book.infolist())
    if total > limits.unzipped_bytes:
        raise over("unzipped size (bytes)", "解压后大小（字节）", total, limits.unzipped_bytes, where)
    for info in book.infolist():
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > CHUNK and ratio > limits.ratio:
            raise over(f"compression ratio of {info.filename}", f"{info.filename} 的压缩比", ratio, limits.ratio, where)


def read_small(book: zipfile.ZipFile, name: str, where: str, limit: int = 16 * CHUNK) -> bytes:
    """A small part (workbook.xml, rels) read whole, but never more than `limit` bytes."""
    try:
        with book.open(name) as handle:
            data = handle.read(limit + 1)
    except KeyError:
        raise TableError(
            f"{where}: not an xlsx workbook ({name} is missing)", f"{where}：不是 xlsx 工作簿（缺少 {name}）"
        ) from None
    if len(data) > limit:
        raise over(f"size of {name} (bytes)", f"{name} 的大小（字节）", len(data), limit, where)
    return data


def sheets_of(book: zipfile.ZipFile, where: str) -> list[Sheet]:
    """Worksheets in workbook order, with their part names and whether they are hidden."""
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    rels = ElementTree.fromstring(read_small(book, "xl/_rels/workbook.xml.rels", where))
    targets = {r.get("Id"): r.get("Target", "") for r in rels if r.get("Type", "").endswith("/worksheet")}
    workbook = ElementTree.fromstring(read_small(book, "xl/workbook.xml", where))
    out = []
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet" or element.get(ns_rel) not in targets:
            continue
        target = targets[element.get(ns_rel)]
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out.append(Sheet(element.get("name", ""), element.get("state", "visible") != "visible", part))
    return out


# --- one sheet's XML, streamed -----------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?"')
_TAG = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s>/])([^>]*)>")
_R_ATTR = re.compile(rb'(?:^|\s)r="([A-Z]*)(\d*)"')
_CONTENT = (b"<v>", b"<v ", b"<is>", b"<f>", b"<f ", b":v>", b":is>")


def scan(book: zipfile.ZipFile, sheet: Sheet, limits: SheetLimits, where: str, budget: list[int]) -> Shape:
    """Stream the sheet's XML, counting the bytes actually inflated against what is left of the
    budget, and find its farthest row and column; stops at the first limit exceeded."""
    shape, tail = sheet.shape, b""
    with book.open(sheet.part) as handle:
        while chunk := handle.read(CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise over(
                    "unzipped size (bytes)",
                    "解压后大小（字节）",
                    limits.unzipped_bytes - budget[0],
                    limits.unzipped_bytes,
                    where,
                )
            data = tail + chunk
            cut = data.rfind(b">") + 1
            feed(shape, data[:cut])
            tail = data[cut:]
            if len(tail) > MAX_TAG:
                raise TableError(
                    f"{where}: sheet {sheet.name!r} has a tag longer than {MAX_TAG} bytes",
                    f"{where}：工作表 {sheet.name!r} 含超长标记（超过 {MAX_TAG} 字节）",
                )
            check_shape(shape, limits, f"{where} [{sheet.name}]")
    return shape


def feed(shape: Shape, data: bytes) -> None:
    if shape.declared == (0, 0) and (m := _DIMENSION.search(data)):
        letters, digits = (m[3], m[4]) if m[3] is not None else (m[1], m[2])
        shape.declared = (int(digits or 0), column_number(letters or b""))
    shape.content = shape.content or any(c in data for c in _CONTENT)
    # Excel, xlsxwriter and LibreOffice write r= first on every row and cell: then a few C-speed
    # counts prove it and `fast` applies; anything else (no r=, prefixes, <cols>) goes tag by tag.
    if (
        data.count(b"<c") == data.count(b'<c r="')
        and data.count(b"<row") == data.count(b'<row r="')
        and b":c " not in data
        and b":row " not in data
    ):
        fast(shape, data)
    else:
        exact(shape, data)


def fast(shape: Shape, data: bytes) -> None:
    """Farthest row and column from the r= attributes at C speed: only a cell beyond the farthest
    column so far is looked at (a literal-prefixed regex search that usually finds nothing)."""
    numbers = _ROW_R.findall(data)
    if numbers:
        shape.rows, shape.row = max(shape.rows, max(map(int, numbers))), int(numbers[-1])
    if beyond(shape.columns).search(data):
        shape.columns = max(shape.columns, column_number(max(_CELL.findall(data), key=lambda c: (len(c), c))))


_ROW_R = re.compile(rb'<row r="(\d+)"')
_CELL = re.compile(rb'<c r="([A-Z]+)\d')


@lru_cache(maxsize=64)
def beyond(column: int) -> re.Pattern[bytes]:
    """A pattern for a cell reference whose column is past `column` (any length: AAAA1 too)."""
    letters = column_letters(column)
    options = [f"[A-Z]{{{len(letters) + 1},}}"]
    for i, c in enumerate(letters):
        if c < "Z":
            options.append(letters[:i] + f"[{chr(ord(c) + 1)}-Z]" + "[A-Z]" * (len(letters) - i - 1))
    return re.compile(rb'<c r="(?:' + "|".join(options).encode() + rb")\d")


def exact(shape: Shape, data: bytes) -> None:
    """Tag by tag, for writers that leave r= out (a row or cell without it follows the previous one)."""
    for m in _TAG.finditer(data):
        r = _R_ATTR.search(m[2])
        if m[1] == b"row":
            shape.row = int(r[2]) if r and r[2] else shape.row + 1
            shape.column = 0
            shape.rows = max(shape.rows, shape.row)
        else:
            shape.column = column_number(r[1]) if r and r[1] else shape.column + 1
            if r and r[2]:
                shape.row = int(r[2])
            shape.columns, shape.rows = max(shape.columns, shape.column), max(shape.rows, shape.row)


def check_shape(shape: Shape, limits: SheetLimits, where: str) -> None:
    """The declared and the actual extent against the row, column and cell limits."""
    for kind_en, kind_zh, (rows, columns) in (
        ("declared", "声明的", shape.declared),
        ("actual", "实际的", (shape.rows, shape.columns)),
    ):
        corner = f"{column_letters(columns)}{rows}"
        if rows > limits.rows:
            raise over(f"{kind_en} last row ({corner})", f"{kind_zh}最末行（{corner}）", rows, limits.rows, where)
        if columns > limits.columns:
            raise over(
                f"{kind_en} last column ({corner})", f"{kind_zh}最末列（{corner}）", columns, limits.columns, where
            )
        if rows * columns > limits.cells:
            raise over(
                f"{kind_en} cell range A1:{corner} (cells)",
                f"{kind_zh}单元格范围 A1:{corner}（单元格数）",
                rows * columns,
                limits.cells,
                where,
            )


# --- the whole workbook ---------------------------------------------------------------


def inspect(path: Path, limits: SheetLimits) -> list[Sheet]:
    """Every worksheet of the workbook, scanned; raises TableError if any limit is exceeded."""
    where = path.name
    try:
        with zipfile.ZipFile(path) as book:
            check_zip(book, limits, where)
            sheets = sheets_of(book, where)
            budget = [limits.unzipped_bytes]
            for sheet in sheets:
                scan(book, sheet, limits, where, budget)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ElementTree.ParseError,
        EOFError,
        KeyError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as e:
        if isinstance(e, TableError):
            raise
        raise TableError(
            f"{where}: cannot read the workbook ({type(e).__name__}: {e})",
            f"{where}：无法读取工作簿（{type(e).__name__}）",
        ) from None
    return sheets


def choose(sheets: list[Sheet], wanted: str | None, where: str) -> tuple[Sheet, list[tuple[str, str, str]]]:
    """The sheet to screen and notes (sheet, zh, en) about it and the others: a workbook with several sheets
    holding data needs `wanted`; hidden sheets are named, never silently read or skipped."""

    def label(s: Sheet) -> str:
        return f"{s.name!r}" + (" (hidden 隐藏)" if s.hidden else "")

    names = ", ".join(label(s) for s in sheets)
    if wanted is not None:
        found = next((s for s in sheets if s.name == wanted), None)
        if found is None:
            raise TableError(
                f"{where}: no sheet {wanted!r}; the sheets are {names}",
                f"{where}：没有名为 {wanted!r} 的工作表；现有工作表：{names}",
            )
        chosen = found
    else:
        filled = [s for s in sheets if s.shape.content]
        if not filled:
            raise TableError(
                f"{where}: no sheet holds any data (sheets: {names})",
                f"{where}：所有工作表都没有数据（工作表：{names}）",
            )
        if len(filled) > 1:
            shown = ", ".join(label(s) for s in filled)
            raise SheetChoice(
                f"{where}: several sheets hold data ({shown}); choose one with --sheet",
                f"{where}：多个工作表有数据（{shown}），请用 --sheet 指定一个",
                [(s.name, s.hidden) for s in filled],
            )
        chosen = filled[0]
    notes = []
    if chosen.hidden:
        notes.append(
            (chosen.name, f"筛查的工作表 {chosen.name!r} 是隐藏工作表", f"the screened sheet {chosen.name!r} is hidden")
        )
    for s in sheets:
        if s is not chosen and (s.shape.content or s.hidden):
            state_zh, state_en = (
                ("有数据" if s.shape.content else "空白"),
                ("holds data" if s.shape.content else "empty"),
            )
            hidden_zh, hidden_en = ("隐藏" if s.hidden else ""), (" hidden" if s.hidden else "")
            notes.append(
                (
                    s.name,
                    f"未筛查{hidden_zh}工作表 {s.name!r}（{state_zh}）",
                    f"the{hidden_en} sheet {s.name!r} was not screened ({state_en})",
                )
            )
    return chosen, notes
