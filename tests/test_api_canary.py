"""Reload is a canary (issue 12): every attack edit dropped into a running service's rule folder is refused
with its file:line, and assessments go on at 200 with the old pack; a well-typed rule that fails at run time
is caught by evaluating the candidate on its boundary profiles and the examples before it may serve."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.language.loader import DEFAULT_RULES, pack_hash
from tests.support.attacks import ATTACKS, Attack

AUTH = {"Authorization": "Bearer s3cret"}
EXAMPLE = json.loads((DEFAULT_RULES.parent / "examples" / "new_ip_service_firm.json").read_text(encoding="utf-8"))
OVERFLOW = Attack("overflow_at_run_time", ATTACKS[0].text.replace(
    "formula: revenue > 'abc'", "formula: revenue" + " * 1000000000000" * 26 + " > 1"), 2, "canary")


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("served") / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    return folder


@pytest.fixture(scope="module")
def service(rules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("data")
    app = create_app(rules_dir=rules, database_url=f"sqlite:///{data / 'runs.sqlite3'}",
                     officer_tokens={"alice": "s3cret"}, poll_seconds=0)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("attack", [*ATTACKS, OVERFLOW], ids=[a.name for a in [*ATTACKS, OVERFLOW]])
def test_an_attack_edit_keeps_the_last_good_pack_and_says_where(service: TestClient, rules: Path,
                                                                attack: Attack) -> None:
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
