"""The district measures of 江北府办发〔2023〕6号: citations, examples, and a worked firm."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.evaluate.evaluator import evaluate
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import parse_profile

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "江北府办发〔2023〕6号"
AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(DEFAULT_RULES)


def district_measures(pack: RulePack) -> list[str]:
    return [
        ident
        for ident, versions in pack.policies.items()
        if any(v.source.document == DISTRICT and v.kind == "measure" for v in versions)
    ]


def test_every_district_measure_cites_clause_and_quote(pack: RulePack) -> None:
    measures = district_measures(pack)
    assert len(measures) >= 12
    for ident in measures:
        for version in pack.policies[ident]:
            assert version.source.clause and version.source.quote, ident


def test_every_parameter_version_cites_document_and_clause(pack: RulePack) -> None:
    for ident, param in pack.parameters.items():
        for version in param.versions:
            cited = version.source.document and version.source.clause
            # ipcheck's own values (IP-strength tiers) and secondary-source ones (2026) give a why instead
            own = version.status in ("assumed", "provisional") and version.source.note
            assert cited or own, f"{ident} {version.valid_from}"


def test_every_district_measure_has_a_feature(pack: RulePack) -> None:
    features = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "features").glob("*.feature"))
    for ident in district_measures(pack):
        name = pack.policies[ident][0].name_zh
        assert name and f'"{name}" 的结论为' in features, f"no feature scenario for {ident} ({name})"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.json")), ids=lambda p: p.name)
def test_examples_list_every_policy_in_force(pack: RulePack, path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    for profile in raw if isinstance(raw, list) else [raw]:
        result = evaluate(parse_profile(profile), pack, AS_OF)
        in_force = {ident for ident in pack.policies if pack.policy_on(ident, AS_OF) is not None}
        assert {d.id for d in result.decisions} == in_force


def test_worked_manufacturer(pack: RulePack) -> None:
    """examples/jiangbei_measures.json #1, worked by hand on 2026-11-01 (LPR 3.00 %)."""
    firm = json.loads((ROOT / "examples" / "jiangbei_measures.json").read_text(encoding="utf-8"))[0]
    result = evaluate(parse_profile(firm), pack, AS_OF)
    status = {d.id: d.status for d in result.decisions}
    amount = {d.id: sum(b.amount or 0 for b in d.benefits) for d in result.decisions}
    up_to = {d.id: sum(b.up_to or 0 for b in d.benefits) for d in result.decisions}
    expected = {
        # 800 × 3.00 % × 50 % = 12 ≤ 28 paid
        "jb_pledge_interest_subsidy": ("eligible", 12),
        # 按规定: the rate is not published, so no amount
        "jb_ip_insurance_premium": ("eligible", 0),
        # 8 marks × 1 = 8 > cap 6
        "jb_madrid_registration": ("eligible", 6),
        # certified, 市级 advantage enterprise (and 7 ≥ 3 patents), not rewarded before
        "jb_gbt29490_adoption": ("eligible", 3),
        # high-tech and 专精特新, 7 ≥ 1 invention patents: up to 50, a ceiling and no amount
        "jb_high_value_patent_cultivation": ("eligible", 0),
        "jb_ip_advantage_cultivation": ("eligible", 0),
        "jb_patent_navigation": ("eligible", 0),
        "jb_trademark_brand": ("eligible", 0),
        "jb_ip_database_platform": ("eligible", 0),
        # software copyrights 4 ≥ 1
        "jb_copyright_registration_pledge": ("eligible", 0),
        # neither GI count nor GI-mark use given
        "jb_geographical_indication": ("undetermined", 0),
        # founded 2016: 10 whole years ≥ 3
        "jb_new_ip_service_firm": ("ineligible", 0),
    }
    for ident, (want, money) in expected.items():
        assert status[ident] == want, ident
        assert amount[ident] == pytest.approx(money), ident
    assert up_to["jb_high_value_patent_cultivation"] == 50
    assert sum(up_to.values()) == 50
