"""engine/evaluate/whatif.py: improvements and near misses are found from the rule AST and verified by re-evaluation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluate import whatif
from engine.evaluate.evaluator import evaluate
from engine.evaluate.strength import CARD, enrich, overall, overall_of
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import parse_profile

DAY = date(2026, 11, 1)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ip_strength_manufacturer.json"


@pytest.fixture(scope="module")
def pack():
    return load_pack(DEFAULT_RULES)


@pytest.fixture
def firm():
    return parse_profile(json.loads(EXAMPLE.read_text(encoding="utf-8")))


def test_improvements_are_ranked_by_points_per_unit_and_each_gain_is_real(pack, firm):
    score = overall(firm, pack, DAY)  # checks each gain on full assessments
    found = whatif.improvements(firm, pack, DAY, CARD, overall_of(pack, DAY), limit=50)
    assert len(found) >= 3
    keys = [(-i.per_unit, -i.gain) for i in found]
    assert keys == sorted(keys)
    before = score(evaluate(firm, pack, DAY))
    for imp in found:
        new = tuple((c, None) for c in imp.change.new) if imp.change.field == "titles" else imp.change.new
        after = score(evaluate(whatif.apply(firm, {imp.change.field: new}), pack, DAY))
        assert after - before == pytest.approx(imp.gain, abs=1e-3), imp.text.zh
        assert imp.per_unit == pytest.approx(imp.gain / abs(imp.change.delta or 1), abs=1e-3)


def test_improvements_only_raise_facts_and_never_touch_size_normalisers(pack, firm):
    found = whatif.improvements(firm, pack, DAY, CARD, limit=100)
    fields = {i.change.field for i in found}
    assert not fields & {"rd_staff", "revenue"}  # divisors only
    assert "ip_penalties_3y" not in fields  # a past penalty cannot be undone
    assert all(i.change.delta is None or i.change.delta > 0 for i in found)


def test_smallest_change_reaching_the_next_bracket(pack, firm):
    # IP budget 12 万元 sits in the ≥5 bracket (1 point); the next bracket is ≥20 (3 points):
    # +8 万元 for +2 points, 0.25 points per 万元.
    found = {i.change.field: i for i in whatif.improvements(firm, pack, DAY, CARD, limit=100)}
    budget = found["ip_budget"]
    assert budget.change.new == 20 and budget.gain == pytest.approx(2)
    assert budget.per_unit == pytest.approx(0.25)


def test_a_ratio_condition_gets_the_numerator_it_needs(pack, firm):
    # Pledge financing 5% of revenue (450 of 9,000 万元) scores 2; `pledge_loan_amount >= revenue * 10%` scores 3:
    # the loan must reach 900 万元, +1 point. Revenue (the other side) is never proposed: it would only fall.
    low = firm.model_copy(update={"pledge_loan_amount": firm.revenue * 0.05})
    found = {i.change.field: i for i in whatif.improvements(low, pack, DAY, CARD, limit=100)}
    pledge = found["pledge_loan_amount"]
    assert pledge.change.new == pytest.approx(firm.revenue * 0.10) and pledge.gain == pytest.approx(1)
    assert "revenue" not in found


def test_a_contained_count_raises_its_container(pack, firm):
    # 高价值发明专利 2 → 3 must not exceed 有效发明专利 (8): no implied change; with 0 invention patents it rises too.
    poor = firm.model_copy(update={"invention_patents": 0, "high_value_invention_patents": 0, "hvp_overseas_family": 0})
    found = {i.change.field: i for i in whatif.improvements(poor, pack, DAY, CARD, limit=100)}
    hv = found["high_value_invention_patents"]
    assert [(c.field, c.new) for c in hv.also] == [("invention_patents", 1)]


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "demo.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "rules"


DEMO = """
scorecards:
  - id: demo_card
    label: {zh: 演示评分, en: Demo}
    source: {document: test}
    pass_at: 10
    groups:
      - id: g
        label: {zh: 组, en: group}
        max: 20
        indicators:
          - id: deals
            label: {zh: 许可, en: deals}
            max: 10
            brackets:
              of: licensing_deals * 2 + 1
              rows: [{ge: 9, points: 10}, {ge: 7, points: 6}, {ge: 3, points: 2}]
              otherwise: 0
          - id: marks
            label: {zh: 商标, en: marks}
            max: 10
            cases:
              - {when: trademarks >= 4, points: 4}
            otherwise: 0
policies:
  - id: demo_measure
    title: {zh: 演示政策, en: Demo measure}
    source: {document: test}
    from: 2020-01-01
    conditions:
      all:
        - when: employees >= 50
        - when: rd_expense / revenue >= 3%
        - any:
            - when: has_title('high_tech_enterprise')
            - when: invention_patents >= 5
  - id: demo_scored
    title: {zh: 演示评分政策, en: Demo scored measure}
    source: {document: test}
    from: 2020-01-01
    conditions:
      all:
        - when: demo_card_passed
  - id: demo_dated
    title: {zh: 新设立, en: Newly founded}
    source: {document: test}
    from: 2020-01-01
    conditions:
      all:
        - when: years_between(registration_date, as_of) < 3
  - id: demo_dated_scored
    title: {zh: 新设立且评分合格, en: Newly founded and scored}
    source: {document: test}
    from: 2020-01-01
    conditions:
      all:
        - when: years_between(registration_date, as_of) < 3
        - when: demo_card_passed
"""


@pytest.fixture
def demo(tmp_path):
    return load_pack(_write(tmp_path, DEMO))


def base_firm(**extra):
    facts = (
        dict(
            employees=45,
            rd_expense=20,
            revenue=1000,
            invention_patents=4,
            titles=[],
            licensing_deals=1,
            trademarks=0,
            registration_date="2015-01-01",
        )
        | extra
    )
    return parse_profile(facts)


def test_brackets_over_a_formula_are_inverted(demo):
    # of = 2x + 1 with x = 1 (3 → 2 points). Reaching ≥7 needs x = 3 (+4 points, 2 per deal);
    # reaching ≥9 needs x = 4 (+8 points, 8/3 per deal): the better rate wins.
    found = {i.change.field: i for i in whatif.improvements(base_firm(), demo, DAY, "demo_card", limit=10)}
    deals = found["licensing_deals"]
    assert (deals.change.new, deals.gain) == (4, 8)
    assert found["trademarks"].change.new == 4 and found["trademarks"].gain == 4


def test_near_miss_takes_the_cheapest_branch_of_any_and_every_unmet_part_of_all(demo):
    # employees 45 → 50 (5/45), R&D 20 → 30 万元 (3% of 1000; 10/20), and of the any-branch the
    # cheaper one: invention patents 4 → 5 (1/4) rather than a title (counts 1).
    misses = {m.id: m for m in whatif.near_misses(base_firm(), demo, DAY)}
    changes = {c.field: c.new for c in misses["demo_measure"].changes}
    assert changes == {"employees": 50, "rd_expense": 30, "invention_patents": 5}
    assert misses["demo_measure"].cost == pytest.approx(5 / 45 + 10 / 20 + 1 / 4, abs=1e-3)


def test_near_miss_through_a_scorecard_pass_mark(demo):
    # demo_card is 2 (deals 1 → 3); passing needs 10: deals 4 gives 10 in one change.
    misses = {m.id: m for m in whatif.near_misses(base_firm(), demo, DAY)}
    scored = misses["demo_scored"]
    after = evaluate(whatif.apply(base_firm(), {c.field: c.new for c in scored.changes}), demo, DAY)
    assert next(d for d in after.decisions if d.id == "demo_scored").status == "eligible"
    assert len(scored.changes) == 1


def test_what_cannot_change_is_not_a_near_miss(demo):
    ids = {m.id for m in whatif.near_misses(base_firm(), demo, DAY)}
    assert "demo_dated" not in ids  # the founding date cannot be moved
    unknown = base_firm(employees=None)
    assert "demo_measure" not in {m.id for m in whatif.near_misses(unknown, demo, DAY)}


def test_a_part_that_cannot_be_met_spares_the_search_of_the_others(demo, monkeypatch):
    # the founding date cannot be moved, so the scorecard's greedy search (many re-evaluations) is not run
    def searched(*args):
        raise AssertionError("the scorecard was searched")

    repair = whatif.Repairer(base_firm(), demo, DAY)
    monkeypatch.setattr(whatif.Repairer, "scorecard", searched)
    assert repair.condition(demo.policies["demo_dated_scored"][0].conditions, True) == []


def test_near_misses_respect_the_change_limit(demo):
    assert "demo_measure" not in {m.id for m in whatif.near_misses(base_firm(), demo, DAY, max_changes=2)}


def test_enrich_and_json_carry_the_sections(pack, firm):
    result = enrich(evaluate(firm, pack, DAY), firm, pack, DAY)
    data = result.model_dump(mode="json")
    assert data["strength"]["tier"] in {"A", "B", "C", "D"}
    assert len(data["improvements"]) == 3
    assert {d["id"] for d in data["strength"]["dimensions"]} == {
        "creation",
        "utilisation",
        "protection",
        "management",
        "service",
    }


COUNTS = [
    "invention_patents",
    "pct_applications",
    "software_copyrights",
    "trademarks",
    "licensing_deals",
    "overseas_patent_families",
    "madrid_registrations",
    "geographical_indications",
    "ip_disputes_won",
    "ip_staff",
    "class2_ip",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({k: st.integers(0, 12) for k in COUNTS}), st.booleans())
def test_every_improvement_is_verified_and_ranked(pack, counts, navigation):
    firm = parse_profile(
        counts
        | {
            "industry_code": "C34",
            "ip_service_business": False,
            "rd_staff": 10,
            "revenue": 1000,
            "patent_product_revenue": 50,
            "pledge_loan_amount": 0,
            "class1_ip": 0,
            "class1_ip_self_developed": 0,
            "class1_high_value_ip": 0,
            "high_value_invention_patents": 0,
            "ip_penalties_3y": 0,
            "ip_budget": 0,
            "patent_navigation_project": navigation,
            "titles": [],
        }
    )
    score = overall(firm, pack, DAY)
    before = score(evaluate(firm, pack, DAY))
    found = whatif.improvements(firm, pack, DAY, CARD, overall_of(pack, DAY), limit=5)
    assert [(-i.per_unit, -i.gain) for i in found] == sorted((-i.per_unit, -i.gain) for i in found)
    for imp in found:
        new = tuple((c, None) for c in imp.change.new) if imp.change.field == "titles" else imp.change.new
        after = score(evaluate(whatif.apply(firm, {imp.change.field: new}), pack, DAY))
        assert imp.gain > 0 and after - before == pytest.approx(imp.gain, abs=1e-3)


def test_a_hair_over_a_strict_threshold_reads_as_above_not_plus_a_hundredth() -> None:
    """ "增加 0.01 万元" is not what a person understands: a strict threshold met exactly says "above"."""
    from engine.evaluate.whatif import describe

    change = describe("revenue", 1000.0, 1000.01)
    assert "0.01" not in change.text.zh and "需高于 1,000 万元（目前正好 1,000 万元）" in change.text.zh, change.text
    assert change.text.en == "Operating revenue above CNY 10,000,000 (now exactly that)", change.text.en
    none = describe("copyright_pledge_loan_amount", 0.0, 0.01)
    assert none.text.zh == "版权质押融资金额需大于 0（目前为 0）", none.text
    plain = describe("rd_expense", 90.0, 100.0)
    assert plain.text.zh.startswith("研发费用增加 10 万元") and "R&D expense" in plain.text.en, plain.text
    assert "_" not in plain.text.en and "_" not in describe("own_brand", False, True).text.en


def test_the_pre_check_works_out_again_only_the_indicators_a_change_moves(pack) -> None:
    """Differential: the card's points under each candidate change, worked out for the indicators reading a
    changed fact only, are every indicator's points worked out afresh."""
    from engine.authoring.boundaries import boundaries
    from engine.evaluate.status import compiled

    card = pack.scorecards[CARD]
    reads = whatif.readers(pack, CARD)
    for profile, as_of in boundaries(pack).valid_cases(40, seed=3):
        ev, _ = whatif.run(profile, pack, as_of, {CARD})
        points = compiled(pack, as_of).indicators(CARD)
        unchanged = tuple(value(ev.values) for value in points)
        for changes in whatif.candidate_changes(ev, card):
            if "titles" in changes:
                continue  # the pre-check is for facts; a title is always re-evaluated
            moved = changes | whatif.implied(profile, changes)
            fresh = tuple(value({**ev.values, **moved}) for value in points)
            assert whatif.local_points(ev, points, unchanged, reads, moved) == fresh, moved


def test_probes_read_what_the_explaining_evaluator_computes(pack) -> None:
    """Differential: an expression probed with a fact moved (the status run's values, compiled closures) has the
    value the explaining evaluator gives it on the same profile with that fact changed."""
    from engine.authoring.boundaries import boundaries
    from engine.evaluate.evaluator import Evaluation, RuleRuntimeError

    for profile, as_of in boundaries(pack).valid_cases(30, seed=4):
        probe, _ = whatif.run(profile, pack, as_of)
        full = Evaluation(profile, pack, as_of)
        full.run()
        for ind in (i for g in pack.scorecards[CARD].groups for i in g.indicators):
            found = whatif.shape(pack, ind)
            for node, _ in found.targets(probe):
                for name in found.numeric[id(node)]:
                    x = probe.values.get(name)
                    if not isinstance(x, (int, float)):
                        continue
                    full.values[name] = x + 1
                    try:
                        want = full.eval(node, set())
                    except RuleRuntimeError:
                        want = None
                    full.values[name] = x
                    assert probe.moved(node, name, x + 1) == want, (ind.id, name)


def test_candidates_are_run_as_mappings_of_the_fields_as_the_changed_profile_would_be(pack) -> None:
    """Differential: outcomes() runs each change set as a mapping of fields, not a profile copy; the statuses
    are those of the profile with the changes applied (implied counts and added titles among them)."""
    from engine.authoring.boundaries import boundaries
    from engine.evaluate.status import compiled

    for profile, as_of in boundaries(pack).valid_cases(20, seed=6):
        ev, _ = whatif.run(profile, pack, as_of)
        candidates = whatif.candidate_changes(ev, pack.scorecards[CARD])
        for changes, got in zip(candidates, whatif.outcomes(profile, pack, as_of, candidates, None)):
            want = compiled(pack, as_of).run(whatif.apply(profile, changes))
            assert seen(got) == seen(want), changes


def seen(result):
    """What a status run says: values, decisions and scores, with what settles them."""
    return (
        result.values,
        {k: (d.status, d.unmet, d.unknown, d.amount, d.missing) for k, d in result.decisions.items()},
        {k: (c.total, c.low, c.high, c.passed, c.points, c.missing) for k, c in result.scorecards.items()},
    )


def test_the_repair_starts_from_the_states_the_status_run_gave_the_conditions(pack) -> None:
    """Differential: every condition's state read back from a status run (StatusEvaluator.states) is the one the
    repair would work out from the values."""
    from engine.authoring.boundaries import boundaries

    for profile, as_of in boundaries(pack).valid_cases(60, seed=8):
        repair = whatif.Repairer(profile, pack, as_of)
        fresh = whatif.Repairer(profile, pack, as_of)
        for outcome in repair.base.decisions.values():
            for cond, state in repair.ev.fast.states(outcome):
                assert fresh.state(cond) == state, (outcome.id, cond.id)
