"""Shared fixtures and the Chinese Gherkin steps every feature file uses.

Steps speak the profile's Chinese labels and the pack's Chinese names, so a
policy author can write scenarios without touching Python.
"""
from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from engine.evaluator import evaluate
from engine.loader import DEFAULT_RULES, RulePack, load_pack
from engine.profile import KEY_BY_LABEL, FIELDS, parse_profile
from engine.results import Assessment

STATUS_ZH = {"符合": "eligible", "不符合": "ineligible", "待定": "undetermined"}
SIZE_ZH = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
UNKNOWN = {"", "未知", "缺失"}


@pytest.fixture(scope="session")
def pack() -> RulePack:
    """The shipped rules, or the folder in IPCHECK_RULES_DIR (`ipcheck rules test DIR` sets it)."""
    return load_pack(os.environ.get("IPCHECK_RULES_DIR") or DEFAULT_RULES)


@pytest.fixture
def firm() -> dict[str, Any]:
    return {}


@pytest.fixture
def outcome() -> dict[str, Assessment]:
    return {}


def field_key(label: str) -> str:
    key = KEY_BY_LABEL.get(label, label)
    assert key in FIELDS, f"unknown profile field {label!r}"
    return key


def typed(text: str) -> Any:
    return {"是": True, "否": False}.get(text, text)


@given("一家企业")
def a_firm(firm: dict[str, Any]) -> None:
    firm.clear()


@given(parsers.parse('"{label}" 为 "{value}"'))
def set_fact(firm: dict[str, Any], label: str, value: str) -> None:
    if value.strip() not in UNKNOWN:
        firm[field_key(label)] = typed(value.strip())


@given(parsers.parse('持有 "{title}" 称号'))
def holds_title(firm: dict[str, Any], title: str) -> None:
    firm.setdefault("titles", []).append({"title": title})


@given("不持有任何称号")
def holds_no_title(firm: dict[str, Any]) -> None:
    firm["titles"] = []


@when(parsers.parse('按 "{day}" 评估'))
def assess_on(firm: dict[str, Any], outcome: dict[str, Assessment], pack: RulePack, day: str) -> None:
    outcome["result"] = evaluate(parse_profile(firm), pack, date.fromisoformat(day))


def _resolve(pack: RulePack, name: str) -> str:
    return pack.aliases.get(name, name)


@then(parsers.parse('"{name}" 为 "{expected}"'))
def fact_is(outcome: dict[str, Assessment], pack: RulePack, name: str, expected: str) -> None:
    facts = outcome["result"].facts
    ident = _resolve(pack, name)
    want = None if expected in UNKNOWN else SIZE_ZH.get(expected, typed(expected))
    got = facts[ident]
    if isinstance(got, (int, float)) and not isinstance(got, bool) and want is not None:
        assert got == pytest.approx(float(want)), f"{name}: {got} != {want}"
    else:
        assert got == want, f"{name}: {got!r} != {want!r}"


@then(parsers.parse('"{name}" 的结论为 "{expected}"'))
def decision_is(outcome: dict[str, Assessment], pack: RulePack, name: str, expected: str) -> None:
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    assert decision.status == STATUS_ZH[expected], decision.reasons.zh


@then(parsers.parse('"{name}" 待补充 "{label}"'))
def decision_needs(outcome: dict[str, Assessment], pack: RulePack, name: str, label: str) -> None:
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    assert field_key(label) in decision.missing or label in decision.missing, decision.missing


# The policy author's steps (features/规则修订.feature) and the `authoring` marker.
from steps_authoring import *  # noqa: E402,F401,F403
