"""Batch screening: an applicant table in, one decision row per input row out, with ranking and rationale.

`ipcheck screen INPUT -o OUTPUT` reads .xlsx / .csv / .parquet in chunks (engine.tabular),
evaluates each chunk column-wise (engine.vectorized) and writes .parquet / .csv (any size,
pyarrow writers) or .xlsx (xlsxwriter in constant-memory mode: decisions, one sheet per
policy with rationale, summary, errors). Every input row gives exactly one output row, in
input order, keyed by its spreadsheet row number and credit code; rows the profile model
refuses are kept with status `invalid` and their errors listed; repeated credit codes are
flagged on every later occurrence.

Ranking under --quota / --budget, among the eligible applicants of a measure, is by:
1. the score of the ranking scorecard, highest first (--rank-by CARD; by default the
   scorecard the measure's conditions read, if any; unknown scores rank last);
2. then registration date, earliest first (unknown last);
3. then credit code, then row number, ascending.
Under a quota the first N are funded. Under a budget applicants are funded in that order
while the running total of their benefit amounts stays within the budget; the first one that
does not fit ends the funded list; an applicant whose amount is unknown cannot be priced and
waits. Everyone else eligible is on the waiting list.
"""
from __future__ import annotations

import csv
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .loader import RulePack, dependencies
from .profile import label_zh
from .rationale import Rationale
from .tabular import CHUNK_ROWS, Chunk, ChunkReader, RowIssue, TableError, read_chunks
from .vectorized import BatchEvaluation, BatchResult, to_python
from .workbook import STATUS_ZH, write_workbook

EXCEL_MAX_ROWS = 1_048_575          # data rows under one header row
OUTPUTS = (".csv", ".parquet", ".xlsx")
ERROR_COLUMNS = ["row", "field", "field_zh", "value", "message_zh", "message_en"]


@dataclass
class Allocation:
    """A quota (number of applicants) or a budget (万元) for one measure."""
    policy: str
    quota: int | None = None
    budget: float | None = None
    rank_by: str | None = None


@dataclass
class Summary:
    rows: int = 0
    invalid: int = 0
    duplicates: int = 0
    errors: int = 0
    status: dict[str, dict[str, int]] = field(default_factory=dict)
    amount: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, int]] = field(default_factory=dict)
    funded: dict[str, dict[str, float]] = field(default_factory=dict)

    def table(self) -> list[tuple[str, str, int, float | None]]:
        """(section, item, count, amount) rows, the summary sheet."""
        out: list[tuple[str, str, int, float | None]] = [
            ("rows 行", "total 合计", self.rows, None), ("rows 行", "invalid 数据有误", self.invalid, None),
            ("rows 行", "duplicate credit codes 信用代码重复", self.duplicates, None),
            ("rows 行", "error entries 错误条目", self.errors, None)]
        for policy, counts in self.status.items():
            for status in ("eligible", "ineligible", "undetermined", "invalid"):
                amount = self.amount.get(policy) if status == "eligible" else None
                out.append((policy, f"{status} {STATUS_ZH[status]}", counts.get(status, 0), amount))
        for policy, funded in self.funded.items():
            out.append((policy, "funded 拟支持", int(funded["funded"]), funded["funded_amount"]))
            out.append((policy, "waiting 候补", int(funded["waiting"]), None))
        for card, bins in self.scores.items():
            for item, count in bins.items():
                out.append((card, item, count, None))
        return out


class Screening:
    """Screen applicant tables against a pack at a date."""

    def __init__(self, pack: RulePack, as_of: date, policies: list[str] | None = None,
                 allocations: list[Allocation] | None = None, lang: str = "zh", chunk_rows: int = CHUNK_ROWS,
                 progress: Callable[[int, float], None] | None = None) -> None:
        self.pack, self.as_of, self.lang, self.chunk_rows, self.progress = pack, as_of, lang, chunk_rows, progress
        unknown = [p for p in policies or [] if p not in pack.policies]
        if unknown:
            raise TableError(f"unknown policy ids: {', '.join(unknown)}; known: {', '.join(sorted(pack.policies))}",
                             f"未知政策标识：{'、'.join(unknown)}；可选：{'、'.join(sorted(pack.policies))}")
        in_force = [p for p in pack.order if p in pack.policies and pack.policy_on(p, as_of) is not None]
        self.policies = [p for p in in_force if policies is None or p in policies]
        self.cards = [c for c in pack.order if c in pack.scorecards]
        self.allocations = {a.policy: a for a in allocations or []}
        for a in self.allocations.values():
            self._check_allocation(a)
        self.rationale = Rationale(pack, as_of, lang)
        self.schema = self._schema()
        priced = [p for p in self.policies if any(b.amount for b in pack.policy_on(p, as_of).benefits)]  # type: ignore[union-attr]
        self.summary = Summary(status={p: {} for p in self.policies}, amount={p: 0.0 for p in priced},
                               scores={c: {} for c in self.cards})
        self.seen: dict[str, int] = {}
        self.keys: dict[str, list[dict[str, np.ndarray]]] = {p: [] for p in self.allocations}

    def _check_allocation(self, a: Allocation) -> None:
        if a.policy not in self.policies:
            raise TableError(f"--quota/--budget names {a.policy!r}, which is not screened (or not in force)",
                             f"--quota/--budget 指定的 {a.policy!r} 不在筛查范围内（或未生效）")
        if a.budget is not None and not any(b.amount is not None for b in self.pack.policy_on(a.policy, self.as_of).benefits):  # type: ignore[union-attr]
            raise TableError(f"--budget {a.policy}: the measure has no benefit amount to count against a budget",
                             f"--budget {a.policy}：该措施没有可计入预算的金额")
        if a.rank_by is None:
            a.rank_by = self.default_rank_card(a.policy)
        elif a.rank_by not in self.pack.scorecards:
            raise TableError(f"--rank-by {a.rank_by!r} is not a scorecard of the pack",
                             f"--rank-by {a.rank_by!r} 不是规则包中的评分表")

    def default_rank_card(self, policy: str) -> str | None:
        """The scorecard a measure's conditions read, if any (the first in pack order)."""
        reads = {n.removesuffix("_passed") for v in self.pack.policies[policy] for n in dependencies(v)}
        return next((c for c in self.cards if c in reads), None)

    def _schema(self) -> pa.Schema:
        fields = [("row", pa.int64()), ("credit_code", pa.string()), ("name", pa.string()), ("valid", pa.bool_()),
                  ("duplicate_of", pa.int64()), ("errors", pa.int32())]
        for p in self.policies:
            fields += [(f"{p}.status", pa.string()), (f"{p}.reason", pa.string()), (f"{p}.amount", pa.float64())]
        for c in self.cards:
            fields += [(f"{c}.score", pa.float64()), (f"{c}.passed", pa.bool_())]
        return pa.schema(fields)

    # --- one chunk ----------------------------------------------------------
    def chunk_table(self, chunk: Chunk) -> pa.Table:
        """Evaluate a prepared chunk: its decision rows (and summary, ranking keys, duplicates on the side)."""
        n = chunk.n
        ev = BatchEvaluation(self.pack, self.as_of, chunk.columns, n)
        result = ev.run()
        rows = np.arange(chunk.first_row, chunk.first_row + n, dtype=np.int64)
        codes = _texts(chunk, "credit_code", n)
        duplicate_of = self.duplicates(chunk, codes, rows)
        issue_rows = np.array([i.row - chunk.first_row for i in chunk.issues if i.row is not None], dtype=np.int64)
        data: dict[str, Any] = {
            "row": rows, "credit_code": codes, "name": _texts(chunk, "name", n), "valid": chunk.valid,
            "duplicate_of": pa.array(duplicate_of, mask=duplicate_of < 0),
            "errors": np.bincount(issue_rows, minlength=n).astype(np.int32)}
        for p in self.policies:
            data.update(self.policy_columns(ev, result, p, chunk))
        for c in self.cards:
            data.update(self.card_columns(result, c, chunk.valid))
        self.summary.rows += n
        self.summary.invalid += int((~chunk.valid).sum())
        return pa.table({name: _array(data[name], typ) for name, typ in zip(self.schema.names, self.schema.types)},
                        schema=self.schema)

    def policy_columns(self, ev: BatchEvaluation, result: BatchResult, p: str, chunk: Chunk) -> dict[str, Any]:
        columns = result.policies[p]
        status = columns.status()
        status[~chunk.valid] = "invalid"
        reason = self.rationale.texts(ev, columns, chunk.valid)
        amount = columns.amount
        eligible = status == "eligible"
        if amount is not None:
            shown = np.where(amount.known & eligible, amount.value, np.nan)
            self.summary.amount[p] = self.summary.amount.get(p, 0.0) + float(np.nansum(shown))
        else:
            shown = np.full(chunk.n, np.nan)
        counts = self.summary.status[p]
        for value, count in zip(*np.unique(status.astype(str), return_counts=True)):
            counts[value] = counts.get(value, 0) + int(count)
        if p in self.allocations:
            self.keep_keys(p, ev, chunk, eligible, shown)
        return {f"{p}.status": status, f"{p}.reason": reason, f"{p}.amount": shown}

    def card_columns(self, result: BatchResult, c: str, valid: np.ndarray) -> dict[str, Any]:
        card = result.scorecards[c]
        total = np.where(card.total.known & valid, card.total.value, np.nan)
        passed = to_python(card.passed)
        passed[~valid] = None
        known = np.asarray(card.passed.known, dtype=bool) & valid
        yes = known & np.asarray(card.passed.value, dtype=bool)
        bins = self.summary.scores[c]
        scored = total[~np.isnan(total)]
        for low, count in zip(*np.unique((scored // 10 * 10).astype(int), return_counts=True)):
            key = f"score {low}-{low + 10}"
            bins[key] = bins.get(key, 0) + int(count)
        unknown = int(np.isnan(total[valid]).sum())
        bins["score unknown 分数未知"] = bins.get("score unknown 分数未知", 0) + unknown
        for word, hits in (("passed 达标", yes), ("not passed 未达标", known & ~yes), ("undetermined 待定", valid & ~known)):
            bins[word] = bins.get(word, 0) + int(hits.sum())
        return {f"{c}.score": total, f"{c}.passed": passed}

    def duplicates(self, chunk: Chunk, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Row number of the first row with the same credit code (-1 for a first occurrence)."""
        out = np.full(chunk.n, -1, dtype=np.int64)
        seen = self.seen
        for i, code in enumerate(codes.tolist()):
            if code is None:
                continue
            first = seen.setdefault(code, int(rows[i]))
            if first != rows[i]:
                out[i] = first
                chunk.issues.append(RowIssue(int(rows[i]), "credit_code", label_zh("credit_code"), code,
                                             f"统一社会信用代码与第 {first} 行重复", f"same credit code as row {first}"))
        self.summary.duplicates += int((out >= 0).sum())
        return out

    def keep_keys(self, p: str, ev: BatchEvaluation, chunk: Chunk, eligible: np.ndarray, amount: np.ndarray) -> None:
        """Ranking keys of the eligible rows (kept until every chunk is read)."""
        card = self.allocations[p].rank_by
        idx = np.flatnonzero(eligible)
        score = np.full(len(idx), np.nan)
        if card is not None:
            total = ev.values[card]
            score = np.where(np.asarray(total.known)[idx], np.asarray(total.value, dtype=float)[idx], np.nan)
        reg = ev.values["registration_date"]
        registered = np.where(np.asarray(reg.known)[idx], np.asarray(reg.value)[idx], np.iinfo(np.int64).max)
        codes = _texts(chunk, "credit_code", chunk.n)[idx]
        self.keys[p].append({"row": idx + chunk.first_row, "score": score, "registered": registered,
                             "code": np.array(["" if c is None else c for c in codes], dtype=object),
                             "amount": amount[idx]})

    # --- ranking ------------------------------------------------------------
    def allocate(self, total_rows: int, first_row: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """policy -> (rank per row, 0 = not ranked; funded flag per row: 1 funded, 2 waiting, 0 none)."""
        out = {}
        for p, a in self.allocations.items():
            parts = self.keys[p]
            keys = {k: np.concatenate([part[k] for part in parts]) if parts else np.zeros(0) for k in
                    ("row", "score", "registered", "code", "amount")}
            score = np.where(np.isnan(keys["score"].astype(float)), np.inf, -keys["score"].astype(float))
            order = np.lexsort((keys["row"], keys["code"].astype(str), keys["registered"], score))
            rank = np.zeros(total_rows, dtype=np.int64)
            funded = np.zeros(total_rows, dtype=np.int8)
            at = keys["row"][order].astype(np.int64) - first_row
            rank[at] = np.arange(1, len(order) + 1)
            funded[at] = 2
            chosen = self.funded_rows(a, keys["amount"][order])
            funded[at[chosen]] = 1
            amount = keys["amount"][order][chosen]
            self.summary.funded[p] = {"funded": float(chosen.sum()), "waiting": float((~chosen).sum()),
                                      "funded_amount": float(np.nansum(amount)) if p in self.summary.amount else None}
            out[p] = (rank, funded)
        return out

    @staticmethod
    def funded_rows(a: Allocation, amounts: np.ndarray) -> np.ndarray:
        chosen = np.zeros(len(amounts), dtype=bool)
        if a.quota is not None:
            chosen[:a.quota] = True
        if a.budget is not None:
            spent, fits = 0.0, np.zeros(len(amounts), dtype=bool)
            for i, amount in enumerate(amounts.tolist()):
                if amount != amount:           # unknown amount: cannot be priced, waits
                    continue
                if spent + amount > a.budget:
                    break
                spent += amount
                fits[i] = True
            chosen = fits if a.quota is None else chosen & fits
        return chosen

    # --- whole files --------------------------------------------------------
    def run(self, source: Path, output: Path) -> Summary:
        suffix = output.suffix.lower()
        if suffix not in OUTPUTS:
            raise TableError(f"{output}: unsupported output; use {', '.join(OUTPUTS)}",
                             f"{output}：不支持的输出格式，请使用 {'、'.join(OUTPUTS)}")
        staged = suffix == ".xlsx" or bool(self.allocations)
        work = Path(tempfile.mkstemp(suffix=".parquet", dir=output.parent or ".", prefix=".screen-")[1]) \
            if staged else output
        errors_path = Path(str(output) + ".errors.csv") if suffix != ".xlsx" else work.with_suffix(".errors.csv")
        try:
            with errors_path.open("w", encoding="utf-8-sig", newline="") as errors_file:
                errors = csv.writer(errors_file)
                errors.writerow(ERROR_COLUMNS)
                first_row = self.stream(source, work if staged else output, errors)
            if staged:
                self.finish(work, output, first_row, errors_path)
            if suffix != ".xlsx":
                write_summary(Path(str(output) + ".summary.csv"), self.summary)
        finally:
            if staged:
                work.unlink(missing_ok=True)
                if suffix == ".xlsx":
                    errors_path.unlink(missing_ok=True)
        return self.summary

    def stream(self, source: Path, target: Path, errors: Any) -> int:
        """Screen every chunk into `target` (parquet or csv); returns the first data row number."""
        reader: ChunkReader | None = None
        sink = open_sink(target, self.schema)
        first_row = next_row = 2
        started = time.perf_counter()
        try:
            for headers, table in read_chunks(source, self.chunk_rows):
                if reader is None:
                    reader = ChunkReader(headers)
                    self.write_issues(errors, reader.header_issues)
                chunk = reader.prepare(table, next_row)
                sink.write(self.chunk_table(chunk))
                self.write_issues(errors, chunk.issues)
                next_row += chunk.n
                if self.progress:
                    self.progress(next_row - first_row, time.perf_counter() - started)
        finally:
            sink.close()
        return first_row

    def write_issues(self, errors: Any, issues: list[RowIssue]) -> None:
        self.summary.errors += len(issues)
        errors.writerows([i.row, i.field, i.field_zh, i.value, i.message_zh, i.message_en] for i in issues)

    def finish(self, staged: Path, output: Path, first_row: int, errors_path: Path) -> None:
        """Add ranking columns and write the final file from the staged decisions."""
        total = pq.ParquetFile(staged).metadata.num_rows
        ranks = self.allocate(total, first_row)
        batches = _with_ranks(staged, ranks, first_row, self.chunk_rows)
        if output.suffix.lower() == ".xlsx":
            if total > EXCEL_MAX_ROWS:
                raise TableError(f"{total} rows do not fit in one Excel sheet (max {EXCEL_MAX_ROWS}); use .csv or .parquet",
                                 f"{total} 行超出 Excel 单表上限（{EXCEL_MAX_ROWS} 行），请输出 .csv 或 .parquet")
            write_workbook(output, batches, self, errors_path)
            return
        first = next(batches, None)
        schema = first.schema if first is not None else _ranked_schema(self.schema, ranks)
        sink = open_sink(output, schema)
        try:
            if first is not None:
                sink.write(first)
            for table in batches:
                sink.write(table)
        finally:
            sink.close()


def _texts(chunk: Chunk, name: str, n: int) -> np.ndarray:
    vec = chunk.columns.get(name)
    if vec is None:
        return np.full(n, None, dtype=object)
    return np.asarray(vec.value, dtype=object)


def _array(values: Any, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    if pa.types.is_floating(typ):
        values = np.asarray(values, dtype=float)
        return pa.array(values, type=typ, mask=np.isnan(values))
    return pa.array(values, type=typ, from_pandas=True)


def _ranked_schema(schema: pa.Schema, ranks: dict[str, Any]) -> pa.Schema:
    for p in ranks:
        schema = schema.append(pa.field(f"{p}.rank", pa.int64())).append(pa.field(f"{p}.funded", pa.string()))
    return schema


def _with_ranks(staged: Path, ranks: dict[str, tuple[np.ndarray, np.ndarray]], first_row: int,
                batch_rows: int) -> Iterator[pa.Table]:
    words = np.array([None, "funded", "waiting"], dtype=object)
    for batch in pq.ParquetFile(staged).iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        at = table.column("row").to_numpy() - first_row
        for p, (rank, funded) in ranks.items():
            r = rank[at]
            table = table.append_column(f"{p}.rank", pa.array(r, mask=r == 0))
            table = table.append_column(f"{p}.funded", pa.array(words[funded[at]], type=pa.string()))
        yield table


class _Sink:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.writer: Any = pq.ParquetWriter(path, schema) if path.suffix.lower() == ".parquet" \
            else pacsv.CSVWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()


def open_sink(path: Path, schema: pa.Schema) -> _Sink:
    return _Sink(path, schema)


def write_summary(path: Path, summary: Summary) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["section", "item", "count", "amount_wan_yuan"])
        out.writerows(summary.table())


def terminal_progress(stream: Any = None) -> Callable[[int, float], None] | None:
    """A one-line progress report (rows done, rate) when the stream is a terminal, else None."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def report(rows: int, seconds: float) -> None:
        rate = rows / seconds if seconds > 0 else 0.0
        stream.write(f"\r已处理 {rows:,} 行 / rows done, {rate:,.0f} 行/秒 rows/s")
        stream.flush()
    return report
