"""What every page shares: the templates, the words for statuses and flags, a fact's name for people."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from engine import Assessment, fmt_number, fmt_value, strength_chart
from engine.model.profile import FIELDS, label, unit_of, unit_words
from engine.model.words import FOR_FIRMS

from .rulesource import pack_of

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
STATUS_WORDS = FOR_FIRMS  # the firm-facing status words (engine.model.words)
RULE_FLAG = {
    "zh": {"assumed": "假设，待确认", "provisional": "暂定"},
    "en": {"assumed": "assumed, to be confirmed", "provisional": "provisional"},
}


def language(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def translator(lang: str) -> Callable[[str, str], str]:
    return lambda zh, en: zh if lang == "zh" else en


def field_name(name: str, lang: str, pack: Any = None) -> str:
    """A fact's name for people: profile fields from the profile model, rule facts from the pack."""
    if name in FIELDS:
        return label(name, lang)
    zh, en = pack.label(name) if pack is not None else (name, name)
    return zh if lang == "zh" else en


def shown_values(values: dict[str, Any], lang: str, pack: Any) -> tuple[list[str], list[str]]:
    """A condition's known values as "label = value unit": what the firm entered (profile fields) and what
    the rules derived from it (named by their Chinese or English label, never by id)."""
    entered, derived = [], []
    for name, value in values.items():
        if value is None:
            continue
        unit = unit_of(name) if name in FIELDS else pack.unit(name)
        text = f"{field_name(name, lang, pack)} = {fmt_value(value, unit, lang)}"
        (entered if name in FIELDS else derived).append(text)
    return entered, derived


def chart_svg(assessment: Assessment, lang: str = "zh") -> Markup | None:
    """The IP-strength radar chart, when the pack has an IP-strength scorecard."""
    return Markup(strength_chart(assessment.strength, lang)) if assessment.strength else None


def page(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    other = "en" if lang == "zh" else "zh"
    return templates.TemplateResponse(
        request,
        name,
        status_code=status,
        context={
            "lang": lang,
            "t": translator(lang),
            "other_lang": other,
            "rules_hash": pack_of(request).hash,
            "status_words": STATUS_WORDS[lang],
            "rule_flag": RULE_FLAG[lang],
            "field_name": lambda name, lg: field_name(name, lg, pack_of(request)),
            "shown_values": lambda values, lg: shown_values(values, lg, pack_of(request)),
            "fmt_number": fmt_number,
            "unit_words": unit_words,
            "money": lambda v: fmt_value(v, "万元", lang),  # 12 万元 / CNY 120,000
            "fmt_value": lambda v, lg: fmt_value(v, None, lg),
            **context,
        },
    )
