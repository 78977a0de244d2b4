"""Exclusions are declared once (rules/jiangbei/exclusions.yaml) and the loader adds them to the policies they name.

Every evaluator (explaining, status-only generated code, vectorised batch) and the durable-rules oracle then sees
an ordinary condition, so they agree on it; the catalogue lists each exclusion once and where it applies; lint
catches a hand-written copy and a policy of the same document left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.authoring.catalogue import build
from engine.authoring.lint import lint_pack
from engine.evaluate.evaluator import evaluate
from engine.language.loader import DEFAULT_RULES, RuleLoadError, load_pack
from engine.model.profile import parse_profile
from tests.test_status_differential import assert_same

PACK = load_pack(DEFAULT_RULES)
DISTRICT = sorted(i for i, vs in PACK.policies.items() if vs[0].source.document == "江北府办发〔2023〕6号")


def test_every_district_measure_carries_both_exclusions_as_its_last_conditions() -> None:
    assert len(DISTRICT) == 12 and "jb_new_ip_service_firm" in DISTRICT
    for ident in DISTRICT:
        for version in PACK.policies[ident]:
            tail = version.conditions.all[-2:]  # type: ignore[index]
            assert [c.id for c in tail] == ["not_seriously_dishonest", "no_recent_ip_penalty"], ident
            assert all(c.status == "assumed" and c.source is not None for c in tail)
    assert [e.id for e in PACK.exclusions_of("jb_new_ip_service_firm")] == [
        "not_seriously_dishonest",
        "no_recent_ip_penalty",
    ]
    assert PACK.exclusions_of("innovative_sme") == []  # 63号 states its own conditions


def test_new_ip_service_firm_is_excluded_for_a_recent_penalty() -> None:
    firm = {
        "division_code": "500105",
        "registration_date": "2025-03-01",
        "industry_code": "M7520",
        "serious_dishonesty_list": False,
        "ip_penalty_free": False,
        "last_ip_penalty_date": "2026-06-01",
    }
    decision = next(
        d for d in evaluate(parse_profile(firm), PACK, date(2026, 11, 1)).decisions if d.id == "jb_new_ip_service_firm"
    )
    assert decision.status == "ineligible"
    assert any(a.id == "jb_new_ip_service_firm.no_recent_ip_penalty" for a in decision.assumptions)


PACK_FILES = {
    "policies.yaml": """
policies:
  - id: p_one
    title: {zh: 甲, en: One}
    source: {document: DOC}
    from: 2020-01-01
    conditions: {all: [{id: big, when: "revenue >= 100"}]}
  - id: p_two
    title: {zh: 乙, en: Two}
    source: {document: DOC}
    from: 2020-01-01
    conditions: {all: [{id: staff, when: "employees >= 10"}]}
""",
    "exclusions.yaml": """
exclusions:
  - id: honest
    label: {zh: 未列入严重失信主体名单, en: Not seriously dishonest}
    when: not serious_dishonesty_list
    from: 2020-01-01
    status: assumed
    source: {document: DOC, clause: "1"}
    policies: all
""",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_policies_all_and_every_evaluator_agree(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, PACK_FILES))
    assert all(p.conditions.all[-1].id == "honest" for vs in pack.policies.values() for p in vs)  # type: ignore[index]
    rows = [
        {},
        {"revenue": 200, "employees": 20, "serious_dishonesty_list": False},
        {"revenue": 200, "employees": 20, "serious_dishonesty_list": True},
        {"revenue": 50, "employees": 20},
        {"revenue": 200},
    ]
    profiles = [parse_profile(r) for r in rows]
    assert_same(pack, date(2025, 1, 1), profiles)  # explaining = status-only generated code = vectorised
    want = [["undetermined"] * 2, ["eligible"] * 2, ["ineligible"] * 2, ["ineligible", "undetermined"]]
    got = [[d.status for d in evaluate(p, pack, date(2025, 1, 1)).decisions] for p in profiles[:4]]
    assert got == want
    pytest.importorskip("durable")
    from tests.support.oracle import OracleEvaluator

    oracle = OracleEvaluator(pack)
    for profile in profiles:
        expected = {d.id: d.status for d in evaluate(profile, pack, date(2025, 1, 1)).decisions}
        assert oracle.decide(profile, date(2025, 1, 1)) == expected


@pytest.mark.parametrize(
    "change, message",
    [
        ("policies: all", "已有同名条件"),  # p_one already has `honest` written out
        ("policies: [p_onee]", "did you mean 'p_one'"),
        ("from: 2021-01-01\n    policies: all", "split the policy version"),
    ],
)
def test_load_errors_name_the_exclusion(tmp_path: Path, change: str, message: str) -> None:
    files = dict(PACK_FILES)
    files["exclusions.yaml"] = (
        files["exclusions.yaml"].replace("from: 2020-01-01\n    ", "").replace("policies: all", change)
    )
    if change == "policies: all":
        files["policies.yaml"] = files["policies.yaml"].replace(
            '{id: big, when: "revenue >= 100"}', '{id: big, when: "revenue >= 100"}, {id: honest, when: "true"}'
        )
    if "from:" not in files["exclusions.yaml"]:
        files["exclusions.yaml"] = files["exclusions.yaml"].replace("status:", "from: 2020-01-01\n    status:")
    with pytest.raises(RuleLoadError) as caught:
        load_pack(write(tmp_path, files))
    assert message in str(caught.value) and "exclusions.yaml" in str(caught.value)


def test_lint_finds_a_copy_and_a_policy_left_out(tmp_path: Path) -> None:
    files = dict(PACK_FILES)
    files["exclusions.yaml"] = files["exclusions.yaml"].replace("policies: all", "policies: [p_one]")
    files["policies.yaml"] = files["policies.yaml"].replace(
        '{id: staff, when: "employees >= 10"}', '{id: staff, when: "employees >= 10"}, "not serious_dishonesty_list"'
    )
    codes = sorted(f.code for f in lint_pack(load_pack(write(tmp_path, files))) if f.severity == "warning")
    assert codes == ["exclusion-copy", "exclusion-gap"]


def test_catalogue_lists_each_exclusion_once_with_the_policies_it_applies_to() -> None:
    markdown = build(PACK)["catalogue.md"]
    section = markdown[markdown.index("## 排除条件（统一声明）") :]
    section = section[: section.index("\n## ", 3)]
    assert section.count("### ") == 2
    assert "新设立的知识产权服务企业政策支持（`jb_new_ip_service_firm`）" in section
    assert markdown.count("统一排除条件 exclusion `no_recent_ip_penalty`") == 12
    closing = markdown[markdown.index("## 待确认的假设与暂定值") :]
    assert closing.count("排除条件 exclusion") == 2  # one row each, not one per policy
