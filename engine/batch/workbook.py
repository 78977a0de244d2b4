"""The screening workbook: decisions, one sheet per policy with rationale, summary, errors.

Written with xlsxwriter in constant-memory mode: rows go to disk as they are written, so
memory stays flat up to Excel's row limit. Every sheet is written in row order.
"""
from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, Protocol

import pyarrow as pa
import xlsxwriter

from engine.batch.outputs import FORMULA_START
from engine.language.loader import RulePack


class Screened(Protocol):
    """What the workbook reads of a screening run (engine.batch.screen.Screening, which imports this module)."""
    pack: RulePack
    as_of: date
    lang: str
    policies: list[str]
    cards: list[str]
    facts: tuple[str, ...]
    allocations: dict[str, Any]
    summary: Any                        # .table(): the summary sheet's lines

STATUS_ZH = {"eligible": "符合", "ineligible": "不符合", "undetermined": "待定（缺少信息）", "invalid": "数据有误",
             "error": "规则计算出错"}
FUNDED_ZH = {"funded": "拟支持", "waiting": "候补"}
EXCEL_MAX_ROWS = 1_048_575          # data rows under one header row
BASE = [("row", "行号 row"), ("credit_code", "统一社会信用代码 credit code"), ("name", "企业名称 name")]


def sheet_name(text: str, taken: set[str]) -> str:
    """A unique Excel sheet name (at most 31 characters, none of []:*?/\\)."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in text)[:31]
    name, n = clean, 2
    while name.lower() in taken:
        suffix = f"~{n}"
        name, n = clean[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


class _Sheet:
    def __init__(self, book: Any, name: str, headers: list[str], header_format: Any) -> None:
        self.sheet = book.add_worksheet(name)
        self.quoted = book.add_format({"quote_prefix": True})  # Excel's own "this is text, not a formula"
        self.sheet.write_row(0, 0, headers, header_format)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def add(self, values: list[Any]) -> None:
        """One row; empty cells are skipped, each value goes to the writer for its type."""
        sheet, row = self.sheet, self.row
        for col, value in enumerate(values):
            if value is None or value == "" or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                sheet.write_boolean(row, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, col, value)
            else:
                text = str(value)
                sheet.write_string(row, col, text, self.quoted if text.startswith(FORMULA_START) else None)
        self.row += 1


def write_workbook(path: Path, batches: Iterator[pa.Table], screening: Screened, errors_csv: Path) -> None:
    zh = screening.lang == "zh"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    # dated by the evaluation date, not the clock: the same input, pack and date give the same bytes
    book.set_properties({"created": datetime.combine(screening.as_of, datetime.min.time())})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    taken: set[str] = set()
    ranked = list(screening.allocations)
    pack = screening.pack
    decision_headers = [h for _, h in BASE] + ["有效 valid", "重复于 duplicate of", "错误数 errors"]
    for p in screening.policies:
        title = pack.policy_on(p, screening.as_of).title.zh  # type: ignore[union-attr]
        decision_headers.append(f"{title} {p}")
        if p in ranked:
            decision_headers += [f"{p} 排名 rank", f"{p} 支持 funded"]
    for c in screening.cards:
        decision_headers.append(f"{pack.scorecards[c].label.zh} {c}")
    facts = screening.facts
    decision_headers += [f"{pack.derived[f].label.zh} {f}" for f in facts]
    decisions = _Sheet(book, sheet_name("决策 decisions", taken), decision_headers, bold)
    per_policy = {}
    for p in screening.policies:
        headers = [h for _, h in BASE] + ["结论 status", "理由 reason", "金额（万元）amount", "未满足条件 unmet",
                                          "缺信息条件 unknown", "依据含假设值 rests on assumptions"]
        if p in ranked:
            headers += ["排名 rank", "支持 funded"]
        per_policy[p] = _Sheet(book, sheet_name(p, taken), headers, bold)
    status_word = (lambda s: STATUS_ZH.get(s, s)) if zh else (lambda s: s)
    funded_word = (lambda s: FUNDED_ZH.get(s, s)) if zh else (lambda s: s)
    for table in batches:
        cols = {name: table.column(name).to_pylist() for name in table.column_names}
        for i in range(table.num_rows):
            base = [cols[k][i] for k, _ in BASE]
            row = base + [cols["valid"][i], cols["duplicate_of"][i], cols["errors"][i]]
            for p in screening.policies:
                row.append(status_word(cols[f"{p}.status"][i]))
                extra = [cols[f"{p}.rank"][i], funded_word(cols[f"{p}.funded"][i])] if p in ranked else []
                row += extra
                per_policy[p].add(base + [status_word(cols[f"{p}.status"][i]), cols[f"{p}.reason"][i],
                                          cols[f"{p}.amount"][i], cols[f"{p}.unmet"][i], cols[f"{p}.unknown"][i],
                                          cols[f"{p}.assumptions"][i]]
                                  + extra)
            row += [cols[f"{c}.score"][i] for c in screening.cards] + [cols[f][i] for f in facts]
            decisions.add(row)
    summary = _Sheet(book, sheet_name("汇总 summary", taken), ["项目 section", "内容 item", "数量 count",
                                                                 "金额（万元）amount"], bold)
    summary.add(["rules 规则包", f"hash {pack.hash}", None, None])     # what the run is audited against
    summary.add(["as of 评估日期", screening.as_of.isoformat(), None, None])
    for line in screening.summary.table():
        summary.add(list(line))
    entries = [e for e in pack.information.values() if e.in_force(screening.as_of)]
    if entries:   # measures with nothing to check: the same for every applicant (可咨询)
        info = _Sheet(book, sheet_name("可咨询 information", taken), ["措施 measure", "依据 source", "内容 offers",
                                                                      "咨询 ask", "状态 status"], bold)
        for e in entries:
            info.add([e.title.zh, e.source.cite(), e.offers.zh, e.ask.zh, e.status])
    errors = _Sheet(book, sheet_name("错误 errors", taken), ["行号 row", "字段 field", "字段名 field_zh", "值 value",
                                                               "说明 message_zh", "message_en"], bold)
    with errors_csv.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for line in reader:
            if errors.row >= EXCEL_MAX_ROWS:
                errors.add(["", "", "", "", "错误条目超出 Excel 行数上限；输出为 .csv 可得全部错误条目",
                            "more error entries than an Excel sheet holds; screen to .csv for all of them"])
                break
            errors.add([int(line[0]) if line[0].isdigit() else line[0], *line[1:]])
    book.close()
