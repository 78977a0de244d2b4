"""The rule pack the service decides with, and its hot reload.

`RuleSource.served` is the one reference every request reads, once (see `PinPack`): a reload
builds and checks a whole new pack first, then swaps that reference in a single assignment, so a
request is decided entirely with the old pack or entirely with the new one, never a mix.

A candidate pack goes live only if it loads (`load_pack`, types checked), `lint_pack` finds no
error and the canary (engine.authoring.canary: the pack evaluated on its own boundary profiles and
the examples, single and batch) finds no rule failing at run time; else the last good pack keeps serving and the attempt, with every problem at file:line, is kept for
`GET /v1/rules/version` and written to the log. Reloads come from a polling watcher on a
background thread (dependency-free: it compares `pack_hash(root)`, about a millisecond for the
shipped pack) and from `POST /v1/rules/reload`. Each uvicorn worker process has its own source and
watcher, so every worker reloads on its own from the same folder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel

from engine import RuleIssue, RuleLoadError, RulePack, canary, lint_pack, load_pack, pack_hash

from . import heap
from .edges import Timestamp

log = logging.getLogger("ipcheck.rules")
Trigger = Literal["startup", "watch", "endpoint"]
ATTEMPTS = 3  # loads tried when the files change under the loader (an editor still saving)
RETRY_PAUSE = 0.05  # seconds between those tries


class RuleProblem(BaseModel):
    """Why a candidate pack was refused: a load error or a lint error, at file:line."""

    file: str  # relative to the rules folder
    line: int | None
    where: str  # "file:line", ready to show
    message: str


class ReloadAttempt(BaseModel):
    outcome: Literal["loaded", "unchanged", "rejected"]
    candidate_hash: str  # hash of the rule files that were tried
    serving_hash: str  # hash of the pack serving after the attempt
    tried_at: Timestamp
    trigger: Trigger
    seconds: float  # load + lint time
    message_en: str
    message_zh: str
    problems: list[RuleProblem] = []


@dataclass(frozen=True)
class Served:
    pack: RulePack
    loaded_at: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


class RuleSource:
    """The serving pack of one process, its reload history and its watcher thread."""

    def __init__(self, root: Path | str, poll_seconds: float = 1.0) -> None:
        self.root, self.poll_seconds = Path(root), poll_seconds
        pack, candidate, problems = self.check()
        if pack is None:  # at startup there is no good pack to keep serving: refuse to start
            raise RuleLoadError([RuleIssue(p.file, p.line, p.message) for p in problems])
        self.served = Served(pack, utcnow())
        self.last: ReloadAttempt | None = None
        self._seen = candidate  # hash of the files last tried (good or bad)
        self._lock = threading.RLock()  # one reload at a time (watcher and endpoint)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pack(self) -> RulePack:
        return self.served.pack

    @property
    def watching(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- checking a candidate -------------------------------------------------------------

    def problem(self, file: str, line: int | None, message: str) -> RuleProblem:
        path = Path(file)
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else file
        return RuleProblem(file=shown, line=line, where=f"{shown}:{line or 1}", message=message)

    def files_hash(self) -> str | None:
        """pack_hash of the folder, or None if a file vanished while it was being read."""
        try:
            return pack_hash(self.root)
        except OSError:
            return None

    def check(self) -> tuple[RulePack | None, str, list[RuleProblem]]:
        """(pack or None, hash of the files tried, problems): load, then lint, on the calling thread.

        The files are hashed before and after; if they changed meanwhile (a save in progress),
        the load is repeated, so a pack never mixes two states of the files."""
        before = after = None
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(RETRY_PAUSE)
            before = self.files_hash()
            pack, problems = self.load_and_lint()
            after = self.files_hash()
            if before is not None and after == before and (pack is None or pack.hash == before):
                return (None if problems else pack), before, problems
        changing = "the rule files kept changing while being loaded / 规则文件在加载过程中持续变化"
        return None, after or before or "", [self.problem(str(self.root), None, changing)]

    def load_and_lint(self) -> tuple[RulePack | None, list[RuleProblem]]:
        try:
            pack = load_pack(self.root)
            errors = [f for f in lint_pack(pack) if f.severity == "error"]
            if errors:
                return pack, [self.problem(f.file, f.line, f"lint error [{f.code}] {f.zh} / {f.en}") for f in errors]
            return pack, [self.problem(i.file, i.line, i.message) for i in canary(pack)]
        except RuleLoadError as e:
            return None, [self.problem(i.file, i.line, i.message) for i in e.issues]
        except Exception as e:
            return None, [
                self.problem(
                    str(self.root), None, f"无法加载：{type(e).__name__}: {e} / cannot load: {type(e).__name__}: {e}"
                )
            ]

    # --- reloading ------------------------------------------------------------------------

    def reload(self, trigger: Trigger = "endpoint") -> ReloadAttempt:
        """Load and lint the folder; swap it in if good, else keep the serving pack. Blocking."""
        attempt = self._reload(trigger)
        if attempt.outcome == "loaded":
            # Here, where nothing of this server holds the old pack any more: it is collected now (or, if a
            # request still holds it, at the next swap), and the new one is frozen out of the collector's walks.
            heap.settle()
        return attempt

    def _reload(self, trigger: Trigger) -> ReloadAttempt:
        with self._lock:
            started = time.perf_counter()
            serving = self.served.pack
            if self.files_hash() == serving.hash:
                pack, candidate, problems = serving, serving.hash, []
            else:
                pack, candidate, problems = self.check()
            if pack is not None and pack is not serving and pack.hash != serving.hash:
                self.served = Served(pack, utcnow())  # the swap: one reference assignment
            attempt = self.record(trigger, candidate, pack, serving, problems, time.perf_counter() - started)
            self._seen = candidate
            self.last = attempt
            return attempt

    def record(
        self,
        trigger: Trigger,
        candidate: str,
        pack: RulePack | None,
        old: RulePack,
        problems: list[RuleProblem],
        seconds: float,
    ) -> ReloadAttempt:
        now_serving = self.served.pack.hash
        common: dict[str, Any] = dict(
            candidate_hash=candidate,
            serving_hash=now_serving,
            tried_at=utcnow(),
            trigger=trigger,
            seconds=round(seconds, 3),
            problems=problems,
        )
        if pack is None:
            log.warning(
                "rule pack %s rejected (%s, %d problem(s)); still serving %s",
                candidate,
                trigger,
                len(problems),
                now_serving,
            )
            for p in problems:
                log.warning("  %s: %s", p.where, p.message)
            return ReloadAttempt(
                outcome="rejected",
                message_en=f"rule pack {candidate} refused; still serving {now_serving}",
                message_zh=f"规则包 {candidate} 未通过检查，继续使用 {now_serving}",
                **common,
            )
        if now_serving == old.hash:
            return ReloadAttempt(
                outcome="unchanged",
                message_en=f"already serving {now_serving}",
                message_zh=f"规则包 {now_serving} 已在使用中",
                **common,
            )
        log.info("rule pack %s loaded (%s, %.2f s); was %s", now_serving, trigger, seconds, old.hash)
        return ReloadAttempt(
            outcome="loaded",
            message_en=f"now serving {now_serving} (was {old.hash})",
            message_zh=f"已切换到规则包 {now_serving}（原为 {old.hash}）",
            **common,
        )

    # --- the watcher ----------------------------------------------------------------------

    def start(self) -> None:
        """Poll the folder on a daemon thread (no-op when poll_seconds <= 0 or already running)."""
        if self.poll_seconds <= 0 or self.watching:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.watch, name="ipcheck-rules-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 3 * self.poll_seconds))
            self._thread = None

    def watch(self) -> None:
        """Reload when the files' hash differs from the last one tried and has held still for one
        poll (debounce: an editor's save or a `git checkout` touches several files in a burst)."""
        pending = None
        while not self._stop.wait(self.poll_seconds):
            current = self.files_hash()
            if current is None:  # a file vanished between listing and reading: look again next time
                continue
            if current == self._seen:
                pending = None
            elif current != pending:
                pending = current
            else:
                self.reload_if_new()
                pending = None

    def reload_if_new(self) -> None:
        """Reload, unless the endpoint has just tried these very files (then its report stands)."""
        try:
            with self._lock:
                if self.files_hash() != self._seen:
                    self.reload("watch")
        except Exception:
            log.exception("rule reload failed unexpectedly; still serving %s", self.served.pack.hash)


# --- pinning the pack to a request ---------------------------------------------------------

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
HASH_HEADER = b"x-rules-hash"


class PinPack:
    """ASGI middleware: read the serving pack once per request, keep it in `request.state.served`,
    and send its hash as X-Rules-Hash (unless the route already set one, e.g. a stored run's)."""

    def __init__(self, app: ASGIApp, rules: RuleSource) -> None:
        self.app, self.rules = app, rules

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        served = self.rules.served
        scope.setdefault("state", {})["served"] = served
        header = (HASH_HEADER, served.pack.hash.encode())

        async def send_with_hash(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if all(name.lower() != HASH_HEADER for name, _ in headers):
                    message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_hash)


def served_of(request: Request) -> Served:
    """The pack pinned to this request by PinPack."""
    served: Served = request.state.served
    return served


def pack_of(request: Request) -> RulePack:
    return served_of(request).pack
