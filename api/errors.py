"""Bilingual error bodies: every 4xx names the field and says what is wrong in Chinese and English."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.model.profile import FIELDS, KEY_BY_LABEL, ProfileIssue, label_zh, zh_of

log = logging.getLogger("ipcheck.api")
MAX_SHOWN = 200  # characters of an offending value echoed back


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str
    message_en: str
    message_zh: str
    issues: list[ProfileIssue] = []


class ApiError(Exception):
    """An error with a status code and words in both languages."""

    def __init__(self, status: int, error: str, en: str, zh: str, issues: Sequence[ProfileIssue] = ()) -> None:
        super().__init__(en)
        self.status, self.body = (
            status,
            ErrorBody(error=error, message_en=en, message_zh=zh, issues=[safe_issue(i) for i in issues]),
        )


def safe_value(value: Any) -> Any:
    """The offending value, made JSON-safe and short (NaN and huge inputs must not break the reply)."""
    if isinstance(value, str):  # a lone surrogate cannot be written out as UTF-8: show it escaped
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or (isinstance(value, (bool, int, str)) and len(str(value)) <= MAX_SHOWN):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    except (ValueError, TypeError):
        text = repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def safe_issue(issue: ProfileIssue) -> ProfileIssue:
    return issue.model_copy(update={"value": safe_value(issue.value)})


def request_issues(err: RequestValidationError) -> list[ProfileIssue]:
    """FastAPI's own validation errors (query parameters, form fields) as bilingual issues."""
    issues = []
    for e in err.errors():
        loc = [str(p) for p in e.get("loc", ())]
        name = KEY_BY_LABEL.get(loc[-1], loc[-1]) if loc else ""
        ctx = e.get("ctx") or {}
        en = str(ctx.get("en") or e.get("msg", "invalid value"))
        zh = str(ctx.get("zh") or zh_of(e.get("type", ""), ctx))
        issues.append(
            ProfileIssue(
                field=".".join(loc) or "(request)",
                field_zh=label_zh(name) if name in FIELDS else None,
                value=e.get("input") if e.get("type") != "missing" else None,
                message_en=en,
                message_zh=zh,
            )
        )
    return issues


def reply(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body.model_dump(mode="json"), status_code=error.status)


async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):  # registered for ApiError only; anything else is not ours to word
        raise exc
    return reply(exc)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    return reply(ApiError(422, "invalid_request", "the request is invalid", "请求参数有误", request_issues(exc)))


async def on_store_busy(_: Request, exc: Exception) -> JSONResponse:
    """The database stayed locked past the store's wait: 503 and when to try again, never a 500."""
    response = reply(
        ApiError(
            503,
            "busy",
            "the service is busy (its database is locked); try again shortly",
            "服务繁忙（数据库被锁定），请稍后重试",
        )
    )
    response.headers["Retry-After"] = "5"
    return response


async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    """A defect of ours: a bilingual 500 with no traceback in the reply (the server log has it)."""
    log.exception("unexpected error", exc_info=exc)
    return reply(ApiError(500, "internal_error", "an internal error occurred", "服务内部错误"))


HTTP_WORDS = {
    400: ("the request body cannot be read (malformed form data)", "请求内容无法解析（表单数据格式错误）"),
    404: ("not found", "未找到"),
    405: ("method not allowed", "不支持该请求方法"),
    401: ("a valid bearer token is required", "需要有效的访问令牌"),
    413: ("the request is too large", "请求内容过大"),
}


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    en, zh = HTTP_WORDS.get(exc.status_code, (str(exc.detail), str(exc.detail)))
    response = reply(ApiError(exc.status_code, "http_error", en, zh))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error codes an endpoint can return."""
    words = {
        400: "Bad request / 请求有误",
        401: "Missing or wrong token / 令牌无效",
        404: "Not found / 未找到",
        409: "Not ready yet / 尚未完成",
        413: "Too large / 内容过大",
        422: "Invalid input / 输入有误",
        503: "Busy, try again (Retry-After) / 服务繁忙，请稍后重试",
    }
    return {code: {"model": ErrorBody, "description": words[code]} for code in codes}
