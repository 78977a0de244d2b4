"""Batch screening: an applicant table in, one decision row per input row out, with ranking and rationale.

`ipcheck screen INPUT -o OUTPUT` reads .xlsx / .csv / .parquet in chunks (engine.batch.tabular),
evaluates each chunk column-wise (engine.batch.vectorized) and writes .parquet / .csv (any size,
pyarrow writers) or .xlsx (xlsxwriter in constant-memory mode: decisions, one sheet per
policy with rationale, summary, errors). Every input row gives exactly one output row, in
input order, keyed by its spreadsheet row number and credit code; rows the profile model
refuses are kept with status `invalid` and their errors listed; repeated credit codes are
flagged on every later occurrence.

Ranking under --quota / --budget, among the eligible applicants of a measure, is by:
1. the ranking score, highest first (--rank-by: a scorecard or a numeric derived fact; by
   default the scorecard the measure's conditions read, if any, otherwise the IP-strength
   score `ip_strength` (0-100) when the pack has one; unknown scores rank last);
2. then registration date, earliest first (unknown last);
3. then credit code (blank last), then row number, ascending.
Under a quota the first N are funded. Under a budget applicants are funded in that order
while the running total of their benefit amounts stays within the budget; the first one that
does not fit ends the funded list; an applicant whose amount is unknown cannot be priced and
waits. Everyone else eligible is on the waiting list.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.batch.background import Behind, prefetch
from engine.batch.csvread import PROBLEM
from engine.batch.headers import resolve
from engine.batch.outputs import Staged, neutral_row, neutral_table, output_error, refuse_overwrite
from engine.batch.rationale import Coded, Rationale
from engine.batch.tabular import (
    CHUNK_ROWS,
    Chunk,
    ChunkReader,
    ReadOptions,
    RowIssue,
    TableError,
    TableRead,
    check_source,
    map_headers,
    read_chunks,
)
from engine.batch.vectorized import UNKNOWN, UNMET, BatchEvaluation, BatchResult, Vec, to_python
from engine.batch.workbook import EXCEL_MAX_ROWS, STATUS_ZH, write_workbook
from engine.evaluate.evaluator import prepared
from engine.language.graph import reads_of
from engine.language.loader import RulePack, load_pack
from engine.model.profile import label_zh

IP_STRENGTH = "ip_strength"  # the default ranking score, 0-100 (rules/ip_strength/)
TEXT = pa.dictionary(pa.int32(), pa.string())  # status and reason columns: each distinct text stored once
SHOWN_FACTS = {IP_STRENGTH: pa.float64(), "ip_strength_tier": TEXT}  # beside the decisions, when the pack has them
STATUS_WORDS = pa.array(["eligible", "undetermined", "ineligible", "invalid", "error"])  # by state, invalid, error
ERROR = 4  # a rule could not be computed for the row (engine.batch.vectorized: PolicyColumns.error)
OUTPUTS = (".csv", ".parquet", ".xlsx")
ERROR_COLUMNS = ["row", "field", "field_zh", "value", "message_zh", "message_en"]


@dataclass
class Allocation:
    """A quota (number of applicants) or a budget (万元) for one measure."""

    policy: str
    quota: int | None = None
    budget: float | None = None
    rank_by: str | None = None


@dataclass(frozen=True)
class Plan:
    """What every chunk needs to be screened anywhere (a worker process, a Dask worker): picklable."""

    root: Path
    rules_hash: str  # the pack screened with: never another one from `root`
    as_of: date
    policies: tuple[str, ...]
    cards: tuple[str, ...]
    lang: str
    ranked: tuple[tuple[str, str | None], ...]  # (policy, ranking scorecard)
    headers: tuple[str, ...]
    facts: tuple[str, ...] = ()  # derived facts shown beside the decisions (IP strength)


def schema_of(plan: Plan) -> pa.Schema:
    fields = [
        ("row", pa.int64()),
        ("credit_code", pa.string()),
        ("name", pa.string()),
        ("valid", pa.bool_()),
        ("duplicate_of", pa.int64()),
        ("errors", pa.int32()),
    ]
    for p in plan.policies:
        fields += [
            (f"{p}.status", TEXT),
            (f"{p}.reason", TEXT),
            (f"{p}.amount", pa.float64()),
            (f"{p}.unmet", TEXT),
            (f"{p}.unknown", TEXT),
            (f"{p}.assumptions", TEXT),
        ]
    for c in plan.cards:
        fields += [(f"{c}.score", pa.float64()), (f"{c}.passed", pa.bool_())]
    fields += [(f, SHOWN_FACTS[f]) for f in plan.facts]
    return pa.schema(fields)


@dataclass
class Part:
    """A screened chunk: its decision rows and what the summary and the ranking need from it."""

    table: pa.Table
    issues: list[RowIssue]
    status: dict[str, np.ndarray]  # policy -> counts by state (eligible, undetermined, ineligible, invalid)
    amount: dict[str, float]
    scores: dict[str, dict[str, int]]
    keys: dict[str, dict[str, np.ndarray]]
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)  # policy -> deciding leaf -> rows
    up_to: dict[str, tuple[int, float]] = field(default_factory=dict)  # policy -> ("up to N" rows, total of N)
    blank: int = 0  # of the invalid rows, those with nothing in them


# --- one chunk, anywhere ------------------------------------------------------------

# Per process, most recent last; bounded, so a long-running process (the service: a new as-of
# date every day, packs replaced by hot reloads) does not keep every plan and pack it ever saw.
_STATE: OrderedDict[Plan, tuple[RulePack, ChunkReader, Rationale]] = OrderedDict()
_PACKS: OrderedDict[tuple[Path, str], RulePack] = OrderedDict()
_KEEP_STATES, _KEEP_PACKS = 8, 4


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, keep: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > keep:
        cache.popitem(last=False)


def _state(plan: Plan) -> tuple[RulePack, ChunkReader, Rationale]:
    """Per process: the pack, a chunk reader (its per-value verdicts persist across chunks), the rationale.

    The pack is the one the Screening was made with (registered in this process) or, in another
    process, loaded from `plan.root`, which must still hash to `plan.rules_hash`."""
    if plan not in _STATE:
        pack = _PACKS.get((plan.root, plan.rules_hash))
        if pack is None:
            pack = load_pack(plan.root)
            if pack.hash != plan.rules_hash:
                raise TableError(
                    f"the rule files changed during the run (pack {plan.rules_hash} is now {pack.hash})",
                    f"筛查过程中规则文件发生变化（规则包 {plan.rules_hash} 已变为 {pack.hash}）",
                )
            _remember(_PACKS, (plan.root, pack.hash), pack, _KEEP_PACKS)
        _remember(
            _STATE, plan, (pack, ChunkReader(list(plan.headers)), Rationale(pack, plan.as_of, plan.lang)), _KEEP_STATES
        )
    else:
        _STATE.move_to_end(plan)
    return _STATE[plan]


def screen_part(plan: Plan, table: pa.Table, first_row: int) -> Part:
    """Validate and screen one chunk of raw cells (columns c0, c1, ... as in plan.headers)."""
    pack, reader, rationale = _state(plan)
    table = table.rename_columns([n if n == PROBLEM else f"c{i}" for i, n in enumerate(table.column_names)])
    chunk = reader.prepare(table, first_row)
    n = chunk.n
    ev = BatchEvaluation(pack, plan.as_of, chunk.columns, n)
    result = ev.run([*plan.policies, *plan.cards, *plan.facts, *(c for _, c in plan.ranked if c)])
    data: dict[str, Any] = {
        "row": np.arange(first_row, first_row + n, dtype=np.int64),
        "credit_code": _texts(chunk, "credit_code", n),
        "name": _texts(chunk, "name", n),
        "valid": chunk.valid,
        "duplicate_of": pa.nulls(n, pa.int64()),
        "errors": np.zeros(n, dtype=np.int32),
    }
    part = Part(pa.table({}), chunk.issues, {}, {}, {}, {}, blank=chunk.blank)
    ranked = dict(plan.ranked)
    invalid = _invalid_reasons(chunk, plan.lang)
    for p in plan.policies:
        data.update(_policy_columns(part, rationale, ev, result, p, chunk, ranked, invalid))
    for c in plan.cards:
        data.update(_card_columns(part, result, c, chunk.valid))
    for f in plan.facts:
        data[f] = _fact_column(ev.values[f], chunk.valid, SHOWN_FACTS[f])
    schema = schema_of(plan)
    part.table = pa.table(
        {name: _array(data[name], typ) for name, typ in zip(schema.names, schema.types)}, schema=schema
    )
    return part


def _policy_columns(
    part: Part,
    rationale: Rationale,
    ev: BatchEvaluation,
    result: BatchResult,
    p: str,
    chunk: Chunk,
    ranked: dict[str, str | None],
    invalid: Coded,
) -> dict[str, Any]:
    columns = result.policies[p]
    error = columns.error if columns.error is not None else np.zeros(chunk.n, dtype=bool)
    state = np.where(chunk.valid, np.where(error, ERROR, columns.state), 3)
    eligible = state == 0
    amount = columns.amount
    shown = np.full(chunk.n, np.nan)
    if amount is not None:
        shown = np.where(amount.known & eligible, amount.value, np.nan)
        part.amount[p] = float(np.nansum(shown))
    if columns.up_to is not None:
        capped = columns.up_to.known & eligible
        part.up_to[p] = (int(capped.sum()), float(np.where(capped, columns.up_to.value, 0.0).sum()))
    part.status[p] = np.bincount(state, minlength=len(STATUS_WORDS))
    if p in ranked:
        part.keys[p] = _ranking_keys(ev, chunk, ranked[p], eligible, shown)
    status = pa.DictionaryArray.from_arrays(pa.array(state.astype(np.int32)), STATUS_WORDS)
    decided = chunk.valid & ~eligible  # an eligible row lists no unmet alternatives of an any-of
    part.reasons[p] = rationale.deciding_counts(columns, chunk.valid)
    notes = _error_reasons(invalid, error & chunk.valid, rationale.lang)
    return {
        f"{p}.status": status,
        f"{p}.reason": rationale.texts(ev, columns, chunk.valid & ~error, notes),
        f"{p}.amount": shown,
        f"{p}.unmet": rationale.leaf_ids(columns, decided, UNMET),
        f"{p}.unknown": rationale.leaf_ids(columns, decided, UNKNOWN),
        f"{p}.assumptions": rationale.assumptions(result, p, chunk.valid),
    }


def _fact_column(vec: Vec, valid: np.ndarray, typ: pa.DataType) -> Any:
    """A derived fact shown beside the decisions, blank for invalid rows."""
    shown = np.asarray(vec.known, dtype=bool) & valid
    if typ == pa.float64() and vec.kind in ("int", "num"):
        return np.where(shown, np.asarray(vec.value, dtype=float), np.nan)  # _array: NaN is null
    values = to_python(vec)
    values[~shown] = None
    return [None if v is None else float(v) for v in values] if typ == pa.float64() else values


def _error_reasons(invalid: Coded, error: np.ndarray, lang: str) -> Coded:
    """The invalid rows' texts, and for rows where a rule failed, that it did (the log has file:line)."""
    if not error.any():
        return invalid
    text = (
        "规则计算出错，未判定（请联系规则维护人员）"
        if lang == "zh"
        else "a rule could not be computed; not decided (please tell the rule authors)"
    )
    return Coded(np.where(error, len(invalid.table), invalid.codes), [*invalid.table, text])


def _invalid_reasons(chunk: Chunk, lang: str) -> Coded:
    """For rows the model refused: the fields at fault (the errors sheet has the details)."""
    fields: dict[int, list[str]] = {}
    for issue in chunk.issues:
        if issue.row is not None:
            name = issue.field_zh if lang == "zh" and issue.field_zh else issue.field
            shown = fields.setdefault(issue.row - chunk.first_row, [])
            if name not in shown:
                shown.append(name)
    head, sep = (
        ("数据有误，未评估（见“数据问题”表）：", "、")
        if lang == "zh"
        else ("invalid data, not assessed (see errors): ", ", ")
    )
    texts = sorted({head + sep.join(names) for names in fields.values()})
    index = {text: i for i, text in enumerate(texts)}
    codes = np.full(chunk.n, -1, dtype=np.int64)
    for row, names in fields.items():
        codes[row] = index[head + sep.join(names)]
    return Coded(codes, texts)


def _card_columns(part: Part, result: BatchResult, c: str, valid: np.ndarray) -> dict[str, Any]:
    card = result.scorecards[c]
    total = np.where(card.total.known & valid, card.total.value, np.nan)
    passed = to_python(card.passed)
    passed[~valid] = None
    known = np.asarray(card.passed.known, dtype=bool) & valid
    yes = known & np.asarray(card.passed.value, dtype=bool)
    scored = total[~np.isnan(total)]
    bins = {
        f"score {low}-{low + 10}": int(count)
        for low, count in zip(*np.unique((scored // 10 * 10).astype(int), return_counts=True))
    }
    bins["score unknown 分数未知"] = int(np.isnan(total[valid]).sum())
    for word, hits in (
        ("passed 达标", yes),
        ("not passed 未达标", known & ~yes),
        ("undetermined 待定", valid & ~known),
    ):
        bins[word] = int(hits.sum())
    part.scores[c] = bins
    return {f"{c}.score": total, f"{c}.passed": passed}


def _ranking_keys(
    ev: BatchEvaluation, chunk: Chunk, card: str | None, eligible: np.ndarray, amount: np.ndarray
) -> dict[str, np.ndarray]:
    """Ranking keys of the eligible rows (kept until every chunk is read)."""
    idx = np.flatnonzero(eligible)
    score = np.full(len(idx), np.nan)
    if card is not None:
        total = ev.values[card]
        score = np.where(np.asarray(total.known)[idx], np.asarray(total.value, dtype=float)[idx], np.nan)
    reg = ev.values["registration_date"]
    registered = np.where(np.asarray(reg.known)[idx], np.asarray(reg.value)[idx], np.iinfo(np.int64).max)
    codes = _texts(chunk, "credit_code", chunk.n).take(pa.array(idx, type=pa.int64())).fill_null("\uffff")  # blank last
    return {
        "row": idx + chunk.first_row,
        "score": score,
        "registered": registered,
        "code": np.asarray(codes.to_pylist(), dtype=object),
        "amount": amount[idx],
    }


# --- the whole run ------------------------------------------------------------------


@dataclass
class Summary:
    rows: int = 0
    invalid: int = 0
    blank: int = 0  # of the invalid rows, the empty ones (a blank line is no applicant, not a data error)
    duplicates: int = 0
    errors: int = 0
    status: dict[str, dict[str, int]] = field(default_factory=dict)
    amount: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, int]] = field(default_factory=dict)
    funded: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped_columns: list[str] = field(default_factory=list)  # read past: unknown (when accepted) or on IGNORED
    tiers: dict[str, int] = field(default_factory=dict)  # IP-strength tier -> rows
    up_to: dict[str, tuple[int, float]] = field(default_factory=dict)

    def absorb(self, part: Part) -> None:
        self.rows += part.table.num_rows
        self.invalid += int((~part.table.column("valid").to_numpy(zero_copy_only=False)).sum())
        self.blank += part.blank
        for p, counts in part.status.items():
            mine = self.status.setdefault(p, {})
            for word, count in zip(STATUS_WORDS.to_pylist(), counts.tolist()):
                mine[word] = mine.get(word, 0) + count
        for p, amount in part.amount.items():
            self.amount[p] = self.amount.get(p, 0.0) + amount
        for p, (rows, caps) in part.up_to.items():
            had = self.up_to.get(p, (0, 0.0))
            self.up_to[p] = (had[0] + rows, had[1] + caps)
        for c, bins in part.scores.items():
            mine = self.scores.setdefault(c, {})
            for key, count in bins.items():
                mine[key] = mine.get(key, 0) + count
        if "ip_strength_tier" in part.table.column_names:
            tiers = part.table.column("ip_strength_tier").cast(pa.string()).value_counts()
            for item in tiers.to_pylist():
                if item["values"] is not None:
                    self.tiers[item["values"]] = self.tiers.get(item["values"], 0) + item["counts"]
        for p, counts in part.reasons.items():
            mine = self.reasons.setdefault(p, {})
            for key, count in counts.items():
                mine[key] = mine.get(key, 0) + count

    def table(self) -> list[tuple[str, str, int, float | None]]:
        """(section, item, count, amount) rows, the summary sheet."""
        out: list[tuple[str, str, int, float | None]] = [
            ("rows 行", "total 合计", self.rows, None),
            ("rows 行", "invalid 数据有误", self.invalid, None),
            ("rows 行", "of which blank rows 其中空行", self.blank, None),
            ("rows 行", "duplicate credit codes 信用代码重复", self.duplicates, None),
            ("rows 行", "error entries 错误条目", self.errors, None),
        ]
        for policy, counts in self.status.items():
            for status in ("eligible", "ineligible", "undetermined", "invalid", "error"):
                amount = self.amount.get(policy) if status == "eligible" else None
                # to the yuan: chunks (or Dask partitions) add their parts in different orders
                amount = None if amount is None else round(amount, 4)
                out.append((policy, f"{status} {STATUS_ZH[status]}", counts.get(status, 0), amount))
            if policy in self.up_to:  # "up to N": a ceiling, never added to the confirmed amounts
                rows, caps = self.up_to[policy]
                out.append(
                    (policy, "up to (ceiling, not an amount) 最高可达（上限合计，非确定金额）", rows, round(caps, 4))
                )
        for policy, funded in self.funded.items():
            out.append((policy, "funded 拟支持", int(funded["funded"]), funded["funded_amount"]))
            out.append((policy, "waiting 候补", int(funded["waiting"]), None))
        for card, bins in self.scores.items():
            for item in sorted(bins, key=_bin_order):
                out.append((card, item, bins[item], None))
        for policy, counts in self.reasons.items():  # the deciding conditions, most frequent first
            for item, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                out.append((policy, f"reason 理由: {item}", count, None))
        return out


class SeenCodes:
    """Credit codes seen so far with the row of their first occurrence: sorted byte strings, exact."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype="S1")
        self.rows = np.empty(0, dtype=np.int64)

    def first_rows(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The first row of each key (earlier chunks first, then earlier rows of this one); remembers new keys."""
        if not len(keys):
            return rows
        width = max(keys.dtype.itemsize, self.keys.dtype.itemsize)
        keys, self.keys = keys.astype(f"S{width}", copy=False), self.keys.astype(f"S{width}", copy=False)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        head = np.r_[True, ordered[1:] != ordered[:-1]]
        group_first = rows[order][head][np.cumsum(head) - 1]  # first row of each run of equal keys
        at = np.searchsorted(self.keys, ordered)
        known = at < len(self.keys)
        known[known] = self.keys[at[known]] == ordered[known]
        first_sorted = np.where(
            known, self.rows[np.minimum(at, len(self.rows) - 1)] if len(self.rows) else 0, group_first
        )
        fresh = head & ~known
        self.keys = np.insert(self.keys, at[fresh], ordered[fresh])
        self.rows = np.insert(self.rows, at[fresh], group_first[fresh])
        out = np.empty(len(keys), dtype=np.int64)
        out[order] = first_sorted
        return out


def _bin_order(item: str) -> tuple[int, str]:
    head = item.split(" ")[1].split("-")[0] if item.startswith("score ") else ""
    return (int(head), item) if head.isdigit() else (10**9, item)


class Screening:
    """Screen applicant tables against a pack at a date."""

    def __init__(
        self,
        pack: RulePack,
        as_of: date,
        policies: list[str] | None = None,
        allocations: list[Allocation] | None = None,
        lang: str = "zh",
        chunk_rows: int = CHUNK_ROWS,
        progress: Callable[[int, float], None] | None = None,
        workers: int = 1,
        engine: str = "local",
        scheduler: str | None = None,
        read: ReadOptions | None = None,
        ignore_unknown_columns: bool = False,
    ) -> None:
        self.read = read or ReadOptions()  # sheet choice, xlsx limits; collects notes about the file
        self.ignore_unknown_columns = ignore_unknown_columns
        self.pack, self.as_of, self.lang, self.chunk_rows, self.progress = pack, as_of, lang, chunk_rows, progress
        self.workers, self.engine, self.scheduler = workers, engine, scheduler
        unknown = [p for p in policies or [] if p not in pack.policies]
        if unknown:
            raise TableError(
                f"unknown policy ids: {', '.join(unknown)}; known: {', '.join(sorted(pack.policies))}",
                f"未知政策标识：{'、'.join(unknown)}；可选：{'、'.join(sorted(pack.policies))}",
            )
        in_force = [p for p in pack.order if p in pack.policies and pack.policy_on(p, as_of) is not None]
        self.policies = [p for p in in_force if policies is None or p in policies]
        self.facts = tuple(f for f in SHOWN_FACTS if f in pack.derived)
        # Only what the chosen policies and the shown facts read is evaluated (and its scores shown).
        cone = None if policies is None else set(prepared(pack).cone([*self.policies, *self.facts]))
        self.cards = [c for c in pack.order if c in pack.scorecards and (cone is None or c in cone)]
        self.allocations = {a.policy: a for a in allocations or []}
        for a in self.allocations.values():
            self._check_allocation(a)
        self.priced = [p for p in self.policies if any(b.amount for b in pack.policy_on(p, as_of).benefits)]  # type: ignore[union-attr]
        self.excel = self.neutral_errors = False
        self.reset()

    def reset(self) -> None:
        """Forget everything from a previous run (summary, credit codes seen, ranking keys)."""
        self.summary = Summary(
            status={p: {} for p in self.policies},
            amount=dict.fromkeys(self.priced, 0.0),
            scores={c: {} for c in self.cards},
        )
        self.seen = SeenCodes()
        self.read.notes = []
        self.keys: dict[str, list[dict[str, np.ndarray]]] = {p: [] for p in self.ranked}

    def plan(self, headers: list[str]) -> Plan:
        self.check_headers(headers)
        return Plan(
            self.pack.root,
            self.pack.hash,
            self.as_of,
            tuple(self.policies),
            tuple(self.cards),
            self.lang,
            tuple((p, a.rank_by) for p, a in self.ranked.items()),
            tuple(headers),
            self.facts,
        )

    @property
    def ranked(self) -> dict[str, Allocation]:
        """The measures to rank: those under a quota or budget and, for a workbook (whose measure sheets are
        ranked), every other one, by its default key and without a limit."""
        if not self.excel:
            return self.allocations
        return {p: self.allocations.get(p) or Allocation(p, rank_by=self.default_rank_card(p)) for p in self.policies}

    def check_headers(self, headers: list[str]) -> None:
        """Stop on a column that cannot be read (unless ignoring unknown ones is accepted); note the ones skipped."""
        columns = resolve(headers)
        zh, en = columns.message(self.ignore_unknown_columns)
        if zh:
            raise TableError(en, zh)
        self.summary.skipped_columns = [u.shown for u in columns.unknown] + columns.ignored

    @property
    def schema(self) -> pa.Schema:
        return schema_of(self.plan([]))

    def _check_allocation(self, a: Allocation) -> None:
        if a.policy not in self.policies:
            raise TableError(
                f"--quota/--budget names {a.policy!r}, which is not screened (or not in force)",
                f"--quota/--budget 指定的 {a.policy!r} 不在筛查范围内（或未生效）",
            )
        if a.budget is not None and not any(
            b.amount is not None for b in self.pack.policy_on(a.policy, self.as_of).benefits
        ):  # type: ignore[union-attr]
            raise TableError(
                f"--budget {a.policy}: the measure has no benefit amount to count against a budget",
                f"--budget {a.policy}：该措施没有可计入预算的金额",
            )
        if a.rank_by is None:
            a.rank_by = self.default_rank_card(a.policy)
        elif a.rank_by not in self.pack.scorecards and a.rank_by not in self.pack.derived:
            raise TableError(
                f"--rank-by {a.rank_by!r} is not a scorecard or derived fact of the pack",
                f"--rank-by {a.rank_by!r} 不是规则包中的评分表或派生事实",
            )

    def default_rank_card(self, policy: str) -> str | None:
        """The scorecard a measure's conditions read (the first in pack order), else the IP-strength score."""
        reads = reads_of(self.pack, policy)
        own = next((c for c in self.cards if c in reads), None)
        return own or (IP_STRENGTH if IP_STRENGTH in self.pack.derived else None)

    # --- parts in input order -------------------------------------------------
    def parts(self, source: Path, table: TableRead | None = None) -> Iterator[tuple[list[str], Part]]:
        """(headers, screened part) for each chunk, in input order, row numbers final; `table`: the
        source already read (its chunks are screened as they are)."""
        if self.engine == "dask":
            from engine.batch.dask_engine import dask_parts

            yield from dask_parts(self, source, screen_part)
            return
        if table is None:
            # one chunk read ahead keeps the screening fed (reading is the faster side) and the peak low
            chunks = prefetch(read_chunks(source, self.chunk_rows, self.read), depth=1)
        else:
            self.read = table.options
            chunks = iter([(table.headers, chunk) for chunk in table.chunks])
        first = next(chunks, None)
        if first is None:
            return
        headers = first[0]
        plan = self.plan(headers)
        _remember(_PACKS, (plan.root, plan.rules_hash), self.pack, _KEEP_PACKS)  # this very pack, in this process
        placed = _placed(itertools.chain([first], chunks), self.read.first_row)
        if self.workers <= 1:
            for first_row, table in placed:
                yield headers, screen_part(plan, table, first_row)
            return
        with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            pending: deque[Any] = deque()
            for first_row, table in placed:
                pending.append(pool.submit(screen_part, plan, table, first_row))
                if len(pending) > self.workers:
                    yield headers, pending.popleft().result()
            while pending:
                yield headers, pending.popleft().result()

    def absorb(self, part: Part) -> Part:
        """Flag repeated credit codes (across all chunks so far), count errors per row, update the summary."""
        codes = part.table.column("credit_code").combine_chunks()
        first_row = int(part.table.column("row")[0].as_py()) if part.table.num_rows else 0
        duplicate_of = self.duplicates(part, codes, first_row)
        rows = np.array(
            [i.row - first_row for i in part.issues if i.row is not None and i.row >= first_row], dtype=np.int64
        )
        errors = np.bincount(rows, minlength=part.table.num_rows).astype(np.int32)
        table = part.table.set_column(4, "duplicate_of", pa.array(duplicate_of, mask=duplicate_of < 0))
        part.table = table.set_column(5, "errors", pa.array(errors))
        self.summary.absorb(part)
        for p, keys in part.keys.items():
            self.keys[p].append(keys)
        return part

    def duplicates(self, part: Part, codes: pa.Array, first_row: int) -> np.ndarray:
        """Row number of the first row with the same credit code (-1 for a first occurrence)."""
        out = np.full(len(codes), -1, dtype=np.int64)
        given = np.flatnonzero(codes.is_valid().to_numpy(zero_copy_only=False))
        keys = pc.cast(codes.take(pa.array(given, type=pa.int64())), pa.binary()).to_numpy(zero_copy_only=False)
        firsts = self.seen.first_rows(np.asarray(keys.astype(bytes), dtype=bytes), given + first_row)
        repeated = firsts != given + first_row
        out[given[repeated]] = firsts[repeated]
        for i, first in zip(given[repeated].tolist(), firsts[repeated].tolist()):
            code = codes[i].as_py()
            part.issues.append(
                RowIssue(
                    first_row + i,
                    "credit_code",
                    label_zh("credit_code"),
                    code,
                    f"统一社会信用代码与第 {first} 行重复",
                    f"same credit code as row {first}",
                )
            )
        self.summary.duplicates += int(repeated.sum())
        return out

    # --- ranking ------------------------------------------------------------
    def allocate(self, total_rows: int, first_row: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """policy -> (rank per row, 0 = not ranked; funded flag per row: 1 funded, 2 waiting, 0 none)."""
        out = {}
        for p, a in self.ranked.items():
            parts = self.keys[p]
            keys = {
                k: np.concatenate([part[k] for part in parts]) if parts else np.zeros(0)
                for k in ("row", "score", "registered", "code", "amount")
            }
            score = np.where(np.isnan(keys["score"].astype(float)), np.inf, -keys["score"].astype(float))
            order = np.lexsort((keys["row"], keys["code"].astype(str), keys["registered"], score))
            rank = np.zeros(total_rows, dtype=np.int64)
            funded = np.zeros(total_rows, dtype=np.int8)
            at = keys["row"][order].astype(np.int64) - first_row
            rank[at] = np.arange(1, len(order) + 1)
            funded[at] = 2
            if p not in self.allocations:  # ranked for the workbook only: nobody funded or waiting
                out[p] = (rank, np.zeros(total_rows, dtype=np.int8))
                continue
            chosen = self.funded_rows(a, keys["amount"][order])
            funded[at[chosen]] = 1
            amount = keys["amount"][order][chosen]
            self.summary.funded[p] = {
                "funded": int(chosen.sum()),
                "waiting": int((~chosen).sum()),
                "funded_amount": float(np.nansum(amount)) if p in self.summary.amount else None,
            }
            out[p] = (rank, funded)
        return out

    @staticmethod
    def funded_rows(a: Allocation, amounts: np.ndarray) -> np.ndarray:
        chosen = np.zeros(len(amounts), dtype=bool)
        if a.quota is not None:
            chosen[: a.quota] = True
        if a.budget is not None:
            spent, fits = 0.0, np.zeros(len(amounts), dtype=bool)
            for i, amount in enumerate(amounts.tolist()):
                if amount != amount:  # unknown amount: cannot be priced, waits
                    continue
                if spent + amount > a.budget:
                    break
                spent += amount
                fits[i] = True
            chosen = fits if a.quota is None else chosen & fits
        return chosen

    # --- whole files --------------------------------------------------------
    def run(self, source: Path, output: Path, table: TableRead | None = None) -> Summary:
        """Screen `source` into `output` (+ side files for .csv/.parquet). Everything is written to
        temporary files beside the targets and renamed over them at the end, so a failure leaves
        the input and any earlier output untouched; an output that is the input is refused.
        `table`: `source` as already read by read_table (not read again)."""
        suffix = output.suffix.lower()
        if suffix not in OUTPUTS:
            raise TableError(
                f"{output}: unsupported output; use {', '.join(OUTPUTS)}",
                f"{output}：不支持的输出格式，请使用 {'、'.join(OUTPUTS)}",
            )
        check_source(source)
        sides = [] if suffix == ".xlsx" else [Path(str(output) + ".errors.csv"), Path(str(output) + ".summary.csv")]
        refuse_overwrite([source], [output, *sides])
        self.excel = suffix == ".xlsx"  # before reset: a workbook ranks every measure
        self.reset()
        self.neutral_errors = not self.excel  # the xlsx errors sheet quotes cells itself
        staged = self.excel or bool(self.allocations)
        files = Staged()
        try:
            target = files.path(output)
            work = files.scratch(output.parent, STAGED) if staged else target
            errors_path = files.scratch(output.parent, ".csv") if self.excel else files.path(sides[0])
            with errors_path.open("w", encoding="utf-8-sig", newline="") as errors_file:
                errors = csv.writer(errors_file)
                errors.writerow(ERROR_COLUMNS)
                first_row = self.stream(source, work, errors, table)
            if staged:
                self.finish(work, target, first_row, errors_path)
            if not self.excel:
                write_summary(files.path(sides[1]), self.summary)
            files.commit()
        except OSError as e:  # disk full, no permission: a message, not a traceback
            raise output_error(output, e) from None
        finally:
            files.discard()
        return self.summary

    def stream(self, source: Path, target: Path, errors: Any, table: TableRead | None = None) -> int:
        """Screen every chunk into `target` (parquet or csv); returns the first data row number."""
        sink = open_sink(target, self.schema)
        started, done, headers_seen = time.perf_counter(), 0, False
        try:
            for headers, part in self.parts(source, table):
                if not headers_seen:
                    self.write_issues(errors, self.read.notes + map_headers(headers)[1])
                    headers_seen = True
                part = self.absorb(part)
                sink.write(part.table)
                self.write_issues(errors, sorted(part.issues, key=lambda i: i.row or 0))
                done += part.table.num_rows
                if target.suffix == STAGED and self.excel and done > EXCEL_MAX_ROWS:
                    raise TableError(
                        f"more than {EXCEL_MAX_ROWS} rows do not fit in one Excel sheet; use .csv or .parquet",
                        f"超过 {EXCEL_MAX_ROWS} 行，超出 Excel 单表上限，请输出 .csv 或 .parquet",
                    )
                if self.progress:
                    self.progress(done, time.perf_counter() - started)
        finally:
            sink.close()
        return self.read.first_row  # 2, or later under title rows (set by the reader)

    def write_issues(self, errors: Any, issues: list[RowIssue]) -> None:
        self.summary.errors += len(issues)
        lines = ([i.row, i.field, i.field_zh, i.value, i.message_zh, i.message_en] for i in issues)
        errors.writerows(map(neutral_row, lines) if self.neutral_errors else lines)

    def finish(self, staged: Path, output: Path, first_row: int, errors_path: Path) -> None:
        """Add ranking columns and write the final file from the staged decisions."""
        with pa.memory_map(str(staged)) as source:
            decisions = pa.ipc.open_stream(source)
            ranks = self.allocate(self.summary.rows, first_row)  # every row read has its decision row
            batches = _with_ranks(decisions, ranks, first_row)
            if self.excel:
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


def _placed(chunks: Iterator[tuple[list[str], pa.Table]], row: int) -> Iterator[tuple[int, pa.Table]]:
    """(first row number, table) for each chunk, the first data row being `row`."""
    for _, table in chunks:
        yield row, table
        row += table.num_rows


def _texts(chunk: Chunk, name: str, n: int) -> pa.Array:
    """A text column as given (credit codes upper-cased, as the model normalises them)."""
    text = chunk.texts.get(name)
    if text is None:
        return pa.nulls(n, pa.string())
    return pc.utf8_upper(text) if name == "credit_code" else text


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


def _with_ranks(
    staged: pa.ipc.RecordBatchStreamReader, ranks: dict[str, tuple[np.ndarray, np.ndarray]], first_row: int
) -> Iterator[pa.Table]:
    words = np.array([None, "funded", "waiting"], dtype=object)
    for batch in staged:
        table = pa.Table.from_batches([batch])
        at = table.column("row").to_numpy() - first_row
        for p, (rank, funded) in ranks.items():
            r = rank[at]
            table = table.append_column(f"{p}.rank", pa.array(r, mask=r == 0))
            table = table.append_column(f"{p}.funded", pa.array(words[funded[at]], type=pa.string()))
        yield table


# The decisions wait here for the ranking: an Arrow IPC stream (a chunk's dictionaries may differ) with LZ4, written and read back at memory speed
# (staging them as Parquet cost ~0.7 s of the officer's 20,000-row upload in encoding and decoding).
STAGED = ".arrow"


class _Sink:
    """A Parquet, CSV or staging (STAGED) writer that writes one table behind the caller (sheetrows.Behind)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        suffix = path.suffix.lower()
        self.csv = suffix not in (".parquet", STAGED)
        if self.csv:
            self.writer: Any = pacsv.CSVWriter(path, schema)
        elif suffix == STAGED:
            # compressed in the writing thread itself: a pool it started would inherit its lower priority
            options = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)
            self.writer = pa.ipc.new_stream(path, schema, options=options)
        else:
            self.writer = pq.ParquetWriter(path, schema)
        self.behind = Behind(self.writer.write_table)

    def write(self, table: pa.Table) -> None:
        if self.csv:
            table = neutral_table(table)  # no live formula in a CSV a spreadsheet opens
        self.behind.write(table)

    def close(self) -> None:
        try:
            self.behind.close()
        finally:
            self.writer.close()


def open_sink(path: Path, schema: pa.Schema) -> _Sink:
    return _Sink(path, schema)


def write_summary(path: Path, summary: Summary) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["section", "item", "count", "amount_wan_yuan"])
        out.writerows(neutral_row(line) for line in summary.table())


def terminal_progress(stream: Any = None, total: int | None = None) -> Callable[[int, float], None] | None:
    """A progress bar (rows, rate and, when the total is known, ETA) on a terminal; None elsewhere (logs stay clean)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def report(rows: int, seconds: float) -> None:
        rate = rows / seconds if seconds > 0 else 0.0
        if total and rows <= total:
            filled = int(30 * rows / total)
            eta = (total - rows) / rate if rate else 0.0
            stream.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {rows:,}/{total:,} 行 rows  "
                f"{rate:,.0f} 行/秒 rows/s  剩余约 ETA {eta:,.0f} s "
            )
        else:
            stream.write(f"\r已处理 {rows:,} 行 / rows done, {rate:,.0f} 行/秒 rows/s")
        stream.flush()

    return report
