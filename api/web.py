"""Server-rendered pages: the self-check form and result, the policy catalogue, the officer page.

Plain HTML and CSS from this package (no CDN, works offline); Chinese by default, `?lang=en`
for English. Nothing a firm enters is stored or logged.
"""
from __future__ import annotations

import json
from urllib.parse import quote
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

import engine
from engine import (Assessment, InterviewProgress, ProfileInputError, RulePack, fmt_number, fmt_value, interview,
                    strength_chart, summarise)
from engine.model.profile import FIELDS, TITLE_LEVELS, TITLES, TITLES_EN, label
from engine.model.results import ConditionResult, Decision, NearMiss, Words

from . import catalogue, interview_pages
from .interview_pages import State
from .form import LEVEL_ZH, LEVELS, profile_from_form, topics
from .rulesource import pack_of

if TYPE_CHECKING:
    from .service import Service

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
STATUS_WORDS = {"zh": {"eligible": "符合", "ineligible": "暂不符合", "undetermined": "待定"},
                "en": {"eligible": "Eligible", "ineligible": "Not yet", "undetermined": "Undetermined"}}
RULE_FLAG = {"zh": {"assumed": "假设，待确认", "provisional": "暂定"},
             "en": {"assumed": "assumed, to be confirmed", "provisional": "provisional"}}


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


def chart_svg(assessment: Assessment, lang: str = "zh") -> Markup | None:
    """The IP-strength radar chart, when the pack has an IP-strength scorecard."""
    return Markup(strength_chart(assessment.strength, lang)) if assessment.strength else None


def page(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    other = "en" if lang == "zh" else "zh"
    return templates.TemplateResponse(request, name, status_code=status, context={
        "lang": lang, "t": translator(lang), "other_lang": other, "rules_hash": pack_of(request).hash,
        "status_words": STATUS_WORDS[lang], "rule_flag": RULE_FLAG[lang],
        "field_name": lambda name, lg: field_name(name, lg, pack_of(request)),
        "fmt_number": fmt_number, "fmt_value": lambda v, lg: fmt_value(v, None, lg), **context})


def form_page(request: Request, lang: str, values: dict[str, Any], errors: dict[str, list[str]],
              as_of: str, status: int = 200) -> HTMLResponse:
    return page(request, "form.html", lang, status, topics=topics(), values=values, errors=errors, as_of=as_of,
                titles=TITLES, titles_en=TITLES_EN, title_levels=TITLE_LEVELS,
                levels=LEVELS, level_zh=LEVEL_ZH)


class Card:
    """One measure or designation on the result page, with what decides it and how to apply."""

    def __init__(self, d: Decision, pack: RulePack, near: dict[str, NearMiss]) -> None:
        self.d = d
        amounts = [b.amount for b in d.benefits if b.amount is not None]
        self.amount = sum(amounts) if amounts else None
        self.reason = Words(zh=d.reasons.zh.split("；")[0], en=d.reasons.en.split("; ")[0])
        self.would_take = near[d.id].text if d.id in near else first_would_take(d.conditions)
        policy = pack.policy_on(d.id, d.in_force[0])
        self.application = {a.item: a for a in (policy.application if policy else [])}

    @property
    def order(self) -> tuple[int, float, int]:
        rank = {"eligible": 0, "undetermined": 1, "ineligible": 2}[self.d.status]
        return rank, -(self.amount or 0), 0 if self.d.kind == "measure" else 1


def first_would_take(c: ConditionResult) -> Words | None:
    if c.status == "unmet" and c.would_take:
        return c.would_take
    return next((w for k in c.children if (w := first_would_take(k)) is not None), None)


def result_page(request: Request, lang: str, result: Assessment, state: State, progress: InterviewProgress,
                submitted: list[tuple[str, str]] | None = None) -> HTMLResponse:
    pack = pack_of(request)
    near = {n.id: n for n in result.near_misses}
    cards = sorted((Card(d, pack, near) for d in result.decisions), key=lambda c: c.order)
    answers = state.model_dump_json(exclude={"history"} if not state.history else set())
    return page(request, "result.html", lang, assessment=result, chart=chart_svg(result, lang), cards=cards,
                summary=summarise(result, progress), state=state.model_dump_json(), progress=progress,
                download="data:application/json;charset=utf-8," + quote(answers), near=near,
                submitted=submitted or [("state", state.model_dump_json()), ("as_of", result.as_of.isoformat())],
                recheck="/check" if submitted else "/interview")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document as a readable list, so the API is documented without Swagger UI's CDN assets."""
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok = next((v for k, v in op["responses"].items() if k.startswith("2")), {})
            example = next((c["example"] for c in ok.get("content", {}).values() if "example" in c), None)
            out.append({"method": method.upper(), "path": path, "anchor": f"{method}-{path}".replace("/", "-"),
                        "summary": op.get("summary", ""), "description": op.get("description", ""),
                        "parameters": op.get("parameters", []), "secured": bool(op.get("security")),
                        "codes": list(op["responses"]),
                        "request_examples": [(e.get("summary", k), pretty(e["value"]))
                                             for k, e in body.get("examples", {}).items()],
                        "response_example": None if example is None else pretty(example)})
    return out


def pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def mount(app: FastAPI, service: "Service") -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    interview_pages.mount(app, service)

    @app.get("/form", response_class=HTMLResponse, include_in_schema=False)
    async def full_form(request: Request, lang: str | None = None) -> HTMLResponse:
        return form_page(request, language(lang), {}, {}, date.today().isoformat())

    @app.post("/check", response_class=HTMLResponse, include_in_schema=False)
    async def check(request: Request) -> HTMLResponse:
        form = await request.form()
        lang = language(str(form.get("lang") or ""))
        as_of_text = str(form.get("as_of") or "").strip()
        values = {k: form.getlist(k) if k == "titles" else form.get(k) for k in form.keys()}
        data = profile_from_form(form)
        errors: dict[str, list[str]] = {}
        try:
            as_of = date.fromisoformat(as_of_text) if as_of_text else date.today()
        except ValueError:
            errors["as_of"] = [translator(lang)("评估日期应为 YYYY-MM-DD", "the as-of date must be YYYY-MM-DD")]
        try:
            profile = engine.parse_profile(data)
        except ProfileInputError as e:
            for issue in e.issues:
                key = issue.field.split(".")[0] if issue.field.split(".")[0] in FIELDS else "_form"
                errors.setdefault(key, []).append(issue.message_zh if lang == "zh" else issue.message_en)
        if errors:
            return form_page(request, lang, values, errors, as_of_text, status=422)
        pack = pack_of(request)  # the pack the footer and X-Rules-Hash name
        result = engine.assess(profile, as_of, pack=pack)
        state = State(values=data)
        submitted = [(k, str(v)) for k, v in form.multi_items() if k != "lang" and isinstance(v, str)]
        return result_page(request, lang, result, state, interview(state, pack, as_of), submitted)

    @app.get("/policies", response_class=HTMLResponse, include_in_schema=False)
    async def policies(request: Request, lang: str | None = None) -> HTMLResponse:
        pack = pack_of(request)
        details = [catalogue.detail(pack, p.id) for p in catalogue.summaries(pack)]
        return page(request, "policies.html", language(lang), policies=details)

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    async def api_page(request: Request, lang: str | None = None) -> HTMLResponse:
        return page(request, "api.html", language(lang), operations=operations(app.openapi()))

    @app.get("/officer", response_class=HTMLResponse, include_in_schema=False)
    async def officer(request: Request, lang: str | None = None) -> HTMLResponse:
        return page(request, "officer.html", language(lang), max_rows=service.limits.upload_rows,
                    max_mb=service.limits.upload_bytes // (1024 * 1024))
