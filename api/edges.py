"""The strict edges of the JSON API: request bodies, dates, booleans and timestamps, read one way.

Everything a client sends is refused with a bilingual 422 naming the field rather than guessed at:
a JSON key given twice, a lone UTF-16 surrogate (it cannot be written back out as UTF-8), a date
that is not exactly YYYY-MM-DD, a boolean other than true/false/1/0. Every timestamp the service
answers with is UTC, ISO 8601 with a Z, to the second, whether it was just made or read back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import PlainSerializer, WithJsonSchema

from engine.model.profile import FIELDS, KEY_BY_LABEL, ProfileIssue, label_zh

from .errors import ApiError

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SURROGATE = re.compile("[\ud800-\udfff]")
# Where a body can hold a lone surrogate once parsed: a \uD800-\uDFFF escape, one encoded in UTF-8 (json.loads
# decodes with surrogatepass), or any UTF-16/32 body (recognised by its NUL bytes). Else no walk is needed.
SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]|\x00")
TRUE, FALSE = ("true", "1"), ("false", "0")


def utc_text(moment: datetime) -> str:
    """'2026-01-31T08:00:00Z': naive moments are UTC (SQLite hands them back so)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


# A datetime field of a response model: always written by utc_text.
Timestamp = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2025-06-30T08:00:00Z"}),
]


def iso_day(text: str) -> date | None:
    """The date in exactly YYYY-MM-DD, else None (Python alone also takes 20260101 and 2026-W01-1)."""
    if not ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_issue(field: str, text: str) -> ProfileIssue:
    return ProfileIssue(
        field=field,
        field_zh="评估日期",
        value=text[:100],
        message_en="must be a date YYYY-MM-DD (no time, no week date)",
        message_zh="应为日期 YYYY-MM-DD（不含时间，不用周日期）",
    )


def strict_day(text: str | None, field: str) -> date | None:
    """An optional date parameter (query or form) in exactly YYYY-MM-DD, or a 422 naming it."""
    if text is None or text == "":
        return None
    day = iso_day(text)
    if day is None:
        raise ApiError(422, "invalid_request", "the request is invalid", "请求参数有误", [day_issue(field, text)])
    return day


def parse_bool(text: str) -> bool | None:
    """true/false/1/0 (any case), else None: not yes, on or maybe."""
    word = text.lower()
    return True if word in TRUE else False if word in FALSE else None


def bool_issue(field: str, field_zh: str, text: str) -> ProfileIssue:
    return ProfileIssue(
        field=field,
        field_zh=field_zh,
        value=text[:100],
        message_en="must be true, false, 1 or 0",
        message_zh="应为 true、false、1 或 0",
    )


def strict_bool(text: str | None, field: str, field_zh: str, default: bool) -> bool:
    """An optional boolean parameter (query or form), or a 422 naming it."""
    if text is None:
        return default
    value = parse_bool(text)
    if value is None:
        issue = bool_issue(field, field_zh, text)
        raise ApiError(422, "invalid_request", "the request is invalid", "请求参数有误", [issue])
    return value


class Pairs(dict):  # type: ignore[type-arg]
    """A JSON object as read, remembering the keys it held more than once."""

    twice: tuple[str, ...] = ()


def pairs(items: list[tuple[str, Any]]) -> Pairs:
    found = Pairs(items)
    if len(found) < len(items):
        found.twice = tuple(k for k, n in Counter(k for k, _ in items).items() if n > 1)
    return found


def read_json(body: bytes) -> Any:
    """Parse a request body as JSON, with bilingual errors for every way it can be wrong."""

    def bad(en: str, zh: str) -> ApiError:
        issue = ProfileIssue(field="(body)", field_zh=None, message_en=en, message_zh=zh)
        return ApiError(422, "invalid_json", en, zh, [issue])

    if not body.strip():
        raise bad(
            "the request body is empty; send a profile as a JSON object", "请求内容为空，请提交 JSON 格式的企业信息"
        )
    twice: list[Pairs] = []

    def hook(items: list[tuple[str, Any]]) -> Pairs:
        found = pairs(items)
        if found.twice:
            twice.append(found)
        return found

    try:
        data = json.loads(body, object_pairs_hook=hook)
    except UnicodeDecodeError:
        raise bad("the body is not UTF-8 text", "请求内容不是 UTF-8 编码") from None
    except json.JSONDecodeError as e:
        raise bad(
            f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}",
            f"JSON 格式错误（第 {e.lineno} 行第 {e.colno} 列）：{e.msg}",
        ) from None
    except (ValueError, RecursionError):  # e.g. integers with thousands of digits, absurd nesting
        raise bad("the JSON is too large or too deeply nested to read", "JSON 数值过大或嵌套过深，无法读取") from None
    issues = list(strict_issues(data, "")) if twice or SURROGATE_BYTES.search(body) else []
    if issues:
        raise ApiError(422, "invalid_json", "the JSON cannot be accepted as sent", "JSON 内容有误", issues)
    return data


def strict_issues(value: Any, path: str) -> Any:
    """Keys given twice and text holding a lone surrogate, anywhere in a parsed body, with their path."""
    if isinstance(value, str):
        if SURROGATE.search(value):
            yield surrogate_issue(path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strict_issues(item, f"{path}.{i}" if path else str(i))
    elif isinstance(value, dict):
        for key in getattr(value, "twice", ()):
            yield issue_at(
                f"{path}.{key}" if path else key,
                key,
                f"the key {key!r} is given more than once",
                f"键「{key}」重复出现",
            )
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if SURROGATE.search(key):
                yield surrogate_issue(where)
            else:
                yield from strict_issues(item, where)


def surrogate_issue(path: str) -> ProfileIssue:
    return issue_at(
        path,
        path.rpartition(".")[2],
        "the text holds a lone UTF-16 surrogate (e.g. \\ud800), which is not a character",
        "文本含有孤立的 UTF-16 代理码（如 \\ud800），不是有效字符",
    )


def issue_at(path: str, key: str, en: str, zh: str) -> ProfileIssue:
    name = KEY_BY_LABEL.get(key, key)
    return ProfileIssue(
        field=SURROGATE.sub("\ufffd", path) or "(body)",
        field_zh=label_zh(name) if name in FIELDS else None,
        message_en=en,
        message_zh=zh,
    )
