"""HEAD is answered as GET without its body (RFC 9110 §9.3.2).

FastAPI registers a GET route for GET only, so an uptime monitor or a proxy probing `HEAD /` got
405 Method Not Allowed. Here every HEAD request is handed on as a GET and the body is left out;
the status and headers (Content-Length too) are the GET's, as the RFC asks.
"""

from __future__ import annotations

from .limits import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
