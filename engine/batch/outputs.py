"""Safe outputs: never overwrite the input, never leave a half-written file, never write a live formula.

- `refuse_overwrite`: an output path (or one of its side files) that is the input, however it is
  spelled (`./a.csv`, a symlink, a hard link), is refused before anything is opened.
- `Staged`: every output is written to a hidden temporary file in the output's own folder and
  renamed over the target only when the whole run succeeded (a rename within one folder is atomic),
  so a failed run leaves any earlier output and the input as they were.
- `neutral` / `neutral_column`: a text cell that a spreadsheet would read as a formula (it begins
  with =, +, -, @, tab or carriage return) is prefixed with a single quote, as OWASP recommends for
  CSV injection. Only text written to CSV gets the quote; the input (and the service's stored copy
  of it) keeps the original; xlsx cells are written as strings with Excel's own quote-prefix
  format, and parquet holds data, not spreadsheet cells.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.tabular import TableError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"


def neutral(value: Any) -> Any:
    """A cell value safe to write into a CSV that a spreadsheet will open."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutral_row(values: Iterable[Any]) -> list[Any]:
    return [neutral(v) for v in values]


def neutral_array(array: pa.Array) -> pa.Array:
    """`neutral` over a text array, column-wise, keeping its type (other types pass through)."""
    typ = array.type
    if pa.types.is_dictionary(typ):
        return pa.DictionaryArray.from_arrays(array.indices, neutral_array(array.dictionary))
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        return array
    risky = pc.fill_null(pc.match_substring_regex(array, _FORMULA_RE), False)
    if not pc.any(risky).as_py():
        return array
    quoted = pc.binary_join_element_wise(pa.scalar("'", typ), array, pa.scalar("", typ))
    return pc.if_else(risky, quoted, array)


def neutral_table(table: pa.Table) -> pa.Table:
    """Every text column of a table made safe for CSV, the schema unchanged."""
    columns = [pa.chunked_array([neutral_array(c) for c in col.chunks], type=col.type) for col in table.columns]
    return pa.Table.from_arrays(columns, schema=table.schema)


def same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def refuse_overwrite(sources: Iterable[Path], outputs: Iterable[Path]) -> None:
    """Refuse any output that is one of the files the run reads."""
    for out in outputs:
        for src in sources:
            if same_file(src, out):
                raise TableError(
                    f"{out}: the output would overwrite the input {src}; choose another output file",
                    f"{out}：输出文件会覆盖输入文件 {src}，请另选输出文件",
                )


class Staged:
    """Temporary files beside their targets, renamed over them by `commit`, removed by `discard`."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Path, Path | None]] = []

    def path(self, target: Path) -> Path:
        """A new hidden temporary file in the target's folder, with the target's suffix."""
        handle, name = tempfile.mkstemp(suffix=target.suffix, prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        self.pairs.append((Path(name), target))
        return Path(name)

    def scratch(self, folder: Path, suffix: str) -> Path:
        """A working file in `folder`, removed at the end whatever happens."""
        handle, name = tempfile.mkstemp(suffix=suffix, prefix=".screen-", dir=folder)
        os.close(handle)
        self.pairs.append((Path(name), None))
        return Path(name)

    def commit(self) -> None:
        for temp, target in self.pairs:
            if target is not None:
                os.replace(temp, target)

    def discard(self) -> None:
        for temp, _ in self.pairs:
            temp.unlink(missing_ok=True)
        self.pairs = []


def output_error(target: Path, e: OSError) -> TableError:
    """A file failure during a run (disk full, no permission, no such folder) in both languages."""
    reason = e.strerror or str(e) or type(e).__name__
    where = f" {e.filename}" if e.filename else ""
    return TableError(
        f"{target}: cannot write the output or read the input{where} ({reason})",
        f"{target}：无法写入输出文件或读取输入文件{where}（{reason}）",
    )
