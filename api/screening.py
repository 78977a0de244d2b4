"""Batch screening behind the service's narrow interface: `check_input` and `run_screen`.

Both are the engine's screening path, the one `ipcheck screen` runs: engine.batch.tabular reads the
table (xlsx through fastexcel, CSV as UTF-8 or GBK, Chinese or English headers, rows validated
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

from engine import (
    Allocation,
    LimitError,
    ReadOptions,
    RulePack,
    Screening,
    SheetChoice,
    Summary,
    TableError,
    TableRead,
    policy_id,
    read_table,
    resolve_headers,
    short_name,
)
from engine.model.errors import BilingualError

STATUSES = ("eligible", "ineligible", "undetermined", "error")
# One run at a time per process: the engine's per-process caches (a plan's chunk reader and
# rationale) are not shared between threads, and on two cores parallel runs gain nothing.
_RUNNING = threading.Lock()


class ScreenInputError(BilingualError):
    """The uploaded table cannot be screened."""

    def __init__(
        self, en: str, zh: str, field: str = "file", status: int = 422, sheets: list[tuple[str, bool]] | None = None
    ) -> None:
        super().__init__(en, zh, shown=en)
        self.field, self.status, self.sheets = field, status, sheets or []


def unreadable(e: TableError, path: Path) -> ScreenInputError:
    """An engine whole-file error, naming the upload rather than the server's temporary path;
    a file over a reading limit is 413 (too large), any other 422."""
    return ScreenInputError(
        e.en.replace(str(path), path.name),
        e.zh.replace(str(path), path.name),
        field="sheet" if isinstance(e, SheetChoice) else "file",
        status=413 if isinstance(e, LimitError) else 422,
        sheets=e.sheets if isinstance(e, SheetChoice) else None,
    )


def read_options(limits: Any, sheet: str | None) -> ReadOptions:
    """How the service reads an upload: the chosen sheet, within the service's workbook limits, a workbook
    in a child process with a memory and CPU limit (a reader that blows up cannot take the server down)."""
    return ReadOptions(sheet=sheet or None, limits=limits.sheet, isolate=True)


def check_input(path: Path, max_rows: int, options: ReadOptions, ignore_unknown: bool = False) -> TableRead:
    """The table, read in full (so a bad byte anywhere is caught here, and the run screens it without
    reading again); raises ScreenInputError for unreadable files (or workbooks over the limits in
    `options`), headers that name no profile field, or too many rows."""
    if not path.read_bytes().strip():
        raise ScreenInputError("the file is empty", "文件为空")
    try:
        table = read_table(path, options)
    except TableError as e:
        raise unreadable(e, path) from None
    except Exception as e:
        raise ScreenInputError(
            f"the file cannot be read as {path.suffix.lstrip('.')} ({type(e).__name__})",
            f"无法读取该文件（{type(e).__name__}），请上传 UTF-8/GBK 编码的 CSV 或 xlsx 工作簿",
        ) from None
    rows = table.rows
    if rows == 0:
        raise ScreenInputError("the table has no data rows", "表格没有数据行", field="rows")
    check_headers(table.headers, ignore_unknown)
    if rows > max_rows:
        raise ScreenInputError(
            f"{rows} rows is more than the limit of {max_rows}", f"共 {rows} 行，超过 {max_rows} 行的上限", field="rows"
        )
    return table


def check_headers(headers: list[str], ignore_unknown: bool = False) -> None:
    """Every column must name a profile field, once (engine.batch.headers: labels, synonyms, units),
    or be on the declared ignore list; unknown ones pass only when the officer accepts ignoring them."""
    zh, en = resolve_headers(headers).message(ignore_unknown)
    if zh:
        raise ScreenInputError(en, zh, field="columns")


def allocations_of(pack: RulePack, as_of: date, quotas: list[str], budgets: list[str]) -> list[Allocation]:
    """Quotas and budgets as `measure=number` by id or Chinese name; ScreenInputError naming the valid ones."""
    pairs: dict[str, dict[str, float]] = {}
    for kind, entries in (("quota", quotas), ("budget", budgets)):
        for entry in entries:
            name, _, number = entry.rpartition("=")
            if not name.strip() and not number.strip():
                continue
            try:
                value = float(number)
                if value < 0 or (kind == "quota" and not value.is_integer()):
                    raise ValueError
                policy = policy_id(pack, name, as_of, kind)
            except ValueError as e:
                if isinstance(e, TableError):
                    raise ScreenInputError(e.en, e.zh, field=kind) from None
                raise ScreenInputError(
                    f"{kind}: expected MEASURE=NUMBER (≥ 0), got {entry!r}",
                    f"{'名额' if kind == 'quota' else '预算'}：应为 措施名称=非负数，收到「{entry}」",
                    field=kind,
                ) from None
            pairs.setdefault(policy, {})[kind] = value
    return [
        Allocation(p, quota=None if "quota" not in v else int(v["quota"]), budget=v.get("budget"))
        for p, v in sorted(pairs.items())
    ]


def run_screen(
    input_path: Path,
    output_path: Path,
    as_of: date,
    pack: RulePack,
    options: ReadOptions,
    allocations: list[Allocation] | None = None,
    ignore_unknown: bool = False,
    table: TableRead | None = None,
) -> dict[str, Any]:
    """Screen every row of the input table with `pack` (the run's pinned pack) into the workbook
    at `output_path` (.xlsx); return the summary stored with the run. `table`: the input as the
    upload check read it (else it is read again)."""
    with _RUNNING:
        try:
            screening = Screening(
                pack, as_of, allocations=allocations, read=options, ignore_unknown_columns=ignore_unknown
            )
            summary = screening.run(input_path, output_path, table)
        except TableError as e:
            raise unreadable(e, input_path) from None
    return summary_of(summary, pack, as_of) | {
        "names": {p: short_name(pack, p, as_of) for p in screening.policies},
        "allocations": {a.policy: {"quota": a.quota, "budget": a.budget} for a in allocations or []},
        "funded": {p: dict(f) for p, f in summary.funded.items()},
        "skipped_columns": summary.skipped_columns,
        "tiers": dict(sorted(summary.tiers.items())),
    }


def summary_of(s: Summary, pack: RulePack, as_of: date) -> dict[str, Any]:
    """The run's summary as plain JSON: counts per policy and status (rows refused by the model
    count once, under `invalid`), eligible benefit totals (万元), score bins, deciding conditions."""
    return {
        "rows": s.rows,
        "valid": s.rows - s.invalid,
        "invalid": s.invalid,
        "blank": s.blank,
        "duplicates": s.duplicates,
        "error_entries": s.errors,
        "rules_hash": pack.hash,
        "as_of": as_of.isoformat(),
        "policies": {p: {k: int(counts.get(k, 0)) for k in STATUSES} for p, counts in s.status.items()},
        "amounts": {p: round(float(a), 2) for p, a in s.amount.items()},
        "scores": {c: {k: int(v) for k, v in bins.items()} for c, bins in s.scores.items()},
        "reasons": {
            p: {k: int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
            for p, counts in s.reasons.items()
        },
    }
