"""Expressions and values in words, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from engine.language import expr as ex
from engine.language.functions import REGISTRY
from engine.model.profile import FIELDS, unit_of, unit_words
from engine.model.results import Words

OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠", "+": "+", "-": "−", "*": "×", "/": "÷"}
RATIO_UNITS = {"ratio", "%"}


def fmt_number(value: float, percent: bool = False) -> str:
    if percent:
        return f"{round(value * 100, 2):g}%"
    return f"{round(value, 2):,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


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


class Renderer:
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
        r = lambda n: self.render(n, lang, top=False)  # noqa: E731
        if isinstance(node, ex.Num):
            return fmt_number(node.value, node.percent)
        if isinstance(node, ex.Str):
            return node.value
        if isinstance(node, (ex.DateLit, ex.Bool)):
            return fmt_value(node.value, lang=lang)
        if isinstance(node, ex.Name):
            sentinel = object()
            value = self.param_value(node.name) if self.param_value else sentinel
            if value is not sentinel and value is not None:
                return fmt_value(value, self.unit(node.name), lang)
            zh, en = self.label(node.name)
            return zh if lang == "zh" else en
        if isinstance(node, ex.Neg):
            return f"−{r(node.operand)}"
        if isinstance(node, (ex.BinOp, ex.Compare)):
            text = f"{r(node.left)} {OPS[node.op]} {r(node.right)}"
            return text if top or isinstance(node, ex.Compare) else f"({text})"
        if isinstance(node, (ex.And, ex.Or)):
            joiner = {("zh", ex.And): " 且 ", ("zh", ex.Or): " 或 ", ("en", ex.And): " and ", ("en", ex.Or): " or "}[
                (lang, type(node))
            ]
            text = joiner.join(r(o) for o in node.operands)
            return text if top else f"({text})"
        if isinstance(node, ex.Not):
            return f"非（{r(node.operand)}）" if lang == "zh" else f"not ({r(node.operand)})"
        if isinstance(node, ex.Call):
            return self.call(node, lang)
        raise TypeError(node)

    def call(self, node: ex.Call, lang: str) -> str:
        return REGISTRY[node.func].words([self.render(a, lang, top=False) for a in node.args], lang)


def field_unit(name: str) -> str | None:
    return unit_of(name) if name in FIELDS else None
