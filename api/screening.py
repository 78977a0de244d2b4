"""Batch screening behind the service's narrow interface: `check_input` and `run_screen`.

Both are the engine's screening path, the one `ipcheck screen` runs: engine.batch.tabular reads the
table (xlsx through calamine, CSV as UTF-8 or GBK, Chinese or English headers, rows validated
by the profile model, bad rows kept with their error entries), engine.batch.vectorized screens it
column-wise and engine.batch.workbook writes the workbook (decisions, a sheet per policy with
rationale, summary, errors). This module only adds the service's own limits: every header
must name a profile field, the row limit, and whole-file problems as bilingual
`ScreenInputError`s, never a traceback.
"""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

from engine import (LimitError, ReadOptions, RulePack, Screening, SheetChoice, Summary, TableError, field_of_header,
                    read_chunks)
from engine.model.profile import label_zh

STATUSES = ("eligible", "ineligible", "undetermined", "error")
# One run at a time per process: the engine's per-process caches (a plan's chunk reader and
# rationale) are not shared between threads, and on two cores parallel runs gain nothing.
_RUNNING = threading.Lock()


class ScreenInputError(ValueError):
    """The uploaded table cannot be screened; carries words in both languages."""

    def __init__(self, en: str, zh: str, field: str = "file", status: int = 422,
                 sheets: list[tuple[str, bool]] | None = None) -> None:
        super().__init__(en)
        self.en, self.zh, self.field, self.status, self.sheets = en, zh, field, status, sheets or []


def unreadable(e: TableError, path: Path) -> ScreenInputError:
    """An engine whole-file error, naming the upload rather than the server's temporary path;
    a file over a reading limit is 413 (too large), any other 422."""
    return ScreenInputError(e.en.replace(str(path), path.name), e.zh.replace(str(path), path.name),
                            field="sheet" if isinstance(e, SheetChoice) else "file",
                            status=413 if isinstance(e, LimitError) else 422,
                            sheets=e.sheets if isinstance(e, SheetChoice) else None)


def read_options(limits: Any, sheet: str | None) -> ReadOptions:
    """How the service reads an upload: the chosen sheet, within the service's workbook limits."""
    return ReadOptions(sheet=sheet or None, limits=limits.sheet)


def check_input(path: Path, max_rows: int, options: ReadOptions) -> int:
    """Number of data rows; raises ScreenInputError for unreadable files (or workbooks over the
    limits in `options`), headers that name no profile field, or too many rows. Reads the whole
    file, so a bad byte anywhere is caught here."""
    if not path.read_bytes().strip():
        raise ScreenInputError("the file is empty", "文件为空")
    headers: list[str] = []
    rows = 0
    try:
        for headers, table in read_chunks(path, options=options):
            rows += table.num_rows
    except TableError as e:
        raise unreadable(e, path) from None
    except Exception as e:  # noqa: BLE001 — any reader failure is a bad file, reported without its content
        raise ScreenInputError(f"the file cannot be read as {path.suffix.lstrip('.')} ({type(e).__name__})",
                               f"无法读取该文件（{type(e).__name__}），请上传 UTF-8/GBK 编码的 CSV 或 xlsx 工作簿") from None
    if rows == 0:
        raise ScreenInputError("the table has no data rows", "表格没有数据行", field="rows")
    check_headers(headers)
    if rows > max_rows:
        raise ScreenInputError(f"{rows} rows is more than the limit of {max_rows}",
                               f"共 {rows} 行，超过 {max_rows} 行的上限", field="rows")
    return rows


def check_headers(headers: list[str]) -> None:
    """Every column must name a profile field, once (the engine would ignore the others: the
    service refuses them, so no column of an officer's table goes unread)."""
    fields = [field_of_header(h) for h in headers]
    unknown = [str(h).strip() or f"#{i + 1} (空白 blank)" for i, (h, f) in enumerate(zip(headers, fields)) if f is None]
    if unknown:
        shown = ", ".join(unknown[:10])
        raise ScreenInputError(f"unknown column(s): {shown}; use profile field names or their Chinese labels",
                               f"无法识别的列：{shown}；请使用企业信息字段名或中文名称", field="columns")
    twice = sorted({f for f in fields if f is not None and fields.count(f) > 1})
    if twice:
        shown = ", ".join(f"{f} ({label_zh(f)})" for f in twice)
        raise ScreenInputError(f"column(s) given more than once: {shown}", f"重复的列：{shown}", field="columns")


def run_screen(input_path: Path, output_path: Path, as_of: date, pack: RulePack, options: ReadOptions) -> dict[str, Any]:
    """Screen every row of the input table with `pack` (the run's pinned pack) into the workbook
    at `output_path` (.xlsx); return the summary stored with the run."""
    with _RUNNING:
        try:
            summary = Screening(pack, as_of, read=options).run(input_path, output_path)
        except TableError as e:
            raise unreadable(e, input_path) from None
    return summary_of(summary, pack, as_of)


def summary_of(s: Summary, pack: RulePack, as_of: date) -> dict[str, Any]:
    """The run's summary as plain JSON: counts per policy and status (rows refused by the model
    count once, under `invalid`), eligible benefit totals (万元), score bins, deciding conditions."""
    return {"rows": s.rows, "valid": s.rows - s.invalid, "invalid": s.invalid, "duplicates": s.duplicates,
            "error_entries": s.errors, "rules_hash": pack.hash, "as_of": as_of.isoformat(),
            "policies": {p: {k: int(counts.get(k, 0)) for k in STATUSES} for p, counts in s.status.items()},
            "amounts": {p: round(float(a), 2) for p, a in s.amount.items()},
            "scores": {c: {k: int(v) for k, v in bins.items()} for c, bins in s.scores.items()},
            "reasons": {p: {k: int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
                        for p, counts in s.reasons.items()}}
