"""The hot JSON endpoints called straight from the middleware stack, past FastAPI's router.

A route whose handler takes only the Request (it reads its query and body by hand) needs none of
FastAPI's per-request machinery: path matching over every route, dependency solving, the exception
middleware's wrappers. For POST /v1/assess that machinery cost about as much CPU as writing the
response (bench/api.py). The route stays registered with FastAPI, so /openapi.json documents it
exactly as before; `Direct` only answers it sooner, with the same handler and the same error bodies.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable

from fastapi import Request, Response
from fastapi.routing import APIRoute

from .errors import ApiError, reply
from .limits import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Awaitable[Response]]


def takes_only_request(route: APIRoute) -> bool:
    parameters = list(inspect.signature(route.endpoint).parameters.values())
    return len(parameters) == 1 and parameters[0].annotation in (Request, "Request")


class Direct:
    """ASGI middleware (innermost: the body limit, pinned pack and security headers still apply):
    calls the handler of a (method, path) in `routes` itself. An ApiError gets the reply the app's
    handler gives it; anything else goes up to the server-error middleware as before."""

    def __init__(self, app: ASGIApp, routes: Iterable[APIRoute]) -> None:
        self.app = app
        self.handlers: dict[tuple[str, str], Handler] = {}
        for route in routes:
            if not takes_only_request(route):
                raise ValueError(f"{route.path}: only a handler of the Request alone can be called directly")
            self.handlers.update({(method, route.path): route.endpoint for method in route.methods})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.handlers.get((scope.get("method", ""), scope.get("path", "")))
        if handler is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            response = await handler(Request(scope, receive))
        except ApiError as e:
            response = reply(e)
        await response(scope, receive, send)
