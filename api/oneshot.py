"""uvicorn's httptools protocol, writing a response's head and body to the socket in one send.

uvicorn writes the status line and headers as soon as the application sends `http.response.start`,
then the body: two send syscalls per response, the first of which wakes the client for a head it
cannot use without the body. On loopback that first send cost as much CPU as the rest of the
service's HTTP handling (py-spy of a worker under bench/api.py). Here the head waits for the next
write on the connection, or at the latest for the event loop's next turn (a streamed response whose
body comes later is not held back), and goes out with it.

`ipcheck serve` and the benchmarks select it with `--http api.oneshot:OneSendProtocol`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_END = b"\r\n\r\n"
UVICORN_HTTP = "api.oneshot:OneSendProtocol"  # uvicorn's `--http` / `http=` naming it (ipcheck serve, benches, tests)


class HeadHeld:
    """A transport wrapper that holds a response head (a write from `HTTP/1.` to a blank line) until
    the next write, close or loop turn; everything else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport, self.loop = transport, loop
        self.held = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.held:
            data, self.held = self.held + data, b""
        elif isinstance(data, bytes) and data.startswith(b"HTTP/1.") and data.endswith(HEAD_END):
            self.held = data
            self.loop.call_soon(self.flush)
            return
        self.transport.write(data)

    def flush(self) -> None:
        if self.held and not self.transport.is_closing():
            data, self.held = self.held, b""
            self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class OneSendProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(HeadHeld(transport, self.loop))  # type: ignore[arg-type]
