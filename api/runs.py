"""Screening runs that survive the server: claims, heartbeats, recovery and temporary files.

Each server process has an identity (`Runner.me`). A fresh upload is claimed by the process that
took it and screened in the background; while a process lives, a heartbeat thread keeps its
active runs fresh. Every `sweep` seconds (and at start) each process looks for active runs whose
heartbeat is older than `stale` seconds (their process died: killed, crashed, restarted) and
claims them, atomically, so only one process takes each: a run is tried at most MAX_ATTEMPTS
times, then marked failed with the reason. A finished result whose write meets a locked
database is kept in memory and written again at each heartbeat: it is never lost (and if the
process dies first, the run is stale and is screened again, to the same result).
At start, temporary folders left by dead processes of this service are removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import RulePack, TableRead

from .limits import Limits
from .rulesource import RuleSource
from .screening import ScreenInputError, allocations_of, read_options, run_screen
from .storage import MAX_ATTEMPTS, Store, StoreBusy, now, stale_cutoff

log = logging.getLogger("ipcheck.screens")
TEMP_PREFIX = "ipcheck-"
_TEMP_NAME = re.compile(r"^ipcheck-(?:screen|upload)-(\d+)-")


def temp_dir(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder named by this process, so a later start can tell it was left behind."""
    return tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{kind}-{os.getpid()}-")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_temp(folder: Path | None = None) -> int:
    """Remove the temporary folders of this service's processes that no longer run."""
    removed = 0
    for path in Path(folder or tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        m = _TEMP_NAME.match(path.name)
        if m and path.is_dir() and not alive(int(m[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


@dataclass
class Runner:
    store: Store
    rules: RuleSource  # the serving pack, for runs recovered after a restart
    limits: Limits
    stale: float = 30.0  # seconds without a heartbeat before a run counts as abandoned
    me: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    unsaved: dict[str, dict[str, Any]] = field(default_factory=dict)  # finished results not yet written
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def beat_seconds(self) -> float:
        return max(self.stale / 4, 0.2)

    def start(self) -> None:
        removed = clean_temp()
        if removed:
            log.info("removed %d temporary folder(s) left by stopped processes", removed)
        self.stop_event.clear()
        self.threads = [
            threading.Thread(target=self.every, args=(job, seconds), name=f"ipcheck-{job.__name__}", daemon=True)
            for job, seconds in ((self.beat, self.beat_seconds), (self.recover, self.stale / 2))
        ]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=5)

    def every(self, job: Any, seconds: float) -> None:
        """Run `job` now and every `seconds` until stopped; it must outlive a database outage."""
        while not self.stop_event.is_set():
            try:
                job()
            except StoreBusy:
                log.warning("the database is locked; %s will try again", job.__name__)
            except Exception as e:
                log.warning("%s failed: %s", job.__name__, type(e).__name__)
            self.stop_event.wait(seconds)

    def beat(self) -> None:
        """Keep this process's active runs fresh; write back results a lock held up."""
        self.store.beat(self.me)
        self.flush()

    def recover(self) -> None:
        """Claim the runs abandoned by stopped processes (or give them up) and screen them."""
        for run_id, attempts in self.store.stale(stale_cutoff(self.stale)):
            if self.stop_event.is_set():
                return
            if attempts >= MAX_ATTEMPTS:
                self.store.update(
                    run_id,
                    status="failed",
                    finished_at=now(),
                    error=(
                        f"服务在处理该任务时停止了 {attempts} 次，已放弃 / the server stopped {attempts} times while "
                        f"screening this run; given up"
                    ),
                )
                log.warning("screen run %s given up after %d attempts", run_id, attempts)
            elif self.store.claim(run_id, self.me, stale_before=stale_cutoff(self.stale)):
                log.info("screen run %s recovered (attempt %d)", run_id, attempts + 1)
                self.screen(run_id, None)

    def flush(self) -> None:
        for run_id, values in list(self.unsaved.items()):
            self.store.update(run_id, wait=1.0, **values)
            self.unsaved.pop(run_id, None)

    # --- one run -----------------------------------------------------------------
    def process(self, run_id: str, pack: RulePack, table: TableRead | None = None) -> None:
        """A fresh upload (background task): claim it, screen it (`table`: the upload as its check read it)."""
        if self.store.claim(run_id, self.me):
            self.screen(run_id, pack, table)

    def screen(self, run_id: str, pack: RulePack | None, table: TableRead | None = None) -> None:
        """Screen a claimed run with the pack its upload was pinned to (after a restart: the serving
        pack if it is that one); only the exception type is logged, never row data."""
        run = self.store.get(run_id, "input_bytes")
        if run is None:
            return
        pack = pack or self.rules.pack
        if pack.hash != run.rules_hash:
            self.save(
                run_id,
                status="failed",
                finished_at=now(),
                error=(
                    f"规则包已从 {run.rules_hash} 变为 {pack.hash}，无法按上传时的规则重新筛查，请重新上传 / the rule pack "
                    f"changed from {run.rules_hash} to {pack.hash} since upload; upload the file again"
                ),
            )
            return
        with temp_dir("screen") as tmp:
            source, target = Path(tmp) / run.input_name, Path(tmp) / "result.xlsx"
            source.write_bytes(run.input_bytes)
            try:
                asked = run.options or {}
                allocations = allocations_of(pack, run.as_of, asked.get("quota", []), asked.get("budget", []))
                summary = run_screen(
                    source,
                    target,
                    run.as_of,
                    pack,
                    read_options(self.limits, run.sheet),
                    allocations,
                    bool(asked.get("ignore_unknown")),
                    table,
                )
            except Exception as e:
                log.warning("screen run %s failed: %s", run_id, type(e).__name__)
                message = (
                    f"{e.zh} / {e.en}"
                    if isinstance(e, ScreenInputError)
                    else f"筛查失败 / screening failed ({type(e).__name__})"
                )
                self.save(run_id, status="failed", error=message, finished_at=now())
                return
            result = target.read_bytes()
        self.save(
            run_id,
            status="done",
            summary=summary,
            result_bytes=result,
            result_sha256=hashlib.sha256(result).hexdigest(),
            finished_at=now(),
        )
        log.info("screen run %s done: %d rows", run_id, summary["rows"])

    def save(self, run_id: str, **values: Any) -> None:
        """Write a run's outcome; if the database stays locked, keep it for the heartbeat to write."""
        try:
            self.store.update(run_id, **values)
        except StoreBusy:
            log.warning("screen run %s finished but the database is locked; the result is kept to write later", run_id)
            self.unsaved[run_id] = values
