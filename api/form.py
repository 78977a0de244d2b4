"""The self-check form, built from the profile model's own field metadata.

Fields are taken from engine.model.profile.FIELDS in declaration order; only the topic boundaries
(the first field of each topic) are named here, so a new profile field appears on the form by
itself, in the topic it was declared under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.model.profile import (
    FIELDS,
    LEVEL_RANK,
    TITLES,
    Level,
    Option,
    bound_of,
    field_kind,
    help_text,
    label,
    label_zh,
    options,
    unit_of,
    unit_words,
)

# (first field of the topic, Chinese heading, English heading)
TOPICS: list[tuple[str, str, str]] = [
    ("credit_code", "登记信息", "Identity and registration"),
    ("employees", "人员", "People"),
    ("revenue", "财务（万元）", f"Finance ({unit_words('万元', 'en')})"),
    ("invention_patents", "知识产权", "IP holdings"),
    ("titles", "称号与研发能力", "Titles and capability"),
    ("abnormal_operation_list", "合规（近三年）", "Compliance (last three years)"),
    ("pledge_loan_amount", "知识产权金融与运营", "IP finance and operation"),
]
LEVEL_ZH = {Level.district: "区县级", Level.municipal: "地市级", Level.provincial: "省级", Level.national: "国家级"}
LEVELS = sorted(LEVEL_RANK, key=LEVEL_RANK.__getitem__)


@dataclass
class FormField:
    name: str
    label_zh: str
    label_en: str
    kind: str
    unit: str | None
    help_zh: str | None
    help_en: str | None
    options: list[Option]
    minimum: float | None
    maximum: float | None


@dataclass
class Topic:
    id: str
    title_zh: str
    title_en: str
    fields: list[FormField] = field(default_factory=list)


def form_field(name: str) -> FormField:
    return FormField(
        name=name,
        label_zh=label_zh(name),
        label_en=label(name, "en"),
        kind=field_kind(name),
        unit=unit_of(name),
        help_zh=help_text(name, "zh"),
        help_en=help_text(name, "en"),
        options=options(name),
        minimum=bound_of(name, "ge"),
        maximum=bound_of(name, "le"),
    )


def topics() -> list[Topic]:
    starts = {first: Topic(first, zh, en) for first, zh, en in TOPICS}
    out: list[Topic] = []
    for name in FIELDS:
        if name in starts:
            out.append(starts[name])
        out[-1].fields.append(form_field(name))
    return out


def profile_from_form(form: Any) -> dict[str, Any]:
    """Form fields to profile input: blank means unknown; titles are checkboxes with a level each."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        kind = field_kind(name)
        if kind == "titles":
            continue
        value = str(form.get(name) or "").strip()
        if not value:
            continue
        data[name] = {"true": True, "false": False}.get(value, value) if kind == "bool" else value
    held = [code for code in form.getlist("titles") if code in TITLES]
    if held:
        data["titles"] = [
            {"title": code, **({"level": lv} if (lv := form.get(f"title_level.{code}")) else {})} for code in held
        ]
    elif form.get("titles_none"):
        data["titles"] = []
    return data
