"""Server-rendered pages: the self-check form and result, the policy catalogue, the officer page.

Plain HTML and CSS from this package (no CDN, works offline); Chinese by default, `?lang=en`
for English. Nothing a firm enters is stored or logged.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import engine
from engine import ProfileInputError, interview
from engine.model.profile import FIELDS, TITLE_LEVELS, TITLES, TITLES_EN

from . import catalogue, interview_pages
from .edges import iso_day
from .form import LEVEL_ZH, LEVELS, profile_from_form, topics
from .interview_pages import State, result_page
from .pages import HERE, language, page, translator
from .rulesource import pack_of

if TYPE_CHECKING:
    from .service import Service


def form_page(
    request: Request, lang: str, values: dict[str, Any], errors: dict[str, list[str]], as_of: str, status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "form.html",
        lang,
        status,
        topics=topics(),
        values=values,
        errors=errors,
        as_of=as_of,
        titles=TITLES,
        titles_en=TITLES_EN,
        title_levels=TITLE_LEVELS,
        levels=LEVELS,
        level_zh=LEVEL_ZH,
    )


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document as a readable list, so the API is documented without Swagger UI's CDN assets."""
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok = next((v for k, v in op["responses"].items() if k.startswith("2")), {})
            example = next((c["example"] for c in ok.get("content", {}).values() if "example" in c), None)
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": f"{method}-{path}".replace("/", "-"),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "secured": bool(op.get("security")),
                    "codes": list(op["responses"]),
                    "request_examples": [
                        (e.get("summary", k), pretty(e["value"])) for k, e in body.get("examples", {}).items()
                    ],
                    "response_example": None if example is None else pretty(example),
                }
            )
    return out


def pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def mount(app: FastAPI, service: Service) -> None:
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
        values = {k: form.getlist(k) if k == "titles" else form.get(k) for k in form}
        data = profile_from_form(form)
        errors: dict[str, list[str]] = {}
        as_of = iso_day(as_of_text) if as_of_text else date.today()
        if as_of is None:
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
        designs = catalogue.own_designs(pack)
        return page(request, "policies.html", language(lang), policies=details, designs=designs)

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    async def api_page(request: Request, lang: str | None = None) -> HTMLResponse:
        return page(request, "api.html", language(lang), operations=operations(app.openapi()))

    @app.get("/officer", response_class=HTMLResponse, include_in_schema=False)
    async def officer(request: Request, lang: str | None = None) -> HTMLResponse:
        pack = pack_of(request)
        return page(
            request,
            "officer.html",
            language(lang),
            max_rows=service.limits.upload_rows,
            max_mb=service.limits.upload_bytes // (1024 * 1024),
            retention_days=service.limits.retention_days,
            measures=engine.measures(pack, date.today()),
        )
