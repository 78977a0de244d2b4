"""The applicant template officers hand out: one column per profile fact, Chinese headers with units,
drop-downs and bounds from the profile model, and an instructions sheet generated from the same model."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from engine.model.profile import FIELDS, LEVEL_ZH, PRODUCT_FIELDS, TITLES, field_kind, label_zh, unit_of

ROWS = 5000  # rows that carry the validation
YES_NO = ["是", "否"]
LEVELS = ["国家级", "省级", "地市级", "区县级"]
if not set(LEVELS) <= set(LEVEL_ZH):  # the template offers only levels the profile model knows
    raise RuntimeError(f"template levels {LEVELS} not all in the profile model's {sorted(LEVEL_ZH)}")
KIND_ZH = {
    "number": "数值",
    "integer": "整数",
    "bool": "是/否",
    "date": "日期",
    "text": "文本",
    "level": "级别",
    "titles": "称号列表",
}
FORMAT_ZH = {
    "bool": "下拉选择 是 / 否；空白表示未知",
    "date": "日期，如 2020-01-05",
    "level": "下拉选择 " + " / ".join(LEVELS),
    "titles": "称号|级别|起始日期|截止日期，多个用分号分隔；无称号填“无”。称号：" + "、".join(TITLES.values()),
}


def header(name: str) -> str:
    """The template's header for a field: its Chinese label and, if it has one, its unit."""
    unit = unit_of(name)
    return f"{label_zh(name)}（{unit}）" if unit else label_zh(name)


def bounds(name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for meta in FIELDS[name].metadata:
        for op in ("ge", "gt", "le", "lt"):
            if getattr(meta, op, None) is not None:
                out[op] = float(getattr(meta, op))
    return out


def validation(name: str) -> dict[str, Any] | None:
    """The Excel data validation for a field's cells, from the model's type and bounds."""
    kind = field_kind(name)
    if kind == "bool":
        return {"validate": "list", "source": YES_NO}
    if kind == "level":
        return {"validate": "list", "source": LEVELS}
    if name == "main_product_field":
        return {"validate": "list", "source": list(PRODUCT_FIELDS.values())}
    if kind in ("number", "integer"):
        b = bounds(name)
        low, high = b.get("ge", b.get("gt")), b.get("le", b.get("lt"))
        rule: dict[str, Any] = {"validate": "integer" if kind == "integer" else "decimal"}
        if low is not None and high is not None:
            rule |= {"criteria": "between", "minimum": low, "maximum": high}
        elif low is not None:
            rule |= {"criteria": ">=", "value": low}
        elif high is not None:
            rule |= {"criteria": "<=", "value": high}
        else:
            rule |= {"criteria": "between", "minimum": -1e15, "maximum": 1e15}
        return rule
    if kind == "date":
        return {"validate": "date", "criteria": ">=", "value": date(1900, 1, 1)}
    return None


def rule_text(name: str) -> str:
    """What a cell may hold, in words (the instructions sheet)."""
    kind = field_kind(name)
    if kind in FORMAT_ZH:
        return FORMAT_ZH[kind]
    if name == "main_product_field":
        return "下拉选择 " + " / ".join(PRODUCT_FIELDS.values())
    if kind in ("number", "integer"):
        b = bounds(name)
        words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
        limits = "，".join(f"{words[op]} {value:g}" for op, value in b.items())
        return KIND_ZH[kind] + (f"，{limits}" if limits else "（可为负数）")
    return "文本"


def write_template(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1})
    sheet = book.add_worksheet("申报信息")
    guide = book.add_worksheet("填写说明")
    names = list(FIELDS)
    for col, name in enumerate(names):
        sheet.write_string(0, col, header(name), head)
        sheet.set_column(col, col, max(10, min(28, len(header(name)) * 2)))
        rule = validation(name)
        message = (FIELDS[name].description or label_zh(name))[:250]
        if rule is not None:
            rule |= {
                "input_title": label_zh(name)[:32],
                "input_message": message,
                "error_title": "取值无效",
                "error_message": f"{label_zh(name)}：{rule_text(name)}"[:250],
            }
            sheet.data_validation(1, col, ROWS, col, rule)
    sheet.freeze_panes(1, 2)
    sheet.set_row(0, 36)
    guide.write_row(0, 0, ["列名（表头）", "字段 field", "单位", "类型", "取值与格式", "说明"], head)
    intro = (
        "每行填写一家企业；不知道的项目请留空（留空表示未知，不等于 0）；金额单位为万元，"
        "表头也可写作“营业收入（元）”等，系统会换算；不要修改表头。"
    )
    for row, name in enumerate(names, start=1):
        guide.write_row(
            row,
            0,
            [
                header(name),
                name,
                unit_of(name) or "",
                KIND_ZH[field_kind(name)],
                rule_text(name),
                FIELDS[name].description or "",
            ],
        )
    guide.write_string(len(names) + 2, 0, intro)
    for col, width in enumerate((30, 30, 8, 10, 40, 60)):
        guide.set_column(col, col, width)
    guide.freeze_panes(1, 0)
    book.close()
