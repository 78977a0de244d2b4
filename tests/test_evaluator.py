"""The evaluator: three-valued decisions, rationale with values, thresholds, gaps and sources."""

from datetime import date
from pathlib import Path

import pytest

from engine.evaluate.evaluator import evaluate
from engine.language.loader import load_pack
from engine.model.profile import parse_profile

DAY = date(2026, 11, 1)
RD = """\
parameters:
  - id: rd_min
    name_zh: 研发费用门槛
    label: {zh: 研发费用门槛, en: Minimum R&D expense}
    unit: 万元
    versions:
      - {from: 2020-01-01, to: 2025-12-31, value: 80, status: confirmed, source: {document: 甲文件, clause: 第一条}}
      - {from: 2026-01-01, value: 100, status: assumed, source: {document: 乙文件, clause: 第二条}}
policies:
  - id: rd_support
    title: {zh: 研发支持, en: R&D support}
    source: {document: 乙文件, clause: 第二条, quote: 研发费用不少于100万元}
    from: 2020-01-01
    conditions:
      all:
        - id: rd_amount
          when: 研发费用 >= rd_min
        - id: rd_ratio
          when: rd_expense / revenue >= 3%
        - id: either
          any:
            - when: has_title('high_tech_enterprise')
            - when: employees < 50
    benefits:
      - kind: subsidy
        text: {zh: 按研发费用的 10% 补助, en: 10% of R&D expense}
        amount: rd_expense * 10%
        cap: 12
"""


@pytest.fixture
def pack(tmp_path: Path):
    (tmp_path / "rd.yaml").write_text(RD, encoding="utf-8")
    return load_pack(tmp_path)


def decide(pack, day=DAY, **facts):
    return evaluate(parse_profile(facts), pack, day).decisions[0]


def leaf(decision, ident):
    stack = [decision.conditions]
    while stack:
        node = stack.pop()
        if node.id == ident:
            return node
        stack += node.children
    raise KeyError(ident)


def test_eligible_with_benefit_capped(pack) -> None:
    d = decide(pack, rd_expense=150, revenue=1000, employees=10)
    assert d.status == "eligible"
    assert d.benefits[0].amount == 12  # 150 × 10% = 15, capped at 12


def test_unmet_threshold_reports_value_threshold_source_gap_and_what_it_takes(pack) -> None:
    d = decide(pack, rd_expense=90, revenue=1000, employees=10)
    assert d.status == "ineligible"
    rd = leaf(d, "rd_amount")
    assert rd.status == "unmet" and rd.values == {"rd_expense": 90}
    assert rd.threshold == 100 and rd.gap == 10
    assert rd.threshold_source == "乙文件 第二条 [assumed]"
    assert rd.text.zh == "研发费用为 90 万元，需 ≥ 100 万元，还差 10 万元"
    assert "研发费用" in d.reasons.zh and d.benefits == []


def test_ratio_gap_is_in_percentage_points_and_names_the_amount_needed(pack) -> None:
    d = decide(pack, rd_expense=120, revenue=5000, employees=10)
    ratio = leaf(d, "rd_ratio")
    assert ratio.status == "unmet"
    assert "2.4%" in ratio.text.zh and "0.6%" in ratio.text.zh
    assert ratio.would_take is not None and "150 万元" in ratio.would_take.zh  # 3% × 5000


def test_missing_fact_is_unknown_never_zero(pack) -> None:
    d = decide(pack, rd_expense=150, employees=10)
    assert d.status == "undetermined" and d.missing == ["revenue"]
    assert "营业收入" in d.reasons.zh


def test_a_false_part_decides_an_all_even_with_unknowns(pack) -> None:
    d = decide(pack, rd_expense=10)
    assert d.status == "ineligible"


def test_any_is_met_by_one_true_branch_despite_unknown_titles(pack) -> None:
    d = decide(pack, rd_expense=150, revenue=1000, employees=10)
    assert leaf(d, "either").status == "met"


def test_unknown_titles_make_the_branch_unknown(pack) -> None:
    d = decide(pack, rd_expense=150, revenue=1000, employees=80)
    assert d.status == "undetermined" and d.missing == ["titles"]


def test_title_validity_is_checked_at_the_as_of_date(pack) -> None:
    title = [{"title": "高新技术企业", "valid_from": "2023-01-01", "valid_to": "2025-12-31"}]
    assert decide(pack, rd_expense=150, revenue=1000, employees=80, titles=title).status == "ineligible"
    assert (
        decide(pack, date(2025, 6, 1), rd_expense=150, revenue=1000, employees=80, titles=title).status == "eligible"
    )  # threshold then 80


def test_parameter_version_follows_the_as_of_date(pack) -> None:
    assert decide(pack, date(2025, 6, 1), rd_expense=90, revenue=1000, employees=10).status == "eligible"
    assert decide(pack, date(2026, 6, 1), rd_expense=90, revenue=1000, employees=10).status == "ineligible"


def test_division_by_zero_is_unknown_not_a_crash(pack) -> None:
    d = decide(pack, rd_expense=150, revenue=0, employees=10)
    assert leaf(d, "rd_ratio").status == "unknown"


def test_every_result_carries_the_pack_hash_and_date(pack) -> None:
    a = evaluate(parse_profile({}), pack, DAY)
    assert a.rules_hash == pack.hash and a.as_of == DAY
    assert a.model_dump(mode="json")["decisions"][0]["status"] == "undetermined"


def test_shipped_measure_for_a_new_ip_service_firm() -> None:
    pack = load_pack()
    profile = parse_profile(
        {
            "division_code": "500105",
            "registration_date": "2024-03-01",
            "industry_code": "7520",
            "serious_dishonesty_list": False,
            "ip_penalty_free": True,  # the district's exclusions apply to this measure too
        }
    )
    d = next(x for x in evaluate(profile, pack, DAY).decisions if x.id == "jb_new_ip_service_firm")
    assert d.status == "eligible" and d.citation == "江北府办发〔2023〕6号 二（一）2"
    assert d.benefits[0].kind == "priority_access"


def test_an_unscored_items_indicator_names_the_facts_it_lacks() -> None:
    """Regression: an `items` indicator lost its missing facts (a rebinding, not an in-place union), so
    a decision could be undetermined with nothing to ask ("无法判定：所需情形未被现有规则覆盖")."""
    import json
    from datetime import date
    from pathlib import Path

    from engine.evaluate.evaluator import evaluate
    from engine.language.loader import load_pack
    from engine.model.profile import parse_profile

    data = json.loads((Path(__file__).parent.parent / "examples" / "specialized_manufacturer.json").read_text("utf-8"))
    for key in ("获得省级以上质量奖", "quality_award_provincial"):
        data.pop(key, None)
    result = evaluate(parse_profile(data), load_pack(), date(2026, 6, 1))
    unscored = [i for c in result.scorecards for g in c.groups for i in g.indicators if i.points is None]
    # an expert-judged range (judged: the experts score within low-high) lacks no fact a firm could give
    assert unscored and all(i.missing for i in unscored if not i.judged)
    # undetermined with nothing to ask only while experts must score (the reason says what they must reach)
    assert all(d.missing or "待专家评分" in d.reasons.zh for d in result.decisions if d.status == "undetermined")
