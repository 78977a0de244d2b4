"""Reload is a canary (issue 12): every attack edit dropped into a running service's rule folder is refused
with its file:line, and assessments go on at 200 with the old pack; a well-typed rule that fails at run time
is caught by evaluating the candidate on its boundary profiles and the examples before it may serve."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.language.loader import DEFAULT_RULES, pack_hash
from tests.support.attacks import ATTACKS, Attack

AUTH = {"Authorization": "Bearer s3cret"}
EXAMPLE = json.loads((DEFAULT_RULES.parent / "examples" / "new_ip_service_firm.json").read_text(encoding="utf-8"))
OVERFLOW = Attack(
    "overflow_at_run_time",
    ATTACKS[0].text.replace("formula: revenue > 'abc'", "formula: revenue" + " * 1000000000000" * 26 + " > 1"),
    2,
    "canary",
)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("served") / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    return folder


@pytest.fixture(scope="module")
def service(rules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("data")
    app = create_app(
        rules_dir=rules,
        database_url=f"sqlite:///{data / 'runs.sqlite3'}",
        officer_tokens={"alice": "s3cret"},
        poll_seconds=0,
    )
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("attack", [*ATTACKS, OVERFLOW], ids=[a.name for a in [*ATTACKS, OVERFLOW]])
def test_an_attack_edit_keeps_the_last_good_pack_and_says_where(
    service: TestClient, rules: Path, attack: Attack
) -> None:
    good = pack_hash(rules)
    path = attack.drop(rules)
    try:
        body = service.post("/v1/rules/reload", headers=AUTH).json()
        attempt = body["last_reload"]
        assert attempt["outcome"] == "rejected" and body["rules_hash"] == good
        [problem] = attempt["problems"]
        assert problem["where"] == f"zz_attack.yaml:{attack.line}" and attack.expect in problem["message"]
        assert service.get("/v1/rules/version").json()["last_reload"]["problems"] == [problem]
        r = service.post("/v1/assess", params={"as_of": "2025-06-30"}, json=EXAMPLE)
        assert r.status_code == 200 and r.headers["x-rules-hash"] == good == r.json()["rules_hash"]
        assert service.get("/", params={"lang": "zh"}).status_code == 200
    finally:
        path.unlink()


def test_the_canary_passes_the_shipped_pack_and_health_counts_rule_failures(service: TestClient) -> None:
    health = service.get("/healthz").json()
    assert health["status"] == "ok" and isinstance(health["rule_errors"], dict)


def test_a_rule_failing_for_one_firm_is_an_error_decision_on_every_surface(tmp_path: Path) -> None:
    """A pack the canary passes (its boundary values stay small) can still overflow for an extreme firm:
    that firm gets `error` decisions, at 200, in the JSON API, the result page and the CLI report."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "cube.yaml").write_text(
        ATTACKS[0].text.replace("formula: revenue > 'abc'", "formula: revenue * revenue * revenue > 1"),
        encoding="utf-8",
    )
    app = create_app(
        rules_dir=folder,
        database_url=f"sqlite:///{tmp_path / 'runs.sqlite3'}",
        officer_tokens={"alice": "s3cret"},
        poll_seconds=0,
    )
    with TestClient(app) as client:
        r = client.post("/v1/assess", params={"as_of": "2025-06-30"}, json={"revenue": 1e300})
        assert r.status_code == 200
        [decision] = r.json()["decisions"]
        assert decision["status"] == "error" and "cube.yaml:2" in decision["reasons"]["zh"]
        page = client.post("/check", data={"revenue": "1e300", "as_of": "2025-06-30", "lang": "zh"})
        assert page.status_code == 200 and "无法判定（规则出错）" in page.text
        assert client.get("/healthz").json()["rule_errors"].get(f"{folder / 'cube.yaml'}:2", 0) >= 1
