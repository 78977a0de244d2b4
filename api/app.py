"""The self-check service: a JSON API, server-rendered pages and officer batch screening.

`create_app(rules_dir=..., database_url=...)` builds the whole service; `app_from_env()` is the
factory `ipcheck serve` hands to uvicorn (settings come from the environment so that several
worker processes build identical apps).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal, NamedTuple

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import engine
from engine import (
    DEFAULT_RULES,
    Assessment,
    AssessmentSummary,
    EnterpriseProfile,
    InterviewProgress,
    ProfileInputError,
    ProfileIssue,
    RulePack,
    answers_from,
    interview,
    render,
)

from . import catalogue, heap, screens, web
from .auth import Officers
from .direct import Direct
from .edges import Timestamp, bool_issue, day_issue, iso_day, parse_bool, read_json
from .errors import (
    ApiError,
    on_api_error,
    on_http_error,
    on_store_busy,
    on_unexpected,
    on_validation_error,
    responses,
)
from .examples import EXAMPLE_AS_OF, EXAMPLE_INTERVIEW, EXAMPLE_PROFILE, EXAMPLE_PROFILE_ZH
from .head import HeadAsGet
from .limits import BodyLimit, Limits
from .rulesource import PinPack, ReloadAttempt, RuleSource, Served, pack_of, served_of
from .runs import Runner
from .security import SecurityHeaders, mount_docs
from .service import Service
from .storage import Store, StoreBusy

log = logging.getLogger("ipcheck.rules")

Lang = Literal["zh", "en"]


class AssessmentOut(Assessment):
    """The assessment, plus a plain-text report in the requested language."""

    lang: Lang
    report: str


class RulesVersion(BaseModel):
    """The pack this request was served with, and the last reload attempt (with why, if refused)."""

    rules_hash: str
    policies: int
    parameters: int
    derived: int
    scorecards: int
    loaded_at: Timestamp
    watching: bool  # the folder is polled for changes
    poll_seconds: float
    last_reload: ReloadAttempt | None = None


class Health(BaseModel):
    status: Literal["ok"]
    rules_hash: str
    rule_errors: dict[str, int] = {}  # "file:line" of a rule -> evaluations it failed in, since start (this worker)


# Query parameters of /v1/assess, read by hand: FastAPI's per-request parameter machinery costs
# about as much as a quarter of an assessment, and this is the hot path (see bench/api.py).
ASSESS_PARAMETERS = [
    {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": "Evaluation date / 评估日期 (default today)",
        "schema": {"type": "string", "format": "date"},
        "example": EXAMPLE_AS_OF.isoformat(),
    },
    {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of the report / 报告语言",
        "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
        "example": "zh",
    },
    {
        "name": "whatif",
        "in": "query",
        "required": False,
        "description": "Include ranked improvements and near misses (costs many re-evaluations) / 是否给出改进建议",
        "schema": {"type": "string", "enum": ["true", "false", "1", "0"], "default": "true"},
        "example": "true",
    },
    {
        "name": "detail",
        "in": "query",
        "required": False,
        "description": "summary: per decision the status, one-line reason, amount and what it would take, and the "
        "IP-strength score (no condition trees, report or what-if; several times cheaper); "
        "full: everything / summary 仅返回结论、一句话理由、金额与差距；full 返回完整说明",
        "schema": {"type": "string", "enum": ["full", "summary"], "default": "full"},
        "example": "full",
    },
]


Detail = Literal["full", "summary"]
DIRECT = ("/v1/assess", "/v1/interview")  # the self-check's hot paths, answered past FastAPI's router (api.direct)


class AssessQuery(NamedTuple):
    as_of: date | None
    lang: Lang
    detail: Detail
    what_if: bool


def assess_query(query: Any) -> AssessQuery:
    """The query parameters of /v1/assess and /v1/interview, each strictly read, or one 422 naming all wrong ones."""
    issues = []
    as_of_text, lang, detail = query.get("as_of"), query.get("lang", "zh"), query.get("detail", "full")
    what_if = parse_bool(query.get("whatif", "true"))
    if what_if is None:
        issues.append(bool_issue("query.whatif", "是否给出改进建议", query["whatif"]))
    as_of = iso_day(as_of_text) if as_of_text is not None else None
    if as_of_text is not None and as_of is None:
        issues.append(day_issue("query.as_of", as_of_text))
    if lang not in ("zh", "en"):
        issues.append(
            ProfileIssue(
                field="query.lang",
                field_zh="语言",
                value=lang[:100],
                message_en="must be zh or en",
                message_zh="应为 zh 或 en",
            )
        )
    if detail not in ("full", "summary"):
        issues.append(
            ProfileIssue(
                field="query.detail",
                field_zh="详细程度",
                value=detail[:100],
                message_en="must be full or summary",
                message_zh="应为 full 或 summary",
            )
        )
    if issues:
        raise ApiError(422, "invalid_request", "the request is invalid", "请求参数有误", issues)
    return AssessQuery(as_of, lang, detail, bool(what_if))  # type: ignore[arg-type]


def assess_profile(pack: RulePack, data: Any, as_of: date | None, what_if: bool = True) -> Assessment:
    try:
        return engine.assess(data, as_of, pack=pack, what_if=what_if)
    except ProfileInputError as e:
        raise ApiError(422, "invalid_profile", "the profile is invalid", "企业信息有误", e.issues) from None


def interview_step(pack: RulePack, data: Any, as_of: date) -> InterviewProgress:
    try:
        return interview(answers_from(data), pack, as_of)
    except ProfileInputError as e:
        raise ApiError(422, "invalid_answers", "the answers are invalid", "回答有误", e.issues) from None


def interview_example(pack: RulePack) -> dict[str, Any]:
    return interview_step(pack, EXAMPLE_INTERVIEW, EXAMPLE_AS_OF).model_dump(mode="json")


def summarise_profile(pack: RulePack, data: Any, as_of: date | None) -> bytes:
    """The summary as JSON (AssessmentSummary's schema, built without result models)."""
    try:
        return engine.summary_json(data, as_of, pack=pack)
    except ProfileInputError as e:
        raise ApiError(422, "invalid_profile", "the profile is invalid", "企业信息有误", e.issues) from None


def example_assessment(pack: RulePack) -> dict[str, Any]:
    result = engine.assess(EXAMPLE_PROFILE, EXAMPLE_AS_OF, pack=pack, what_if=False)
    out = AssessmentOut(**result.model_dump(), lang="zh", report=render(result, "zh"))
    return out.model_dump(mode="json")


def version_of(service: Service, served: Served, last: ReloadAttempt | None) -> RulesVersion:
    pack = served.pack
    return RulesVersion(
        rules_hash=pack.hash,
        policies=len(pack.policies),
        parameters=len(pack.parameters),
        derived=len(pack.derived),
        scorecards=len(pack.scorecards),
        loaded_at=served.loaded_at,
        watching=service.rules.watching,
        poll_seconds=service.rules.poll_seconds,
        last_reload=last,
    )


def api_router(service: Service) -> APIRouter:
    router = APIRouter()
    pack = service.rules.pack  # for the OpenAPI examples only; requests use the pack pinned to them
    assess_body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/EnterpriseProfile"},
                    "examples": {
                        "english_keys": {"summary": "English keys", "value": EXAMPLE_PROFILE},
                        "chinese_keys": {"summary": "中文键名", "value": EXAMPLE_PROFILE_ZH},
                    },
                }
            },
        }
    }
    first = next(iter(pack.policies), None)

    @router.post(
        "/v1/assess",
        tags=["self-check"],
        summary="Assess a profile / 企业自评",
        response_model=AssessmentOut | AssessmentSummary,
        openapi_extra=assess_body | {"parameters": ASSESS_PARAMETERS},
        responses={
            200: {"content": {"application/json": {"example": example_assessment(pack)}}},
            **responses(413, 422),
        },
    )
    async def assess(request: Request) -> Response:
        """A profile as a JSON object, with English or Chinese keys; any fact may be left out (unknown).

        Returns every decision with its reasons, the conditions tree with values, thresholds and what
        it would take, and the citations; with `detail=summary`, only each decision's status, one-line
        reason, amount and what it would take, and the IP-strength score. Self-checks are not stored. The X-Rules-Hash header and
        `rules_hash` name the rule pack the decisions were made with."""
        as_of, lang, detail, what_if = assess_query(request.query_params)
        if detail == "summary":
            summary = summarise_profile(pack_of(request), read_json(await request.body()), as_of)
            return Response(summary, media_type="application/json", headers={"Content-Language": lang})
        result = assess_profile(pack_of(request), read_json(await request.body()), as_of, what_if)
        out = AssessmentOut(**result.__dict__, lang=lang, report=render(result, lang))
        body = out.__pydantic_serializer__.to_json(out)  # model_dump_json's bytes, not decoded and encoded again
        return Response(body, media_type="application/json", headers={"Content-Language": lang})

    interview_body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "values": {
                                "type": "object",
                                "description": "Answers so far: profile facts by English or Chinese key",
                            },
                            "unknown": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "Facts the firm does not know (不知道): never asked again",
                            },
                        },
                    },
                    "examples": {
                        "after_opening": {"summary": "After the opening step / 第一步之后", "value": EXAMPLE_INTERVIEW},
                        "start": {"summary": "Start / 开始", "value": {"values": {}, "unknown": []}},
                    },
                }
            },
        },
        "parameters": ASSESS_PARAMETERS[:1],
    }

    @router.post(
        "/v1/interview",
        tags=["self-check"],
        summary="Next interview step / 下一步问题",
        response_model=InterviewProgress,
        openapi_extra=interview_body,
        responses={200: {"content": {"application/json": {"example": interview_example(pack)}}}, **responses(413, 422)},
    )
    async def next_question(request: Request) -> Response:
        """Stateless: the answers so far in; the decisions so far, whether every outcome is settled
        (or no remaining fact could settle one), and the next step out: its questions (labels,
        help, units, options in Chinese and English) and why (the outcomes it can settle)."""
        as_of = assess_query(request.query_params)[0]
        progress = interview_step(pack_of(request), read_json(await request.body()), as_of or date.today())
        return Response(progress.model_dump_json(), media_type="application/json")

    @router.get(
        "/v1/policies",
        tags=["rules"],
        summary="Policy catalogue / 政策目录",
        response_model=list[catalogue.PolicySummary],
        responses={
            200: {
                "content": {
                    "application/json": {"example": [p.model_dump(mode="json") for p in catalogue.summaries(pack)]}
                }
            }
        },
    )
    async def policies(request: Request) -> list[catalogue.PolicySummary]:
        """Every measure and designation in the loaded rule pack, with its citation."""
        return catalogue.summaries(pack_of(request))

    detail_example = catalogue.detail(pack, first).model_dump(mode="json") if first else {}  # type: ignore[union-attr]

    @router.get(
        "/v1/policies/{policy_id}",
        tags=["rules"],
        summary="One policy / 政策详情",
        response_model=catalogue.PolicyDetail,
        responses={200: {"content": {"application/json": {"example": detail_example}}}, **responses(404)},
    )
    async def policy(request: Request, policy_id: str) -> catalogue.PolicyDetail:
        """Conditions, benefits and thresholds of one policy, every version, with citations."""
        found = catalogue.detail(pack_of(request), policy_id)
        if found is None:
            raise ApiError(
                404, "unknown_policy", f"no policy {policy_id!r} in the rule pack", f"规则包中没有政策 {policy_id!r}"
            )
        return found

    version_example = {
        "content": {
            "application/json": {
                "example": version_of(service, service.rules.served, None).model_dump(mode="json")
                | {"last_reload": EXAMPLE_REJECTED}
            }
        }
    }

    @router.get(
        "/v1/rules/version",
        tags=["rules"],
        summary="Rule pack version / 规则包版本",
        response_model=RulesVersion,
        responses={200: version_example},
    )
    async def rules_version(request: Request) -> RulesVersion:
        """The hash of the rule files this request was served with (every assessment and screening
        run records it), and the last reload attempt: if it was refused, why, at file:line."""
        return version_of(service, served_of(request), service.rules.last)

    @router.post(
        "/v1/rules/reload",
        tags=["rules"],
        summary="Reload the rule pack / 重新加载规则包",
        response_model=RulesVersion,
        openapi_extra={"security": [{"bearer": []}]},
        responses={200: version_example, **responses(401)},
    )
    async def rules_reload(request: Request, response: Response) -> RulesVersion:
        """Officers only. Loads and lints the rule folder now (the watcher does the same on its own);
        a pack that fails either is refused and the last good pack keeps serving. `last_reload.outcome`
        says loaded, unchanged or rejected (then `problems` lists why). In a multi-worker server this
        reaches one worker; the others pick the change up through their own watchers."""
        officer = service.officers.who(request)
        attempt = await run_in_threadpool(service.rules.reload, "endpoint")
        log.info("rule reload requested by %s: %s %s", officer, attempt.outcome, attempt.candidate_hash)
        served = service.rules.served
        response.headers["X-Rules-Hash"] = served.pack.hash
        return version_of(service, served, attempt)

    @router.get(
        "/healthz",
        tags=["service"],
        summary="Health / 健康检查",
        response_model=Health,
        responses={200: {"content": {"application/json": {"example": {"status": "ok", "rules_hash": pack.hash}}}}},
    )
    async def healthz(request: Request) -> Health:
        return Health(status="ok", rules_hash=pack_of(request).hash, rule_errors=engine.rule_errors())

    return router


EXAMPLE_REJECTED = {
    "outcome": "rejected",
    "candidate_hash": "7d0c2b41e9a35f10",
    "serving_hash": "6a8e3cf3b6300c80",
    "tried_at": "2025-06-30T08:00:00Z",
    "trigger": "watch",
    "seconds": 0.61,
    "message_en": "rule pack 7d0c2b41e9a35f10 refused; still serving 6a8e3cf3b6300c80",
    "message_zh": "规则包 7d0c2b41e9a35f10 未通过检查，继续使用 6a8e3cf3b6300c80",
    "problems": [
        {
            "file": "jiangbei/new_ip_service_firm.yaml",
            "line": 42,
            "where": "jiangbei/new_ip_service_firm.yaml:42",
            "message": "policies.0.conditions.all.2.test: unknown name 'revenu' / 未知名称",
        }
    ],
}


def prepare() -> None:
    """Load what screening runs need, then take all that the server now holds out of the collector's sight.
    A failure here only costs the first upload the wait: it is logged, not raised."""
    try:
        engine.prepare_screening()
    except Exception as e:  # e.g. a process started from a script without a __main__ guard cannot fork servers
        log.warning("could not prepare for screening runs at start (%s: %s)", type(e).__name__, e)
    heap.settle_at_start()


def create_app(
    rules_dir: Path | str | None = None,
    database_url: str | None = None,
    officer_tokens: dict[str, str] | None = None,
    limits: Limits | None = None,
    poll_seconds: float = 1.0,
    supervisors: tuple[str, ...] = (),
    run_stale: float | None = None,
    lock_wait: float = 10.0,
) -> FastAPI:
    """Build the service. Officer tokens default to the environment (see api.auth).

    The rule folder is watched (every `poll_seconds`, 0 = never) while the app runs, i.e. between
    its lifespan startup and shutdown; a pack that fails to load or lint refuses to start. Runs
    left queued or running by a stopped server are taken up again by the runner (api.runs) once
    their heartbeat is `run_stale` seconds old (default $IPCHECK_RUN_STALE or 30)."""
    rules = RuleSource(rules_dir or DEFAULT_RULES, poll_seconds)
    store, limits = Store(database_url or default_database_url(), lock_wait=lock_wait), limits or Limits()
    officers = Officers.from_mapping(officer_tokens, supervisors) if officer_tokens is not None else Officers.from_env()
    runner = Runner(
        store, rules, limits, stale=run_stale if run_stale is not None else seconds_from_env("IPCHECK_RUN_STALE", 30.0)
    )
    service = Service(rules=rules, store=store, officers=officers, limits=limits, runner=runner)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.rules.start()
        service.runner.start()
        # In the background: a server that answers self-checks need not wait for the batch modules.
        threading.Thread(target=prepare, name="ipcheck-prepare", daemon=True).start()
        try:
            yield
        finally:
            service.runner.stop()
            service.rules.stop()

    app = FastAPI(
        title="ipcheck 知识产权政策自评服务",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # mounted by api.security with its own narrow CSP
        redoc_url=None,  # a second CDN page: /docs and the /api page suffice
        description="Self-check against Chinese IP-support policies encoded as dated, cited rules. "
        "企业自评、政策目录与批量筛查。",
    )
    app.state.service = service
    api = api_router(service)
    app.include_router(api)
    app.include_router(screens.router(service))
    web.mount(app, service)
    mount_docs(app)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(StoreBusy, on_store_busy)
    app.add_middleware(Direct, routes=[r for r in api.routes if isinstance(r, APIRoute) and r.path in DIRECT])
    app.add_middleware(BodyLimit, limits=service.limits)
    app.add_middleware(PinPack, rules=service.rules)  # even a 413 names the serving pack
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # outermost: every response, a 413 or 500 too
    app.add_exception_handler(Exception, on_unexpected)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Officer token / 经办人员令牌"}
            }
            components = schema["components"].setdefault("schemas", {})
            # The assess body is read by hand (any JSON must get a bilingual 422), so its schema is added here.
            profile = EnterpriseProfile.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(profile.pop("$defs", {}))
            components["EnterpriseProfile"] = profile
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def default_database_url() -> str:
    """DATABASE_URL, else a SQLite file in IPCHECK_DATA (created if missing; default the current folder)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    folder = Path(os.environ.get("IPCHECK_DATA", "."))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'ipcheck.sqlite3'}"


def poll_from_env() -> float:
    """IPCHECK_RULES_POLL: seconds between checks of the rule folder (default 1, 0 = no watching)."""
    return seconds_from_env("IPCHECK_RULES_POLL", 1.0)


def seconds_from_env(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        seconds = float(text) if text else default
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number of seconds / 应为秒数") from None
    if not seconds >= 0:
        raise ValueError(f"{name}={text!r} must be 0 or more / 不能为负数")
    return seconds


def app_from_env() -> FastAPI:
    """Factory for uvicorn: IPCHECK_RULES, IPCHECK_RULES_POLL, DATABASE_URL, IPCHECK_OFFICER_TOKENS(_FILE)."""
    return create_app(
        rules_dir=os.environ.get("IPCHECK_RULES") or None,
        database_url=os.environ.get("DATABASE_URL"),
        poll_seconds=poll_from_env(),
    )
