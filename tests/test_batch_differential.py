"""Batch (engine.batch.vectorized) and single-profile (engine.evaluate.evaluator) results are identical, row for row.

Profiles are drawn from pools derived from the pack itself: every number the rules compare
against (literals, parameter values, bracket bounds, pass marks), one either side of it and
products of ratios with other thresholds; dates one day either side of every anniversary the
rules can ask about; every text the rules mention; every title and level. Any fact may be
missing. The model (EnterpriseProfile) decides which drawn values are valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.vectorized import UNKNOWN, UNMET, BatchResult, evaluate_profiles, to_python
from engine.evaluate.evaluator import evaluate
from engine.language import expr as ex
from engine.language.loader import RulePack, expressions_of, instances_of, load_pack
from engine.language.rules import BracketTable
from engine.model.profile import (
    FIELDS,
    LEVEL_RANK,
    TITLES,
    EnterpriseProfile,
    ProfileInputError,
    field_kind,
    parse_profile,
)
from engine.model.results import Assessment, Assumption, ConditionResult

HERE = Path(__file__).parent
MAIN_RULES = HERE.parent / "rules"


# --- pools derived from the pack ---------------------------------------------


def all_nodes(node: ex.Node) -> Iterator[ex.Node]:
    yield node
    for child in ex.children(node):
        yield from all_nodes(child)


def pack_items(pack: RulePack) -> list[Any]:
    return [*pack.derived.values(), *pack.scorecards.values(), *(v for vs in pack.policies.values() for v in vs)]


def pack_constants(pack: RulePack) -> tuple[set[float], set[str]]:
    numbers: set[float] = set()
    texts: set[str] = set()
    for item in pack_items(pack):
        for expression in expressions_of(item):
            for node in all_nodes(expression.ast):
                if isinstance(node, ex.Num):
                    numbers.add(node.value)
                elif isinstance(node, ex.Str):
                    texts.add(node.value)
        for table in instances_of(item, BracketTable):
            numbers |= {bound for row in table.rows for _, bound in row.bounds()}
        lookup = getattr(item, "lookup", None)
        if lookup is not None:
            texts |= {k for row in lookup.table for k in row.keys}
        numbers |= {v for v in (getattr(item, "pass_at", None),) if v is not None}
    for param in pack.parameters.values():
        for version in param.versions:
            value = version.value
            if isinstance(value, str):
                texts.add(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                numbers.add(float(value))
    return numbers, texts


def pack_dates(pack: RulePack) -> list[date]:
    days = {v.valid_from for vs in pack.policies.values() for v in vs}
    days |= {v.valid_to for vs in pack.policies.values() for v in vs if v.valid_to}
    days |= {v.valid_from for p in pack.parameters.values() for v in p.versions}
    return sorted({d + timedelta(days=k) for d in days for k in (-1, 0, 1)})


def valid_for(name: str, value: Any) -> bool:
    try:
        EnterpriseProfile.model_validate({name: value})
        return True
    except Exception:  # the model decides; any refusal drops the value from the pool
        return False


def number_pool(numbers: set[float]) -> list[float]:
    base = set(numbers) | {0.0, 1.0}
    ratios = [n for n in numbers if 0 < n < 1]
    base |= {round(r * m, 6) for r in ratios for m in numbers if m >= 1}
    return sorted({x + d for x in base for d in (-1, -0.5, 0, 0.5, 1)} | {x * 10 for x in base})


def field_pools(pack: RulePack, as_of_pool: list[date]) -> dict[str, list[Any]]:
    numbers, texts = pack_constants(pack)
    nums = number_pool(numbers)
    years = sorted({int(n) for n in numbers if 0 <= n <= 30 and n == int(n)} | {0, 1, 2, 3})
    day_pool = sorted(
        {
            date(a.year - y, a.month, min(a.day, 28)) + timedelta(days=k)
            for a in as_of_pool
            for y in years
            for k in (-1, 0, 1)
        }
        | set(as_of_pool)
    )
    words = sorted(
        texts
        | {t + suffix for t in texts for suffix in ("1", "0", "9")}
        | {"C39", "C3484", "I65", "M7520", "L72", "A01", "500105", "500106", "500112"}
    )
    pools: dict[str, list[Any]] = {}
    for name in FIELDS:
        kind = field_kind(name)
        if kind in ("number", "integer"):
            cand: list[Any] = [int(x) for x in nums if x == int(x)] if kind == "integer" else nums
        elif kind == "bool":
            cand = [True, False]
        elif kind == "date":
            cand = day_pool
        elif kind == "level":
            cand = [level.value for level in LEVEL_RANK]
        elif kind == "text":
            cand = words
        else:
            continue
        pools[name] = [v for v in cand if valid_for(name, v)]
    return pools


def read_fields(pack: RulePack) -> set[str]:
    names: set[str] = set()
    for item in pack_items(pack):
        for expression in expressions_of(item):
            names |= ex.names(expression.ast)
    return names & set(FIELDS)


def title_strategy(as_of_pool: list[date]) -> st.SearchStrategy[Any]:
    around = sorted({a + timedelta(days=k) for a in as_of_pool for k in (-1, 0, 1)})
    one = st.fixed_dictionaries(
        {"title": st.sampled_from(sorted(TITLES))},
        optional={
            "level": st.sampled_from([level.value for level in LEVEL_RANK]),
            "valid_from": st.sampled_from(around),
            "valid_to": st.sampled_from(around),
        },
    )
    return st.lists(one, max_size=3)


def profile_strategy(pack: RulePack, as_of_pool: list[date]) -> st.SearchStrategy[EnterpriseProfile]:
    pools = field_pools(pack, as_of_pool)
    fields = sorted(read_fields(pack))
    parts = {}
    for name in fields:
        choice = title_strategy(as_of_pool) if name == "titles" else st.sampled_from(pools[name])
        parts[name] = sometimes_missing(choice)
    return st.fixed_dictionaries(parts).map(_valid_profile)


def sometimes_missing(choice: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, or None (a missing fact) about one time in five."""
    return st.tuples(st.integers(0, 4), choice).map(lambda pair: None if pair[0] == 0 else pair[1])


def _valid_profile(raw: dict[str, Any]) -> EnterpriseProfile:
    """The profile the model accepts: facts it refuses (e.g. inconsistent pairs) are dropped."""
    data = {k: v for k, v in raw.items() if v is not None}
    for _ in range(len(data) + 1):
        try:
            return parse_profile(data)
        except ProfileInputError as e:
            for issue in e.issues:
                data.pop(issue.field.split(".")[0], None)
    return EnterpriseProfile()


# --- comparison -----------------------------------------------------------------


def leaves(result: ConditionResult) -> Iterator[ConditionResult]:
    if not result.children:
        yield result
    for child in result.children:
        yield from leaves(child)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same type except that int and float may stand for each other."""
    numbers = (int, float)
    both_numbers = (
        isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool)
    )
    return a == b and (both_numbers or type(a) is type(b))


def assert_same(pack: RulePack, as_of: date, profiles: list[EnterpriseProfile]) -> None:
    batch = evaluate_profiles(pack, as_of, profiles)
    facts = {k: to_python(v) for k, v in batch.facts.items()}
    for row, profile in enumerate(profiles):
        single = evaluate(profile, pack, as_of)
        assert set(batch.policies) == {d.id for d in single.decisions}
        for decision in single.decisions:
            columns = batch.policies[decision.id]
            unmet = {leaf.id for leaf in leaves(decision.conditions) if leaf.status == "unmet"}
            unknown = {leaf.id for leaf in leaves(decision.conditions) if leaf.status == "unknown"}
            got = (columns.status()[row], columns.leaf_ids(row, UNMET), columns.leaf_ids(row, UNKNOWN))
            assert got == (decision.status, unmet, unknown), (row, decision.id, profile)
            amount = sum(b.amount for b in decision.benefits if b.amount is not None)
            if columns.amount is not None and any(b.amount is not None for b in decision.benefits):
                assert columns.amount.known[row] and columns.amount.value[row] == pytest.approx(amount)
        for name, value in single.facts.items():
            assert same(facts[name][row], value), (row, name, facts[name][row], value, profile)
        for card in single.scorecards:
            got_card = batch.scorecards[card.id]
            assert (got_card.low[row], got_card.high[row]) == (card.low, card.high), (row, card.id)
            assert to_python(got_card.total)[row] == card.total, (row, card.id)
            assert to_python(got_card.passed)[row] == card.passed, (row, card.id)
        assert_same_provenance(batch, single, row)


def keys_of(assumptions: list[Assumption]) -> set[tuple[str, str]]:
    return {(a.kind, a.id) for a in assumptions}


def batch_keys(batch: BatchResult, ident: str, row: int) -> set[tuple[str, str]]:
    return {(k[0], ".".join(k[1:])) for k in batch.assumptions(ident, row)}


def assert_same_provenance(batch: BatchResult, single: Assessment, row: int) -> None:
    """Every decision, benefit, scorecard total and verdict rests on the same assumptions on both paths."""
    for decision in single.decisions:
        assert batch_keys(batch, decision.id, row) == keys_of(decision.assumptions), (row, decision.id)
        if decision.benefits:
            want = set().union(*(keys_of(b.assumptions) for b in decision.benefits))
            got = batch_keys(batch, decision.id, row) | batch_keys(batch, decision.id + ".benefits", row)
            assert got == want, (row, decision.id, "benefits")
    for card in single.scorecards:
        assert batch_keys(batch, card.id, row) == keys_of(card.assumptions), (row, card.id)
        assert batch_keys(batch, card.id + "_passed", row) == keys_of(card.passed_assumptions), (row, card.id)


def pack_case(root: Path) -> tuple[RulePack, list[date], st.SearchStrategy[Any]]:
    pack = load_pack(root)
    dates = pack_dates(pack)
    profiles = st.lists(profile_strategy(pack, dates), min_size=1, max_size=10)
    return pack, dates, profiles


MAIN_PACK, MAIN_DATES, MAIN_PROFILES = pack_case(MAIN_RULES)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(as_of=st.sampled_from(MAIN_DATES), profiles=MAIN_PROFILES)
def test_main_pack_batch_equals_single(as_of: date, profiles: list[EnterpriseProfile]) -> None:
    assert_same(MAIN_PACK, as_of, profiles)


TEST_PACK, TEST_DATES, TEST_PROFILES = pack_case(HERE / "batch_pack")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(as_of=st.sampled_from(TEST_DATES), profiles=TEST_PROFILES)
def test_every_construct_batch_equals_single(as_of: date, profiles: list[EnterpriseProfile]) -> None:
    assert_same(TEST_PACK, as_of, profiles)


def test_test_pack_covers_every_construct() -> None:
    """The construct pack really has a scorecard with every indicator kind, and every derived kind."""
    card = TEST_PACK.scorecards["innov"]
    kinds = {
        k
        for g in card.groups
        for i in g.indicators
        for k in ("brackets", "best_of", "cases", "items", "formula")
        if getattr(i, k) is not None
    }
    assert kinds == {"brackets", "best_of", "cases", "items", "formula"}
    derived = {
        k
        for d in TEST_PACK.derived.values()
        for k in ("formula", "brackets", "lookup", "cases")
        if getattr(d, k) is not None
    }
    assert derived == {"formula", "brackets", "lookup", "cases"}
    functions = {
        n.func
        for item in pack_items(TEST_PACK)
        for e in expressions_of(item)
        for n in all_nodes(e.ast)
        if isinstance(n, ex.Call)
    }
    assert functions == set(ex.FUNCTIONS)


def test_fixed_rows_agree() -> None:
    """Hand-picked rows at the edges: everything missing, division by zero, an anniversary day."""
    as_of = date(2025, 3, 1)
    rows = [
        {},
        {"revenue": 0, "rd_expense": 0, "revenue_prior": 0, "total_assets": 0, "total_liabilities": 0},
        {
            "registration_date": "2020-03-01",
            "rd_expense": 5,
            "revenue": 100,
            "industry_code": "C3911",
            "titles": [{"title": "little_giant", "level": "national"}],
        },
        {"registration_date": "2020-03-02", "employees": 300, "revenue": 2000, "titles": []},
    ]
    assert_same(TEST_PACK, as_of, [parse_profile(r) for r in rows])


def test_bundled_examples_agree() -> None:
    """The bundled examples (each file one profile or a list) give the same results in batch."""
    import json

    files = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((HERE.parent / "examples").glob("*.json"))]
    profiles = [parse_profile(r) for data in files for r in (data if isinstance(data, list) else [data])]
    assert_same(MAIN_PACK, date(2025, 6, 1), profiles)
    statuses = set(evaluate_profiles(MAIN_PACK, date(2025, 6, 1), profiles).policies["jb_new_ip_service_firm"].status())
    assert "eligible" in statuses
