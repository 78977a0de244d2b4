"""Expressions and values in words, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from math import isfinite
from typing import Any

from engine.language import expr as ex
from engine.language.functions import REGISTRY
from engine.language.types import RATIO_UNITS
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS, unit_of, unit_words
from engine.model.results import Words
from engine.model.vocabulary import district_name

DIVISION = "division_code"  # the registered district: its code is shown as the district's name
OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠", "+": "+", "-": "−", "*": "×", "/": "÷"}


def expression_unit(node: ex.Node, unit: Callable[[str], str | None]) -> str | None:
    """The unit of an expression's value, from the units of the names it reads (the profile model's and the
    rule pack's): a sum keeps the unit its terms share, a product by a plain number or a ratio keeps the
    other's, and a quotient of two values in one unit (万元 ÷ 万元, 人 ÷ 人) is a ratio, shown as %."""
    if isinstance(node, ex.Name):
        return unit(node.name)
    if isinstance(node, ex.Num):
        return "ratio" if node.percent else None
    if not isinstance(node, ex.BinOp):
        return None
    a, b = expression_unit(node.left, unit), expression_unit(node.right, unit)
    if node.op in ("+", "-"):
        return a if a == b else None
    if node.op == "*":
        return a if b is None or b in RATIO_UNITS else b if a is None or a in RATIO_UNITS else None
    if a is not None and a == b:
        return "ratio"
    return a if b is None else None


def is_ratio(node: ex.Compare, unit: Callable[[str], str | None]) -> bool:
    """A comparison of ratios (either side): its values and threshold are shown as percentages."""
    return any(expression_unit(side, unit) in RATIO_UNITS for side in (node.left, node.right))


def with_reason(text: str, reason: str, lang: str) -> str:
    """A condition open with every fact known, with why (a lookup row's `reason`, e.g. an industry code too
    coarse to pick a 300号 sector): the one wording of the assessment, the summary and the batch."""
    return f"{text}（{reason}）" if lang == "zh" else f"{text} ({reason})"


def fmt_number(value: float, percent: bool = False) -> str:
    if percent and isfinite(value):
        return f"{round(value * 100, 2):g}%"
    return _plain(value)


def _plain(value: float) -> str:
    """A number with thousands separators and at most two decimals (fmt_number's wording)."""
    if not isfinite(value):  # e.g. a huge amount in 万元 shown in yuan: words, not an OverflowError
        return "∞" if value > 0 else "−∞" if value < 0 else "NaN"
    return f"{round(value, 2):,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def fmt_values(values: list[Any], unit: str | None = None, lang: str = "zh") -> list[str]:
    """fmt_value of each value, a column at a time (the batch's reasons): for plain numbers one format each,
    without fmt_value's checks per value."""
    if unit in RATIO_UNITS or not all(type(v) in (int, float) for v in values):
        return [fmt_value(v, unit, lang) for v in values]
    if lang != "zh" and unit == "万元":
        return ["CNY " + _plain(v * 10_000) for v in values]
    word = unit_words(unit, lang)
    return [f"{_plain(v)} {word}" for v in values] if word else [_plain(v) for v in values]


def fmt_value(value: Any, unit: str | None = None, lang: str = "zh") -> str:
    if value is None:
        return "未知" if lang == "zh" else "unknown"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (int, float)):
        if unit in RATIO_UNITS:
            return fmt_number(value, percent=True)
        if lang != "zh" and unit == "万元":  # an English reader counts money in yuan, not in 万
            return f"CNY {fmt_number(value * 10_000)}"
        text = fmt_number(value)
        unit = unit_words(unit, lang)
        return f"{text} {unit}" if unit else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(fmt_value(v, None, lang) for v in value) or ("无" if lang == "zh" else "none")
    return str(getattr(value, "value", value))


class Renderer(Visitor[str]):
    """Renders an AST in words, showing parameters as their values (with units)."""

    def __init__(
        self,
        label: Callable[[str], tuple[str, str]],
        unit: Callable[[str], str | None],
        param_value: Callable[[str], Any],
    ) -> None:
        self.label, self.unit, self.param_value = label, unit, param_value

    def words(self, node: ex.Node) -> Words:
        return Words(zh=self.render(node, "zh"), en=self.render(node, "en"))

    def render(self, node: ex.Node, lang: str, top: bool = True) -> str:
        """An expression in `lang`; `top` is false inside another expression (sums get parentheses)."""
        return self.visit(node, lang, top)

    def on_num(self, node: ex.Num, lang: str, top: bool) -> str:
        return fmt_number(node.value, node.percent)

    def on_str(self, node: ex.Str, lang: str, top: bool) -> str:
        return node.value

    def on_datelit(self, node: ex.DateLit | ex.Bool, lang: str, top: bool) -> str:
        return fmt_value(node.value, lang=lang)

    on_bool = on_datelit

    def on_name(self, node: ex.Name, lang: str, top: bool) -> str:
        sentinel = object()
        value = self.param_value(node.name) if self.param_value else sentinel
        if value is not sentinel and value is not None:
            return fmt_value(value, self.unit(node.name), lang)
        zh, en = self.label(node.name)
        return zh if lang == "zh" else en

    def on_neg(self, node: ex.Neg, lang: str, top: bool) -> str:
        return f"−{self.render(node.operand, lang, False)}"

    def on_binop(self, node: ex.BinOp | ex.Compare, lang: str, top: bool) -> str:
        place = self.district(node, lang)
        if place is not None:
            return place
        text = f"{self.render(node.left, lang, False)} {OPS[node.op]} {self.render(node.right, lang, False)}"
        return text if top or isinstance(node, ex.Compare) else f"({text})"

    def district(self, node: ex.BinOp | ex.Compare, lang: str) -> str | None:
        """`division_code == <a district's code>` in words: 注册地为江北区 / registered in Jiangbei District."""
        if node.op not in ("==", "!=") or not isinstance(node.left, ex.Name) or node.left.name != DIVISION:
            return None
        code = node.right.value if isinstance(node.right, ex.Str) else None
        if isinstance(node.right, ex.Name) and self.param_value:
            code = self.param_value(node.right.name)
        name = district_name(str(code), lang) if code is not None else None
        if name is None:
            return None
        if lang == "zh":
            return f"注册地{'为' if node.op == '==' else '不是'}{name}"
        return f"{'registered' if node.op == '==' else 'not registered'} in {name}"

    on_compare = on_binop

    def on_and(self, node: ex.And | ex.Or, lang: str, top: bool) -> str:
        joiner = {("zh", ex.And): " 且 ", ("zh", ex.Or): " 或 ", ("en", ex.And): " and ", ("en", ex.Or): " or "}[
            (lang, type(node))
        ]
        text = joiner.join(self.render(o, lang, False) for o in node.operands)
        return text if top else f"({text})"

    on_or = on_and

    def on_not(self, node: ex.Not, lang: str, top: bool) -> str:
        inner = self.render(node.operand, lang, False)
        return f"非（{inner}）" if lang == "zh" else f"not ({inner})"

    def on_call(self, node: ex.Call, lang: str, top: bool) -> str:
        return self.call(node, lang)

    def call(self, node: ex.Call, lang: str) -> str:
        if node.func == "starts_with" and isinstance(node.args[0], ex.Name) and node.args[0].name == DIVISION:
            prefix = node.args[1]
            code = self.param_value(prefix.name) if isinstance(prefix, ex.Name) and self.param_value else None
            name = district_name(str(prefix.value if isinstance(prefix, ex.Str) else code), lang)
            if name is not None:
                return f"注册地在{name}" if lang == "zh" else f"registered in {name}"
        return REGISTRY[node.func].words([self.render(a, lang, top=False) for a in node.args], lang)


def field_unit(name: str) -> str | None:
    return unit_of(name) if name in FIELDS else None
