"""The screening workbook an officer reads, ranks from and pastes into a report, in Chinese.

Sheets: 汇总 (per measure the counts by status, amounts, budget used and left, the conditions
most often unmet or unknown; the IP-strength tiers and score histogram; native charts),
筛查结果 (one row per input row: the applicant columns once, then per measure its status, one-line
reason and amount, under a header row of measure names), one sheet per measure holding only its
eligible applicants sorted by rank (rank, funded / waiting, cumulative amount, budget or places
left), 数据问题 (errors) and 说明 (measure names -> ids, amounts, periods; what the columns mean).
Only what an officer reads is written. The large sheets' rows are generated column-wise
(engine.batch.sheetrows); xlsxwriter lays out everything else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from engine.batch.measures import catalogue, condition_labels, short_name
from engine.batch.sheetrows import MONEY, Column, Rows, Strings, splice
from engine.language.loader import RulePack
from engine.model.words import INVALID_ZH, RULE_ERROR_IN_TABLE_ZH
from engine.model.words import STATUS_ZH as DECISION_ZH


class Screened(Protocol):
    """What the workbook reads of a screening run (engine.batch.screen.Screening, which imports this module)."""

    pack: RulePack
    as_of: date
    lang: str
    policies: list[str]
    priced: list[str]
    facts: tuple[str, ...]
    allocations: dict[str, Any]
    summary: Any  # engine.batch.screen.Summary


STATUS_ZH = {**DECISION_ZH, "invalid": INVALID_ZH, "error": RULE_ERROR_IN_TABLE_ZH}
FUNDED_ZH = {"funded": "拟支持", "waiting": "候补"}
STATUS_COLOURS = {
    "符合": "#C6EFCE",
    "不符合": "#FFC7CE",
    "待定（缺少信息）": "#FFEB9C",
    "数据有误": "#D9D9D9",
    "拟支持": "#C6EFCE",
    "候补": "#FFEB9C",
}
EXCEL_MAX_ROWS = 1_048_574  # data rows under the two header rows of the decisions sheet
APPLICANT = [("row", "行号", 6), ("credit_code", "统一社会信用代码", 21), ("name", "企业名称", 30)]
RANKED_BASE = [
    ("rank", "排名", 6),
    ("funded", "支持情况", 9),
    ("credit_code", "统一社会信用代码", 21),
    ("name", "企业名称", 30),
    ("row", "行号", 6),
    ("amount", "金额（万元）", 11),
    ("cumulative", "累计金额（万元）", 13),
]


def sheet_name(text: str, taken: set[str]) -> str:
    """A unique Excel sheet name (at most 31 characters, none of []:*?/\\)."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in text)[:31]
    name, n = clean, 2
    while name.lower() in taken:
        suffix = f"~{n}"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


class Book:
    """xlsxwriter for the layout and formats; large sheets' rows spliced in on close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = xlsxwriter.Workbook(
            str(path),
            # in_memory: the sheets xlsxwriter lays out are small (the large ones are spliced in), so no temporary
            # file per sheet (36 opened and removed per workbook, ≈ 0.15 s)
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.head = self.book.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
        self.money = self.book.add_format({"num_format": "#,##0.00"})
        self.bold = self.book.add_format({"bold": True})
        self.colours = {word: self.book.add_format({"bg_color": colour}) for word, colour in STATUS_COLOURS.items()}
        self.taken: set[str] = set()
        self.rows: list[Rows] = []
        self.strings = Strings()  # the generated cells' texts, added to xlsxwriter's shared strings on close

    def sheet(self, title: str) -> Any:
        return self.book.add_worksheet(sheet_name(title, self.taken))

    def table(self, sheet: Any, header_row: int, headers: list[tuple[str, int]], n_rows: int) -> Rows:
        """A large table: its header, widths, filter and frozen header; rows come through the returned Rows."""
        for col, (title, width) in enumerate(headers):
            sheet.write_string(header_row, col, title, self.head)
            sheet.set_column(col, col, width)
        sheet.autofilter(header_row, 0, header_row + max(n_rows, 1), len(headers) - 1)
        rows = Rows(len(self.book.worksheets()), len(headers), header_row + 2, self.strings)
        self.rows.append(rows)
        return rows

    def colour(self, sheet: Any, first_row: int, col: int, n_rows: int) -> None:
        """Colour a status column's cells by their status."""
        for word, fmt in self.colours.items():
            sheet.conditional_format(
                first_row,
                col,
                first_row + max(n_rows, 1) - 1,
                col,
                {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": fmt},
            )

    def close(self) -> None:
        self.book.close()
        splice(self.path, self.rows, self.strings)


def write_workbook(path: Path, batches: Iterator[pa.Table], screening: Screened, errors_csv: Path) -> None:
    book = Book(path)
    # dated by the evaluation date, not the clock: the same input, pack and date give the same bytes
    book.book.set_properties({"created": datetime.combine(screening.as_of, datetime.min.time())})
    summary_sheet = book.sheet("汇总")
    decisions = Decisions(book, screening)
    eligible: dict[str, list[pa.Table]] = {p: [] for p in screening.policies}
    for table in batches:
        decisions.add(table)
        for p in screening.policies:
            picked = table.filter(pc.equal(table.column(f"{p}.status").cast(pa.string()), "eligible"))
            if picked.num_rows:
                eligible[p].append(_ranked_columns(picked, p, screening))
    for p in screening.policies:
        if eligible[p]:
            write_ranked(book, screening, p, pa.concat_tables(eligible[p]))
    write_information(book, screening)
    write_errors(book, errors_csv)
    write_key(book, screening)
    write_summary(book, summary_sheet, screening)
    book.close()


PER_MEASURE = 4  # columns per measure on 筛查结果: status, reason, amount, assumptions it rests on


class Decisions:
    """筛查结果: the applicant columns once, then per measure its status, reason and amount."""

    def __init__(self, book: Book, screening: Screened) -> None:
        self.book, self.s = book, screening
        self.zh = screening.lang == "zh"
        sheet = book.sheet("筛查结果")
        n = screening.summary.rows
        headers = [(title, width) for _, title, width in APPLICANT] + [("数据有误", 8), ("信用代码重复于第…行", 10)]
        self.facts = list(screening.facts)
        headers += [("知识产权强度（分）" if f == "ip_strength" else "强度等级", 10) for f in self.facts]
        self.first_measure = len(headers)
        headers += [("结论", 10), ("理由", 36), ("金额（万元）", 10), ("依据含假设值", 16)] * len(screening.policies)
        sheet.set_row(0, 30)
        sheet.set_row(1, 20)
        sheet.merge_range(0, 0, 0, self.first_measure - 1, "申报企业", book.head)
        self.rows = book.table(sheet, 1, headers, n)
        for i, p in enumerate(screening.policies):
            col = self.first_measure + PER_MEASURE * i
            sheet.merge_range(
                0, col, 0, col + PER_MEASURE - 1, short_name(screening.pack, p, screening.as_of), book.head
            )
            book.colour(sheet, 2, col, n)
        sheet.freeze_panes(2, 3)

    def add(self, table: pa.Table) -> None:
        status = _words(STATUS_ZH if self.zh else {})
        invalid = pc.if_else(table.column("valid"), pa.scalar(None, pa.string()), "是")
        columns = [Column(table.column(k)) for k, _, _ in APPLICANT]
        columns += [Column(invalid), Column(table.column("duplicate_of"))]
        columns += [Column(table.column(f)) for f in self.facts]
        for p in self.s.policies:
            columns += [
                Column(status(table.column(f"{p}.status"))),
                Column(table.column(f"{p}.reason")),
                Column(table.column(f"{p}.amount"), MONEY),
                Column(table.column(f"{p}.assumptions")),
            ]
        self.rows.add(columns)


def _words(table: dict[str, str]) -> Any:
    """A status (dictionary) column in words."""

    def show(column: pa.ChunkedArray | pa.Array) -> pa.Array:
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if not pa.types.is_dictionary(values.type):
            values = pc.dictionary_encode(values)
        words = pa.array(
            [table.get(w, w) if w is not None else None for w in values.dictionary.to_pylist()], type=pa.string()
        )
        return pa.DictionaryArray.from_arrays(values.indices, words)

    return show


def _ranked_columns(table: pa.Table, p: str, screening: Screened) -> pa.Table:
    """The eligible rows of one measure, with what its sheet shows."""
    n = table.num_rows
    rank = table.column(f"{p}.rank") if f"{p}.rank" in table.column_names else pa.nulls(n, pa.int64())
    funded = table.column(f"{p}.funded") if f"{p}.funded" in table.column_names else pa.nulls(n, pa.string())
    strength = table.column("ip_strength") if "ip_strength" in table.column_names else pa.nulls(n, pa.float64())
    return pa.table(
        {
            "rank": rank,
            "funded": funded,
            "credit_code": table.column("credit_code"),
            "name": table.column("name"),
            "row": table.column("row"),
            "amount": table.column(f"{p}.amount"),
            "strength": strength,
        }
    )


def write_ranked(book: Book, screening: Screened, p: str, table: pa.Table) -> None:
    """One measure's eligible applicants, sorted by rank, with cumulative amount and what is left."""
    table = table.sort_by([("rank", "ascending"), ("row", "ascending")])
    allocation = screening.allocations.get(p)
    amount = np.nan_to_num(table.column("amount").to_numpy(zero_copy_only=False).astype(float))
    funded = np.asarray([f == "funded" for f in table.column("funded").to_pylist()], dtype=bool)
    priced = p in screening.priced
    keep = [
        k for k, _, _ in RANKED_BASE if (allocation or k != "funded") and (priced or k not in ("amount", "cumulative"))
    ]
    values = {
        "rank": table.column("rank"),
        "funded": _words(FUNDED_ZH)(table.column("funded")),
        "credit_code": table.column("credit_code"),
        "name": table.column("name"),
        "row": table.column("row"),
        "amount": table.column("amount"),
        "cumulative": pa.array(np.cumsum(amount)),
    }
    headers = [(title, width) for k, title, width in RANKED_BASE if k in keep] + [("知识产权强度（分）", 10)]
    columns = [values[k] for k in keep] + [table.column("strength")]
    money_cols = {i for i, k in enumerate(keep) if k in ("amount", "cumulative")}
    if allocation is not None and allocation.budget is not None:
        headers.append(("剩余预算（万元）", 12))
        money_cols.add(len(columns))
        columns.append(pa.array(allocation.budget - np.cumsum(np.where(funded, amount, 0.0))))
    if allocation is not None and allocation.quota is not None:
        headers.append(("剩余名额", 8))
        columns.append(pa.array(allocation.quota - np.cumsum(funded.astype(np.int64))))
    sheet = book.sheet(short_name(screening.pack, p, screening.as_of))
    title = f"{short_name(screening.pack, p, screening.as_of)}：符合条件的申报企业，按排名排序"
    if allocation is not None:
        title += f"（名额 {allocation.quota}）" if allocation.quota is not None else ""
        title += f"（预算 {allocation.budget:,.2f} 万元）" if allocation.budget is not None else ""
    sheet.write_string(0, 0, title, book.bold)
    rows = book.table(sheet, 1, headers, table.num_rows)
    if allocation is not None:
        book.colour(sheet, 2, 1, table.num_rows)
    rows.add([Column(c, MONEY if i in money_cols else 0) for i, c in enumerate(columns)])
    sheet.freeze_panes(2, 0)


def write_errors(book: Book, errors_csv: Path) -> None:
    """数据问题: per problem the row, the field in Chinese (a column header as the officer typed it when it
    names no field), the value and what is wrong, in Chinese and English."""
    sheet = book.sheet("数据问题")
    table = pacsv.read_csv(
        errors_csv,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in ("field", "field_zh", "value", "message_zh", "message_en")},
            strings_can_be_null=True,
            null_values=[""],  # only an empty cell is no value: "N/A" or "null" typed by an applicant is shown
        ),
    )
    table = table.slice(0, EXCEL_MAX_ROWS)
    field = pc.coalesce(table.column("field_zh"), table.column("field"))
    field = pc.if_else(pc.is_in(field, pa.array(["(profile)", "(row)"])), "整行", field)  # checks across fields
    headers = [("行号", 7), ("字段", 24), ("值", 22), ("说明", 50), ("message (English)", 50)]
    rows = book.table(sheet, 0, headers, table.num_rows)
    columns = [
        table.column("row"),
        field,
        table.column("value"),
        table.column("message_zh"),
        table.column("message_en"),
    ]
    rows.add([Column(c) for c in columns])
    sheet.freeze_panes(1, 0)


def write_information(book: Book, screening: Screened) -> None:
    """可咨询: measures with nothing to check, the same for every applicant: what they offer and whom to ask."""
    entries = [e for e in screening.pack.information.values() if e.in_force(screening.as_of)]
    if not entries:
        return
    sheet = book.sheet("可咨询")
    for col, (title, width) in enumerate(zip(["措施", "依据", "内容", "咨询", "状态"], (30, 40, 50, 30, 10))):
        sheet.write_string(0, col, title, book.head)
        sheet.set_column(col, col, width)
    for i, e in enumerate(entries, start=1):
        sheet.write_row(i, 0, [e.title.zh, e.source.cite(), e.offers.zh, e.ask.zh, e.status])
    sheet.freeze_panes(1, 0)


def write_key(book: Book, screening: Screened) -> None:
    """说明: measure names -> ids, kinds, amounts, periods; what the statuses and columns mean."""
    sheet = book.sheet("说明")
    head = ["措施名称", "标识 id", "类别", "金额", "期限"]
    for col, (title, width) in enumerate(zip(head, (30, 34, 10, 30, 24))):
        sheet.write_string(0, col, title, book.head)
        sheet.set_column(col, col, width)
    rows = [r for r in catalogue(screening.pack, screening.as_of) if r["id"] in screening.policies]
    for i, r in enumerate(rows, start=1):
        sheet.write_row(i, 0, [r["name"], r["id"], r["kind"], r["amount"], r["period"]])
    notes = [
        "结论：符合 = 满足全部条件；不符合 = 至少一项条件不满足（理由列出决定性条件）；待定（缺少信息）= 缺少判断所需的信息"
        "（理由列出所缺字段）；数据有误 = 该行未通过校验，未评估（见“数据问题”表）。",
        "金额单位为万元；文件未规定的金额为参照值（假设），使用前请核实。",
        "排名：按措施所依据的评分（默认知识产权强度）从高到低，其次成立日期早者优先，再按统一社会信用代码、行号。",
        f"规则包 {screening.pack.hash}，评估日期 {screening.as_of.isoformat()}。",
    ]
    for j, note in enumerate(notes, start=len(rows) + 2):
        sheet.write_string(j, 0, note)
    sheet.freeze_panes(1, 0)


def write_summary(book: Book, sheet: Any, screening: Screened) -> None:
    """汇总: run facts, a table per measure, IP-strength tiers and histogram, two charts."""
    s, pack = screening.summary, screening.pack
    facts = [
        ("规则包", pack.hash),
        ("评估日期", screening.as_of.isoformat()),
        ("申报企业（行）", s.rows),
        ("数据有误（行）", s.invalid),
        ("其中空行（行）", s.blank),
        ("信用代码重复（行）", s.duplicates),
        ("错误条目", s.errors),
        ("未读取的列", "、".join(s.skipped_columns) or "无"),
    ]
    failed = {short_name(pack, p, screening.as_of): n for p in screening.policies if (n := s.status[p].get("error"))}
    if failed:  # rows a rule could not be computed for (the log has file:line)
        facts.append(
            (STATUS_ZH["error"] + "（请联系规则维护人员）", "、".join(f"{k} {v} 行" for k, v in failed.items()))
        )
    sheet.write_string(0, 0, "筛查汇总", book.bold)
    for i, (label, value) in enumerate(facts, start=1):
        sheet.write_string(i, 0, label, book.bold)
        sheet.write(i, 1, value)
    top = len(facts) + 2
    head = [
        "措施",
        "符合",
        "不符合",
        "待定（缺少信息）",
        "数据有误",
        "符合者金额（万元）",
        "拟支持",
        "拟支持金额（万元）",
        "预算（万元）",
        "预算剩余（万元）",
        "最常见的未满足条件",
        "最常见的缺信息条件",
    ]
    widths = [30, 8, 8, 10, 8, 12, 8, 12, 10, 12, 44, 44]
    if failed:  # a column only when a rule could not be computed for some row
        head.append(STATUS_ZH["error"] + "（行）")
        widths.append(12)
    for col, (title, width) in enumerate(zip(head, widths)):
        sheet.write_string(top, col, title, book.head)
        sheet.set_column(col, col, width)
    for i, p in enumerate(screening.policies, start=top + 1):
        counts, funded, a = s.status.get(p, {}), s.funded.get(p), screening.allocations.get(p)
        amount = s.amount.get(p)
        labels = condition_labels(pack, p, screening.as_of)
        unmet, unknown = _top_reasons(s.reasons.get(p, {}), labels)
        values: list[Any] = [
            short_name(pack, p, screening.as_of),
            counts.get("eligible", 0),
            counts.get("ineligible", 0),
            counts.get("undetermined", 0),
            counts.get("invalid", 0),
            None if amount is None else round(amount, 2),
            funded["funded"] if funded else None,
            funded["funded_amount"] if funded and funded["funded_amount"] is not None else None,
            a.budget if a and a.budget is not None else None,
            a.budget - (funded["funded_amount"] or 0) if a and a.budget is not None and funded else None,
            unmet,
            unknown,
        ]
        values += [counts.get("error", 0)] if failed else []
        for col, value in enumerate(values):
            if value is not None:
                sheet.write(i, col, value, book.money if col in (5, 7, 8, 9) else None)
    last = top + len(screening.policies)
    sheet.autofilter(top, 0, last, len(head) - 1)
    sheet.freeze_panes(top + 1, 1)
    chart = book.book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "符合",
            "categories": [sheet.name, top + 1, 0, last, 0],
            "values": [sheet.name, top + 1, 1, last, 1],
            "fill": {"color": "#5B9BD5"},
        }
    )
    chart.set_title({"name": "各措施符合条件的企业数"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 620, "height": 24 * len(screening.policies) + 80})
    sheet.insert_chart(last + 2, 0, chart)
    _strength(book, sheet, screening, last + 2)


def _top_reasons(counts: dict[str, int], labels: dict[str, str], n: int = 3) -> tuple[str, str]:
    """The conditions that most often decide 不符合 and 待定, in Chinese with their counts."""
    out = {"unmet": Counter(), "unknown": Counter()}  # type: dict[str, Counter[str]]
    for key, count in counts.items():
        leaf, word = key.split(" ", 1)
        out["unmet" if word.startswith("unmet") else "unknown"][labels.get(leaf, leaf)] += count
    return tuple(
        "、".join(f"{label}（{count}）" for label, count in out[k].most_common(n))  # type: ignore[return-value]
        for k in ("unmet", "unknown")
    )


def _strength(book: Book, sheet: Any, screening: Screened, top: int) -> None:
    """IP-strength tiers and score histogram beside the measures chart."""
    s = screening.summary
    col = 8
    if s.tiers:
        sheet.write_row(top, col, ["知识产权强度等级", "企业数"], book.head)
        for i, (tier, count) in enumerate(sorted(s.tiers.items()), start=top + 1):
            sheet.write_row(i, col, [tier, count])
        top += len(s.tiers) + 2
    bins = s.scores.get("ip_strength_card", {})
    scored = [(k.removeprefix("score ").replace("-", "–"), v) for k, v in bins.items() if k.split(" ")[1][:1].isdigit()]
    if not scored:
        return
    scored.sort(key=lambda kv: int(kv[0].split("–")[0]))
    sheet.write_row(top, col, ["知识产权强度分数段", "企业数"], book.head)
    for i, (label, count) in enumerate(scored, start=top + 1):
        sheet.write_row(i, col, [label, count])
    chart = book.book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "企业数",
            "categories": [sheet.name, top + 1, col, top + len(scored), col],
            "values": [sheet.name, top + 1, col + 1, top + len(scored), col + 1],
            "fill": {"color": "#70AD47"},
            "gap": 10,
        }
    )
    chart.set_title({"name": "知识产权强度分布（0–100 分）"})
    chart.set_legend({"none": True})
    sheet.insert_chart(top + len(scored) + 2, col, chart)
