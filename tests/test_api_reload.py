"""Hot reload of the rule pack in a running service: good edits go live, broken ones never do.

The TestClient tests run the app's lifespan (so the watcher thread polls every 0.05 s) over a
temp copy of one rule file; the last test runs `ipcheck serve` with two uvicorn workers on a
free loopback port over a copy of the whole rules/ folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import api.rulesource
import api.runs
from api import heap
from api.app import create_app
from api.rulesource import PinPack, RuleSource
from engine.language.loader import RuleLoadError, pack_hash

ROOT = Path(__file__).resolve().parent.parent
RULE = "jiangbei/new_ip_service_firm.yaml"
POLICY = "jb_new_ip_service_firm"
EXAMPLE = json.loads((ROOT / "examples" / "new_ip_service_firm.json").read_text(encoding="utf-8"))  # founded 2024-03-01
AS_OF = {"as_of": "2025-06-30"}  # the example firm is 1.3 years old then
AUTH = {"Authorization": "Bearer s3cret"}
MAX_YEARS = "        value: 3\n"  # new_firm_max_years: eligible at 3 years, not at 1
BROKEN = {  # edit -> (line of the problem, words that must appear)
    "yaml-syntax": (("        value: 3\n", "        value: [3\n"), 19, "方括号 [ 未闭合"),  # the line that opened it
    "unknown-name": (("< new_firm_max_years", "< new_firm_max_yearz"), 46, "new_firm_max_yearz"),
    "lint-error": (
        (
            "when: division_code == jiangbei_division_code",
            "when: division_code == jiangbei_division_code and employees < 0",
        ),
        40,
        "never-holds",
    ),
}


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    (folder / "jiangbei").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / RULE, folder / RULE)
    return folder


def make_client(rules: Path, tmp_path: Path, poll: float) -> TestClient:
    return TestClient(
        create_app(
            rules_dir=rules,
            database_url=f"sqlite:///{tmp_path / 'runs.sqlite3'}",
            officer_tokens={"alice": "s3cret"},
            poll_seconds=poll,
        )
    )


@pytest.fixture()
def client(rules: Path, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(rules, tmp_path, poll=0.05) as c:  # `with` runs the lifespan: the watcher polls
        yield c


@pytest.fixture()
def still(rules: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A client whose app does not watch the folder: only the endpoint reloads."""
    with make_client(rules, tmp_path, poll=0) as c:
        yield c


def edit(folder: Path, old: str, new: str) -> None:
    """Save the rule file as editors that write a copy and rename it do (saving in place, truncate then write:
    test_a_file_emptied_mid_save_is_never_served)."""
    path = folder / RULE
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    saved = path.with_suffix(".saving")
    saved.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(saved, path)


def status_of(client: Any) -> tuple[str, str]:
    """(decision on the example firm, hash in X-Rules-Hash), checking the body names the same pack."""
    r = client.post("/v1/assess", params=AS_OF | {"whatif": "false"}, json=EXAMPLE)
    assert r.status_code == 200
    body = r.json()
    assert body["rules_hash"] == r.headers["x-rules-hash"]
    return next(d["status"] for d in body["decisions"] if d["id"] == POLICY), r.headers["x-rules-hash"]


def wait_version(client: Any, done: Callable[[dict[str, Any]], bool], seconds: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body = client.get("/v1/rules/version").json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"timed out; last /v1/rules/version: {body}"
        time.sleep(0.02)


def tried(folder: Path) -> Callable[[dict[str, Any]], bool]:
    """The version shows an attempt at the folder's current files."""
    current = pack_hash(folder)
    return lambda body: (body["last_reload"] or {}).get("candidate_hash") == current


# --- the watcher --------------------------------------------------------------------------


def test_good_edit_goes_live_without_restart(client: TestClient, rules: Path) -> None:
    before = pack_hash(rules)
    assert status_of(client) == ("eligible", before)
    assert client.get("/v1/rules/version").json()["watching"] is True
    edit(rules, MAX_YEARS, "        value: 1\n")
    version = wait_version(client, tried(rules))
    after = pack_hash(rules)
    assert version["rules_hash"] == after != before
    attempt = version["last_reload"]
    assert attempt["outcome"] == "loaded" and attempt["trigger"] == "watch" and attempt["problems"] == []
    assert status_of(client) == ("ineligible", after)


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_edit_keeps_the_last_good_pack_and_says_why(
    client: TestClient, rules: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    (old, new), line, words = BROKEN[kind]
    good = pack_hash(rules)
    edit(rules, old, new)
    version = wait_version(client, tried(rules))
    attempt = version["last_reload"]
    assert version["rules_hash"] == good and attempt["serving_hash"] == good
    assert attempt["outcome"] == "rejected" and attempt["candidate_hash"] == pack_hash(rules) != good
    assert attempt["tried_at"]
    problem = next(p for p in attempt["problems"] if p["where"] == f"{RULE}:{line}")
    assert words in problem["message"] and problem["file"] == RULE and problem["line"] == line
    assert status_of(client) == ("eligible", good)  # still deciding with the old pack
    logged = [r.getMessage() for r in caplog.records if r.name == "ipcheck.rules"]
    assert any("rejected" in m and pack_hash(rules) in m for m in logged)
    assert any(f"{RULE}:{line}" in m for m in logged)

    edit(rules, new, old)  # the fix...
    edit(rules, MAX_YEARS, "        value: 1\n")  # ...together with a real change
    version = wait_version(client, tried(rules))
    assert version["last_reload"]["outcome"] == "loaded" and version["last_reload"]["problems"] == []
    assert status_of(client) == ("ineligible", pack_hash(rules))


def test_a_file_emptied_mid_save_is_never_served(client: TestClient, rules: Path) -> None:
    # an editor saving in place truncates, then writes; a poll in between saw an empty file and served a pack
    # without its policy (every firm's decision on it gone) until the next poll
    good = pack_hash(rules)
    text = (rules / RULE).read_text(encoding="utf-8")
    (rules / RULE).write_text("", encoding="utf-8")
    attempt = wait_version(client, tried(rules))["last_reload"]
    assert attempt["outcome"] == "rejected" and attempt["serving_hash"] == good
    [problem] = attempt["problems"]
    assert problem["where"] == f"{RULE}:1" and "规则文件为空" in problem["message"]
    assert status_of(client) == ("eligible", good)
    (rules / RULE).write_text(text.replace(MAX_YEARS, "        value: 1\n", 1), encoding="utf-8")
    assert wait_version(client, tried(rules))["last_reload"]["outcome"] == "loaded"
    assert status_of(client) == ("ineligible", pack_hash(rules))


def test_reverting_a_broken_edit_clears_the_refusal(client: TestClient, rules: Path) -> None:
    good = pack_hash(rules)
    edit(rules, "< new_firm_max_years", "< nonsense")
    assert wait_version(client, tried(rules))["last_reload"]["outcome"] == "rejected"
    edit(rules, "< nonsense", "< new_firm_max_years")
    version = wait_version(client, tried(rules))
    assert version["rules_hash"] == good and version["last_reload"]["outcome"] == "unchanged"


def test_a_removed_folder_is_refused(client: TestClient, rules: Path) -> None:
    good = pack_hash(rules)
    shutil.rmtree(rules)
    version = wait_version(client, lambda b: (b["last_reload"] or {}).get("outcome") == "rejected")
    assert version["rules_hash"] == good and version["last_reload"]["problems"]
    assert status_of(client) == ("eligible", good)


# --- the endpoint ---------------------------------------------------------------------------


def test_reload_endpoint_requires_an_officer_token(still: TestClient) -> None:
    assert still.post("/v1/rules/reload").status_code == 401
    r = still.post("/v1/rules/reload", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["message_zh"]


def test_reload_endpoint_loads_or_refuses(still: TestClient, rules: Path) -> None:
    good = pack_hash(rules)
    assert still.get("/v1/rules/version").json()["watching"] is False
    r = still.post("/v1/rules/reload", headers=AUTH)
    assert r.status_code == 200 and r.json()["last_reload"]["outcome"] == "unchanged"

    edit(
        rules,
        "when: division_code == jiangbei_division_code",
        "when: division_code == jiangbei_division_code and employees < 0",
    )
    r = still.post("/v1/rules/reload", headers=AUTH)
    body = r.json()
    assert body["last_reload"]["outcome"] == "rejected" and body["rules_hash"] == good == r.headers["x-rules-hash"]
    assert [p["where"] for p in body["last_reload"]["problems"]] == [f"{RULE}:40"]
    assert still.get("/v1/rules/version").json()["last_reload"] == body["last_reload"]

    edit(
        rules,
        "when: division_code == jiangbei_division_code and employees < 0",
        "when: division_code == jiangbei_division_code",
    )
    edit(rules, MAX_YEARS, "        value: 1\n")
    assert status_of(still) == ("eligible", good)  # no watcher: nothing changes until asked
    r = still.post("/v1/rules/reload", headers=AUTH)
    body = r.json()
    assert body["last_reload"]["outcome"] == "loaded" and body["last_reload"]["trigger"] == "endpoint"
    assert body["rules_hash"] == pack_hash(rules) == r.headers["x-rules-hash"]
    assert status_of(still) == ("ineligible", pack_hash(rules))


# --- every response names its pack ------------------------------------------------------------


def test_every_response_carries_the_pack_hash(still: TestClient, rules: Path) -> None:
    old = pack_hash(rules)
    for path in ("/", "/policies", "/officer", "/healthz", "/v1/policies", "/v1/policies/nope", "/static/style.css"):
        r = still.get(path)
        assert r.headers["x-rules-hash"] == old, path
    assert still.post("/v1/assess", content=b"{").headers["x-rules-hash"] == old  # a 422
    edit(rules, MAX_YEARS, "        value: 1\n")
    still.post("/v1/rules/reload", headers=AUTH)
    new = pack_hash(rules)
    page = still.post("/check", data={"lang": "zh", "as_of": "2025-06-30", **{k: str(v) for k, v in EXAMPLE.items()}})
    assert page.status_code == 200 and page.headers["x-rules-hash"] == new
    assert f"<code>{new}</code>" in page.text and old not in page.text  # result line and footer
    assert still.get("/healthz").json()["rules_hash"] == new


def test_a_request_keeps_the_pack_it_started_with(rules: Path) -> None:
    """A swap while a request is in flight changes neither what it reads nor the hash it reports."""
    source = RuleSource(rules, poll_seconds=0)
    old = source.pack
    seen = []

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["state"]["served"].pack)
        edit(rules, MAX_YEARS, "        value: 1\n")
        assert source.reload().outcome == "loaded"  # the swap, mid-request
        seen.append(scope["state"]["served"].pack)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(PinPack(route, source)({"type": "http", "path": "/"}, None, send))
    assert seen == [old, old] and source.pack.hash == pack_hash(rules) != old.hash
    assert dict(sent[0]["headers"])[b"x-rules-hash"] == old.hash.encode()


def test_a_save_landing_mid_load_is_loaded_again(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files change after the loader read them: that pack is not used, the load is repeated."""
    source = RuleSource(rules, poll_seconds=0)
    real, calls = api.rulesource.load_pack, []

    def load_then_save(root: Path) -> Any:
        pack = real(root)
        if not calls:
            edit(rules, MAX_YEARS, "        value: 1\n")
        calls.append(pack.hash)
        return pack

    monkeypatch.setattr(api.rulesource, "load_pack", load_then_save)
    edit(rules, "# The document does not define", "# The document never defines")
    attempt = source.reload()
    assert len(calls) == 2 and attempt.outcome == "loaded"
    assert source.pack.hash == attempt.candidate_hash == pack_hash(rules) == calls[1]


# --- screening runs --------------------------------------------------------------------------

CSV = (
    "统一社会信用代码,企业名称,成立日期,注册地行政区划代码,国民经济行业代码,主营知识产权服务,列入严重失信主体名单\n"
    "91500105MA5U00011E,示例甲,2024-03-01,500105,M7520,是,否\n"
).encode()


def test_a_screening_run_keeps_the_pack_it_started_with(
    still: TestClient, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = pack_hash(rules)
    real = api.runs.run_screen
    service = still.app.state.service  # type: ignore[attr-defined]

    def reload_mid_run(*args: Any) -> dict[str, Any]:
        edit(rules, MAX_YEARS, "        value: 1\n")
        assert service.rules.reload("endpoint").outcome == "loaded"
        return real(*args)

    monkeypatch.setattr(api.runs, "run_screen", reload_mid_run)
    r = still.post("/v1/screens", headers=AUTH, files={"file": ("a.csv", CSV, "text/csv")}, data=AS_OF)
    assert r.status_code == 202 and r.json()["rules_hash"] == old
    run = still.get(f"/v1/screens/{r.json()['id']}", headers=AUTH)
    body = run.json()
    assert body["status"] == "done" and body["rules_hash"] == old == run.headers["x-rules-hash"]
    assert body["summary"]["rules_hash"] == old
    assert body["summary"]["policies"][POLICY]["eligible"] == 1  # decided with the old pack (3 years)
    result = still.get(body["result_url"], headers=AUTH)
    assert result.headers["x-rules-hash"] == old
    assert status_of(still) == ("ineligible", pack_hash(rules))  # while the service moved on


def test_runs_before_and_after_a_reload_use_their_own_packs(still: TestClient, rules: Path) -> None:
    """The same table screened twice in one process, a reload in between: each run is decided with
    the pack it records (the engine's per-process caches are keyed by pack hash, not by folder)."""

    def screen() -> dict[str, Any]:
        r = still.post("/v1/screens", headers=AUTH, files={"file": ("a.csv", CSV, "text/csv")}, data=AS_OF)
        return still.get(f"/v1/screens/{r.json()['id']}", headers=AUTH).json()

    before = screen()
    edit(rules, MAX_YEARS, "        value: 1\n")
    assert still.post("/v1/rules/reload", headers=AUTH).json()["last_reload"]["outcome"] == "loaded"
    after = screen()
    assert before["rules_hash"] != after["rules_hash"] == pack_hash(rules) == after["summary"]["rules_hash"]
    assert before["summary"]["policies"][POLICY]["eligible"] == 1
    assert after["summary"]["policies"][POLICY] == {"eligible": 0, "ineligible": 1, "undetermined": 0, "error": 0}


# --- startup ------------------------------------------------------------------------------------


def test_a_pack_with_lint_errors_refuses_to_start(rules: Path, tmp_path: Path) -> None:
    edit(
        rules,
        "when: division_code == jiangbei_division_code",
        "when: division_code == jiangbei_division_code and employees < 0",
    )
    with pytest.raises(RuleLoadError) as err:
        make_client(rules, tmp_path, poll=0)
    assert f"{RULE}:40" in str(err.value)


# --- a real server, two workers ---------------------------------------------------------------

IPCHECK = [sys.executable, "-c", "from api.cli import main; main()"]  # the `ipcheck` command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def all_agree(
    proc: subprocess.Popen[bytes], base: str, done: Callable[[dict[str, Any]], bool], seconds: float = 120
) -> dict[str, Any]:
    """Wait until 10 requests in a row, each on a new connection (so spread over the workers), agree."""
    deadline, bodies = time.monotonic() + seconds, []
    while True:
        try:
            bodies = [httpx.get(base + "/v1/rules/version", timeout=5).json() for _ in range(10)]
            if all(done(b) for b in bodies):
                return bodies[0]
        except httpx.HTTPError:  # not listening yet
            pass
        assert proc.poll() is None, "the server exited"
        assert time.monotonic() < deadline, f"timed out; /v1/rules/version said {bodies}"
        time.sleep(0.1)


def logged(log: Path, line: str, times: int, seconds: float = 120) -> None:
    """Wait until the server's log holds `line` `times` times (requests may all reach one worker)."""
    deadline = time.monotonic() + seconds
    while log.read_text(encoding="utf-8", errors="replace").count(line) < times:
        assert time.monotonic() < deadline, f"{line!r} not logged {times} times"
        time.sleep(0.1)


def test_real_server_with_two_workers_reloads_each(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    log = tmp_path / "server.log"
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'runs.sqlite3'}",
        "IPCHECK_OFFICER_TOKENS": "",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            IPCHECK + ["serve", "--port", str(port), "--workers", "2", "--rules", str(rules), "--rules-poll", "0.2"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        good = pack_hash(rules)
        # Both workers up before the edit (a busy machine starts slowly: each loads the pack and runs its
        # canary); a worker still starting when the files break refuses to start and never logs a reload.
        # The responses alone cannot tell: ten requests may all reach one worker.
        logged(log, "Application startup complete", times=2, seconds=300)
        all_agree(proc, base, lambda b: b["rules_hash"] == good, seconds=300)
        edit(rules, "< new_firm_max_years", "< new_firm_max_yearz")
        broken = pack_hash(rules)
        version = all_agree(proc, base, lambda b: (b["last_reload"] or {}).get("candidate_hash") == broken)
        logged(log, f"rule pack {broken} rejected", times=2)  # each worker, on its own poll
        assert version["rules_hash"] == good and version["last_reload"]["outcome"] == "rejected"
        assert f"{RULE}:46" in [p["where"] for p in version["last_reload"]["problems"]]
        r = httpx.post(base + "/v1/assess", params=AS_OF | {"whatif": "false"}, json=EXAMPLE, timeout=10)
        assert r.headers["x-rules-hash"] == r.json()["rules_hash"] == good

        edit(rules, "< new_firm_max_yearz", "< new_firm_max_years")
        edit(rules, MAX_YEARS, "        value: 1\n")
        fixed = pack_hash(rules)
        all_agree(proc, base, lambda b: b["rules_hash"] == fixed and b["last_reload"]["outcome"] == "loaded")
        logged(log, f"rule pack {fixed} loaded", times=2)
        r = httpx.post(base + "/v1/assess", params=AS_OF | {"whatif": "false"}, json=EXAMPLE, timeout=10)
        decision = next(d for d in r.json()["decisions"] if d["id"] == POLICY)
        assert decision["status"] == "ineligible" and r.headers["x-rules-hash"] == fixed
        assert httpx.post(base + "/v1/rules/reload", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert text.count(f"rule pack {broken} rejected") == 2, text  # once per worker
    assert text.count(f"{RULE}:46") >= 2 and text.count(f"rule pack {fixed} loaded") == 2, text
    assert "91500105MA5U00011E" not in text and EXAMPLE["name"] not in text  # no applicant data in the log


def test_a_swapped_pack_is_collected_and_the_new_one_frozen(tmp_path: Path) -> None:
    """api.heap: the serving pack is frozen out of the collector's walks, and a swap unfreezes first, so the
    pack it replaces is collected rather than kept for the life of the process."""
    import gc
    import weakref

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    source = RuleSource(rules, poll_seconds=0)
    old = weakref.ref(source.pack)
    heap.settle()
    assert gc.get_freeze_count() > 0
    edited = rules / "national" / "sme_size.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert source.reload().outcome == "loaded"
    assert old() is None, "the replaced pack is still alive"
    assert gc.get_freeze_count() > 0
