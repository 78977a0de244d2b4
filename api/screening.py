"""Batch screening behind one narrow interface: `check_input` and `run_screen`.

This implementation loops engine.evaluator.evaluate over the rows. The vectorised batch
evaluator (engine.vectorized / engine.tabular) can replace the body of these two functions
without touching the service: they take file paths and return plain data.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from engine.evaluator import evaluate
from engine.loader import RulePack
from engine.profile import FIELDS, KEY_BY_LABEL, ProfileInputError, field_kind, parse_profile
from engine.report import STATUS

TRUE_WORDS = {"是", "有", "true", "yes", "y", "1", "t"}
FALSE_WORDS = {"否", "无", "false", "no", "n", "0", "f"}


class ScreenInputError(ValueError):
    """The uploaded table cannot be screened; carries words in both languages."""

    def __init__(self, en: str, zh: str, field: str = "file") -> None:
        super().__init__(en)
        self.en, self.zh, self.field = en, zh, field


def read_table(path: Path) -> pd.DataFrame:
    """A csv (UTF-8 or GBK) or xlsx file as a frame of raw cells, with column names checked."""
    try:
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, engine="calamine", dtype=object)
        else:
            frame = read_csv(path)
    except ScreenInputError:
        raise
    except Exception as e:  # noqa: BLE001 — any reader failure is a bad file, reported without its content
        raise ScreenInputError(f"the file cannot be read as {path.suffix.lstrip('.')} ({type(e).__name__})",
                               f"无法读取该文件（{type(e).__name__}），请上传 UTF-8/GBK 编码的 CSV 或 xlsx 工作簿") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    unknown = [c for c in frame.columns if c not in FIELDS and c not in KEY_BY_LABEL]
    if unknown:
        shown = ", ".join(unknown[:10])
        raise ScreenInputError(f"unknown column(s): {shown}; use profile field names or their Chinese labels",
                               f"无法识别的列：{shown}；请使用企业信息字段名或中文名称", field="columns")
    if frame.empty:
        raise ScreenInputError("the table has no data rows", "表格没有数据行", field="rows")
    return frame


def read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise ScreenInputError("the file is empty", "文件为空")
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    raise ScreenInputError("the CSV is neither UTF-8 nor GBK text", "CSV 文件既不是 UTF-8 也不是 GBK 编码")


def check_input(path: Path, max_rows: int) -> int:
    """Number of data rows; raises ScreenInputError for unreadable files or too many rows."""
    rows = len(read_table(path))
    if rows > max_rows:
        raise ScreenInputError(f"{rows} rows is more than the limit of {max_rows}",
                               f"共 {rows} 行，超过 {max_rows} 行的上限", field="rows")
    return rows


def cell(name: str, value: Any) -> Any:
    """One spreadsheet cell as profile input; None means the fact is unknown."""
    if value is None or isinstance(value, float) and math.isnan(value) or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.date()
    kind = field_kind(name)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if kind == "bool" and value.lower() in TRUE_WORDS | FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        if kind == "titles":
            return titles_cell(value)
    whole = isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if whole and kind == "text":
        return str(int(value))  # Excel keeps codes such as 500105 as numbers
    if whole and kind == "integer":
        return int(value)
    return value


def titles_cell(text: str) -> Any:
    """Titles as JSON (list of objects) or as codes / Chinese names separated by 、 , ; or newlines."""
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    parts = [p.strip() for p in text.replace("，", ",").replace("、", ",").replace(";", ",").replace("\n", ",").split(",")]
    return [{"title": p} for p in parts if p]


def row_profile(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column, value in row.items():
        name = KEY_BY_LABEL.get(column, column)
        parsed = cell(name, value)
        if parsed is not None:
            out[name] = parsed
    return out


def run_screen(input_path: Path, output_path: Path, as_of: date, pack: RulePack) -> dict[str, Any]:
    """Screen every row of the input table; write a workbook of decisions; return the summary."""
    frame = read_table(input_path)
    policies = list(pack.policies)
    counts: dict[str, Counter[str]] = {p: Counter() for p in policies}
    records, invalid = [], 0
    for n, row in enumerate(frame.to_dict("records"), start=2):  # spreadsheet line numbers: header is line 1
        try:
            result = evaluate(parse_profile(row_profile(row)), pack, as_of)
        except ProfileInputError as e:
            invalid += 1
            problems = "；".join(f"{i.field_zh or i.field}: {i.message_zh} / {i.message_en}" for i in e.issues)
            records.append({"line": n, "error": problems})
            continue
        by_id = {d.id: d for d in result.decisions}
        for pid in policies:
            if pid in by_id:
                counts[pid][by_id[pid].status] += 1
        records.append({"line": n, "credit_code": result.credit_code, "name": result.name, "decisions": by_id})
    write_workbook(output_path, records, pack, as_of)
    return {"rows": len(records), "valid": len(records) - invalid, "invalid": invalid,
            "rules_hash": pack.hash, "as_of": as_of.isoformat(),
            "policies": {p: {s: counts[p][s] for s in ("eligible", "ineligible", "undetermined")} for p in policies}}


def write_workbook(path: Path, records: list[dict[str, Any]], pack: RulePack, as_of: date) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("结果 results")
    titles = {p: versions[-1].title.zh for p, versions in pack.policies.items()}
    header = ["行号 line", "统一社会信用代码 credit code", "企业名称 name"]
    for title in titles.values():
        header += [f"{title} 结论", f"{title} 原因", f"{title} 需补充"]
    header.append("输入错误 input errors")
    sheet.write_row(0, 0, header, bold)
    for r, rec in enumerate(records, start=1):
        values: list[Any] = [rec["line"], rec.get("credit_code") or "", rec.get("name") or ""]
        for pid in titles:
            d = rec.get("decisions", {}).get(pid)
            values += ["", "", ""] if d is None else [STATUS["zh"][d.status], d.reasons.zh, "、".join(d.missing)]
        values.append(rec.get("error", ""))
        sheet.write_row(r, 0, values)
    about = book.add_worksheet("说明 about")
    about.write_row(0, 0, ["规则包 rules hash", pack.hash])
    about.write_row(1, 0, ["评估日期 as of", as_of.isoformat()])
    book.close()
