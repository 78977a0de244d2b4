"""The Chinese Gherkin steps every feature file uses, and their fixtures (`pack`, `firm`, `outcome`).

They ship with the product so that `ipcheck rules test` works wherever ipcheck is installed
(engine/authoring/feature_tests.py binds them to the features); the project's own tests
import them in tests/conftest.py. Steps speak the profile's Chinese labels and the pack's
Chinese names, so a policy author can write scenarios without touching Python.
"""

from __future__ import annotations

import os
import re
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from engine.evaluate.evaluator import evaluate
from engine.evaluate.strength import enrich
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import FIELDS, KEY_BY_LABEL, TITLES, parse_profile
from engine.model.results import Assessment, ConditionResult, ScorecardResult
from engine.model.words import STATUS_SHORT_ZH

STATUS_ZH = {zh: status for status, zh in STATUS_SHORT_ZH.items()}  # as scenarios write them
SIZE_ZH = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
UNKNOWN = {"", "未知", "缺失", "—"}  # "—": not given (e.g. no award, so no level)


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
    key = field_key(label)
    if value.strip() in UNKNOWN:
        firm.pop(key, None)  # unknown also undoes a value set in a 背景 (background)
    else:
        firm[key] = typed(value.strip())


@given(parsers.parse('持有 "{title}" 称号'))
def holds_title(firm: dict[str, Any], title: str) -> None:
    firm.setdefault("titles", []).append({"title": title})


@given(parsers.parse('持有称号 "{titles}"'))
def holds_titles(firm: dict[str, Any], titles: str) -> None:
    """Titles as 称号（级别）、称号 …; 无 = none held, 未知 = not stated."""
    text = titles.strip()
    if text in UNKNOWN:
        firm.pop("titles", None)
        return
    held = [] if text == "无" else [re.fullmatch(r"(.+?)(?:（(.+)）)?", t.strip()) for t in text.split("、")]
    firm["titles"] = [{"title": m[1]} | ({"level": m[2]} if m[2] else {}) for m in held if m]


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
    got = {v: k for k, v in STATUS_ZH.items()}.get(decision.status, decision.status)
    # `ipcheck rules test` shows this line to the author (engine/authoring/feature_report.py)
    assert decision.status == STATUS_ZH[expected], f"期望 {expected}，实际 {got}；起作用的条件：{decision.reasons.zh}"


@then(parsers.parse('"{name}" 待补充 "{label}"'))
def decision_needs(outcome: dict[str, Assessment], pack: RulePack, name: str, label: str) -> None:
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    assert field_key(label) in decision.missing or label in decision.missing, decision.missing


@then(parsers.parse('"{name}" 的补助金额为 "{amount}"'))
def benefit_amount(outcome: dict[str, Assessment], pack: RulePack, name: str, amount: str) -> None:
    """Total of the benefit amounts (万元); 无 = no amount (ineligible, or no amount stated)."""
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    known = [b.amount for b in decision.benefits if b.amount is not None]
    if amount in UNKNOWN | {"无"}:
        assert not known, known
    else:
        assert known and sum(known) == pytest.approx(float(amount)), (known, decision.reasons.zh)


@then(parsers.parse('"{name}" 的补助最高为 "{amount}"'))
def benefit_up_to(outcome: dict[str, Assessment], pack: RulePack, name: str, amount: str) -> None:
    """Total of the "up to N" ceilings (万元), which are never amounts; 无 = none."""
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    caps = [b.up_to for b in decision.benefits if b.up_to is not None]
    if amount in UNKNOWN | {"无"}:
        assert not caps, caps
    else:
        assert caps and sum(caps) == pytest.approx(float(amount)), (caps, decision.reasons.zh)


@then(parsers.parse('"{title}" 列为可咨询，咨询 "{ask}"'))
def listed_to_ask(outcome: dict[str, Assessment], title: str, ask: str) -> None:
    """An information entry (no conditions to check), by Chinese title; never a decision."""
    result = outcome["result"]
    entry = next((e for e in result.information if e.title.zh == title), None)
    assert entry is not None, [e.title.zh for e in result.information]
    assert ask in entry.ask.zh, entry.ask.zh
    assert all(d.title.zh != title for d in result.decisions)


# --- IP strength (features/知识产权实力.feature) -----------------------------------------------


@when(parsers.parse('按 "{day}" 评估知识产权实力'))
def assess_strength_on(firm: dict[str, Any], outcome: dict[str, Assessment], pack: RulePack, day: str) -> None:
    profile, as_of = parse_profile(firm), date.fromisoformat(day)
    outcome["result"] = enrich(evaluate(profile, pack, as_of), profile, pack, as_of)


def _scored(outcome: dict[str, Assessment], name: str) -> Any:
    """An indicator or a group (dimension) of any scorecard, by Chinese label or id."""
    for card in outcome["result"].scorecards:
        if name in (card.id, card.label.zh):
            return SimpleNamespace(points=card.total)
        for group in card.groups:
            if name in (group.id, group.label.zh):
                return group
            for indicator in group.indicators:
                if name in (indicator.id, indicator.label.zh):
                    return indicator
    raise AssertionError(f"no indicator or dimension named {name!r}")


@then(parsers.parse('"{name}" 得分为 "{points}"'))
def scored(outcome: dict[str, Assessment], name: str, points: str) -> None:
    got = _scored(outcome, name).points
    if points in UNKNOWN:
        assert got is None, f"{name}: {got} is not unknown"
    else:
        assert got == pytest.approx(float(points)), f"{name}: {got} != {points}"


DIMENSION_STATE = {"计分": True, "不适用": False, "待定": None}


@then(parsers.parse('维度 "{name}" 为 "{state}"'))
def dimension_state(outcome: dict[str, Assessment], name: str, state: str) -> None:
    """Whether a dimension is scored for this firm (计分), not (不适用) or pending (待定)."""
    strength = outcome["result"].strength
    assert strength is not None, "no IP-strength section"
    dim = next((d for d in strength.dimensions if name in (d.id, d.label.zh)), None)
    assert dim is not None, f"no dimension named {name!r}"
    assert dim.applies is DIMENSION_STATE[state], f"{name}: applies = {dim.applies}"


def _improvement_names(imp: Any) -> set[str]:
    titles = {TITLES.get(code, code) for code in imp.change.new} if imp.change.field == "titles" else set()
    return {imp.change.field, imp.change.field_zh} | titles


@then(parsers.parse('首要改进为 "{name}"'))
def first_improvement(outcome: dict[str, Assessment], name: str) -> None:
    improvement_is(outcome, 1, name, None)


@then(parsers.parse('第 {n:d} 项改进为 "{name}"，可加 "{points}" 分'))
def improvement_is(outcome: dict[str, Assessment], n: int, name: str, points: str | None) -> None:
    found = outcome["result"].improvements
    assert len(found) >= n, [i.text.zh for i in found]
    imp = found[n - 1]
    assert name in _improvement_names(imp), f"#{n}: {imp.text.zh}"
    if points is not None:
        assert imp.gain == pytest.approx(float(points)), f"#{n}: {imp.text.zh}"


# --- scorecards and single conditions (designations) ---------------------------

VERDICT_ZH = {"达标": True, "未达标": False, "待定": None}
CHECK_ZH = {"满足": "met", "不满足": "unmet", "未知": "unknown"}


def _card(outcome: dict[str, Assessment], pack: RulePack, name: str) -> ScorecardResult:
    ident = _resolve(pack, name)
    return next(c for c in outcome["result"].scorecards if c.id == ident)


def _points(text: str) -> float | None:
    return None if text in UNKNOWN else float(text)


def _assert_points(got: Any, points: str, what: str) -> None:
    """A number, 未知, or an expert-judged range "low–high" (then `got` has no single points)."""
    if "–" in points:
        low, high = (float(p) for p in points.split("–"))
        assert (got.points, got.low, got.high) == (None, low, high), f"{what}: {got.points} {got.low}–{got.high}"
    else:
        value = got.total if isinstance(got, ScorecardResult) else got.points
        assert value == _points(points), f"{what}: {value} != {points}"


@then(parsers.parse('"{card}" 总分为 "{points}"'))
def scorecard_total(outcome: dict[str, Assessment], pack: RulePack, card: str, points: str) -> None:
    result = _card(outcome, pack, card)
    _assert_points(
        result if "–" not in points else SimpleNamespace(points=result.total, low=result.low, high=result.high),
        points,
        card,
    )


@then(parsers.parse('"{card}" 中 "{part}" 得 "{points}" 分'))
def scorecard_part(outcome: dict[str, Assessment], pack: RulePack, card: str, part: str, points: str) -> None:
    """Points of a group or an indicator, named by its id or Chinese label."""
    result = _card(outcome, pack, card)
    parts = [*result.groups, *(i for g in result.groups for i in g.indicators)]
    found = [p for p in parts if part in (p.id, p.label.zh)]
    assert found, f"{card} has no group or indicator {part!r}"
    _assert_points(found[0], points, part)


@then(parsers.parse('"{card}" 评价结论为 "{verdict}"'))
def scorecard_verdict(outcome: dict[str, Assessment], pack: RulePack, card: str, verdict: str) -> None:
    result = _card(outcome, pack, card)
    assert result.passed is VERDICT_ZH[verdict], (result.low, result.high, result.missing)


@then(parsers.parse('"{card}" 待专家评分 "{items}"，需再得 "{need}" 分'))
def scorecard_judged(outcome: dict[str, Assessment], pack: RulePack, card: str, items: str, need: str) -> None:
    """The indicators still within an expert-judged range (Chinese labels, 、-separated) and the points they must add."""
    result = _card(outcome, pack, card)
    labels = {i.id: i.label.zh for g in result.groups for i in g.indicators}
    assert [labels[i] for i in result.judged] == items.split("、"), result.judged
    assert result.expert_need == pytest.approx(float(need)), result.expert_need


@then(parsers.parse('"{name}" 的理由包含 "{text}"'))
def reasons_contain(outcome: dict[str, Assessment], pack: RulePack, name: str, text: str) -> None:
    ident = _resolve(pack, name)
    decision = next(d for d in outcome["result"].decisions if d.id == ident)
    assert text in decision.reasons.zh, decision.reasons.zh


def _assumptions_of(outcome: dict[str, Assessment], pack: RulePack, name: str) -> list[str]:
    """Texts of the assumptions a decision (or a scorecard's verdict) rested on."""
    ident = _resolve(pack, name)
    result = outcome["result"]
    found = next((d.assumptions for d in result.decisions if d.id == ident), None)
    if found is None:
        found = next(c.passed_assumptions for c in result.scorecards if c.id == ident)
    return [a.text.zh for a in found]


@then(parsers.parse('"{name}" 的依据含假设值 "{items}"'))
def rests_on(outcome: dict[str, Assessment], pack: RulePack, name: str, items: str) -> None:
    """Exactly these assumptions (each named by part of its text; ／-separated)."""
    texts = _assumptions_of(outcome, pack, name)
    wanted = items.split("／")
    assert len(texts) == len(wanted) and all(any(w in t for t in texts) for w in wanted), texts


@then(parsers.parse('"{name}" 的依据含假设值包括 "{items}"'))
def rests_on_at_least(outcome: dict[str, Assessment], pack: RulePack, name: str, items: str) -> None:
    """These assumptions among others (each named by part of its text; ／-separated)."""
    texts = _assumptions_of(outcome, pack, name)
    assert all(any(w in t for t in texts) for w in items.split("／")), texts


@then(parsers.parse('"{name}" 的依据不含假设值 "{item}"'))
def rests_not_on(outcome: dict[str, Assessment], pack: RulePack, name: str, item: str) -> None:
    texts = _assumptions_of(outcome, pack, name)
    assert not any(item in t for t in texts), texts


@then(parsers.parse('"{name}" 的依据不含假设值'))
def rests_on_nothing_assumed(outcome: dict[str, Assessment], pack: RulePack, name: str) -> None:
    assert _assumptions_of(outcome, pack, name) == []


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
