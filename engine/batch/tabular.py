"""Applicant tables in: .xlsx / .csv (UTF-8 or GBK) / .parquet, Chinese or English headers, in chunks.

Every chunk becomes typed columns (`engine.batch.vectorized.Vec`) for the batch evaluator. The
validation rules are the profile model's (`EnterpriseProfile`): cheap column-wise checks read
the model's own declarations (field types, bounds, which fields carry validators, the
cross-field pairs); dates, codes, booleans, levels and titles are validated through the model
once per distinct value; credit codes get a column-wise GB 32100 screen built from
engine.model.creditcode's alphabet and weights. Every row a cheap check doubts is validated whole
by `parse_profile`, whose verdict and bilingual messages are final; property tests hold the
cheap checks to the model's verdicts. A row the model refuses is kept and reported, never dropped.

Table conventions (format, not rules): surrounding spaces are not content; a blank cell is a
missing fact; booleans may be written 是/否; dates may be written 2020/1/5 or 2020年1月5日;
titles (持有称号) are written `称号|级别|起始日期|截止日期; ...` (only the title is required),
and 无 / none means "holds no title" (a blank cell means unknown).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import ValidationError

from engine.batch.csvread import PROBLEM, csv_chunks, delimiter_of, detect_encoding, first_records, problem_words
from engine.batch.headers import resolve
from engine.batch.isolated import isolated_chunks
from engine.batch.table_error import LimitError, TableError  # noqa: F401 — re-exported, the readers' errors
from engine.batch.vectorized import Vec, days, kind_of_field, object_array
from engine.batch.xlsxguard import SheetLimits, inspect
from engine.batch.xlsxread import guarded_sheet
from engine.model.creditcode import ALPHABET, CODE_WEIGHTS, ORG_WEIGHTS
from engine.model.profile import (
    CROSS_CHECKS,
    FIELDS,
    EnterpriseProfile,
    ProfileInputError,
    ProfileIssue,
    Title,
    field_kind,
    parse_profile,
)

# Rows read, checked, evaluated and written at a time. 50,000 rather than 100,000: the same work in 6-10 % less CPU
# (fewer fresh pages for the kernel to zero: ~20 % of the CPU went to clearing pages at 100,000) and 30 % less
# peak memory (1,000,000 rows: 1.31-1.35 GB against 1.88-1.91 GB); 25,000 saves memory again but no more CPU.
CHUNK_ROWS = 50_000
SUPPORTED = (".csv", ".xlsx", ".parquet")


@dataclass
class RowIssue:
    """One problem with one input row (row = spreadsheet row number, the header being row 1)."""

    row: int | None
    field: str
    field_zh: str | None
    value: Any
    message_zh: str
    message_en: str


@dataclass
class Chunk:
    """One chunk of rows ready for the batch evaluator."""

    first_row: int  # spreadsheet row number of the chunk's first row
    n: int
    columns: dict[str, Vec]
    valid: np.ndarray  # False where the model refused the row
    texts: dict[str, pa.Array] = field(default_factory=dict)  # the trimmed cell texts, by field
    issues: list[RowIssue] = field(default_factory=list)
    blank: int = 0  # rows with nothing in them (refused, with the 空行 reason): counted apart in the summary


# --- headers -------------------------------------------------------------------


def field_of_header(header: str) -> str | None:
    """The profile field a column header names (engine.batch.headers: labels, synonyms, units)."""
    return next(iter(resolve([header]).mapping), None)


def map_headers(headers: list[str]) -> tuple[dict[str, int], list[RowIssue]]:
    """field -> column position; unknown and repeated headers are reported (the run decides whether they stop it)."""
    columns = resolve(list(headers))
    issues = [RowIssue(1, u.header, None, u.header, u.zh(), u.en()) for u in columns.unknown + columns.repeated]
    return columns.mapping, issues


def _zh(name: str) -> str | None:
    return FIELDS[name].json_schema_extra["zh"] if name in FIELDS else None  # type: ignore[index]


# --- reading -------------------------------------------------------------------


@dataclass
class ReadOptions:
    """How to read a table: which sheet of a workbook, the limits an xlsx must keep, and where
    notes about the file (hidden or unscreened sheets, title rows) go: row-less entries for the errors list."""

    sheet: str | None = None
    limits: SheetLimits = field(default_factory=SheetLimits)
    notes: list[RowIssue] = field(default_factory=list)
    first_row: int = 2  # set by the reader: the first data row's number (title rows move it)
    isolate: bool = False  # read a workbook in a child process with memory and CPU limits (engine.batch.isolated)
    child_cpu_seconds: float = 0.0  # set by the isolated reader: the child's CPU time (bench/xlsx_isolation.py)


def read_chunks(
    path: Path, chunk_rows: int = CHUNK_ROWS, options: ReadOptions | None = None
) -> Iterator[tuple[list[str], pa.Table]]:
    """(headers, table of the chunk's columns) for each chunk; columns are named c0, c1, ..."""
    check_source(path)
    suffix = path.suffix.lower()
    options = options or ReadOptions()
    if suffix == ".csv":
        yield from _csv_chunks(path, chunk_rows, options)
    elif suffix == ".xlsx" and options.isolate:
        explain = partial(inspect, limits=options.limits)  # a child killed by its limits: did the guard refuse?
        yield from isolated_chunks(_xlsx_chunks, path, chunk_rows, options, options.limits, explain)
    elif suffix == ".xlsx":
        yield from _xlsx_chunks(path, chunk_rows, options)
    else:
        yield from _parquet_chunks(path, chunk_rows)


@dataclass
class TableRead:
    """A table read in full once, with the notes and first row its reading set: the service checks an
    upload with it and then screens these very chunks, instead of parsing the workbook twice."""

    headers: list[str]
    chunks: list[pa.Table]
    options: ReadOptions

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.chunks)

    @property
    def cells(self) -> int:
        return self.rows * len(self.headers)


def read_table(path: Path, options: ReadOptions | None = None, chunk_rows: int = CHUNK_ROWS) -> TableRead:
    """The whole table (TableError for unreadable files, as read_chunks)."""
    options = options or ReadOptions()
    headers: list[str] = []
    chunks = []
    for headers, table in read_chunks(path, chunk_rows, options):  # noqa: B007 — the header row is wanted
        chunks.append(table)
    return TableRead(headers, chunks, options)


def check_source(path: Path) -> None:
    """Refuse a missing file or an unsupported format before anything is written."""
    if not path.is_file():
        raise TableError(f"{path}: file not found", f"{path}：文件不存在")
    if path.suffix.lower() not in SUPPORTED:
        raise TableError(
            f"{path}: unsupported input; use {', '.join(SUPPORTED)}",
            f"{path}：不支持的输入格式，请使用 {'、'.join(SUPPORTED)}",
        )


def header_row(rows: list[list[str]]) -> int:
    """Which of the first rows is the header: the first whose filled cells mostly name profile
    fields (title rows above it are skipped); 0 when none does."""
    for i, row in enumerate(rows[:10]):
        filled = [c for c in row if str(c or "").strip()]
        known = sum(field_of_header(str(c)) is not None for c in filled)
        if known and (known >= 2 or known * 2 >= len(filled)):
            return i
    return 0


def check_header(path: Path, headers: list[str], options: ReadOptions, at: int) -> None:
    """Refuse a header row that names no profile field (wrong delimiter, no header): every row
    would be empty. Title rows above the header are noted."""
    if not any(field_of_header(h) is not None for h in headers):
        shown = ", ".join(repr(h) for h in headers[:5])
        raise TableError(
            f"{path}: no column of the header row ({shown}) names a profile field; check the delimiter "
            "and that the first row is the header",
            f"{path}：表头行（{shown}）没有任何列是企业信息字段；请检查分隔符，并确认首行为表头",
        )
    options.first_row = at + 2
    if at:
        options.notes.append(
            RowIssue(
                None,
                "header",
                "表头",
                at + 1,
                f"第 1–{at} 行是表头上方的标题行，已跳过",
                f"rows 1-{at} above the header are a title, skipped",
            )
        )


def _csv_chunks(path: Path, chunk_rows: int, options: ReadOptions) -> Iterator[tuple[list[str], pa.Table]]:
    encoding = detect_encoding(path)
    lines = first_records(path, encoding)
    if not any(line.strip() for line in lines):
        raise TableError(f"{path}: no header row", f"{path}：缺少表头行")
    delimiter = delimiter_of(lines)
    at = header_row([next(csv.reader([line], delimiter=delimiter), []) for line in lines])
    checked = False
    for headers, table in csv_chunks(path, chunk_rows, at, delimiter, encoding):
        if not checked:
            check_header(path, headers, options, at)
            checked = True
        yield headers, table


def _xlsx_chunks(path: Path, chunk_rows: int, options: ReadOptions) -> Iterator[tuple[list[str], pa.Table]]:
    sheet, notes, columns = guarded_sheet(path, options.sheet, options.limits, limited=options.isolate)
    options.notes += [RowIssue(None, "sheet", "工作表", name, zh, en) for name, zh, en in notes]
    rows = len(columns[0]) if columns else 0
    if not rows:
        raise TableError(f"{path}: the sheet {sheet.name!r} is empty", f"{path}：工作表 {sheet.name!r} 为空")
    top = [[text or "" for text in row] for row in zip(*(column[:10].to_pylist() for column in columns))]
    at = header_row(top)
    headers = top[at]
    check_header(path, headers, options, at)
    names = [f"c{i}" for i in range(len(headers))]
    for start in range(at + 1, rows, chunk_rows):
        yield headers, pa.table([column[start : start + chunk_rows] for column in columns], names=names)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[tuple[list[str], pa.Table]]:
    try:
        source = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for non-parquet files
        raise TableError(f"{path}: cannot read parquet: {e}", f"{path}：无法读取 parquet：{e}") from None
    headers = list(source.schema_arrow.names)
    for batch in source.iter_batches(batch_size=chunk_rows):
        table = pa.Table.from_batches([batch])
        yield headers, table.rename_columns([f"c{i}" for i in range(len(headers))])


# --- cells -> typed columns ------------------------------------------------------

_INT_TEXT = r"^[+-]?\d+$"
_FLOAT_TEXT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"
)
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_FIRST_DAY = days(date(1, 1, 1))  # the model's (Python's) first date
_BOOL_ZH = {"是": "true", "否": "false", "有": "true", "无": "false", "真": "true", "假": "false"}
_NO_TITLES = {"无", "none", "-", "—"}
KIND = {name: field_kind(name) for name in FIELDS}
_VALIDATED = {f for v in EnterpriseProfile.__pydantic_decorators__.field_validators.values() for f in v.info.fields}


def _route(name: str) -> str:
    """How ChunkReader.convert types a field's cells: column-wise checks where they can vouch for the model,
    else "distinct" (each distinct text through the model, cached)."""
    kind = KIND[name]
    if kind in ("number", "integer") and name not in _VALIDATED:
        return "numbers"
    if name == "credit_code":
        return "credit codes"
    if kind == "titles":
        return "titles"
    if kind == "date" and name not in _VALIDATED:
        return "dates"
    if kind == "text" and name not in _VALIDATED and not FIELDS[name].metadata:
        return "as given"
    return "distinct"


ROUTE = {name: _route(name) for name in FIELDS}


MAX_VERDICTS = (
    200_000  # distinct texts per cache whose verdicts are kept across chunks (cells can be nearly all distinct)
)


def _strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as trimmed text, blank cells as null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    text = pc.utf8_trim_whitespace(column)
    lengths = pc.binary_length(text)  # read from the offsets: a clean column's cells are not compared
    shortest = pc.min(lengths).as_py()
    if shortest is None or shortest > 0:
        return text
    return pc.if_else(pc.equal(lengths, 0), pa.scalar(None, pa.string()), text)


def _coded_strings(column: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray:
    """_strings's cells, dictionary-encoded: each distinct text is trimmed once instead of every cell (a yes/no
    column holds a handful), and texts that trim alike (是 and ' 是 ') share one entry."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    distinct = pc.dictionary_encode(_strings(encoded.dictionary))  # blank texts null
    return pa.DictionaryArray.from_arrays(distinct.indices.take(encoded.indices), distinct.dictionary)


def _cast_numbers(name: str, text: pa.Array) -> pa.Array | None:
    """The cells of a number field parsed in one go, or None if one is not a number as the model writes it.
    Arrow's integer parsing also reads hexadecimal (0x10), which the model refuses: an integer column is
    parsed in one go only when all its cells are plain digits (signed ones go the cell-shape way)."""
    integer = KIND[name] == "integer"
    if integer and not pc.all(pc.ascii_is_decimal(text)).as_py():
        return None
    try:
        return pc.cast(text, pa.int64() if integer else pa.float64())
    except pa.ArrowInvalid:  # a cell that is no number, or digits beyond int64
        return None


def _clean_numbers(name: str, column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """(text, parsed values) of a number field's column whose every cell parses as it stands: such text has no
    surrounding spaces and no blank cell (Arrow's number parsing refuses both), so it needs no trimming.
    None for other fields (ROUTE: only "numbers" are checked column-wise) and other columns."""
    if ROUTE[name] != "numbers":
        return None
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_string(column.type):
        return None
    values = _cast_numbers(name, column)
    return None if values is None else (column, values)


def rescaled(text: pa.Array, factor: float) -> pa.Array:
    """Number cells converted to the field's unit (元 -> 万元: / 10000); other cells unchanged for the model
    to refuse. Dividing by a whole number keeps 12345 元 at 1.2345 万元, not 1.2345000000000002."""
    numeric = pc.fill_null(pc.match_substring_regex(text, _FLOAT_TEXT), False)
    values = pc.cast(pc.if_else(numeric, text, pa.scalar(None, pa.string())), pa.float64())
    converted = pc.multiply(values, factor) if factor >= 1 else pc.divide(values, float(round(1 / factor)))
    return pc.if_else(numeric, pc.cast(converted, pa.string()), text)


def raw_cell(name: str, text: str | None) -> Any:
    """A cell's text in the form the profile model reads (format conventions only, no rules)."""
    if text is None:
        return None
    kind = KIND[name]
    if kind == "bool":
        return _BOOL_ZH.get(text, text)
    if kind == "date":
        m = _DATE_TEXT.match(text)
        return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}" if m else text
    if kind == "titles":
        return titles_cell(text)
    return text


def titles_cell(text: str) -> list[dict[str, str]]:
    """`称号|级别|起始|截止; ...` -> a list of title objects for the model; 无 / none -> []."""
    return [title_entry(entry) for entry in split_titles(text)]


_TITLE_SEP = re.compile(r"[;；\n]")
# Whitespace that str.strip() removes and Arrow's ASCII trimming does not (or that only one of them counts):
# a title cell holding any is split by split_titles itself.
_ODD_SPACE = r"[\x0b\x0c\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def split_titles(text: str) -> list[str]:
    if text.strip().lower() in _NO_TITLES:
        return []
    return [e.strip() for e in _TITLE_SEP.split(text) if e.partition("|")[0].strip()]


def title_entry(entry: str) -> dict[str, str]:
    parts = [p.strip() for p in entry.split("|")]
    keys = ("title", "level", "valid_from", "valid_to")
    return {k: (raw_cell("registration_date", v) if k.startswith("valid") else v) for k, v in zip(keys, parts) if v}


def _bounds(name: str) -> list[tuple[str, float]]:
    """The numeric bounds the model declares for a field (ge/gt/le/lt metadata)."""
    out = []
    for meta in FIELDS[name].metadata:
        for op in ("ge", "gt", "le", "lt"):
            bound = getattr(meta, op, None)
            if bound is not None:
                out.append((op, float(bound)))
    return out


BLANK_ROW = ("空行：不作为申报企业筛查", "blank row: not screened as an applicant")


def blank_rows(table: pa.Table) -> np.ndarray:
    """Rows with no cell filled in any column (and no reading problem): blank lines of a CSV, empty rows of a sheet."""
    filled = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:  # the PROBLEM column too: a record the reader refused is not blank
        filled |= column.is_valid().to_numpy(zero_copy_only=False)
    return ~filled


_OPS = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}


class ChunkReader:
    """Turns raw chunks into typed, validated columns; caches per-distinct-value verdicts across chunks."""

    def __init__(self, headers: list[str]) -> None:
        self.mapping, self.header_issues = map_headers(headers)
        self.factors = resolve(list(headers)).factors  # declared units other than the field's own
        self.verdicts: dict[str, dict[Any, Any]] = {}

    def kept(self, name: str) -> dict[Any, Any]:
        """The verdicts cached under `name`, emptied once past MAX_VERDICTS: a chunk repeats earlier chunks'
        values far more often than older ones, and a million distinct cells would otherwise all stay."""
        found = self.verdicts.setdefault(name, {})
        if len(found) > MAX_VERDICTS:
            found.clear()
        return found

    def prepare(self, table: pa.Table, first_row: int) -> Chunk:
        n = table.num_rows
        texts: dict[str, pa.Array] = {}
        columns: dict[str, Vec] = {}
        doubt = np.zeros(n, dtype=bool)
        for name, pos in self.mapping.items():
            clean = None if name in self.factors else _clean_numbers(name, table.column(pos))
            if clean is None:
                column = table.column(pos)
                coded = ROUTE[name] == "distinct" and name not in self.factors  # rescaled() reads plain text
                texts[name] = _coded_strings(column) if coded else _strings(column)
                continue
            texts[name] = clean[0]  # converted at once: the parsed column is not kept beside the others
            columns[name], doubtful = self._numbers(name, *clean)
            doubt |= doubtful
        for name, factor in self.factors.items():
            texts[name] = rescaled(texts[name], factor)
        for name, text in texts.items():
            if name not in columns:
                columns[name], doubtful = self.convert(name, text)
                doubt |= doubtful
        columns = {name: columns[name] for name in texts}  # in the table's order
        for small, big in CROSS_CHECKS:
            if small in columns and big in columns:
                a, b = columns[small], columns[big]
                doubt |= a.known & b.known & (np.asarray(a.value, dtype=float) > np.asarray(b.value, dtype=float))
        chunk = Chunk(first_row=first_row, n=n, columns=columns, valid=np.ones(n, dtype=bool), texts=texts)
        problems = table.column(PROBLEM).to_pylist() if PROBLEM in table.column_names else []
        for row, code in enumerate(problems):  # records the reader could not take: invalid, with why
            if code:
                zh, en = problem_words(code)
                self.refuse(chunk, row, [RowIssue(first_row + row, "(row)", "整行", None, zh, en)])
        blank = np.flatnonzero(blank_rows(table))
        chunk.blank = len(blank)
        for row in blank:  # a blank line in the table is no applicant
            self.refuse(chunk, int(row), [RowIssue(first_row + int(row), "(row)", "整行", None, *BLANK_ROW)])
        for row in np.flatnonzero(doubt):
            if chunk.valid[row]:
                self.settle(chunk, texts, int(row))
        return chunk

    def convert(self, name: str, text: pa.Array) -> tuple[Vec, np.ndarray]:
        """(typed column, rows the cheap checks could not vouch for)."""
        present = text.is_valid().to_numpy(zero_copy_only=False)
        route = ROUTE[name]
        if route == "numbers":
            return self._numbers(name, text)
        if route == "credit codes":
            return self._credit_codes(text, present)
        if route == "titles":
            return self._titles(text, present)
        if route == "dates":
            return self._dates(name, text, present)
        if route == "as given":
            values = text.to_numpy(zero_copy_only=False)
            return Vec("str", values, present), np.zeros(len(present), dtype=bool)
        return self._distinct(name, text, present)

    def _numbers(self, name: str, text: pa.Array, parsed: pa.Array | None = None) -> tuple[Vec, np.ndarray]:
        """`parsed`: the column as _clean_numbers parsed it (None: parse it here)."""
        present = text.is_valid().to_numpy(zero_copy_only=False)
        integer = KIND[name] == "integer"
        values = parsed if parsed is not None else _cast_numbers(name, text)
        if values is not None:  # a clean column parses in one go
            shaped = present
        else:  # otherwise only the cells shaped like numbers
            shaped = pc.fill_null(pc.match_substring_regex(text, _INT_TEXT if integer else _FLOAT_TEXT), False)
            shaped = shaped.to_numpy(zero_copy_only=False)
            values = pc.cast(pc.if_else(pa.array(shaped), text, pa.scalar(None, pa.string())), pa.float64())
        values = values.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
        good = shaped & np.isfinite(values)
        for op, bound in _bounds(name):
            good &= _OPS[op](values, bound)
        return Vec("int" if integer else "num", np.where(good, values, 0.0), good), present & ~good

    def _credit_codes(self, text: pa.Array, present: np.ndarray) -> tuple[Vec, np.ndarray]:
        upper = pc.utf8_upper(text)
        values = upper.to_numpy(zero_copy_only=False)
        good = credit_codes_ok(upper)
        return Vec("str", values, good), present & ~good

    def _dates(self, name: str, text: pa.Array, present: np.ndarray) -> tuple[Vec, np.ndarray]:
        """Dates written as the model writes them (2024-01-31) read by Arrow, the others through the model.

        Arrow's parsing rolls 2023-02-29 over to March and reads year 0: a cell is taken only when its day of
        the month is as written, from year 1 on and not after today (the model's own bounds); any other cell,
        2024/1/31 included, is validated through the model once per distinct text (_distinct)."""
        iso = pc.if_else(pc.fill_null(pc.match_substring_regex(text, _ISO_DATE), False), text, None)
        parsed = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
        as_written = pc.equal(pc.day(parsed), pc.cast(pc.utf8_slice_codeunits(iso, 8, 10), pa.int64()))
        fast = pc.fill_null(as_written, False).to_numpy(zero_copy_only=False)  # not rolled over to the next month
        number = pc.cast(parsed, pa.date32()).cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
        number = number.astype(np.int64)
        fast &= (number >= _FIRST_DAY) & (number <= days(date.today()))
        if fast.all():
            return Vec("date", number, fast), np.zeros(len(fast), dtype=bool)
        rest, doubt = self._distinct(name, pc.if_else(pa.array(fast), None, text), present & ~fast)
        return Vec("date", np.where(fast, number, rest.value), fast | rest.known), doubt

    def _distinct(self, name: str, text: pa.Array, present: np.ndarray) -> tuple[Vec, np.ndarray]:
        """Validate each distinct text once through the model (cached across chunks)."""
        encoded = text if pa.types.is_dictionary(text.type) else pc.dictionary_encode(text)
        dictionary = encoded.dictionary.to_pylist()
        verdicts = self.kept(name)
        for raw in dictionary:
            if raw not in verdicts:
                verdicts[raw] = self._verdict(name, raw)
        ok = np.array([verdicts[r][0] for r in dictionary] + [False], dtype=bool)
        plain = [verdicts[r][1] for r in dictionary] + [None]
        codes = _codes(encoded, len(dictionary))
        kind = kind_of_field(name)
        good = ok[codes]
        if kind == "date":
            values = np.array([0 if v is None else days(v) for v in plain], dtype=np.int64)[codes]
        elif kind == "bool":
            values = np.array([bool(v) for v in plain], dtype=bool)[codes]
        elif kind in ("int", "num"):
            values = np.array([0.0 if v is None else float(v) for v in plain])[codes]
        else:
            values = object_array(plain)[codes]
        return _seeded(Vec(kind, values, good & present), codes, plain), present & ~good

    def _titles(self, text: pa.Array, present: np.ndarray) -> tuple[Vec, np.ndarray]:
        """Titles: each distinct entry validated once through the model's Title (the list adds no rule)."""
        encoded = pc.dictionary_encode(text)
        cells = self.kept("titles.cell")  # a cell's titles, or None if one is invalid
        self.kept("titles.entry")  # bounded here, once per chunk: its readers add to it entry by entry
        distinct = encoded.dictionary.to_pylist()
        new = [i for i, cell in enumerate(distinct) if cell not in cells]
        if new:
            cells.update(zip((distinct[i] for i in new), self._held_cells(encoded.dictionary.take(new))))
        table = [cells[cell] for cell in distinct]
        ok = [held is not None for held in table]
        codes = _codes(encoded, len(table))
        good = np.array(ok + [False], dtype=bool)[codes]
        table.append(None)
        return _seeded(Vec("titles", object_array(table)[codes], good), codes, table), present & ~good

    def _held_cells(self, cells: pa.Array) -> list[tuple[Title, ...] | None]:
        """_held of each cell: cells written `称号|级别|...` with only plain spaces are split into entries by
        Arrow, as split_titles splits them; the others (无, a title without a level, unusual spaces) by _held."""
        split = pc.fill_null(pc.match_substring(cells, "|"), False)
        split = pc.and_(split, pc.invert(pc.fill_null(pc.match_substring_regex(cells, _ODD_SPACE), True)))
        chosen = np.flatnonzero(split.to_numpy(zero_copy_only=False))
        out: list[tuple[Title, ...] | None] = [None] * len(cells)
        for i in np.flatnonzero(~split.to_numpy(zero_copy_only=False)).tolist():
            out[i] = self._held(cells[i].as_py())
        if not len(chosen):
            return out
        lists = pc.split_pattern_regex(cells.take(chosen), _TITLE_SEP.pattern)
        owner = pc.list_parent_indices(lists).to_numpy()
        entries = pc.ascii_trim_whitespace(pc.list_flatten(lists))
        kept = pc.and_(pc.greater(pc.binary_length(entries), 0), pc.invert(pc.starts_with(entries, "|")))
        kept = kept.to_numpy(zero_copy_only=False)  # an entry with a title before its first '|'
        owner, entries = owner[kept], entries.filter(pa.array(kept))
        encoded = pc.dictionary_encode(entries)
        known = self.verdicts.setdefault("titles.entry", {})
        titles = [known[e] if e in known else self._entry(e) for e in encoded.dictionary.to_pylist()]
        held = [titles[i] for i in encoded.indices.to_numpy().tolist()]
        bad = np.zeros(len(chosen), dtype=bool)
        bad[owner[[t is None for t in held]]] = True
        ends = np.searchsorted(owner, np.arange(1, len(chosen) + 1))  # owner is sorted: a cell's entries in a run
        start = 0
        for i, end, refused in zip(chosen.tolist(), ends.tolist(), bad.tolist()):
            out[i] = None if refused else tuple(held[start:end])
            start = end
        return out

    def _entry(self, entry: str) -> Title | None:
        """One title entry validated through the model's Title (kept across chunks)."""
        try:
            title = Title.model_validate(title_entry(entry))
        except ValidationError:
            title = None
        self.verdicts.setdefault("titles.entry", {})[entry] = title
        return title

    def _held(self, cell: str) -> tuple[Title, ...] | None:
        """The titles of one cell, each distinct entry validated once through the model's Title."""
        entries = self.verdicts.setdefault("titles.entry", {})
        held = []
        for entry in split_titles(cell):
            held.append(entries[entry] if entry in entries else self._entry(entry))
        return tuple(held) if all(t is not None for t in held) else None

    @staticmethod
    def _verdict(name: str, raw: str) -> tuple[bool, Any]:
        try:
            value = getattr(EnterpriseProfile.model_validate({name: raw_cell(name, raw)}), name)
        except ValidationError:
            return False, None
        if KIND[name] == "titles":
            return True, tuple(value)
        return True, getattr(value, "value", value)

    @staticmethod
    def refuse(chunk: Chunk, row: int, issues: list[RowIssue]) -> None:
        """Mark a row invalid: nothing of it is known, its issues say why."""
        chunk.valid[row] = False
        chunk.issues += issues
        for vec in chunk.columns.values():
            vec.known[row] = False
            vec.cache.clear()

    def settle(self, chunk: Chunk, texts: dict[str, pa.Array], row: int) -> None:
        """Validate one doubtful row whole through the model: its verdict and messages are final."""
        raw = {name: raw_cell(name, texts[name][row].as_py()) for name in texts}
        raw = {k: v for k, v in raw.items() if v is not None}
        try:
            profile = parse_profile(raw)
        except ProfileInputError as e:
            self.refuse(chunk, row, [issue_of(chunk.first_row + row, i) for i in e.issues])
            return
        for name, vec in chunk.columns.items():
            store(vec, row, getattr(profile, name))


def _codes(encoded: pa.DictionaryArray, blank: int) -> np.ndarray:
    """The dictionary code of each cell, `blank` for a blank cell."""
    return encoded.indices.fill_null(blank).to_numpy().astype(np.int64)


def _seeded(vec: Vec, codes: np.ndarray, distinct: list[Any]) -> Vec:
    """Hand the column its distinct values from the dictionary encoding (saves factorising it again)."""
    vec.cache["factors"] = (np.where(vec.known, codes, -1), object_array(distinct))
    return vec


def store(vec: Vec, row: int, value: Any) -> None:
    """Write one parsed model value into a column."""
    vec.cache.clear()
    value = getattr(value, "value", value)
    vec.known[row] = value is not None
    if value is None:
        return
    if vec.kind == "date":
        vec.value[row] = days(value)
    elif vec.kind == "titles":
        vec.value[row] = tuple(value)
    else:
        vec.value[row] = value


def issue_of(row: int, issue: ProfileIssue) -> RowIssue:
    value = issue.value
    if isinstance(value, dict):  # a cross-field check reports the whole row: show its field
        value = value.get(issue.field.split(".")[0])
    if not (isinstance(value, (str, int, float, bool)) or value is None):
        value = str(value)
    return RowIssue(row, issue.field, issue.field_zh, value, issue.message_zh, issue.message_en)


# --- credit codes, column-wise ---------------------------------------------------

_CODE_VALUE = np.full(256, -1, dtype=np.int32)
for _i, _c in enumerate(ALPHABET):
    _CODE_VALUE[ord(_c)] = _i
_ORG_VALUE = np.full(256, -1, dtype=np.int32)
for _c in "0123456789":
    _ORG_VALUE[ord(_c)] = int(_c)
for _c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _ORG_VALUE[ord(_c)] = ord(_c) - ord("A") + 10


def credit_codes_ok(codes: pa.Array) -> np.ndarray:
    """GB 32100 check of upper-cased codes, column-wise, with creditcode's alphabet and weights.

    A fast screen in front of `validate_credit_code`: a code it refuses goes to the model,
    which gives the verdict and the message; tests hold the two to the same answers.
    """
    n = len(codes)
    shaped = pc.fill_null(pc.and_(pc.equal(pc.utf8_length(codes), 18), pc.string_is_ascii(codes)), False)
    shaped = shaped.to_numpy(zero_copy_only=False)
    ok = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(shaped)
    if not len(rows):
        return ok
    picked = pc.take(codes, pa.array(rows)).cast(pa.string())
    offsets = np.frombuffer(picked.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=picked.offset * 4)
    data = np.frombuffer(picked.buffers()[2], dtype=np.uint8, count=18 * len(rows), offset=int(offsets[0]))
    chars = data.reshape(-1, 18)
    values = _CODE_VALUE[chars]
    allowed = (values >= 0).all(axis=1)
    org = _ORG_VALUE[chars[:, 8:16]]
    org_check = 11 - (org @ np.array(ORG_WEIGHTS, dtype=np.int32)) % 11
    expected_org = np.where(org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), org_check + ord("0")))
    code_check = (31 - (values[:, :17] @ np.array(CODE_WEIGHTS, dtype=np.int32)) % 31) % 31
    ok[rows] = allowed & (chars[:, 16] == expected_org) & (values[:, 17] == code_check)
    return ok
