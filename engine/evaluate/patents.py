"""A patent list (CSV or JSON) in, the profile's patent counts out.

Counts derived: valid invention patents, high-value invention patents by the CNIPA five
categories (criteria.md §5), invention patents maintained more than N years, patents with an
overseas family member, valid utility models and designs. The category thresholds are rule
parameters read by id from the pack (hvp_pledge_threshold, high_value_maintained_years),
never constants here. Every bad row gets a bilingual error naming the row and the field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.language.loader import RulePack
from engine.model.profile import EnterpriseProfile, bilingual_error, describe_errors, label_zh
from engine.model.results import CountCheck

PLEDGE_PARAM, YEARS_PARAM = "hvp_pledge_threshold", "high_value_maintained_years"

TYPES = {
    "invention": "invention",
    "发明": "invention",
    "utility_model": "utility_model",
    "实用新型": "utility_model",
    "design": "design",
    "外观设计": "design",
}
STATUSES = {
    "valid": "valid",
    "有效": "valid",
    "授权": "valid",
    "lapsed": "lapsed",
    "失效": "lapsed",
    "无效": "lapsed",
    "pending": "pending",
    "审中": "pending",
    "在审": "pending",
}
AWARDS = {
    "china_patent_award": "china_patent_award",
    "中国专利奖": "china_patent_award",
    "national_st_award": "national_st_award",
    "国家科学技术奖": "national_st_award",
    "国家科技奖": "national_st_award",
}
IPC = re.compile(r"^[A-H]\d{2}[A-Z](\s*\d{1,4}/\d{1,6})?$")
COUNTRY = re.compile(r"^[A-Z]{2}$")

ZH = {
    "number": "专利号",
    "type": "专利类型",
    "application_date": "申请日",
    "grant_date": "授权公告日",
    "legal_status": "法律状态",
    "ipc": "IPC分类号",
    "overseas_family": "海外同族国家",
    "pledge_amount": "质押金额",
    "awards": "获奖",
    "strategic_emerging": "属于战略性新兴产业",
}
KEY_BY_ZH = {zh: key for key, zh in ZH.items()}


def _split(v: Any) -> Any:
    """CSV cells hold lists as 'US;EP' (also , | 、 as separators); empty means none."""
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[;,|、；，]", v) if p.strip()]
    return [] if v is None else v


def _choice(table: dict[str, str], what_en: str, what_zh: str) -> Any:
    def check(v: Any) -> str:
        key = str(v).strip()
        if key not in table and key.lower() not in table:
            raise bilingual_error(
                f"unknown {what_en} {v!r}; use one of {', '.join(sorted(set(table.values())))}",
                f"未知{what_zh} {v!r}；可选：{'、'.join(k for k in table if not k.isascii())}",
            )
        return table.get(key) or table[key.lower()]

    return check


class Patent(BaseModel):
    """One patent row. Money in 万元."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    number: str = Field(min_length=1)
    type: Literal["invention", "utility_model", "design"]
    application_date: date
    grant_date: date | None = None
    legal_status: Literal["valid", "lapsed", "pending"]
    ipc: str | None = None
    overseas_family: list[str] = []
    pledge_amount: float | None = Field(None, ge=0, allow_inf_nan=False)
    awards: list[Literal["china_patent_award", "national_st_award"]] = []
    strategic_emerging: bool = False

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> str:
        return _choice(TYPES, "patent type", "专利类型")(v)

    @field_validator("legal_status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> str:
        return _choice(STATUSES, "legal status", "法律状态")(v)

    @field_validator("overseas_family", mode="before")
    @classmethod
    def _countries(cls, v: Any) -> list[str]:
        countries = [str(c).strip().upper() for c in _split(v)]
        bad = [c for c in countries if not COUNTRY.match(c)]
        if bad:
            raise bilingual_error(
                f"{bad[0]!r} is not a two-letter country code such as US, EP or JP",
                f"{bad[0]!r} 不是两位国家代码（如 US、EP、JP）",
            )
        return countries

    @field_validator("awards", mode="before")
    @classmethod
    def _awards(cls, v: Any) -> list[str]:
        return [_choice(AWARDS, "award", "奖项")(a) for a in _split(v)]

    @field_validator("ipc")
    @classmethod
    def _ipc(cls, v: str | None) -> str | None:
        if v and not IPC.match(v.upper()):
            raise bilingual_error(
                f"{v!r} is not an IPC symbol such as H04L 9/32", f"{v!r} 不是 IPC 分类号（如 H04L 9/32）"
            )
        return v.upper() if v else None

    @field_validator("grant_date", "pledge_amount", mode="before")
    @classmethod
    def _blank(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("strategic_emerging", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> Any:
        return {"是": True, "否": False, "": False}.get(v, v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _dates(self) -> Patent:
        if self.grant_date is not None and self.grant_date < self.application_date:
            raise bilingual_error(
                "grant date is before the application date", "授权公告日早于申请日", field="grant_date"
            )
        return self

    def valid_invention(self) -> bool:
        return self.type == "invention" and self.legal_status == "valid"


class PatentIssue(BaseModel):
    row: str  # "row 3" of a CSV (header is row 1) or "item 2" of a JSON array
    field: str
    field_zh: str
    value: Any = None
    message_en: str
    message_zh: str

    def __str__(self) -> str:
        return (
            f"{self.row} {self.field_zh}（{self.field}）: {self.message_zh} / {self.message_en} (value: {self.value!r})"
        )


class PatentListError(ValueError):
    def __init__(self, issues: list[PatentIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(map(str, issues)))


def _issue(row: str, field: str, message_en: str, message_zh: str, value: Any = None) -> PatentIssue:
    return PatentIssue(
        row=row, field=field, field_zh=ZH.get(field, field), value=value, message_en=message_en, message_zh=message_zh
    )


def parse_rows(rows: list[tuple[str, Any]]) -> list[Patent]:
    """Validate (row label, raw dict) pairs; raise PatentListError listing every bad field."""
    patents, issues = [], []
    for where, raw in rows:
        if not isinstance(raw, dict):
            issues.append(
                _issue(where, "(row)", "a patent must be an object", "每条专利必须是对象", type(raw).__name__)
            )
            continue
        data = {KEY_BY_ZH.get(str(k).strip(), str(k).strip()): v for k, v in raw.items()}
        try:
            patents.append(Patent.model_validate(data))
        except ValidationError as err:
            for e in describe_errors(err):
                field = e.field.split(".")[0]
                value = data.get(field) if isinstance(e.value, dict) else e.value
                issues.append(_issue(where, field, e.message_en, e.message_zh, value))
    if issues:
        raise PatentListError(issues)
    return patents


def read_patents(path: Path) -> list[Patent]:
    """A .csv (header row, Chinese or English column names) or .json (array of objects) file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PatentListError([_issue(str(path), "(file)", "file not found", "文件不存在")]) from None
    except UnicodeDecodeError:
        raise PatentListError([_issue(str(path), "(file)", "not UTF-8 text", "不是 UTF-8 编码")]) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise PatentListError(
                [_issue(f"line {e.lineno}", "(file)", f"invalid JSON: {e.msg}", "JSON 格式错误")]
            ) from None
        if not isinstance(data, list):
            raise PatentListError(
                [_issue(str(path), "(file)", "a patent list must be a JSON array", "专利清单必须是 JSON 数组")]
            )
        return parse_rows([(f"item {n} / 第 {n} 条", raw) for n, raw in enumerate(data, start=1)])
    reader = csv.DictReader(io.StringIO(text))
    return parse_rows(
        [
            (f"row {n} / 第 {n} 行", {k: v for k, v in raw.items() if k is not None})
            for n, raw in enumerate(reader, start=2)
        ]
    )


def parameter(pack: RulePack, ident: str, as_of: date) -> float:
    param = pack.parameters.get(ident)
    version = param.version_on(as_of) if param else None
    if version is None or not isinstance(version.value, (int, float)):
        raise PatentListError(
            [
                _issue(
                    "rules",
                    ident,
                    f"the rule pack has no parameter {ident!r} in force on {as_of}",
                    f"规则包中没有 {as_of} 有效的参数 {ident!r}",
                )
            ]
        )
    return float(version.value)


def maintained_over(patent: Patent, years: float, as_of: date) -> bool:
    """Maintained more than `years` since filing (the patent term runs from the application date)."""
    whole = int(years)
    try:
        anniversary = patent.application_date.replace(year=patent.application_date.year + whole)
    except ValueError:  # 29 February
        anniversary = date(patent.application_date.year + whole, 3, 1)
    return patent.legal_status == "valid" and as_of > anniversary


def high_value(patent: Patent, pledge_threshold: float, years: float, as_of: date) -> bool:
    """Any of the CNIPA five categories (criteria.md §5), for a valid invention patent."""
    return patent.valid_invention() and (
        patent.strategic_emerging
        or bool(patent.overseas_family)
        or maintained_over(patent, years, as_of)
        or (patent.pledge_amount or 0) >= pledge_threshold
        or bool(patent.awards)
    )


def derive_counts(patents: list[Patent], pack: RulePack, as_of: date) -> dict[str, int]:
    threshold, years = parameter(pack, PLEDGE_PARAM, as_of), parameter(pack, YEARS_PARAM, as_of)
    held = [p for p in patents if p.application_date <= as_of]
    return {
        "invention_patents": sum(p.valid_invention() for p in held),
        "high_value_invention_patents": sum(high_value(p, threshold, years, as_of) for p in held),
        "invention_patents_10y": sum(p.valid_invention() and maintained_over(p, years, as_of) for p in held),
        "overseas_patent_families": sum(p.legal_status == "valid" and bool(p.overseas_family) for p in held),
        "utility_models": sum(p.type == "utility_model" and p.legal_status == "valid" for p in held),
        "designs": sum(p.type == "design" and p.legal_status == "valid" for p in held),
    }


def apply_counts(profile: EnterpriseProfile, counts: dict[str, int]) -> tuple[EnterpriseProfile, list[CountCheck]]:
    """The profile with the list's counts in place of its own, and how the two compared."""
    checks = [
        CountCheck(
            field=k,
            field_zh=label_zh(k),
            from_list=v,
            in_profile=getattr(profile, k),
            agrees=getattr(profile, k) in (None, v),
        )
        for k, v in counts.items()
    ]
    return profile.model_copy(update=counts), checks
