"""Column headers of an applicant table -> profile fields, the way district spreadsheets write them.

A header names a field by its English name, its Chinese label (engine.model.profile, the one
source of labels) or a declared synonym (ALIASES, the one list of them), after normalising what
people vary without meaning anything: full/half-width characters (NFKC), spaces, and a trailing
unit — 营业收入（万元）, 从业人员数(人), 研发费用 单位：元. A money unit other than the field's 万元
(元, 千元, 亿元) is converted; any other unit must be the field's own. Headers on IGNORED (serial
numbers, contacts, remarks) are read past on purpose. Anything else is an unknown column: the
run stops naming it with the closest field names, unless the caller accepts ignoring it, and
then it is still listed. Blank and repeated headers are named too.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from engine.model.profile import FIELDS, label_zh, unit_of

# Common synonyms officers' forms use, by field (normalised like headers before matching).
ALIASES: dict[str, tuple[str, ...]] = {
    "credit_code": ("信用代码", "社会信用代码", "统一信用代码", "统一社会信用代码证号", "企业信用代码"),
    "name": ("企业名", "单位名称", "公司名称", "申报单位", "申报企业", "企业(单位)名称"),
    "registration_date": ("注册日期", "成立时间", "注册时间", "登记日期"),
    "division_code": ("行政区划代码", "注册地区划代码"),
    "industry_code": ("行业代码", "所属行业代码"),
    "employees": ("职工人数", "员工人数", "从业人数", "职工总数", "从业人员"),
    "rd_staff": ("研发人数", "研发人员"),
    "st_staff": ("科技人员", "科技人员人数"),
    "revenue": ("销售收入", "营业总收入", "年营业收入", "营收"),
    "main_revenue": ("主营收入",),
    "rd_expense": ("研发投入", "研发经费", "研究开发费用"),
    "total_assets": ("总资产",),
    "total_liabilities": ("总负债",),
    "invention_patents": ("发明专利数", "发明专利拥有量", "有效发明专利"),
    "trademarks": ("注册商标数", "商标数"),
    "software_copyrights": ("软件著作权",),
}

# Columns officers' forms carry that are no profile facts: read past, on purpose.
IGNORED = frozenset(
    {
        "序号",
        "编号",
        "备注",
        "说明",
        "联系人",
        "联系电话",
        "手机",
        "手机号码",
        "电话",
        "邮箱",
        "电子邮箱",
        "地址",
        "注册地址",
        "通讯地址",
        "填表人",
        "填报人",
        "填报日期",
        "经办人",
        "no",
        "no.",
        "remark",
        "remarks",
        "contact",
        "phone",
        "email",
        "address",
    }
)

# 万元 per declared unit (money fields are in 万元).
MONEY_UNITS: dict[str, float] = {"元": 1e-4, "人民币元": 1e-4, "千元": 0.1, "万元": 1.0, "万": 1.0, "亿元": 1e4}
_UNIT_WORDS = {
    "人": ("人", "名", "个"),
    "件": ("件", "个", "项"),
    "项": ("项", "个", "件"),
    "次": ("次",),
    "年": ("年",),
    "家": ("家", "个"),
    "级": ("级",),
    "分": ("分",),
    "名": ("名",),
}
_TRAILING_UNIT = re.compile(r"^(?P<name>.+?)[(\[【]\s*(?:单位[:：]?)?\s*(?P<unit>[^()\[\]【】]{1,6})\s*[)\]】]$")
_UNIT_CLAUSE = re.compile(r"^(?P<name>.+?)[,，;；/]?单位[:：]\s*(?P<unit>\S{1,6})$")


def normalise(header: object) -> str:
    """Width-folded (NFKC), without spaces or a byte-order mark, lower case."""
    text = unicodedata.normalize("NFKC", str(header if header is not None else "")).lstrip("\ufeff")
    return re.sub(r"\s+", "", text).lower()


def split_unit(text: str) -> tuple[str, str | None]:
    """('营业收入', '万元') from a normalised '营业收入(万元)' or '营业收入,单位:万元'; (text, None) otherwise."""
    for pattern in (_TRAILING_UNIT, _UNIT_CLAUSE):
        m = pattern.match(text)
        if m:
            return m["name"], m["unit"]
    return text, None


def _lookup() -> dict[str, str]:
    table = {normalise(name): name for name in FIELDS}
    table |= {normalise(label_zh(name)): name for name in FIELDS}
    for name, words in ALIASES.items():
        table |= {normalise(w): name for w in words if normalise(w) not in table}
    return table


LOOKUP = _lookup()
_IGNORED = frozenset(normalise(h) for h in IGNORED)


@dataclass
class Unknown:
    """A column the run cannot read: its position (0-based), header and the closest fields."""

    position: int
    header: str
    suggestions: list[str] = field(default_factory=list)
    why_zh: str = "无法识别的列"
    why_en: str = "unknown column"

    @property
    def shown(self) -> str:
        return self.header or f"第 {self.position + 1} 列（表头为空）"

    def zh(self) -> str:
        if not self.header:
            return f"第 {self.position + 1} 列表头为空（请填写表头或删除该列）"
        hint = "、".join(f"{label_zh(f)}（{f}）" for f in self.suggestions)
        return f"{self.why_zh}「{self.shown}」（第 {self.position + 1} 列）" + (f"，是否指：{hint}？" if hint else "")

    def en(self) -> str:
        if not self.header:
            return f"column {self.position + 1} has a blank header (name it or delete the column)"
        hint = ", ".join(f"{f} ({label_zh(f)})" for f in self.suggestions)
        return f"{self.why_en} {self.header or '(blank header)'!r} (column {self.position + 1})" + (
            f"; did you mean: {hint}?" if hint else ""
        )


@dataclass
class Columns:
    """What each header of a table means."""

    mapping: dict[str, int] = field(default_factory=dict)  # field -> column position
    factors: dict[str, float] = field(default_factory=dict)  # field -> multiply cells by this (declared unit)
    units: dict[str, str] = field(default_factory=dict)  # field -> unit its header declared
    unknown: list[Unknown] = field(default_factory=list)  # stop the run unless ignoring is accepted
    repeated: list[Unknown] = field(default_factory=list)  # always stop the run
    ignored: list[str] = field(default_factory=list)  # on IGNORED: read past

    def problems(self, ignore_unknown: bool = False) -> list[Unknown]:
        """What stops the run."""
        return self.repeated + ([] if ignore_unknown else self.unknown)

    def message(self, ignore_unknown: bool = False) -> tuple[str, str]:
        """(zh, en) error text for the problems, or empty strings."""
        problems = self.problems(ignore_unknown)
        if not problems:
            return "", ""
        tail_zh = (
            ""
            if ignore_unknown or not self.unknown
            else "。请改正表头（可下载申报信息模板），或使用 --ignore-unknown-columns 忽略这些列（仍会列出）"
        )
        tail_en = (
            ""
            if ignore_unknown or not self.unknown
            else ". Fix the headers (see the template), or pass --ignore-unknown-columns to skip them (they are still listed)"
        )
        return ("；".join(p.zh() for p in problems) + tail_zh, "; ".join(p.en() for p in problems) + tail_en)


def suggestions(text: str, n: int = 3) -> list[str]:
    """The fields whose name, label or synonym is closest to a header."""
    close = difflib.get_close_matches(text, list(LOOKUP), n=n * 3, cutoff=0.5)
    out: list[str] = []
    for key in close:
        if LOOKUP[key] not in out:
            out.append(LOOKUP[key])
    if not out:  # a label contained in the header or the other way round (研发费用合计 -> 研发费用)
        out = sorted(
            {f for k, f in LOOKUP.items() if len(k) > 1 and (k in text or text in k)}, key=lambda f: -len(label_zh(f))
        )
    return out[:n]


def unit_factor(name: str, unit: str) -> float | None:
    """The factor turning a value in `unit` into the field's own unit; None when they do not convert."""
    own = unit_of(name)
    if own == "万元":
        return MONEY_UNITS.get(unit)
    if own is not None and (unit == own or unit in _UNIT_WORDS.get(own, ())):
        return 1.0
    return None


def resolve(headers: list[object]) -> Columns:
    """Map every header of a table."""
    out = Columns()
    for pos, header in enumerate(headers):
        raw = "" if header is None else str(header).strip().lstrip("\ufeff")
        text = normalise(raw)
        if not text:
            out.unknown.append(Unknown(pos, ""))
            continue
        if text in _IGNORED:
            out.ignored.append(raw)
            continue
        name, unit = LOOKUP.get(text), None
        if name is None:
            stem, unit = split_unit(text)
            name = LOOKUP.get(stem)
            if name is None:
                out.unknown.append(Unknown(pos, raw, suggestions(stem)))
                continue
        if name in out.mapping:
            first, label = out.mapping[name], f"{label_zh(name)}（{name}）"
            out.repeated.append(
                Unknown(
                    pos,
                    raw,
                    [],
                    f"与第 {first + 1} 列同为 {label} 的列",
                    f"a second column for {name} ({label_zh(name)}), like column {first + 1}:",
                )
            )
            continue
        if unit is not None:
            factor = unit_factor(name, unit)
            if factor is None:
                out.unknown.append(
                    Unknown(
                        pos,
                        raw,
                        [name],
                        f"单位「{unit}」与字段单位（{unit_of(name) or '无'}）不符的列",
                        f"unit {unit!r} does not match the field's unit ({unit_of(name) or 'none'}) in",
                    )
                )
                continue
            if factor != 1.0:
                out.factors[name] = factor
            out.units[name] = unit
        out.mapping[name] = pos
    return out
