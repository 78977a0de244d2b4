"""Shared fixtures and the Chinese Gherkin steps every feature file uses.

Steps speak the profile's Chinese labels and the pack's Chinese names, so a
policy author can write scenarios without touching Python.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from engine.evaluator import evaluate
from engine.loader import DEFAULT_RULES, RulePack, load_pack
from engine.profile import KEY_BY_LABEL, FIELDS, parse_profile
from engine.results import Assessment, ConditionResult, ScorecardResult

STATUS_ZH = {"符合": "eligible", "不符合": "ineligible", "待定": "undetermined"}
SIZE_ZH = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
UNKNOWN = {"", "未知", "缺失", "—"}  # "—": not given (e.g. no award, so no level)


@pytest.fixture(scope="session")
def pack() -> RulePack:
    return load_pack(DEFAULT_RULES)


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
    key = field_key(label)
    if value.strip() in UNKNOWN:
        firm.pop(key, None)  # unknown also undoes a value set in a 背景 (background)
    else:
        firm[key] = typed(value.strip())


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


# --- scorecards and single conditions (designations) ---------------------------

VERDICT_ZH = {"达标": True, "未达标": False, "待定": None}
CHECK_ZH = {"满足": "met", "不满足": "unmet", "未知": "unknown"}


def _card(outcome: dict[str, Assessment], pack: RulePack, name: str) -> ScorecardResult:
    ident = _resolve(pack, name)
    return next(c for c in outcome["result"].scorecards if c.id == ident)


def _points(text: str) -> float | None:
    return None if text in UNKNOWN else float(text)


@then(parsers.parse('"{card}" 总分为 "{points}"'))
def scorecard_total(outcome: dict[str, Assessment], pack: RulePack, card: str, points: str) -> None:
    assert _card(outcome, pack, card).total == _points(points)


@then(parsers.parse('"{card}" 中 "{part}" 得 "{points}" 分'))
def scorecard_part(outcome: dict[str, Assessment], pack: RulePack, card: str, part: str, points: str) -> None:
    """Points of a group or an indicator, named by its id or Chinese label."""
    result = _card(outcome, pack, card)
    parts = [*result.groups, *(i for g in result.groups for i in g.indicators)]
    found = [p for p in parts if part in (p.id, p.label.zh)]
    assert found, f"{card} has no group or indicator {part!r}"
    assert found[0].points == _points(points), f"{part}: {found[0].points} != {points}"


@then(parsers.parse('"{card}" 评价结论为 "{verdict}"'))
def scorecard_verdict(outcome: dict[str, Assessment], pack: RulePack, card: str, verdict: str) -> None:
    result = _card(outcome, pack, card)
    assert result.passed is VERDICT_ZH[verdict], (result.low, result.high, result.missing)


@then(parsers.parse('"{card}" 的直通条件 "{route}" 判定为 "{state}"'))
def scorecard_route(outcome: dict[str, Assessment], pack: RulePack, card: str, route: str, state: str) -> None:
    found = [r for r in _card(outcome, pack, card).routes if route in (r.id, r.label.zh)]
    assert found, f"{card} has no direct route {route!r}"
    assert found[0].status == CHECK_ZH[state], found[0].missing


def _find_condition(node: ConditionResult, name: str) -> ConditionResult | None:
    if name == node.id or (node.label is not None and name == node.label.zh):
        return node
    return next((hit for child in node.children if (hit := _find_condition(child, name))), None)


@then(parsers.parse('"{name}" 的条件 "{condition}" 判定为 "{state}"'))
def condition_is(outcome: dict[str, Assessment], pack: RulePack, name: str, condition: str, state: str) -> None:
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    found = _find_condition(decision.conditions, condition)
    assert found is not None, f"{name} has no condition {condition!r}"
    assert found.status == CHECK_ZH[state], found.text.zh


RULE_STATUS_ZH = {"确认": "confirmed", "假设": "assumed", "暂定": "provisional"}


@then(parsers.parse('"{name}" 适用版本状态为 "{status}"'))
def decision_version(outcome: dict[str, Assessment], pack: RulePack, name: str, status: str) -> None:
    """The status of the dated version the as-of date picked (e.g. 2026 专精特新 is provisional)."""
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    assert decision.rule_status == RULE_STATUS_ZH[status], decision.rule_status


@then(parsers.parse('"{name}" 在该日期没有施行的版本'))
def no_version(outcome: dict[str, Assessment], pack: RulePack, name: str) -> None:
    ident = _resolve(pack, name)
    assert all(d.id != ident for d in outcome["result"].decisions)
