"""The policy catalogue: every rule of a pack in words, as Markdown and a standalone HTML page.

Generated from the rule files only (`ipcheck rules docs`), so it can never drift from
them; the output is deterministic (no timestamps, no absolute paths) so a test can tell
when the committed copy is stale. The closing table lists every `assumed` and
`provisional` value: what an officer must confirm before relying on the pack.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from engine.evaluate.explain import Renderer, expression_unit, fmt_number, fmt_value
from engine.language.loader import DEFAULT_RULES, RuleLoadError, RulePack, load_pack
from engine.language.rules import (
    Benefit,
    BracketTable,
    Condition,
    Derived,
    Exclusion,
    Expression,
    Indicator,
    Information,
    Policy,
    Scorecard,
    Source,
)

REFRESH = "ipcheck rules docs -o docs/catalogue"
FILES = ("catalogue.md", "catalogue.html")
STATUS_ZH = {"confirmed": "已确认", "assumed": "假设", "provisional": "暂定"}
BOUND = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
KIND_ZH = {
    "grant": "资助",
    "subsidy": "补贴",
    "reward": "奖励",
    "interest_subsidy": "贴息",
    "premium_subsidy": "保费补贴",
    "priority_access": "优先享受",
    "title": "称号",
    "support": "支持",
}


# --- a tiny document model, rendered to Markdown and to HTML ----------------


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Bullets:
    items: list[tuple[int, str]]  # (depth, text)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


Block = Heading | Para | Bullets | Table


def status_tag(status: str) -> str:
    return "" if status == "confirmed" else f" 〔{STATUS_ZH[status]} {status}〕"


def cite(source: Source | None, quote: bool = True) -> str:
    if source is None:
        return ""
    text = source.cite()
    return f"{text}「{source.quote}」" if quote and source.quote else text


def note_of(*texts: Any) -> str:
    """Notes as one text (a {zh:, en:} note as "zh / en": this catalogue is bilingual)."""
    return " ".join(str(t) for t in texts if t)


class Catalogue:
    """Walks a rule pack into blocks; all text comes from the rule files."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.render = Renderer(self.label, self.unit, lambda name: None)
        self.confirm: list[list[str]] = []

    # --- names and words ----------------------------------------------------
    def label(self, name: str) -> tuple[str, str]:
        param = self.pack.parameters.get(name)
        if param is None:
            return self.pack.label(name)
        if len(param.versions) > 1:
            return f"{param.label.zh}（按日期取值，见参数表）", f"{param.label.en} (dated, see parameters)"
        value = param.versions[0].value
        return (
            f"{param.label.zh}（{fmt_value(value, param.unit)}）",
            f"{param.label.en} ({fmt_value(value, param.unit, 'en')})",
        )

    def unit(self, name: str) -> str | None:
        return self.pack.unit(name)

    def words(self, expression: Expression) -> str:
        w = self.render.words(expression.ast)
        return w.zh if w.zh == w.en else f"{w.zh}｜{w.en}"

    def where(self, ident: str) -> str:
        file, line = self.pack.origin.get(ident, ("?", None))
        try:
            file = Path(file).relative_to(self.pack.root).as_posix()
        except ValueError:
            file = Path(file).name
        return f"{file}:{line}" if line else file

    def to_confirm(
        self,
        status: str,
        kind: str,
        owner: str,
        where: str,
        what: str,
        value: str,
        source: Source | None,
        note: Any,
    ) -> None:
        """A row of the closing table, for a value inside the rule `owner` (an id)."""
        if status != "confirmed":
            self.confirm.append(
                [
                    str(len(self.confirm) + 1),
                    kind,
                    where,
                    self.where(owner),
                    what,
                    value,
                    f"{STATUS_ZH[status]} {status}",
                    cite(source, quote=False),
                    note_of(note),
                ]
            )

    # --- the document -------------------------------------------------------
    def blocks(self) -> list[Block]:
        pack = self.pack
        measures = [v for vs in pack.policies.values() for v in vs if v.kind == "measure"]
        designations = [v for vs in pack.policies.values() for v in vs if v.kind == "designation"]
        body: list[Block] = []
        body += self.section("措施 / Measures", measures, self.policy)
        body += self.section("认定 / Designations", designations, self.policy)
        body += self.section(
            "排除条件（统一声明）/ Exclusions (declared once)", list(pack.exclusions.values()), self.exclusion
        )
        body += self.section(
            "可咨询（无可判定条件）/ To ask about (nothing to check)", list(pack.information.values()), self.information
        )
        body += self.section("评分表 / Scorecards", list(pack.scorecards.values()), self.scorecard)
        body += self.section("派生事实 / Derived facts", list(pack.derived.values()), self.derived)
        body += self.parameters()
        head: list[Block] = [
            Heading(1, "政策目录 / Policy catalogue"),
            Para(
                f"由规则文件生成，请勿手工修改；更新：`{REFRESH}`。"
                f" Generated from the rule files; do not edit by hand; refresh with `{REFRESH}`."
            ),
            Para(
                f"规则包 / rule pack `{pack.hash}`：措施 {len(measures)} 项、认定 {len(designations)} 项、"
                f"评分表 {len(pack.scorecards)} 个、派生事实 {len(pack.derived)} 项、参数 {len(pack.parameters)} 个；"
                f"待确认的假设与暂定值 {len(self.confirm)} 处（见末表）。"
                f" {len(measures)} measures, {len(designations)} designations, {len(pack.scorecards)} scorecards,"
                f" {len(pack.derived)} derived facts, {len(pack.parameters)} parameters;"
                f" {len(self.confirm)} assumed or provisional values to confirm (last table)."
            ),
            Para(
                "状态 / status：已确认 confirmed = 见于公开文件；假设 assumed = 文件未载明、由规则作者选定，须经主管部门确认；"
                "暂定 provisional = 尚未确认的新版本。 confirmed = seen in public documents; assumed = not stated, chosen"
                " by the rule author, to confirm; provisional = a newer version not yet confirmed."
            ),
        ]
        tail: list[Block] = [
            Heading(2, "待确认的假设与暂定值 / Assumed and provisional values to confirm"),
            Para("依赖本规则包前，须逐项确认下表。 Confirm every row before relying on the pack."),
            Table(
                [
                    "#",
                    "类型 kind",
                    "位置 where",
                    "文件 file",
                    "内容 what",
                    "取值 value",
                    "状态 status",
                    "依据 source",
                    "说明 note",
                ],
                self.confirm,
            ),
        ]
        return head + body + tail

    @staticmethod
    def section(title: str, items: list[Any], render: Any) -> list[Block]:
        if not items:
            return []
        out: list[Block] = [Heading(2, title)]
        for item in items:
            out += render(item)
        return out

    # --- policies -----------------------------------------------------------
    def policy(self, p: Policy) -> list[Block]:
        period = f"{p.valid_from} 起" + (f"，至 {p.valid_to}" if p.valid_to else "，未定终止日期")
        period_en = f"from {p.valid_from}" + (f" to {p.valid_to}" if p.valid_to else ", no end date")
        facts = [
            (0, f"标识 id `{p.id}`" + (f"，中文名 {p.name_zh}" if p.name_zh else "") + f"（{self.where(p.id)}）"),
            (0, f"依据 source：{cite(p.source)}"),
            (0, f"有效期 in force：{period}｜{period_en}"),
            (0, f"状态 status：{STATUS_ZH[p.status]} {p.status}"),
        ]
        if p.note:
            facts.append((0, f"说明 note：{p.note}"))
        if p.grants:
            facts.append((0, "授予称号 grants：" + "、".join(f"`{g}`" for g in p.grants)))
        self.to_confirm(p.status, "政策 policy", p.id, f"`{p.id}` ({p.valid_from})", p.title.zh, "", p.source, p.note)
        blocks: list[Block] = [
            Heading(3, f"{p.title.zh} / {p.title.en}"),
            Bullets(facts),
            Para("条件 / Conditions"),
            Bullets(list(self.conditions(p))),
        ]
        if p.benefits:
            blocks += [Para("待遇 / Benefits"), Bullets([(0, self.benefit(p, b)) for b in p.benefits])]
        return blocks

    def exclusion(self, e: Exclusion) -> list[Block]:
        period = f"{e.valid_from} 起" + (f"，至 {e.valid_to}" if e.valid_to else "，未定终止日期")
        names = list(self.pack.policies) if e.policies == "all" else e.policies
        facts = [
            (0, f"标识 id `{e.id}`（{self.where('exclusion:' + e.id)}）"),
            (0, f"条件 condition：{self.words(e.when)}"),
            (0, f"依据 source：{cite(e.source)}"),
            (0, f"有效期 in force：{period}"),
            (0, f"状态 status：{STATUS_ZH[e.status]} {e.status}"),
            (0, "适用于 applies to：" + "、".join(f"{self.pack.label(n)[0]}（`{n}`）" for n in names)),
        ]
        if e.note:
            facts.append((0, f"说明 note：{e.note}"))
        self.to_confirm(
            e.status,
            "排除条件 exclusion",
            "exclusion:" + e.id,
            f"`{e.id}`",
            e.label.zh,
            self.words(e.when),
            e.source,
            note_of(e.note, e.source.note),
        )
        return [Heading(3, f"{e.label.zh} / {e.label.en}"), Bullets(facts)]

    def information(self, e: Information) -> list[Block]:
        period = f"{e.valid_from} 起" + (f"，至 {e.valid_to}" if e.valid_to else "，未定终止日期")
        facts = [
            (0, f"标识 id `{e.id}`（{self.where(e.id)}）"),
            (0, f"依据 source：{cite(e.source)}"),
            (0, f"有效期 in force：{period}"),
            (0, f"状态 status：{STATUS_ZH[e.status]} {e.status}"),
            (0, f"内容 offers：{e.offers.zh} / {e.offers.en}"),
            (0, f"咨询 ask：{e.ask.zh} / {e.ask.en}"),
        ]
        if e.note:
            facts.append((0, f"说明 note：{e.note}"))
        self.to_confirm(e.status, "可咨询 information", e.id, f"`{e.id}`", e.title.zh, "", e.source, e.note)
        return [Heading(3, f"{e.title.zh} / {e.title.en}（可咨询 ask）"), Bullets(facts)]

    def conditions(self, p: Policy) -> Iterator[tuple[int, str]]:
        """Depth and words of every node, with the ids walk_conditions gives them."""

        def walk(cond: Condition, path: str, depth: int) -> Iterator[tuple[int, str]]:
            ident = cond.id or path
            yield depth, self.condition(p, ident, cond)
            for pos, child in enumerate(cond.children()):
                yield from walk(child, f"{ident}.{pos + 1}", depth + 1)

        return walk(p.conditions, "c", 0)

    def condition(self, p: Policy, path: str, cond: Condition) -> str:
        if cond.when is not None:
            w = self.render.words(cond.when.ast)
            text = self.words(cond.when)
            if cond.label and (cond.label.zh, cond.label.en) == (w.zh, w.en):
                text = f"{cond.label.zh} / {cond.label.en}"
            elif cond.label:
                text = f"{cond.label.zh} / {cond.label.en}：{text}"
        else:
            kind = "all" if cond.all is not None else ("any" if cond.any is not None else "not")
            default = {
                "all": "同时满足以下全部条件 / all of the following",
                "any": "满足以下任一条件 / any of the following",
                "not": "不得满足以下条件 / none of the following",
            }[kind]
            text = f"{cond.label.zh} / {cond.label.en}（{default}）" if cond.label else default
        source = f" — 依据 {cite(cond.source)}" if cond.source else ""
        if any(e.id == cond.id for e in self.pack.exclusions_of(p.id)):  # listed once, in its own section
            where = self.where("exclusion:" + path)
            return f"{text}{status_tag(cond.status)}{source}（统一排除条件 exclusion `{path}`，{where}）"
        shown = self.words(cond.when) if cond.when is not None else ""
        self.to_confirm(
            cond.status,
            "条件 condition",
            p.id,
            f"`{p.id}` › `{path}`",
            cond.label.zh if cond.label else shown,
            shown,
            cond.source or p.source,
            note_of(cond.note, cond.source.note if cond.source else None),
        )
        return f"{text}{status_tag(cond.status)}{source}"

    def benefit(self, p: Policy, b: Benefit) -> str:
        formula = self.words(b.amount) if b.amount is not None else ""
        cap = f"上限 cap {fmt_number(b.cap)} 万元" if b.cap is not None else ""
        value = "；".join(part for part in (formula and f"{formula} 万元", cap) if part)
        self.to_confirm(
            b.status,
            "待遇 benefit",
            p.id,
            f"`{p.id}` › {b.kind}",
            b.text.zh,
            value,
            b.source or p.source,
            b.source.note if b.source else None,
        )
        amount = f"；金额 amount = {value}" if value else ""
        source = f" — 依据 {cite(b.source)}" if b.source else ""
        return f"{KIND_ZH[b.kind]} {b.kind}：{b.text.zh} / {b.text.en}{amount}{status_tag(b.status)}{source}"

    # --- scorecards ---------------------------------------------------------
    def scorecard(self, card: Scorecard) -> list[Block]:
        facts = [
            (0, f"标识 id `{card.id}`（{self.where(card.id)}）"),
            (0, f"依据 source：{cite(card.source)}"),
            (0, f"状态 status：{STATUS_ZH[card.status]} {card.status}"),
        ]
        facts += [
            (
                0,
                f"{period.valid_from} 起 from"
                + (f" 至 to {period.valid_to}" if period.valid_to else "")
                + f"：{STATUS_ZH[period.status]} {period.status}"
                + (f"（{note_of(period.note)}）" if period.note else ""),
            )
            for period in card.periods
        ]
        if card.why is not None:
            facts.append((0, f"为何 why：{card.why.zh} / {card.why.en}"))
        if card.pass_at is not None:
            facts.append((0, f"总分达标线 pass at：≥ {fmt_number(card.pass_at)}"))
        for status in sorted({card.status, *(p.status for p in card.periods)}):
            self.to_confirm(
                status, "评分表 scorecard", card.id, f"`{card.id}`", card.label.zh, "", card.source, card.why
            )
        blocks: list[Block] = [Heading(3, f"{card.label.zh} / {card.label.en}"), Bullets(facts)]
        for group in card.groups:
            minimum = f"，最低 min {fmt_number(group.min)}" if group.min is not None else ""
            blocks.append(Para(f"{group.label.zh} / {group.label.en}（满分 max {fmt_number(group.max)}{minimum}）"))
            items: list[tuple[int, str]] = (
                [] if group.why is None else [(0, f"为何 why：{group.why.zh} / {group.why.en}")]
            )
            for ind in group.indicators:
                items += self.indicator(card, ind)
            blocks.append(Bullets(items))
        if card.direct_routes:
            routes = []
            for r in card.direct_routes:
                routes.append(
                    (
                        0,
                        f"{r.label.zh} / {r.label.en}：{self.words(r.when)}{status_tag(r.status)}"
                        + (f" — 依据 {cite(r.source)}" if r.source else ""),
                    )
                )
                self.to_confirm(
                    r.status,
                    "直通 route",
                    card.id,
                    f"`{card.id}` › `{r.id}`",
                    r.label.zh,
                    self.words(r.when),
                    r.source or card.source,
                    None,
                )
            blocks += [Para("直通条件 / Direct routes"), Bullets(routes)]
        return blocks

    def indicator(self, card: Scorecard, ind: Indicator) -> list[tuple[int, str]]:
        where = f"`{card.id}` › `{ind.id}`"
        head = f"{ind.label.zh} / {ind.label.en}（满分 max {fmt_number(ind.max)}）{status_tag(ind.status)}" + (
            f" — 依据 {cite(ind.source)}" if ind.source else ""
        )
        self.to_confirm(
            ind.status,
            "指标 indicator",
            card.id,
            where,
            ind.label.zh,
            "",
            ind.source or card.source,
            ind.note or ind.why,
        )
        lines = [(0, head)] + ([] if ind.why is None else [(1, f"为何 why：{ind.why.zh} / {ind.why.en}")])
        tables = ([ind.brackets] if ind.brackets else []) + (ind.best_of or [])
        for n, table in enumerate(tables):
            prefix = f"取高 best of #{n + 1}: " if ind.best_of else ""
            lines += [
                (1, prefix + line) for line in self.bracket_rows(table, card.id, where, ind.source or card.source, "分")
            ]
        for case in ind.cases or []:
            label = f"（{case.label.zh}）" if case.label else ""
            note = f"（{note_of(case.note)}）" if case.note else ""
            lines.append(
                (1, f"{self.words(case.when)}{label} → {fmt_number(case.points)} 分{status_tag(case.status)}{note}")
            )
            self.to_confirm(
                case.status,
                "情形 case",
                card.id,
                where,
                ind.label.zh,
                f"{self.words(case.when)} → {fmt_number(case.points)} 分",
                ind.source or card.source,
                case.note,
            )
        if ind.cases is not None:
            lines.append((1, f"其他 otherwise → {fmt_number(ind.otherwise or 0)} 分"))
        for item in ind.items or []:
            lines.append((1, f"每项 each: {self.words(item.when)} → +{fmt_number(item.points)} 分"))
        if ind.formula is not None:
            lines.append((1, f"公式 formula: {self.words(ind.formula)}"))
        return lines

    def bracket_rows(self, table: BracketTable, owner: str, where: str, source: Source | None, unit: str) -> list[str]:
        of = self.words(table.of)
        of_unit = expression_unit(table.of.ast, self.unit)
        rows = []
        for row in table.rows:
            bounds = " 且 ".join(f"{BOUND[op]} {fmt_value(v, of_unit)}" for op, v in row.bounds()) or "其他 any"
            result = row.result()
            shown = (
                f"{fmt_number(result)} {unit}"
                if isinstance(result, (int, float)) and not isinstance(result, bool)
                else fmt_value(result)
            )
            edge = f"（边界 edge{status_tag(row.edge)}）" if row.edge != "confirmed" else ""
            rows.append(
                f"{of} {bounds} → {shown}{status_tag(row.status)}{edge}" + (f"（{row.note}）" if row.note else "")
            )
            self.to_confirm(row.status, "分档 bracket", owner, where, of, f"{bounds} → {shown}", source, row.note)
            self.to_confirm(
                row.edge, "分档边界 bracket edge", owner, where, of, f"{bounds} → {shown}", source, row.note
            )
        if table.otherwise is not None:
            rows.append(f"{of} 其他 otherwise → {fmt_value(table.otherwise)}")
        return rows

    # --- derived facts ------------------------------------------------------
    def derived(self, d: Derived) -> list[Block]:
        facts = [
            (0, f"标识 id `{d.id}`" + (f"，中文名 {d.name_zh}" if d.name_zh else "") + f"（{self.where(d.id)}）"),
            (0, f"状态 status：{STATUS_ZH[d.status]} {d.status}"),
        ]
        if d.source:
            facts.append((0, f"依据 source：{cite(d.source)}"))
        if d.note:
            facts.append((0, f"说明 note：{d.note}"))
        self.to_confirm(
            d.status,
            "派生事实 derived",
            d.id,
            f"`{d.id}`",
            d.label.zh,
            self.words(d.formula) if d.formula else "",
            d.source,
            note_of(d.note),
        )
        rule: list[tuple[int, str]] = []
        where = f"`{d.id}`"
        if d.formula is not None:
            rule.append((0, f"公式 formula：{self.words(d.formula)}"))
        if d.brackets is not None:
            rule += [(0, line) for line in self.bracket_rows(d.brackets, d.id, where, d.source, d.unit or "")]
        if d.lookup is not None:
            rule.append(
                (
                    0,
                    f"按 {self.words(d.lookup.key)} 查表（{'前缀匹配 prefix' if d.lookup.match == 'prefix' else '精确匹配 exact'}）",
                )
            )
            for row in d.lookup.table:
                keys = "、".join(row.keys)
                rule.append(
                    (
                        1,
                        f"{keys} → {fmt_value(row.value)}{status_tag(row.status)}"
                        + (f"（{row.note}）" if row.note else ""),
                    )
                )
                self.to_confirm(
                    row.status, "查表行 lookup row", d.id, where, keys, fmt_value(row.value), d.source, row.note
                )
            if d.lookup.default is not None:
                rule.append((1, f"其他 default → {fmt_value(d.lookup.default)}"))
        for case in d.cases or []:
            note = f"（{note_of(case.note)}）" if case.note else ""
            rule.append((0, f"若 {self.words(case.when)} → {fmt_value(case.value)}{status_tag(case.status)}{note}"))
            self.to_confirm(
                case.status,
                "情形 case",
                d.id,
                where,
                d.label.zh,
                f"{self.words(case.when)} → {fmt_value(case.value)}",
                d.source,
                case.note,
            )
        return [Heading(3, f"{d.label.zh} / {d.label.en}"), Bullets(facts + rule)]

    # --- parameters ---------------------------------------------------------
    def parameters(self) -> list[Block]:
        if not self.pack.parameters:
            return []
        table = Table(
            ["参数 parameter", "标识 id", "起 from", "止 to", "取值 value", "状态 status", "依据 source", "说明 note"]
        )
        for p in self.pack.parameters.values():
            for v in p.versions:
                value = fmt_value(v.value, p.unit)
                note = note_of(v.note, v.source.note)
                table.rows.append(
                    [
                        f"{p.label.zh} / {p.label.en}",
                        f"`{p.id}`",
                        str(v.valid_from),
                        str(v.valid_to or "—"),
                        value,
                        f"{STATUS_ZH[v.status]} {v.status}",
                        cite(v.source),
                        note,
                    ]
                )
                self.to_confirm(
                    v.status, "参数 parameter", p.id, f"`{p.id}` ({v.valid_from})", p.label.zh, value, v.source, note
                )
        return [
            Heading(2, "参数 / Parameters"),
            Para(
                "每个参数的全部日期版本；评估时按评估日期取值。"
                " Every dated version; an assessment uses the one in force on its date."
            ),
            table,
        ]


# --- renderers --------------------------------------------------------------


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + one_line(b.text))
        elif isinstance(b, Para):
            out.append(one_line(b.text))
        elif isinstance(b, Bullets):
            out.append(markdown_list(b.items))
        else:
            cells = lambda row: "| " + " | ".join(one_line(c).replace("|", "\\|") or " " for c in row) + " |"  # noqa: E731
            out.append("\n".join([cells(b.headers), "|" + "---|" * len(b.headers), *map(cells, b.rows)]))
    return "\n\n".join(out) + "\n"


def markdown_list(items: list[tuple[int, str]]) -> str:
    lines, depth = [], -1
    for level, text in items:
        depth = min(level, depth + 1)
        lines.append("  " * depth + "- " + one_line(text))
    return "\n".join(lines)


def one_line(text: str) -> str:
    return " ".join(text.split())


CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;line-height:1.55;color:#1d1d1f}
h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #999;margin-top:2.5rem}h3{margin-top:1.8rem}
table{border-collapse:collapse;font-size:.9rem;width:100%}th,td{border:1px solid #bbb;padding:.3rem .45rem;
vertical-align:top;text-align:left}th{background:#eee}code{background:#f3f3f3;padding:0 .2rem}
ul{margin:.3rem 0}.flag{color:#a33;font-weight:600}
"""


def inline_html(text: str) -> str:
    parts = re.split(r"`([^`]*)`", one_line(text))
    out = [f"<code>{html.escape(p)}</code>" if n % 2 else html.escape(p) for n, p in enumerate(parts)]
    return re.sub(r"〔(假设|暂定) (assumed|provisional)〕", r'<span class="flag">〔\1 \2〕</span>', "".join(out))


def nested_list(items: list[tuple[int, str]], raw: bool = False) -> str:
    """Nested <ul> from (depth, text) items (text escaped unless `raw`); a child stays inside its parent's <li>."""
    out, depth = [], -1
    for level, text in items:
        level = min(level, depth + 1)
        if level > depth:
            out.append("<ul>")
            depth = level
        else:
            out.append("</li>")
            while depth > level:
                out.append("</ul></li>")
                depth -= 1
        out.append(f"<li>{text if raw else inline_html(text)}")
    out.append("</li>")
    while depth > 0:
        out.append("</ul></li>")
        depth -= 1
    return "".join(out) + "</ul>"


def to_html(blocks: list[Block]) -> str:
    """A standalone page (inline CSS, no scripts or external links) with a contents list after the title."""
    body: list[str] = []
    contents: list[tuple[int, str]] = []
    for b in blocks:
        if isinstance(b, Heading) and b.level > 1:
            anchor = f"s{len(contents) + 1}"
            contents.append((b.level - 2, f'<a href="#{anchor}">{inline_html(b.text)}</a>'))
            body.append(f'<h{b.level} id="{anchor}">{inline_html(b.text)}</h{b.level}>')
        elif isinstance(b, Heading):
            body.append(f"<h{b.level}>{inline_html(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(f"<p>{inline_html(b.text)}</p>")
        elif isinstance(b, Bullets):
            body.append(nested_list(b.items))
        else:
            head = "".join(f"<th>{inline_html(h)}</th>" for h in b.headers)
            rows = "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    toc = nested_list(contents, raw=True) if contents else ""
    body.insert(1, f"<nav><p>目录 / Contents</p>{toc}</nav>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        "<title>政策目录 / Policy catalogue</title>\n<style>"
        + CSS
        + "</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def build(pack: RulePack) -> dict[str, str]:
    """File name -> text of the catalogue for a pack."""
    blocks = Catalogue(pack).blocks()
    return {"catalogue.md": to_markdown(blocks), "catalogue.html": to_html(blocks)}


def write(pack: RulePack, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in build(pack).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@click.command("docs")
@click.argument("folder", type=click.Path(path_type=Path), default=DEFAULT_RULES)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("docs/catalogue"),
    show_default=True,
    help="Output folder / 输出目录",
)
def docs(folder: Path, out: Path) -> None:
    """Write the policy catalogue (Markdown and HTML) / 生成政策目录"""
    try:
        pack = load_pack(folder)
    except RuleLoadError as e:
        click.echo(f"规则包加载失败 / the rule pack failed to load:\n{e}", err=True)
        sys.exit(3)
    try:
        paths = write(pack, out)
    except OSError as e:
        click.echo(f"{out}: 无法写入目录 / cannot write the catalogue: {e.strerror}", err=True)
        sys.exit(2)
    for path in paths:
        click.echo(f"wrote {path}")
