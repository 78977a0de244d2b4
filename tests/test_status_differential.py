"""The status-only evaluator (engine.evaluate.status) equals the explaining evaluator and the vectorised one.

Same profiles as the batch differential test (pools derived from each pack: values around every
threshold, any fact missing) and the boundary profiles of engine.authoring.boundaries. Compared:
each decision's status, its unmet and unknown leaves, the facts that would settle it and its amount;
each scorecard's total, interval and pass verdict (and what it lacks); every derived fact.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.authoring.boundaries import boundaries
from engine.batch.vectorized import UNKNOWN, UNMET, evaluate_profiles, to_python
from engine.evaluate.evaluator import evaluate, prepared
from engine.evaluate.status import STATUS, compiled, statuses
from engine.language.loader import RulePack, load_pack
from engine.model.profile import FIELDS, EnterpriseProfile, parse_profile
from tests import test_batch_differential as pools
from tests import test_runtime_errors as runtime


def explained(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> dict[str, Any]:
    """What the explaining evaluator says, in the status evaluator's terms."""
    result = evaluate(profile, pack, as_of)
    decisions = {}
    for d in result.decisions:
        leaves = list(pools.leaves(d.conditions))
        amounts = [b.amount for b in d.benefits if b.amount is not None]
        decisions[d.id] = (
            d.status,
            {x.id for x in leaves if x.status == "unmet"},
            {x.id for x in leaves if x.status == "unknown"},
            d.missing,
            sum(amounts) if amounts else None,
        )
    cards = {c.id: (c.total, c.low, c.high, c.passed, c.missing) for c in result.scorecards}
    return {"decisions": decisions, "scorecards": cards, "facts": result.facts}


def fast(profile: EnterpriseProfile | dict[str, Any], pack: RulePack, as_of: date) -> dict[str, Any]:
    result = statuses(profile, pack, as_of)
    decisions = {k: (o.status, set(o.unmet), set(o.unknown), o.missing, o.amount) for k, o in result.decisions.items()}
    cards = {k: (c.total, c.low, c.high, c.passed, c.missing) for k, c in result.scorecards.items()}
    return {"decisions": decisions, "scorecards": cards, "facts": result.facts}


def assert_same(pack: RulePack, as_of: date, profiles: list[EnterpriseProfile]) -> None:
    batch = evaluate_profiles(pack, as_of, profiles)
    for row, profile in enumerate(profiles):
        want, got = explained(profile, pack, as_of), fast(profile, pack, as_of)
        assert got["decisions"] == want["decisions"], (row, profile)
        assert got["scorecards"] == want["scorecards"], (row, profile)
        assert got["facts"].keys() == want["facts"].keys()
        for name, value in want["facts"].items():
            assert pools.same(got["facts"][name], value), (row, name, got["facts"][name], value)
        for ident, columns in batch.policies.items():
            status, unmet, unknown, *_ = got["decisions"][ident]
            assert (columns.status()[row], columns.leaf_ids(row, UNMET), columns.leaf_ids(row, UNKNOWN)) == (
                status,
                unmet,
                unknown,
            ), (row, ident)
        for ident, card in batch.scorecards.items():
            total, low, high, passed, _ = got["scorecards"][ident]
            assert (to_python(card.total)[row], card.low[row], card.high[row], to_python(card.passed)[row]) == (
                total,
                low,
                high,
                passed,
            ), (row, ident)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(as_of=st.sampled_from(pools.MAIN_DATES), profiles=pools.MAIN_PROFILES)
def test_main_pack_status_equals_explaining_and_batch(as_of: date, profiles: list[EnterpriseProfile]) -> None:
    assert_same(pools.MAIN_PACK, as_of, profiles)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(as_of=st.sampled_from(pools.TEST_DATES), profiles=pools.TEST_PROFILES)
def test_every_construct_status_equals_explaining_and_batch(as_of: date, profiles: list[EnterpriseProfile]) -> None:
    assert_same(pools.TEST_PACK, as_of, profiles)


def test_boundary_profiles_agree() -> None:
    """Values just below, on and above every threshold of the pack, any fact missing."""
    by_date: dict[date, list[EnterpriseProfile]] = {}
    for profile, as_of in boundaries(pools.MAIN_PACK).valid_cases(150, seed=7):
        by_date.setdefault(as_of, []).append(profile)
    for as_of, profiles in by_date.items():
        assert_same(pools.MAIN_PACK, as_of, profiles)


def test_fixed_edge_rows_agree() -> None:
    """Everything missing, division by zero, an anniversary day (the construct pack's edge rows)."""
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
    assert_same(pools.TEST_PACK, date(2025, 3, 1), [parse_profile(r) for r in rows])


def test_targets_give_what_a_full_run_gives() -> None:
    """A run limited to some policies gives those (and what they read) exactly as a full run does."""
    pack = pools.MAIN_PACK
    targets = ["specialized_sme", "jb_trademark_brand"]
    for profile, as_of in boundaries(pack).valid_cases(60, seed=3):
        full, part = statuses(profile, pack, as_of), statuses(profile, pack, as_of, targets)
        assert set(part.decisions) <= set(full.decisions) and set(targets) & set(full.decisions) <= set(part.decisions)
        for ident, outcome in part.decisions.items():
            assert outcome == full.decisions[ident] or _same_outcome(outcome, full.decisions[ident])
        assert all(full.facts[k] == v or (full.facts[k] is None and v is None) for k, v in part.facts.items())


def _same_outcome(a: Any, b: Any) -> bool:
    return (a.status, a.unmet, a.unknown, a.missing, a.amount) == (b.status, b.unmet, b.unknown, b.missing, b.amount)


def test_a_mapping_of_facts_is_a_profile() -> None:
    """Hypothetical profiles may be plain dicts of field -> value (no model validation per probe)."""
    pack = pools.MAIN_PACK
    for profile, as_of in boundaries(pack).valid_cases(40, seed=5):
        facts = {name: getattr(profile, name) for name in FIELDS}
        assert fast(facts, pack, as_of) == fast(profile, pack, as_of)


def test_compiled_once_per_pack_and_date() -> None:
    pack, day = pools.MAIN_PACK, date(2025, 6, 1)
    assert compiled(pack, day) is compiled(pack, day)
    assert compiled(pack, day) is not compiled(pack, date(2025, 6, 2))


def test_dates_with_the_same_rules_in_force_share_one_compilation_and_keep_their_own_date() -> None:
    """The code is shared by the dates of one set of rules in force, yet each date is its own: a firm
    registered three years before the second day is new on the first and not on the second, and a title
    that lapses on the first day holds on it and not after (years_between(…, as_of) and has_title)."""
    pack, first, second = pools.MAIN_PACK, date(2025, 6, 1), date(2025, 6, 2)
    assert compiled(pack, first).rules is compiled(pack, second).rules
    assert compiled(pack, first).rules is not compiled(pack, date(2019, 6, 1)).rules  # other versions in force
    lapsing = [
        {"title": code, "level": "national", "valid_to": "2025-06-01"}
        for code in ("innovative_sme", "high_tech_enterprise", "specialized_sme", "little_giant")
    ]
    profile = parse_profile(
        {"registration_date": "2022-06-02", "industry_code": "M7520", "employees": 20, "titles": lapsing}
    )
    on_first, on_second = fast(profile, pack, first), fast(profile, pack, second)
    assert on_first != on_second
    assert on_first == explained(profile, pack, first)
    assert on_second == explained(profile, pack, second)
    assert on_first["decisions"]["jb_new_ip_service_firm"][0] != on_second["decisions"]["jb_new_ip_service_firm"][0]
    assert on_first["scorecards"]["innovative_sme_score"] != on_second["scorecards"]["innovative_sme_score"]


def test_the_explaining_evaluator_shares_its_compiled_rules_the_same_way() -> None:
    """Its per-date part (evaluator.OnDate) is shared likewise, and an assessment on the second day, after one
    on the first, is byte for byte the one a fresh pack gives on the second day alone."""
    pack, first, second = pools.MAIN_PACK, date(2025, 6, 1), date(2025, 6, 2)
    assert prepared(pack).on(first) is prepared(pack).on(second)
    assert prepared(pack).on(first) is not prepared(pack).on(date(2019, 6, 1))
    lapsing = [{"title": "innovative_sme", "valid_to": "2025-06-01"}]
    profile = parse_profile({"registration_date": "2022-06-02", "industry_code": "M7520", "titles": lapsing})
    evaluate(profile, pack, first)
    fresh = load_pack(pack.root)
    assert evaluate(profile, pack, second).model_dump_json() == evaluate(profile, fresh, second).model_dump_json()


def test_items_indicator_reports_its_missing_facts() -> None:
    """An `items` indicator left open by unknown items names them (the explaining evaluator used to drop them)."""
    result = evaluate(EnterpriseProfile(), pools.TEST_PACK, date(2025, 3, 1))
    indicator = next(i for c in result.scorecards for g in c.groups for i in g.indicators if i.id == "capability")
    assert indicator.points is None
    assert indicator.missing == ["has_rd_institution", "software_copyrights", "titles"]


def test_rules_that_fail_for_a_firm_are_errors_as_in_the_explaining_evaluator(tmp_path: Path) -> None:
    """Overflows and the rules that read them: `error` decisions, the rest decided as usual."""
    (tmp_path / "ops.yaml").write_text(runtime.pack_text(), encoding="utf-8")
    pack = load_pack(tmp_path)
    for raw in [
        {"revenue": 100, "employees": 5, "net_profit": 1},
        {"revenue": 1e300, "net_profit": -1e300},
        {"revenue": 0, "employees": 0, "net_profit": 0},
        {},
    ]:
        profile = parse_profile(raw)
        want = {d.id: d.status for d in evaluate(profile, pack, runtime.AS_OF).decisions}
        assert {k: o.status for k, o in statuses(profile, pack, runtime.AS_OF).decisions.items()} == want, raw
        if raw.get("revenue") == 100:
            assert want["p_overflow"] == want["p_chain"] == want["c_overflow_or"] == "error"


GENERATED_SHORTCUTS = {  # the shapes the code generator writes in its own way (engine/evaluate/status_code.py)
    "const_and": "employees > 3 and true",
    "const_or": "false or revenue >= 100",
    "const_settles": "employees > 3 or true",
    "one_of_inline": "one_of(industry_code, 'C39', 'I65')",
    "starts_with_inline": "starts_with(industry_code, 'C', 'M75')",
    "title_at_level": "has_title('high_tech_enterprise', 'provincial')",
    "title_any_level": "has_title('high_tech_enterprise')",
    "negated_sum": "not (-(revenue + net_profit) < 0)",
}


def test_generated_shortcuts_decide_as_the_explaining_evaluator(tmp_path: Path) -> None:
    """Constant operands, inlined one_of / starts_with and has_title with its level worked out beforehand."""
    parts = ["policies:\n"]
    for ident, when in GENERATED_SHORTCUTS.items():
        parts.append(
            f"  - id: {ident}\n    title: {{zh: {ident}, en: {ident}}}\n    source: {{document: test}}\n"
            f'    from: 2020-01-01\n    conditions: {{all: [{{when: "{when}"}}]}}\n'
        )
    (tmp_path / "shortcuts.yaml").write_text("".join(parts), encoding="utf-8")
    pack = load_pack(tmp_path)
    rows = [
        {},
        {"employees": 5, "revenue": 150, "net_profit": -200, "industry_code": "C39", "titles": []},
        {"employees": 1, "revenue": 50, "net_profit": 10, "industry_code": "M7520"},
        {"industry_code": "I65", "titles": [{"title": "high_tech_enterprise", "level": "national"}]},
        {"titles": [{"title": "high_tech_enterprise", "level": "district"}]},
        {"titles": [{"title": "high_tech_enterprise", "level": "national", "valid_to": "2021-01-01"}]},
    ]
    assert_same(pack, date(2025, 3, 1), [parse_profile(r) for r in rows])
    outcome = statuses(parse_profile(rows[4]), pack, date(2025, 3, 1)).decisions
    assert (outcome["title_at_level"].status, outcome["title_any_level"].status) == ("ineligible", "eligible")


def test_deciding_leaves_kept_by_states_are_the_ones_worked_out() -> None:
    """_Tree.deciding_in keeps each states vector's deciding leaves (the summary asks for them per refused or
    pending decision): the kept answer is the walk's, and the store stays bounded."""
    pack = pools.MAIN_PACK
    cases = boundaries(pack).valid_cases(200, 3)
    for profile, as_of in cases:
        fast_run = compiled(pack, as_of)
        for outcome in fast_run.run(profile).decisions.values():
            tree = fast_run.steps[outcome.id].tree
            if tree is None or outcome.status == "error":
                continue
            want = STATUS.index(outcome.status)
            walked = tuple(s for s in tree.deciding(outcome._states) if outcome._states[s] == want)
            assert tree.deciding_in(outcome._states, want) == walked
            assert tree.deciding_in(list(outcome._states), want) == walked  # asked again: the kept answer
    tree = next(step.tree for step in compiled(pack, cases[0][1]).steps.values() if getattr(step, "tree", None))
    for n in range(5000):
        tree.deciding_in([n % 3] * tree.size, n)
    assert len(tree._deciding) <= 4096


CLAMPED_CARD = """
scorecards:
  - id: odd
    name_zh: 分值取整测试
    label: {zh: 分值取整测试, en: Clamping test}
    source: {document: test}
    pass_at: 10
    groups:
      - id: g
        label: {zh: 组, en: Group}
        max: 30
        indicators:
          - id: over_and_under
            label: {zh: 超出上下限, en: Beyond the bounds}
            max: 20
            brackets:
              of: invention_patents
              rows: [{ge: 10, points: 25}, {ge: 5, points: -0.0}, {ge: 1, points: -5}]
              otherwise: 0
          - id: within
            label: {zh: 区间内, en: Within}
            max: 10
            brackets:
              of: employees
              rows: [{ge: 100, points: 10}, {ge: 10, points: 2.5}]
              otherwise: 0
          - id: by_case
            label: {zh: 按情形, en: By case}
            max: 5
            cases:
              - {when: rd_staff >= 10, points: 7}
              - {when: rd_staff >= 5, points: 5}
            otherwise: 0
          - id: negative_zero
            label: {zh: 负零, en: Negative zero}
            max: 5
            brackets:
              of: invention_patents
              rows: [{ge: 5, points: -0.0}, {ge: 1, points: 3.0}]
              otherwise: 0.0
"""


def test_indicator_points_are_clamped_as_the_explaining_evaluator_clamps_them(tmp_path: Path) -> None:
    """The generated code skips the clamp where every value an indicator can take is a float within [0, max]
    (status._clamped); points above the max, negative, -0.0 or worked out by cases still go through it."""
    (tmp_path / "card.yaml").write_text(CLAMPED_CARD, encoding="utf-8")
    pack = load_pack(tmp_path)
    rows = [
        {},
        *(
            {"invention_patents": n, "employees": e, "rd_staff": s}
            for n in (0, 1, 5, 10)
            for e, s in ((5, 3), (50, 6), (500, 12))
        ),
    ]
    profiles = [parse_profile(r) for r in rows]
    assert_same(pack, date(2025, 3, 1), profiles)
    points = {tuple(statuses(p, pack, date(2025, 3, 1)).scorecards["odd"].points) for p in profiles[1:]}
    assert {(20.0, 0.0, 0.0, 0.0), (0.0, 2.5, 5.0, 3.0), (0.0, 10.0, 5.0, 0.0)} <= points
    assert all(str(p) != "-0.0" for row in points for p in row)
