"""The summary of an assessment says what the full assessment says, without building the trees."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.authoring.boundaries import boundaries
from engine.evaluate.evaluator import deciding_leaves, evaluate
from engine.evaluate.strength import enrich
from engine.evaluate.summary import summarise, summary_json
from engine.language.loader import load_pack
from engine.model.profile import EnterpriseProfile, parse_profile

ROOT = Path(__file__).resolve().parent.parent
PACK = load_pack()
EXAMPLES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.json"))]


def assert_summary_agrees(profile: EnterpriseProfile, as_of: date) -> None:
    full = enrich(evaluate(profile, PACK, as_of), profile, PACK, as_of, what_if=False)
    summary = summarise(profile, PACK, as_of)
    assert [d.id for d in summary.decisions] == [d.id for d in full.decisions]
    for brief, d in zip(summary.decisions, full.decisions):
        amounts = [b.amount for b in d.benefits if b.amount is not None]
        assert (brief.status, brief.reasons, brief.missing, brief.title, brief.citation) == (
            d.status,
            d.reasons,
            d.missing,
            d.title,
            d.citation,
        ), d.id
        assert brief.amount == (sum(amounts) if amounts else None), d.id
        unmet = [
            leaf.would_take
            for leaf in deciding_leaves(d.conditions)
            if leaf.status == "unmet" and leaf.would_take is not None
        ]
        assert brief.would_take == (unmet if d.status == "ineligible" else []), d.id
    if full.strength is None:
        assert summary.strength is None
    else:
        got = summary.strength
        assert got is not None
        assert (got.score, got.score_low, got.score_high, got.tier) == (
            full.strength.score,
            full.strength.score_low,
            full.strength.score_high,
            full.strength.tier,
        )


def test_summary_agrees_on_boundary_profiles() -> None:
    for profile, as_of in boundaries(PACK).valid_cases(120, seed=11):
        assert_summary_agrees(profile, as_of)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_summary_agrees_on_the_examples(index: int) -> None:
    data = EXAMPLES[index]
    for raw in data if isinstance(data, list) else [data]:
        assert_summary_agrees(parse_profile(raw), date(2025, 6, 30))


def test_the_plain_data_summary_is_byte_for_byte_the_models_json() -> None:
    """The API's summary is built without result models: the models' validation of the same data (types
    coerced, defaults filled, fields in order) must leave its JSON unchanged, with and without missing facts."""
    cases = [(p, d) for p, d in boundaries(PACK).valid_cases(60, seed=5)] + [(EnterpriseProfile(), date(2025, 6, 30))]
    for profile, as_of in cases:
        assert summary_json(profile, PACK, as_of) == summarise(profile, PACK, as_of).model_dump_json().encode()


def test_an_empty_profile_is_summarised_with_what_would_settle_it() -> None:
    summary = summarise(EnterpriseProfile(), PACK, date(2025, 6, 30))
    pending = [d for d in summary.decisions if d.status == "undetermined"]
    assert pending and all(d.missing and d.reasons.zh for d in pending)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("db") / "runs.sqlite3"
    return TestClient(create_app(database_url=f"sqlite:///{db}", officer_tokens={}))


def test_api_summary_mode(client: TestClient) -> None:
    profile = EXAMPLES[0] if isinstance(EXAMPLES[0], dict) else EXAMPLES[0][0]
    summary = client.post("/v1/assess?as_of=2025-06-30&detail=summary", json=profile)
    full = client.post("/v1/assess?as_of=2025-06-30&detail=full", json=profile)
    assert summary.status_code == full.status_code == 200
    body, whole = summary.json(), full.json()
    assert body["detail"] == "summary" and "conditions" not in body["decisions"][0]
    assert [(d["id"], d["status"], d["reasons"]) for d in body["decisions"]] == [
        (d["id"], d["status"], d["reasons"]) for d in whole["decisions"]
    ]
    assert len(summary.content) * 5 < len(full.content)
    assert summary.content == summarise(parse_profile(profile), PACK, date(2025, 6, 30)).model_dump_json().encode()


def test_api_refuses_an_unknown_detail_in_both_languages(client: TestClient) -> None:
    r = client.post("/v1/assess?detail=everything", json={})
    assert r.status_code == 422
    issue = r.json()["issues"][0]
    assert issue["field"] == "query.detail" and issue["message_zh"] and issue["message_en"]
