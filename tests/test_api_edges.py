"""The strict edges of every endpoint: what a client may send, the timestamps it gets back, and the
security headers on every response (api/edges.py, api/security.py)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import Limits
from api.oneshot import HEAD_END, HeadHeld, OneSendProtocol
from api.security import INLINE_SCRIPT

ROOT = Path(__file__).resolve().parent.parent
TOKEN = {"Authorization": "Bearer s3cret"}
CJK = re.compile(r"[\u4e00-\u9fff]")
STRONG = json.loads((ROOT / "examples" / "ip_service_firm_strength.json").read_text(encoding="utf-8"))
CSV = "企业名称,成立日期\n示例甲,2024-03-01\n".encode()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("db") / "runs.sqlite3"
    app = create_app(database_url=f"sqlite:///{db}", officer_tokens={"alice": "s3cret"}, limits=Limits(body_bytes=4096))
    return TestClient(app, raise_server_exceptions=False)


def post_raw(client: TestClient, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers={"content-type": "application/json"})


def issue(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert CJK.search(body["message_zh"]) and body["message_en"]
    (only,) = body["issues"]
    assert CJK.search(only["message_zh"]), only
    return only


# --- JSON bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/assess", rb'{"name": "\ud800"}', "name"),
        ("/v1/assess", rb'{"\u4f01\u4e1a\u540d\u79f0": "ok\udfff"}', "企业名称"),
        ("/v1/assess", rb'{"\ud800": 1}', "\ufffd"),
        # not escaped: json.loads decodes with surrogatepass, UTF-8 or UTF-16 alike
        ("/v1/assess", '{"name": "\ud800"}'.encode("utf-8", "surrogatepass"), "name"),
        ("/v1/assess", '{"name": "\udc00"}'.encode("utf-16", "surrogatepass"), "name"),
        ("/v1/interview", rb'{"values": {"name": "\ud83d"}}', "values.name"),
        ("/v1/interview", rb'{"values": {}, "unknown": ["name", "\udc00"]}', "unknown.1"),
    ],
)
def test_a_lone_surrogate_is_422_naming_the_field(client: TestClient, path: str, body: bytes, field: str) -> None:
    found = issue(post_raw(client, path, body))
    assert found["field"] == field and "surrogate" in found["message_en"] and "代理码" in found["message_zh"]


def test_a_lone_surrogate_in_a_known_field_names_its_chinese_label(client: TestClient) -> None:
    assert issue(post_raw(client, "/v1/assess", rb'{"name": "\ud800"}'))["field_zh"] == "企业名称"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/assess", b'{"employees": 10, "employees": 1000}', "employees"),
        ("/v1/interview", b'{"values": {"name": "a", "name": "b"}}', "values.name"),
        ("/v1/interview", b'{"values": {}, "values": {"name": "b"}}', "values"),
    ],
)
def test_a_key_given_twice_is_422_naming_it(client: TestClient, path: str, body: bytes, field: str) -> None:
    found = issue(post_raw(client, path, body))
    assert found["field"] == field and "more than once" in found["message_en"] and "重复" in found["message_zh"]


@pytest.mark.parametrize("path", ["/v1/assess", "/v1/interview"])
def test_an_english_and_a_chinese_key_for_one_field_say_so(client: TestClient, path: str) -> None:
    profile = {"employees": 10, "从业人员数": 1000}
    found = issue(client.post(path, json=profile if path == "/v1/assess" else {"values": profile}))
    assert found["field"] == "employees" and found["field_zh"] == "从业人员数"
    assert "same field" in found["message_en"] and "同一信息项" in found["message_zh"]
    assert "unknown" not in found["message_en"].lower()


@pytest.mark.parametrize("value", ["2024-01-01T10:00:00", "2024-01-01T10:00:00Z"])
def test_a_datetime_where_a_date_is_expected_is_worded_in_chinese(client: TestClient, value: str) -> None:
    found = issue(client.post("/v1/assess", json={"registration_date": value}))
    assert found["field"] == "registration_date" and "日期" in found["message_zh"]


# --- query and form parameters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of", ["20260101xx", "2026-W01-1", "20260101", "2026-01-01T00:00:00", "2026-1-1", "2026-02-30"]
)
@pytest.mark.parametrize("path", ["/v1/assess", "/v1/assess?detail=summary&", "/v1/interview"])
def test_as_of_is_strictly_an_iso_date(client: TestClient, path: str, as_of: str) -> None:
    sep = "" if path.endswith("&") else "?"
    found = issue(client.post(f"{path}{sep}as_of={as_of}", json={}))
    assert found["field"] == "query.as_of" and found["value"] == as_of


def test_a_plain_iso_date_is_accepted(client: TestClient) -> None:
    assert client.post("/v1/assess?as_of=2026-01-01", json={}).json()["as_of"] == "2026-01-01"


@pytest.mark.parametrize("word", ["maybe", "yes", "on", "", "tru"])
@pytest.mark.parametrize("detail", ["full", "summary"])
def test_whatif_takes_only_true_false_1_0(client: TestClient, word: str, detail: str) -> None:
    found = issue(client.post(f"/v1/assess?detail={detail}&whatif={word}", json={}))
    assert found["field"] == "query.whatif"


@pytest.mark.parametrize(("word", "near"), [("true", True), ("1", True), ("FALSE", False), ("0", False)])
def test_whatif_words(client: TestClient, word: str, near: bool) -> None:
    body = client.post(f"/v1/assess?whatif={word}", json=STRONG).json()
    assert bool(body["improvements"] or body["near_misses"]) is near


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"as_of": "20260101"}, "as_of"),
        ({"as_of": "2026-01-01T00:00:00"}, "as_of"),
        ({"ignore_unknown_columns": "yes"}, "ignore_unknown_columns"),
    ],
)
def test_upload_form_dates_and_booleans_are_strict(client: TestClient, form: dict[str, str], field: str) -> None:
    r = client.post("/v1/screens", headers=TOKEN, files={"file": ("a.csv", CSV)}, data=form)
    assert issue(r)["field"] == field


def test_the_self_check_form_refuses_a_compact_date(client: TestClient) -> None:
    r = client.post("/check", data={"as_of": "20250630", "name": "示例"})
    assert r.status_code == 422 and "评估日期应为 YYYY-MM-DD" in r.text


@pytest.mark.parametrize(
    "state",
    [r'{"values": {"name": "\ud800"}}', '{"values": {"name": "a", "name": "b"}}', '{"values": {"employees": "many"}}'],
)
def test_an_edited_interview_state_starts_afresh_instead_of_failing(client: TestClient, state: str) -> None:
    for action in ("continue", "result"):
        r = client.post("/interview", data={"state": state, "action": action})
        assert r.status_code == 200, r.text[:300]
    resumed = client.post("/interview", files={"upload": ("a.json", state.encode())})
    assert resumed.status_code == 200


# --- timestamps -------------------------------------------------------------------------------

UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_created_at_is_one_utc_format_in_post_and_get(client: TestClient) -> None:
    posted = client.post("/v1/screens", headers=TOKEN, files={"file": ("a.csv", CSV)})
    assert posted.status_code == 202, posted.text
    run = posted.json()
    got = client.get(f"/v1/screens/{run['id']}", headers=TOKEN).json()
    listed = next(r for r in client.get("/v1/screens", headers=TOKEN).json() if r["id"] == run["id"])
    assert UTC_Z.fullmatch(run["created_at"]) and run["created_at"] == got["created_at"] == listed["created_at"]
    for _ in range(100):  # the background run finishes within the test client's call; allow a slow machine
        got = client.get(f"/v1/screens/{run['id']}", headers=TOKEN).json()
        if got["finished_at"]:
            break
        time.sleep(0.1)
    assert UTC_Z.fullmatch(got["finished_at"])


def test_rule_timestamps_are_utc_with_z(client: TestClient) -> None:
    version = client.get("/v1/rules/version").json()
    assert UTC_Z.fullmatch(version["loaded_at"])
    reloaded = client.post("/v1/rules/reload", headers=TOKEN).json()
    assert UTC_Z.fullmatch(reloaded["last_reload"]["tried_at"])


def test_the_schema_says_date_time_for_timestamps(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ScreenStatus"]["properties"]["created_at"]["format"] == "date-time"


# --- security headers -------------------------------------------------------------------------


def assert_secure(r: httpx.Response) -> str:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    return policy


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/form?lang=en", 200),
        ("GET", "/policies", 200),
        ("GET", "/officer", 200),
        ("GET", "/api", 200),
        ("GET", "/static/style.css", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/v1/policies", 200),
        ("GET", "/v1/template", 200),
        ("GET", "/healthz", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/v1/screens", 401),
        ("POST", "/v1/assess?as_of=x", 422),
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, method: str, path: str, status: int) -> None:
    r = client.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == status
    assert assert_secure(r).startswith("default-src 'self'; script-src 'self'; style-src 'self';")


def test_a_413_carries_them_too(client: TestClient) -> None:
    r = post_raw(client, "/v1/assess", b'{"name": "' + b"x" * 5000 + b'"}')
    assert r.status_code == 413
    assert_secure(r)


def test_no_page_holds_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", "/form", "/policies", "/officer", "/api"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=|\sstyle=|<style", html), path
    result = client.post("/check", data={"as_of": "2025-06-30", "name": "示例", "employees": "12"})
    assert result.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|<style", result.text)


def test_swagger_ui_gets_a_narrow_policy_with_its_inline_script_hashed(client: TestClient) -> None:
    r = client.get("/docs")
    policy = assert_secure(r)
    (script,) = INLINE_SCRIPT.findall(r.text)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src https://cdn.jsdelivr.net 'sha256-{digest}';" in policy
    assert "'unsafe-inline'" not in policy.split("style-src")[0] and "default-src 'none'" in policy


def test_downloads_are_not_cached(client: TestClient) -> None:
    run = client.post("/v1/screens", headers=TOKEN, files={"file": ("a.csv", CSV)}).json()
    r = client.get(f"/v1/screens/{run['id']}/input", headers=TOKEN)
    assert r.headers["cache-control"] == "no-store"
    assert_secure(r)


# --- on a real server: a bad body never costs the connection ------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("live") / "runs.sqlite3"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(database_url=f"sqlite:///{db}", officer_tokens={"alice": "s3cret"}, poll_seconds=0)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=OneSendProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(10)


def test_a_surrogate_keeps_the_keep_alive_connection(live: str) -> None:
    with httpx.Client(base_url=live, timeout=20) as http:
        first = http.post("/v1/assess", content=rb'{"name": "\ud800"}', headers={"content-type": "application/json"})
        assert first.status_code == 422 and first.json()["issues"][0]["field"] == "name"
        assert first.headers.get("connection") != "close"
        second = http.post("/v1/assess?as_of=2025-06-30&whatif=false", json={"name": "示例"})
        assert second.status_code == 200
        assert http._transport._pool.connections and len(http._transport._pool.connections) == 1  # type: ignore[attr-defined]


# --- one send per response (api.oneshot) --------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_a_response_head_goes_out_with_its_body_or_at_the_next_loop_turn() -> None:
    async def scenario() -> list[list[bytes]]:
        seen = []
        for then in ("body", "turn", "close"):
            sent = Recorder()
            held = HeadHeld(sent, asyncio.get_running_loop())  # type: ignore[arg-type]
            held.write(HEAD)
            assert sent.writes == []
            if then == "body":
                held.write(b"{}")
            elif then == "turn":  # e.g. a streamed body that comes later: the head is not kept waiting
                await asyncio.sleep(0)
            else:
                held.close()
            await asyncio.sleep(0)
            seen.append(sent.writes)
        return seen

    assert asyncio.run(scenario()) == [[HEAD + b"{}"], [HEAD], [HEAD]]


def test_a_live_response_arrives_whole_and_as_before(live: str, client: TestClient) -> None:
    body = json.dumps({"name": "示例"}).encode()
    port = int(live.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(2):  # keep-alive: the second response too
            s.sendall(
                b"POST /v1/assess?as_of=2025-06-30&detail=summary HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            got = b""
            while HEAD_END not in got or len(got.partition(HEAD_END)[2]) < int(
                re.search(rb"content-length: (\d+)", got).group(1)  # type: ignore[union-attr]
            ):
                got += s.recv(1 << 16)
            head, _, answer = got.partition(HEAD_END)
            assert head.startswith(b"HTTP/1.1 200 OK") and b"x-rules-hash: " in head
            expected = client.post("/v1/assess?as_of=2025-06-30&detail=summary", content=body)
            assert answer == expected.content
