"""Request size limits, enforced before any route reads the body."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine import SheetLimits

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    body_bytes: int = 64 * 1024  # a profile is a few kB
    upload_bytes: int = 32 * 1024 * 1024  # an officer's table: 20,000 rows of every field as CSV is about 14 MB
    upload_rows: int = 20_000
    kept_cells: int = 6_000_000  # an upload as read by its check is kept for its run up to this size (else read again)
    # what an uploaded workbook may ask of the reader (checked before it is read): about 400 MB at most
    sheet: SheetLimits = SheetLimits(rows=100_000, columns=300, cells=12_000_000, unzipped_bytes=256 << 20)  # noqa: RUF009 — frozen, shared safely
    upload_prefixes: tuple[str, ...] = ("/v1/screens", "/officer")
    # Days a screening run (uploaded file, result workbook, summary, officer name) is kept; then deleted.
    retention_days: int = field(default_factory=lambda: int(os.environ.get("IPCHECK_RETENTION_DAYS", "90")))


class BodyLimit:
    """Reads the whole body up to the limit for the path, answering 413 beyond it, then replays it."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    def limit_for(self, path: str) -> int:
        uploads = any(path.startswith(p) for p in self.limits.upload_prefixes)
        return self.limits.upload_bytes if uploads else self.limits.body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "too_large",
            "message_en": f"the request body is larger than {limit} bytes",
            "message_zh": f"请求内容超过 {limit} 字节上限",
            "issues": [],
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
