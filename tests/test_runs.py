"""Screening runs: who sees what, locked databases, recovery after a crash; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

import api.runs
from api.app import create_app
from api.auth import Officers, digest
from api.runs import clean_temp
from api.storage import MAX_ATTEMPTS, ScreenRun, Store, now
from engine.batch.generate import generate, write_table
from tests.databases import KINDS, fresh

ROOT = Path(__file__).resolve().parents[1]
TOKENS = {"alice": "a-token", "bob": "b-token", "carol": "c-token"}
ALICE, BOB, CAROL = ({"Authorization": f"Bearer {t}"} for t in TOKENS.values())
CSV = (
    "统一社会信用代码,企业名称,成立日期,注册地行政区划代码,国民经济行业代码,主营知识产权服务,列入严重失信主体名单\n"
    "91500105MA5U00011E,示例甲,2024-03-01,500105,M7520,是,否\n"
    ",示例乙,2015-06-18,500105,C3484,,\n"
).encode()


@pytest.fixture(params=KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh(request.param, tmp_path)


def app(db_url: str, **options: Any) -> TestClient:
    return TestClient(create_app(database_url=db_url, officer_tokens=TOKENS, supervisors=("carol",), **options))


def upload(client: TestClient, headers: dict[str, str], content: bytes = CSV) -> Any:
    return client.post(
        "/v1/screens", headers=headers, files={"file": ("a.csv", content, "text/csv")}, data={"as_of": "2025-06-30"}
    )


# --- who sees what ---------------------------------------------------------------------------


def test_each_officer_sees_only_their_runs_and_a_supervisor_sees_all(db_url: str) -> None:
    client = app(db_url)
    mine = upload(client, ALICE).json()["id"]
    theirs = upload(client, BOB).json()["id"]
    for path in ("", "/result", "/input"):
        assert client.get(f"/v1/screens/{mine}{path}", headers=ALICE).status_code == 200
        other = client.get(f"/v1/screens/{mine}{path}", headers=BOB)
        assert other.status_code == 404 and other.json() == client.get(
            f"/v1/screens/nope{path}", headers=BOB
        ).json() | {"message_en": f"no screening run {mine!r}", "message_zh": f"没有编号为 {mine!r} 的筛查任务"}
        assert client.get(f"/v1/screens/{theirs}{path}", headers=CAROL).status_code == 200
        assert client.get(f"/v1/screens/{mine}{path}").status_code == 401
    assert [r["id"] for r in client.get("/v1/screens", headers=ALICE).json()] == [mine]
    assert [r["id"] for r in client.get("/v1/screens", headers=BOB).json()] == [theirs]
    assert {r["id"] for r in client.get("/v1/screens", headers=CAROL).json()} == {mine, theirs}
    assert client.post("/v1/rules/reload", headers=BOB).status_code == 200  # any officer may reload


def test_every_officer_route_is_covered_by_the_access_test() -> None:
    """A new officer endpoint must be added to the test above (or be a page)."""
    service = create_app(database_url="sqlite://", officer_tokens=TOKENS)
    routes = {
        (m.upper(), path)
        for path, item in service.openapi()["paths"].items()
        for m in item
        if path.startswith("/v1/screens")
    }
    assert routes == {
        ("POST", "/v1/screens"),
        ("GET", "/v1/screens"),
        ("GET", "/v1/screens/{run_id}"),
        ("GET", "/v1/screens/{run_id}/result"),
        ("GET", "/v1/screens/{run_id}/input"),
    }


def test_token_entries_are_trimmed_and_mistakes_refuse_to_start() -> None:
    officers = Officers.parse(["officer1: tok ", f" lead : sha256:{digest('t2')}  supervisor"])
    assert officers.hashes[digest("tok")].name == "officer1" and not officers.hashes[digest("tok")].supervisor
    assert officers.hashes[digest("t2")].supervisor
    for lines, words in (
        (["a:x", "b:x"], "same token as 'a'"),
        (["a:x", "a:y"], "'a' is already given"),
        (["a:"], "expected name:token"),
        ([":x"], "expected name:token"),
        (["a:x boss"], "unknown role 'boss'"),
        (["a:x y z"], "expected name:token"),
    ):
        with pytest.raises(ValueError, match=words):
            Officers.parse(lines)


def test_serve_names_the_bad_token_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import main

    tokens = tmp_path / "tokens"
    tokens.write_text("alice:one\nbob:one\n", encoding="utf-8")
    monkeypatch.setenv("IPCHECK_OFFICER_TOKENS_FILE", str(tokens))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and f"{tokens}:2" in result.output and "same token as 'alice'" in result.output
    assert "Traceback" not in result.output


# --- a locked database ------------------------------------------------------------------------


class Lock:
    """Holds the runs table locked from another connection, as a long transaction would."""

    def __init__(self, url: str) -> None:
        self.url, self.held, self.release = url, threading.Event(), threading.Event()

    def __enter__(self) -> Lock:
        self.thread = threading.Thread(target=self.hold, daemon=True)
        self.thread.start()
        assert self.held.wait(10)
        return self

    def hold(self) -> None:
        if self.url.startswith("sqlite"):
            db = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            self.held.set()
            self.release.wait(30)
            db.execute("ROLLBACK")
            db.close()
            return
        engine = create_engine(self.url)
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE screen_runs IN ACCESS EXCLUSIVE MODE"))
            self.held.set()
            self.release.wait(30)
            connection.rollback()
        engine.dispose()

    def __exit__(self, *_: Any) -> None:
        self.release.set()
        self.thread.join(10)


def test_a_lock_that_outlasts_the_wait_is_503_with_retry_after(db_url: str) -> None:
    client = app(db_url, lock_wait=0.5)
    run_id = upload(client, ALICE).json()["id"]
    with Lock(db_url):
        for r in (
            upload(client, ALICE),
            client.get("/v1/screens", headers=ALICE),
            client.get(f"/v1/screens/{run_id}", headers=ALICE),
        ):
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "5" and r.json()["error"] == "busy" and r.json()["message_zh"]
    assert client.get(f"/v1/screens/{run_id}", headers=ALICE).status_code == 200


def test_a_short_lock_is_waited_out(db_url: str) -> None:
    client = app(db_url, lock_wait=10)
    with Lock(db_url) as lock:
        threading.Timer(0.7, lock.release.set).start()
        r = upload(client, ALICE)
    assert (
        r.status_code == 202 and client.get(f"/v1/screens/{r.json()['id']}", headers=ALICE).json()["status"] == "done"
    )


def test_a_finished_result_outlives_a_lock_on_its_final_write(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app(db_url, lock_wait=0.3)
    runner = client.app.state.service.runner  # type: ignore[attr-defined]
    real, lock = api.runs.run_screen, Lock(db_url)

    def screen_then_lock(*args: Any) -> dict[str, Any]:
        summary = real(*args)
        lock.__enter__()  # the database locks just as the run finishes
        return summary

    monkeypatch.setattr(api.runs, "run_screen", screen_then_lock)
    run_id = upload(client, ALICE).json()["id"]
    assert list(runner.unsaved) == [run_id]
    lock.__exit__()
    runner.beat()
    run = client.get(f"/v1/screens/{run_id}", headers=ALICE).json()
    assert run["status"] == "done" and run["result_sha256"] and not runner.unsaved
    result = client.get(f"/v1/screens/{run_id}/result", headers=ALICE).content
    assert hashlib.sha256(result).hexdigest() == run["result_sha256"]


# --- recovery -----------------------------------------------------------------------------------


def abandoned(store: Store, attempts: int = 1, rules_hash: str | None = None) -> str:
    """A run a dead process left running: claimed by it, heartbeat a minute old."""
    from engine.language.loader import load_pack

    run = ScreenRun(
        officer="alice",
        input_name="input.csv",
        input_sha256=hashlib.sha256(CSV).hexdigest(),
        rows=2,
        rules_hash=rules_hash or load_pack().hash,
        as_of=now().date().replace(year=2025, month=6, day=30),
        status="running",
        created_at=now(),
        attempts=attempts,
        claimed_by="gone:1:x",
        heartbeat_at=now() - timedelta(minutes=1),
    )
    return store.add(run, CSV).id


def test_an_abandoned_run_is_taken_up_and_screened_to_the_same_result(db_url: str) -> None:
    client = app(db_url, run_stale=5)
    fresh_id = upload(client, ALICE).json()["id"]
    service = client.app.state.service  # type: ignore[attr-defined]
    left = abandoned(service.store)
    service.runner.recover()
    run, direct = (client.get(f"/v1/screens/{i}", headers=ALICE).json() for i in (left, fresh_id))
    assert run["status"] == "done" and run["result_sha256"] == direct["result_sha256"]
    assert service.store.get(left).attempts == 2 and service.store.get(left).claimed_by == service.runner.me


def test_a_status_read_leaves_the_stored_files_in_the_database(db_url: str) -> None:
    """The run page polls the status every second (bench/api_screen.py every 100 ms): each poll read the whole
    upload and workbook back from the database while the same server was screening — and, once they were
    deferred, SQLite still walked their pages to reach the columns after them. The files have their own table,
    read only when named; status reads and run lists never touch it."""
    from sqlalchemy import event, inspect

    client = app(db_url)
    run_id = upload(client, ALICE).json()["id"]
    store = client.app.state.service.store  # type: ignore[attr-defined]
    assert not {"input_bytes", "result_bytes"} & {c["name"] for c in inspect(store.engine).get_columns("screen_runs")}
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    run = store.get(run_id)
    assert run is not None and run.input_bytes is None and run.result_bytes is None
    assert client.get(f"/v1/screens/{run_id}", headers=ALICE).status_code == 200
    assert client.get("/v1/screens", headers=ALICE).status_code == 200
    assert statements and not any("screen_files" in q for q in statements)
    assert store.get(run_id, "input_bytes").input_bytes == CSV
    assert client.get(f"/v1/screens/{run_id}/input", headers=ALICE).content == CSV
    assert client.get(f"/v1/screens/{run_id}/result", headers=ALICE).content.startswith(b"PK")


def test_retries_are_bounded_and_a_changed_pack_is_a_reason(db_url: str) -> None:
    client = app(db_url, run_stale=5)
    service = client.app.state.service  # type: ignore[attr-defined]
    tired, moved = abandoned(service.store, attempts=MAX_ATTEMPTS), abandoned(service.store, rules_hash="0" * 16)
    service.runner.recover()
    tired_run, moved_run = service.store.get(tired), service.store.get(moved)
    assert tired_run.status == "failed" and f"stopped {MAX_ATTEMPTS} times" in tired_run.error
    assert moved_run.status == "failed" and "rule pack changed" in moved_run.error and "规则包" in moved_run.error


def test_temporary_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f"ipcheck-screen-{dead.stdout.strip()}-abc"
    ours = tmp_path / f"ipcheck-upload-{os.getpid()}-def"
    other = tmp_path / "someone-else-1-x"
    for folder in (left, ours, other):
        (folder / "sub").mkdir(parents=True)
    assert clean_temp(tmp_path) == 1
    assert not left.exists() and ours.exists() and other.exists()


# --- a real server, killed mid-run ------------------------------------------------------------------


def serve(db_url: str, port: int, log: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": db_url,
        "IPCHECK_OFFICER_TOKENS": "alice:a-token",
        "IPCHECK_RUN_STALE": "1",
        "IPCHECK_RULES_POLL": "0",
        "TMPDIR": str(tmp),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
            if found:
                return found
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture()
def applicants(tmp_path: Path) -> bytes:
    path = tmp_path / "applicants.csv"
    write_table(generate(3000, seed=7, messy=0.05), path)
    return path.read_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_killed_mid_run_finishes_it_after_restart(kind: str, tmp_path: Path, applicants: bytes) -> None:
    from tests.test_api_reload import free_port

    db_url, port, log, tmp = fresh(kind, tmp_path), free_port(), tmp_path / "server.log", tmp_path / "tmp"
    tmp.mkdir()
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": "Bearer a-token"}
    proc = serve(db_url, port, log, tmp)
    try:
        wait_for(lambda: httpx.get(base + "/healthz", timeout=2).status_code == 200, 120, "the server")
        run_id = httpx.post(
            base + "/v1/screens",
            headers=auth,
            files={"file": ("a.csv", applicants, "text/csv")},
            data={"as_of": "2025-06-30"},
            timeout=60,
        ).json()["id"]
        wait_for(
            lambda: httpx.get(f"{base}/v1/screens/{run_id}", headers=auth, timeout=5).json()["status"] == "running",
            60,
            "the run to start",
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert any(tmp.iterdir()), "the killed run left its temporary folder"
        assert httpx.Client().get  # the server is gone; restart it on the same database
        proc = serve(db_url, port, log, tmp)
        wait_for(lambda: httpx.get(base + "/healthz", timeout=2).status_code == 200, 120, "the restarted server")
        done = wait_for(
            lambda: (
                (r := httpx.get(f"{base}/v1/screens/{run_id}", headers=auth, timeout=5).json())["status"]
                in ("done", "failed")
                and r
            ),
            180,
            "the recovered run",
        )
        assert done["status"] == "done", done
        again = httpx.post(
            base + "/v1/screens",
            headers=auth,
            files={"file": ("a.csv", applicants, "text/csv")},
            data={"as_of": "2025-06-30"},
            timeout=60,
        ).json()["id"]
        control = wait_for(
            lambda: (
                (r := httpx.get(f"{base}/v1/screens/{again}", headers=auth, timeout=5).json())["status"] == "done" and r
            ),
            180,
            "the control run",
        )
        assert done["result_sha256"] == control["result_sha256"] and done["summary"] == control["summary"]
        assert not [p for p in tmp.iterdir() if p.name.startswith("ipcheck-") and str(proc.pid) not in p.name]
    finally:
        proc.terminate()
        proc.wait(20)
    assert "recovered (attempt 2)" in log.read_text(encoding="utf-8", errors="replace")
